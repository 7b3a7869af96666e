/**
 * EBP training kernels in plain TypeScript: unchecked loops over typed arrays, no allocation.
 * wasm/ebp_kernels.c holds the same loops with f64x2 SIMD; the two are tested against each other.
 * Layouts: weights row-major [Kout, K]; batch buffers row-major [B, width]. Forward kernels write μ̄ to
 * `ubar` and σ̄² (the variance of the pre-activation field) to `sigma2`; `variance`/`wvar` is Var W.
 */
import { REFRESH_BINARY, REFRESH_TERNARY, type Refresh } from './ebp-constants';

const INV_LN2 = 1.442695040888963387e+0;
const LN2_HI = 6.9314718036912381649e-1; // low 21 bits zero: k·LN2_HI is exact
const LN2_LO = 1.90821492927058770002e-10;
const ROUND_SHIFT = 6755399441055744; // 1.5·2^52: y + S − S rounds y to the nearest integer (ties to even)
const P1 = 1.66666666666666019037e-1;
const P2 = -2.77777777770155933842e-3;
const P3 = 6.61375632143793436117e-5;
const P4 = -1.65339022054652515390e-6;
const P5 = 4.13813679705723846039e-8;
const POW2_OFFSET = 1100;
const POW2 = new Float64Array(POW2_OFFSET + 1);
for (let e = -POW2_OFFSET; e <= 0; e++) POW2[e + POW2_OFFSET] = Math.pow(2, e);

/**
 * Binary-weight moments of h[off..off+n): mean = tanh h, var = sech² h, map = sign h (sign(0) = +1),
 * from e = exp(−2|h|): tanh|h| = (1 − e)/(1 + e), sech² h = 4e/(1 + e)², so sech² keeps its relative
 * precision for large |h| (spec §11.4). exp by fdlibm's method (e_exp.c, Sun Microsystems 1993, freely
 * redistributable with this notice): y = k ln2 + x, |x| ≤ ln2/2, c = x − x²P(x²), exp(x) = N/D with
 * D = 2 − c, N = D + 2x; e = 2^k N/D is kept as a fraction so one division serves tanh and sech².
 * e is flushed to 0 below exp(−708). The same operations as the WebAssembly lane code (same bits).
 */
export function moments(h: Float64Array, mean: Float64Array, variance: Float64Array, map: Float64Array, off: number, n: number): void {
  for (let i = off, end = off + n; i < end; i++) {
    const v = h[i];
    const y = -2 * Math.abs(v);
    const yc = y < -709 ? -709 : y; // keeps the reduction finite for |h| up to infinity (same as f64x2.pmax)
    const t = yc * INV_LN2 + ROUND_SHIFT;
    const kf = t - ROUND_SHIFT;
    const x = yc - kf * LN2_HI - kf * LN2_LO;
    const xx = x * x;
    const c = x - xx * ((((P5 * xx + P4) * xx + P3) * xx + P2) * xx + P1);
    const D = 2 - c;
    const N = D + (x + x);
    const sN = y < -708 ? 0 : N * POW2[(kf | 0) + POW2_OFFSET];
    const inv = 1 / (D + sN);
    const s = v < 0 ? -1 : 1;
    // (D − sN)/(D + sN) keeps relative accuracy for small |h|; 1 − 2sN/(D + sN) is closer to correctly
    // rounded near ±1 and exactly 1 once e < 2^−54 (the WebAssembly code selects the same way).
    const q = sN * inv;
    mean[i] = s * (Math.abs(v) < 1 ? (D - sN) * inv : 1 - (q + q));
    variance[i] = 4 * sN * (D * inv) * inv;
    map[i] = s;
  }
}

/** exp(y) for y ≤ 0 by the reduction of {@link moments} (sN/D; 0 below −708): the same bits as the WebAssembly code. */
function expNonPositive(y: number): number {
  const yc = y < -709 ? -709 : y;
  const t = yc * INV_LN2 + ROUND_SHIFT;
  const kf = t - ROUND_SHIFT;
  const x = yc - kf * LN2_HI - kf * LN2_LO;
  const xx = x * x;
  const c = x - xx * ((((P5 * xx + P4) * xx + P3) * xx + P2) * xx + P1);
  const D = 2 - c;
  const N = D + (x + x);
  const sN = y < -708 ? 0 : N * POW2[(kf | 0) + POW2_OFFSET];
  return sN / D;
}

