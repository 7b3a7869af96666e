/** The sign-layer arithmetic that both determinisation procedures share (src/deterministic). */
import ndarray from 'ndarray';
import { makeDataset, type Dataset } from '../data/dataset';
import { rowMajor } from '../tensor/matrix';
import { PosteriorStore } from '../ebp/posterior';
import { meanFieldForward } from '../ebp/forward';
import type { DeterministicLayer } from './options';

/** Layer l of a store as a sign layer: the most probable weights (sign h, sign(0) = +1) and the real bias. */
export function signLayer(store: PosteriorStore, l: number): DeterministicLayer {
  const L = store.layers[l];
  return { weights: store.mostProbableWeights(l), bias: L.b.slice(), inputs: L.inputs, outputs: L.outputs };
}

/** Layers from..to−1 of a store as a new posterior (same fields and biases). */
export function slice(store: PosteriorStore, from: number, to = store.numLayers): PosteriorStore {
  const h: Float64Array[][] = [];
  const b: Float64Array[] = [];
  for (let l = from; l < to; l++) {
    const L = store.layers[l];
    const rows: Float64Array[] = [];
    for (let k = 0; k < L.outputs; k++) rows.push(L.h.subarray(k * L.inputs, (k + 1) * L.inputs));
    h.push(rows);
    b.push(L.b);
  }
  return PosteriorStore.fromParameters({ weights: 'binary', h, b });
}

/** A dataset's features as one contiguous row-major array [n, K_0]. */
export function features(ds: Dataset): Float64Array {
  const { data, offset, rows, cols } = rowMajor(ds.X);
  return data.slice(offset, offset + rows * cols);
}

/** v = sign(W x + b) with sign(0) = +1, row by row: what the packed hidden layer computes (pre ≥ −b). */
export function signForward(layer: DeterministicLayer, X: Float64Array): Float64Array {
  const { weights: W, bias, inputs: K, outputs: N } = layer;
  const n = X.length / K;
  const out = new Float64Array(n * N);
  for (let r = 0; r < n; r++) {
    const xo = r * K;
    for (let k = 0; k < N; k++) {
      const wo = k * K;
      let pre = 0;
      for (let j = 0; j < K; j++) pre += W[wo + j] * X[xo + j];
      out[r * N + k] = pre >= -bias[k] ? 1 : -1;
    }
  }
  return out;
}

export function featureSet(ds: Dataset, X: Float64Array, K: number): Dataset {
  return makeDataset({ X: ndarray(X, [ds.labels.length, K]), labels: ds.labels, numClasses: ds.numClasses, classNames: ds.classNames });
}

/** sign(μ̄) ∈ ±1 of the first layer of `store`'s mean-field pass over rows X (spec §3), [n, K_1]. */
export function meanFieldSigns(store: PosteriorStore, X: Float64Array): Float64Array {
  const first = slice(store, 0, 1);
  const K = store.sizes[0];
  const ubar = meanFieldForward(first, ndarray(X, [X.length / K, K])).layers[0].ubar.data as Float64Array;
  return Float64Array.from(ubar, (u) => (u >= 0 ? 1 : -1));
}

/**
 * sign(h) of the first layer, each unit's threshold θ chosen on the training rows to maximise the agreement of
 * [Σ sign(h) v ≥ θ] with sign(μ̄) (θ midway between neighbouring dot products; the bias is −θ).
 */
export function refitThresholds(store: PosteriorStore, X: Float64Array): DeterministicLayer {
  return fitThresholds(signLayer(store, 0), X, meanFieldSigns(store, X));
}

/** Each unit's threshold (the bias −θ) re-fitted so that [Σ w v ≥ θ] agrees most often with the targets T [n, N]. */
export function fitThresholds(layer: DeterministicLayer, X: Float64Array, T: Float64Array): DeterministicLayer {
  const { weights: W, inputs: K, outputs: N } = layer;
  const n = X.length / K;
  const pre = new Float64Array(n);
  const idx = new Int32Array(n);
  for (let k = 0; k < N; k++) {
    let pos = 0;
    for (let r = 0; r < n; r++) {
      let d = 0;
      for (let j = 0; j < K; j++) d += W[k * K + j] * X[r * K + j];
      pre[r] = d;
      idx[r] = r;
      if (T[r * N + k] > 0) pos++;
    }
    idx.sort((a, c) => pre[a] - pre[c]);
    // θ below every row: all +1, agreement = pos. Moving θ past row i flips it to −1.
    let agree = pos;
    let bestAgree = pos;
    let theta = pre[idx[0]] - 1;
    for (let i = 0; i < n; i++) {
      agree += T[idx[i] * N + k] > 0 ? -1 : 1;
      const next = i + 1 < n ? pre[idx[i + 1]] : pre[idx[i]] + 2;
      if (next !== pre[idx[i]] && agree > bestAgree) {
        bestAgree = agree;
        theta = 0.5 * (pre[idx[i]] + next);
      }
    }
    layer.bias[k] = -theta;
  }
  return layer;
}


/** Every layer of a store at its most probable weights (EBP-D). */
export function signLayers(store: PosteriorStore): DeterministicLayer[] {
  return store.layers.map((_, l) => signLayer(store, l));
}
