/*
 * EBP training kernels for WebAssembly (f64x2 SIMD). Built by scripts/build-wasm.mjs with
 * clang --target=wasm32 -O3 -msimd128; the bytes are checked in as src/kernels/ebp-wasm.generated.ts.
 *
 * Every pointer is a byte offset into the imported memory, where the JavaScript side keeps the
 * posterior arrays and the minibatch workspace. The loops mirror src/kernels/ebp-js.ts line for line;
 * the moment refresh gives bit-identical results, the sums differ only by summation order (2 lanes).
 * No libc, no static data, no shadow stack: every function works on its arguments only, so one module
 * built with --shared-memory (src/kernels/ebp-shared-wasm.generated.ts) runs in several threads on one
 * shared memory. Row kernels take the range [k0, k1) of output units they compute, backward_hidden the
 * range [j0, j1) of input units: a unit's value is computed by the same loop whatever the range, so a
 * split over threads gives the bytes of one call over all units (docs/threads.md).
 */
#include <wasm_simd128.h>
#include <stdint.h>

typedef double f64;
typedef int32_t i32;

#define EXPORT(name) __attribute__((export_name(#name)))

/* ---------------------------------------------------------------- binary-weight moments
 * mean = tanh h, var = sech^2 h, map = sign h (sign(0) = +1), from e = exp(-2|h|):
 * tanh |h| = (1 - e)/(1 + e), sech^2 h = 4e/(1 + e)^2 (full relative precision for large |h|, spec 11.4).
 * exp follows fdlibm's e_exp.c (Sun Microsystems, 1993; "Permission to use, copy, modify, and distribute
 * this software is freely granted, provided that this notice is preserved"): y = k ln2 + x, |x| <= ln2/2,
 * c = x - x^2 P(x^2), exp(x) = 1 + x + x c/(2 - c) = N/D with D = 2 - c, N = D + 2x. Keeping e = 2^k N / D
 * as a fraction leaves one division for everything: 1/(D + 2^k N). k is rounded with the 1.5*2^52 shift,
 * whose low mantissa bits then hold k, so 2^k is built by shifting them into the exponent field.
 * Below y = -708 e is flushed to 0 (sech^2 < 1e-307 there). The same operations, in the same order, as
 * `moments` in src/kernels/ebp-js.ts, so both backends give the same bits.                          */
#define SPLAT(x) wasm_f64x2_splat(x)
static const f64 INV_LN2 = 1.44269504088896338700e+00;
static const f64 LN2_HI = 6.93147180369123816490e-01; /* low 21 bits zero: k*LN2_HI is exact */
static const f64 LN2_LO = 1.90821492927058770002e-10;
static const f64 ROUND_SHIFT = 6755399441055744.0;     /* 1.5 * 2^52 */
static const f64 P1 = 1.66666666666666019037e-01, P2 = -2.77777777770155933842e-03, P3 = 6.61375632143793436117e-05,
                 P4 = -1.65339022054652515390e-06, P5 = 4.13813679705723846039e-08;

/* exp(y) for y <= 0 as the fraction sN / D (sN = 0 below y = -708) */
static inline void exp_fraction(v128_t y, v128_t *sNp, v128_t *Dp) {
  v128_t yc = wasm_f64x2_pmax(y, SPLAT(-709.0)); /* keeps the reduction finite for |h| up to infinity */
  v128_t t = wasm_f64x2_add(wasm_f64x2_mul(yc, SPLAT(INV_LN2)), SPLAT(ROUND_SHIFT));
  v128_t kf = wasm_f64x2_sub(t, SPLAT(ROUND_SHIFT));
  v128_t x = wasm_f64x2_sub(wasm_f64x2_sub(yc, wasm_f64x2_mul(kf, SPLAT(LN2_HI))), wasm_f64x2_mul(kf, SPLAT(LN2_LO)));
  v128_t xx = wasm_f64x2_mul(x, x);
  v128_t p = SPLAT(P5);
  p = wasm_f64x2_add(wasm_f64x2_mul(p, xx), SPLAT(P4));
  p = wasm_f64x2_add(wasm_f64x2_mul(p, xx), SPLAT(P3));
  p = wasm_f64x2_add(wasm_f64x2_mul(p, xx), SPLAT(P2));
  p = wasm_f64x2_add(wasm_f64x2_mul(p, xx), SPLAT(P1));
  v128_t c = wasm_f64x2_sub(x, wasm_f64x2_mul(xx, p));
  v128_t D = wasm_f64x2_sub(SPLAT(2.0), c);
  v128_t N = wasm_f64x2_add(D, wasm_f64x2_add(x, x));
  /* (k mod 2^12) << 52 plus 1023 << 52 wraps to (k + 1023) << 52 for -1022 <= k <= 1023 */
  v128_t scale = wasm_i64x2_add(wasm_i64x2_shl(t, 52), wasm_i64x2_splat(1023LL << 52));
  v128_t sN = wasm_v128_andnot(wasm_f64x2_mul(N, scale), wasm_f64x2_lt(y, SPLAT(-708.0))); /* e = sN / D */
  *sNp = sN;
  *Dp = D;
}

