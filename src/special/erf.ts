/**
 * Error function family in float64: erf, erfc and the scaled complementary error function
 * erfcx(x) = exp(x²)·erfc(x).
 *
 * Method: rational Chebyshev approximations of W. J. Cody (CALERF), three intervals on y = |x|:
 *
 *  - y ≤ 0.46875:   erf(x)  = x · R₁(x²)                       (A/B coefficients)
 *  - 0.46875 < y ≤ 4: erfcx(y) = R₂(y)                          (C/D coefficients)
 *  - y > 4:         erfcx(y) = (1/√π − R₃(1/y²)/y²) / y          (P/Q coefficients)
 *
 * erfc(y) for y > 0.46875 is erfcx(y)·exp(−y²), with exp(−y²) evaluated as
 * exp(−ysq²)·exp(−(y − ysq)(y + ysq)), ysq = trunc(16y)/16: ysq² is exact, so the large part of
 * the exponent carries no rounding error (a plain exp(−y*y) would lose ~2y²·2⁻⁵³ relative).
 * Negative arguments use erf(−x) = −erf(x), erfc(−x) = 2 − erfc(x) and
 * erfcx(−x) = 2·exp(x²) − erfcx(x). See docs/numerics.md for measured accuracy.
 *
 * These functions sit in the EBP inner loop: plain functions of one number, no allocation.
 *
 * ## Notice
 * The approximations and coefficients are from W. J. Cody, "Rational Chebyshev approximations for
 * the error function", Math. Comp. 23 (1969) 631–637, as implemented in the CALERF routine of
 * Cody's SPECFUN package (Netlib, https://www.netlib.org/specfun/erf; Argonne National
 * Laboratory, public domain). This is a hand translation to TypeScript with changed handling of
 * the extreme ranges (no XBIG/XMAX cut-offs: gradual underflow and overflow are kept).
 */

// 1/√π
const SQRPI = 5.6418958354775628695e-1;
const THRESH = 0.46875;
const SIXTEEN = 16;
// Below this |x|, x² is not needed in the first interval (x·A₄/B₄ is already exact to rounding).
const XSMALL = 1.11e-16;
// erf(x) rounds to ±1 for |x| ≥ 5.93 (erfc < 2⁻⁵⁴); 6 is safely past that.
const ERF_ONE = 6;
// erfc(x) is below half the smallest subnormal for x > 27.23; exp(−x²) underflows fully there.
const ERFC_ZERO = 27.3;
// For x ≥ XHUGE the correction term R₃/y² is below one ulp of 1/√π: erfcx(x) = 1/(x√π).
const XHUGE = 6.71e7;
// erfcx(x) for x < −26.6290 is 2·exp(x²) > DBL_MAX; past −27 it overflows for certain.
const ERFCX_NEG_OVERFLOW = -27;

// Cody's three coefficient tables (data, not code: their same-shape lines are what `duplicates` reports).
// Coefficients for erf on |x| ≤ 0.46875.
const A0 = 3.1611237438705656;
const A1 = 113.864154151050156;
const A2 = 377.485237685302021;
const A3 = 3209.37758913846947;
const A4 = 0.185777706184603153;
const B0 = 23.6012909523441209;
const B1 = 244.024637934444173;
const B2 = 1282.61652607737228;
const B3 = 2844.23683343917062;

// Coefficients for erfcx on 0.46875 < x ≤ 4.
const C0 = 0.564188496988670089;
const C1 = 8.88314979438837594;
const C2 = 66.1191906371416295;
const C3 = 298.635138197400131;
const C4 = 881.95222124176909;
const C5 = 1712.04761263407058;
const C6 = 2051.07837782607147;
const C7 = 1230.33935479799725;
const C8 = 2.15311535474403846e-8;
const D0 = 15.7449261107098347;
const D1 = 117.693950891312499;
const D2 = 537.181101862009858;
const D3 = 1621.38957456669019;
const D4 = 3290.79923573345963;
const D5 = 4362.61909014324716;
const D6 = 3439.36767414372164;
const D7 = 1230.33935480374942;

// Coefficients for erfcx on x > 4 (in 1/x²).
const P0 = 0.305326634961232344;
const P1 = 0.360344899949804439;
const P2 = 0.125781726111229246;
const P3 = 0.0160837851487422766;
const P4 = 6.58749161529837803e-4;
const P5 = 0.0163153871373020978;
const Q0 = 2.56852019228982242;
const Q1 = 1.87295284992346047;
const Q2 = 0.527905102951428412;
const Q3 = 0.0605183413124413191;
const Q4 = 2.33520497626869185e-3;

