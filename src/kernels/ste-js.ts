/**
 * STE kernels in plain TypeScript: unchecked loops over typed arrays, no allocation. wasm/ste_kernels.c holds
 * the same loops with SIMD128; every sum runs in the same order with the same roundings (float32 sums through
 * Math.fround), so both backends give the same bits (tests/unit/kernels/ste-kernels.test.ts).
 * Nothing here imports upward: the batch-norm training loops (documented in src/ste/batchnorm.ts, which
 * re-exports them) live here with the kernels that run them.
 *
 * Panel layout: a matrix with `cols` columns is stored as ceil(cols/8) panels of 8 columns; element (p, 8q + l)
 * of panel q is at `q*bqs + p*8 + l`. The GEMMs compute, for every output row i and panel q,
 *   C[i*cis + q*cqs + l] = Σ_{p = 0..depth−1, in order} A[i*ais + p*aps] · B[q*bqs + p*8 + l],  l = 0..7.
 */

const fround = Math.fround;

/** float32 panel GEMM (training passes); see the module comment. */
export function gemmF32(
  A: Float32Array, ais: number, aps: number, B: Float32Array, bqs: number, C: Float32Array, cis: number, cqs: number,
  rows: number, panels: number, depth: number,
): void {
  for (let i = 0; i < rows; i++) {
    const ai = i * ais;
    for (let q = 0; q < panels; q++) {
      const bq = q * bqs;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
      for (let p = 0, a = ai, b = bq; p < depth; p++, a += aps, b += 8) {
        const x = A[a];
        s0 = fround(s0 + fround(x * B[b]));
        s1 = fround(s1 + fround(x * B[b + 1]));
        s2 = fround(s2 + fround(x * B[b + 2]));
        s3 = fround(s3 + fround(x * B[b + 3]));
        s4 = fround(s4 + fround(x * B[b + 4]));
        s5 = fround(s5 + fround(x * B[b + 5]));
        s6 = fround(s6 + fround(x * B[b + 6]));
        s7 = fround(s7 + fround(x * B[b + 7]));
      }
      const c = i * cis + q * cqs;
      C[c] = s0; C[c + 1] = s1; C[c + 2] = s2; C[c + 3] = s3;
      C[c + 4] = s4; C[c + 5] = s5; C[c + 6] = s6; C[c + 7] = s7;
    }
  }
}

/**
 * float64 panel GEMM (inference); see the module comment. One lane (output column) at a time, each a plain
 * dot product over p in order: the same sums, in the same order, as the eight running sums of gemmF32's form.
 */
export function gemmF64(
  A: Float64Array, ais: number, aps: number, B: Float64Array, bqs: number, C: Float64Array, cis: number, cqs: number,
  rows: number, panels: number, depth: number,
): void {
  for (let i = 0; i < rows; i++) {
    for (let q = 0; q < panels; q++) {
      for (let l = 0; l < 8; l++) {
        let s = 0;
        for (let p = 0; p < depth; p++) s += A[i * ais + p * aps] * B[q * bqs + p * 8 + l];
        C[i * cis + q * cqs + l] = s;
      }
    }
  }
}

/**
 * One Adam step (PyTorch's formula) on a weight matrix in panel layout [panels][K][8], the clip to [−clip, clip],
 * and s = sign(w) (sign(0) = +1) into `s` (same layout) and, unless null, into `st`, the panel layout of the
 * transposed [N, K] matrix (element (n, k) at ⌊k/8⌋·N·8 + n·8 + k mod 8, columns n < N only). Per element:
 *   m = b1·m + c1·g;  v = b2·v + (c2·g)·g;  d = √v·ibc2 + eps;  w = w − step·(m/d);  w = min(max(w, −clip), clip)
 * with c1 = 1 − b1, c2 = 1 − b2, step = lr/(1 − b1^t), ibc2 = 1/√(1 − b2^t).
 */
export function adamUpdate(
  w: Float64Array, m: Float64Array, v: Float64Array, grad: Float32Array, s: Float32Array, st: Float32Array | null,
  K: number, N: number, panels: number,
  b1: number, c1: number, b2: number, c2: number, step: number, ibc2: number, eps: number, clip: number,
): void {
  const total = panels * K * 8;
  const lo = -clip;
  for (let e = 0; e < total; e++) {
    const g = grad[e];
    const mm = b1 * m[e] + c1 * g;
    const vv = b2 * v[e] + c2 * g * g;
    const d = Math.sqrt(vv) * ibc2 + eps;
    let ww = w[e] - step * (mm / d);
    ww = Math.min(Math.max(ww, lo), clip);
    m[e] = mm;
    v[e] = vv;
    w[e] = ww;
    s[e] = ww >= 0 ? 1 : -1;
  }
  if (st !== null) {
    for (let q = 0; q < panels; q++) {
      const nEnd = Math.min(8, N - q * 8);
      for (let k = 0; k < K; k++) {
        const sp = (q * K + k) * 8;
        const dst = (k >> 3) * N * 8 + (k & 7);
        for (let l = 0; l < nEnd; l++) st[dst + (q * 8 + l) * 8] = s[sp + l];
      }
    }
  }
}

/**
 * Batch normalisation, training-mode forward (formulas: src/ste/batchnorm.ts). Reads a(m, n) = a[m·lda + n] for
 * m < B, n < N; writes x̂ and z (row-major [B, N]) and the batch mean, biased variance and r = 1/√(σ² + ε) per
 * column.
 */