static inline void moments_vec(v128_t h, v128_t *mean, v128_t *var, v128_t *map) {
  v128_t y = wasm_f64x2_mul(SPLAT(-2.0), wasm_f64x2_abs(h));
  v128_t sN, D;
  exp_fraction(y, &sN, &D);
  v128_t inv = wasm_f64x2_div(SPLAT(1.0), wasm_f64x2_add(D, sN));
  v128_t s = wasm_v128_bitselect(SPLAT(-1.0), SPLAT(1.0), wasm_f64x2_lt(h, SPLAT(0.0)));
  /* tanh|h| = (D - sN)/(D + sN), accurate relative to itself for small |h|; for |h| >= 1 the form
   * 1 - 2 sN/(D + sN) is within half an ulp more often and is exactly 1 once e < 2^-54 */
  v128_t tsmall = wasm_f64x2_mul(wasm_f64x2_sub(D, sN), inv);
  v128_t q = wasm_f64x2_mul(sN, inv);
  v128_t tlarge = wasm_f64x2_sub(SPLAT(1.0), wasm_f64x2_add(q, q));
  *mean = wasm_f64x2_mul(s, wasm_v128_bitselect(tsmall, tlarge, wasm_f64x2_lt(wasm_f64x2_abs(h), SPLAT(1.0))));
  *var = wasm_f64x2_mul(wasm_f64x2_mul(wasm_f64x2_mul(SPLAT(4.0), sN), wasm_f64x2_mul(D, inv)), inv);
  *map = s;
}

/* moments of the four pairs at h + o[0..3] (the same offsets into mean, var, map): four independent chains side by
 * side, so the out-of-order core overlaps them (one chain alone waits on its own latency, ~1.5x slower) */
static inline void moments_4(const f64 *h, f64 *mean, f64 *var, f64 *map, i32 o0, i32 o1, i32 o2, i32 o3) {
  v128_t m0, v0, s0, m1, v1, s1, m2, v2, s2, m3, v3, s3;
  moments_vec(wasm_v128_load(h + o0), &m0, &v0, &s0);
  moments_vec(wasm_v128_load(h + o1), &m1, &v1, &s1);
  moments_vec(wasm_v128_load(h + o2), &m2, &v2, &s2);
  moments_vec(wasm_v128_load(h + o3), &m3, &v3, &s3);
  wasm_v128_store(mean + o0, m0);
  wasm_v128_store(var + o0, v0);
  wasm_v128_store(map + o0, s0);
  wasm_v128_store(mean + o1, m1);
  wasm_v128_store(var + o1, v1);
  wasm_v128_store(map + o1, s1);
  wasm_v128_store(mean + o2, m2);
  wasm_v128_store(var + o2, v2);
  wasm_v128_store(map + o2, s2);
  wasm_v128_store(mean + o3, m3);
  wasm_v128_store(var + o3, v3);
  wasm_v128_store(map + o3, s3);
}

static inline void moments_1(const f64 *h, f64 *mean, f64 *var, f64 *map, i32 o) {
  v128_t m, v, s;
  moments_vec(wasm_v128_load(h + o), &m, &v, &s);
  wasm_v128_store(mean + o, m);
  wasm_v128_store(var + o, v);
  wasm_v128_store(map + o, s);
}

/* moments of h[0..n) */
static inline void moments_range(const f64 *h, f64 *mean, f64 *var, f64 *map, i32 n) {
  v128_t m, v, s;
  i32 i = 0;
  for (; i + 8 <= n; i += 8) moments_4(h, mean, var, map, i, i + 2, i + 4, i + 6);
  for (; i + 2 <= n; i += 2) moments_1(h, mean, var, map, i);
  if (i < n) {
    moments_vec(wasm_f64x2_make(h[i], 0.0), &m, &v, &s);
    mean[i] = wasm_f64x2_extract_lane(m, 0);
    var[i] = wasm_f64x2_extract_lane(v, 0);
    map[i] = wasm_f64x2_extract_lane(s, 0);
  }
}

/* moments of h at the columns cols[0..count) and their pair partners: each aligned pair (2i, 2i + 1) holding a
 * listed column is refreshed as one vector, once when the list is sorted (Workspace.unionOfColumns sorts it), four
 * pairs at a time. A partner outside the list gets the moments of its unchanged h: the bits it already holds. */
static inline void moments_at(const f64 *h, f64 *mean, f64 *var, f64 *map, const i32 *cols, i32 count, i32 K) {
  i32 last = -2, q0 = 0, q1 = 0, q2 = 0, nq = 0; /* pending pairs (no array: the kernels keep off the shadow stack) */
  for (i32 u = 0; u < count; u++) {
    i32 p = cols[u] & ~1;
    if (p == last) continue;
    last = p;
    if (p + 2 > K) {
      moments_range(h + p, mean + p, var + p, map + p, 1);
      continue;
    }
    if (nq == 3) {
      moments_4(h, mean, var, map, q0, q1, q2, p);
      nq = 0;
    } else {
      if (nq == 0) q0 = p;
      else if (nq == 1) q1 = p;
      else q2 = p;
      nq++;
    }
  }
  if (nq > 0) moments_1(h, mean, var, map, q0);
  if (nq > 1) moments_1(h, mean, var, map, q1);
  if (nq > 2) moments_1(h, mean, var, map, q2);
}

