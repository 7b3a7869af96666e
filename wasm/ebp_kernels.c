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

/* moments of h[0..n) */
static inline void moments_range(const f64 *h, f64 *mean, f64 *var, f64 *map, i32 n) {
  v128_t m, v, s;
  i32 i = 0;
  for (; i + 2 <= n; i += 2) {
    moments_vec(wasm_v128_load(h + i), &m, &v, &s);
    wasm_v128_store(mean + i, m);
    wasm_v128_store(var + i, v);
    wasm_v128_store(map + i, s);
  }
  if (i < n) {
    moments_vec(wasm_f64x2_make(h[i], 0.0), &m, &v, &s);
    mean[i] = wasm_f64x2_extract_lane(m, 0);
    var[i] = wasm_f64x2_extract_lane(v, 0);
    map[i] = wasm_f64x2_extract_lane(s, 0);
  }
}

/* moments of h[cols[0..count)], two columns per vector */
static inline void moments_at(const f64 *h, f64 *mean, f64 *var, f64 *map, const i32 *cols, i32 count) {
  v128_t m, v, s;
  i32 u = 0;
  for (; u + 2 <= count; u += 2) {
    i32 a = cols[u], b = cols[u + 1];
    moments_vec(wasm_f64x2_make(h[a], h[b]), &m, &v, &s);
    mean[a] = wasm_f64x2_extract_lane(m, 0);
    mean[b] = wasm_f64x2_extract_lane(m, 1);
    var[a] = wasm_f64x2_extract_lane(v, 0);
    var[b] = wasm_f64x2_extract_lane(v, 1);
    map[a] = wasm_f64x2_extract_lane(s, 0);
    map[b] = wasm_f64x2_extract_lane(s, 1);
  }
  if (u < count) moments_range(h + cols[u], mean + cols[u], var + cols[u], map + cols[u], 1);
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

static inline void ternary_at(const f64 *h, f64 *mean, f64 *var, f64 *map, const i32 *cols, i32 count, const ternary_prior *t) {
  v128_t m, v, s;
  i32 u = 0;
  for (; u + 2 <= count; u += 2) {
    i32 a = cols[u], b = cols[u + 1];
    ternary_vec(wasm_f64x2_make(h[a], h[b]), t, &m, &v, &s);
    mean[a] = wasm_f64x2_extract_lane(m, 0);
    mean[b] = wasm_f64x2_extract_lane(m, 1);
    var[a] = wasm_f64x2_extract_lane(v, 0);
    var[b] = wasm_f64x2_extract_lane(v, 1);
    map[a] = wasm_f64x2_extract_lane(s, 0);
    map[b] = wasm_f64x2_extract_lane(s, 1);
  }
  if (u < count) ternary_range(h + cols[u], mean + cols[u], var + cols[u], map + cols[u], 1, t);
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
/* first layer, sparse rows: ubar = (sum m x + b)/sqrt(K+1), var = (sum Var W x^2 + 1)/(K+1) */
EXPORT(input_sparse)
void input_sparse(const f64 *mean, const f64 *wvar, const f64 *b, i32 K, i32 Kout, const i32 *nzStart, const i32 *nzIdx,
                  const f64 *nzVal, const f64 *nzVal2, i32 B, f64 *ubar, f64 *variance, f64 c, f64 k1, i32 k0, i32 kEnd) {
  for (i32 k = k0; k < kEnd; k++) {
    const f64 *m = mean + (long)k * K, *v = wvar + (long)k * K;
    for (i32 n = 0; n < B; n++) {
      f64 s = 0, sv = 0;
      for (i32 t = nzStart[n], e = nzStart[n + 1]; t < e; t++) {
        i32 j = nzIdx[t];
        s += m[j] * nzVal[t];
        sv += v[j] * nzVal2[t];
      }
      ubar[n * Kout + k] = (s + b[k]) / c;
      variance[n * Kout + k] = (sv + 1) / k1;
    }
  }
}

/* dense layer: input (mu, a = <v^2>) for the first layer (a = x^2, no Var v term), or
 * hidden (mu, nu = Var v, a = 1): var = (sum Var W + sum m^2 nu + 1)/(K+1) */
EXPORT(dense_layer)
void dense_layer(const f64 *mean, const f64 *wvar, const f64 *b, i32 K, i32 Kout, const f64 *mu, const f64 *second,
                 i32 hidden, i32 B, f64 *ubar, f64 *variance, f64 c, f64 k1, i32 k0, i32 kEnd) {
  for (i32 k = k0; k < kEnd; k++) {
    const f64 *m = mean + (long)k * K, *v = wvar + (long)k * K;
    f64 rowVar = 0;
    if (hidden) {
      v128_t acc = wasm_f64x2_splat(0.0);
      i32 j = 0;
      for (; j + 2 <= K; j += 2) acc = wasm_f64x2_add(acc, wasm_v128_load(v + j));
      rowVar = hsum(acc);
      for (; j < K; j++) rowVar += v[j];
    }
    for (i32 n = 0; n < B; n++) {
      const f64 *x = mu + (long)n * K, *a = second + (long)n * K;
      f64 s, sv;
      if (hidden) {
        v128_t s0 = wasm_f64x2_splat(0.0), q0 = wasm_f64x2_splat(0.0);
        i32 j = 0;
        for (; j + 2 <= K; j += 2) {
          v128_t mm = wasm_v128_load(m + j);
          s0 = wasm_f64x2_add(s0, wasm_f64x2_mul(mm, wasm_v128_load(x + j)));
          q0 = wasm_f64x2_add(q0, wasm_f64x2_mul(wasm_f64x2_mul(mm, mm), wasm_v128_load(a + j)));
        }
        s = hsum(s0);
        sv = hsum(q0);
        for (; j < K; j++) {
          s += m[j] * x[j];
          sv += m[j] * m[j] * a[j];
        }
        sv += rowVar;
      } else {
        s = dot(m, x, K);
        sv = dot(v, a, K);
      }
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
/* below[n, j] = (sum_k mean[k, j] delta[n, k]) / c * dmu[n, j] for j in [j0, j1), the sum over k in
 * increasing order (each j on its own: the lanes of axpy never mix columns) */
EXPORT(backward_hidden)
void backward_hidden(const f64 *mean, i32 K, i32 Kout, const f64 *delta, const f64 *dmu, f64 *below, i32 B, f64 c, i32 j0,
                     i32 j1) {
  /* rows of the weight matrix outer, samples inner: each row is read once per batch, not once per sample */
  i32 w = j1 - j0;
  for (i32 n = 0; n < B; n++)
    for (i32 j = j0; j < j1; j++) below[(long)n * K + j] = 0;
  for (i32 k = 0; k < Kout; k++) {
    const f64 *row = mean + (long)k * K + j0;
    for (i32 n = 0; n < B; n++) {
      f64 d = delta[n * Kout + k];
      if (d != 0) axpy(below + (long)n * K + j0, row, d, w);
    }
  }
  for (i32 n = 0; n < B; n++)
    for (i32 j = j0; j < j1; j++) {
      long i = (long)n * K + j;
      below[i] = (below[i] / c) * dmu[i];
    }
}

/* ---------------------------------------------------------------- update */
/* Which moment refresh an update runs: none (Gaussian weights; other discrete levels are refreshed by the
 * caller), binary (tanh), ternary (with the prior constants `prior`, as ternary_moments). */
enum { REFRESH_NONE = 0, REFRESH_BINARY = 1, REFRESH_TERNARY = 2 };

/* h[k, :] += scale * (g / c) with g = sum_n delta[n, k] mu_in[n, :] (0 + d_0 x_0 + d_1 x_1 ..., rows with
 * d = 0 skipped: the sums of ebp-js.ts's scratch row, kept in registers two columns at a time); then refresh
 * the row's moments. Rows k in [k0, k1). */
EXPORT(update_dense)
void update_dense(f64 *h, f64 *mean, f64 *var, f64 *map, i32 K, i32 Kout, const f64 *delta, const f64 *muIn, i32 B, f64 c,
                  f64 scale, i32 refresh, const f64 *prior, i32 k0, i32 kEnd) {
  ternary_prior t;
  if (refresh == REFRESH_TERNARY) t = ternary_splat(prior);
  v128_t vscale = SPLAT(scale), vc = SPLAT(c);
  for (i32 k = k0; k < kEnd; k++) {
    f64 *hr = h + (long)k * K;
    i32 j = 0;
    for (; j + 2 <= K; j += 2) {
      v128_t g = SPLAT(0.0);
      for (i32 n = 0; n < B; n++) {
        f64 d = delta[n * Kout + k];
        if (d != 0) g = wasm_f64x2_add(g, wasm_f64x2_mul(SPLAT(d), wasm_v128_load(muIn + (long)n * K + j)));
      }
      wasm_v128_store(hr + j, wasm_f64x2_add(wasm_v128_load(hr + j), wasm_f64x2_mul(vscale, wasm_f64x2_div(g, vc))));
    }
    for (; j < K; j++) {
      f64 g = 0;
      for (i32 n = 0; n < B; n++) {
        f64 d = delta[n * Kout + k];
        if (d != 0) g += d * muIn[(long)n * K + j];
      }
      hr[j] += scale * (g / c);
    }
    if (refresh == REFRESH_BINARY) moments_range(hr, mean + (long)k * K, var + (long)k * K, map + (long)k * K, K);
    else if (refresh == REFRESH_TERNARY) ternary_range(hr, mean + (long)k * K, var + (long)k * K, map + (long)k * K, K, &t);
  }
}

/* first layer with sparse rows: each row's increments go straight into h at the row's non-zero columns
 * (h += scale * (delta / c) * x, sample by sample); then the moments are refreshed over the whole row
 * or, when the union of non-zero columns is under 3/4 of the row, only there */
EXPORT(update_sparse)
void update_sparse(f64 *h, f64 *mean, f64 *var, f64 *map, i32 K, i32 Kout, const f64 *delta, const i32 *nzStart,
                   const i32 *nzIdx, const f64 *nzVal, i32 B, const i32 *uni, i32 count, f64 c, f64 scale, i32 refresh,
                   const f64 *prior, i32 k0, i32 kEnd) {
  ternary_prior t;
  if (refresh == REFRESH_TERNARY) t = ternary_splat(prior);
  for (i32 k = k0; k < kEnd; k++) {
    f64 *hr = h + (long)k * K;
    for (i32 n = 0; n < B; n++) {
      f64 d = scale * (delta[n * Kout + k] / c);
      if (d == 0) continue;
      for (i32 t = nzStart[n], e = nzStart[n + 1]; t < e; t++) hr[nzIdx[t]] += d * nzVal[t];
    }
    f64 *mr = mean + (long)k * K, *vr = var + (long)k * K, *sr = map + (long)k * K;
    if (refresh == REFRESH_BINARY) {
      if (count * 4 >= K * 3) moments_range(hr, mr, vr, sr, K);
      else moments_at(hr, mr, vr, sr, uni, count);
    } else if (refresh == REFRESH_TERNARY) {
      if (count * 4 >= K * 3) ternary_range(hr, mr, vr, sr, K, &t);
      else ternary_at(hr, mr, vr, sr, uni, count, &t);
    }
  }
}
