/**
 * Numeric comparison helpers for tests.
 *
 * `relErr(a, e)` is |a − e| / |e|, with the conventions: identical values (including equal
 * infinities and two NaNs) give 0; e = 0 with a ≠ 0, or exactly one NaN, gives +∞.
 *
 * `expectClose(actual, expected, { rtol, atol })` passes when actual and expected are identical
 * (Object.is, or both NaN) or when |actual − expected| ≤ atol + rtol·|expected|; defaults
 * rtol = 1e-12, atol = 0. The sign of zero is only checked when `signedZero: true`.
 */
export interface CloseOptions {
  rtol?: number;
  atol?: number;
  /** Require actual and expected zeros to have the same sign. */
  signedZero?: boolean;
  /** Prefix for the failure message (e.g. the argument). */
  label?: string;
}

export function relErr(actual: number, expected: number): number {
  if (actual === expected) return 0;
  if (Number.isNaN(actual) && Number.isNaN(expected)) return 0;
  if (Number.isNaN(actual) || Number.isNaN(expected)) return Infinity;
  if (expected === 0) return Infinity;
  return Math.abs(actual - expected) / Math.abs(expected);
}

export function isClose(actual: number, expected: number, opts: CloseOptions = {}): boolean {
  const rtol = opts.rtol ?? 1e-12;
  const atol = opts.atol ?? 0;
  if (Number.isNaN(actual) || Number.isNaN(expected)) return Number.isNaN(actual) && Number.isNaN(expected);
  if (actual === expected) return !opts.signedZero || Object.is(actual, expected);
  return Math.abs(actual - expected) <= atol + rtol * Math.abs(expected);
}

export function expectClose(actual: number, expected: number, opts: CloseOptions = {}): void {
  if (isClose(actual, expected, opts)) return;
  const rtol = opts.rtol ?? 1e-12;
  const atol = opts.atol ?? 0;
  const prefix = opts.label ? `${opts.label}: ` : '';
  throw new Error(
    `${prefix}expected ${expected} (±${atol} ± ${rtol} rel), got ${actual}; ` +
      `abs err ${Math.abs(actual - expected)}, rel err ${relErr(actual, expected)}`,
  );
}
