/**
 * The STE network: latent real weights, batch-normalisation (or bias) parameters, Adam state and the minibatch
 * buffers, with the training pass (forward, loss, backward, Adam step, clip) and the float64 inference pass.
 *
 * Numerics. Everything is float64 except the three big matrix products of training (forward X·sign(W)ᵀ, weight
 * gradient dAᵀ·X, gradient to the inputs dA·sign(W)), whose operands and sums are float32, as in the PyTorch
 * reference. Their results are exact whenever the operands are ±1 (the hidden layers' forward products are
 * integers below 2²⁴). Inference (`predictInto`) is float64 throughout.
 *
 * Storage. Weight-shaped arrays use the panel layout of src/kernels/ste-js.ts: the [N, K] matrix W (row n = output n) is
 * stored as ⌈N/8⌉ panels of 8 outputs, element (n, k) at ⌊n/8⌋·K·8 + k·8 + n mod 8; padded outputs hold 0 and are
 * never read. With WebAssembly the arrays live in one WebAssembly heap per network, re-created (and the parameters
 * copied) when a larger minibatch is needed.
 */
import { decide } from '../util/decide';
import { ArgumentError, NumericError } from '../errors';
import type { Rng } from '../util/random';
import { adamCoefficients, adamStep, type AdamSettings } from './adam';
import { bnInferenceAffine, bnUpdateRunning } from './batchnorm';
import { createSteHeap, heapAlloc, jsSteAlloc, jsSteKernels, wasmSteKernels, type SteAlloc, type SteHeap, type SteKernels } from '../kernels/ste';
import { lossAndGradient, type SteLoss } from './loss';

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
const PREDICT_CHUNK = 128;

interface LayerShape {
  K: number;
  N: number;
  /** Panels of outputs, ⌈N/8⌉, and the padded width 8·P. */
  P: number;
  Np: number;
  /** Inputs padded to a multiple of 8 (width of the gradient to the inputs). */
  Kp: number;
}

interface BigArrays {
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

interface BatchBuffers {
  a: Float32Array;
  h: Float32Array | null;
  dAp: Float32Array;
  dAr: Float32Array | null;
  dH: Float32Array | null;
  a64: Float64Array;
  h64: Float64Array | null;
}

interface SmallArrays {
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

export class SteNetwork {
  readonly sizes: readonly number[];
  readonly settings: SteNetworkSettings;
  readonly shapes: readonly LayerShape[];
  /** Adam steps taken. */
  step = 0;
  private kernels: SteKernels = jsSteKernels;
  private heap: SteHeap | null = null;
  private capacity = 0;
  private big: BigArrays[] = [];
  private buf: BatchBuffers[] = [];
  private small: SmallArrays[] = [];
  private x0: Float32Array = new Float32Array(0);
  private x64: Float64Array = new Float64Array(0);
  private s64Fresh = false;

  constructor(settings: SteNetworkSettings, rng: Rng, capacity = 100) {
    this.settings = settings;
    this.sizes = settings.sizes.slice();
    const shapes: LayerShape[] = [];
    for (let l = 0; l + 1 < this.sizes.length; l++) {
      const K = this.sizes[l];
      const N = this.sizes[l + 1];
      const P = Math.ceil(N / 8);
      shapes.push({ K, N, P, Np: 8 * P, Kp: 8 * Math.ceil(K / 8) });
    }
    this.shapes = shapes;
    this.allocate(Math.max(1, capacity));
    // W ~ U(−1, 1), drawn row by row (output n, then input k).
    for (let l = 0; l < shapes.length; l++) {
      const { K, N } = shapes[l];
      const w = this.big[l].w;
      for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) w[pidx(n, k, K)] = 2 * rng.next() - 1;
      this.refreshSigns(l);
    }
  }

  /** `'wasm'` when the arrays live in a WebAssembly heap run by the SIMD kernels, else `'js'`. */
  get backend(): 'js' | 'wasm' {
    return this.kernels.name;
  }

  get layers(): number {
    return this.shapes.length;
  }

  /** Make room for minibatches of `rows` rows (re-creates the heap when needed). */
  ensureCapacity(rows: number): void {
    if (rows > this.capacity) this.allocate(rows);
  }