EXPORT(moments) void moments(const f64 *h, f64 *mean, f64 *var, f64 *map, i32 n) { moments_range(h, mean, var, map, n); }

/* ---------------------------------------------------------------- ternary-weight moments
 * Levels [-1, 0, 1] with prior t[0..2] = (pi-, pi0, pi+) and its logarithms t[3..5]: q(s) ~ pi(s) e^{h s}.
 * With E = exp(-|h|) <= 1 the weights divided by e^{|h|} are, for h >= 0, w+ = pi+, w0 = pi0 E,
 * w- = pi- E^2 (mirrored for h < 0), all in [0, 1]. mean = (w+ - w-)/Z; the variance is
 * sum w_s (s - mean)^2 / Z with 1 - mean = (w0 + 2w-)/Z and 1 + mean = (w0 + 2w+)/Z (no cancellation,
 * never negative). map = argmax_s [log pi(s) + h s], ties to the larger level. The same operations, in the
 * same order, as `ternaryMoments` in src/kernels/ebp-js.ts (same bits).                               */
typedef struct { v128_t pM, p0, pP, lM, l0, lP; } ternary_prior;

static inline ternary_prior ternary_splat(const f64 *t) {
  ternary_prior r = { SPLAT(t[0]), SPLAT(t[1]), SPLAT(t[2]), SPLAT(t[3]), SPLAT(t[4]), SPLAT(t[5]) };
  return r;
}

static inline void ternary_vec(v128_t h, const ternary_prior *t, v128_t *mean, v128_t *var, v128_t *map) {
  v128_t sN, D;
  exp_fraction(wasm_f64x2_neg(wasm_f64x2_abs(h)), &sN, &D);
  v128_t E = wasm_f64x2_div(sN, D);
  v128_t aM = wasm_f64x2_sub(t->lM, h), aP = wasm_f64x2_add(t->lP, h);
  v128_t pick1 = wasm_v128_and(wasm_f64x2_ge(aP, t->l0), wasm_f64x2_ge(aP, aM));
  v128_t pick0 = wasm_f64x2_ge(t->l0, aM);
  *map = wasm_v128_bitselect(SPLAT(1.0), wasm_v128_bitselect(SPLAT(0.0), SPLAT(-1.0), pick0), pick1);
  v128_t w0 = wasm_f64x2_mul(t->p0, E);
  v128_t neg = wasm_f64x2_lt(h, SPLAT(0.0));
  v128_t EE = wasm_f64x2_mul(E, E);
  v128_t wP = wasm_v128_bitselect(wasm_f64x2_mul(t->pP, EE), t->pP, neg);
  v128_t wM = wasm_v128_bitselect(t->pM, wasm_f64x2_mul(t->pM, EE), neg);
  v128_t Z = wasm_f64x2_add(wasm_f64x2_add(wM, w0), wP);
  v128_t m = wasm_f64x2_div(wasm_f64x2_sub(wP, wM), Z);
  v128_t dP = wasm_f64x2_div(wasm_f64x2_add(w0, wasm_f64x2_mul(SPLAT(2.0), wM)), Z);
  v128_t dM = wasm_f64x2_div(wasm_f64x2_add(w0, wasm_f64x2_mul(SPLAT(2.0), wP)), Z);
  *mean = m;
  v128_t v = wasm_f64x2_add(wasm_f64x2_add(wasm_f64x2_mul(wasm_f64x2_mul(wP, dP), dP), wasm_f64x2_mul(wasm_f64x2_mul(w0, m), m)),
                            wasm_f64x2_mul(wasm_f64x2_mul(wM, dM), dM));
  *var = wasm_f64x2_div(v, Z);
}

static inline void ternary_range(const f64 *h, f64 *mean, f64 *var, f64 *map, i32 n, const ternary_prior *t) {
  v128_t m, v, s;
  i32 i = 0;
  for (; i + 2 <= n; i += 2) {
    ternary_vec(wasm_v128_load(h + i), t, &m, &v, &s);
    wasm_v128_store(mean + i, m);
    wasm_v128_store(var + i, v);
    wasm_v128_store(map + i, s);
  }
  if (i < n) {
    ternary_vec(wasm_f64x2_make(h[i], 0.0), t, &m, &v, &s);
    mean[i] = wasm_f64x2_extract_lane(m, 0);
    var[i] = wasm_f64x2_extract_lane(v, 0);
    map[i] = wasm_f64x2_extract_lane(s, 0);
  }
}

