/**
 * Batch normalisation over the rows of a minibatch (PyTorch `BatchNorm1d` semantics), float64 loops.
 *
 * Training mode, per column n over the B rows:  μ = Σ a / B,  σ² = Σ (a − μ)² / B (biased),
 *   x̂ = (a − μ)·r with r = 1/√(σ² + ε),   z = γ·x̂ + β;
 * running statistics:  mean ← (1 − momentum)·mean + momentum·μ,  var ← (1 − momentum)·var + momentum·σ²·B/(B − 1).
 * Inference mode is the affine map z = a·scale + shift with scale = γ/√(var + ε), shift = β − mean·scale
 * (running statistics).
 */

// The training-mode loops are hot: they live with the other STE kernels (src/kernels/ste-js.ts, the JS twin of
// wasm/ste_kernels.c's bn_forward/bn_backward) and are re-exported here, where the formulas are documented.
export { bnForwardTrain, bnBackward } from '../kernels/ste-js';

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
