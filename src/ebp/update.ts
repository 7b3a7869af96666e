/**
 * The EBP step (spec §3–§6): forward pass, log Z and the deltas (§4–§5), the summed increments (§6).
 * `ebpStep` is the validated public entry point; `stepBatch` is the one step that it and EbpTrainer run.
 */
import { logNormCdf, normPdfOverCdf } from '../special';
import type { Matrix } from '../tensor/matrix';
import { REFRESH_NONE } from '../kernels/ebp';
import { loadStep } from './batch';
import { forwardBatch } from './forward';
import { biasUpdate } from './parallel';
import type { PosteriorStore } from './posterior';
import type { Workspace } from './workspace';

/** What {@link ebpStep} returns. */
export interface StepResult {
  /** log Z = Σ over the batch and outputs of log Φ(y_k μ̄_k/σ̄_k), before the update (spec §4). */
  logMarginal: number;
}

/**
 * One EBP step on a minibatch (spec §§3–6): mean-field forward pass, backward deltas with the old
 * means and σ̄ held fixed, then increments summed over the batch added to the field h (binary),
 * the mean (Gaussian, times s2) and the bias. The store is updated in place. No learning rate.
 *
 * @param X inputs [batch, K_0]
 * @param Y targets in {−1, +1}, [batch, K_L]
 */
export function ebpStep(store: PosteriorStore, X: Matrix, Y: Matrix): StepResult {
  const { ws, B } = loadStep(store, X, Y);
  return { logMarginal: stepBatch(store, ws, B) };
}

/**
 * @internal The EBP step on the first B rows of ws.x / ws.y; returns log Z. `observe(ws, B)` runs
 * after the forward pass, before anything changes (the trainer's online error of §7 step 2).
 */
export function stepBatch(store: PosteriorStore, ws: Workspace, B: number, observe?: (ws: Workspace, B: number) => void): number {
  forwardBatch(store, ws, B, true);
  observe?.(ws, B);
  const logZ = backward(store, ws, B);
  update(store, ws, B);
  return logZ;
}

/**
 * @internal §4–§5 after a forwardBatch with `backward` set: log Z (returned) and the deltas d log Z / dμ̄
 * of every layer into ws.layers[l].delta, with the means from before the update.
 */
export function backward(store: PosteriorStore, ws: Workspace, B: number): number {
  const logZ = outputDeltas(store, ws, B);
  const L = store.layers.length;
  // δ_{l−1} = 2N(0|μ̄,σ̄²) · (Σ_k ⟨W_kj⟩ δ_k) / √(K+1) (§5).
  for (let l = L - 1; l >= 1; l--) {
    const { mean, inputs: K, outputs: Kout } = store.layers[l];
    const below = ws.layers[l - 1];
    ws.kernels.backwardHidden(mean, K, Kout, ws.layers[l].delta, below.dmu, below.delta, B, Math.sqrt(K + 1));
  }
  return logZ;
}

/** @internal §4 and the output deltas δ_L of the first B rows (after a forwardBatch); returns log Z. */
export function outputDeltas(store: PosteriorStore, ws: Workspace, B: number): number {
  const L = store.layers.length;
  const { ubar, sigma2, delta } = ws.layers[L - 1];
  const y = ws.y;
  let logZ = 0;
  for (let i = 0, n = B * store.sizes[L]; i < n; i++) {
    const sigma = Math.sqrt(sigma2[i]);
    const zy = (y[i] * ubar[i]) / sigma;
    logZ += logNormCdf(zy); // §4
    // δ_L = y N(0|μ̄,σ̄²)/Φ(y z) = y φ(zy)/Φ(zy)/σ̄, in a form that stays finite for zy → −∞ (§11.1).
    delta[i] = (y[i] * normPdfOverCdf(zy)) / sigma;
  }
  return logZ;
}

/**
 * §6: add the increments summed over the batch, Σ_n δ_k μ_j / √(K+1), to h (binary and discrete weights;
 * Gaussian means: times s2) and Σ_n δ_k / √(K+1) to b, and refresh the cached moments of the touched weights.
 */
function update(store: PosteriorStore, ws: Workspace, B: number): void {
  const scale = store.weights === 'gaussian' ? store.weightVariance : 1;
  // The kernels refresh binary and ternary moments; other discrete levels are refreshed here.
  const { refreshKind, ternaryPrior } = store;
  const discrete = refreshKind === REFRESH_NONE ? store.discrete : null;
  const kern = ws.kernels;
  for (let l = 0; l < store.layers.length; l++) {
    const { h, b, mean, variance, map, inputs: K, outputs: Kout } = store.layers[l];
    const c = Math.sqrt(K + 1);
    const d = ws.layers[l].delta;
    biasUpdate(b, d, B, Kout, c, 0, Kout);
    if (l === 0 && ws.sparse) {
      const count = ws.unionOfColumns(B);
      kern.updateSparse(h, mean, variance, map, K, Kout, d, ws.nzStart, ws.nzIdx, ws.nzVal, B, ws.union, count, c, scale, refreshKind, ternaryPrior);
      if (discrete) for (let k = 0; k < Kout; k++) discrete.momentsAt(h, mean, variance, map, k * K, ws.union, count);
    } else {
      const muIn = l === 0 ? ws.x : ws.layers[l - 1].muOut;
      kern.updateDense(h, mean, variance, map, K, Kout, d, muIn, B, ws.scratch, c, scale, refreshKind, ternaryPrior);
      if (discrete) discrete.moments(h, mean, variance, map, 0, K * Kout);
    }
  }
}
