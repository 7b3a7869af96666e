/**
 * Inference of the STE network: the binary network sign(W) with batch normalisation in inference mode (the
 * running statistics) or the scaled bias, float64 throughout. fold.ts derives the packed engine's thresholds
 * from the same affine map, so the folded network reproduces these scores bit for bit.
 */
import { bnInferenceAffine } from './batchnorm';
import { PREDICT_CHUNK, type SteStorage } from './layers';
import { steSign } from './quantizer';

/**
 * The inference affine map of layer l: output value = (W·v)·scale + shift, computed as one rounded product and
 * one rounded sum. Batch normalisation: scale = γ/√(running var + ε), shift = β − running mean·scale.
 * Without it: scale = 1/√(K+1), shift = bias·scale. The arrays returned are the storage's (overwritten by the
 * next call).
 */
export function inferenceAffine(store: SteStorage, l: number): { scale: Float64Array; shift: Float64Array } {
  const sm = store.small[l];
  if (store.settings.batchNorm) {
    bnInferenceAffine(sm.gamma, sm.beta, sm.runningMean, sm.runningVar, store.settings.bnEpsilon, sm.scale, sm.shift);
  } else {
    const c = 1 / Math.sqrt(store.shapes[l].K + 1);
    for (let n = 0; n < sm.scale.length; n++) {
      sm.scale[n] = c;
      sm.shift[n] = sm.bias[n] * c;
    }
  }
  return { scale: sm.scale, shift: sm.shift };
}

/**
 * The binary network's output values for `rows` rows of X (row-major float64, row r at xOff + r·xStride), into
 * out (row-major [rows, K_L]): hidden v = q(a·scale + shift) (the quantizer's sign, sign(0) = +1),
 * a = sign(W)·v in float64 summed in input order; last layer a·scale + shift.
 */
export function predictInto(store: SteStorage, X: Float64Array, xOff: number, xStride: number, rows: number, out: Float64Array): void {
  const { shapes, kernels } = store;
  const L = shapes.length;
  const K0 = store.sizes[0];
  refreshInferenceSigns(store);
  const aff = shapes.map((_, l) => {
    const a = inferenceAffine(store, l);
    return { scale: a.scale.slice(), shift: a.shift.slice() };
  });
  const KL = shapes[L - 1].N;
  for (let start = 0; start < rows; start += PREDICT_CHUNK) {
    const R = Math.min(PREDICT_CHUNK, rows - start);
    for (let r = 0; r < R; r++) {
      const from = xOff + (start + r) * xStride;
      store.x64.set(X.subarray(from, from + K0), r * K0);
    }
    for (let l = 0; l < L; l++) {
      const { K, N, P, Np } = shapes[l];
      const input = l === 0 ? store.x64 : (store.buf[l - 1].h64 as Float64Array);
      const stride = l === 0 ? K : shapes[l - 1].Np;
      const a = store.buf[l].a64;
      kernels.gemmF64(input, stride, 1, store.big[l].s64, K * 8, a, Np, 8, R, P, K);
      const { scale, shift } = aff[l];
      if (l + 1 < L) {
        const h = store.buf[l].h64 as Float64Array;
        for (let m = 0; m < R; m++) {
          for (let n = 0; n < N; n++) {
            const i = m * Np + n;
            h[i] = steSign(a[i] * scale[n] + shift[n]);
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

/** sign(W) as float64 (the inference GEMM's operand), copied from the float32 signs when they changed. */
function refreshInferenceSigns(store: SteStorage): void {
  if (store.s64Fresh) return;
  for (let l = 0; l < store.shapes.length; l++) {
    const { s, s64 } = store.big[l];
    for (let e = 0; e < s.length; e++) s64[e] = s[e];
  }
  store.s64Fresh = true;
}
