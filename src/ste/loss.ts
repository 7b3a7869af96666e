/**
 * The output losses of the STE trainer, on the output layer's values z (row-major [B, K]).
 *
 * `'squared-hinge'` (BNN's loss): targets t ∈ {−1, +1} (one-hot ±1; with a single output, +1 for class 1 and −1
 *   for class 0), L = 1/(B·K) · Σ max(0, 1 − t·z)²  (PyTorch `.mean()` over all B·K entries),
 *   ∂L/∂z = −2·t·max(0, 1 − t·z)/(B·K).
 * `'softmax-ce'`: L = 1/B · Σ_rows (log Σ_k exp z_k − z_label),  ∂L/∂z = (softmax(z) − onehot)/B  (K ≥ 2).
 */
export type SteLoss = 'squared-hinge' | 'softmax-ce';

/** Writes ∂L/∂z into dz and returns L (the batch mean as defined above). */
export function lossAndGradient(kind: SteLoss, z: Float64Array, labels: Int32Array, rows: Int32Array | null, B: number, K: number, dz: Float64Array): number {
  let total = 0;
  if (kind === 'squared-hinge') {
    const scale = 1 / (B * K);
    for (let m = 0; m < B; m++) {
      const label = labels[rows === null ? m : rows[m]];
      for (let k = 0; k < K; k++) {
        const t = K === 1 ? (label === 1 ? 1 : -1) : k === label ? 1 : -1;
        const i = m * K + k;
        const h = 1 - t * z[i];
        if (h > 0) {
          total += h * h;
          dz[i] = -2 * t * h * scale;
        } else {
          dz[i] = 0;
        }
      }
    }
    return total * scale;
  }
  const inv = 1 / B;
  for (let m = 0; m < B; m++) {
    const label = labels[rows === null ? m : rows[m]];
    const o = m * K;
    let mx = -Infinity;
    for (let k = 0; k < K; k++) if (z[o + k] > mx) mx = z[o + k];
    let s = 0;
    for (let k = 0; k < K; k++) s += Math.exp(z[o + k] - mx);
    const lse = mx + Math.log(s);
    total += lse - z[o + label];
    for (let k = 0; k < K; k++) dz[o + k] = (Math.exp(z[o + k] - lse) - (k === label ? 1 : 0)) * inv;
  }
  return total * inv;
}
