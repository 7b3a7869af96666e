import ndarray from 'ndarray';
import { ArgumentError, ShapeError, NumericError } from '../errors';
import type { Matrix } from '../tensor/matrix';
import { createRng, type Rng } from '../util/random';
import {
  REFRESH_BINARY, REFRESH_NONE, REFRESH_TERNARY, createEbpHeap, createSharedEbpHeap, jsKernels, wasmKernels, type EbpHeap, type EbpKernels, type Refresh,
} from '../kernels/ebp';
import { heapBytes } from '../kernels/wasm-heap';
import { invalid, requireFinite, requireOneOf } from '../util/validate';
import { DiscreteFamily, isDiscrete, normalizeWeightKind, type WeightKind } from './weights';
import { Workspace, workspaceCapacity, jsAlloc, type Alloc } from './workspace';

/** Which kernels a store runs: WebAssembly SIMD when available (`'auto'`), or always the JS loops. */
export type Backend = 'auto' | 'wasm' | 'js';
const BACKENDS: readonly Backend[] = ['auto', 'wasm', 'js'];

/**
 * One layer of the factorised posterior: the field h (binary) or mean (Gaussian) of every weight,
 * row-major outputs × inputs, and the real bias b (a Gaussian of mean b and fixed variance 1, spec §1).
 * `mean` and `variance` cache ⟨W⟩ and Var W; they are derived from h and kept in sync by the store.
 */
export interface PosteriorLayer {
  readonly inputs: number;
  readonly outputs: number;
  readonly h: Float64Array;
  readonly b: Float64Array;
  readonly mean: Float64Array;
  readonly variance: Float64Array;
  /** Most probable weights (EBP-D): sign(h) with sign(0) = +1 for binary weights, the mean for Gaussian. */
  readonly map: Float64Array;
}

/** {@link PosteriorStore.init} options: the weight kind, the prior, the seed and the kernels. */
export interface InitOptions {
  weights?: WeightKind;
  /** Variance s2 of Gaussian weights (spec §6.3). Default 1. */
  weightVariance?: number;
  /** Initial field scale σ_w: h ~ U(−√(3σ_w/K_in), +√(3σ_w/K_in)) (spec §7). Default 1. */
  sigmaW?: number;
  seed?: number;
  rng?: Rng;
  backend?: Backend;
}

/** Explicit posterior parameters for {@link PosteriorStore.fromParameters}: fields h and biases b per layer. */
export interface PosteriorParameters {
  weights: WeightKind;
  weightVariance?: number;
  /** h[l][k][j]: layer l, output k, input j. */
  h: ArrayLike<ArrayLike<number>>[];
  /** b[l][k]. */
  b: ArrayLike<number>[];
  backend?: Backend;
}

/** The JSON form of a posterior ({@link PosteriorStore.toJSON}, {@link PosteriorStore.fromJSON}): nested plain arrays. */
export interface PosteriorJSON {
  weights: WeightKind;
  sizes: number[];
  h: number[][][];
  b: number[][];
  weightVariance?: number;
}

/** The EBP posterior: per layer a field h and a real bias b (spec §§1–3, §7). */
export class PosteriorStore {
  readonly weights: WeightKind;
  readonly weightVariance: number;
  readonly sizes: readonly number[];
  readonly layers: readonly PosteriorLayer[];

  /** Kernels the store's own workspace runs (`'wasm'` or `'js'`). */
  readonly kernels: EbpKernels;
  /** @internal The minibatch workspace in the store's WebAssembly heap (null on the JS backend). */
  readonly heapWorkspace: Workspace | null;
  private readonly heap: EbpHeap | null;
  private readonly requested: Backend;
  /** @internal Moments of discrete weights (null for binary and Gaussian). */
  readonly discrete: DiscreteFamily | null;
  /** @internal The moment refresh the update kernels run themselves (binary, ternary; else none: the caller's). */
  readonly refreshKind: Refresh;
  /** @internal Ternary prior constants for the kernels (in the heap on the WebAssembly backend; zeros otherwise). */
  readonly ternaryPrior: Float64Array;