/* ternary moments at listed columns and their pair partners, as moments_at */
static inline void ternary_at(const f64 *h, f64 *mean, f64 *var, f64 *map, const i32 *cols, i32 count, i32 K, const ternary_prior *t) {
  v128_t m, v, s;
  i32 last = -2;
  for (i32 u = 0; u < count; u++) {
    i32 p = cols[u] & ~1;
    if (p == last) continue;
    last = p;
    if (p + 2 > K) {
      ternary_range(h + p, mean + p, var + p, map + p, 1, t);
      continue;
    }
    ternary_vec(wasm_v128_load(h + p), t, &m, &v, &s);
    wasm_v128_store(mean + p, m);
    wasm_v128_store(var + p, v);
    wasm_v128_store(map + p, s);
  }
}

EXPORT(ternary_moments) void ternary_moments(const f64 *h, f64 *mean, f64 *var, f64 *map, i32 n, const f64 *prior) {
  ternary_prior t = ternary_splat(prior);
  ternary_range(h, mean, var, map, n, &t);
}

/* ---------------------------------------------------------------- small SIMD helpers */
static inline f64 hsum(v128_t v) { return wasm_f64x2_extract_lane(v, 0) + wasm_f64x2_extract_lane(v, 1); }

static inline f64 dot(const f64 *a, const f64 *b, i32 n) {
  v128_t s0 = wasm_f64x2_splat(0.0), s1 = wasm_f64x2_splat(0.0);
  i32 j = 0;
  for (; j + 4 <= n; j += 4) {
    s0 = wasm_f64x2_add(s0, wasm_f64x2_mul(wasm_v128_load(a + j), wasm_v128_load(b + j)));
    s1 = wasm_f64x2_add(s1, wasm_f64x2_mul(wasm_v128_load(a + j + 2), wasm_v128_load(b + j + 2)));
  }
  f64 s = hsum(wasm_f64x2_add(s0, s1));
  for (; j < n; j++) s += a[j] * b[j];
  return s;
}

/* y[j] += a * x[j] */
static inline void axpy(f64 *y, const f64 *x, f64 a, i32 n) {
  v128_t va = wasm_f64x2_splat(a);
  i32 j = 0;
  for (; j + 2 <= n; j += 2) wasm_v128_store(y + j, wasm_f64x2_add(wasm_v128_load(y + j), wasm_f64x2_mul(va, wasm_v128_load(x + j))));
  for (; j < n; j++) y[j] += a * x[j];
}

/* ---------------------------------------------------------------- forward */
/* first layer, sparse rows: ubar = (sum m x + b)/sqrt(K+1), var = (sum Var W x^2 + 1)/(K+1).
 * Four rows at a time share each sample's non-zero list: eight independent sums in flight instead of two
 * (one sum alone waits on its previous addition), each summed in the order of the list as one row alone. */
static inline void input_sparse_row(const f64 *m, const f64 *v, f64 bk, i32 Kout, const i32 *nzStart, const i32 *nzIdx,
                                    const f64 *nzVal, const f64 *nzVal2, i32 B, f64 *ubar, f64 *variance, f64 c, f64 k1) {
  for (i32 n = 0; n < B; n++) {
    f64 s = 0, sv = 0;
    for (i32 t = nzStart[n], e = nzStart[n + 1]; t < e; t++) {
      i32 j = nzIdx[t];
      s += m[j] * nzVal[t];
      sv += v[j] * nzVal2[t];
    }
    ubar[n * Kout] = (s + bk) / c;
    variance[n * Kout] = (sv + 1) / k1;
  }
}

EXPORT(input_sparse)
void input_sparse(const f64 *mean, const f64 *wvar, const f64 *b, i32 K, i32 Kout, const i32 *nzStart, const i32 *nzIdx,
                  const f64 *nzVal, const f64 *nzVal2, i32 B, f64 *ubar, f64 *variance, f64 c, f64 k1, i32 k0, i32 kEnd) {
  i32 k = k0;
  for (; k + 4 <= kEnd; k += 4) {
    const f64 *m0 = mean + (long)k * K, *m1 = m0 + K, *m2 = m1 + K, *m3 = m2 + K;
    const f64 *v0 = wvar + (long)k * K, *v1 = v0 + K, *v2 = v1 + K, *v3 = v2 + K;
    for (i32 n = 0; n < B; n++) {
      f64 s0 = 0, s1 = 0, s2 = 0, s3 = 0, q0 = 0, q1 = 0, q2 = 0, q3 = 0;
      for (i32 t = nzStart[n], e = nzStart[n + 1]; t < e; t++) {
        i32 j = nzIdx[t];
        f64 x = nzVal[t], x2 = nzVal2[t];
        s0 += m0[j] * x;
        s1 += m1[j] * x;
        s2 += m2[j] * x;
        s3 += m3[j] * x;
        q0 += v0[j] * x2;
        q1 += v1[j] * x2;
        q2 += v2[j] * x2;
        q3 += v3[j] * x2;
      }
      f64 *u = ubar + n * Kout + k, *w = variance + n * Kout + k;
      u[0] = (s0 + b[k]) / c;
      u[1] = (s1 + b[k + 1]) / c;
      u[2] = (s2 + b[k + 2]) / c;
      u[3] = (s3 + b[k + 3]) / c;
      w[0] = (q0 + 1) / k1;
      w[1] = (q1 + 1) / k1;
      w[2] = (q2 + 1) / k1;
      w[3] = (q3 + 1) / k1;
    }
  }
  for (; k < kEnd; k++)
    input_sparse_row(mean + (long)k * K, wvar + (long)k * K, b[k], Kout, nzStart, nzIdx, nzVal, nzVal2, B, ubar + k, variance + k, c, k1);
}

