/**
 * Class probabilities, one rule per mode, written once (docs/cli.md "eval", docs/benchmarks.md
 * "Probabilities"). Every rule returns row-major [rows, K] with K = max(K_L, 2): a network with one output
 * gives two classes.
 *
 * - **Deterministic networks** (EBP-D, STE): no probabilities in `ebp eval`; the harness scores one vote for
 *   the decided class, {@link oneHot}.
 * - **EBP-P** (the mean-field output ⟨v_k⟩ = 2Φ(z_k) − 1): `ebp eval` normalises the marginals
 *   p_k = P(v_k = +1) = (1 + ⟨v_k⟩)/2 over the classes, {@link meanOutputProbabilities}; the harness scores
 *   the code likelihood, {@link ebpCodeProbabilities}, and reports the normalised marginals beside it.
 * - **Ensembles** (M members, mean sign outputs s̄_k ∈ [−1, 1]): the vote shares q_k = (1 + s̄_k)/Σ_j (1 + s̄_j),
 *   {@link voteShares} (`XnorEnsemble.probabilities`); `ebp eval` smooths them with one uniform pseudo-member,
 *   p_k = (M q_k + 1/K)/(M + 1), so that NLL stays finite, {@link smoothedVoteShares}; the harness scores the
 *   code likelihood of the Krichevsky–Trofimov marginals, {@link ensembleMarginals} then {@link codeProbabilities}.
 *
 * The **code likelihood** (EBP-P and ensembles, the methods with per-output probabilities p_k = P(v_k = +1)):
 * the probability that the output vector is class c's code (output c the only +1), renormalised over the K
 * codes. With independent outputs, P(v = t_c) = p_c Π_{j≠c} (1 − p_j), so q_c ∝ p_c / (1 − p_c): a softmax of
 * the per-output log-odds. This is the likelihood EBP trains on (Z = P(v_L = t) under the mean field),
 * conditioned on the output being a valid code. One output (two classes): q = (1 − p, p).
 * - EBP-P: p_k = Φ(z_k), z_k = μ̄_k/σ̄_k of the last layer; log-odds log Φ(z) − log Φ(−z) in log space.
 * - ensemble of M members: p_k = (n_k + ½)/(M + 1), n_k = members whose output k is +1 (the
 *   Krichevsky–Trofimov estimate of P(v_k = +1), never 0 or 1).
 *
 * The harness gives every method's probabilities the same floor, {@link applyFloor}:
 * q_k ← max(q_k, ε)/Σ_j max(q_j, ε), ε = 1e-3, so NLL stays finite (at most −ln(ε/(1 + (K−1)ε)) ≈ 6.92 for
 * K = 10) and confidence is at most 1/(1 + (K−1)ε) ≈ 0.991. A softmax of STE's output scores,
 * {@link softmaxScores}, is kept for comparison.
 */
import { logNormCdf } from '../special/normal';

/** ε of the probability floor applied to every method's class probabilities. */
export const PROBABILITY_FLOOR = 1e-3;

/** log P(v = +1) − log P(v = −1) for P(v = +1) = Φ(μ̄/σ̄); ±∞ when σ̄ = 0 and μ̄ ≠ 0. */
export function probitLogOdds(ubar: number, variance: number): number {
  let z: number;
  if (variance > 0) z = ubar / Math.sqrt(variance);
  else z = ubar > 0 ? Infinity : ubar < 0 ? -Infinity : 0;
  return logNormCdf(z) - logNormCdf(-z);
}

/** Per-output log-odds log p − log(1 − p) of marginal probabilities p ∈ [0, 1] (±∞ at 1 and 0). */
export function logOddsOf(p: ArrayLike<number>): Float64Array {
  const out = new Float64Array(p.length);
  for (let i = 0; i < p.length; i++) out[i] = Math.log(p[i]) - Math.log1p(-p[i]);
  return out;
}

/** Stable softmax of v[o..o+K) into out[o..o+K); +∞ entries share the mass; all −∞ gives uniform. */
function softmaxInto(v: ArrayLike<number>, o: number, K: number, out: Float64Array, oo: number): void {
  let m = -Infinity;
  for (let k = 0; k < K; k++) if (v[o + k] > m) m = v[o + k];
  if (m === Infinity || m === -Infinity) {
    let c = 0;
    for (let k = 0; k < K; k++) if (v[o + k] === m) c++;
    for (let k = 0; k < K; k++) out[oo + k] = v[o + k] === m ? 1 / c : 0;
    return;
  }
  let s = 0;
  for (let k = 0; k < K; k++) {
    const e = Math.exp(v[o + k] - m);
    out[oo + k] = e;
    s += e;
  }
  for (let k = 0; k < K; k++) out[oo + k] /= s;
}

/** 1/(1 + e^{−x}) without overflow. */
function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/**
 * Code-likelihood class probabilities from per-output log-odds [rows, KL]: softmax over the outputs, or with
 * one output (two classes) [σ(−ℓ), σ(ℓ)]. Returns [rows, K] with K = max(KL, 2).
 */
export function codeProbabilities(logOdds: ArrayLike<number>, rows: number, KL: number): Float64Array {
  if (KL === 1) {
    const out = new Float64Array(rows * 2);
    for (let n = 0; n < rows; n++) {
      const l = logOdds[n];
      out[2 * n] = l === Infinity ? 0 : l === -Infinity ? 1 : sigmoid(-l);
      out[2 * n + 1] = l === Infinity ? 1 : l === -Infinity ? 0 : sigmoid(l);
    }
    return out;
  }
  const out = new Float64Array(rows * KL);
  for (let n = 0; n < rows; n++) softmaxInto(logOdds, n * KL, KL, out, n * KL);
  return out;
}

