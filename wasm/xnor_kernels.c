/*
 * Packed binary (XNOR/popcount) and ternary inference kernels for WebAssembly. Built by scripts/build-wasm.mjs with
 * clang --target=wasm32 -O3; the bytes are checked in as src/kernels/xnor-wasm.generated.ts together
 * with the SHA-256 of this file (tests/unit/xnor/wasm-provenance.test.ts checks both).
 *
 * Bit conventions (Larq Compute Engine): bit = 1 means -1, least significant bit first, every row packed
 * on its own, padding bits zero in both operands, so dot = K - 2 * popcount(x ^ w) with the true K.
 * Here words are 64 bits (i64.popcnt, which V8 turns into one POPCNT instruction; its i8x16.popcnt is
 * an emulation and slower). Weights are pre-packed in panels of 4 rows interleaved one 64-bit word at a
 * time: word k of row 4p + r is wp[(p * KW + k) * 4 + r]. Rows past the last output are zero.
 *
 * Every pointer is a byte offset into the imported memory. No libc, no static data, no shadow stack.
 * The loops mirror src/kernels/xnor-js.ts (32-bit words there): integer results are identical, and the
 * floating-point operations of the real-input and bit-plane layers are the same operations in the same
 * order, so both kernel sets give bit-identical scores.
 */
#include <stdint.h>

typedef double f64;
typedef int32_t i32;
typedef int64_t i64;
typedef uint64_t u64;

#define EXPORT(name) __attribute__((export_name(#name)))

/* Rows at which the real-input layer switches from direct sums to per-sample byte tables (src/kernels/xnor-js.ts). */
#define LUT_MIN_ROWS 8

static inline i64 pc(u64 v) { return (i64)__builtin_popcountll(v); }

/* ---------------------------------------------------------------- input check */

/* Index of the first NaN or infinity in x[0..n), or -1. x - x is 0 for every finite x and NaN otherwise;
 * the loop accumulates it (any NaN stays NaN) and only looks for the index when the sum is not 0. */
EXPORT(first_nonfinite)
i32 first_nonfinite(const f64 *x, i32 n) {
  f64 a0 = 0, a1 = 0, a2 = 0, a3 = 0;
  i32 i = 0;
  for (; i + 4 <= n; i += 4) {
    a0 += x[i] - x[i];
    a1 += x[i + 1] - x[i + 1];
    a2 += x[i + 2] - x[i + 2];
    a3 += x[i + 3] - x[i + 3];
  }
  for (; i < n; i++) a0 += x[i] - x[i];
  if (a0 + a1 + a2 + a3 == 0) return -1;
  for (i = 0; i < n; i++)
    if (x[i] - x[i] != 0) return i;
  return -1;
}

/* ---------------------------------------------------------------- input packing */

/* bits[n, :] = pack(x[n, j] < thr[j]): 1 (= -1) below the threshold, 0 (= +1) at or above it. */
EXPORT(pack_binarize)
void pack_binarize(const f64 *x, i32 B, i32 K, const f64 *thr, u64 *out, i32 KW) {
  for (i32 n = 0; n < B; n++) {
    const f64 *xr = x + (i64)n * K;
    u64 *o = out + (i64)n * KW;
    for (i32 w = 0; w < KW; w++) {
      i32 j0 = w * 64;
      i32 m = K - j0 < 64 ? K - j0 : 64;
      u64 word = 0;
      for (i32 b = 0; b < m; b++) word |= (u64)(xr[j0 + b] < thr[j0 + b]) << b;
      o[w] = word;
    }
  }
}

/*
 * Bit planes of q = quantize((x - offset) / scale) in 0..2^bits - 1 (round half up; NaN and values below
 * 0.5 give 0, values at or above the top level give the top level), word-major: planes[(n * KW + w) * bits + b]
 * holds bit b of the q of inputs 64w..64w+63. qsum[n] = sum_j q[n, j]. nz[n * (KW + 1)] = the number of
 * words w where some plane is non-zero, followed by those w in increasing order (sparse inputs such as
 * images skip their empty words).
 */
