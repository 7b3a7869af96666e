import ndarray from 'ndarray';
import { ArgumentError, NumericError, ShapeError } from '../errors';
import { logNormCdf, normPdfOverCdf } from '../special';
import { rowMajor, type Matrix } from '../tensor/matrix';
import type { PosteriorStore } from './posterior';
import { binaryMoments, binaryMomentsAt } from './weights';
import { forwardBatch, loadBatch } from './forward';
import { Workspace, workspaceFor } from './workspace';

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

/** Deltas d log Z / dμ̄ for every layer (spec §5), using the means from before the update. */
export function backward(store: PosteriorStore, ws: Workspace, B: number): number {
  const L = store.layers.length;
  const out = ws.layers[L - 1];
  const n = B * store.sizes[L];
  const { ubar, variance, delta } = out;
  const y = ws.y;
  let logZ = 0;
  for (let i = 0; i < n; i++) {
    const sigma = Math.sqrt(variance[i]);
    const zy = (y[i] * ubar[i]) / sigma;
    logZ += logNormCdf(zy);
    // y N(0|μ̄,σ̄²)/Φ(y z) = y φ(zy)/Φ(zy)/σ̄, in a form that stays finite for zy → −∞ (spec §11.1).
    delta[i] = (y[i] * normPdfOverCdf(zy)) / sigma;
  }
  for (let l = L - 1; l >= 1; l--) {
    const layer = store.layers[l];
    const K = layer.inputs;
    const Kout = layer.outputs;
    const c = Math.sqrt(K + 1);
    const mean = layer.mean;
    const d = ws.layers[l].delta;
    const below = ws.layers[l - 1];
    const acc = ws.scratch2;
    for (let s = 0; s < B; s++) {
      acc.fill(0, 0, K);
      for (let k = 0; k < Kout; k++) {
        const dk = d[s * Kout + k];
        if (dk === 0) continue;
        const row = k * K;
        for (let j = 0; j < K; j++) acc[j] += mean[row + j] * dk;
      }
      const o = s * K;
      for (let j = 0; j < K; j++) below.delta[o + j] = (acc[j] / c) * below.dmu[o + j];
    }
  }
  return logZ;
}

/** Add the summed increments to h and b (spec §6) and refresh the cached moments of the touched weights. */
export function update(store: PosteriorStore, ws: Workspace, B: number): void {
  const binary = store.weights === 'binary';
  const scale = binary ? 1 : store.weightVariance;
  for (let l = 0; l < store.layers.length; l++) {
    const layer = store.layers[l];
    const K = layer.inputs;
    const Kout = layer.outputs;
    const c = Math.sqrt(K + 1);
    const d = ws.layers[l].delta;
    const { h, b } = layer;
    for (let k = 0; k < Kout; k++) {
      let s = 0;
      for (let n = 0; n < B; n++) s += d[n * Kout + k];
      b[k] += s / c; // bias variance 1
    }
    if (l === 0 && ws.sparse) {
      updateSparseInput(store, ws, B, scale);
      continue;
    }
    const muIn = l === 0 ? ws.x : ws.layers[l - 1].muOut;
    const g = ws.scratch2;
    for (let k = 0; k < Kout; k++) {
      const row = k * K;
      g.fill(0, 0, K);
      for (let n = 0; n < B; n++) {
        const dk = d[n * Kout + k];
        if (dk === 0) continue;
        const o = n * K;
        for (let j = 0; j < K; j++) g[j] += dk * muIn[o + j];
      }
      for (let j = 0; j < K; j++) h[row + j] += scale * (g[j] / c);
      if (binary) binaryMoments(h, layer.mean, layer.variance, layer.map, row, row + K);
    }
  }
}

// First layer with sparse inputs: only columns that are non-zero in some row of the batch change,
// so only those fields are updated and only their moments recomputed (exactly what the dense update gives).
function updateSparseInput(store: PosteriorStore, ws: Workspace, B: number, scale: number): void {
  const layer = store.layers[0];
  const K = layer.inputs;
  const Kout = layer.outputs;
  const c = Math.sqrt(K + 1);
  const d = ws.layers[0].delta;
  const { h } = layer;
  const { nzStart, nzIdx, nzVal, union, mark } = ws;
  const stamp = ++ws.stamp;
  let count = 0;
  for (let t = 0, e = nzStart[B]; t < e; t++) {
    const j = nzIdx[t];
    if (mark[j] !== stamp) {
      mark[j] = stamp;
      union[count++] = j;
    }
  }
  ws.unionCount = count;
  const g = ws.scratch2;
  const binary = store.weights === 'binary';
  for (let k = 0; k < Kout; k++) {
    const row = k * K;
    for (let u = 0; u < count; u++) g[union[u]] = 0;
    for (let n = 0; n < B; n++) {
      const dk = d[n * Kout + k];
      if (dk === 0) continue;
      for (let t = nzStart[n], e = nzStart[n + 1]; t < e; t++) g[nzIdx[t]] += dk * nzVal[t];
    }
    for (let u = 0; u < count; u++) {
      const j = union[u];
      h[row + j] += scale * (g[j] / c);
    }
    if (binary) binaryMomentsAt(h, layer.mean, layer.variance, layer.map, row, union, count);
  }
}
