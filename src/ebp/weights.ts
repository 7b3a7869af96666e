import { jsTernaryMoments } from '../kernels/ebp';
import { argumentError, check, invalid } from '../util/validate';

/** A discrete weight set S = levels with prior π (spec §6.2): q(W = s) ∝ π(s)·exp(h·s). */
export interface DiscreteWeights {
  /** Allowed values, at least two distinct finite numbers (stored sorted ascending). */
  levels: readonly number[];
  /** Prior probabilities π(s), positive, aligned with `levels`; normalised to sum 1. Default uniform. */
  prior?: readonly number[];
}

/**
 * Kinds of weight posterior (spec §3):
 * - `'binary'`: W ∈ {−1, +1}, q(W) ∝ exp(h·W); mean tanh h, variance sech² h.
 * - `'gaussian'`: W ~ N(h, s2) with fixed s2 = `weightVariance`; mean h, variance s2.
 * - `{ levels, prior }`: discrete multi-level weights, e.g. ternary `{ levels: [-1, 0, 1], prior: [0.25, 0.5, 0.25] }`.
 */
export type WeightKind = 'binary' | 'gaussian' | DiscreteWeights;

export function isDiscrete(w: WeightKind): w is DiscreteWeights {
  return typeof w === 'object' && w !== null;
}

/** Ternary weights {−1, 0, +1} with prior mass `zeroPrior` on 0 and the rest split evenly. */
export function ternary(zeroPrior = 0.5): DiscreteWeights {
  check(zeroPrior > 0 && zeroPrior < 1, 'zeroPrior', 'in (0, 1) (the prior of the zero level)', zeroPrior);
  return { levels: [-1, 0, 1], prior: [(1 - zeroPrior) / 2, zeroPrior, (1 - zeroPrior) / 2] };
}

/** Validate a weight kind and return its canonical form (discrete: levels ascending, prior normalised, frozen). */
export function normalizeWeightKind(w: unknown): WeightKind {
  if (w === 'binary' || w === 'gaussian') return w;
  if (typeof w !== 'object' || w === null || !Array.isArray((w as DiscreteWeights).levels)) {
    throw invalid('weights', "'binary', 'gaussian' or { levels: number[], prior?: number[] }", w);
  }
  const { levels, prior } = w as DiscreteWeights;
  const finite = (x: unknown) => typeof x === 'number' && Number.isFinite(x);
  check(levels.length >= 2 && levels.every(finite), 'weights.levels', 'hold at least two finite numbers', levels);
  const p = prior ?? levels.map(() => 1);
  const ok = p.length === levels.length && p.every((x) => finite(x) && x > 0);
  check(ok, 'weights.prior', `hold one positive finite number per level (${levels.length})`, prior);
  const order = levels.map((_, i) => i).sort((a, b) => levels[a] - levels[b]);
  const sorted = order.map((i) => levels[i]);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i] === sorted[i - 1]) throw argumentError(`\`weights.levels\` must be distinct; ${sorted[i]} appears twice.`);
  }
  const total = p.reduce((a, x) => a + x, 0);
  return Object.freeze({ levels: Object.freeze(sorted), prior: Object.freeze(order.map((i) => p[i] / total)) });
}

/** Short name for reports: 'binary', 'gaussian' or 'levels[-1,0,1] prior[0.25,0.5,0.25]'. */
export function weightKindName(w: WeightKind): string {
  if (!isDiscrete(w)) return w;
  const r = (x: number) => Number(x.toPrecision(6));
  return `levels[${w.levels.map(r).join(',')}] prior[${(w.prior ?? []).map(r).join(',')}]`;
}

/** Precomputed constants of a discrete family. */
export class DiscreteFamily {
  readonly levels: Float64Array;
  readonly logPrior: Float64Array;
  /** Levels exactly [−1, 0, 1] (any prior): moments by the closed form of the kernels' `ternaryMoments`. */
  readonly ternary: boolean;
  /** For ternary levels: (π₋, π₀, π₊, log π₋, log π₀, log π₊), the constants of `ternaryMoments`. */
  readonly ternaryConstants: Float64Array | null;
  private readonly prior: Float64Array;
  private readonly w: Float64Array;

  constructor(kind: DiscreteWeights) {
    this.levels = Float64Array.from(kind.levels);
    this.prior = Float64Array.from(kind.prior ?? kind.levels.map(() => 1 / kind.levels.length));
    this.logPrior = Float64Array.from(this.prior, Math.log);
    this.w = new Float64Array(kind.levels.length);
    const L = this.levels;
    this.ternary = L.length === 3 && L[0] === -1 && L[1] === 0 && L[2] === 1;
    this.ternaryConstants = this.ternary ? Float64Array.from([...this.prior, ...this.logPrior]) : null;
  }

  /**
   * Moments of q(s) ∝ π(s)e^{h s} for h[i], i in [off, off+n): mean Σ s q(s), variance Σ (s − mean)² q(s)
   * (two-pass, never negative), most probable level argmax_s [log π(s) + h s] (ties go to the larger level,
   * as sign(0) = +1 does for binary weights). Stable: exponents are shifted by their maximum (log-sum-exp).
   */
  moments(h: Float64Array, mean: Float64Array, variance: Float64Array, map: Float64Array, off: number, n: number): void {
    if (this.ternaryConstants) jsTernaryMoments.range(h, mean, variance, map, off, n, this.ternaryConstants);
    else for (let i = off, e = off + n; i < e; i++) this.one(h, mean, variance, map, i);
  }

  /** Same as {@link moments} for the entries off + cols[t], t < count. */
  momentsAt(h: Float64Array, mean: Float64Array, variance: Float64Array, map: Float64Array, off: number, cols: Int32Array, count: number): void {
    if (this.ternaryConstants) jsTernaryMoments.at(h, mean, variance, map, off, cols, count, this.ternaryConstants);
    else for (let t = 0; t < count; t++) this.one(h, mean, variance, map, off + cols[t]);
  }

  private one(h: Float64Array, mean: Float64Array, variance: Float64Array, map: Float64Array, i: number): void {
    const { levels, logPrior, w } = this;
    const M = levels.length;
    const x = h[i];
    let amax = -Infinity;
    let best = 0;
    for (let s = 0; s < M; s++) {
      const a = logPrior[s] + x * levels[s];
      w[s] = a;
      if (a >= amax) {
        amax = a;
        best = s;
      }
    }
    let Z = 0;
    let S1 = 0;
    for (let s = 0; s < M; s++) {
      const ws = Math.exp(w[s] - amax);
      w[s] = ws;
      Z += ws;
      S1 += ws * levels[s];
    }
    const m = S1 / Z;
    let V = 0;
    for (let s = 0; s < M; s++) {
      const d = levels[s] - m;
      V += w[s] * d * d;
    }
    mean[i] = m;
    variance[i] = V / Z;
    map[i] = levels[best];
  }
}