EXPORT(pack_planes)
void pack_planes(const f64 *x, i32 B, i32 K, f64 scale, f64 offset, i32 bits, u64 *planes, i32 KW, f64 *qsum, i32 *nz) {
  const f64 top = (f64)((1 << bits) - 1);
  for (i32 n = 0; n < B; n++) {
    const f64 *xr = x + (i64)n * K;
    u64 *pl = planes + (i64)n * KW * bits;
    i32 *list = nz + (i64)n * (KW + 1);
    i32 count = 0;
    f64 total = 0;
    for (i32 w = 0; w < KW; w++) {
      i32 j0 = w * 64;
      i32 m = K - j0 < 64 ? K - j0 : 64;
      u64 *acc = pl + (i64)w * bits;
      u64 any = 0;
      for (i32 b = 0; b < bits; b++) acc[b] = 0;
      for (i32 t = 0; t < m; t++) {
        f64 v = (xr[j0 + t] - offset) / scale;
        f64 q = !(v >= 0.5) ? 0.0 : v >= top ? top : __builtin_floor(v + 0.5);
        total += q;
        u64 qi = (u64)q;
        any |= qi;
        for (u64 r = qi; r; r &= r - 1) acc[__builtin_ctzll(r)] |= (u64)1 << t;
      }
      if (any) list[1 + count++] = w;
    }
    list[0] = count;
    qsum[n] = total;
  }
}

/* ---------------------------------------------------------------- binary layers */

/*
 * Popcounts of x ^ w for the 4 rows of one panel. The empty asm statements keep the four accumulators in
 * scalar locals: without them clang's SLP vectorizer (the build passes -msimd128 for the EBP kernels)
 * moves the additions into i64x2 lanes with extract/replace shuffles, which V8 runs slower.
 */
#define OPAQUE4(a, b, c, d) __asm__("" : "+r"(a), "+r"(b), "+r"(c), "+r"(d))

static inline void xor_counts4(const u64 *x, const u64 *w, i32 KW, i64 *cnt) {
  i64 a0 = 0, a1 = 0, a2 = 0, a3 = 0;
#pragma clang loop vectorize(disable) interleave(disable)
  for (i32 k = 0; k < KW; k++, w += 4) {
    u64 u = x[k];
    a0 += pc(u ^ w[0]);
    a1 += pc(u ^ w[1]);
    a2 += pc(u ^ w[2]);
    a3 += pc(u ^ w[3]);
    OPAQUE4(a0, a1, a2, a3);
  }
  cnt[0] = a0;
  cnt[1] = a1;
  cnt[2] = a2;
  cnt[3] = a3;
}

/*
 * Ternary rows: popcounts of (x ^ S) & NZ for the 4 rows of a ternary panel, whose word k holds the sign
 * bits S (the -1 mask) of rows 0..3 at w[8k + r] and the non-zero masks NZ at w[8k + 4 + r]. With n the
 * row's non-zero count, dot = sum_P x - sum_M x = n - 2 popcount((x ^ S) & NZ) (see src/kernels/xnor-plan.ts).
 */
static inline void masked_counts4(const u64 *x, const u64 *w, i32 KW, i64 *cnt) {
  i64 a0 = 0, a1 = 0, a2 = 0, a3 = 0;
#pragma clang loop vectorize(disable) interleave(disable)
  for (i32 k = 0; k < KW; k++, w += 8) {
    u64 u = x[k];
    a0 += pc((u ^ w[0]) & w[4]);
    a1 += pc((u ^ w[1]) & w[5]);
    a2 += pc((u ^ w[2]) & w[6]);
    a3 += pc((u ^ w[3]) & w[7]);
    OPAQUE4(a0, a1, a2, a3);
  }
  cnt[0] = a0;
  cnt[1] = a1;
  cnt[2] = a2;
  cnt[3] = a3;
}

/*
 * Hidden layer, binary in and binary out: for each output k, p = popcount(x ^ w_k) and the output bit is
 * (p > cut[k]) ^ flip[k] (1 = -1), packed 64 outputs per word. cut/flip have 4 * P entries (padding rows
 * have cut = INT32_MAX, flip = 0, so their bits stay 0). Panels are taken `tile` at a time (a multiple
 * of 16) across the whole batch, so a tile of weights stays in cache while the batch streams past it.
 */
