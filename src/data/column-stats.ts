// Statistics of one numeric column for fitting the preprocessing: the median, and a mean and standard
// deviation that stay finite for every finite column (issue 12: plain sums overflowed near ±1.8e308).

export function median(values: Float64Array): number {
  const s = values.slice().sort();
  const n = s.length;
  return n % 2 === 1 ? s[(n - 1) >> 1] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/**
 * Mean and (population) standard deviation of `present` and `missing` more cells of value `fill` (the
 * imputed column). Two passes of plain sums; when they overflow (finite values near ±1.8e308, whose sums or
 * squares exceed the float64 range) the same passes run on the values divided by their largest magnitude,
 * so every finite column gets finite statistics.
 */
export function meanAndStd(present: Float64Array, missing: number, fill: number): { mean: number; std: number } {
  const plain = twoPass(present, missing, fill, 1);
  if (Number.isFinite(plain.mean) && Number.isFinite(plain.std)) return plain;
  let scale = missing > 0 ? Math.abs(fill) : 0;
  for (let k = 0; k < present.length; k++) scale = Math.max(scale, Math.abs(present[k]));
  const r = twoPass(present, missing, fill, scale);
  return { mean: r.mean * scale, std: r.std * scale };
}

/** Mean and std of the values divided by `scale`. */
function twoPass(present: Float64Array, missing: number, fill: number, scale: number): { mean: number; std: number } {
  const n = present.length + missing;
  const f = fill / scale;
  let mean = 0;
  for (let k = 0; k < present.length; k++) mean += present[k] / scale;
  mean = (mean + missing * f) / Math.max(n, 1);
  let ss = 0;
  for (let k = 0; k < present.length; k++) ss += (present[k] / scale - mean) ** 2;
  ss += missing * (f - mean) ** 2;
  return { mean, std: Math.sqrt(ss / Math.max(n, 1)) };
}
