// STE (straight-through estimator) training and inference kernels, WebAssembly SIMD128.
// Built by scripts/build-wasm.mjs into src/ste/ste-wasm.generated.ts; src/ste/kernels-js.ts holds the same
// loops in TypeScript and both produce the same bits (tests/unit/ste/kernels.test.ts).
//
// Panel layout. A matrix with `cols` columns is stored as ceil(cols/8) panels of 8 columns; panel q holds
// rows 0..depth-1, 8 floats per row: element (p, 8q + l) is at q*bqs + p*8 + l. The GEMMs below compute,
// for every output row i and panel q,
//     C(i, q)[l] = sum over p = 0, 1, ..., depth-1 (in that order) of a(i, p) * B[q*bqs + p*8 + l],
// with a(i, p) = A[i*ais + p*aps] and C(i, q) = C + i*cis + q*cqs (8 contiguous values). Every sum runs
// sequentially over p with one rounding per multiply and per add (wasm has no fused multiply-add), so a scalar
// loop in the same order gives the same bits.
#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(#name)))

#define F32_MAC(s, x, b) s = wasm_f32x4_add(s, wasm_f32x4_mul(x, b))
#define F64_MAC(s, x, b) s = wasm_f64x2_add(s, wasm_f64x2_mul(x, b))

// float32 GEMM of the training passes (forward, weight gradient, gradient to the inputs). 4 rows x 8 lanes per tile.
EXPORT(gemm_f32) void gemm_f32(const float* A, int ais, int aps, const float* B, int bqs, float* C, int cis, int cqs, int rows,
              int panels, int depth) {
  int i = 0;
  for (; i + 4 <= rows; i += 4) {
    const float* a0 = A + i * ais;
    const float* a1 = a0 + ais;
    const float* a2 = a1 + ais;
    const float* a3 = a2 + ais;
    for (int q = 0; q < panels; q++) {
      const float* b = B + q * bqs;
      v128_t s00 = wasm_f32x4_splat(0.0f), s01 = s00, s10 = s00, s11 = s00, s20 = s00, s21 = s00, s30 = s00, s31 = s00;
      for (int p = 0; p < depth; p++) {
        v128_t b0 = wasm_v128_load(b + p * 8), b1 = wasm_v128_load(b + p * 8 + 4);
        v128_t x0 = wasm_v128_load32_splat(a0 + p * aps);
        v128_t x1 = wasm_v128_load32_splat(a1 + p * aps);
        v128_t x2 = wasm_v128_load32_splat(a2 + p * aps);
        v128_t x3 = wasm_v128_load32_splat(a3 + p * aps);
        F32_MAC(s00, x0, b0);
        F32_MAC(s01, x0, b1);
        F32_MAC(s10, x1, b0);
        F32_MAC(s11, x1, b1);
        F32_MAC(s20, x2, b0);
        F32_MAC(s21, x2, b1);
        F32_MAC(s30, x3, b0);
        F32_MAC(s31, x3, b1);
      }
      float* c0 = C + i * cis + q * cqs;
      float* c1 = c0 + cis;
      float* c2 = c1 + cis;
      float* c3 = c2 + cis;
      wasm_v128_store(c0, s00);
      wasm_v128_store(c0 + 4, s01);
      wasm_v128_store(c1, s10);
      wasm_v128_store(c1 + 4, s11);
      wasm_v128_store(c2, s20);
      wasm_v128_store(c2 + 4, s21);
      wasm_v128_store(c3, s30);
      wasm_v128_store(c3 + 4, s31);
    }
  }
  for (; i < rows; i++) {
    const float* a0 = A + i * ais;
    for (int q = 0; q < panels; q++) {
      const float* b = B + q * bqs;
      v128_t s00 = wasm_f32x4_splat(0.0f), s01 = s00;
      for (int p = 0; p < depth; p++) {
        v128_t x0 = wasm_v128_load32_splat(a0 + p * aps);
        F32_MAC(s00, x0, wasm_v128_load(b + p * 8));
        F32_MAC(s01, x0, wasm_v128_load(b + p * 8 + 4));
      }
      float* c0 = C + i * cis + q * cqs;
      wasm_v128_store(c0, s00);
      wasm_v128_store(c0 + 4, s01);
    }
  }
}

