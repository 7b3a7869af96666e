import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import fc from 'fast-check';
import { parseIdx, IDX_TYPE_CODES, IDX_ELEMENT_SIZES, type IdxDtype } from '../../../src/data/idx';
import { readIdxFile } from '../../../src/node/idx-file';
import { DataError, IoError } from '../../../src/errors';

/** A small IDX encoder: header, big-endian dims, big-endian elements. */
function encodeIdx(dtype: IdxDtype, shape: number[], values: ArrayLike<number>): Uint8Array {
  const size = IDX_ELEMENT_SIZES[dtype];
  const header = 4 + 4 * shape.length;
  const out = new Uint8Array(header + values.length * size);
  const v = new DataView(out.buffer);
  out[2] = IDX_TYPE_CODES[dtype];
  out[3] = shape.length;
  shape.forEach((d, k) => v.setUint32(4 + 4 * k, d, false));
  for (let i = 0; i < values.length; i++) {
    const o = header + i * size;
    const x = values[i];
    switch (dtype) {
      case 'uint8': v.setUint8(o, x); break;
      case 'int8': v.setInt8(o, x); break;
      case 'int16': v.setInt16(o, x, false); break;
      case 'int32': v.setInt32(o, x, false); break;
      case 'float32': v.setFloat32(o, x, false); break;
      case 'float64': v.setFloat64(o, x, false); break;
    }
  }
  return out;
}

const SAMPLES: Record<IdxDtype, number[]> = {
  uint8: [0, 1, 127, 128, 254, 255],
  int8: [-128, -1, 0, 1, 100, 127],
  int16: [-32768, -1, 0, 1, 258, 32767],
  int32: [-2147483648, -1, 0, 1, 16909060, 2147483647],
  float32: [Math.fround(-1.5e30), -0, 0, Math.fround(0.1), Infinity, NaN],
  float64: [-Number.MAX_VALUE, -0, Number.MIN_VALUE, 0.1, -Infinity, NaN],
};

const ARRAY_TYPES: Record<IdxDtype, unknown> = {
  uint8: Uint8Array,
  int8: Int8Array,
  int16: Int16Array,
  int32: Int32Array,
  float32: Float32Array,
  float64: Float64Array,
};

