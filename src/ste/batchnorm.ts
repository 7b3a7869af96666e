/**
 * Batch normalisation over the rows of a minibatch (PyTorch `BatchNorm1d` semantics), float64 loops.
 *
 * Training mode, per column n over the B rows:  μ = Σ a / B,  σ² = Σ (a − μ)² / B (biased),
 *   x̂ = (a − μ)·r with r = 1/√(σ² + ε),   z = γ·x̂ + β;
 * running statistics:  mean ← (1 − momentum)·mean + momentum·μ,  var ← (1 − momentum)·var + momentum·σ²·B/(B − 1).
 * Inference mode is the affine map z = a·scale + shift with scale = γ/√(var + ε), shift = β − mean·scale
 * (running statistics).
 */

/**
 * Training-mode forward. Reads a(m, n) = a[m·lda + n] for m < B, n < N; writes x̂ and z (row-major [B, N]) and the
 * batch mean, biased variance and r = 1/√(σ² + ε) per column.
 */
export function bnForwardTrain(
  a: Float32Array | Float64Array, lda: number, B: number, N: number, gamma: Float64Array, beta: Float64Array, eps: number,
  xhat: Float64Array, z: Float64Array, mean: Float64Array, varB: Float64Array, invStd: Float64Array,
): void {
  // Row-major traversal with per-column accumulators: each column's sums still run over m = 0, 1, ... in order.
  mean.fill(0);
  for (let m = 0; m < B; m++) {
    const o = m * lda;
    for (let n = 0; n < N; n++) mean[n] += a[o + n];
  }
  for (let n = 0; n < N; n++) mean[n] /= B;
  varB.fill(0);
  for (let m = 0; m < B; m++) {
    const o = m * lda;
    for (let n = 0; n < N; n++) {
      const d = a[o + n] - mean[n];
      varB[n] += d * d;
    }
  }
  for (let n = 0; n < N; n++) {
    varB[n] /= B;
    invStd[n] = 1 / Math.sqrt(varB[n] + eps);
  }
  for (let m = 0; m < B; m++) {
    const o = m * lda;
    const r = m * N;
    for (let n = 0; n < N; n++) {
      const xh = (a[o + n] - mean[n]) * invStd[n];
      xhat[r + n] = xh;
      z[r + n] = gamma[n] * xh + beta[n];
    }
  }
}

/** Running-statistics update after a training-mode forward over B ≥ 2 rows (unbiased variance, as PyTorch). */
export function bnUpdateRunning(
  runningMean: Float64Array, runningVar: Float64Array, mean: Float64Array, varB: Float64Array, B: number, momentum: number,
): void {
  const unbias = B / (B - 1);
  for (let n = 0; n < runningMean.length; n++) {
    runningMean[n] = (1 - momentum) * runningMean[n] + momentum * mean[n];
    runningVar[n] = (1 - momentum) * runningVar[n] + momentum * (varB[n] * unbias);
  }
}

/**
 * Training-mode backward: from dz (row-major [B, N]) to da (row-major [B, N]) and the parameter gradients:
 *   dβ = Σ dz,  dγ = Σ dz·x̂,  da = γ·r/B · (B·dz − dβ − x̂·dγ).
 */
export function bnBackward(
  dz: Float64Array, xhat: Float64Array, gamma: Float64Array, invStd: Float64Array, B: number, N: number,
  da: Float64Array, dgamma: Float64Array, dbeta: Float64Array,
): void {
  dbeta.fill(0);
  dgamma.fill(0);
  for (let m = 0; m < B; m++) {
    const r = m * N;
    for (let n = 0; n < N; n++) {
      const d = dz[r + n];
      dbeta[n] += d;
      dgamma[n] += d * xhat[r + n];
    }
  }
  for (let m = 0; m < B; m++) {
    const r = m * N;
    for (let n = 0; n < N; n++) {
      const i = r + n;
      da[i] = ((gamma[n] * invStd[n]) / B) * (B * dz[i] - dbeta[n] - xhat[i] * dgamma[n]);
    }
  }
}

/** The inference-mode affine map of batch normalisation: scale = γ/√(var + ε), shift = β − mean·scale. */
export function bnInferenceAffine(
  gamma: Float64Array, beta: Float64Array, runningMean: Float64Array, runningVar: Float64Array, eps: number,
  scale: Float64Array, shift: Float64Array,
): void {
  for (let n = 0; n < gamma.length; n++) {
    const s = gamma[n] / Math.sqrt(runningVar[n] + eps);
    scale[n] = s;
    shift[n] = beta[n] - runningMean[n] * s;
  }
}
