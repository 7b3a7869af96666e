/**
 * Bit packing of ±1 values, with the conventions of Larq Compute Engine (LCE):
 *
 * - bit = 1 means −1, bit = 0 means +1; a value is packed as 1 when it is < 0, so sign(0) = +1;
 * - 32-bit words, least significant bit first: value j of a row is bit `j & 31` of word `j >>> 5`;
 * - every row is packed on its own (`packedWords(cols)` words per row);
 * - padding bits (past the last column of a row) are zero in both operands, so that
 *   dot(a, b) = K − 2·popcount(a ⊕ b) holds with the true length K.
 *
 * Words are stored in an Int32Array (bitwise operators in JS give signed 32-bit integers; reading a
 * Uint32Array word ≥ 2^31 would give a double).
 */
import { ArgumentError, ShapeError } from '../errors';
import { rowPopcounts } from '../kernels/xnor-popcount';

/** Bits per packed word. */
export const WORD_BITS = 32;

/** A row-major matrix of ±1 values packed one row at a time. */
export interface PackedMatrix {
  readonly rows: number;
  readonly cols: number;
  /** packedWords(cols). */
  readonly wordsPerRow: number;
  /** rows × wordsPerRow words. */
  readonly data: Int32Array;
}

/** Words needed for n bits: ⌈n / 32⌉ (0 for n = 0). */
export function packedWords(n: number): number {
  return (n + 31) >>> 5;
}

/**
 * Pack the signs of a row-major rows × cols array (offset `offset`): bit = 1 where the value is < 0.
 * Zero packs as +1 (bit 0), as sign(0) = +1; NaN is rejected. Padding bits are zero.
 *
 * @example packSigns([1, -1, -0.5, 0], 1, 4).data[0] // returns 6 (bits 1 and 2)
 */
export function packSigns(src: ArrayLike<number>, rows: number, cols: number, offset = 0): PackedMatrix {
  checkSource('packSigns', src, rows, cols, offset);
  for (let i = offset, e = offset + rows * cols; i < e; i++) {
    const v = src[i];
    if (!(v < 0 || v >= 0)) {
      throw new ArgumentError(`invalid argument. packSigns: value at row ${Math.floor((i - offset) / cols)}, column ${(i - offset) % cols} is ${v}; signs are taken of numbers.`);
    }
  }
  const W = packedWords(cols);
  const data = new Int32Array(rows * W);
  for (let r = 0; r < rows; r++) packSignsRow(src, offset + r * cols, cols, data, r * W);
  return { rows, cols, wordsPerRow: W, data };
}

/** Pack one row of `n` values from src[so..] into words out[oo..] (bit = 1 where the value is < 0). Unchecked. */
export function packSignsRow(src: ArrayLike<number>, so: number, n: number, out: Int32Array, oo: number): void {
  const W = packedWords(n);
  for (let w = 0; w < W; w++) {
    const j0 = w << 5;
    const m = Math.min(32, n - j0);
    let word = 0;
    for (let b = 0; b < m; b++) if (src[so + j0 + b] < 0) word |= 1 << b;
    out[oo + w] = word;
  }
}

/** Unpack to ±1 doubles, row-major rows × cols (bit 1 → −1, bit 0 → +1). */
export function unpackSigns(p: PackedMatrix, out?: Float64Array): Float64Array {
  return unpackEach('unpackSigns', p, out, (i, s) => ((p.data[i] >>> s) & 1 ? -1 : 1));
}

/** Row-major rows × cols doubles from the layout of `m`: entry (r, j) is value(word index, bit) of bit j of row r. */
function unpackEach(fn: string, m: PackedMatrix, out: Float64Array | undefined, value: (word: number, bit: number) => number): Float64Array {
  const n = m.rows * m.cols;
  const dst = out ?? new Float64Array(n);
  if (dst.length < n) throw new ShapeError(`${fn}: output has ${dst.length} entries, needs ${n}.`, [dst.length], [n]);
  const W = m.wordsPerRow;
  for (let r = 0; r < m.rows; r++) {
    for (let j = 0; j < m.cols; j++) dst[r * m.cols + j] = value(r * W + (j >>> 5), j & 31);
  }
  return dst;
}

/** Mask of the valid bits of the last word of a row of n bits (all ones when n is a multiple of 32). */
export function lastWordMask(n: number): number {
  const r = n & 31;
  return r === 0 ? -1 : (1 << r) - 1;
}

/**
 * The first row whose padding bits are not all zero, or −1 when every row is clean.
 * `data` holds rows × packedWords(cols) words starting at `offset`.
 */
export function firstDirtyPaddingRow(data: Int32Array, rows: number, cols: number, offset = 0): number {
  const W = packedWords(cols);
  if (W === 0 || (cols & 31) === 0) return -1;
  const pad = ~lastWordMask(cols);
  for (let r = 0; r < rows; r++) if ((data[offset + r * W + W - 1] & pad) !== 0) return r;
  return -1;
}

