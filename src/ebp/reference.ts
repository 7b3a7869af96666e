/**
 * `ebpGradients`, the slow reference of the EBP update (spec §6): the gradients of log Z as explicit
 * matrices, summed over the batch in plain loops, without touching the store. Its forward pass and
 * deltas (§3–§5) are the step's own (`forwardBatch`, `backward`), so its log Z is ebpStep's bit for bit
 * on either backend. The update kernels (TypeScript and WebAssembly, dense and sparse, every weight
 * kind) are tested against it in tests/unit/kernels/ebp-reference.test.ts, as the STE kernels are
 * tested against their naive loops; the forward and backward kernels are tested against the golden
 * vectors, finite differences of log Z, and WebAssembly against TypeScript (ebp-kernels.test.ts).
 */
import ndarray from 'ndarray';
import type { Matrix } from '../tensor/matrix';
import { loadStep } from './batch';
import { forwardBatch } from './forward';
import type { PosteriorStore } from './posterior';
import { backward } from './update';
import type { Workspace } from './workspace';

/** What {@link ebpGradients} returns: log Z of the batch and its derivatives (the slow reference for the EBP step). */
export interface Gradients {
  logMarginal: number;
  /** δ_l = d log Z / dμ̄_l per layer, [batch, K_l] (spec §5). */
  delta: Matrix[];
  /** d log Z / d⟨W_l⟩ summed over the batch, [K_l, K_{l−1}]. */
  gradMean: Matrix[];
  /** d log Z / d b_l summed over the batch, [K_l]. */
  gradBias: Float64Array[];
}

/**
 * Slow reference: the deltas and the gradients of log Z with respect to the weight means and biases
 * (σ̄ held fixed), without changing the store. {@link ebpStep} adds exactly these gradients (times s2
 * for Gaussian weights) to h and b, in place, with the fast update kernels.
 */
export function ebpGradients(store: PosteriorStore, X: Matrix, Y: Matrix): Gradients {
  const { ws, B } = loadStep(store, X, Y);
  return gradientsOf(store, ws, B);
}

/** The reference on the first B rows of ws.x / ws.y. */
function gradientsOf(store: PosteriorStore, ws: Workspace, B: number): Gradients {
  forwardBatch(store, ws, B, true);
  const logMarginal = backward(store, ws, B);
  const delta: Matrix[] = [];
  const gradMean: Matrix[] = [];
  const gradBias: Float64Array[] = [];
  for (let l = 0; l < store.layers.length; l++) {
    const { inputs: K, outputs: Kout } = store.layers[l];
    const d = ws.layers[l].delta.slice(0, B * Kout);
    const g = increments(d, l === 0 ? ws.x : ws.layers[l - 1].muOut, B, K, Kout);
    delta.push(ndarray(d, [B, Kout]));
    gradMean.push(ndarray(g.mean, [Kout, K]));
    gradBias.push(g.bias);
  }
  return { logMarginal, delta, gradMean, gradBias };
}

/** §6 before the scale s2: d log Z/d⟨W_kj⟩ = Σ_n δ_nk μ_nj / √(K+1), d log Z/d b_k = Σ_n δ_nk / √(K+1). */
function increments(d: Float64Array, muIn: Float64Array, B: number, K: number, Kout: number): { mean: Float64Array; bias: Float64Array } {
  const c = Math.sqrt(K + 1);
  const mean = new Float64Array(Kout * K);
  const bias = new Float64Array(Kout);
  for (let k = 0; k < Kout; k++) {
    let sb = 0;
    for (let n = 0; n < B; n++) {
      const dk = d[n * Kout + k];
      sb += dk;
      for (let j = 0; j < K; j++) mean[k * K + j] += dk * muIn[n * K + j];
    }
    bias[k] = sb / c;
    for (let j = 0; j < K; j++) mean[k * K + j] /= c;
  }
  return { mean, bias };
}