static inline __attribute__((always_inline)) void sign_core(const u64 *x, i32 B, i32 KW, const u64 *wp, i32 P, const i32 *cut,
                                                             const i32 *flip, u64 *out, i32 KWout, i32 tile, const int tern) {
  i64 cnt[4];
  for (i32 p0 = 0; p0 < P; p0 += tile) {
    i32 p1 = p0 + tile < P ? p0 + tile : P;
    for (i32 n = 0; n < B; n++) {
      const u64 *xa = x + (i64)n * KW;
      u64 *oa = out + (i64)n * KWout;
      u64 word = 0;
      for (i32 p = p0; p < p1; p++) {
        if (tern) masked_counts4(xa, wp + (i64)p * KW * 8, KW, cnt);
        else xor_counts4(xa, wp + (i64)p * KW * 4, KW, cnt);
        const i32 *c = cut + 4 * p, *f = flip + 4 * p;
        u64 bits = (u64)((cnt[0] > c[0]) ^ f[0]) | ((u64)((cnt[1] > c[1]) ^ f[1]) << 1) |
                   ((u64)((cnt[2] > c[2]) ^ f[2]) << 2) | ((u64)((cnt[3] > c[3]) ^ f[3]) << 3);
        word |= bits << (4 * (p & 15));
        if ((p & 15) == 15 || p == P - 1) {
          oa[p >> 4] = word;
          word = 0;
        }
      }
    }
  }
}

EXPORT(xnor_sign)
void xnor_sign(const u64 *x, i32 B, i32 KW, const u64 *wp, i32 P, const i32 *cut, const i32 *flip, u64 *out, i32 KWout,
               i32 tile) {
  sign_core(x, B, KW, wp, P, cut, flip, out, KWout, tile, 0);
}

/* Hidden ternary layer, binary in: as xnor_sign with p = popcount((x ^ S) & NZ) and cuts for the row's non-zero count. */
EXPORT(tern_sign)
void tern_sign(const u64 *x, i32 B, i32 KW, const u64 *wp, i32 P, const i32 *cut, const i32 *flip, u64 *out, i32 KWout,
               i32 tile) {
  sign_core(x, B, KW, wp, P, cut, flip, out, KWout, tile, 1);
}

/*
 * Output ternary layer, binary in: scores[n, k] = (nnz[k] - 2 popcount((x ^ S_k) & NZ_k)) * scale[k] + bias[k]
 * (one rounded product, one rounded sum; scale 1 for EBP networks, the folded batch-norm scale for STE).
 */
EXPORT(tern_scores)
void tern_scores(const u64 *x, i32 B, i32 KW, const i32 *nnz, const u64 *wp, i32 N, const f64 *scale, const f64 *bias, f64 *out) {
  i32 P = (N + 3) >> 2;
  for (i32 n = 0; n < B; n++) {
    const u64 *xa = x + (i64)n * KW;
    f64 *o = out + (i64)n * N;
    for (i32 p = 0; p < P; p++) {
      i64 a[4];
      masked_counts4(xa, wp + (i64)p * KW * 8, KW, a);
      for (i32 r = 0; r < 4; r++) {
        i32 k = 4 * p + r;
        if (k < N) o[k] = (f64)(nnz[k] - 2 * a[r]) * scale[k] + bias[k];
      }
    }
  }
}

/*
 * Output layer, binary in: scores[n, k] = (K - 2 popcount(x ^ w_k)) * scale[k] + bias[k] (the sign network's
 * field; scale 1 for EBP networks, where the product is exact).
 */
EXPORT(xnor_scores)
void xnor_scores(const u64 *x, i32 B, i32 KW, i32 K, const u64 *wp, i32 N, const f64 *scale, const f64 *bias, f64 *out) {
  i32 P = (N + 3) >> 2;
  for (i32 n = 0; n < B; n++) {
    const u64 *xa = x + (i64)n * KW;
    f64 *o = out + (i64)n * N;
    for (i32 p = 0; p < P; p++) {
      i64 a[4];
      xor_counts4(xa, wp + (i64)p * KW * 4, KW, a);
      for (i32 r = 0; r < 4; r++) {
        i32 k = 4 * p + r;
        if (k < N) o[k] = (f64)(K - 2 * a[r]) * scale[k] + bias[k];
      }
    }
  }
}

/* ---------------------------------------------------------------- first layer, non-binary inputs */

