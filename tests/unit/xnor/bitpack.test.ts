import fc from 'fast-check';
import {
  firstDirtyPaddingRow, lastWordMask, packSigns, packSignsRow, packedMatrix, packedWords, unpackSigns,
} from '../../../src/xnor/bitpack';
import { popcount32, xnorDot, xorPopcount } from '../../../src/kernels/xnor-popcount';
import { ArgumentError, ShapeError } from '../../../src/errors';

const signs = (n: number) => fc.array(fc.constantFrom(-1, 1), { minLength: n, maxLength: n });
const lengths = fc.oneof(fc.integer({ min: 0, max: 200 }), fc.constant(784));

describe('bit packing (LCE conventions)', () => {
  test('packedWords', () => {
    expect([0, 1, 31, 32, 33, 63, 64, 65, 784].map(packedWords)).toEqual([0, 1, 1, 1, 2, 2, 2, 3, 25]);
  });

  test('bit 1 means −1, LSB first, sign(0) = +1, NaN refused', () => {
    expect(packSigns([1, -1, -0.5, 0], 1, 4).data[0]).toBe(6);
    expect(packSigns([-0, Infinity, -Infinity], 1, 3).data[0]).toBe(4);
    expect(() => packSigns([1, 2, 3, NaN], 2, 2)).toThrow(/row 1, column 1 is NaN/);
    const p = packSigns([...Array(32).fill(1), -1], 1, 33);
    expect(Array.from(p.data)).toEqual([0, 1]);
    expect(packSigns(Array(32).fill(-1), 1, 32).data[0]).toBe(-1); // all 32 bits set
  });

  test('every row is packed on its own', () => {
    const p = packSigns([-1, 1, 1, -1, -1, -1], 2, 3);
    expect(p.wordsPerRow).toBe(1);
    expect(Array.from(p.data)).toEqual([0b001, 0b111]);
  });

  test('length 0 and rows 0', () => {
    expect(packSigns([], 3, 0).data.length).toBe(0);
    expect(unpackSigns(packSigns([], 3, 0)).length).toBe(0);
    expect(packSigns([], 0, 5).data.length).toBe(0);
  });

  test.each([0, 1, 31, 32, 33, 63, 64, 65, 784])('unpack(pack(s)) = s and padding is zero for length %i', (n) => {
    fc.assert(
      fc.property(signs(n), (s) => {
        const p = packSigns(s, 1, n);
        expect(Array.from(unpackSigns(p))).toEqual(s);
        expect(firstDirtyPaddingRow(p.data, 1, n)).toBe(-1);
      }),
      { numRuns: 30 },
    );
  });

  test('property: round trip and zero padding for any length 0..200 and 784, several rows', () => {
    fc.assert(
      fc.property(lengths, fc.integer({ min: 1, max: 4 }), fc.integer(), (n, rows, seed) => {
        const vals = Array.from({ length: rows * n }, (_, i) => Math.sin(seed + i * 7.3));
        const p = packSigns(vals, rows, n);
        expect(p.data.length).toBe(rows * packedWords(n));
        const back = unpackSigns(p);
        if (!vals.every((v, i) => back[i] === (v < 0 ? -1 : 1))) throw new Error(`round trip failed for length ${n}`);
        expect(firstDirtyPaddingRow(p.data, rows, n)).toBe(-1);
        for (let r = 0; n % 32 !== 0 && r < rows; r++) {
          if ((p.data[r * p.wordsPerRow + p.wordsPerRow - 1] & ~lastWordMask(n)) !== 0) throw new Error(`row ${r} has padding bits`);
        }
      }),
      { numRuns: 300 },
    );
  });

  test('property: K − 2·popcount(a ⊕ b) = Σ a_i b_i for any length 0..200 and 784', () => {
    fc.assert(
      fc.property(lengths.chain((n) => fc.tuple(signs(n), signs(n))), ([a, b]) => {
        const n = a.length;
        const pa = packSigns(a, 1, n);
        const pb = packSigns(b, 1, n);
        const dot = a.reduce((s, v, i) => s + v * b[i], 0);
        expect(xnorDot(pa.data, 0, pb.data, 0, n)).toBe(dot);
      }),
      { numRuns: 300 },
    );
  });

  test('popcount32 against a bit loop', () => {
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), (v) => {
        let c = 0;
        for (let b = 0; b < 32; b++) c += (v >>> b) & 1;
        expect(popcount32(v)).toBe(c);
      }),
    );
    expect(popcount32(-1)).toBe(32);
    expect(popcount32(0)).toBe(0);
    expect(xorPopcount(new Int32Array([-1, 5]), 0, new Int32Array([0, 1]), 0, 2)).toBe(33);
  });

  test('packSignsRow writes at an offset', () => {
    const out = new Int32Array(4);
    packSignsRow([0, -1, 2, -3, 4], 1, 3, out, 2);
    expect(Array.from(out)).toEqual([0, 0, 0b101, 0]);
  });

  test('packedMatrix checks the word count and the padding bits', () => {
    expect(packedMatrix(new Int32Array([3]), 1, 2).cols).toBe(2);
    expect(() => packedMatrix(new Int32Array([4]), 1, 2)).toThrow(ArgumentError);
    expect(() => packedMatrix(new Int32Array([4]), 1, 2)).toThrow('row 0 has non-zero padding bits (past column 2)');
    expect(() => packedMatrix(new Int32Array(2), 1, 2)).toThrow(ShapeError);
    expect(packedMatrix(new Int32Array([-1]), 1, 32).rows).toBe(1);
  });

  test('argument errors', () => {
    expect(() => packSigns([1, 2], 1, 3)).toThrow(ShapeError);
    expect(() => packSigns([1], -1, 1)).toThrow(ArgumentError);
    expect(() => unpackSigns(packSigns([1, 1], 1, 2), new Float64Array(1))).toThrow(ShapeError);
  });
});