  private constructor(
    weights: WeightKind, weightVariance: number, sizes: number[], h: ArrayLike<number>[], b: ArrayLike<number>[], backend: Backend, shared = false,
  ) {
    this.weights = weights;
    this.weightVariance = weightVariance;
    this.sizes = Object.freeze(sizes.slice());
    this.requested = requireOneOf(backend, 'backend', BACKENDS);
    this.discrete = isDiscrete(weights) ? new DiscreteFamily(weights) : null;
    const tern = this.discrete?.ternaryConstants ?? null;
    this.refreshKind = weights === 'binary' ? REFRESH_BINARY : tern ? REFRESH_TERNARY : REFRESH_NONE;
    const gaussian = weights === 'gaussian';
    const capacity = workspaceCapacity(sizes);
    let heap: EbpHeap | null = null;
    if (backend !== 'js') {
      const ws = Workspace.arrays(sizes, capacity);
      const f64: number[] = [...ws.f64, 6];
      for (let l = 0; l + 1 < sizes.length; l++) {
        const n = sizes[l] * sizes[l + 1];
        f64.push(n, sizes[l + 1], n);
        if (!gaussian) f64.push(n, n);
      }
      heap = shared ? createSharedEbpHeap(heapBytes(f64, ws.i32)) : createEbpHeap(heapBytes(f64, ws.i32));
      if (heap === null && backend === 'wasm' && !shared) {
        throw new ArgumentError("backend 'wasm' was requested but WebAssembly SIMD is not available here (or EBP_BNN_WASM=0).");
      }
    }
    this.heap = heap;
    const alloc: Alloc = heap ?? jsAlloc;
    this.kernels = heap ? wasmKernels(heap) : jsKernels;
    this.ternaryPrior = alloc.f64(6);
    if (tern) this.ternaryPrior.set(tern);
    const layers: PosteriorLayer[] = [];
    for (let l = 0; l < h.length; l++) {
      const inputs = sizes[l];
      const outputs = sizes[l + 1];
      const hl = alloc.f64(inputs * outputs);
      hl.set(h[l]);
      const bl = alloc.f64(outputs);
      bl.set(b[l]);
      const variance = alloc.f64(inputs * outputs);
      if (gaussian) variance.fill(weightVariance);
      layers.push({
        inputs,
        outputs,
        h: hl,
        b: bl,
        // Gaussian weights: the mean and the most probable weight are h itself, the variance the constant s2.
        mean: gaussian ? hl : alloc.f64(inputs * outputs),
        variance,
        map: gaussian ? hl : alloc.f64(inputs * outputs),
      });
    }
    this.layers = Object.freeze(layers);
    this.heapWorkspace = heap ? new Workspace(sizes, capacity, heap, this.kernels) : null;
    this.refresh();
  }

  /** `'wasm'` when the store's arrays live in a WebAssembly heap run by the SIMD kernels, else `'js'`. */
  get backend(): 'wasm' | 'js' {
    return this.heap ? 'wasm' : 'js';
  }

  /** @internal The store's WebAssembly heap (null on the JS backend). */
  get wasmHeap(): EbpHeap | null {
    return this.heap;
  }

  /** Whether the store's arrays live in a shared WebAssembly memory (threaded training; see EbpTrainer's `threads`). */
  get shared(): boolean {
    return this.heap !== null && typeof SharedArrayBuffer === 'function' && this.heap.memory.buffer instanceof SharedArrayBuffer;
  }

  /**
   * @internal A copy on a shared WebAssembly memory, the same bytes as this store (its moments are a function
   * of h); null where shared memory is unavailable (no SharedArrayBuffer, WebAssembly disabled).
   */
  sharedClone(): PosteriorStore | null {
    const copy = new PosteriorStore(this.weights, this.weightVariance, this.sizes.slice(), this.layers.map((L) => L.h), this.layers.map((L) => L.b), 'wasm', true);
    return copy.shared ? copy : null;
  }

