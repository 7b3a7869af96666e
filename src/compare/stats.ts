/** Summary statistics over seeds. */

export interface MeanStd {
  /** Arithmetic mean (NaN for no values). */
  mean: number;
  /** Sample standard deviation (divisor n − 1); 0 for a single value, NaN for none. */
  std: number;
  /** Number of values. */
  n: number;
  values: number[];
}

/** Mean and sample standard deviation of the finite values of `xs` (non-finite values are left out). */
export function meanStd(xs: readonly number[]): MeanStd {
  const values = xs.filter((x) => Number.isFinite(x));
  const n = values.length;
  if (n === 0) return { mean: NaN, std: NaN, n, values };
  let s = 0;
  for (const x of values) s += x;
  const mean = s / n;
  if (n === 1) return { mean, std: 0, n, values };
  let ss = 0;
  for (const x of values) ss += (x - mean) * (x - mean);
  return { mean, std: Math.sqrt(ss / (n - 1)), n, values };
}

/** Median of the finite values (NaN for none). */
export function median(xs: readonly number[]): number {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Element-wise mean ± std of equally long series (shorter series contribute to the indices they have). */
export function seriesMeanStd(series: readonly (readonly number[])[]): { mean: number[]; std: number[] } {
  const len = Math.max(0, ...series.map((s) => s.length));
  const mean: number[] = [];
  const std: number[] = [];
  for (let i = 0; i < len; i++) {
    const m = meanStd(series.filter((s) => i < s.length).map((s) => s[i]));
    mean.push(m.mean);
    std.push(m.std);
  }
  return { mean, std };
}
