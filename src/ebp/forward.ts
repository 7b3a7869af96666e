import ndarray from 'ndarray';
import { ShapeError } from '../errors';
import { erf, erfc } from '../special';
import { rowMajor, type Matrix } from '../tensor/matrix';
import type { PosteriorStore } from './posterior';
import { Workspace, workspaceFor } from './workspace';

const SQRT1_2 = Math.SQRT1_2;
const TWO_OVER_SQRT_2PI = 2 / Math.sqrt(2 * Math.PI);

/** Mean-field statistics of one layer for a batch; every field an ndarray [batch, outputs]. */
export interface ForwardLayer {
  /** Mean of the layer's input, [batch, inputs] (x for the first layer). */
  muIn: Matrix;
  /** μ̄ (spec §3). */
  ubar: Matrix;
  /** σ̄². */
  variance: Matrix;
  /** P(v = +1) = Φ(μ̄/σ̄). */
  pPlus: Matrix;
  /** ⟨v⟩ = 2Φ(μ̄/σ̄) − 1; at the last layer this is the EBP-P output. */
  muOut: Matrix;
}

export interface ForwardResult {
  layers: ForwardLayer[];
}

/** Rows per chunk when a large X is pushed through the fixed-size workspace. */
export const CHUNK_ROWS = 256;

/**
 * The mean-field forward pass (spec §3): Gaussian (mean, variance) pairs carried through the sign
 * neurons of every layer, for a batch X of shape [batch, K_0]. Returns fresh arrays.
 */
export function meanFieldForward(store: PosteriorStore, X: Matrix): ForwardResult {
  const B = loadBatch(store, X);
  const sizes = store.sizes;
  const full = store.layers.map((_, l) => ({
    ubar: new Float64Array(B * sizes[l + 1]),
    variance: new Float64Array(B * sizes[l + 1]),
    pPlus: new Float64Array(B * sizes[l + 1]),
    muOut: new Float64Array(B * sizes[l + 1]),
  }));
  forEachChunk(store, X, (ws, start, nb) => {
    forwardBatch(store, ws, nb, false);
    for (let l = 0; l < full.length; l++) {
      const K = sizes[l + 1];
      const buf = ws.layers[l];
      const f = full[l];
      f.ubar.set(buf.ubar.subarray(0, nb * K), start * K);
      f.variance.set(buf.variance.subarray(0, nb * K), start * K);
      f.pPlus.set(buf.pPlus.subarray(0, nb * K), start * K);
      f.muOut.set(buf.muOut.subarray(0, nb * K), start * K);
    }
  });
  const { data, offset } = rowMajor(X);
  let muIn: Matrix = ndarray(data.slice(offset, offset + B * sizes[0]), [B, sizes[0]]);
  const layers: ForwardLayer[] = [];
  for (let l = 0; l < full.length; l++) {
    const shape = [B, sizes[l + 1]];
    const f = full[l];
    const layer: ForwardLayer = {
      muIn,
      ubar: ndarray(f.ubar, shape),
      variance: ndarray(f.variance, shape),
      pPlus: ndarray(f.pPlus, shape),
      muOut: ndarray(f.muOut, shape),
    };
    layers.push(layer);
    muIn = layer.muOut;
  }
  return { layers };
}

/**
 * Push X through the workspace in chunks of at most CHUNK_ROWS rows: `fn(ws, start, rows)` is called
 * with ws.x holding rows start..start+rows-1.
 */
export function forEachChunk(store: PosteriorStore, X: Matrix, fn: (ws: Workspace, start: number, rows: number) => void): void {
  const B = loadBatch(store, X);
  const K0 = store.sizes[0];
  const { data, offset } = rowMajor(X);
  const ws = workspaceFor(store, Math.min(B, CHUNK_ROWS));
  for (let start = 0; start < B; start += CHUNK_ROWS) {
    const nb = Math.min(CHUNK_ROWS, B - start);
    ws.x.set(data.subarray(offset + start * K0, offset + (start + nb) * K0));
    fn(ws, start, nb);
  }
}

