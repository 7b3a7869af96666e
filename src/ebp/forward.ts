/**
 * The mean-field forward pass (spec §3) and the EBP-D sign pass (spec §8) over the rows of a workspace.
 * `meanFieldForward` is the validated public entry point; `forwardBatch` and `deterministicBatch` are the
 * algorithm, shared by the step (./update.ts), the trainer and prediction.
 */
import ndarray from 'ndarray';
import { erf, erfc } from '../special';
import { asMatrix, rowMajor, type Matrix } from '../tensor/matrix';
import { forEachChunk, loadBatch } from './batch';
import type { PosteriorStore } from './posterior';
import type { LayerBuffers, Workspace } from './workspace';

const SQRT1_2 = Math.SQRT1_2;
const TWO_OVER_SQRT_2PI = 2 / Math.sqrt(2 * Math.PI);

/** Mean-field statistics of one layer for a batch; every field an ndarray [batch, outputs]. */
export interface ForwardLayer {
  /** Mean of the layer's input, [batch, inputs] (x for the first layer). */
  muIn: Matrix;
  /** μ̄, the mean of the pre-activation field (spec §3). */
  ubar: Matrix;
  /** σ̄², the variance of the pre-activation field (spec §3); not Var W, which is `store.layers[l].variance`. */
  sigma2: Matrix;
  /** @deprecated The same array as {@link sigma2} (σ̄², not Var W); use `sigma2`. */
  variance: Matrix;
  /** P(v = +1) = Φ(μ̄/σ̄). */
  pPlus: Matrix;
  /** ⟨v⟩ = 2Φ(μ̄/σ̄) − 1; at the last layer this is the EBP-P output. */
  muOut: Matrix;
}

/** What {@link meanFieldForward} returns: the mean-field statistics of every layer. */
export interface ForwardResult {
  layers: ForwardLayer[];
}

/**
 * The mean-field forward pass (spec §3): Gaussian (mean, variance) pairs carried through the sign
 * neurons of every layer, for a batch X of shape [batch, K_0]. Returns fresh arrays.
 */
export function meanFieldForward(store: PosteriorStore, X: Matrix): ForwardResult {
  X = asMatrix(X);
  loadBatch(store, X);
  return { layers: forwardLayers(store, X) };
}

/** forwardBatch over all rows of X, chunk by chunk, gathered into fresh [B, K_l] arrays. */
function forwardLayers(store: PosteriorStore, X: Matrix): ForwardLayer[] {
  const B = X.shape[0];
  const sizes = store.sizes;
  const names = ['ubar', 'sigma2', 'pPlus', 'muOut'] as const;
  const full = store.layers.map((_, l) => names.map(() => new Float64Array(B * sizes[l + 1])));
  forEachChunk(store, X, (ws, start, nb) => {
    forwardBatch(store, ws, nb, false);
    full.forEach((arrays, l) => {
      const K = sizes[l + 1];
      names.forEach((name, i) => arrays[i].set(ws.layers[l][name].subarray(0, nb * K), start * K));
    });
  });
  const { data, offset } = rowMajor(X);
  let muIn: Matrix = ndarray(data.slice(offset, offset + B * sizes[0]), [B, sizes[0]]);
  return full.map(([ubar, sigma2, pPlus, muOut], l) => {
    const shape = [B, sizes[l + 1]];
    const s2 = ndarray(sigma2, shape);
    const layer: ForwardLayer = { muIn, ubar: ndarray(ubar, shape), sigma2: s2, variance: s2, pPlus: ndarray(pPlus, shape), muOut: ndarray(muOut, shape) };
    muIn = layer.muOut;
    return layer;
  });
}

/**
 * §3 over the first B rows of ws.x, writing every layer's buffers, with k1 = K + 1:
 * μ̄ = (Σ ⟨W⟩μ + b)/√k1, σ̄² = (Σ Var W ⟨v²⟩ + ⟨W⟩² Var v + 1)/k1 (kernels), then the sign-neuron
 * moments. With `backward` set it also stores 2N(0|μ̄,σ̄²) of the hidden layers for the deltas (§5).
 */
export function forwardBatch(store: PosteriorStore, ws: Workspace, B: number, backward: boolean): void {
  const L = store.layers.length;
  const kern = ws.kernels;
  ws.indexInput(B);
  for (let l = 0; l < L; l++) {
    const { mean, variance, b, inputs: K, outputs: Kout } = store.layers[l];
    const buf = ws.layers[l];
    const k1 = K + 1;
    const c = Math.sqrt(k1);
    if (l === 0 && ws.sparse) {
      kern.inputSparse(mean, variance, b, K, Kout, ws.nzStart, ws.nzIdx, ws.nzVal, ws.nzVal2, B, buf.ubar, buf.sigma2, c, k1);
    } else if (l === 0) {
      kern.denseLayer(mean, variance, b, K, Kout, ws.x, ws.x2, false, B, buf.ubar, buf.sigma2, c, k1);
    } else {
      const prev = ws.layers[l - 1];
      kern.denseLayer(mean, variance, b, K, Kout, prev.muOut, prev.nuOut, true, B, buf.ubar, buf.sigma2, c, k1);
    }
    activate(buf, 0, B * Kout, backward && l < L - 1);
  }
}

/**
 * @internal Sign-neuron moments from (μ̄, σ̄²) of the entries [from, to): ⟨v⟩ = erf(z/√2), Var v = 4Φ(z)Φ(−z),
 * z = μ̄/σ̄ (spec §3, §11.5); the threaded step (./parallel.ts) runs it on each thread's units.
 */
export function activate(buf: LayerBuffers, from: number, to: number, withDerivative: boolean): void {
  const { ubar, sigma2, muOut, nuOut, pPlus, dmu } = buf;
  for (let i = from; i < to; i++) {
    const sigma = Math.sqrt(sigma2[i]);
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
 * Writes ws.layers[l].signOut; the last layer holds the output field. `indexed`: the input rows were
 * already indexed by a forwardBatch on the same rows.
 */
export function deterministicBatch(store: PosteriorStore, ws: Workspace, B: number, indexed = false): void {
  if (!indexed) ws.indexInput(B);
  const L = store.layers.length;
  const kern = ws.kernels;
  for (let l = 0; l < L; l++) {
    const { map, b, inputs: K, outputs: Kout } = store.layers[l];
    const out = ws.layers[l].signOut;
    const last = l === L - 1;
    if (l === 0 && ws.sparse) kern.signSparse(map, b, K, Kout, ws.nzStart, ws.nzIdx, ws.nzVal, B, out, last);
    else kern.signDense(map, b, K, Kout, l === 0 ? ws.x : ws.layers[l - 1].signOut, B, out, last);
  }
}
