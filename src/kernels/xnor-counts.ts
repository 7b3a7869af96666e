/**
 * The hot loops of the TypeScript packed engine: popcounts of 4 weight rows against one packed input row.
 * 32-bit words; weights in panels of 4 rows interleaved one word at a time (word k of row 4p + r at
 * wp[(p·KW + k)·4 + r]); ternary panels hold 8 words per input word (the 4 rows' sign words, then their
 * non-zero masks). Popcount: SWAR with the reduction deferred (a carry-save adder over 3 words, nibble
 * counts, then byte counts over up to 30 words), which measured faster in V8 than a 16-bit lookup table,
 * a full SWAR popcount per word, Harley–Seal over 8 words, or two samples per pass.
 *
 * Slow twins: {@link xorCounts4Slow} and {@link maskedCounts4Slow} in ./xnor-popcount.ts, one popcount
 * per word; tests/unit/kernels/xnor-counts.test.ts holds the two (and the WebAssembly engine) equal.
 */
import { popcount32 } from './xnor-popcount';

const M1 = 0x55555555;
const M2 = 0x33333333;
const M4 = 0x0f0f0f0f;

function nib(v: number): number {
  v = v - ((v >>> 1) & M1);
  return (v & M2) + ((v >>> 2) & M2);
}

/*
 * The hot loops call no Math.* builtins: under test runners that run code in a separate VM context
 * (jest) a call to a builtin of the outer context is not inlined and costs ~100× more.
 */

function byteSum(c: number): number {
  c = (c & 0x00ff00ff) + ((c >>> 8) & 0x00ff00ff);
  return (c & 0xffff) + (c >>> 16);
}

/**
 * The set bits of three words a, b, c per byte (each ≤ 24): a carry-save adder (a + b + c = 2·hi + lo
 * bitwise), its two outputs counted per nibble (2·nib(hi) + nib(lo) ≤ 12), the two nibbles of each byte added.
 */
function csa3(a: number, b: number, c: number): number {
  const u = a ^ b;
  const s = ((nib((a & b) | (u & c)) << 1) + nib(u ^ c)) | 0;
  return (s & M4) + ((s >>> 4) & M4);
}

/**
 * cnt[r] = Σ_k popcount(X[xo + k] ⊕ W[wo + 4k + r]) for the 4 rows of a panel. Three words at a time go
 * through {@link csa3} into byte counters, flushed every 30 words.
 */
export function xorCounts4(X: Int32Array, xo: number, W: Int32Array, wo: number, KW: number, cnt: Int32Array): void {
  let r0 = 0;
  let r1 = 0;
  let r2 = 0;
  let r3 = 0;
  let k = 0;
  const full = KW - (KW % 3);
  while (k < full) {
    const lim = k + 30 < full ? k + 30 : full;
    let c0 = 0;
    let c1 = 0;
    let c2 = 0;
    let c3 = 0;
    for (; k < lim; k += 3, wo += 12) {
      const x0 = X[xo + k];
      const x1 = X[xo + k + 1];
      const x2 = X[xo + k + 2];
      c0 = (c0 + csa3(x0 ^ W[wo], x1 ^ W[wo + 4], x2 ^ W[wo + 8])) | 0;
      c1 = (c1 + csa3(x0 ^ W[wo + 1], x1 ^ W[wo + 5], x2 ^ W[wo + 9])) | 0;
      c2 = (c2 + csa3(x0 ^ W[wo + 2], x1 ^ W[wo + 6], x2 ^ W[wo + 10])) | 0;
      c3 = (c3 + csa3(x0 ^ W[wo + 3], x1 ^ W[wo + 7], x2 ^ W[wo + 11])) | 0;
    }
    r0 += byteSum(c0);
    r1 += byteSum(c1);
    r2 += byteSum(c2);
    r3 += byteSum(c3);
  }
  for (; k < KW; k++, wo += 4) {
    const x = X[xo + k];
    r0 += popcount32(x ^ W[wo]);
    r1 += popcount32(x ^ W[wo + 1]);
    r2 += popcount32(x ^ W[wo + 2]);
    r3 += popcount32(x ^ W[wo + 3]);
  }
  cnt[0] = r0;
  cnt[1] = r1;
  cnt[2] = r2;
  cnt[3] = r3;
}