/** EBP-P class probabilities (code likelihood) from the last layer's μ̄ and σ̄² [rows, KL]. */
export function ebpCodeProbabilities(ubar: ArrayLike<number>, variance: ArrayLike<number>, rows: number, KL: number): Float64Array {
  const lo = new Float64Array(rows * KL);
  for (let i = 0; i < rows * KL; i++) lo[i] = probitLogOdds(ubar[i], variance[i]);
  return codeProbabilities(lo, rows, KL);
}

/**
 * Krichevsky–Trofimov estimates p_k = (n_k + ½)/(M + 1) of P(v_k = +1) from an ensemble's mean sign outputs
 * s̄_k ∈ [−1, 1] (n_k = M(1 + s̄_k)/2 members voting +1).
 */
export function ensembleMarginals(meanSign: ArrayLike<number>, members: number): Float64Array {
  const out = new Float64Array(meanSign.length);
  for (let i = 0; i < meanSign.length; i++) {
    const votes = Math.round((members * (1 + meanSign[i])) / 2);
    out[i] = (votes + 0.5) / (members + 1);
  }
  return out;
}

/** Normalised marginals q_k = p_k / Σ_j p_j (uniform when all are 0); one output: [1 − p, p]. */
export function normalisedMarginals(p: ArrayLike<number>, rows: number, KL: number): Float64Array {
  if (KL === 1) {
    const out = new Float64Array(rows * 2);
    for (let n = 0; n < rows; n++) {
      out[2 * n] = 1 - p[n];
      out[2 * n + 1] = p[n];
    }
    return out;
  }
  const out = new Float64Array(rows * KL);
  for (let n = 0; n < rows; n++) {
    let s = 0;
    for (let k = 0; k < KL; k++) s += p[n * KL + k];
    for (let k = 0; k < KL; k++) out[n * KL + k] = s > 0 ? p[n * KL + k] / s : 1 / KL;
  }
  return out;
}

/** One-hot rows [rows, K] of the decided classes. */
export function oneHot(classes: ArrayLike<number>, K: number): Float64Array {
  const out = new Float64Array(classes.length * K);
  for (let n = 0; n < classes.length; n++) out[n * K + classes[n]] = 1;
  return out;
}

/** Softmax of real scores [rows, KL] (one output: [σ(−s), σ(s)]). */
export function softmaxScores(scores: ArrayLike<number>, rows: number, KL: number): Float64Array {
  return codeProbabilities(scores, rows, KL);
}

/** q_k ← max(q_k, ε) / Σ_j max(q_j, ε), row by row (a new array). */
export function applyFloor(q: ArrayLike<number>, rows: number, K: number, eps: number = PROBABILITY_FLOOR): Float64Array {
  const out = new Float64Array(rows * K);
  for (let n = 0; n < rows; n++) {
    let s = 0;
    for (let k = 0; k < K; k++) {
      const v = Math.max(q[n * K + k], eps);
      out[n * K + k] = v;
      s += v;
    }
    for (let k = 0; k < K; k++) out[n * K + k] /= s;
  }
  return out;
}

/**
 * `ebp eval`'s EBP-P rule: marginals p_k = (1 + ⟨v_k⟩)/2 (negative values, from rounding, taken as 0)
 * normalised over the classes (uniform when all are 0); one output: [1 − p, p] with p clamped to [0, 1].
 * `mu` holds the last layer's mean outputs ⟨v⟩ [rows, KL] from `offset`.
 */
export function meanOutputProbabilities(mu: ArrayLike<number>, rows: number, KL: number, offset = 0): Float64Array {
  const p = new Float64Array(rows * KL);
  for (let i = 0; i < rows * KL; i++) {
    const v = Math.max(0, (1 + mu[offset + i]) / 2);
    p[i] = KL === 1 ? Math.min(1, v) : v;
  }
  return normalisedMarginals(p, rows, KL);
}

/**
 * Vote shares of an ensemble from its mean sign outputs s̄ [rows, KL], each row summing to 1. With several
 * outputs, class k's share of all the members' +1 votes: (1 + s̄_k) / Σ_j (1 + s̄_j) (uniform when no member
 * votes +1 anywhere), so the argmax is the prediction. With one output, [share voting −1, share voting +1].
 */
export function voteShares(meanSign: ArrayLike<number>, rows: number, KL: number): Float64Array {
  const d = meanSign;
  if (KL === 1) {
    const out = new Float64Array(rows * 2);
    for (let n = 0; n < rows; n++) {
      const p1 = (1 + d[n]) / 2;
      out[2 * n] = 1 - p1;
      out[2 * n + 1] = p1;
    }
    return out;
  }
  const out = new Float64Array(rows * KL);
  for (let n = 0; n < rows; n++) {
    let total = 0;
    for (let k = 0; k < KL; k++) total += 1 + d[n * KL + k];
    for (let k = 0; k < KL; k++) out[n * KL + k] = total > 0 ? (1 + d[n * KL + k]) / total : 1 / KL;
  }
  return out;
}

/**
 * `ebp eval`'s ensemble rule: the {@link voteShares} q_k of `members` members smoothed with one uniform
 * pseudo-member, p_k = (M q_k + 1/K)/(M + 1), K = max(KL, 2), so that NLL stays finite.
 */
export function smoothedVoteShares(meanSign: ArrayLike<number>, rows: number, KL: number, members: number): Float64Array {
  const q = voteShares(meanSign, rows, KL);
  const K = KL === 1 ? 2 : KL;
  for (let i = 0; i < q.length; i++) q[i] = (members * q[i] + 1 / K) / (members + 1);
  return q;
}
