/**
 * Layers and storage of the STE network: the public parameter shapes, the layer geometry, and every array the
 * training pass, the optimiser and inference work on.
 *
 * Storage. Weight-shaped arrays use the panel layout of src/kernels/ste-js.ts: the [N, K] matrix W (row n =
 * output n) is stored as ⌈N/8⌉ panels of 8 outputs, element (n, k) at ⌊n/8⌋·K·8 + k·8 + n mod 8 ({@link pidx});
 * padded outputs hold 0 and are never read. With WebAssembly the arrays live in one WebAssembly heap per
 * network, re-created (and the parameters copied) when a larger minibatch is needed.
 */
import type { Rng } from '../util/random';
import { argumentError } from '../util/validate';
import { createSteHeap, heapAlloc, jsSteAlloc, jsSteKernels, wasmSteKernels, type SteAlloc, type SteHeap, type SteKernels } from '../kernels/ste';
import type { AdamSettings } from './adam';
import type { SteLoss } from './loss';
import { steSign } from './quantizer';

/** Which kernels an STE trainer runs: WebAssembly SIMD when available (`'auto'`, the default), or always the TypeScript loops. */
export type SteBackend = 'auto' | 'js' | 'wasm';

export interface SteNetworkSettings {
  sizes: readonly number[];
  batchNorm: boolean;
  bnEpsilon: number;
  bnMomentum: number;
  loss: SteLoss;
  adam: AdamSettings;
  /** Per weight matrix: its learning rate is lr × this factor (BN parameters and biases use lr). */
  weightLrScale: readonly number[];
  backend: SteBackend;
}

/** Parameters of one layer as plain row-major arrays (copies). */
export interface SteLayerParameters {
  inputs: number;
  outputs: number;
  /** Latent real weights, row-major [outputs, inputs], each in [−1, 1]. */
  weights: Float64Array;
  /** Batch normalisation (present when the network uses it). */
  gamma?: Float64Array;
  beta?: Float64Array;
  runningMean?: Float64Array;
  runningVar?: Float64Array;
  /** Bias (present without batch normalisation). */
  bias?: Float64Array;
}

/**
 * Adam moments of one layer as plain row-major arrays (copies): m (first) and v (second moment) of every
 * trained parameter, shaped like {@link SteLayerParameters}.
 */
export interface SteLayerMoments {
  weightsM: Float64Array;
  weightsV: Float64Array;
  /** Batch normalisation (present when the network uses it). */
  gammaM?: Float64Array;
  gammaV?: Float64Array;
  betaM?: Float64Array;
  betaV?: Float64Array;
  /** Bias (present without batch normalisation). */
  biasM?: Float64Array;
  biasV?: Float64Array;
}

/** STE gradients of the batch loss (no update applied), row-major like {@link SteLayerParameters}. */
export interface SteLayerGradients {
  /** ∂L/∂W, identical to ∂L/∂sign(W) (identity straight-through estimator). */
  weights: Float64Array;
  gamma?: Float64Array;
  beta?: Float64Array;
  bias?: Float64Array;
}

/** Rows of inference per chunk. */
export const PREDICT_CHUNK = 128;

export interface LayerShape {
  K: number;
  N: number;
  /** Panels of outputs, ⌈N/8⌉, and the padded width 8·P. */
  P: number;
  Np: number;
  /** Inputs padded to a multiple of 8 (width of the gradient to the inputs). */
  Kp: number;
}

/** Weight-shaped arrays of one layer (panel layout). */
export interface BigArrays {
  w: Float64Array;
  m: Float64Array;
  v: Float64Array;
  /** sign(w) as float32, panel layout. */
  s: Float32Array;
  /** sign(w) again, in the panel layout of the transposed matrix (element (n, k) at pidx(k, n, N)), layers ≥ 1. */
  st: Float32Array | null;
  /** Weight gradient (float32, panel layout). */
  g: Float32Array;
  /** sign(w) as float64 for inference, refreshed lazily. */
  s64: Float64Array;
}

/** Minibatch-shaped float32 buffers of one layer, and the float64 inference chunk buffers. */
export interface BatchBuffers {
  a: Float32Array;
  h: Float32Array | null;
  dAp: Float32Array;
  dAr: Float32Array | null;
  dH: Float32Array | null;
  a64: Float64Array;
  h64: Float64Array | null;
}

/** Per-neuron arrays of one layer: parameters, Adam moments, gradients, batch statistics. */
export interface SmallArrays {
  gamma: Float64Array;
  beta: Float64Array;
  runningMean: Float64Array;
  runningVar: Float64Array;
  bias: Float64Array;
  mGamma: Float64Array;
  vGamma: Float64Array;
  mBeta: Float64Array;
  vBeta: Float64Array;
  mBias: Float64Array;
  vBias: Float64Array;
  dGamma: Float64Array;
  dBeta: Float64Array;
  dBias: Float64Array;
  // Per-minibatch float64 buffers [capacity, N] and per-column statistics.
  xhat: Float64Array;
  z: Float64Array;
  dz: Float64Array;
  da: Float64Array;
  mean: Float64Array;
  varB: Float64Array;
  invStd: Float64Array;
  // Inference affine map.
  scale: Float64Array;
  shift: Float64Array;
}