  // ------------------------------------------------------------------------------------------- storage
  private allocate(capacity: number): void {
    const shapes = this.shapes;
    const K0 = this.sizes[0];
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

    let heap: SteHeap | null = null;
    if (this.settings.backend !== 'js') {
      heap = createSteHeap(bytes);
      if (heap === null && this.settings.backend === 'wasm') {
        throw new ArgumentError("invalid argument. `backend` 'wasm' was requested but WebAssembly SIMD is unavailable (or disabled by EBP_BNN_WASM=0).");
      }
    }
    const alloc: SteAlloc = heap ? heapAlloc(heap) : jsSteAlloc;
    const oldBig = this.big;
    const big: BigArrays[] = [];
    const buf: BatchBuffers[] = [];
    for (let l = 0; l < shapes.length; l++) {
      const { K, N, P, Np, Kp } = shapes[l];
      const n = P * K * 8;
      const hidden = l + 1 < shapes.length;
      const b: BigArrays = {
        w: alloc.f64(n),
        m: alloc.f64(n),
        v: alloc.f64(n),
        s: alloc.f32(n),
        st: l > 0 ? alloc.f32(Kp * N) : null,
        g: alloc.f32(n),
        s64: alloc.f64(n),
      };
      if (oldBig.length > 0) {
        const o = oldBig[l];
        b.w.set(o.w);
        b.m.set(o.m);
        b.v.set(o.v);
        b.s.set(o.s);
        if (b.st && o.st) b.st.set(o.st);
      }
      big.push(b);
      buf.push({
        a: alloc.f32(capacity * Np),
        h: hidden ? alloc.f32(capacity * Np) : null,
        dAp: alloc.f32(P * capacity * 8),
        dAr: l > 0 ? alloc.f32(capacity * N) : null,
        dH: l > 0 ? alloc.f32(capacity * Kp) : null,
        a64: alloc.f64(PREDICT_CHUNK * Np),
        h64: hidden ? alloc.f64(PREDICT_CHUNK * Np) : null,
      });
      const oldSmall = this.small[l];
      const keep = (old: Float64Array | undefined, init: number) => {
        const a = alloc.f64(N);
        if (old) a.set(old);
        else if (init !== 0) a.fill(init);
        return a;
      };
      const sm: SmallArrays = {
        gamma: keep(oldSmall?.gamma, 1),
        beta: keep(oldSmall?.beta, 0),
        runningMean: keep(oldSmall?.runningMean, 0),
        runningVar: keep(oldSmall?.runningVar, 1),
        bias: keep(oldSmall?.bias, 0),
        mGamma: keep(oldSmall?.mGamma, 0),
        vGamma: keep(oldSmall?.vGamma, 0),
        mBeta: keep(oldSmall?.mBeta, 0),
        vBeta: keep(oldSmall?.vBeta, 0),
        mBias: keep(oldSmall?.mBias, 0),
        vBias: keep(oldSmall?.vBias, 0),
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
      this.small[l] = sm;
    }
    this.x0 = alloc.f32(capacity * K0);
    this.x64 = alloc.f64(PREDICT_CHUNK * K0);
    this.big = big;
    this.buf = buf;
    this.heap = heap;
    this.kernels = heap ? wasmSteKernels(heap) : jsSteKernels;
    this.capacity = capacity;
    this.s64Fresh = false;
  }

  /** Recompute sign(W) (float32 panel, transposed panel) from the latent weights of layer l. */
  private refreshSigns(l: number): void {
    const { K, N, P } = this.shapes[l];
    const { w, s, st } = this.big[l];
    for (let e = 0; e < P * K * 8; e++) s[e] = w[e] >= 0 ? 1 : -1;
    if (st) {
      for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) st[pidx(k, n, N)] = s[pidx(n, k, K)];
    }
    this.s64Fresh = false;
  }

  // ------------------------------------------------------------------------------------------- training
  /** Input row `src[from .. from+K0)` (float32) into minibatch row `r`. */
  setInputRow(r: number, src: Float32Array, from: number): void {
    const K0 = this.sizes[0];
    this.x0.set(src.subarray(from, from + K0), r * K0);
  }

