import { ArgumentError } from '../errors';

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
  if (!(zeroPrior > 0 && zeroPrior < 1)) {
    throw new ArgumentError(`invalid argument. The prior of the zero level must be in (0, 1). Value: \`${zeroPrior}\`.`);
  }
  return { levels: [-1, 0, 1], prior: [(1 - zeroPrior) / 2, zeroPrior, (1 - zeroPrior) / 2] };
}

/** Validate a weight kind and return its canonical form (discrete: levels ascending, prior normalised, frozen). */
export function normalizeWeightKind(w: unknown): WeightKind {
  if (w === 'binary' || w === 'gaussian') return w;
  if (typeof w !== 'object' || w === null || !Array.isArray((w as DiscreteWeights).levels)) {
    throw new ArgumentError(
      `invalid argument. \`weights\` must be 'binary', 'gaussian' or { levels: number[], prior?: number[] }. Value: \`${JSON.stringify(w)}\`.`,
    );
  }
  const { levels, prior } = w as DiscreteWeights;
  if (levels.length < 2 || levels.some((s) => typeof s !== 'number' || !Number.isFinite(s))) {
    throw new ArgumentError(`invalid argument. \`weights.levels\` must hold at least two finite numbers. Value: \`${JSON.stringify(levels)}\`.`);
  }
  const p = prior ?? levels.map(() => 1);
  if (p.length !== levels.length || p.some((x) => typeof x !== 'number' || !(x > 0) || !Number.isFinite(x))) {
    throw new ArgumentError(
      `invalid argument. \`weights.prior\` must hold one positive finite number per level (${levels.length}). Value: \`${JSON.stringify(prior)}\`.`,
    );
  }
  const order = levels.map((_, i) => i).sort((a, b) => levels[a] - levels[b]);
  const sorted = order.map((i) => levels[i]);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i] === sorted[i - 1]) throw new ArgumentError(`invalid argument. \`weights.levels\` must be distinct; ${sorted[i]} appears twice.`);
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
  /** Levels exactly [−1, 0, 1] (any prior): moments by the closed form of {@link DiscreteFamily.oneTernary}. */
  readonly ternary: boolean;
  private readonly prior: Float64Array;
  private readonly w: Float64Array;

  constructor(kind: DiscreteWeights) {
    this.levels = Float64Array.from(kind.levels);
    this.prior = Float64Array.from(kind.prior ?? kind.levels.map(() => 1 / kind.levels.length));
    this.logPrior = Float64Array.from(this.prior, Math.log);
    this.w = new Float64Array(kind.levels.length);
    const L = this.levels;
    this.ternary = L.length === 3 && L[0] === -1 && L[1] === 0 && L[2] === 1;
  }

  /**
   * Moments of q(s) ∝ π(s)e^{h s} for h[i], i in [off, off+n): mean Σ s q(s), variance Σ (s − mean)² q(s)
   * (two-pass, never negative), most probable level argmax_s [log π(s) + h s] (ties go to the larger level,
   * as sign(0) = +1 does for binary weights). Stable: exponents are shifted by their maximum (log-sum-exp).
   */
  moments(h: Float64Array, mean: Float64Array, variance: Float64Array, map: Float64Array, off: number, n: number): void {
    if (this.ternary) for (let i = off, e = off + n; i < e; i++) this.oneTernary(h, mean, variance, map, i);
    else for (let i = off, e = off + n; i < e; i++) this.one(h, mean, variance, map, i);
  }

  /** Same as {@link moments} for the entries off + cols[t], t < count. */
  momentsAt(h: Float64Array, mean: Float64Array, variance: Float64Array, map: Float64Array, off: number, cols: Int32Array, count: number): void {
    if (this.ternary) for (let t = 0; t < count; t++) this.oneTernary(h, mean, variance, map, off + cols[t]);
    else for (let t = 0; t < count; t++) this.one(h, mean, variance, map, off + cols[t]);
  }

  /**
   * Levels [−1, 0, 1] with prior (π₋, π₀, π₊): one exp per weight instead of three. With E = e^{−|h|} ≤ 1
   * the weights π(s)e^{h s} divided by e^{|h|} are, for h ≥ 0, w₊ = π₊, w₀ = π₀E, w₋ = π₋E² (mirrored for
   * h < 0): all in [0, 1], so no shift by the maximum is needed. mean = (w₊ − w₋)/Z; the variance is
   * Σ w_s (s − mean)²/Z with 1 − mean = (w₀ + 2w₋)/Z and 1 + mean = (w₀ + 2w₊)/Z written without the
   * cancellation of 1 − mean near mean = 1 (a sum of non-negative terms, so never negative). The most
   * probable level is decided by the same comparisons of log π(s) + h s as in the general case.
   */
  private oneTernary(h: Float64Array, mean: Float64Array, variance: Float64Array, map: Float64Array, i: number): void {
    const { logPrior, prior } = this;
    const x = h[i];
    const aM = logPrior[0] - x;
    const a0 = logPrior[1];
    const aP = logPrior[2] + x;
    // argmax with ties to the larger level, as the scan of `one` (a >= amax)
    map[i] = aP >= a0 && aP >= aM ? 1 : a0 >= aM ? 0 : -1;
    const E = Math.exp(x < 0 ? x : -x);
    const w0 = prior[1] * E;
    let wP: number;
    let wM: number;
    if (x >= 0) {
      wP = prior[2];
      wM = prior[0] * E * E;
    } else {
      wP = prior[2] * E * E;
      wM = prior[0];
    }
    const Z = wM + w0 + wP;
    const m = (wP - wM) / Z;
    const dP = (w0 + 2 * wM) / Z; // 1 − m
    const dM = (w0 + 2 * wP) / Z; // 1 + m
    mean[i] = m;
    variance[i] = (wP * dP * dP + w0 * m * m + wM * dM * dM) / Z;
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