/** Wrap existing words as a PackedMatrix after checking the length and the padding bits. */
export function packedMatrix(data: Int32Array, rows: number, cols: number): PackedMatrix {
  checkDims('packedMatrix', rows, cols);
  const W = packedWords(cols);
  if (data.length !== rows * W) {
    throw new ShapeError(
      `packedMatrix: ${rows} rows of ${cols} bits need ${rows * W} words, got ${data.length}.`,
      [data.length],
      [rows * W],
    );
  }
  const dirty = firstDirtyPaddingRow(data, rows, cols);
  if (dirty >= 0) throw new ArgumentError(`packedMatrix: row ${dirty} has non-zero padding bits (past column ${cols}).`);
  return { rows, cols, wordsPerRow: W, data };
}

function checkDims(fn: string, rows: number, cols: number): void {
  if (!Number.isInteger(rows) || rows < 0 || !Number.isInteger(cols) || cols < 0) {
    throw new ArgumentError(`invalid argument. ${fn}: rows and cols must be non-negative integers. Value: \`${rows}×${cols}\`.`);
  }
}

/** The dimensions of a pack call, and a source long enough for rows × cols values from `offset`. */
function checkSource(fn: string, src: ArrayLike<number>, rows: number, cols: number, offset: number): void {
  checkDims(fn, rows, cols);
  if (src.length < offset + rows * cols) {
    throw new ShapeError(
      `${fn}: source has ${src.length} values but offset ${offset} + rows ${rows} × cols ${cols} needs ${offset + rows * cols}.`,
      [src.length],
      [offset + rows * cols],
    );
  }
}

/**
 * A row-major matrix of ternary weights {−1, 0, +1} as two masks with the layout of {@link PackedMatrix}
 * (LSB first, rows packed on their own, padding bits zero): `plus` has bit 1 where the weight is +1,
 * `minus` where it is −1; both bits 0 means 0. The masks are disjoint. `minus` is also the sign bits of
 * the weights in the binary convention (bit 1 = −1), with 0 packed as +1.
 */
export interface TernaryMasks {
  readonly plus: PackedMatrix;
  readonly minus: PackedMatrix;
}

/**
 * Pack a row-major rows × cols array as ternary masks: bit of `plus` where the value is > 0, of `minus`
 * where it is < 0; zero (and −0) sets neither. NaN is rejected (a ternary weight has no default sign).
 *
 * @example packTernary([1, 0, -1, 2], 1, 4) // plus.data[0] = 0b1001, minus.data[0] = 0b0100
 */
export function packTernary(src: ArrayLike<number>, rows: number, cols: number, offset = 0): TernaryMasks {
  checkSource('packTernary', src, rows, cols, offset);
  const W = packedWords(cols);
  const plus = new Int32Array(rows * W);
  const minus = new Int32Array(rows * W);
  for (let r = 0; r < rows; r++) {
    const so = offset + r * cols;
    for (let w = 0; w < W; w++) {
      const j0 = w << 5;
      const m = Math.min(32, cols - j0);
      let p = 0;
      let n = 0;
      for (let b = 0; b < m; b++) {
        const v = src[so + j0 + b];
        if (v > 0) p |= 1 << b;
        else if (v < 0) n |= 1 << b;
        else if (v !== 0) throw new ArgumentError(`invalid argument. packTernary: value at row ${r}, column ${j0 + b} is ${v}; ternary weights must be numbers.`);
      }
      plus[r * W + w] = p;
      minus[r * W + w] = n;
    }
  }
  return { plus: { rows, cols, wordsPerRow: W, data: plus }, minus: { rows, cols, wordsPerRow: W, data: minus } };
}

/** Unpack ternary masks to doubles −1, 0, +1, row-major rows × cols. */
export function unpackTernary(t: TernaryMasks, out?: Float64Array): Float64Array {
  const { plus, minus } = t;
  return unpackEach('unpackTernary', plus, out, (i, s) => ((plus.data[i] >>> s) & 1 ? 1 : (minus.data[i] >>> s) & 1 ? -1 : 0));
}

/** The first row where `a` and `b` (rows × packedWords(cols) words each) share a set bit, or −1. */
export function firstOverlapRow(a: Int32Array, b: Int32Array, rows: number, cols: number, offset = 0): number {
  const W = packedWords(cols);
  for (let r = 0; r < rows; r++) {
    for (let w = 0; w < W; w++) if ((a[offset + r * W + w] & b[offset + r * W + w]) !== 0) return r;
  }
  return -1;
}

/** Number of non-zero weights in each row of ternary masks (popcount of plus | minus). */
export function nonZeroPerRow(plus: Int32Array, minus: Int32Array, rows: number, cols: number): Int32Array {
  const nz = new Int32Array(rows * packedWords(cols));
  for (let i = 0; i < nz.length; i++) nz[i] = plus[i] | minus[i];
  return rowPopcounts(nz, rows, packedWords(cols));
}