  /**
   * Forward and backward pass over minibatch rows 0..B−1 (loaded with setInputRow), labels
   * `labels[rows[r]]` (or `labels[r]` when rows is null). Training-mode batch normalisation; with
   * `updateRunning` the running statistics move. Leaves the gradients in place for {@link applyUpdate}.
   * Returns the batch loss and the number of rows whose argmax (first maximum) is not the label.
   */
  forwardBackward(B: number, labels: Int32Array, rows: Int32Array | null, updateRunning: boolean): { loss: number; errors: number } {
    const { shapes, kernels, settings } = this;
    const L = shapes.length;
    const C = this.capacity;
    const bn = settings.batchNorm;
    // Forward.
    for (let l = 0; l < L; l++) {
      const { K, N, P, Np } = shapes[l];
      const input = l === 0 ? this.x0 : (this.buf[l - 1].h as Float32Array);
      const stride = l === 0 ? K : shapes[l - 1].Np;
      const bb = this.buf[l];
      const sm = this.small[l];
      kernels.gemmF32(input, stride, 1, this.big[l].s, K * 8, bb.a, Np, 8, B, P, K);
      if (bn) {
        kernels.bnForward(bb.a, Np, B, N, sm.gamma, sm.beta, settings.bnEpsilon, sm.xhat, sm.z, sm.mean, sm.varB, sm.invStd, bb.h, Np);
        if (updateRunning) bnUpdateRunning(sm.runningMean, sm.runningVar, sm.mean, sm.varB, B, settings.bnMomentum);
      } else {
        scaledBias(bb.a, Np, sm.bias, 1 / Math.sqrt(K + 1), sm.z, B, N);
        if (l + 1 < L) signRows(sm.z, bb.h as Float32Array, B, N, Np);
      }
    }
    // Loss and online error.
    const out = this.small[L - 1];
    const KL = shapes[L - 1].N;
    const loss = lossAndGradient(settings.loss, out.z, labels, rows, B, KL, out.dz);
    let errors = 0;
    for (let m = 0; m < B; m++) if (decide(out.z, m * KL, KL) !== labels[rows === null ? m : rows[m]]) errors++;
    // Backward.
    for (let l = L - 1; l >= 0; l--) {
      const { K, N, P, Kp } = shapes[l];
      const sm = this.small[l];
      const bb = this.buf[l];
      const da = sm.da;
      // dA in panel layout (padded outputs 0) for the weight gradient, row-major (float32) for the gradient to the inputs.
      if (bn) {
        kernels.bnBackwardPanels(sm.dz, sm.xhat, sm.gamma, sm.invStd, B, N, da, sm.dGamma, sm.dBeta, bb.dAp, C, bb.dAr);
      } else {
        scaledBiasBackward(sm.dz, 1 / Math.sqrt(K + 1), da, sm.dBias, B, N);
        kernels.toPanels(da, bb.dAp, B, N, C, bb.dAr);
      }
      const input = l === 0 ? this.x0 : (this.buf[l - 1].h as Float32Array);
      const stride = l === 0 ? K : shapes[l - 1].Np;
      // g(k, n) = Σ_m input(m, k)·dA(m, n), written in panel layout.
      kernels.gemmF32(input, 1, stride, bb.dAp, C * 8, this.big[l].g, 8, K * 8, K, P, B);
      if (l > 0) {
        const dAr = bb.dAr as Float32Array;
        const dH = bb.dH as Float32Array;
        // dH(m, k) = Σ_n dA(m, n)·sign W(n, k).
        kernels.gemmF32(dAr, N, 1, this.big[l].st as Float32Array, N * 8, dH, Kp, 8, B, Kp / 8, N);
        // Hard-tanh straight-through gradient of the sign activation below: passes where |z| ≤ 1.
        const below = this.small[l - 1];
        kernels.htanhGrad(below.z, dH, Kp, below.dz, B, K);
      }
    }
    return { loss, errors };
  }

