/**
 * Standard normal distribution helpers for the EBP inner loop: density φ, distribution Φ, log Φ
 * and the inverse Mills ratio φ/Φ, all accurate (relative) in the lower tail.
 *
 * Identities used (t = −z/√2):
 *   Φ(z)       = erfc(t)/2 = exp(−z²/2)·erfcx(t)/2
 *   log Φ(z)   = log(erfcx(t)/2) − z²/2                    (z < 0)
 *   log Φ(z)   = log1p(−Φ(−z))                             (z ≥ 0)
 *   φ(z)/Φ(z)  = √(2/π) / erfcx(t)                         (z < 0)
 *
 * exp(−z²/2) is evaluated with z² carried exactly as p + e (Veltkamp/Dekker two-product, p = fl(z²)):
 * exp(−z²/2) = exp(−p/2)·(1 − e/2) to within (e/2)², with a single call to exp. A plain
 * exp(−z*z/2) (or erfc of the rounded −z/√2) would carry a relative error of about z²·2⁻⁵³, i.e.
 * ~1e-13 at z = −37. See docs/numerics.md.
 */
import { erf, erfcx, erfcxTail } from './erf';

const SQRT1_2 = Math.SQRT1_2;
// 1/√(2π)
const INV_SQRT_2PI = 0.3989422804014327;
// √(2/π)
const SQRT_2_OVER_PI = 0.7978845608028654;
// √(2π)/2 = √(π/2)
const HALF_SQRT_2PI = 1.2533141373155003;
// −z/√2 > 0.46875 (beyond Cody's first interval) for z < −Z_TAIL.
const Z_TAIL = 0.6629126073623883;
// φ(z) and Φ(−|z|) are exactly 0 in float64 for |z| > 38.6; 40 leaves margin.
const Z_ZERO = 40;
// Φ(z) = 1 in float64 for z > 8.3.
const Z_ONE = 9;
// Below this z, φ/Φ = −z·(1 + 1/z² + O(z⁻⁴)) equals −z to the last bit.
const Z_RATIO_ASYMPTOTE = -1e9;
// 2²⁷ + 1: Veltkamp's splitting constant for float64.
const SPLITTER = 134217729;

/**
 * f·exp(−z²/2) for |z| ≤ 40 without rounding error in the exponent: z² = p + e exactly
 * (Dekker), exp(−z²/2) = exp(−p/2)·exp(−e/2) with |e/2| ≤ 2⁻⁵³·p/2 < 1e-13, so exp(−e/2) =
 * 1 − e/2 to double precision. The small factors are multiplied first so a subnormal result is
 * rounded once.
 */
function scaledExpNegHalfSq(z: number, f: number): number {
  const p = z * z;
  const c = SPLITTER * z;
  const hi = c - (c - z);
  const lo = z - hi;
  const e = hi * hi - p + 2 * hi * lo + lo * lo;
  return Math.exp(-0.5 * p) * (f * (1 - 0.5 * e));
}

/** Standard normal density φ(z) = exp(−z²/2)/√(2π). */
export function normPdf(z: number): number {
  const a = Math.abs(z);
  if (a <= Z_ZERO) return scaledExpNegHalfSq(a, INV_SQRT_2PI);
  if (a === a) return 0;
  return NaN;
}

/** Standard normal distribution function Φ(z), relatively accurate in the lower tail. */
export function normCdf(z: number): number {
  if (z < -Z_TAIL) {
    if (z < -Z_ZERO) return 0;
    return scaledExpNegHalfSq(z, 0.5 * erfcxTail(-z * SQRT1_2));
  }
  if (z <= Z_TAIL) return 0.5 + 0.5 * erf(z * SQRT1_2);
  // 1 − Φ(−z); Φ(−z) < 2⁻⁵⁴ (so Φ(z) rounds to 1) beyond z ≈ 8.3.
  if (z < Z_ONE) return 1 - scaledExpNegHalfSq(z, 0.5 * erfcxTail(z * SQRT1_2));
  if (z === z) return 1;
  return NaN;
}

/**
 * log Φ(z). Finite for every finite z down to about −1.9e154 (below that −z²/2 itself overflows
 * float64), −∞ at −∞; relatively accurate near 0 for large z as well (log Φ(z) ≈ −Φ(−z)).
 */
export function logNormCdf(z: number): number {
  if (z < 0) {
    return Math.log(0.5 * erfcx(-z * SQRT1_2)) - 0.5 * z * z;
  }
  // 0 − q keeps the result +0 (not −0) where Φ(−z) underflows.
  return Math.log1p(0 - normCdf(-z));
}

/**
 * The inverse Mills ratio φ(z)/Φ(z). Finite for every finite z; tends to −z as z → −∞ (+∞ at −∞)
 * and to φ(z) → 0 as z → +∞.
 */
export function normPdfOverCdf(z: number): number {
  if (z < 0) {
    if (z < Z_RATIO_ASYMPTOTE) return -z;
    return SQRT_2_OVER_PI / erfcx(-z * SQRT1_2);
  }
  // z ≥ 0: φ(z) / (1 − Φ(−z)); Φ(z) ∈ [½, 1], so no cancellation.
  if (z > Z_ZERO) return 0;
  const t = z * SQRT1_2;
  if (z <= Z_TAIL) return normPdf(z) / (0.5 + 0.5 * erf(t));
  const phi = scaledExpNegHalfSq(z, INV_SQRT_2PI);
  // Φ(−z) = exp(−z²/2)·erfcx(t)/2 = φ(z)·√(π/2)·erfcx(t): reuse φ.
  return phi / (1 - phi * HALF_SQRT_2PI * erfcxTail(t));
}
