import ndarray from 'ndarray';
// The type by a named import, so the emitted declarations need no esModuleInterop in a consumer (node10 + commonjs).
import type { Data, NdArray } from 'ndarray';
import { ArgumentError, NumericError, ShapeError } from '../errors';

/** The public matrix type: a 2-D ndarray over a Float64Array, shape [rows, cols], row-major. */
export type Matrix = NdArray<Float64Array>;

/** Anything {@link matrix} accepts. */
export type MatrixLike = Matrix | readonly (readonly number[])[] | ArrayLike<number>[];

/**
 * Build a matrix from nested rows (`number[][]`), or wrap a flat Float64Array of length rows*cols.
 * An existing Float64 ndarray is returned as is.
 */
export function matrix(rows: MatrixLike): Matrix;
export function matrix(data: Float64Array, rows: number, cols: number): Matrix;
export function matrix(src: MatrixLike | Float64Array, rows?: number, cols?: number): Matrix {
  if (src instanceof Float64Array) {
    if (rows !== undefined && cols !== undefined) checkShape('matrix', rows, cols);
    if (rows === undefined || cols === undefined || src.length !== rows * cols) {
      throw new ShapeError(
        `matrix: a flat Float64Array of length ${src.length} needs rows*cols equal to it (rows=${rows}, cols=${cols}).`,
        [src.length],
        [(rows ?? NaN) * (cols ?? NaN)],
      );
    }
    return ndarray(src, [rows, cols]);
  }
  if (isNdArray(src)) {
    if (src.shape.length !== 2) {
      throw new ShapeError(`matrix: expected a 2-D ndarray, got shape [${src.shape.join(', ')}].`, src.shape, [NaN, NaN]);
    }
    if (src.data instanceof Float64Array) return src as Matrix;
    const out = zeros(src.shape[0], src.shape[1]);
    for (let i = 0; i < src.shape[0]; i++) for (let j = 0; j < src.shape[1]; j++) out.data[i * src.shape[1] + j] = src.get(i, j);
    return out;
  }
  if (!Array.isArray(src)) throw new ArgumentError('matrix: expected an array of rows, a Float64Array or an ndarray.');
  const r = src.length;
  const c = r === 0 ? 0 : (src[0] as ArrayLike<number>).length;
  const data = new Float64Array(r * c);
  for (let i = 0; i < r; i++) {
    const row = src[i] as ArrayLike<number>;
    if (row == null || row.length !== c) {
      throw new ShapeError(`matrix: row ${i} has ${row == null ? 'no' : row.length} values, row 0 has ${c}.`, [i, row?.length ?? 0], [i, c]);
    }
    for (let j = 0; j < c; j++) {
      const v = row[j];
      if (typeof v !== 'number') throw new ArgumentError(`matrix: row ${i}, column ${j} is ${JSON.stringify(v)}, not a number.`);
      data[i * c + j] = v;
    }
  }
  return ndarray(data, [r, c]);
}

function checkShape(fn: string, rows: number, cols: number): void {
  if (!(Number.isInteger(rows) && rows >= 0 && Number.isInteger(cols) && cols >= 0)) {
    throw new ArgumentError(`invalid argument. ${fn}: rows and cols must be non-negative integers. Value: rows=${rows}, cols=${cols}.`);
  }
}

/** A rows x cols matrix of zeros. */
export function zeros(rows: number, cols: number): Matrix {
  checkShape('zeros', rows, cols);
  return ndarray(new Float64Array(rows * cols), [rows, cols]);
}

/** Nested plain arrays, one per row. */
export function toRows(m: Matrix): number[][] {
  const [r, c] = m.shape;
  const out: number[][] = [];
  for (let i = 0; i < r; i++) {
    const row = new Array<number>(c);
    for (let j = 0; j < c; j++) row[j] = m.get(i, j);
    out.push(row);
  }
  return out;
}

/**
 * The matrix as a dense row-major Float64Array plus offset, copying only when the view is not
 * already contiguous row-major (e.g. a transposed or stepped view). Kernels read `data[offset + i*cols + j]`.
 */
export function rowMajor(m: Matrix): { data: Float64Array; offset: number; rows: number; cols: number } {
  const [rows, cols] = m.shape;
  if ((m.stride[1] === 1 || cols <= 1) && (m.stride[0] === cols || rows <= 1)) {
    return { data: m.data, offset: m.offset, rows, cols };
  }
  const data = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) data[i * cols + j] = m.get(i, j);
  return { data, offset: 0, rows, cols };
}

/**
 * A public function's matrix argument as a {@link Matrix}: Float64 ndarrays (views included) as they are,
 * other ndarrays and arrays of rows converted. Anything else is an ArgumentError naming the argument.
 */
export function asMatrix(X: unknown, what = 'X'): Matrix {
  if (isNdArray(X) || Array.isArray(X)) return matrix(X as MatrixLike);
  const got = X instanceof Float64Array ? `a flat Float64Array (wrap it with matrix(data, rows, cols))` : X === null ? 'null' : typeof X;
  throw new ArgumentError(`invalid argument. \`${what}\` must be a 2-D ndarray (see matrix()) or an array of rows; got ${got}.`);
}

/** Index of the first NaN or infinity in X[xo..xo+n) relative to xo, or −1 (four sums of x − x, then a search). */
export function firstNonFinite(X: ArrayLike<number>, xo: number, n: number): number {
  let a0 = 0;
  let a1 = 0;
  let a2 = 0;
  let a3 = 0;
  let i = xo;
  const e = xo + n;
  for (; i + 4 <= e; i += 4) {
    a0 += X[i] - X[i];
    a1 += X[i + 1] - X[i + 1];
    a2 += X[i + 2] - X[i + 2];
    a3 += X[i + 3] - X[i + 3];
  }
  for (; i < e; i++) a0 += X[i] - X[i];
  if (a0 + a1 + a2 + a3 === 0) return -1;
  for (i = xo; i < e; i++) if (X[i] - X[i] !== 0) return i - xo;
  return -1;
}

/** Throw a NumericError naming the first non-finite entry of `rows` × `cols` row-major values at data[offset..]. */
export function assertFiniteRows(data: ArrayLike<number>, offset: number, rows: number, cols: number, what: string): void {
  const bad = firstNonFinite(data, offset, rows * cols);
  if (bad >= 0) {
    throw new NumericError(`${what}: input row ${Math.floor(bad / cols)}, column ${bad % cols} is ${data[offset + bad]}; inputs must be finite.`);
  }
}

export function isNdArray(x: unknown): x is NdArray<Data<number>> {
  return typeof x === 'object' && x !== null && 'shape' in x && 'stride' in x && 'data' in x && 'offset' in x;
}