/** Validate X against the store; returns the batch size. */
export function loadBatch(store: PosteriorStore, X: Matrix): number {
  if (X.shape.length !== 2 || X.shape[1] !== store.sizes[0]) {
    throw new ShapeError(
      `input has ${X.shape[1]} columns but the network's first layer expects ${store.sizes[0]} (X.shape=[${X.shape.join(', ')}]).`,
      X.shape,
      [X.shape[0], store.sizes[0]],
    );
  }
  return X.shape[0];
}

/**
 * Forward pass over the first B rows of ws.x, writing every layer's buffers. With `backward` set it
 * also stores 2N(0|μ̄,σ̄²) for the hidden layers (needed by the deltas).
 */
export function forwardBatch(store: PosteriorStore, ws: Workspace, B: number, backward: boolean): void {
  const L = store.layers.length;
  buildSparseInput(ws, B, store.sizes[0]);
  for (let l = 0; l < L; l++) {
    const layer = store.layers[l];
    const buf = ws.layers[l];
    if (l === 0) {
      if (ws.sparse) inputLayerSparse(layer.mean, layer.variance, layer.b, layer.inputs, layer.outputs, ws, B, buf);
      else inputLayerDense(layer.mean, layer.variance, layer.b, layer.inputs, layer.outputs, ws.x, B, buf);
    } else {
      const prev = ws.layers[l - 1];
      hiddenLayer(layer.mean, layer.variance, layer.b, layer.inputs, layer.outputs, prev.muOut, prev.nuOut, B, buf);
    }
    activate(buf, B * layer.outputs, backward && l < L - 1);
  }
}

/** Non-zeros of each input row; the sparse path is used when at most half the entries are non-zero. */
function buildSparseInput(ws: Workspace, B: number, K: number): void {
  const x = ws.x;
  const { nzStart, nzIdx, nzVal, nzVal2 } = ws;
  let t = 0;
  for (let n = 0; n < B; n++) {
    nzStart[n] = t;
    const off = n * K;
    for (let j = 0; j < K; j++) {
      const v = x[off + j];
      if (v !== 0) {
        nzIdx[t] = j;
        nzVal[t] = v;
        nzVal2[t] = v * v;
        t++;
      }
    }
  }
  nzStart[B] = t;
  ws.sparse = t * 2 <= B * K;
}

// First layer, sparse input: ⟨v²⟩ = x², Var(v) = 0, so σ̄² = (Σ_j Var W x_j² + 1)/(K+1).
function inputLayerSparse(
  mean: Float64Array, wvar: Float64Array, b: Float64Array, K: number, Kout: number, ws: Workspace, B: number, out: LayerBuffers0,
): void {
  const { nzStart, nzIdx, nzVal, nzVal2 } = ws;
  const k1 = K + 1;
  const c = Math.sqrt(k1);
  const { ubar, variance } = out;
  for (let k = 0; k < Kout; k++) {
    const row = k * K;
    const bk = b[k];
    for (let n = 0; n < B; n++) {
      let s = 0;
      let sv = 0;
      for (let t = nzStart[n], e = nzStart[n + 1]; t < e; t++) {
        const j = row + nzIdx[t];
        s += mean[j] * nzVal[t];
        sv += wvar[j] * nzVal2[t];
      }
      ubar[n * Kout + k] = (s + bk) / c;
      variance[n * Kout + k] = (sv + 1) / k1;
    }
  }
}

function inputLayerDense(
  mean: Float64Array, wvar: Float64Array, b: Float64Array, K: number, Kout: number, x: Float64Array, B: number, out: LayerBuffers0,
): void {
  const k1 = K + 1;
  const c = Math.sqrt(k1);
  const { ubar, variance } = out;
  for (let k = 0; k < Kout; k++) {
    const row = k * K;
    const bk = b[k];
    for (let n = 0; n < B; n++) {
      const xo = n * K;
      let s = 0;
      let sv = 0;
      for (let j = 0; j < K; j++) {
        const v = x[xo + j];
        s += mean[row + j] * v;
        sv += wvar[row + j] * (v * v);
      }
      ubar[n * Kout + k] = (s + bk) / c;
      variance[n * Kout + k] = (sv + 1) / k1;
    }
  }
}