  /** One Adam step with learning rate `lr` on every parameter (gradients of the last forwardBackward), then the clip. */
  applyUpdate(lr: number): void {
    const { shapes, kernels, settings } = this;
    this.step++;
    const t = this.step;
    const small = adamCoefficients(lr, t, settings.adam);
    for (let l = 0; l < shapes.length; l++) {
      const { K, N, P } = shapes[l];
      const b = this.big[l];
      const c = adamCoefficients(lr * settings.weightLrScale[l], t, settings.adam);
      kernels.adamUpdate(b.w, b.m, b.v, b.g, b.s, b.st, K, N, P, c.b1, c.c1, c.b2, c.c2, c.step, c.ibc2, c.eps, 1);
      const sm = this.small[l];
      if (settings.batchNorm) {
        adamStep(sm.gamma, sm.dGamma, sm.mGamma, sm.vGamma, small);
        adamStep(sm.beta, sm.dBeta, sm.mBeta, sm.vBeta, small);
      } else {
        adamStep(sm.bias, sm.dBias, sm.mBias, sm.vBias, small);
      }
    }
    this.s64Fresh = false;
  }

  /** The gradients left by the last forwardBackward, row-major copies. */
  gradients(): SteLayerGradients[] {
    return this.shapes.map(({ K, N }, l) => {
      const g = this.big[l].g;
      const weights = new Float64Array(N * K);
      for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) weights[n * K + k] = g[pidx(n, k, K)];
      const sm = this.small[l];
      return this.settings.batchNorm
        ? { weights, gamma: sm.dGamma.slice(), beta: sm.dBeta.slice() }
        : { weights, bias: sm.dBias.slice() };
    });
  }

  // ------------------------------------------------------------------------------------------ inference
  /**
   * The inference affine map of layer l: output value = (W·v)·scale + shift, computed as one rounded product and
   * one rounded sum. Batch normalisation: scale = γ/√(running var + ε), shift = β − running mean·scale.
   * Without it: scale = 1/√(K+1), shift = bias·scale.
   */
  inferenceAffine(l: number): { scale: Float64Array; shift: Float64Array } {
    const sm = this.small[l];
    if (this.settings.batchNorm) {
      bnInferenceAffine(sm.gamma, sm.beta, sm.runningMean, sm.runningVar, this.settings.bnEpsilon, sm.scale, sm.shift);
    } else {
      const c = 1 / Math.sqrt(this.shapes[l].K + 1);
      for (let n = 0; n < sm.scale.length; n++) {
        sm.scale[n] = c;
        sm.shift[n] = sm.bias[n] * c;
      }
    }
    return { scale: sm.scale, shift: sm.shift };
  }

  /**
   * The binary network's output values for `rows` rows of X (row-major float64, row r at xOff + r·xStride), into
   * out (row-major [rows, K_L]): hidden v = sign(a·scale + shift) (sign(0) = +1), a = sign(W)·v in float64 summed
   * in input order; last layer a·scale + shift.
   */
  predictInto(X: Float64Array, xOff: number, xStride: number, rows: number, out: Float64Array): void {
    const { shapes, kernels } = this;
    const L = shapes.length;
    const K0 = this.sizes[0];
    if (!this.s64Fresh) {
      for (let l = 0; l < L; l++) {
        const { s, s64 } = this.big[l];
        for (let e = 0; e < s.length; e++) s64[e] = s[e];
      }
      this.s64Fresh = true;
    }
    const aff = shapes.map((_, l) => {
      const a = this.inferenceAffine(l);
      return { scale: a.scale.slice(), shift: a.shift.slice() };
    });
    const KL = shapes[L - 1].N;
    for (let start = 0; start < rows; start += PREDICT_CHUNK) {
      const R = Math.min(PREDICT_CHUNK, rows - start);
      for (let r = 0; r < R; r++) {
        const from = xOff + (start + r) * xStride;
        this.x64.set(X.subarray(from, from + K0), r * K0);
      }
      for (let l = 0; l < L; l++) {
        const { K, N, P, Np } = shapes[l];
        const input = l === 0 ? this.x64 : (this.buf[l - 1].h64 as Float64Array);
        const stride = l === 0 ? K : shapes[l - 1].Np;
        const a = this.buf[l].a64;
        kernels.gemmF64(input, stride, 1, this.big[l].s64, K * 8, a, Np, 8, R, P, K);
        const { scale, shift } = aff[l];
        if (l + 1 < L) {
          const h = this.buf[l].h64 as Float64Array;
          for (let m = 0; m < R; m++) {
            for (let n = 0; n < N; n++) {
              const i = m * Np + n;
              h[i] = a[i] * scale[n] + shift[n] >= 0 ? 1 : -1;
            }
          }
        } else {
          for (let m = 0; m < R; m++) {
            for (let n = 0; n < N; n++) out[(start + m) * KL + n] = a[m * Np + n] * scale[n] + shift[n];
          }
        }
      }
    }
  }