/** Panel-layout index of element (n, k) of an [N, K] matrix. */
export function pidx(n: number, k: number, K: number): number {
  return (n >> 3) * K * 8 + k * 8 + (n & 7);
}

/** The geometry of every layer of a network with widths `sizes`. */
export function layerShapes(sizes: readonly number[]): LayerShape[] {
  const shapes: LayerShape[] = [];
  for (let l = 0; l + 1 < sizes.length; l++) {
    const K = sizes[l];
    const N = sizes[l + 1];
    const P = Math.ceil(N / 8);
    shapes.push({ K, N, P, Np: 8 * P, Kp: 8 * Math.ceil(K / 8) });
  }
  return shapes;
}

/** A panel-layout [N, K] matrix as a row-major copy. */
export function panelToRows(a: ArrayLike<number>, N: number, K: number): Float64Array {
  const out = new Float64Array(N * K);
  for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) out[n * K + k] = a[pidx(n, k, K)];
  return out;
}

/**
 * Every array of one STE network, in the JS heap or in one WebAssembly heap, and the kernel set that runs on
 * them. The arrays are replaced (contents kept) when {@link ensureCapacity} needs a larger minibatch.
 */
export class SteStorage {
  readonly sizes: readonly number[];
  readonly settings: SteNetworkSettings;
  readonly shapes: readonly LayerShape[];
  kernels: SteKernels = jsSteKernels;
  heap: SteHeap | null = null;
  capacity = 0;
  big: BigArrays[] = [];
  buf: BatchBuffers[] = [];
  small: SmallArrays[] = [];
  /** Minibatch input rows (float32, [capacity, K0]) and the inference chunk (float64, [PREDICT_CHUNK, K0]). */
  x0: Float32Array = new Float32Array(0);
  x64: Float64Array = new Float64Array(0);
  /** Whether every layer's s64 holds its current sign(w). */
  s64Fresh = false;

  constructor(settings: SteNetworkSettings, capacity: number) {
    this.settings = settings;
    this.sizes = settings.sizes.slice();
    this.shapes = layerShapes(this.sizes);
    this.allocate(Math.max(1, capacity));
  }

  /** Make room for minibatches of `rows` rows (re-creates the heap when needed). */
  ensureCapacity(rows: number): void {
    if (rows > this.capacity) this.allocate(rows);
  }

  /** The initial latent weights W ~ U(−1, 1), drawn row by row (output n, then input k), and their signs. */
  drawLatentWeights(rng: Rng): void {
    for (let l = 0; l < this.shapes.length; l++) {
      const { K, N } = this.shapes[l];
      const w = this.big[l].w;
      for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) w[pidx(n, k, K)] = 2 * rng.next() - 1;
      this.refreshSigns(l);
    }
  }

  /** Recompute sign(W) (float32 panel, transposed panel) from the latent weights of layer l. */
  refreshSigns(l: number): void {
    const { K, N, P } = this.shapes[l];
    const { w, s, st } = this.big[l];
    for (let e = 0; e < P * K * 8; e++) s[e] = steSign(w[e]);
    if (st) {
      for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) st[pidx(k, n, N)] = s[pidx(n, k, K)];
    }
    this.s64Fresh = false;
  }

  private allocate(capacity: number): void {
    const heap = this.createHeap(capacity);
    const alloc: SteAlloc = heap ? heapAlloc(heap) : jsSteAlloc;
    const oldBig = this.big;
    const big: BigArrays[] = [];
    const buf: BatchBuffers[] = [];
    for (let l = 0; l < this.shapes.length; l++) {
      big.push(allocBig(alloc, this.shapes[l], l, oldBig[l]));
      buf.push(allocBuffers(alloc, this.shapes[l], l, l + 1 < this.shapes.length, capacity));
      this.small[l] = allocSmall(alloc, this.shapes[l].N, capacity, this.small[l]);
    }
    const K0 = this.sizes[0];
    this.x0 = alloc.f32(capacity * K0);
    this.x64 = alloc.f64(PREDICT_CHUNK * K0);
    this.big = big;
    this.buf = buf;
    this.heap = heap;
    this.kernels = heap ? wasmSteKernels(heap) : jsSteKernels;
    this.capacity = capacity;
    this.s64Fresh = false;
  }

  /** A WebAssembly heap with room for every array at this capacity, or null for the JS heap. */
  private createHeap(capacity: number): SteHeap | null {
    if (this.settings.backend === 'js') return null;
    const heap = createSteHeap(storageBytes(this.shapes, this.sizes[0], capacity));
    if (heap === null && this.settings.backend === 'wasm') {
      throw argumentError("`backend` 'wasm' was requested but WebAssembly SIMD is unavailable (or disabled by EBP_BNN_WASM=0).");
    }
    return heap;
  }
}