/**
 * Ternary-weight moments of h[off..off+n): levels [−1, 0, 1], prior t = (π₋, π₀, π₊, log π₋, log π₀, log π₊),
 * q(s) ∝ π(s)e^{h s}. With E = e^{−|h|} ≤ 1 the weights π(s)e^{h s} divided by e^{|h|} are, for h ≥ 0,
 * w₊ = π₊, w₀ = π₀E, w₋ = π₋E² (mirrored for h < 0): all in [0, 1], so no shift by the maximum is needed.
 * mean = (w₊ − w₋)/Z; the variance is Σ w_s (s − mean)²/Z with 1 − mean = (w₀ + 2w₋)/Z and
 * 1 + mean = (w₀ + 2w₊)/Z written without the cancellation of 1 − mean near mean = 1 (a sum of non-negative
 * terms, never negative). map = argmax_s [log π(s) + h s], ties to the larger level (as sign(0) = +1).
 * The same operations as the WebAssembly lane code (same bits).
 */
export function ternaryMoments(h: Float64Array, mean: Float64Array, variance: Float64Array, map: Float64Array, off: number, n: number, t: Float64Array): void {
  for (let i = off, end = off + n; i < end; i++) ternaryOne(h, mean, variance, map, i, t);
}

/** {@link ternaryMoments} for the entries off + cols[u], u < count. */
export function ternaryMomentsAt(
  h: Float64Array, mean: Float64Array, variance: Float64Array, map: Float64Array, off: number, cols: Int32Array, count: number, t: Float64Array,
): void {
  for (let u = 0; u < count; u++) ternaryOne(h, mean, variance, map, off + cols[u], t);
}

function ternaryOne(h: Float64Array, mean: Float64Array, variance: Float64Array, map: Float64Array, i: number, t: Float64Array): void {
  const x = h[i];
  const aM = t[3] - x;
  const a0 = t[4];
  const aP = t[5] + x;
  map[i] = aP >= a0 && aP >= aM ? 1 : a0 >= aM ? 0 : -1;
  const E = expNonPositive(-Math.abs(x));
  const w0 = t[1] * E;
  const EE = E * E;
  const wP = x < 0 ? t[2] * EE : t[2];
  const wM = x < 0 ? t[0] : t[0] * EE;
  const Z = wM + w0 + wP;
  const m = (wP - wM) / Z;
  const dP = (w0 + 2 * wM) / Z; // 1 − m
  const dM = (w0 + 2 * wP) / Z; // 1 + m
  mean[i] = m;
  variance[i] = (wP * dP * dP + w0 * m * m + wM * dM * dM) / Z;
}

/** First layer, sparse rows: μ̄ = (Σ m x + b)/c, σ̄² = (Σ Var W · x² + 1)/k1. */
export function inputSparse(
  mean: Float64Array, wvar: Float64Array, b: Float64Array, K: number, Kout: number,
  nzStart: Int32Array, nzIdx: Int32Array, nzVal: Float64Array, nzVal2: Float64Array, B: number,
  ubar: Float64Array, sigma2: Float64Array, c: number, k1: number,
): void {
  for (let k = 0; k < Kout; k++) {
    const row = k * K;
    for (let n = 0; n < B; n++) {
      let s = 0;
      let sv = 0;
      for (let t = nzStart[n], e = nzStart[n + 1]; t < e; t++) {
        const j = row + nzIdx[t];
        s += mean[j] * nzVal[t];
        sv += wvar[j] * nzVal2[t];
      }
      ubar[n * Kout + k] = (s + b[k]) / c;
      sigma2[n * Kout + k] = (sv + 1) / k1;
    }
  }
}

/**
 * Dense layer. First layer (`hidden` false): σ̄² = (Σ Var W · a + 1)/k1 with a = x².
 * Hidden layer: a = Var v and σ̄² = (Σ Var W + Σ m² a + 1)/k1, since ⟨v²⟩ = 1.
 */
export function denseLayer(
  mean: Float64Array, wvar: Float64Array, b: Float64Array, K: number, Kout: number,
  mu: Float64Array, second: Float64Array, hidden: boolean, B: number,
  ubar: Float64Array, sigma2: Float64Array, c: number, k1: number,
): void {
  for (let k = 0; k < Kout; k++) {
    const row = k * K;
    let rowVar = 0;
    if (hidden) for (let j = 0; j < K; j++) rowVar += wvar[row + j];
    for (let n = 0; n < B; n++) {
      const xo = n * K;
      let s = 0;
      let sv = 0;
      if (hidden) {
        for (let j = 0; j < K; j++) {
          const m = mean[row + j];
          s += m * mu[xo + j];
          sv += m * m * second[xo + j];
        }
        sv += rowVar;
      } else {
        for (let j = 0; j < K; j++) {
          s += mean[row + j] * mu[xo + j];
          sv += wvar[row + j] * second[xo + j];
        }
      }
      ubar[n * Kout + k] = (s + b[k]) / c;
      sigma2[n * Kout + k] = (sv + 1) / k1;
    }
  }
}