/* hidden row k for samples [n0, n0 + 4): the lanes of s (sum m mu) and q (sum m^2 nu) sum the even and the odd
 * columns, as the one-sample loop does; four samples share each load of m (eight sums in flight) */
static inline void hidden_row4(const f64 *m, f64 rowVar, f64 bk, i32 K, i32 Kout, const f64 *mu, const f64 *nu, i32 n0,
                               f64 *ubar, f64 *variance, f64 c, f64 k1) {
  const f64 *x0 = mu + (long)n0 * K, *x1 = x0 + K, *x2 = x1 + K, *x3 = x2 + K;
  const f64 *a0 = nu + (long)n0 * K, *a1 = a0 + K, *a2 = a1 + K, *a3 = a2 + K;
  v128_t s0 = SPLAT(0.0), s1 = SPLAT(0.0), s2 = SPLAT(0.0), s3 = SPLAT(0.0);
  v128_t q0 = SPLAT(0.0), q1 = SPLAT(0.0), q2 = SPLAT(0.0), q3 = SPLAT(0.0);
  i32 j = 0;
  for (; j + 2 <= K; j += 2) {
    v128_t mm = wasm_v128_load(m + j);
    v128_t m2 = wasm_f64x2_mul(mm, mm);
    s0 = wasm_f64x2_add(s0, wasm_f64x2_mul(mm, wasm_v128_load(x0 + j)));
    q0 = wasm_f64x2_add(q0, wasm_f64x2_mul(m2, wasm_v128_load(a0 + j)));
    s1 = wasm_f64x2_add(s1, wasm_f64x2_mul(mm, wasm_v128_load(x1 + j)));
    q1 = wasm_f64x2_add(q1, wasm_f64x2_mul(m2, wasm_v128_load(a1 + j)));
    s2 = wasm_f64x2_add(s2, wasm_f64x2_mul(mm, wasm_v128_load(x2 + j)));
    q2 = wasm_f64x2_add(q2, wasm_f64x2_mul(m2, wasm_v128_load(a2 + j)));
    s3 = wasm_f64x2_add(s3, wasm_f64x2_mul(mm, wasm_v128_load(x3 + j)));
    q3 = wasm_f64x2_add(q3, wasm_f64x2_mul(m2, wasm_v128_load(a3 + j)));
  }
  f64 s[4] = { hsum(s0), hsum(s1), hsum(s2), hsum(s3) }, sv[4] = { hsum(q0), hsum(q1), hsum(q2), hsum(q3) };
  for (i32 i = 0; i < 4; i++) {
    const f64 *x = x0 + (long)i * K, *a = a0 + (long)i * K;
    for (i32 jj = j; jj < K; jj++) {
      s[i] += m[jj] * x[jj];
      sv[i] += m[jj] * m[jj] * a[jj];
    }
    ubar[(n0 + i) * Kout] = (s[i] + bk) / c;
    variance[(n0 + i) * Kout] = (sv[i] + rowVar + 1) / k1;
  }
}

/* hidden row k for one sample n: the loop hidden_row4 runs per sample */
static inline void hidden_row1(const f64 *m, f64 rowVar, f64 bk, i32 K, i32 Kout, const f64 *x, const f64 *a, i32 n,
                               f64 *ubar, f64 *variance, f64 c, f64 k1) {
  v128_t s0 = SPLAT(0.0), q0 = SPLAT(0.0);
  i32 j = 0;
  for (; j + 2 <= K; j += 2) {
    v128_t mm = wasm_v128_load(m + j);
    s0 = wasm_f64x2_add(s0, wasm_f64x2_mul(mm, wasm_v128_load(x + j)));
    q0 = wasm_f64x2_add(q0, wasm_f64x2_mul(wasm_f64x2_mul(mm, mm), wasm_v128_load(a + j)));
  }
  f64 s = hsum(s0), sv = hsum(q0);
  for (; j < K; j++) {
    s += m[j] * x[j];
    sv += m[j] * m[j] * a[j];
  }
  ubar[n * Kout] = (s + bk) / c;
  variance[n * Kout] = (sv + rowVar + 1) / k1;
}

/* dense layer: input (mu, a = <v^2>) for the first layer (a = x^2, no Var v term), or
 * hidden (mu, nu = Var v, a = 1): var = (sum Var W + sum m^2 nu + 1)/(K+1) */