/**
 * Canonical rows (⌈K/32⌉ words each) into panels: word w of row 4p + r goes to out[(p·KW + w)·per + at + r]
 * (binary panels: per 4, at 0; ternary: per 8, the sign words at 0 and the non-zero masks at 4).
 */
function interleave32(words: Int32Array, K: number, N: number, out: Int32Array, per: number, at: number): void {
  const KW = (K + 31) >>> 5;
  for (let k = 0; k < N; k++) {
    const o = (k >>> 2) * KW * per + at + (k & 3);
    for (let w = 0; w < KW; w++) out[o + w * per] = words[k * KW + w];
  }
}

/** Canonical rows → panels of 4 rows interleaved per word; missing rows are zero. */
export function toPanels32(words: Int32Array, K: number, N: number): Int32Array {
  const out = new Int32Array(((N + 3) >>> 2) * ((K + 31) >>> 5) * 4);
  interleave32(words, K, N, out, 4, 0);
  return out;
}

/**
 * Ternary rows (see ternaryRowCounts in ./xnor-plan.ts): cnt[r] = Σ_k popcount((X[xo + k] ⊕ S) ∧ NZ) for
 * the 4 rows of a ternary panel, whose word k holds S (sign bits = −1 mask) of rows 0..3 at
 * W[wo + 8k + r] and NZ (non-zero mask) at W[wo + 8k + 4 + r]. The same loop as xorCounts4 on the masked words.
 */
// Kept apart from xorCounts4 on purpose: one loop with a mask branch measured 30–80% slower in V8 (node 20).
export function maskedCounts4(X: Int32Array, xo: number, W: Int32Array, wo: number, KW: number, cnt: Int32Array): void {
  let r0 = 0;
  let r1 = 0;
  let r2 = 0;
  let r3 = 0;
  let k = 0;
  const full = KW - (KW % 3);
  while (k < full) {
    const lim = k + 30 < full ? k + 30 : full;
    let c0 = 0;
    let c1 = 0;
    let c2 = 0;
    let c3 = 0;
    for (; k < lim; k += 3, wo += 24) {
      const x0 = X[xo + k];
      const x1 = X[xo + k + 1];
      const x2 = X[xo + k + 2];
      c0 = (c0 + csa3((x0 ^ W[wo]) & W[wo + 4], (x1 ^ W[wo + 8]) & W[wo + 12], (x2 ^ W[wo + 16]) & W[wo + 20])) | 0;
      c1 = (c1 + csa3((x0 ^ W[wo + 1]) & W[wo + 5], (x1 ^ W[wo + 9]) & W[wo + 13], (x2 ^ W[wo + 17]) & W[wo + 21])) | 0;
      c2 = (c2 + csa3((x0 ^ W[wo + 2]) & W[wo + 6], (x1 ^ W[wo + 10]) & W[wo + 14], (x2 ^ W[wo + 18]) & W[wo + 22])) | 0;
      c3 = (c3 + csa3((x0 ^ W[wo + 3]) & W[wo + 7], (x1 ^ W[wo + 11]) & W[wo + 15], (x2 ^ W[wo + 19]) & W[wo + 23])) | 0;
    }
    r0 += byteSum(c0);
    r1 += byteSum(c1);
    r2 += byteSum(c2);
    r3 += byteSum(c3);
  }
  for (; k < KW; k++, wo += 8) {
    const x = X[xo + k];
    r0 += popcount32((x ^ W[wo]) & W[wo + 4]);
    r1 += popcount32((x ^ W[wo + 1]) & W[wo + 5]);
    r2 += popcount32((x ^ W[wo + 2]) & W[wo + 6]);
    r3 += popcount32((x ^ W[wo + 3]) & W[wo + 7]);
  }
  cnt[0] = r0;
  cnt[1] = r1;
  cnt[2] = r2;
  cnt[3] = r3;
}

/** Canonical sign and non-zero rows → ternary panels: word k of panel p holds S of rows 4p..4p+3, then their NZ. */
export function toTernaryPanels32(words: Int32Array, nz: Int32Array, K: number, N: number): Int32Array {
  const out = new Int32Array(((N + 3) >>> 2) * ((K + 31) >>> 5) * 8);
  interleave32(words, K, N, out, 8, 0);
  interleave32(nz, K, N, out, 8, 4);
  return out;
}
