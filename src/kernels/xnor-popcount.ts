/**
 * Population counts on 32-bit words in their simple forms (JS has no popcount instruction), and the slow
 * twins of the packed engine's hot loops (./xnor-counts.ts): the same results from one popcount per word,
 * with no carry-save adder and no deferred reduction. tests/unit/kernels/xnor-counts.test.ts holds the fast
 * loops (and the WebAssembly engine's i64.popcnt loops) equal to these. `popcount32` and `xnorDot` are
 * public API (exported from src/index.ts).
 */

/** Number of set bits of the low 32 bits of v (SWAR, Hacker's Delight 5-1; shifts only, no Math.*). */
export function popcount32(v: number): number {
  v = v - ((v >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  v = (v + (v >>> 4)) & 0x0f0f0f0f;
  v = v + (v >>> 8);
  return (v + (v >>> 16)) & 63;
}

/** The set bits of each row of a rows × wordsPerRow word matrix: out[r] = Σ_w popcount(words[r·wordsPerRow + w]). */
export function rowPopcounts(words: Int32Array, rows: number, wordsPerRow: number): Int32Array {
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let c = 0;
    for (let w = 0; w < wordsPerRow; w++) c += popcount32(words[r * wordsPerRow + w]);
    out[r] = c;
  }
  return out;
}

/** Σ_w popcount(a[oa + w] ⊕ b[ob + w]) over `words` words. */
export function xorPopcount(a: Int32Array, oa: number, b: Int32Array, ob: number, words: number): number {
  let s = 0;
  for (let w = 0; w < words; w++) s += popcount32(a[oa + w] ^ b[ob + w]);
  return s;
}

/**
 * The ±1 dot product of two packed rows of length K (padding bits zero in both):
 * Σ_j a_j b_j = K − 2·popcount(a ⊕ b).
 */
export function xnorDot(a: Int32Array, oa: number, b: Int32Array, ob: number, K: number): number {
  return K - 2 * xorPopcount(a, oa, b, ob, (K + 31) >>> 5);
}

/** Slow twin of `xorCounts4`: cnt[r] = Σ_k popcount(X[xo + k] ⊕ W[wo + 4k + r]), r < 4, over KW words. */
export function xorCounts4Slow(X: Int32Array, xo: number, W: Int32Array, wo: number, KW: number, cnt: Int32Array): void {
  for (let r = 0; r < 4; r++) {
    let s = 0;
    for (let k = 0; k < KW; k++) s += popcount32(X[xo + k] ^ W[wo + 4 * k + r]);
    cnt[r] = s;
  }
}

/**
 * Slow twin of `maskedCounts4`: cnt[r] = Σ_k popcount((X[xo + k] ⊕ S) ∧ NZ), r < 4, with S = W[wo + 8k + r]
 * (the −1 mask) and NZ = W[wo + 8k + 4 + r] (the non-zero mask) of a ternary panel.
 */
export function maskedCounts4Slow(X: Int32Array, xo: number, W: Int32Array, wo: number, KW: number, cnt: Int32Array): void {
  for (let r = 0; r < 4; r++) {
    let s = 0;
    for (let k = 0; k < KW; k++) s += popcount32((X[xo + k] ^ W[wo + 8 * k + r]) & W[wo + 8 * k + 4 + r]);
    cnt[r] = s;
  }
}
