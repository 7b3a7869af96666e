import ndarray from 'ndarray';
import { ArgumentError, NumericError, ShapeError } from '../errors';
import { logNormCdf, normPdfOverCdf } from '../special';
import { asMatrix, rowMajor, type Matrix } from '../tensor/matrix';
import type { PosteriorStore } from './posterior';
import { forwardBatch, loadBatch } from './forward';
import { workspaceFor, type Workspace } from './workspace';
import { REFRESH_NONE } from '../kernels/ebp';

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

/** Validate (X, Y) and copy them into the store's workspace. */
function loadStep(store: PosteriorStore, X: Matrix, Y: Matrix): { ws: Workspace; B: number } {
  X = asMatrix(X);
  Y = asMatrix(Y, 'Y');
  const B = loadBatch(store, X);
  const K0 = store.sizes[0];
  const KL = store.sizes[store.sizes.length - 1];
  if (Y.shape.length !== 2 || Y.shape[0] !== B || Y.shape[1] !== KL) {
    throw new ShapeError(`ebpStep: targets have shape [${Y.shape.join(', ')}], expected [${B}, ${KL}].`, Y.shape, [B, KL]);
  }
  const ws = workspaceFor(store, B);
  const x = rowMajor(X);
  for (let i = 0; i < B * K0; i++) {
    const v = x.data[x.offset + i];
    if (!Number.isFinite(v)) {
      throw new NumericError(`ebpStep: input row ${Math.floor(i / K0)}, column ${i % K0} is ${v}; inputs must be finite.`);
    }
    ws.x[i] = v;
  }
  const y = rowMajor(Y);
  for (let i = 0; i < B * KL; i++) {
    const v = y.data[y.offset + i];
    if (v !== 1 && v !== -1) {
      throw new ArgumentError(`ebpStep: targets must be -1 or +1; row ${Math.floor(i / KL)}, output ${i % KL} is ${v}.`);
    }
    ws.y[i] = v;
  }
  return { ws, B };
}

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
 * The deltas and gradients of log Z with respect to the weight means and biases (σ̄ held fixed),
 * without changing the store. {@link ebpStep} adds exactly these gradients (times s2 for Gaussian
 * weights) to h and b.
 */
export function ebpGradients(store: PosteriorStore, X: Matrix, Y: Matrix): Gradients {
  const { ws, B } = loadStep(store, X, Y);
  forwardBatch(store, ws, B, true);
  const logMarginal = backward(store, ws, B);
  const delta: Matrix[] = [];
  const gradMean: Matrix[] = [];
  const gradBias: Float64Array[] = [];
  for (let l = 0; l < store.layers.length; l++) {
    const { inputs: K, outputs: Kout } = store.layers[l];
    const c = Math.sqrt(K + 1);
    const d = ws.layers[l].delta.slice(0, B * Kout);
    const muIn = l === 0 ? ws.x : ws.layers[l - 1].muOut;
    const g = new Float64Array(Kout * K);
    const gb = new Float64Array(Kout);
    for (let k = 0; k < Kout; k++) {
      let sb = 0;
      for (let n = 0; n < B; n++) {
        const dk = d[n * Kout + k];
        sb += dk;
        for (let j = 0; j < K; j++) g[k * K + j] += dk * muIn[n * K + j];
      }
      gb[k] = sb / c;
      for (let j = 0; j < K; j++) g[k * K + j] /= c;
    }
    delta.push(ndarray(d, [B, Kout]));
    gradMean.push(ndarray(g, [Kout, K]));
    gradBias.push(gb);
  }
  return { logMarginal, delta, gradMean, gradBias };
}

/** @internal One step on the first B rows of ws.x / ws.y. Returns log Z. */
export function stepBatch(store: PosteriorStore, ws: Workspace, B: number): number {
  forwardBatch(store, ws, B, true);
  const logZ = backward(store, ws, B);
  update(store, ws, B);
  return logZ;
}

/** Deltas d log Z / dμ̄ for every layer (spec §5), using the means from before the update. Returns log Z. */
export function backward(store: PosteriorStore, ws: Workspace, B: number): number {
  const L = store.layers.length;
  const { ubar, variance, delta } = ws.layers[L - 1];
  const y = ws.y;
  let logZ = 0;
  for (let i = 0, n = B * store.sizes[L]; i < n; i++) {
    const sigma = Math.sqrt(variance[i]);
    const zy = (y[i] * ubar[i]) / sigma;
    logZ += logNormCdf(zy);
    // y N(0|μ̄,σ̄²)/Φ(y z) = y φ(zy)/Φ(zy)/σ̄, in a form that stays finite for zy → −∞ (spec §11.1).
    delta[i] = (y[i] * normPdfOverCdf(zy)) / sigma;
  }
  for (let l = L - 1; l >= 1; l--) {
    const { mean, inputs: K, outputs: Kout } = store.layers[l];
    const below = ws.layers[l - 1];
    ws.kernels.backwardHidden(mean, K, Kout, ws.layers[l].delta, below.dmu, below.delta, B, Math.sqrt(K + 1));
  }
  return logZ;
}

/** Add the summed increments to h and b (spec §6) and refresh the cached moments of the touched weights. */
export function update(store: PosteriorStore, ws: Workspace, B: number): void {
  // Binary and discrete weights take the field update (h += gradient); Gaussian means move by s2 × gradient.
  const scale = store.weights === 'gaussian' ? store.weightVariance : 1;
  // The kernels refresh binary and ternary moments; other discrete levels are refreshed here.
  const { refreshKind, ternaryPrior } = store;
  const discrete = refreshKind === REFRESH_NONE ? store.discrete : null;
  const kern = ws.kernels;
  for (let l = 0; l < store.layers.length; l++) {
    const { h, b, mean, variance, map, inputs: K, outputs: Kout } = store.layers[l];
    const c = Math.sqrt(K + 1);
    const d = ws.layers[l].delta;
    for (let k = 0; k < Kout; k++) {
      let s = 0;
      for (let n = 0; n < B; n++) s += d[n * Kout + k];
      b[k] += s / c; // bias variance 1
    }
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