EXPORT(dense_layer)
void dense_layer(const f64 *mean, const f64 *wvar, const f64 *b, i32 K, i32 Kout, const f64 *mu, const f64 *second,
                 i32 hidden, i32 B, f64 *ubar, f64 *variance, f64 c, f64 k1, i32 k0, i32 kEnd) {
  for (i32 k = k0; k < kEnd; k++) {
    const f64 *m = mean + (long)k * K, *v = wvar + (long)k * K;
    if (hidden) {
      v128_t acc = wasm_f64x2_splat(0.0);
      i32 j = 0;
      for (; j + 2 <= K; j += 2) acc = wasm_f64x2_add(acc, wasm_v128_load(v + j));
      f64 rowVar = hsum(acc);
      for (; j < K; j++) rowVar += v[j];
      i32 n = 0;
      for (; n + 4 <= B; n += 4) hidden_row4(m, rowVar, b[k], K, Kout, mu, second, n, ubar + k, variance + k, c, k1);
      for (; n < B; n++) hidden_row1(m, rowVar, b[k], K, Kout, mu + (long)n * K, second + (long)n * K, n, ubar + k, variance + k, c, k1);
      continue;
    }
    for (i32 n = 0; n < B; n++) {
      const f64 *x = mu + (long)n * K, *a = second + (long)n * K;
      f64 s = dot(m, x, K), sv = dot(v, a, K);
      ubar[n * Kout + k] = (s + b[k]) / c;
      variance[n * Kout + k] = (sv + 1) / k1;
    }
  }
}

/* EBP-D layer: out = W x + b (last) or sign(W x + b) with sign(0) = +1 */
EXPORT(sign_dense)
void sign_dense(const f64 *w, const f64 *b, i32 K, i32 Kout, const f64 *x, i32 B, f64 *out, i32 last, i32 k0, i32 kEnd) {
  for (i32 k = k0; k < kEnd; k++) {
    const f64 *wr = w + (long)k * K;
    for (i32 n = 0; n < B; n++) {
      f64 s = dot(wr, x + (long)n * K, K) + b[k];
      out[n * Kout + k] = last ? s : (s < 0 ? -1.0 : 1.0);
    }
  }
}

EXPORT(sign_sparse)
void sign_sparse(const f64 *w, const f64 *b, i32 K, i32 Kout, const i32 *nzStart, const i32 *nzIdx, const f64 *nzVal, i32 B,
                 f64 *out, i32 last, i32 k0, i32 kEnd) {
  for (i32 k = k0; k < kEnd; k++) {
    const f64 *wr = w + (long)k * K;
    for (i32 n = 0; n < B; n++) {
      f64 s = 0;
      for (i32 t = nzStart[n], e = nzStart[n + 1]; t < e; t++) s += wr[nzIdx[t]] * nzVal[t];
      s += b[k];
      out[n * Kout + k] = last ? s : (s < 0 ? -1.0 : 1.0);
    }
  }
}

/* ---------------------------------------------------------------- backward */
/* below[n, j] = (sum_k mean[k, j] delta[n, k]) / c * dmu[n, j] for j in [j0, j1), the sum over k in increasing
 * order from 0 (each j on its own: lanes never mix columns). Terms with delta = 0 add +-0 to a sum that starts at +0
 * and so is never -0: they change nothing, and every term is added. Eight columns of two samples stay in registers
 * while k runs down the column strip (16 sums in flight); the strip of mean (Kout x 64 bytes) is read from cache by
 * the next samples. */
static inline void backward_strip2(const f64 *mean, i32 K, i32 Kout, const f64 *d0, const f64 *d1, f64 *b0, f64 *b1, i32 j) {
  v128_t a0 = SPLAT(0.0), a1 = SPLAT(0.0), a2 = SPLAT(0.0), a3 = SPLAT(0.0);
  v128_t c0 = SPLAT(0.0), c1 = SPLAT(0.0), c2 = SPLAT(0.0), c3 = SPLAT(0.0);
  const f64 *row = mean + j;
  for (i32 k = 0; k < Kout; k++, row += K) {
    v128_t e0 = SPLAT(d0[k]), e1 = SPLAT(d1[k]);
    v128_t r = wasm_v128_load(row);
    a0 = wasm_f64x2_add(a0, wasm_f64x2_mul(e0, r));
    c0 = wasm_f64x2_add(c0, wasm_f64x2_mul(e1, r));
    r = wasm_v128_load(row + 2);
    a1 = wasm_f64x2_add(a1, wasm_f64x2_mul(e0, r));
    c1 = wasm_f64x2_add(c1, wasm_f64x2_mul(e1, r));
    r = wasm_v128_load(row + 4);
    a2 = wasm_f64x2_add(a2, wasm_f64x2_mul(e0, r));
    c2 = wasm_f64x2_add(c2, wasm_f64x2_mul(e1, r));
    r = wasm_v128_load(row + 6);
    a3 = wasm_f64x2_add(a3, wasm_f64x2_mul(e0, r));
    c3 = wasm_f64x2_add(c3, wasm_f64x2_mul(e1, r));
  }
  wasm_v128_store(b0 + j, a0);
  wasm_v128_store(b0 + j + 2, a1);
  wasm_v128_store(b0 + j + 4, a2);
  wasm_v128_store(b0 + j + 6, a3);
  wasm_v128_store(b1 + j, c0);
  wasm_v128_store(b1 + j + 2, c1);
  wasm_v128_store(b1 + j + 4, c2);
  wasm_v128_store(b1 + j + 6, c3);
}

