import type { PosteriorStore } from './posterior';

/** Per-layer buffers of one minibatch, each row-major [batch, outputs]. */
export interface LayerBuffers {
  /** μ̄ = (Σ_j ⟨W⟩ μ_in + b) / √(K_in + 1). */
  readonly ubar: Float64Array;
  /** σ̄² = (Σ_j Var W ⟨v²⟩ + ⟨W⟩² Var v + 1) / (K_in + 1). */
  readonly variance: Float64Array;
  /** ⟨v⟩ = 2Φ(z) − 1 = erf(z/√2), z = μ̄/σ̄. */
  readonly muOut: Float64Array;
  /** Var v = 4Φ(z)Φ(−z). */
  readonly nuOut: Float64Array;
  /** P(v = +1) = Φ(z). */
  readonly pPlus: Float64Array;
  /** 2N(0 | μ̄, σ̄²) = d⟨v⟩/dμ̄, for the backward pass. */
  readonly dmu: Float64Array;
  /** δ = d log Z / dμ̄ (spec §5). */
  readonly delta: Float64Array;
  /** EBP-D pass: sign outputs of hidden layers, the field at the last layer. */
  readonly signOut: Float64Array;
}

/**
 * Preallocated buffers for minibatches of up to `capacity` rows, so that a training step allocates
 * nothing. One workspace serves one store shape.
 */
export class Workspace {
  readonly capacity: number;
  readonly sizes: readonly number[];
  /** The minibatch input, row-major [capacity, K_0] (μ of layer 0). */
  readonly x: Float64Array;
  /** The minibatch targets in {−1, +1}, row-major [capacity, K_L]. */
  readonly y: Float64Array;
  readonly layers: readonly LayerBuffers[];
  // Sparse view of the input rows (most MNIST pixels are 0): row n's non-zeros are
  // nzIdx/nzVal[nzStart[n] .. nzStart[n+1]).
  readonly nzStart: Int32Array;
  readonly nzIdx: Int32Array;
  readonly nzVal: Float64Array;
  readonly nzVal2: Float64Array;
  /** Columns that are non-zero in at least one row of the batch (the only first-layer weights an update touches). */
  readonly union: Int32Array;
  readonly mark: Int32Array;
  unionCount = 0;
  stamp = 0;
  /** Scratch rows for accumulations, max width. */
  readonly scratch: Float64Array;
  readonly scratch2: Float64Array;
  /** Whether layer 0 of the current batch uses the sparse input path. */
  sparse = false;

  constructor(sizes: readonly number[], capacity: number) {
    this.capacity = capacity;
    this.sizes = sizes.slice();
    const k0 = sizes[0];
    this.x = new Float64Array(capacity * k0);
    this.y = new Float64Array(capacity * sizes[sizes.length - 1]);
    const layers: LayerBuffers[] = [];
    for (let l = 1; l < sizes.length; l++) {
      const n = capacity * sizes[l];
      layers.push({
        ubar: new Float64Array(n),
        variance: new Float64Array(n),
        muOut: new Float64Array(n),
        nuOut: new Float64Array(n),
        pPlus: new Float64Array(n),
        dmu: new Float64Array(n),
        delta: new Float64Array(n),
        signOut: new Float64Array(n),
      });
    }
    this.layers = layers;
    this.nzStart = new Int32Array(capacity + 1);
    this.nzIdx = new Int32Array(capacity * k0);
    this.nzVal = new Float64Array(capacity * k0);
    this.nzVal2 = new Float64Array(capacity * k0);
    this.union = new Int32Array(k0);
    this.mark = new Int32Array(k0);
    const maxWidth = Math.max(...sizes);
    this.scratch = new Float64Array(Math.max(maxWidth, capacity * maxWidth));
    this.scratch2 = new Float64Array(maxWidth);
  }

  fits(store: PosteriorStore, batch: number): boolean {
    return batch <= this.capacity && store.sizes.length === this.sizes.length && store.sizes.every((s, i) => s === this.sizes[i]);
  }
}

const cache = new WeakMap<PosteriorStore, Workspace>();

/** A workspace for `store` with room for `batch` rows, reused between calls. */
export function workspaceFor(store: PosteriorStore, batch: number): Workspace {
  let ws = cache.get(store);
  if (ws === undefined || !ws.fits(store, batch)) {
    ws = new Workspace(store.sizes, Math.max(batch, ws?.capacity ?? 0));
    cache.set(store, ws);
  }
  return ws;
}
