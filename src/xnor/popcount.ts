/**
 * Population counts on 32-bit words (JS has no popcount instruction). These are the simple reference
 * forms; the layer kernels in src/kernels/xnor-js.ts defer the SWAR reduction over several words.
 */

/** Number of set bits of the low 32 bits of v (SWAR, Hacker's Delight 5-1). */
export function popcount32(v: number): number {
  v = v - ((v >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  v = (v + (v >>> 4)) & 0x0f0f0f0f;
  v = v + (v >>> 8);
  return (v + (v >>> 16)) & 63;
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