// float64 GEMM of inference (predict): same contract as gemm_f32, 2 rows x 8 lanes per tile.
EXPORT(gemm_f64) void gemm_f64(const double* A, int ais, int aps, const double* B, int bqs, double* C, int cis, int cqs, int rows,
              int panels, int depth) {
  int i = 0;
  for (; i + 2 <= rows; i += 2) {
    const double* a0 = A + i * ais;
    const double* a1 = a0 + ais;
    for (int q = 0; q < panels; q++) {
      const double* b = B + q * bqs;
      v128_t s00 = wasm_f64x2_splat(0.0), s01 = s00, s02 = s00, s03 = s00, s10 = s00, s11 = s00, s12 = s00, s13 = s00;
      for (int p = 0; p < depth; p++) {
        const double* bp = b + p * 8;
        v128_t b0 = wasm_v128_load(bp), b1 = wasm_v128_load(bp + 2), b2 = wasm_v128_load(bp + 4), b3 = wasm_v128_load(bp + 6);
        v128_t x0 = wasm_v128_load64_splat(a0 + p * aps);
        v128_t x1 = wasm_v128_load64_splat(a1 + p * aps);
        F64_MAC(s00, x0, b0);
        F64_MAC(s01, x0, b1);
        F64_MAC(s02, x0, b2);
        F64_MAC(s03, x0, b3);
        F64_MAC(s10, x1, b0);
        F64_MAC(s11, x1, b1);
        F64_MAC(s12, x1, b2);
        F64_MAC(s13, x1, b3);
      }
      double* c0 = C + i * cis + q * cqs;
      double* c1 = c0 + cis;
      wasm_v128_store(c0, s00);
      wasm_v128_store(c0 + 2, s01);
      wasm_v128_store(c0 + 4, s02);
      wasm_v128_store(c0 + 6, s03);
      wasm_v128_store(c1, s10);
      wasm_v128_store(c1 + 2, s11);
      wasm_v128_store(c1 + 4, s12);
      wasm_v128_store(c1 + 6, s13);
    }
  }
  for (; i < rows; i++) {
    const double* a0 = A + i * ais;
    for (int q = 0; q < panels; q++) {
      const double* b = B + q * bqs;
      v128_t s00 = wasm_f64x2_splat(0.0), s01 = s00, s02 = s00, s03 = s00;
      for (int p = 0; p < depth; p++) {
        const double* bp = b + p * 8;
        v128_t x0 = wasm_v128_load64_splat(a0 + p * aps);
        F64_MAC(s00, x0, wasm_v128_load(bp));
        F64_MAC(s01, x0, wasm_v128_load(bp + 2));
        F64_MAC(s02, x0, wasm_v128_load(bp + 4));
        F64_MAC(s03, x0, wasm_v128_load(bp + 6));
      }
      double* c0 = C + i * cis + q * cqs;
      wasm_v128_store(c0, s00);
      wasm_v128_store(c0 + 2, s01);
      wasm_v128_store(c0 + 4, s02);
      wasm_v128_store(c0 + 6, s03);
    }
  }
}

// One Adam step (PyTorch's formula) on a weight matrix in panel layout [panels][K][8], then the clip to
// [-clip, clip] and the binarisation s = sign(w) (sign(0) = +1) into the float32 panel buffer `s` (same layout)
// and, when st != 0, into the transposed panel buffer st (panel layout of the [N, K] matrix: element (n, k) at
// (k/8)*N*8 + n*8 + k%8, columns n < N only). Per element, in this order:
//   g = (double) grad;  m = b1*m + c1*g;  v = b2*v + (c2*g)*g;  d = sqrt(v)*ibc2 + eps;
//   w = w - step*(m/d);  w = min(max(w, -clip), clip)
// with c1 = 1 - b1, c2 = 1 - b2, step = lr/(1 - b1^t), ibc2 = 1/sqrt(1 - b2^t).
EXPORT(adam_update) void adam_update(double* w, double* m, double* v, const float* grad, float* s, float* st, int K, int N, int panels,
                 double b1, double c1, double b2, double c2, double step, double ibc2, double eps, double clip) {
  const v128_t vb1 = wasm_f64x2_splat(b1), vc1 = wasm_f64x2_splat(c1), vb2 = wasm_f64x2_splat(b2),
               vc2 = wasm_f64x2_splat(c2), vstep = wasm_f64x2_splat(step), vibc2 = wasm_f64x2_splat(ibc2),
               veps = wasm_f64x2_splat(eps), vhi = wasm_f64x2_splat(clip), vlo = wasm_f64x2_splat(-clip),
               zero = wasm_f64x2_splat(0.0), plus = wasm_f32x4_splat(1.0f), minus = wasm_f32x4_splat(-1.0f);
  const int total = panels * K * 8;
  for (int e = 0; e < total; e += 4) {
    v128_t g4 = wasm_v128_load(grad + e);
    v128_t gs[2] = {wasm_f64x2_promote_low_f32x4(g4), wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(g4, g4, 2, 3, 0, 1))};
    v128_t ws[2];
    for (int h = 0; h < 2; h++) {
      const int o = e + 2 * h;
      v128_t g = gs[h];
      v128_t mm = wasm_f64x2_add(wasm_f64x2_mul(vb1, wasm_v128_load(m + o)), wasm_f64x2_mul(vc1, g));
      v128_t vv = wasm_f64x2_add(wasm_f64x2_mul(vb2, wasm_v128_load(v + o)), wasm_f64x2_mul(wasm_f64x2_mul(vc2, g), g));
      v128_t d = wasm_f64x2_add(wasm_f64x2_mul(wasm_f64x2_sqrt(vv), vibc2), veps);
      v128_t ww = wasm_f64x2_sub(wasm_v128_load(w + o), wasm_f64x2_mul(vstep, wasm_f64x2_div(mm, d)));
      ww = wasm_f64x2_min(wasm_f64x2_max(ww, vlo), vhi);
      wasm_v128_store(m + o, mm);
      wasm_v128_store(v + o, vv);
      wasm_v128_store(w + o, ww);
      ws[h] = wasm_f64x2_ge(ww, zero);
    }
    v128_t mask = wasm_i32x4_shuffle(ws[0], ws[1], 0, 2, 4, 6);
    wasm_v128_store(s + e, wasm_v128_bitselect(plus, minus, mask));
  }
  if (st) {
    for (int q = 0; q < panels; q++) {
      const int nEnd = N - q * 8 < 8 ? N - q * 8 : 8;
      for (int k = 0; k < K; k++) {
        const float* sp = s + (q * K + k) * 8;
        float* dst = st + (k >> 3) * N * 8 + (k & 7);
        for (int l = 0; l < nEnd; l++) dst[(q * 8 + l) * 8] = sp[l];
      }
    }
  }
}