/** erf(x) / x on |x| ≤ 0.46875, as a function of s = x² (Cody's first interval). */
function erfOverX(s: number): number {
  const num = (((A4 * s + A0) * s + A1) * s + A2) * s + A3;
  const den = (((s + B0) * s + B1) * s + B2) * s + B3;
  return num / den;
}

/**
 * erfcx(y) = exp(y²)·erfc(y) for y > 0.46875 (finite or +∞). Internal: no NaN check, y must be
 * positive and beyond the first interval. Exported for the normal-distribution module.
 * @internal
 */
export function erfcxTail(y: number): number {
  if (y <= 4) {
    const num = (((((((C8 * y + C0) * y + C1) * y + C2) * y + C3) * y + C4) * y + C5) * y + C6) * y + C7;
    const den = (((((((y + D0) * y + D1) * y + D2) * y + D3) * y + D4) * y + D5) * y + D6) * y + D7;
    return num / den;
  }
  if (y >= XHUGE) return SQRPI / y; // 0 at +∞
  const s = 1 / (y * y);
  const num = ((((P5 * s + P0) * s + P1) * s + P2) * s + P3) * s + P4;
  const den = ((((s + Q0) * s + Q1) * s + Q2) * s + Q3) * s + Q4;
  return (SQRPI - (s * num) / den) / y;
}

/**
 * erfc(y) for 0.46875 < y < ERFC_ZERO: exp(−y²)·erfcx(y) with the exponent split so that the
 * large part is exact. The product is formed small-factor-first so that results in the subnormal
 * range are rounded only once.
 */
function erfcTail(y: number): number {
  const ysq = Math.trunc(y * SIXTEEN) / SIXTEEN;
  const del = (y - ysq) * (y + ysq);
  return Math.exp(-ysq * ysq) * (Math.exp(-del) * erfcxTail(y));
}

/** The error function erf(x) = 2/√π ∫₀ˣ exp(−t²) dt. erf(−0) = −0, erf(±∞) = ±1, NaN → NaN. */
export function erf(x: number): number {
  const y = Math.abs(x);
  if (y <= THRESH) {
    return x * erfOverX(y > XSMALL ? y * y : 0);
  }
  if (y < ERF_ONE) {
    // Cody writes (0.5 − erfc) + 0.5 (for machines without a guard digit); in IEEE arithmetic
    // that double-rounds (e.g. erf(5.9) → 1 instead of 1 − 2⁻⁵³), while 1 − erfc rounds once.
    const r = 1 - erfcTail(y);
    return x < 0 ? -r : r;
  }
  if (y === y) return x < 0 ? -1 : 1;
  return NaN;
}

/** The complementary error function erfc(x) = 1 − erf(x), accurate in the right tail. */
export function erfc(x: number): number {
  const y = Math.abs(x);
  if (y <= THRESH) {
    return 1 - x * erfOverX(y > XSMALL ? y * y : 0);
  }
  if (y < ERFC_ZERO) {
    const r = erfcTail(y);
    return x < 0 ? 2 - r : r;
  }
  if (y === y) return x < 0 ? 2 : 0;
  return NaN;
}

/**
 * The scaled complementary error function erfcx(x) = exp(x²)·erfc(x). For large x it tends to
 * 1/(x√π) (finite for every finite x > 0, 0 at +∞); for negative x it is 2·exp(x²) − erfcx(−x),
 * which overflows to +∞ for x below about −26.629 (where the true value exceeds DBL_MAX).
 */
export function erfcx(x: number): number {
  const y = Math.abs(x);
  if (y <= THRESH) {
    const s = y > XSMALL ? y * y : 0;
    return Math.exp(s) * (1 - x * erfOverX(s));
  }
  if (x > 0) return erfcxTail(x);
  if (x >= ERFCX_NEG_OVERFLOW) {
    const ysq = Math.trunc(y * SIXTEEN) / SIXTEEN;
    const del = (y - ysq) * (y + ysq);
    const e = Math.exp(ysq * ysq) * Math.exp(del);
    return e + e - erfcxTail(y);
  }
  if (x < ERFCX_NEG_OVERFLOW) return Infinity;
  return NaN;
}