/*
 * Bit-plane inputs: sum_j q_j w_j = qsum - 2 sum_b 2^b popcount(plane_b & wbits) exactly (BNN paper);
 * pre[n, k] = scale * dotq + rowc[k], where rowc[k] = offset * sum_j w_kj. Only the words listed in nz
 * (see pack_planes) are visited; the 4 weight words of a panel are loaded once for all planes.
 */
static inline __attribute__((always_inline)) void planes_core(const u64 *planes, const f64 *qsum, const i32 *nz, i32 B,
                                                               i32 KW, const i32 bits, const u64 *wp, i32 N, f64 scale,
                                                               const f64 *rowc, f64 *pre) {
  i32 P = (N + 3) >> 2;
  for (i32 n = 0; n < B; n++) {
    const u64 *pl = planes + (i64)n * KW * bits;
    const i32 *list = nz + (i64)n * (KW + 1);
    const i32 count = list[0];
    const i32 *idx = list + 1;
    f64 *o = pre + (i64)n * N;
    for (i32 p = 0; p < P; p++) {
      const u64 *wpan = wp + (i64)p * KW * 4;
      i64 a0 = 0, a1 = 0, a2 = 0, a3 = 0;
      for (i32 i = 0; i < count; i++) {
        i32 k = idx[i];
        const u64 *x = pl + (i64)k * bits;
        const u64 *w = wpan + k * 4;
        u64 w0 = w[0], w1 = w[1], w2 = w[2], w3 = w[3];
        for (i32 b = 0; b < bits; b++) {
          u64 u = x[b];
          a0 += pc(u & w0) << b;
          a1 += pc(u & w1) << b;
          a2 += pc(u & w2) << b;
          a3 += pc(u & w3) << b;
          OPAQUE4(a0, a1, a2, a3);
        }
      }
      i64 A[4] = {a0, a1, a2, a3};
      for (i32 r = 0; r < 4; r++) {
        i32 k = 4 * p + r;
        if (k < N) o[k] = scale * (qsum[n] - 2.0 * (f64)A[r]) + rowc[k];
      }
    }
  }
}

EXPORT(planes_pre)
void planes_pre(const u64 *planes, const f64 *qsum, const i32 *nz, i32 B, i32 KW, i32 bits, const u64 *wp, i32 N, f64 scale,
                const f64 *rowc, f64 *pre) {
  /* 8-bit inputs (images) get a copy with the plane loop unrolled */
  if (bits == 8) planes_core(planes, qsum, nz, B, KW, 8, wp, N, scale, rowc, pre);
  else planes_core(planes, qsum, nz, B, KW, bits, wp, N, scale, rowc, pre);
}

/*
 * Real inputs with +-1 weights, sums without multiplies; zero inputs are skipped (sparse rows such as
 * images). With fewer than LUT_MIN_ROWS outputs: s = sum over the non-zero x_j, in input order, of
 * (bit ? -x_j : x_j). Otherwise, per sample, a table of the 256 signed sums of every group of 8 inputs
 * that has a non-zero input: T[g][m] = T[g][m & (m - 1)] - 2 x_{8g + ctz m}, T[g][0] = x_{8g} + ... + x_{8g+7};
 * then s = sum over those groups, in increasing g, of T[g][byte g of the row]. `table` has room for
 * 256 * ceil(K / 8) doubles, `list` for max(K, ceil(K / 8)) integers.
 */