/** Bytes of every array of a network at this minibatch capacity, each rounded up to 16-byte alignment. */
function storageBytes(shapes: readonly LayerShape[], K0: number, capacity: number): number {
  const f32: number[] = [];
  const f64: number[] = [];
  for (let l = 0; l < shapes.length; l++) {
    const { K, N, P, Np, Kp } = shapes[l];
    const n = P * K * 8;
    f64.push(n, n, n, n); // w, m, v, s64
    f32.push(n, n); // s, g
    if (l > 0) f32.push(Kp * N, capacity * N, capacity * Kp); // st, dAr, dH
    f32.push(capacity * Np, P * capacity * 8); // a, dAp
    if (l + 1 < shapes.length) f32.push(capacity * Np); // h
    f64.push(PREDICT_CHUNK * Np);
    if (l + 1 < shapes.length) f64.push(PREDICT_CHUNK * Np);
    for (let i = 0; i < 19; i++) f64.push(N); // per-neuron parameters, Adam moments, gradients, statistics
    for (let i = 0; i < 4; i++) f64.push(capacity * N); // xhat, z, dz, da
  }
  f32.push(capacity * K0);
  f64.push(PREDICT_CHUNK * K0);
  let bytes = 0;
  for (const n of f64) bytes += Math.ceil((n * 8) / 16) * 16;
  for (const n of f32) bytes += Math.ceil((n * 4) / 16) * 16;
  return bytes;
}

/** The weight-shaped arrays of layer l, with the latent weights, moments and signs of `old` copied in. */
function allocBig(alloc: SteAlloc, shape: LayerShape, l: number, old: BigArrays | undefined): BigArrays {
  const { K, N, P, Kp } = shape;
  const n = P * K * 8;
  const b: BigArrays = {
    w: alloc.f64(n),
    m: alloc.f64(n),
    v: alloc.f64(n),
    s: alloc.f32(n),
    st: l > 0 ? alloc.f32(Kp * N) : null,
    g: alloc.f32(n),
    s64: alloc.f64(n),
  };
  if (old) {
    b.w.set(old.w);
    b.m.set(old.m);
    b.v.set(old.v);
    b.s.set(old.s);
    if (b.st && old.st) b.st.set(old.st);
  }
  return b;
}

function allocBuffers(alloc: SteAlloc, shape: LayerShape, l: number, hidden: boolean, capacity: number): BatchBuffers {
  const { N, P, Np, Kp } = shape;
  return {
    a: alloc.f32(capacity * Np),
    h: hidden ? alloc.f32(capacity * Np) : null,
    dAp: alloc.f32(P * capacity * 8),
    dAr: l > 0 ? alloc.f32(capacity * N) : null,
    dH: l > 0 ? alloc.f32(capacity * Kp) : null,
    a64: alloc.f64(PREDICT_CHUNK * Np),
    h64: hidden ? alloc.f64(PREDICT_CHUNK * Np) : null,
  };
}

/** The per-neuron arrays of a layer of N outputs: parameters and moments from `old`, or their initial values. */
function allocSmall(alloc: SteAlloc, N: number, capacity: number, old: SmallArrays | undefined): SmallArrays {
  const keep = (prev: Float64Array | undefined, init: number) => {
    const a = alloc.f64(N);
    if (prev) a.set(prev);
    else if (init !== 0) a.fill(init);
    return a;
  };
  return {
    gamma: keep(old?.gamma, 1),
    beta: keep(old?.beta, 0),
    runningMean: keep(old?.runningMean, 0),
    runningVar: keep(old?.runningVar, 1),
    bias: keep(old?.bias, 0),
    mGamma: keep(old?.mGamma, 0),
    vGamma: keep(old?.vGamma, 0),
    mBeta: keep(old?.mBeta, 0),
    vBeta: keep(old?.vBeta, 0),
    mBias: keep(old?.mBias, 0),
    vBias: keep(old?.vBias, 0),
    dGamma: alloc.f64(N),
    dBeta: alloc.f64(N),
    dBias: alloc.f64(N),
    xhat: alloc.f64(capacity * N),
    z: alloc.f64(capacity * N),
    dz: alloc.f64(capacity * N),
    da: alloc.f64(capacity * N),
    mean: alloc.f64(N),
    varB: alloc.f64(N),
    invStd: alloc.f64(N),
    scale: alloc.f64(N),
    shift: alloc.f64(N),
  };
}
