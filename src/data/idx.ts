import { DataError } from '../errors';

/**
 * The IDX file format (the format the MNIST files are distributed in), reader side.
 *
 * Layout, all integers big-endian:
 * - magic: two zero bytes, one type byte, one byte with the number of dimensions `d`;
 * - `d` dimension sizes, each an unsigned 32-bit integer;
 * - the data, row-major (last dimension fastest), each element big-endian.
 *
 * Type bytes: 0x08 unsigned byte, 0x09 signed byte, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64.
 *
 * This module is pure and browser-safe (no Node APIs); for files, gzipped or not, see
 * `readIdxFile` in the Node-only entry point.
 */

/** Element types of IDX files (the type byte of the magic number). */
export type IdxDtype = 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';

/** The typed array holding an IDX file's elements, by {@link IdxDtype}. */
export type IdxTypedArray = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

/** A parsed IDX file: element type, dimension sizes and the elements (row-major, native byte order). */
export interface IdxArray {
  dtype: IdxDtype;
  shape: number[];
  data: IdxTypedArray;
}

/** {@link parseIdx} options. */
export interface ParseIdxOptions {
  /** File name for error messages. */
  file?: string;
}

interface DtypeInfo {
  code: number;
  dtype: IdxDtype;
  size: number;
}

const DTYPES: readonly DtypeInfo[] = [
  { code: 0x08, dtype: 'uint8', size: 1 },
  { code: 0x09, dtype: 'int8', size: 1 },
  { code: 0x0b, dtype: 'int16', size: 2 },
  { code: 0x0c, dtype: 'int32', size: 4 },
  { code: 0x0d, dtype: 'float32', size: 4 },
  { code: 0x0e, dtype: 'float64', size: 8 },
];

/** The IDX type byte of each dtype. */
export const IDX_TYPE_CODES: Readonly<Record<IdxDtype, number>> = Object.freeze(
  Object.fromEntries(DTYPES.map((d) => [d.dtype, d.code])) as Record<IdxDtype, number>,
);

/** Bytes per element of each dtype. */
export const IDX_ELEMENT_SIZES: Readonly<Record<IdxDtype, number>> = Object.freeze(
  Object.fromEntries(DTYPES.map((d) => [d.dtype, d.size])) as Record<IdxDtype, number>,
);

function hex(b: number): string {
  return '0x' + b.toString(16).padStart(2, '0');
}

/**
 * Parse an IDX file held in memory. The returned data is a fresh typed array (it does not share memory
 * with `bytes`). Throws {@link DataError} (with `options.file` as location) for a bad magic number, an unknown
 * type byte, a header or data shorter than the header announces, or bytes after the end of the data.
 */
export function parseIdx(bytes: Uint8Array, options: ParseIdxOptions = {}): IdxArray {
  const loc = { file: options.file };
  if (bytes.length < 4) {
    throw new DataError(
      `not an IDX file: found ${bytes.length} byte${bytes.length === 1 ? '' : 's'}, expected at least the 4-byte magic number.`,
      loc,
    );
  }
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    const magic = Array.from(bytes.subarray(0, 4), hex).join(' ');
    throw new DataError(`not an IDX file: bad magic number ${magic}, expected 0x00 0x00 <type> <dimensions>.`, loc);
  }
  const info = DTYPES.find((d) => d.code === bytes[2]);
  if (info === undefined) {
    throw new DataError(
      `unknown IDX type byte ${hex(bytes[2])}, expected one of ${DTYPES.map((d) => `${hex(d.code)} (${d.dtype})`).join(', ')}.`,
      loc,
    );
  }
  const ndims = bytes[3];
  const headerSize = 4 + 4 * ndims;
  if (bytes.length < headerSize) {
    throw new DataError(
      `truncated IDX header: ${ndims} dimensions need ${headerSize} header bytes, found ${bytes.length}.`,
      loc,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape: number[] = [];
  let count = 1;
  for (let k = 0; k < ndims; k++) {
    const dim = view.getUint32(4 + 4 * k, false);
    shape.push(dim);
    count *= dim;
  }
  const dataBytes = count * info.size;
  const expected = headerSize + dataBytes;
  const shapeText = `[${shape.join(', ')}]`;
  if (bytes.length < expected) {
    throw new DataError(
      `truncated IDX data: shape ${shapeText} of ${info.dtype} needs ${dataBytes} data bytes (${expected} bytes in all), ` +
        `found ${bytes.length - headerSize} data bytes (${bytes.length} in all).`,
      loc,
    );
  }
  if (bytes.length > expected) {
    throw new DataError(
      `${bytes.length - expected} trailing byte${bytes.length - expected === 1 ? '' : 's'} after the IDX data: ` +
        `shape ${shapeText} of ${info.dtype} gives ${expected} bytes, found ${bytes.length}.`,
      loc,
    );
  }
  return { dtype: info.dtype, shape, data: readElements(info.dtype, view, headerSize, count, bytes) };
}

/** A typed array of n elements filled with get(i), the big-endian element i of the data section. */
function readBigEndian<T extends Int16Array | Int32Array | Float32Array | Float64Array>(
  make: new (n: number) => T, n: number, get: (i: number) => number,
): T {
  const out = new make(n);
  for (let i = 0; i < n; i++) out[i] = get(i);
  return out;
}

function readElements(dtype: IdxDtype, view: DataView, off: number, n: number, bytes: Uint8Array): IdxTypedArray {
  switch (dtype) {
    case 'uint8':
      return bytes.slice(off, off + n);
    case 'int8': {
      const out = new Int8Array(n);
      out.set(new Int8Array(bytes.buffer, bytes.byteOffset + off, n));
      return out;
    }
    case 'int16':
      return readBigEndian(Int16Array, n, (i) => view.getInt16(off + 2 * i, false));
    case 'int32':
      return readBigEndian(Int32Array, n, (i) => view.getInt32(off + 4 * i, false));
    case 'float32':
      return readBigEndian(Float32Array, n, (i) => view.getFloat32(off + 4 * i, false));
    case 'float64':
      return readBigEndian(Float64Array, n, (i) => view.getFloat64(off + 8 * i, false));
  }
}