EXPORT(real_pre)
void real_pre(const f64 *x, i32 B, i32 K, const u64 *wp, i32 N, i32 KW, f64 *table, i32 *list, f64 *pre) {
  i32 P = (N + 3) >> 2;
  i32 G = (K + 7) >> 3;
  for (i32 n = 0; n < B; n++) {
    const f64 *xr = x + (i64)n * K;
    f64 *o = pre + (i64)n * N;
    if (N < LUT_MIN_ROWS) {
      i32 count = 0;
      for (i32 j = 0; j < K; j++)
        if (xr[j] != 0) list[count++] = j;
      for (i32 k = 0; k < N; k++) {
        const u64 *w = wp + (i64)(k >> 2) * KW * 4 + (k & 3);
        f64 s = 0;
        for (i32 i = 0; i < count; i++) {
          i32 j = list[i];
          f64 v = xr[j];
          s += ((w[(j >> 6) * 4] >> (j & 63)) & 1) ? -v : v;
        }
        o[k] = s;
      }
      continue;
    }
    i32 count = 0;
    for (i32 g = 0; g < G; g++) {
      f64 xs[8];
      i32 any = 0;
      for (i32 i = 0; i < 8; i++) {
        xs[i] = 8 * g + i < K ? xr[8 * g + i] : 0.0;
        any |= xs[i] != 0;
      }
      if (!any) continue;
      list[count++] = g;
      f64 *t = table + (i64)g * 256;
      f64 s = xs[0];
      for (i32 i = 1; i < 8; i++) s += xs[i];
      t[0] = s;
      for (i32 m = 1; m < 256; m++) t[m] = t[m & (m - 1)] - 2.0 * xs[__builtin_ctz(m)];
    }
    for (i32 p = 0; p < P; p++) {
      const uint8_t *wb = (const uint8_t *)(wp + (i64)p * KW * 4);
      f64 s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (i32 i = 0; i < count; i++) {
        i32 g = list[i];
        const uint8_t *b = wb + (g >> 3) * 32 + (g & 7);
        const f64 *t = table + (i64)g * 256;
        s0 += t[b[0]];
        s1 += t[b[8]];
        s2 += t[b[16]];
        s3 += t[b[24]];
      }
      f64 s[4] = {s0, s1, s2, s3};
      for (i32 r = 0; r < 4; r++) {
        i32 k = 4 * p + r;
        if (k < N) o[k] = s[r];
      }
    }
  }
}

/* ---------------------------------------------------------------- first layer of a ternary network */

/*
 * Bit-plane inputs, ternary weights (P = NZ & ~S, M = S): sum_j q_j w_j = sum_b 2^b (popcount(plane_b & P) -
 * popcount(plane_b & M)) exactly; pre[n, k] = scale * dotq + rowc[k], rowc[k] = offset * (|P_k| - |M_k|).
 */
static inline __attribute__((always_inline)) void tern_planes_core(const u64 *planes, const i32 *nz, i32 B, i32 KW,
                                                                    const i32 bits, const u64 *wp, i32 N, f64 scale,
                                                                    const f64 *rowc, f64 *pre) {
  i32 P = (N + 3) >> 2;
  for (i32 n = 0; n < B; n++) {
    const u64 *pl = planes + (i64)n * KW * bits;
    const i32 *list = nz + (i64)n * (KW + 1);
    const i32 count = list[0];
    const i32 *idx = list + 1;
    f64 *o = pre + (i64)n * N;
    for (i32 p = 0; p < P; p++) {
      const u64 *wpan = wp + (i64)p * KW * 8;
      i64 a0 = 0, a1 = 0, a2 = 0, a3 = 0;
      for (i32 i = 0; i < count; i++) {
        i32 k = idx[i];
        const u64 *x = pl + (i64)k * bits;
        const u64 *w = wpan + k * 8;
        u64 m0 = w[0], m1 = w[1], m2 = w[2], m3 = w[3];
        u64 p0 = w[4] & ~m0, p1 = w[5] & ~m1, p2 = w[6] & ~m2, p3 = w[7] & ~m3;
        for (i32 b = 0; b < bits; b++) {
          u64 u = x[b];
          a0 += (pc(u & p0) << b) - (pc(u & m0) << b);
          a1 += (pc(u & p1) << b) - (pc(u & m1) << b);
          a2 += (pc(u & p2) << b) - (pc(u & m2) << b);
          a3 += (pc(u & p3) << b) - (pc(u & m3) << b);
          OPAQUE4(a0, a1, a2, a3);
        }
      }
      i64 A[4] = {a0, a1, a2, a3};
      for (i32 r = 0; r < 4; r++) {
        i32 k = 4 * p + r;
        if (k < N) o[k] = scale * (f64)A[r] + rowc[k];
      }
    }
  }
}

EXPORT(tern_planes_pre)
void tern_planes_pre(const u64 *planes, const i32 *nz, i32 B, i32 KW, i32 bits, const u64 *wp, i32 N, f64 scale,
                     const f64 *rowc, f64 *pre) {
  if (bits == 8) tern_planes_core(planes, nz, B, KW, 8, wp, N, scale, rowc, pre);
  else tern_planes_core(planes, nz, B, KW, bits, wp, N, scale, rowc, pre);
}