  /** A randomly initialised posterior for layer widths `sizes` = [K_0, K_1, ..., K_L] (spec §7). */
  static init(sizes: readonly number[], opts: InitOptions = {}): PosteriorStore {
    const weights = normalizeWeightKind(opts.weights ?? 'binary');
    assertSizes(sizes);
    const s2 = checkVariance(opts.weightVariance);
    const sigmaW = requireFinite(opts.sigmaW ?? 1, 'sigmaW', 'positive');
    const rng = opts.rng ?? createRng(opts.seed ?? 0);
    const h: Float64Array[] = [];
    const b: Float64Array[] = [];
    for (let l = 0; l + 1 < sizes.length; l++) {
      const n = sizes[l] * sizes[l + 1];
      const scale = Math.sqrt((12 * sigmaW) / sizes[l]);
      const hl = new Float64Array(n);
      for (let i = 0; i < n; i++) hl[i] = (rng.next() - 0.5) * scale;
      h.push(hl);
      b.push(new Float64Array(sizes[l + 1]));
    }
    return new PosteriorStore(weights, s2, sizes.slice(), h, b, opts.backend ?? 'auto');
  }

  /** A posterior from explicit parameters, h[l][k][j] and b[l][k] (the public contract). */
  static fromParameters(p: PosteriorParameters): PosteriorStore {
    const weights = normalizeWeightKind(p.weights);
    const s2 = checkVariance(p.weightVariance);
    if (!Array.isArray(p.h) || !Array.isArray(p.b) || p.h.length === 0 || p.h.length !== p.b.length) {
      throw new ShapeError(
        `PosteriorStore.fromParameters: h and b must be non-empty arrays with one entry per layer (h has ${p.h?.length}, b has ${p.b?.length}).`,
      );
    }
    const sizes: number[] = [];
    const h: Float64Array[] = [];
    const b: Float64Array[] = [];
    for (let l = 0; l < p.h.length; l++) {
      const rows = p.h[l];
      const outputs = rows.length;
      const inputs = outputs > 0 ? rows[0].length : 0;
      if (l === 0) sizes.push(inputs);
      else if (inputs !== sizes[l]) {
        throw new ShapeError(`PosteriorStore.fromParameters: h[${l}] has ${inputs} inputs but layer ${l - 1} has ${sizes[l]} outputs.`, [outputs, inputs], [outputs, sizes[l]]);
      }
      sizes.push(outputs);
      const hl = new Float64Array(outputs * inputs);
      for (let k = 0; k < outputs; k++) {
        const row = rows[k];
        if (row.length !== inputs) {
          throw new ShapeError(`PosteriorStore.fromParameters: h[${l}][${k}] has ${row.length} entries, expected ${inputs}.`, [row.length], [inputs]);
        }
        for (let j = 0; j < inputs; j++) hl[k * inputs + j] = finite(row[j], `h[${l}][${k}][${j}]`);
      }
      const bl = p.b[l];
      if (bl.length !== outputs) {
        throw new ShapeError(`PosteriorStore.fromParameters: b[${l}] has ${bl.length} entries, expected ${outputs}.`, [bl.length], [outputs]);
      }
      b.push(Float64Array.from(bl, (v, k) => finite(v, `b[${l}][${k}]`)));
      h.push(hl);
    }
    assertSizes(sizes);
    return new PosteriorStore(weights, s2, sizes, h, b, p.backend ?? 'auto');
  }

  /** A store from {@link PosteriorStore.toJSON} output (validated: widths, shapes, finite values). */
  static fromJSON(json: PosteriorJSON): PosteriorStore {
    const store = PosteriorStore.fromParameters(json);
    if (json.sizes && json.sizes.join(',') !== store.sizes.join(',')) {
      throw new ShapeError(`PosteriorStore.fromJSON: sizes [${json.sizes}] do not match the parameters [${store.sizes}].`);
    }
    return store;
  }

