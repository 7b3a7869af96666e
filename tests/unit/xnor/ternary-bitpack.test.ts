import fc from 'fast-check';
import {
  firstDirtyPaddingRow, firstOverlapRow, lastWordMask, nonZeroPerRow, packSigns, packTernary, packedWords, unpackSigns, unpackTernary,
} from '../../../src/xnor/bitpack';
import { ternaryRowCounts } from '../../../src/kernels/xnor-plan';
import { ArgumentError, ShapeError } from '../../../src/errors';

const lengths = fc.oneof(fc.integer({ min: 0, max: 200 }), fc.constant(784));
const trits = (n: number) => fc.array(fc.constantFrom(-1, 0, 1), { minLength: n, maxLength: n });

describe('ternary masks (LCE conventions, a +1 mask and a −1 mask)', () => {
  test('bit 1 of plus where w > 0, of minus where w < 0, LSB first; zero and −0 set neither', () => {
    const t = packTernary([1, 0, -1, 2, -0, -0.5], 1, 6);
    expect(t.plus.data[0]).toBe(0b001001);
    expect(t.minus.data[0]).toBe(0b100100);
    const wide = packTernary([...Array(32).fill(0), -1, 1], 1, 34);
    expect(Array.from(wide.plus.data)).toEqual([0, 2]);
    expect(Array.from(wide.minus.data)).toEqual([0, 1]);
    expect(packTernary(Array(32).fill(1), 1, 32).plus.data[0]).toBe(-1);
  });

  test('the −1 mask is the sign bits with zero packed as +1 (packSigns of min(w, 0))', () => {
    const w = [1, 0, -1, 0, -1, 1, 1];
    expect(Array.from(packTernary(w, 1, 7).minus.data)).toEqual(Array.from(packSigns(w, 1, 7).data));
  });

  test('NaN is refused; a short source is a ShapeError; rows and length 0', () => {
    expect(() => packTernary([1, NaN], 1, 2)).toThrow(ArgumentError);
    expect(() => packTernary([1, 0], 2, 2)).toThrow(ShapeError);
    expect(packTernary([], 3, 0).plus.data.length).toBe(0);
    expect(unpackTernary(packTernary([], 3, 0)).length).toBe(0);
    expect(packTernary([], 0, 5).minus.data.length).toBe(0);
  });

  test('property: round trip, disjoint masks, zero padding, per-row counts, for lengths 0..200 and 784, several rows', () => {
    fc.assert(
      fc.property(lengths, fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 1000 }), (n, rows, seed) => {
        // a mix of dense, sparse and all-zero rows
        const vals = Array.from({ length: rows * n }, (_, i) => {
          const r = Math.floor(i / Math.max(n, 1));
          const u = Math.abs(Math.sin(seed * 13.1 + i * 7.3));
          return r === 3 ? 0 : u < 0.4 ? 0 : u < 0.7 ? 1 : -1;
        });
        const t = packTernary(vals, rows, n);
        const W = packedWords(n);
        expect(t.plus.data.length).toBe(rows * W);
        expect(t.minus.data.length).toBe(rows * W);
        expect(t.plus.wordsPerRow).toBe(W);
        if (!Array.from(unpackTernary(t)).every((v, i) => v === vals[i])) throw new Error(`round trip failed for length ${n}`);
        expect(firstOverlapRow(t.plus.data, t.minus.data, rows, n)).toBe(-1);
        expect(firstDirtyPaddingRow(t.plus.data, rows, n)).toBe(-1);
        expect(firstDirtyPaddingRow(t.minus.data, rows, n)).toBe(-1);
        for (let r = 0; n % 32 !== 0 && r < rows; r++) {
          const last = r * W + W - 1;
          if (((t.plus.data[last] | t.minus.data[last]) & ~lastWordMask(n)) !== 0) throw new Error(`row ${r} has padding bits`);
        }
        const nz = Array.from({ length: rows }, (_, r) => vals.slice(r * n, (r + 1) * n).filter((v) => v !== 0).length);
        expect(Array.from(nonZeroPerRow(t.plus.data, t.minus.data, rows, n))).toEqual(nz);
        const or = Int32Array.from(t.plus.data, (p, i) => p | t.minus.data[i]);
        expect(Array.from(ternaryRowCounts(t.minus.data, or, n, rows))).toEqual(nz);
        // the sign bits (−1 mask) unpack as ±1 with zero as +1
        expect(Array.from(unpackSigns(t.minus))).toEqual(vals.map((v) => (v < 0 ? -1 : 1)));
      }),
      { numRuns: 300 },
    );
  });

  test.each([0, 1, 31, 32, 33, 63, 64, 65, 784])('length %i: unpack(pack(w)) = w, masks disjoint', (n) => {
    fc.assert(
      fc.property(trits(n), (w) => {
        const t = packTernary(w, 1, n);
        expect(Array.from(unpackTernary(t))).toEqual(w.map((v) => v + 0)); // −0 → 0 for toEqual
        for (let i = 0; i < t.plus.data.length; i++) expect(t.plus.data[i] & t.minus.data[i]).toBe(0);
      }),
      { numRuns: 20 },
    );
  });

  test('firstOverlapRow finds the first row with a bit in both masks', () => {
    const a = Int32Array.from([1, 0, 4, 0, 0, 8]);
    const b = Int32Array.from([2, 0, 0, 0, 16, 8]);
    expect(firstOverlapRow(a, b, 3, 40)).toBe(2);
    expect(firstOverlapRow(a, b, 2, 40)).toBe(-1);
  });
});