/* the same sums for one sample and one column pair */
static inline void backward_pair1(const f64 *mean, i32 K, i32 Kout, const f64 *d0, f64 *b0, i32 j) {
  v128_t a0 = SPLAT(0.0);
  const f64 *row = mean + j;
  for (i32 k = 0; k < Kout; k++, row += K) a0 = wasm_f64x2_add(a0, wasm_f64x2_mul(SPLAT(d0[k]), wasm_v128_load(row)));
  wasm_v128_store(b0 + j, a0);
}

static inline void backward_col1(const f64 *mean, i32 K, i32 Kout, const f64 *d0, f64 *b0, i32 j) {
  f64 a = 0;
  const f64 *row = mean + j;
  for (i32 k = 0; k < Kout; k++, row += K) a += d0[k] * row[0];
  b0[j] = a;
}

EXPORT(backward_hidden)
void backward_hidden(const f64 *mean, i32 K, i32 Kout, const f64 *delta, const f64 *dmu, f64 *below, i32 B, f64 c, i32 j0,
                     i32 j1) {
  i32 n = 0;
  for (; n < B; n += 2) {
    const f64 *d0 = delta + (long)n * Kout, *d1 = n + 1 < B ? d0 + Kout : d0;
    f64 *b0 = below + (long)n * K, *b1 = n + 1 < B ? b0 + K : b0;
    i32 j = j0;
    for (; j + 8 <= j1; j += 8) backward_strip2(mean, K, Kout, d0, d1, b0, b1, j);
    for (; j + 2 <= j1; j += 2) {
      backward_pair1(mean, K, Kout, d0, b0, j);
      if (n + 1 < B) backward_pair1(mean, K, Kout, d1, b1, j);
    }
    for (; j < j1; j++) {
      backward_col1(mean, K, Kout, d0, b0, j);
      if (n + 1 < B) backward_col1(mean, K, Kout, d1, b1, j);
    }
  }
  for (n = 0; n < B; n++)
    for (i32 j = j0; j < j1; j++) {
      long i = (long)n * K + j;
      below[i] = (below[i] / c) * dmu[i];
    }
}

/* ---------------------------------------------------------------- update */
/* Which moment refresh an update runs: none (Gaussian weights; other discrete levels are refreshed by the
 * caller), binary (tanh), ternary (with the prior constants `prior`, as ternary_moments). */
enum { REFRESH_NONE = 0, REFRESH_BINARY = 1, REFRESH_TERNARY = 2 };

/* h[k, :] += scale * (g / c) with g = sum_n delta[n, k] mu_in[n, :] (0 + d_0 x_0 + d_1 x_1 ..., the sums of
 * ebp-js.ts's scratch row; a term with d = 0 adds +-0 to a sum that is never -0 and changes nothing, so every
 * term is added), kept in registers eight columns at a time (four sums in flight); then refresh the row's
 * moments. Rows k in [k0, k1). */
