// STE (straight-through estimator) training and inference kernels, WebAssembly SIMD128.
// Built by scripts/build-wasm.mjs into src/kernels/ste-wasm.generated.ts; src/kernels/ste-js.ts holds the same
// loops in TypeScript and both produce the same bits (tests/unit/kernels/ste-kernels.test.ts).
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

// Training-mode batch normalisation forward over the B rows of a (float32, row stride lda), N columns, as
// bnForwardTrain (src/kernels/ste-js.ts; formulas in src/ste/batchnorm.ts): per column,
// mean = (sum over m in order of a)/B, var = (sum over m in order of (a - mean)^2)/B, invstd = 1/sqrt(var + eps);
// xhat = (a - mean)*invstd, z = gamma*xhat + beta (row-major [B, N]);
// when h != 0 also h[m*ldh + n] = z >= 0 ? 1 : -1 (float32 signs of a hidden layer).
static inline v128_t load2f(const float* p) { return wasm_f64x2_promote_low_f32x4(wasm_v128_load64_zero(p)); }

EXPORT(bn_forward) void bn_forward(const float* a, int lda, int B, int N, const double* gamma, const double* beta, double eps,
                                   double* xhat, double* z, double* mean, double* var, double* invstd, float* h, int ldh) {
  const int N2 = N & ~1;
  const v128_t vB = wasm_f64x2_splat((double)B), veps = wasm_f64x2_splat(eps), one = wasm_f64x2_splat(1.0);
  for (int n = 0; n < N2; n += 2) {
    v128_t s = wasm_f64x2_splat(0.0);
    for (int m = 0; m < B; m++) s = wasm_f64x2_add(s, load2f(a + m * lda + n));
    const v128_t mu = wasm_f64x2_div(s, vB);
    v128_t ss = wasm_f64x2_splat(0.0);
    for (int m = 0; m < B; m++) {
      const v128_t d = wasm_f64x2_sub(load2f(a + m * lda + n), mu);
      ss = wasm_f64x2_add(ss, wasm_f64x2_mul(d, d));
    }
    const v128_t v = wasm_f64x2_div(ss, vB);
    const v128_t r = wasm_f64x2_div(one, wasm_f64x2_sqrt(wasm_f64x2_add(v, veps)));
    wasm_v128_store(mean + n, mu);
    wasm_v128_store(var + n, v);
    wasm_v128_store(invstd + n, r);
  }
  for (int n = N2; n < N; n++) {
    double s = 0.0;
    for (int m = 0; m < B; m++) s += (double)a[m * lda + n];
    const double mu = s / B;
    double ss = 0.0;
    for (int m = 0; m < B; m++) {
      const double d = (double)a[m * lda + n] - mu;
      ss += d * d;
    }
    const double v = ss / B;
    mean[n] = mu;
    var[n] = v;
    invstd[n] = 1.0 / __builtin_sqrt(v + eps);
  }
  for (int m = 0; m < B; m++) {
    const float* am = a + m * lda;
    double* xm = xhat + m * N;
    double* zm = z + m * N;
    int n = 0;
    for (; n < N2; n += 2) {
      const v128_t xh = wasm_f64x2_mul(wasm_f64x2_sub(load2f(am + n), wasm_v128_load(mean + n)), wasm_v128_load(invstd + n));
      const v128_t zz = wasm_f64x2_add(wasm_f64x2_mul(wasm_v128_load(gamma + n), xh), wasm_v128_load(beta + n));
      wasm_v128_store(xm + n, xh);
      wasm_v128_store(zm + n, zz);
    }
    for (; n < N; n++) {
      const double xh = ((double)am[n] - mean[n]) * invstd[n];
      xm[n] = xh;
      zm[n] = gamma[n] * xh + beta[n];
    }
    if (h) {
      float* hm = h + m * ldh;
      for (n = 0; n < N; n++) hm[n] = zm[n] >= 0.0 ? 1.0f : -1.0f;
    }
  }
}

// Row-major da [B, N] (float64) as float32 into the panel buffer dAp ([panels][C][8], lanes n >= N zero) and,
// when dAr != 0, row-major into dAr [B, N].
static void panels(const double* da, float* dAp, int B, int N, int C, float* dAr) {
  const int P = (N + 7) >> 3;
  for (int m = 0; m < B; m++) {
    const double* src = da + m * N;
    for (int q = 0; q < P; q++) {
      float* o = dAp + (q * C + m) * 8;
      const int nEnd = N - 8 * q < 8 ? N - 8 * q : 8;
      int l = 0;
      for (; l < nEnd; l++) o[l] = (float)src[8 * q + l];
      for (; l < 8; l++) o[l] = 0.0f;
    }
    if (dAr) {
      float* r = dAr + m * N;
      for (int n = 0; n < N; n++) r[n] = (float)src[n];
    }
  }
}

