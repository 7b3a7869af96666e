/**
 * Probabilities and scores for the method comparison (docs/benchmarks.md, "Probabilities").
 *
 * Error, confusion matrix, NLL, Brier score and ECE come from the CLI's {@link MetricsAccumulator}
 * (src/cli/metrics.ts: NLL = mean −ln p_true, Brier = mean Σ_k (p_k − y_k)², ECE on the top-class
 * confidence with 15 equal-width bins weighted by bin size); this module adds the per-bin reliability data
 * those scores are made of, and the rules that turn each method's outputs into class probabilities:
 *
 * - **Code likelihood** (EBP-P and the packed ensemble, the methods with per-output probabilities
 *   p_k = P(v_k = +1)): the probability that the output vector is class c's code (output c the only +1),
 *   renormalised over the K codes. With independent outputs, P(v = t_c) = p_c Π_{j≠c} (1 − p_j), so
 *   q_c ∝ p_c / (1 − p_c): a softmax of the per-output log-odds. This is the likelihood EBP trains on
 *   (Z = P(v_L = t) under the mean field), conditioned on the output being a valid code. One output (two
 *   classes): q = (1 − p, p).
 *   - EBP-P: p_k = Φ(z_k), z_k = μ̄_k/σ̄_k of the last layer; log-odds log Φ(z) − log Φ(−z) in log space.
 *   - ensemble of M members: p_k = (n_k + ½)/(M + 1), n_k = members whose output k is +1 (the
 *     Krichevsky–Trofimov estimate of P(v_k = +1), never 0 or 1).
 * - **Deterministic networks** (EBP-D, STE): one vote, the decided class: one-hot.
 * - Every method's probabilities then get the same floor: q_k ← max(q_k, ε)/Σ_j max(q_j, ε), ε = 1e-3, so
 *   NLL stays finite (at most −ln(ε/(1 + (K−1)ε)) ≈ 6.92 for K = 10) and confidence is at most
 *   1/(1 + (K−1)ε) ≈ 0.991.
 * - Alternatives kept for comparison: normalised marginals q_k ∝ p_k (what `ebp eval` uses for EBP-P), the
 *   ensemble's vote shares `XnorEnsemble.probabilities()`, and a softmax of STE's output scores.
 */
import { ECE_BINS, MetricsAccumulator } from '../cli/metrics';
import { logNormCdf } from '../special/normal';

export { ECE_BINS };

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

/** Fraction of rows whose class differs from the label. */
export function errorRate(classes: ArrayLike<number>, labels: ArrayLike<number>): number {
  let e = 0;
  for (let i = 0; i < labels.length; i++) if (classes[i] !== labels[i]) e++;
  return e / labels.length;
}

/** argmax per row (first maximum). */
export function argmaxRows(q: ArrayLike<number>, rows: number, K: number): Int32Array {
  const out = new Int32Array(rows);
  for (let n = 0; n < rows; n++) {
    let best = 0;
    for (let k = 1; k < K; k++) if (q[n * K + k] > q[n * K + best]) best = k;
    out[n] = best;
  }
  return out;
}

/** One bin of a reliability diagram: rows whose top-class confidence falls in [lo, hi). */
export interface ReliabilityBin {
  lo: number;
  hi: number;
  count: number;
  /** Mean top-class confidence of the bin's rows (null when empty). */
  confidence: number | null;
  /** Fraction of the bin's rows whose top class is right (null when empty). */
  accuracy: number | null;
}

/**
 * Reliability-diagram data with the binning of the CLI's ECE: top class = first maximum of q, bin
 * min(B − 1, ⌊confidence·B⌋); ECE = Σ_b (n_b/n)·|accuracy_b − confidence_b|.
 */
export function reliabilityCurve(
  q: ArrayLike<number>,
  labels: ArrayLike<number>,
  rows: number,
  K: number,
  bins: number = ECE_BINS,
): { bins: ReliabilityBin[]; ece: number } {
  const count = new Float64Array(bins);
  const conf = new Float64Array(bins);
  const correct = new Float64Array(bins);
  for (let n = 0; n < rows; n++) {
    let top = 0;
    for (let k = 1; k < K; k++) if (q[n * K + k] > q[n * K + top]) top = k;
    const c = q[n * K + top];
    const b = Math.min(bins - 1, Math.max(0, Math.floor(c * bins)));
    count[b]++;
    conf[b] += c;
    if (top === labels[n]) correct[b]++;
  }
  return binsFromSums(count, conf, correct, rows);
}