EXPORT(update_dense)
void update_dense(f64 *h, f64 *mean, f64 *var, f64 *map, i32 K, i32 Kout, const f64 *delta, const f64 *muIn, i32 B, f64 c,
                  f64 scale, i32 refresh, const f64 *prior, i32 k0, i32 kEnd) {
  ternary_prior t;
  if (refresh == REFRESH_TERNARY) t = ternary_splat(prior);
  v128_t vscale = SPLAT(scale), vc = SPLAT(c);
  for (i32 k = k0; k < kEnd; k++) {
    f64 *hr = h + (long)k * K;
    const f64 *dk = delta + k;
    i32 j = 0;
    for (; j + 8 <= K; j += 8) {
      v128_t g0 = SPLAT(0.0), g1 = SPLAT(0.0), g2 = SPLAT(0.0), g3 = SPLAT(0.0);
      const f64 *x = muIn + j;
      for (i32 n = 0; n < B; n++, x += K) {
        v128_t d = SPLAT(dk[n * Kout]);
        g0 = wasm_f64x2_add(g0, wasm_f64x2_mul(d, wasm_v128_load(x)));
        g1 = wasm_f64x2_add(g1, wasm_f64x2_mul(d, wasm_v128_load(x + 2)));
        g2 = wasm_f64x2_add(g2, wasm_f64x2_mul(d, wasm_v128_load(x + 4)));
        g3 = wasm_f64x2_add(g3, wasm_f64x2_mul(d, wasm_v128_load(x + 6)));
      }
      wasm_v128_store(hr + j, wasm_f64x2_add(wasm_v128_load(hr + j), wasm_f64x2_mul(vscale, wasm_f64x2_div(g0, vc))));
      wasm_v128_store(hr + j + 2, wasm_f64x2_add(wasm_v128_load(hr + j + 2), wasm_f64x2_mul(vscale, wasm_f64x2_div(g1, vc))));
      wasm_v128_store(hr + j + 4, wasm_f64x2_add(wasm_v128_load(hr + j + 4), wasm_f64x2_mul(vscale, wasm_f64x2_div(g2, vc))));
      wasm_v128_store(hr + j + 6, wasm_f64x2_add(wasm_v128_load(hr + j + 6), wasm_f64x2_mul(vscale, wasm_f64x2_div(g3, vc))));
    }
    for (; j + 2 <= K; j += 2) {
      v128_t g = SPLAT(0.0);
      for (i32 n = 0; n < B; n++) g = wasm_f64x2_add(g, wasm_f64x2_mul(SPLAT(dk[n * Kout]), wasm_v128_load(muIn + (long)n * K + j)));
      wasm_v128_store(hr + j, wasm_f64x2_add(wasm_v128_load(hr + j), wasm_f64x2_mul(vscale, wasm_f64x2_div(g, vc))));
    }
    for (; j < K; j++) {
      f64 g = 0;
      for (i32 n = 0; n < B; n++) g += dk[n * Kout] * muIn[(long)n * K + j];
      hr[j] += scale * (g / c);
    }
    if (refresh == REFRESH_BINARY) moments_range(hr, mean + (long)k * K, var + (long)k * K, map + (long)k * K, K);
    else if (refresh == REFRESH_TERNARY) ternary_range(hr, mean + (long)k * K, var + (long)k * K, map + (long)k * K, K, &t);
  }
}

/* first layer with sparse rows: each row's increments go straight into h at the row's non-zero columns
 * (h += scale * (delta / c) * x, sample by sample); then the moments are refreshed over the whole row
 * or, when the union of non-zero columns is under 3/4 of the row, only there */
/* h_k += d * x over sample n's non-zeros, d = scale * (delta / c); d = 0 is skipped (adding 0 would turn h = -0
 * into +0). Two rows share the index and value loads when both have d != 0. */
static inline void scatter_rows(f64 *h0, f64 *h1, i32 Kout, const f64 *delta, const i32 *nzStart, const i32 *nzIdx,
                                const f64 *nzVal, i32 B, f64 c, f64 scale, i32 k, i32 two) {
  for (i32 n = 0; n < B; n++) {
    f64 d0 = scale * (delta[n * Kout + k] / c);
    f64 d1 = two ? scale * (delta[n * Kout + k + 1] / c) : 0;
    i32 t = nzStart[n], e = nzStart[n + 1];
    if (d0 != 0 && d1 != 0) {
      for (; t < e; t++) {
        i32 j = nzIdx[t];
        f64 x = nzVal[t];
        h0[j] += d0 * x;
        h1[j] += d1 * x;
      }
      continue;
    }
    if (d0 != 0)
      for (i32 u = t; u < e; u++) h0[nzIdx[u]] += d0 * nzVal[u];
    if (d1 != 0)
      for (i32 u = t; u < e; u++) h1[nzIdx[u]] += d1 * nzVal[u];
  }
}

static inline void refresh_union(f64 *hr, f64 *mr, f64 *vr, f64 *sr, i32 K, const i32 *uni, i32 count, i32 refresh,
                                 const ternary_prior *t) {
  if (refresh == REFRESH_BINARY) {
    if (count * 4 >= K * 3) moments_range(hr, mr, vr, sr, K);
    else moments_at(hr, mr, vr, sr, uni, count, K);
  } else if (refresh == REFRESH_TERNARY) {
    if (count * 4 >= K * 3) ternary_range(hr, mr, vr, sr, K, t);
    else ternary_at(hr, mr, vr, sr, uni, count, K, t);
  }
}

EXPORT(update_sparse)
void update_sparse(f64 *h, f64 *mean, f64 *var, f64 *map, i32 K, i32 Kout, const f64 *delta, const i32 *nzStart,
                   const i32 *nzIdx, const f64 *nzVal, i32 B, const i32 *uni, i32 count, f64 c, f64 scale, i32 refresh,
                   const f64 *prior, i32 k0, i32 kEnd) {
  ternary_prior t;
  if (refresh == REFRESH_TERNARY) t = ternary_splat(prior);
  for (i32 k = k0; k < kEnd; k += 2) {
    i32 two = k + 1 < kEnd;
    f64 *h0 = h + (long)k * K, *h1 = two ? h0 + K : h0;
    scatter_rows(h0, h1, Kout, delta, nzStart, nzIdx, nzVal, B, c, scale, k, two);
    for (i32 r = 0; r <= two; r++) {
      long o = (long)(k + r) * K;
      refresh_union(h + o, mean + o, var + o, map + o, K, uni, count, refresh, &t);
    }
  }
}
