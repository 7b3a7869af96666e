import { ArgumentError } from '../errors';

/**
 * Kinds of weight posterior (spec §3):
 * - `'binary'`: W ∈ {−1, +1}, q(W) ∝ exp(h·W); mean tanh h, variance sech² h.
 * - `'gaussian'`: W ~ N(h, s2) with fixed s2 = `weightVariance`; mean h, variance s2.
 */
export type WeightKind = 'binary' | 'gaussian';

export function assertWeightKind(w: unknown): asserts w is WeightKind {
  if (w !== 'binary' && w !== 'gaussian') {
    throw new ArgumentError(`invalid argument. \`weights\` must be 'binary' or 'gaussian'. Value: \`${JSON.stringify(w)}\`.`);
  }
}

/**
 * Binary-weight moments of fields h[start..end): mean = tanh h, variance = sech² h, most probable
 * weight sign h (sign(0) = +1), computed from
 * e = exp(−2|h|) so that sech² keeps full relative precision for large |h| (spec §11.4).
 */
export function binaryMoments(
  h: Float64Array, mean: Float64Array, variance: Float64Array, map: Float64Array, start: number, end: number,
): void {
  for (let i = start; i < end; i++) {
    const x = h[i];
    const e = expNegative(-2 * Math.abs(x));
    const r = 1 / (1 + e);
    const t = (1 - e) * r;
    const s = x < 0 ? -1 : 1;
    mean[i] = s * t;
    variance[i] = 4 * e * r * r;
    map[i] = s;
  }
}

/** Same as {@link binaryMoments} for the entries h[offset + cols[t]], t < count. */
export function binaryMomentsAt(
  h: Float64Array, mean: Float64Array, variance: Float64Array, map: Float64Array, offset: number, cols: Int32Array, count: number,
): void {
  for (let t = 0; t < count; t++) {
    const i = offset + cols[t];
    const x = h[i];
    const e = expNegative(-2 * Math.abs(x));
    const r = 1 / (1 + e);
    const s = x < 0 ? -1 : 1;
    mean[i] = s * ((1 - e) * r);
    variance[i] = 4 * e * r * r;
    map[i] = s;
  }
}

// exp(x) for x ≤ 0 by table reduction (x = (64k' + j)·ln2/64 + r, |r| ≤ ln2/128) and a degree-6 polynomial:
// within 2 ulp of Math.exp, about twice as fast, and the moment refresh is the trainer's largest per-weight cost.
const EXP_TABLE = new Float64Array(64);
for (let j = 0; j < 64; j++) EXP_TABLE[j] = Math.pow(2, j / 64);
const POW2_OFFSET = 1100;
const POW2 = new Float64Array(POW2_OFFSET + 1);
for (let e = -POW2_OFFSET; e <= 0; e++) POW2[e + POW2_OFFSET] = Math.pow(2, e);
const ROUND_SHIFT = 6755399441055744; // 1.5·2^52: adding and subtracting rounds to an integer
const INV_LN2_64 = 64 / Math.LN2;
const LN2_64_HI = 6.93147180369123816490e-1 / 64; // ln 2 split so kf·LN2_64_HI is exact
const LN2_64_LO = 1.90821492927058770002e-10 / 64;

/** exp(x) for x ≤ 0, fast; exact-zero below −745. */
export function expNegative(x: number): number {
  if (x < -708) return Math.exp(x); // subnormal range: leave it to the library
  const kf = x * INV_LN2_64 + ROUND_SHIFT - ROUND_SHIFT;
  const k = kf | 0;
  const r = x - kf * LN2_64_HI - kf * LN2_64_LO;
  const p = 1 + r * (1 + r * (0.5 + r * (1 / 6 + r * (1 / 24 + r * (1 / 120 + r * (1 / 720))))));
  return EXP_TABLE[k & 63] * POW2[(k >> 6) + POW2_OFFSET] * p;
}