function expectDataError(f: () => unknown, ...fragments: string[]): DataError {
  let caught: unknown;
  try {
    f();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(DataError);
  const err = caught as DataError;
  for (const s of fragments) expect(err.message).toContain(s);
  return err;
}

describe('parseIdx', () => {
  it.each(Object.keys(SAMPLES) as IdxDtype[])('round-trips %s with shape [2, 3]', (dtype) => {
    const values = SAMPLES[dtype];
    const parsed = parseIdx(encodeIdx(dtype, [2, 3], values));
    expect(parsed.dtype).toBe(dtype);
    expect(parsed.shape).toEqual([2, 3]);
    expect(parsed.data).toBeInstanceOf(ARRAY_TYPES[dtype] as never);
    const got = Array.from(parsed.data);
    expect(got.length).toBe(values.length);
    got.forEach((x, i) => expect(Object.is(x, values[i])).toBe(true));
  });

  it('reads 1-D, 3-D and empty arrays', () => {
    expect(parseIdx(encodeIdx('uint8', [4], [9, 8, 7, 6]))).toEqual({ dtype: 'uint8', shape: [4], data: Uint8Array.of(9, 8, 7, 6) });
    const cube = Array.from({ length: 24 }, (_, i) => i - 12);
    const p = parseIdx(encodeIdx('int16', [2, 3, 4], cube));
    expect(p.shape).toEqual([2, 3, 4]);
    expect(Array.from(p.data)).toEqual(cube);
    const empty = parseIdx(encodeIdx('float64', [0, 784], []));
    expect(empty.shape).toEqual([0, 784]);
    expect(empty.data.length).toBe(0);
  });

  it('handles a view at an odd byte offset and copies the data', () => {
    const enc = encodeIdx('float64', [3], [1.25, -2.5, 3e100]);
    const big = new Uint8Array(enc.length + 3);
    big.set(enc, 1);
    const view = big.subarray(1, 1 + enc.length);
    const p = parseIdx(view);
    expect(Array.from(p.data)).toEqual([1.25, -2.5, 3e100]);
    const src = encodeIdx('uint8', [2], [5, 6]);
    const p2 = parseIdx(src);
    src[src.length - 1] = 99;
    expect(Array.from(p2.data)).toEqual([5, 6]);
  });

  it('round-trips random int32 and float64 arrays (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 3 }),
        fc.integer(),
        (shape, seed) => {
          const n = shape.reduce((a, b) => a * b, 1);
          const ints = Array.from({ length: n }, (_, i) => (Math.imul(seed ^ i, 2654435761) | 0));
          expect(Array.from(parseIdx(encodeIdx('int32', shape, ints)).data)).toEqual(ints);
          const dbl = ints.map((x) => x / 7);
          const p = parseIdx(encodeIdx('float64', shape, dbl));
          expect(p.shape).toEqual(shape);
          expect(Array.from(p.data)).toEqual(dbl);
        },
      ),
      { numRuns: 50 },
    );
  });

  describe('errors', () => {
    it('fewer than 4 bytes', () => {
      expectDataError(() => parseIdx(Uint8Array.of(0, 0, 8), { file: 'x.idx' }), 'x.idx: ', 'found 3 bytes', 'at least the 4-byte magic');
      expectDataError(() => parseIdx(new Uint8Array(0)), 'found 0 bytes');
    });

    it('bad magic', () => {
      const bytes = encodeIdx('uint8', [1], [1]);
      bytes[0] = 0x1f;
      bytes[1] = 0x8b;
      const err = expectDataError(() => parseIdx(bytes, { file: 'f.idx' }), 'bad magic number 0x1f 0x8b 0x08 0x01');
      expect(err.location.file).toBe('f.idx');
      expect(err.message.startsWith('f.idx: ')).toBe(true);
      expect(err.code).toBe('ebp.data');
    });

    it('unknown type byte', () => {
      const bytes = encodeIdx('uint8', [1], [1]);
      bytes[2] = 0x0a;
      expectDataError(() => parseIdx(bytes), 'unknown IDX type byte 0x0a', '0x08 (uint8)', '0x0e (float64)');
    });

    it('truncated header', () => {
      const bytes = encodeIdx('uint8', [2, 2], [1, 2, 3, 4]).subarray(0, 9);
      expectDataError(() => parseIdx(bytes), 'truncated IDX header', '2 dimensions need 12 header bytes, found 9');
    });

    it('truncated data says how many bytes were expected and found', () => {
      const bytes = encodeIdx('int16', [2, 3], [1, 2, 3, 4, 5, 6]);
      expectDataError(
        () => parseIdx(bytes.subarray(0, bytes.length - 3), { file: 'short.idx' }),
        'short.idx: truncated IDX data',
        'shape [2, 3] of int16 needs 12 data bytes (24 bytes in all)',
        'found 9 data bytes (21 in all)',
      );
      // A header promising a huge array.
      const huge = encodeIdx('float64', [60000, 28, 28], []);
      expectDataError(() => parseIdx(huge), 'needs 376320000 data bytes', 'found 0 data bytes');
    });

    it('trailing garbage', () => {
      const enc = encodeIdx('int32', [2], [1, 2]);
      const bytes = new Uint8Array(enc.length + 5);
      bytes.set(enc);
      expectDataError(() => parseIdx(bytes), '5 trailing bytes after the IDX data', 'gives 16 bytes, found 21');
      const one = new Uint8Array(enc.length + 1);
      one.set(enc);
      expectDataError(() => parseIdx(one), '1 trailing byte after');
    });
  });
});

describe('readIdxFile', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ebp-idx-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const values = [0, 255, 17, 3, 200, 100];

  it('reads a plain file', () => {
    const f = path.join(dir, 'plain-idx3-ubyte');
    fs.writeFileSync(f, encodeIdx('uint8', [1, 2, 3], values));
    const p = readIdxFile(f);
    expect(p.shape).toEqual([1, 2, 3]);
    expect(Array.from(p.data)).toEqual(values);
  });

  it('gunzips transparently, by content not by name', () => {
    const gz = zlib.gzipSync(encodeIdx('float32', [3, 2], values));
    for (const name of ['data.idx.gz', 'no-extension']) {
      const f = path.join(dir, name);
      fs.writeFileSync(f, gz);
      const p = readIdxFile(f);
      expect(p.dtype).toBe('float32');
      expect(p.shape).toEqual([3, 2]);
      expect(Array.from(p.data)).toEqual(values);
    }
  });

  it('names the file in errors, also inside a gzip', () => {
    const f = path.join(dir, 'bad.gz');
    const enc = encodeIdx('uint8', [10], [1, 2, 3]);
    fs.writeFileSync(f, zlib.gzipSync(enc));
    expectDataError(() => readIdxFile(f), `${f}: truncated IDX data`, 'needs 10 data bytes', 'found 3 data bytes');
  });

  it('reports a corrupt gzip stream as DataError and a missing file as IoError', () => {
    const f = path.join(dir, 'corrupt.gz');
    const gz = zlib.gzipSync(encodeIdx('uint8', [100], new Array(100).fill(7)));
    fs.writeFileSync(f, gz.subarray(0, gz.length - 12));
    expectDataError(() => readIdxFile(f), f, 'corrupt gzip data');
    expect(() => readIdxFile(path.join(dir, 'missing'))).toThrow(IoError);
    expect(() => readIdxFile(path.join(dir, 'missing'))).toThrow(/cannot read .*missing: no such file/);
  });
});
