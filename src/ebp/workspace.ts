/**
 * The minibatch buffers of the forward and backward passes (spec §3–§5), allocated once per store shape.
 * Knows nothing of the posterior: src/ebp/batch.ts picks the workspace a store's batch runs in.
 */
import { jsKernels, type EbpKernels } from '../kernels/ebp';

/** Where arrays come from: the JS heap, or a store's WebAssembly heap. */
export interface Alloc {
  f64(n: number): Float64Array;
  i32(n: number): Int32Array;
}

export const jsAlloc: Alloc = { f64: (n) => new Float64Array(n), i32: (n) => new Int32Array(n) };

/** Per-layer buffers of one minibatch, each row-major [batch, outputs]. */
export interface LayerBuffers {
  /** μ̄ = (Σ_j ⟨W⟩ μ_in + b) / √(K_in + 1). */
  readonly ubar: Float64Array;
  /** σ̄² = (Σ_j Var W ⟨v²⟩ + ⟨W⟩² Var v + 1) / (K_in + 1), the variance of the field (not Var W). */
  readonly sigma2: Float64Array;
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

const LAYER_BUFFERS = 8;

/**
 * Preallocated buffers for minibatches of up to `capacity` rows, so that a training step allocates
 * nothing. A workspace serves one store shape and runs one kernel set.
 */
export class Workspace {
  readonly capacity: number;
  readonly sizes: readonly number[];
  readonly kernels: EbpKernels;
  /** The minibatch input, row-major [capacity, K_0] (μ of layer 0). */
  readonly x: Float64Array;
  /** x², the first layer's ⟨v²⟩ on the dense path. */
  readonly x2: Float64Array;
  /** The minibatch targets in {−1, +1}, row-major [capacity, K_L]. */
  readonly y: Float64Array;
  readonly layers: readonly LayerBuffers[];
  // Sparse view of the input rows (most MNIST pixels are 0): row n's non-zeros are
  // nzIdx/nzVal[nzStart[n] .. nzStart[n+1]).
  readonly nzStart: Int32Array;
  readonly nzIdx: Int32Array;
  readonly nzVal: Float64Array;
  readonly nzVal2: Float64Array;
  /** Columns non-zero in at least one row of the batch: the only first-layer weights an update touches. */
  readonly union: Int32Array;
  private readonly mark: Int32Array;
  private stamp = 0;
  /** Scratch row of the widest layer. */
  readonly scratch: Float64Array;
  /** Whether layer 0 of the current batch uses the sparse input path. */
  sparse = false;

  constructor(sizes: readonly number[], capacity: number, alloc: Alloc = jsAlloc, kernels: EbpKernels = jsKernels) {
    this.capacity = capacity;
    this.sizes = sizes.slice();
    this.kernels = kernels;
    const k0 = sizes[0];
    this.x = alloc.f64(capacity * k0);
    this.x2 = alloc.f64(capacity * k0);
    this.y = alloc.f64(capacity * sizes[sizes.length - 1]);
    const layers: LayerBuffers[] = [];
    for (let l = 1; l < sizes.length; l++) {
      const n = capacity * sizes[l];
      layers.push({
        ubar: alloc.f64(n),
        sigma2: alloc.f64(n),
        muOut: alloc.f64(n),
        nuOut: alloc.f64(n),
        pPlus: alloc.f64(n),
        dmu: alloc.f64(n),
        delta: alloc.f64(n),
        signOut: alloc.f64(n),
      });
    }
    this.layers = layers;
    this.nzStart = alloc.i32(capacity + 1);
    this.nzIdx = alloc.i32(capacity * k0);
    this.nzVal = alloc.f64(capacity * k0);
    this.nzVal2 = alloc.f64(capacity * k0);
    this.union = alloc.i32(k0);
    this.mark = new Int32Array(k0);
    this.scratch = alloc.f64(Math.max(...sizes));
  }

  /** Bytes of f64/i32 arrays a workspace of this shape allocates (for sizing a heap). */
  static arrays(sizes: readonly number[], capacity: number): { f64: number[]; i32: number[] } {
    const k0 = sizes[0];
    const f64 = [capacity * k0, capacity * k0, capacity * sizes[sizes.length - 1], capacity * k0, capacity * k0, Math.max(...sizes)];
    for (let l = 1; l < sizes.length; l++) for (let i = 0; i < LAYER_BUFFERS; i++) f64.push(capacity * sizes[l]);
    return { f64, i32: [capacity + 1, capacity * k0, k0] };
  }

  /** Whether a batch of `batch` rows of a store with layer widths `sizes` fits here. */
  fits(sizes: readonly number[], batch: number): boolean {
    return batch <= this.capacity && sizes.length === this.sizes.length && sizes.every((s, i) => s === this.sizes[i]);
  }

  /**
   * Index the non-zeros of the first B input rows; the sparse path is taken when at most half the
   * entries are non-zero. Also fills x² for the dense path.
   */
  indexInput(B: number): void {
    const K = this.sizes[0];
    const { x, x2, nzStart, nzIdx, nzVal, nzVal2 } = this;
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
    this.sparse = t * 2 <= B * K;
    if (!this.sparse) for (let i = 0, e = B * K; i < e; i++) x2[i] = x[i] * x[i];
  }

  /**
   * Collect the union of non-zero columns of the indexed rows into `union`, in increasing order (the WebAssembly
   * refresh takes the columns two by two, as aligned pairs); returns its size.
   */
  unionOfColumns(B: number): number {
    const { nzStart, nzIdx, union, mark } = this;
    const stamp = ++this.stamp;
    for (let t = 0, e = nzStart[B]; t < e; t++) mark[nzIdx[t]] = stamp;
    let count = 0;
    for (let j = 0, K = this.sizes[0]; j < K; j++) if (mark[j] === stamp) union[count++] = j;
    return count;
  }
}

/** Rows per workspace: enough for a minibatch and efficient chunks, bounded to about 16 MiB of buffers. */
export function workspaceCapacity(sizes: readonly number[], batch = 0): number {
  const perRow = sizes[0] * 36 + sizes.slice(1).reduce((a, k) => a + k * LAYER_BUFFERS * 8, 0);
  const cap = Math.max(16, Math.min(256, Math.floor((16 * 1024 * 1024) / perRow)));
  return Math.max(cap, batch);
}