export function bnForwardTrain(
  a: Float32Array | Float64Array, lda: number, B: number, N: number, gamma: Float64Array, beta: Float64Array, eps: number,
  xhat: Float64Array, z: Float64Array, mean: Float64Array, varB: Float64Array, invStd: Float64Array,
): void {
  // Row-major traversal with per-column accumulators: each column's sums still run over m = 0, 1, ... in order.
  mean.fill(0);
  for (let m = 0; m < B; m++) {
    const o = m * lda;
    for (let n = 0; n < N; n++) mean[n] += a[o + n];
  }
  for (let n = 0; n < N; n++) mean[n] /= B;
  varB.fill(0);
  for (let m = 0; m < B; m++) {
    const o = m * lda;
    for (let n = 0; n < N; n++) {
      const d = a[o + n] - mean[n];
      varB[n] += d * d;
    }
  }
  for (let n = 0; n < N; n++) {
    varB[n] /= B;
    invStd[n] = 1 / Math.sqrt(varB[n] + eps);
  }
  for (let m = 0; m < B; m++) {
    const o = m * lda;
    const r = m * N;
    for (let n = 0; n < N; n++) {
      const xh = (a[o + n] - mean[n]) * invStd[n];
      xhat[r + n] = xh;
      z[r + n] = gamma[n] * xh + beta[n];
    }
  }
}

/**
 * Batch normalisation, training-mode backward: from dz (row-major [B, N]) to da (row-major [B, N]) and the
 * parameter gradients:
 *   dβ = Σ dz,  dγ = Σ dz·x̂,  da = γ·r/B · (B·dz − dβ − x̂·dγ).
 */
export function bnBackward(
  dz: Float64Array, xhat: Float64Array, gamma: Float64Array, invStd: Float64Array, B: number, N: number,
  da: Float64Array, dgamma: Float64Array, dbeta: Float64Array,
): void {
  dbeta.fill(0);
  dgamma.fill(0);
  for (let m = 0; m < B; m++) {
    const r = m * N;
    for (let n = 0; n < N; n++) {
      const d = dz[r + n];
      dbeta[n] += d;
      dgamma[n] += d * xhat[r + n];
    }
  }
  for (let m = 0; m < B; m++) {
    const r = m * N;
    for (let n = 0; n < N; n++) {
      const i = r + n;
      da[i] = ((gamma[n] * invStd[n]) / B) * (B * dz[i] - dbeta[n] - xhat[i] * dgamma[n]);
    }
  }
}

/**
 * Training-mode batch-norm forward ({@link bnForwardTrain}, same order of operations), and, unless h is null,
 * the float32 signs h[m·ldh + n] = z ≥ 0 ? 1 : −1 of a hidden layer.
 */
export function bnForward(
  a: Float32Array, lda: number, B: number, N: number, gamma: Float64Array, beta: Float64Array, eps: number,
  xhat: Float64Array, z: Float64Array, mean: Float64Array, varB: Float64Array, invStd: Float64Array, h: Float32Array | null, ldh: number,
): void {
  bnForwardTrain(a, lda, B, N, gamma, beta, eps, xhat, z, mean, varB, invStd);
  if (h !== null) {
    for (let m = 0; m < B; m++) {
      const o = m * ldh;
      const r = m * N;
      for (let n = 0; n < N; n++) h[o + n] = z[r + n] >= 0 ? 1 : -1;
    }
  }
}

/** Row-major da [B, N] as float32 into the panel buffer dAp ([panels][C][8], padded lanes 0) and, unless null, row-major into dAr. */
export function toPanels(da: Float64Array, dAp: Float32Array, B: number, N: number, C: number, dAr: Float32Array | null): void {
  const P = (N + 7) >> 3;
  for (let m = 0; m < B; m++) {
    const src = m * N;
    for (let q = 0; q < P; q++) {
      const o = (q * C + m) * 8;
      const s0 = src + 8 * q;
      const nEnd = Math.min(8, N - 8 * q);
      let lane = 0;
      for (; lane < nEnd; lane++) dAp[o + lane] = da[s0 + lane];
      for (; lane < 8; lane++) dAp[o + lane] = 0;
    }
    if (dAr !== null) for (let n = 0; n < N; n++) dAr[src + n] = da[src + n];
  }
}

/** Training-mode batch-norm backward ({@link bnBackward}), then {@link toPanels}. */
export function bnBackwardPanels(
  dz: Float64Array, xhat: Float64Array, gamma: Float64Array, invStd: Float64Array, B: number, N: number,
  da: Float64Array, dgamma: Float64Array, dbeta: Float64Array, dAp: Float32Array, C: number, dAr: Float32Array | null,
): void {
  bnBackward(dz, xhat, gamma, invStd, B, N, da, dgamma, dbeta);
  toPanels(da, dAp, B, N, C, dAr);
}

/** Hard-tanh straight-through gradient: dz[m·K + k] = |z[m·K + k]| ≤ 1 ? dH[m·ldh + k] : 0. */
export function htanhGrad(z: Float64Array, dH: Float32Array, ldh: number, dz: Float64Array, B: number, K: number): void {
  for (let m = 0; m < B; m++) {
    const r = m * K;
    const o = m * ldh;
    for (let k = 0; k < K; k++) {
      const zz = z[r + k];
      dz[r + k] = zz <= 1 && zz >= -1 ? dH[o + k] : 0;
    }
  }
}