/** Reliability bins and ECE from per-bin sums (count, Σ confidence, Σ correct) over `total` rows. */
export function binsFromSums(count: ArrayLike<number>, conf: ArrayLike<number>, correct: ArrayLike<number>, total: number): { bins: ReliabilityBin[]; ece: number } {
  const B = count.length;
  let ece = 0;
  const out: ReliabilityBin[] = [];
  for (let b = 0; b < B; b++) {
    const c = count[b];
    const bin: ReliabilityBin = { lo: b / B, hi: (b + 1) / B, count: c, confidence: c > 0 ? conf[b] / c : null, accuracy: c > 0 ? correct[b] / c : null };
    if (c > 0) ece += (c / total) * Math.abs(correct[b] / c - conf[b] / c);
    out.push(bin);
  }
  return { bins: out, ece: total > 0 ? ece : NaN };
}

/** Pool reliability bins of several runs (same binning): counts add, means are count-weighted. */
export function poolReliability(runs: readonly (readonly ReliabilityBin[])[]): { bins: ReliabilityBin[]; ece: number } {
  if (runs.length === 0) return { bins: [], ece: NaN };
  const B = runs[0].length;
  const count = new Float64Array(B);
  const conf = new Float64Array(B);
  const correct = new Float64Array(B);
  let total = 0;
  for (const r of runs) {
    if (r.length !== B) throw new Error(`poolReliability: ${r.length} bins, expected ${B}.`);
    r.forEach((b, i) => {
      count[i] += b.count;
      conf[i] += b.count > 0 ? (b.confidence as number) * b.count : 0;
      correct[i] += b.count > 0 ? (b.accuracy as number) * b.count : 0;
      total += b.count;
    });
  }
  return binsFromSums(count, conf, correct, total);
}

/** Scores of one method on one test set. */
export interface ProbabilityMetrics {
  rows: number;
  /** Error of the method's own decisions. */
  error: number;
  /** Mean −ln q_true. */
  nll: number;
  /** Mean Σ_k (q_k − y_k)². */
  brier: number;
  /** Expected calibration error, 15 equal-width bins on the top-class confidence. */
  ece: number;
  /** confusion[t][p]: rows of true class t decided as p (the method's decisions). */
  confusion: number[][];
  reliability: ReliabilityBin[];
  /** Rows where the first maximum of q is not the method's decision (ties created by the floor). */
  argmaxDisagreements: number;
}

/**
 * Error and confusion of the decisions `classes`; NLL, Brier and ECE of the probabilities q [rows, K]
 * (ECE on q's top class), computed by the CLI's {@link MetricsAccumulator}; reliability bins alongside.
 */
export function evaluateProbabilities(q: Float64Array, labels: ArrayLike<number>, classes: ArrayLike<number>, K: number): ProbabilityMetrics {
  const rows = labels.length;
  if (q.length !== rows * K) throw new Error(`evaluateProbabilities: ${q.length} probabilities for ${rows} rows × ${K} classes.`);
  if (classes.length !== rows) throw new Error(`evaluateProbabilities: ${classes.length} decisions for ${rows} rows.`);
  const acc = new MetricsAccumulator(Array.from({ length: K }, (_, k) => String(k)));
  acc.add(labels, classes, q, rows);
  const r = acc.report();
  const rel = reliabilityCurve(q, labels, rows, K);
  const top = argmaxRows(q, rows, K);
  let dis = 0;
  for (let n = 0; n < rows; n++) if (top[n] !== classes[n]) dis++;
  return {
    rows,
    error: r.error,
    nll: r.nll as number,
    brier: r.brier as number,
    ece: r.ece as number,
    confusion: r.confusion,
    reliability: rel.bins,
    argmaxDisagreements: dis,
  };
}
