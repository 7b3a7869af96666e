/**
 * The training pass of the STE network over one minibatch: the forward pass with training-mode batch
 * normalisation (or the scaled bias), the loss and its gradient at the output, and the straight-through
 * backward pass to every weight matrix, γ and β (or bias).
 *
 * Numerics. The three big matrix products (forward X·sign(W)ᵀ, weight gradient dAᵀ·X, gradient to the inputs
 * dA·sign(W)) have float32 operands and sums, as in the PyTorch reference; their results are exact whenever the
 * operands are ±1 (the hidden layers' forward products are integers below 2²⁴). Everything else is float64.
 * Signs and their gradients are the quantizer's (quantizer.ts).
 */
import { decide } from '../util/decide';
import { bnUpdateRunning } from './batchnorm';
import { panelToRows, type SteLayerGradients, type SteStorage } from './layers';
import { lossAndGradient } from './loss';
import { activationGradient, quantizeActivations } from './quantizer';

/**
 * Forward and backward pass over minibatch rows 0..B−1 (already in `store.x0`), labels `labels[rows[r]]` (or
 * `labels[r]` when rows is null). Training-mode batch normalisation; with `updateRunning` the running
 * statistics move. Leaves the gradients in place for the optimiser step. Returns the batch loss and the number
 * of rows whose class decision (argmax, first maximum) is not the label.
 */
export function forwardBackward(store: SteStorage, B: number, labels: Int32Array, rows: Int32Array | null, updateRunning: boolean): { loss: number; errors: number } {
  forwardPass(store, B, updateRunning);
  const result = outputLoss(store, B, labels, rows);
  backwardPass(store, B);
  return result;
}

/** The input of layer l (minibatch rows) and its row stride. */
function layerInput(store: SteStorage, l: number): { input: Float32Array; stride: number } {
  return l === 0
    ? { input: store.x0, stride: store.shapes[0].K }
    : { input: store.buf[l - 1].h as Float32Array, stride: store.shapes[l - 1].Np };
}

/** Every layer's pre-activations a = sign(W)·v, z (batch norm or scaled bias) and, for hidden layers, v' = q(z). */
function forwardPass(store: SteStorage, B: number, updateRunning: boolean): void {
  const { shapes, kernels, settings } = store;
  const L = shapes.length;
  for (let l = 0; l < L; l++) {
    const { K, N, P, Np } = shapes[l];
    const { input, stride } = layerInput(store, l);
    const bb = store.buf[l];
    const sm = store.small[l];
    kernels.gemmF32(input, stride, 1, store.big[l].s, K * 8, bb.a, Np, 8, B, P, K);
    if (settings.batchNorm) {
      kernels.bnForward(bb.a, Np, B, N, sm.gamma, sm.beta, settings.bnEpsilon, sm.xhat, sm.z, sm.mean, sm.varB, sm.invStd, bb.h, Np);
      if (updateRunning) bnUpdateRunning(sm.runningMean, sm.runningVar, sm.mean, sm.varB, B, settings.bnMomentum);
    } else {
      scaledBias(bb.a, Np, sm.bias, 1 / Math.sqrt(K + 1), sm.z, B, N);
      if (l + 1 < L) quantizeActivations(sm.z, bb.h as Float32Array, B, N, Np);
    }
  }
}

/** The batch loss with ∂L/∂z of the output layer written into its dz, and the online error count. */
function outputLoss(store: SteStorage, B: number, labels: Int32Array, rows: Int32Array | null): { loss: number; errors: number } {
  const L = store.shapes.length;
  const out = store.small[L - 1];
  const KL = store.shapes[L - 1].N;
  const loss = lossAndGradient(store.settings.loss, out.z, labels, rows, B, KL, out.dz);
  let errors = 0;
  for (let m = 0; m < B; m++) if (decide(out.z, m * KL, KL) !== labels[rows === null ? m : rows[m]]) errors++;
  return { loss, errors };
}

/** From the output dz down: γ/β (or bias) gradients, weight gradients (panel layout), dz of the layer below. */
function backwardPass(store: SteStorage, B: number): void {
  const { shapes, kernels, settings } = store;
  const C = store.capacity;
  for (let l = shapes.length - 1; l >= 0; l--) {
    const { K, N, P, Kp } = shapes[l];
    const sm = store.small[l];
    const bb = store.buf[l];
    const da = sm.da;
    // dA in panel layout (padded outputs 0) for the weight gradient, row-major (float32) for the gradient to the inputs.
    if (settings.batchNorm) {
      kernels.bnBackwardPanels(sm.dz, sm.xhat, sm.gamma, sm.invStd, B, N, da, sm.dGamma, sm.dBeta, bb.dAp, C, bb.dAr);
    } else {
      scaledBiasBackward(sm.dz, 1 / Math.sqrt(K + 1), da, sm.dBias, B, N);
      kernels.toPanels(da, bb.dAp, B, N, C, bb.dAr);
    }
    const { input, stride } = layerInput(store, l);
    // g(k, n) = Σ_m input(m, k)·dA(m, n), written in panel layout. Weights: identity STE (see quantizer.ts).
    kernels.gemmF32(input, 1, stride, bb.dAp, C * 8, store.big[l].g, 8, K * 8, K, P, B);
    if (l > 0) {
      const dAr = bb.dAr as Float32Array;
      const dH = bb.dH as Float32Array;
      // dH(m, k) = Σ_n dA(m, n)·sign W(n, k).
      kernels.gemmF32(dAr, N, 1, store.big[l].st as Float32Array, N * 8, dH, Kp, 8, B, Kp / 8, N);
      // The quantizer's straight-through gradient of the sign activation below: passes where |z| ≤ 1.
      const below = store.small[l - 1];
      activationGradient(kernels, below.z, dH, Kp, below.dz, B, K);
    }
  }
}

/** The gradients left by the last training pass, row-major copies. */
export function weightGradients(store: SteStorage): SteLayerGradients[] {
  return store.shapes.map(({ K, N }, l) => {
    const weights = panelToRows(store.big[l].g, N, K);
    const sm = store.small[l];
    return store.settings.batchNorm
      ? { weights, gamma: sm.dGamma.slice(), beta: sm.dBeta.slice() }
      : { weights, bias: sm.dBias.slice() };
  });
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