  // ----------------------------------------------------------------------------------------- parameters
  parameters(): SteLayerParameters[] {
    return this.shapes.map(({ K, N }, l) => {
      const w = this.big[l].w;
      const weights = new Float64Array(N * K);
      for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) weights[n * K + k] = w[pidx(n, k, K)];
      const sm = this.small[l];
      const p: SteLayerParameters = { inputs: K, outputs: N, weights };
      if (this.settings.batchNorm) {
        p.gamma = sm.gamma.slice();
        p.beta = sm.beta.slice();
        p.runningMean = sm.runningMean.slice();
        p.runningVar = sm.runningVar.slice();
      } else {
        p.bias = sm.bias.slice();
      }
      return p;
    });
  }

  /** Replace parameters (any subset per layer); weights are clipped to [−1, 1]. Adam state is kept. */
  setParameters(layers: readonly Partial<SteLayerParameters>[]): void {
    if (layers.length !== this.shapes.length) {
      throw new ArgumentError(`invalid argument. setParameters expects ${this.shapes.length} layers, got ${layers.length}.`);
    }
    layers.forEach((p, l) => {
      const { K, N } = this.shapes[l];
      const sm = this.small[l];
      const put = (name: string, src: Float64Array | undefined, dst: Float64Array, len: number) => {
        if (src === undefined) return;
        if (src.length !== len) throw new ArgumentError(`invalid argument. layer ${l} ${name} must have ${len} values, got ${src.length}.`);
        for (let i = 0; i < len; i++) {
          if (!Number.isFinite(src[i])) throw new NumericError(`layer ${l} ${name}[${i}] is ${src[i]}; parameters must be finite.`);
        }
        dst.set(src);
      };
      if (p.weights !== undefined) {
        if (p.weights.length !== N * K) throw new ArgumentError(`invalid argument. layer ${l} weights must have ${N * K} values, got ${p.weights.length}.`);
        const w = this.big[l].w;
        for (let n = 0; n < N; n++) {
          for (let k = 0; k < K; k++) {
            const x = p.weights[n * K + k];
            if (!Number.isFinite(x)) throw new NumericError(`layer ${l} weights[${n * K + k}] is ${x}; parameters must be finite.`);
            w[pidx(n, k, K)] = Math.min(Math.max(x, -1), 1);
          }
        }
        this.refreshSigns(l);
      }
      put('gamma', p.gamma, sm.gamma, N);
      put('beta', p.beta, sm.beta, N);
      put('runningMean', p.runningMean, sm.runningMean, N);
      put('runningVar', p.runningVar, sm.runningVar, N);
      put('bias', p.bias, sm.bias, N);
      if (p.runningVar !== undefined && p.runningVar.some((v) => v < 0)) throw new ArgumentError(`invalid argument. layer ${l} runningVar must be ≥ 0.`);
    });
  }

  /** The Adam moments of every layer (row-major copies); {@link step} is the step count. */
  moments(): SteLayerMoments[] {
    return this.shapes.map(({ K, N }, l) => {
      const b = this.big[l];
      const rows = (a: Float64Array) => {
        const out = new Float64Array(N * K);
        for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) out[n * K + k] = a[pidx(n, k, K)];
        return out;
      };
      const sm = this.small[l];
      const m: SteLayerMoments = { weightsM: rows(b.m), weightsV: rows(b.v) };
      if (this.settings.batchNorm) {
        m.gammaM = sm.mGamma.slice();
        m.gammaV = sm.vGamma.slice();
        m.betaM = sm.mBeta.slice();
        m.betaV = sm.vBeta.slice();
      } else {
        m.biasM = sm.mBias.slice();
        m.biasV = sm.vBias.slice();
      }
      return m;
    });
  }

  /**
   * Replace the Adam moments (every array of every layer, as {@link moments} gives them; second moments ≥ 0)
   * and the step count.
   */
  setMoments(layers: readonly SteLayerMoments[], step: number): void {
    if (layers.length !== this.shapes.length) {
      throw new ArgumentError(`invalid argument. setMoments expects ${this.shapes.length} layers, got ${layers.length}.`);
    }
    if (!Number.isSafeInteger(step) || step < 0) throw new ArgumentError(`invalid argument. The Adam step count must be a non-negative integer. Value: \`${step}\`.`);
    const bn = this.settings.batchNorm;
    const names = bn ? (['gammaM', 'gammaV', 'betaM', 'betaV'] as const) : (['biasM', 'biasV'] as const);
    // Validate everything before changing anything.
    layers.forEach((p, l) => {
      const { K, N } = this.shapes[l];
      const check = (name: string, a: Float64Array | undefined, len: number, second: boolean) => {
        if (!(a instanceof Float64Array) || a.length !== len) {
          throw new ArgumentError(`invalid argument. layer ${l} ${name} must be a Float64Array of ${len} values, got ${a === undefined ? 'none' : a.length}.`);
        }
        for (let i = 0; i < len; i++) {
          if (!Number.isFinite(a[i]) || (second && a[i] < 0)) throw new NumericError(`layer ${l} ${name}[${i}] is ${a[i]}; Adam moments must be finite${second ? ' and ≥ 0' : ''}.`);
        }
      };
      check('weightsM', p.weightsM, N * K, false);
      check('weightsV', p.weightsV, N * K, true);
      for (const name of names) check(name, p[name], N, name.endsWith('V'));
    });
    layers.forEach((p, l) => {
      const { K, N } = this.shapes[l];
      const b = this.big[l];
      for (let n = 0; n < N; n++) {
        for (let k = 0; k < K; k++) {
          b.m[pidx(n, k, K)] = p.weightsM[n * K + k];
          b.v[pidx(n, k, K)] = p.weightsV[n * K + k];
        }
      }
      const sm = this.small[l];
      if (bn) {
        sm.mGamma.set(p.gammaM as Float64Array);
        sm.vGamma.set(p.gammaV as Float64Array);
        sm.mBeta.set(p.betaM as Float64Array);
        sm.vBeta.set(p.betaV as Float64Array);
      } else {
        sm.mBias.set(p.biasM as Float64Array);
        sm.vBias.set(p.biasV as Float64Array);
      }
    });
    this.step = step;
  }

  /** Throws a NumericError when a parameter is not finite. */
  assertFinite(where: string): void {
    for (let l = 0; l < this.shapes.length; l++) {
      const sm = this.small[l];
      for (const [name, a] of [['weights', this.big[l].w], ['gamma', sm.gamma], ['beta', sm.beta], ['running mean', sm.runningMean], ['running var', sm.runningVar], ['bias', sm.bias]] as const) {
        for (let i = 0; i < a.length; i++) {
          if (!Number.isFinite(a[i])) throw new NumericError(`STE layer ${l} ${name} became ${a[i]} ${where}; try a smaller learning rate.`);
        }
      }
    }
  }
}