/** EBP-D layer: W x + b at the last layer, sign(W x + b) (sign(0) = +1) before it. */
export function signDense(
  w: Float64Array, b: Float64Array, K: number, Kout: number, x: Float64Array, B: number, out: Float64Array, last: boolean,
): void {
  for (let k = 0; k < Kout; k++) {
    const row = k * K;
    for (let n = 0; n < B; n++) {
      const xo = n * K;
      let s = 0;
      for (let j = 0; j < K; j++) s += w[row + j] * x[xo + j];
      s += b[k];
      out[n * Kout + k] = last ? s : s < 0 ? -1 : 1;
    }
  }
}

export function signSparse(
  w: Float64Array, b: Float64Array, K: number, Kout: number,
  nzStart: Int32Array, nzIdx: Int32Array, nzVal: Float64Array, B: number, out: Float64Array, last: boolean,
): void {
  for (let k = 0; k < Kout; k++) {
    const row = k * K;
    for (let n = 0; n < B; n++) {
      let s = 0;
      for (let t = nzStart[n], e = nzStart[n + 1]; t < e; t++) s += w[row + nzIdx[t]] * nzVal[t];
      s += b[k];
      out[n * Kout + k] = last ? s : s < 0 ? -1 : 1;
    }
  }
}

/**
 * δ_{l−1}[n, j] = (Σ_k m[k, j] δ_l[n, k]) / c · 2N(0 | μ̄, σ̄²)[n, j] (spec §5), accumulated in `below`
 * with the weight rows outer (each row read once per batch), the sum over k in increasing order.
 */
export function backwardHidden(
  mean: Float64Array, K: number, Kout: number, delta: Float64Array, dmu: Float64Array, below: Float64Array, B: number, c: number,
): void {
  below.fill(0, 0, B * K);
  for (let k = 0; k < Kout; k++) {
    const row = k * K;
    for (let n = 0; n < B; n++) {
      const d = delta[n * Kout + k];
      if (d === 0) continue;
      const o = n * K;
      for (let j = 0; j < K; j++) below[o + j] += mean[row + j] * d;
    }
  }
  for (let i = 0, e = B * K; i < e; i++) below[i] = (below[i] / c) * dmu[i];
}

/** h[k, :] += scale·(g/c), g = Σ_n δ[n, k] μ_in[n, :] (spec §6); refresh the row's moments (binary, ternary). */
export function updateDense(
  h: Float64Array, mean: Float64Array, variance: Float64Array, map: Float64Array, K: number, Kout: number,
  delta: Float64Array, muIn: Float64Array, B: number, g: Float64Array, c: number, scale: number, refresh: Refresh, prior: Float64Array,
): void {
  for (let k = 0; k < Kout; k++) {
    const row = k * K;
    g.fill(0, 0, K);
    for (let n = 0; n < B; n++) {
      const d = delta[n * Kout + k];
      if (d === 0) continue;
      const o = n * K;
      for (let j = 0; j < K; j++) g[j] += d * muIn[o + j];
    }
    for (let j = 0; j < K; j++) h[row + j] += scale * (g[j] / c);
    if (refresh === REFRESH_BINARY) moments(h, mean, variance, map, row, K);
    else if (refresh === REFRESH_TERNARY) ternaryMoments(h, mean, variance, map, row, K, prior);
  }
}

/**
 * First layer with sparse rows: each row's increments go straight into h at the non-zero columns
 * (h += scale·(δ/c)·x, sample by sample), then the moments are refreshed over the whole row or, when
 * the union of non-zero columns (`union`, `count`) is under 3/4 of the row, only there. Untouched
 * columns keep their h, so this equals the dense update up to the order of the additions.
 */
export function updateSparse(
  h: Float64Array, mean: Float64Array, variance: Float64Array, map: Float64Array, K: number, Kout: number,
  delta: Float64Array, nzStart: Int32Array, nzIdx: Int32Array, nzVal: Float64Array, B: number,
  union: Int32Array, count: number, c: number, scale: number, refresh: Refresh, prior: Float64Array,
): void {
  for (let k = 0; k < Kout; k++) {
    const row = k * K;
    for (let n = 0; n < B; n++) {
      const d = scale * (delta[n * Kout + k] / c);
      if (d === 0) continue;
      for (let t = nzStart[n], e = nzStart[n + 1]; t < e; t++) h[row + nzIdx[t]] += d * nzVal[t];
    }
    if (refresh === REFRESH_BINARY) {
      if (count * 4 >= K * 3) moments(h, mean, variance, map, row, K);
      else for (let u = 0; u < count; u++) moments(h, mean, variance, map, row + union[u], 1);
    } else if (refresh === REFRESH_TERNARY) {
      if (count * 4 >= K * 3) ternaryMoments(h, mean, variance, map, row, K, prior);
      else ternaryMomentsAt(h, mean, variance, map, row, union, count, prior);
    }
  }
}