EXPORT(to_panels) void to_panels(const double* da, float* dAp, int B, int N, int C, float* dAr) { panels(da, dAp, B, N, C, dAr); }

// Hard-tanh straight-through gradient: dz[m*K + k] = |z[m*K + k]| <= 1 ? dH[m*ldh + k] : 0.
EXPORT(htanh_grad) void htanh_grad(const double* z, const float* dH, int ldh, double* dz, int B, int K) {
  const v128_t one = wasm_f64x2_splat(1.0), minus = wasm_f64x2_splat(-1.0), zero = wasm_f64x2_splat(0.0);
  const int K2 = K & ~1;
  for (int m = 0; m < B; m++) {
    const double* zm = z + m * K;
    const float* hm = dH + m * ldh;
    double* dm = dz + m * K;
    int k = 0;
    for (; k < K2; k += 2) {
      const v128_t zz = wasm_v128_load(zm + k);
      const v128_t pass = wasm_v128_and(wasm_f64x2_le(zz, one), wasm_f64x2_ge(zz, minus));
      wasm_v128_store(dm + k, wasm_v128_bitselect(load2f(hm + k), zero, pass));
    }
    for (; k < K; k++) dm[k] = (zm[k] <= 1.0 && zm[k] >= -1.0) ? (double)hm[k] : 0.0;
  }
}

// Training-mode batch normalisation backward (bnBackward, src/kernels/ste-js.ts): dbeta = sum over m of dz,
// dgamma = sum over m of dz*xhat (in order), da = ((gamma*invstd)/B) * ((B*dz - dbeta) - xhat*dgamma); then da as
// float32 into the panel buffer dAp ([panels][C][8], lanes n >= N zero) and, when dAr != 0, row-major into dAr.
EXPORT(bn_backward) void bn_backward(const double* dz, const double* xhat, const double* gamma, const double* invstd, int B, int N,
                                     double* da, double* dgamma, double* dbeta, float* dAp, int C, float* dAr) {
  for (int n = 0; n < N; n++) {
    dbeta[n] = 0.0;
    dgamma[n] = 0.0;
  }
  const int N2 = N & ~1;
  for (int m = 0; m < B; m++) {
    const double* dm = dz + m * N;
    const double* xm = xhat + m * N;
    int n = 0;
    for (; n < N2; n += 2) {
      const v128_t d = wasm_v128_load(dm + n);
      wasm_v128_store(dbeta + n, wasm_f64x2_add(wasm_v128_load(dbeta + n), d));
      wasm_v128_store(dgamma + n, wasm_f64x2_add(wasm_v128_load(dgamma + n), wasm_f64x2_mul(d, wasm_v128_load(xm + n))));
    }
    for (; n < N; n++) {
      dbeta[n] += dm[n];
      dgamma[n] += dm[n] * xm[n];
    }
  }
  const double Bd = (double)B;
  const v128_t vB = wasm_f64x2_splat(Bd);
  for (int m = 0; m < B; m++) {
    const double* dm = dz + m * N;
    const double* xm = xhat + m * N;
    double* out = da + m * N;
    int n = 0;
    for (; n < N2; n += 2) {
      const v128_t k = wasm_f64x2_div(wasm_f64x2_mul(wasm_v128_load(gamma + n), wasm_v128_load(invstd + n)), vB);
      const v128_t t = wasm_f64x2_sub(wasm_f64x2_sub(wasm_f64x2_mul(vB, wasm_v128_load(dm + n)), wasm_v128_load(dbeta + n)),
                                      wasm_f64x2_mul(wasm_v128_load(xm + n), wasm_v128_load(dgamma + n)));
      wasm_v128_store(out + n, wasm_f64x2_mul(k, t));
    }
    for (; n < N; n++) out[n] = ((gamma[n] * invstd[n]) / Bd) * ((Bd * dm[n] - dbeta[n]) - xm[n] * dgamma[n]);
  }
  panels(da, dAp, B, N, C, dAr);
}