/*
 * Real inputs, ternary weights: sum_{j in P} x_j - sum_{j in M} x_j; zero inputs and zero weights are skipped.
 * With fewer than LUT_MIN_ROWS outputs: direct sums in input order over the non-zero inputs. Otherwise per
 * sample a table of the 256 subset sums of every group of 8 inputs that has a non-zero input,
 * T[g][m] = T[g][m & (m - 1)] + x_{8g + ctz m}, T[g][0] = 0, and s += T[g][P byte] - T[g][M byte] over
 * those groups in increasing g (mirrored by realPreTernary in src/kernels/xnor-js.ts).
 */
EXPORT(tern_real_pre)
void tern_real_pre(const f64 *x, i32 B, i32 K, const u64 *wp, i32 N, i32 KW, f64 *table, i32 *list, f64 *pre) {
  i32 P = (N + 3) >> 2;
  i32 G = (K + 7) >> 3;
  for (i32 n = 0; n < B; n++) {
    const f64 *xr = x + (i64)n * K;
    f64 *o = pre + (i64)n * N;
    if (N < LUT_MIN_ROWS) {
      i32 count = 0;
      for (i32 j = 0; j < K; j++)
        if (xr[j] != 0) list[count++] = j;
      for (i32 k = 0; k < N; k++) {
        const u64 *w = wp + (i64)(k >> 2) * KW * 8 + (k & 3);
        f64 s = 0;
        for (i32 i = 0; i < count; i++) {
          i32 j = list[i];
          const u64 *wj = w + (j >> 6) * 8;
          if ((wj[4] >> (j & 63)) & 1) {
            f64 v = xr[j];
            s += ((wj[0] >> (j & 63)) & 1) ? -v : v;
          }
        }
        o[k] = s;
      }
      continue;
    }
    i32 count = 0;
    for (i32 g = 0; g < G; g++) {
      f64 xs[8];
      i32 any = 0;
      for (i32 i = 0; i < 8; i++) {
        xs[i] = 8 * g + i < K ? xr[8 * g + i] : 0.0;
        any |= xs[i] != 0;
      }
      if (!any) continue;
      list[count++] = g;
      f64 *t = table + (i64)g * 256;
      t[0] = 0.0;
      for (i32 m = 1; m < 256; m++) t[m] = t[m & (m - 1)] + xs[__builtin_ctz(m)];
    }
    for (i32 p = 0; p < P; p++) {
      const uint8_t *wb = (const uint8_t *)(wp + (i64)p * KW * 8);
      f64 s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (i32 i = 0; i < count; i++) {
        i32 g = list[i];
        const uint8_t *b = wb + (g >> 3) * 64 + (g & 7);
        const f64 *t = table + (i64)g * 256;
        s0 += t[b[32] & ~b[0] & 255] - t[b[0]];
        s1 += t[b[40] & ~b[8] & 255] - t[b[8]];
        s2 += t[b[48] & ~b[16] & 255] - t[b[16]];
        s3 += t[b[56] & ~b[24] & 255] - t[b[24]];
      }
      f64 s[4] = {s0, s1, s2, s3};
      for (i32 r = 0; r < 4; r++) {
        i32 k = 4 * p + r;
        if (k < N) o[k] = s[r];
      }
    }
  }
}

/* Sign and pack real pre-activations: d = pre - thr[k]; bit = flip[k] ? d > 0 : d < 0 (1 = -1). */
EXPORT(sign_pack)
void sign_pack(const f64 *pre, i32 B, i32 N, const f64 *thr, const i32 *flip, u64 *out, i32 KWout) {
  for (i32 n = 0; n < B; n++) {
    const f64 *pr = pre + (i64)n * N;
    u64 *o = out + (i64)n * KWout;
    for (i32 w = 0; w < KWout; w++) {
      i32 k0 = w * 64;
      i32 m = N - k0 < 64 ? N - k0 : 64;
      u64 word = 0;
      for (i32 b = 0; b < m; b++) {
        f64 d = pr[k0 + b] - thr[k0 + b];
        i32 neg = flip[k0 + b] ? d > 0 : d < 0;
        word |= (u64)neg << b;
      }
      o[w] = word;
    }
  }
}