/** h(m, n) = sign z(m, n) (sign(0) = +1) into rows of width Np. */
function signRows(z: Float64Array, h: Float32Array, B: number, N: number, Np: number): void {
  for (let m = 0; m < B; m++) {
    const o = m * Np;
    const r = m * N;
    for (let n = 0; n < N; n++) h[o + n] = z[r + n] >= 0 ? 1 : -1;
  }
}

/** Without batch norm: z = (a + b)·c. */
function scaledBias(a: Float32Array, lda: number, bias: Float64Array, c: number, z: Float64Array, B: number, N: number): void {
  for (let m = 0; m < B; m++) {
    const o = m * lda;
    const r = m * N;
    for (let n = 0; n < N; n++) z[r + n] = (a[o + n] + bias[n]) * c;
  }
}

/** Backward of z = (a + b)·c: da = dz·c, db = Σ_m dz·c. */
function scaledBiasBackward(dz: Float64Array, c: number, da: Float64Array, db: Float64Array, B: number, N: number): void {
  db.fill(0);
  for (let m = 0; m < B; m++) {
    const r = m * N;
    for (let n = 0; n < N; n++) {
      const d = dz[r + n] * c;
      da[r + n] = d;
      db[n] += d;
    }
  }
}

/** Panel-layout index of element (n, k) of an [N, K] matrix. */
export function pidx(n: number, k: number, K: number): number {
  return (n >> 3) * K * 8 + k * 8 + (n & 7);
}