  /** Plain nested arrays: { weights, sizes, h: number[][][], b: number[][] } (+ weightVariance for Gaussian). */
  toJSON(): PosteriorJSON {
    const json: PosteriorJSON = {
      weights: this.weights,
      sizes: this.sizes.slice(),
      h: this.layers.map((L) => {
        const rows: number[][] = [];
        for (let k = 0; k < L.outputs; k++) rows.push(Array.from(L.h.subarray(k * L.inputs, (k + 1) * L.inputs)));
        return rows;
      }),
      b: this.layers.map((L) => Array.from(L.b)),
    };
    if (this.weights === 'gaussian') json.weightVariance = this.weightVariance;
    if (isDiscrete(this.weights)) json.weights = { levels: this.weights.levels.slice(), prior: (this.weights.prior ?? []).slice() };
    return json;
  }

  /** An independent copy (same backend request). */
  clone(backend: Backend = this.requested): PosteriorStore {
    return new PosteriorStore(
      this.weights,
      this.weightVariance,
      this.sizes.slice(),
      this.layers.map((L) => L.h),
      this.layers.map((L) => L.b),
      backend,
    );
  }

  /** Number of weight layers (widths minus one). */
  get numLayers(): number {
    return this.layers.length;
  }

  /**
   * Recompute the cached moments of layer `l` (all layers when omitted) from h. Call it after writing
   * to `layers[l].h` directly; the library's own updates keep the caches in sync.
   */
  refresh(l?: number): void {
    if (l === undefined) {
      for (let i = 0; i < this.layers.length; i++) this.refresh(i);
      return;
    }
    const L = this.layers[l];
    if (this.refreshKind === REFRESH_BINARY) this.kernels.moments(L.h, L.mean, L.variance, L.map, 0, L.h.length);
    else if (this.refreshKind === REFRESH_TERNARY) this.kernels.ternaryMoments(L.h, L.mean, L.variance, L.map, 0, L.h.length, this.ternaryPrior);
    else if (this.discrete) this.discrete.moments(L.h, L.mean, L.variance, L.map, 0, L.h.length);
  }

  /** The field h of layer l as an ndarray view [outputs, inputs] (no copy). */
  field(l: number): Matrix {
    const L = this.layers[l];
    return ndarray(L.h, [L.outputs, L.inputs]);
  }

  /** ⟨W⟩ of layer l as an ndarray view [outputs, inputs] (no copy; do not write). */
  meanWeights(l: number): Matrix {
    const L = this.layers[l];
    return ndarray(L.mean, [L.outputs, L.inputs]);
  }

  /** Var W of layer l as an ndarray view [outputs, inputs] (no copy; do not write). */
  weightVariances(l: number): Matrix {
    const L = this.layers[l];
    return ndarray(L.variance, [L.outputs, L.inputs]);
  }

  /**
   * The most probable weights of layer l (EBP-D, spec §8): sign(h) with sign(0) = +1 for binary
   * weights, the mean for Gaussian weights. Row-major [outputs, inputs].
   */
  mostProbableWeights(l: number): Float64Array {
    return this.layers[l].map.slice();
  }

  /** Throws NumericError if any h or b is NaN or infinite. */
  assertFinite(context = 'posterior'): void {
    for (let l = 0; l < this.layers.length; l++) {
      const L = this.layers[l];
      for (let i = 0; i < L.h.length; i++) {
        if (!Number.isFinite(L.h[i])) {
          throw new NumericError(`${context}: h of layer ${l} at output ${Math.floor(i / L.inputs)}, input ${i % L.inputs} is ${L.h[i]}.`);
        }
      }
      for (let k = 0; k < L.b.length; k++) {
        if (!Number.isFinite(L.b[k])) throw new NumericError(`${context}: bias of layer ${l}, output ${k} is ${L.b[k]}.`);
      }
    }
  }
}

function assertSizes(sizes: readonly number[]): void {
  if (!Array.isArray(sizes) || sizes.length < 2 || sizes.some((s) => !Number.isInteger(s) || s < 1)) {
    throw invalid('sizes', 'at least two positive integers [K_0, ..., K_L] (the layer widths)', sizes);
  }
}

function checkVariance(v: number | undefined): number {
  return requireFinite(v ?? 1, 'weightVariance', 'positive');
}

function finite(v: number, where: string): number {
  const x = Number(v);
  if (!Number.isFinite(x)) throw new NumericError(`PosteriorStore.fromParameters: ${where} is ${v}; parameters must be finite numbers.`);
  return x;
}