// Hidden layer: inputs are sign units, ⟨v²⟩ = 1, so σ̄² = (Σ_j Var W + Σ_j ⟨W⟩² Var v_j + 1)/(K+1).
function hiddenLayer(
  mean: Float64Array, wvar: Float64Array, b: Float64Array, K: number, Kout: number,
  mu: Float64Array, nu: Float64Array, B: number, out: LayerBuffers0,
): void {
  const k1 = K + 1;
  const c = Math.sqrt(k1);
  const { ubar, variance } = out;
  for (let k = 0; k < Kout; k++) {
    const row = k * K;
    const bk = b[k];
    let rowVar = 0;
    for (let j = 0; j < K; j++) rowVar += wvar[row + j];
    for (let n = 0; n < B; n++) {
      const xo = n * K;
      let s = 0;
      let sv = 0;
      for (let j = 0; j < K; j++) {
        const m = mean[row + j];
        s += m * mu[xo + j];
        sv += m * m * nu[xo + j];
      }
      ubar[n * Kout + k] = (s + bk) / c;
      variance[n * Kout + k] = (rowVar + sv + 1) / k1;
    }
  }
}

type LayerBuffers0 = { ubar: Float64Array; variance: Float64Array };

/** Sign-neuron moments from (μ̄, σ̄²): ⟨v⟩ = erf(z/√2), Var v = 4Φ(z)Φ(−z) (spec §11.5). */
function activate(
  buf: { ubar: Float64Array; variance: Float64Array; muOut: Float64Array; nuOut: Float64Array; pPlus: Float64Array; dmu: Float64Array },
  count: number,
  withDerivative: boolean,
): void {
  const { ubar, variance, muOut, nuOut, pPlus, dmu } = buf;
  for (let i = 0; i < count; i++) {
    const sigma = Math.sqrt(variance[i]);
    const z = ubar[i] / sigma;
    const p = 0.5 * erfc(-z * SQRT1_2);
    const q = 0.5 * erfc(z * SQRT1_2);
    muOut[i] = erf(z * SQRT1_2);
    nuOut[i] = 4 * p * q;
    pPlus[i] = p;
    if (withDerivative) dmu[i] = (TWO_OVER_SQRT_2PI * Math.exp(-0.5 * z * z)) / sigma;
  }
}

/**
 * EBP-D pass over the first B rows of ws.x (spec §8): the sign network with the most probable
 * weights `layer.map` and real biases, hidden v = sign(Wv + b) with sign(0) = +1, no 1/√(K+1) scale.
 * Writes ws.layers[l].signOut; the last layer holds the output field. Reuses the sparse input lists
 * when `sparseReady` (they were built by a forwardBatch on the same rows).
 */
export function deterministicBatch(store: PosteriorStore, ws: Workspace, B: number, sparseReady = false): void {
  if (!sparseReady) buildSparseInput(ws, B, store.sizes[0]);
  const L = store.layers.length;
  for (let l = 0; l < L; l++) {
    const { map: w, b, inputs: K, outputs: Kout } = store.layers[l];
    const out = ws.layers[l].signOut;
    const last = l === L - 1;
    if (l === 0 && ws.sparse) {
      const { nzStart, nzIdx, nzVal } = ws;
      for (let k = 0; k < Kout; k++) {
        const row = k * K;
        for (let n = 0; n < B; n++) {
          let s = 0;
          for (let t = nzStart[n], e = nzStart[n + 1]; t < e; t++) s += w[row + nzIdx[t]] * nzVal[t];
          s += b[k];
          out[n * Kout + k] = last ? s : s < 0 ? -1 : 1;
        }
      }
      continue;
    }
    const input = l === 0 ? ws.x : ws.layers[l - 1].signOut;
    for (let k = 0; k < Kout; k++) {
      const row = k * K;
      for (let n = 0; n < B; n++) {
        const xo = n * K;
        let s = 0;
        for (let j = 0; j < K; j++) s += w[row + j] * input[xo + j];
        s += b[k];
        out[n * Kout + k] = last ? s : s < 0 ? -1 : 1;
      }
    }
  }
}
