/**
 * STE kernels in plain TypeScript: unchecked loops over typed arrays, no allocation. wasm/ste_kernels.c holds
 * the same loops with SIMD128; every sum runs in the same order with the same roundings (float32 sums through
 * Math.fround), so both backends give the same bits (tests/unit/ste/kernels.test.ts).
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

/** float64 panel GEMM (inference); see the module comment. */
export function gemmF64(
  A: Float64Array, ais: number, aps: number, B: Float64Array, bqs: number, C: Float64Array, cis: number, cqs: number,
  rows: number, panels: number, depth: number,
): void {
  for (let i = 0; i < rows; i++) {
    const ai = i * ais;
    for (let q = 0; q < panels; q++) {
      const bq = q * bqs;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
      for (let p = 0, a = ai, b = bq; p < depth; p++, a += aps, b += 8) {
        const x = A[a];
        s0 += x * B[b];
        s1 += x * B[b + 1];
        s2 += x * B[b + 2];
        s3 += x * B[b + 3];
        s4 += x * B[b + 4];
        s5 += x * B[b + 5];
        s6 += x * B[b + 6];
        s7 += x * B[b + 7];
      }
      const c = i * cis + q * cqs;
      C[c] = s0; C[c + 1] = s1; C[c + 2] = s2; C[c + 3] = s3;
      C[c + 4] = s4; C[c + 5] = s5; C[c + 6] = s6; C[c + 7] = s7;
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
