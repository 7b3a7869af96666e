import { contiguousBlocks, contiguousFolds, foldRows, stratifiedFolds, tableRows } from '../../../src/train/folds';
import { parseCsvText } from '../../../src/data/csv';

/** Blocks written out by hand from the official rule round(1+(f-1)T/K) .. round(fT/K) (MATLAB round: halves up). */
const OFFICIAL_2000_8 = [1, 251, 501, 751, 1001, 1251, 1501, 1751].map((first) => ({ first, last: first + 249 }));
// T = 1943 (20News_comp), K = 8: fT/8 = 242.875, 485.75, 728.625, 971.5, 1214.375, 1457.25, 1700.125, 1943.
const OFFICIAL_1943_8 = [
  { first: 1, last: 243 }, { first: 244, last: 486 }, { first: 487, last: 729 }, { first: 730, last: 972 },
  { first: 973, last: 1214 }, { first: 1215, last: 1457 }, { first: 1458, last: 1700 }, { first: 1701, last: 1943 },
];
// T = 10, K = 4: 2.5 -> 3, 5, 7.5 -> 8, 10.
const OFFICIAL_10_4 = [{ first: 1, last: 3 }, { first: 4, last: 5 }, { first: 6, last: 8 }, { first: 9, last: 10 }];

describe('contiguous folds: the official rule', () => {
  test.each([
    [2000, 8, OFFICIAL_2000_8],
    [1943, 8, OFFICIAL_1943_8],
    [10, 4, OFFICIAL_10_4],
  ])('T = %i, K = %i', (T, K, expected) => {
    expect(contiguousBlocks(T, K)).toEqual(expected);
    const fold = contiguousFolds(T, K);
    expected.forEach(({ first, last }, f) => {
      const { test, train } = foldRows(fold, f);
      expect(Array.from(test)).toEqual(Array.from({ length: last - first + 1 }, (_, i) => first - 1 + i));
      expect(train.length + test.length).toBe(T);
    });
  });

  test('fold counts outside 2 … T are argument errors', () => {
    expect(() => contiguousFolds(10, 1)).toThrow(/`folds` must be at least 2/);
    expect(() => contiguousFolds(3, 4)).toThrow(/`folds` must be at most the 3 rows/);
  });
});

describe('stratified folds (--shuffle)', () => {
  const labels = Array.from({ length: 103 }, (_, i) => (i % 10 < 3 ? 'a' : i % 10 < 9 ? 'b' : 'c'));

  test('every class in proportion, sizes within one, seeded', () => {
    const K = 5;
    const fold = stratifiedFolds(labels, K, 7);
    const sizes = Array.from({ length: K }, (_, f) => foldRows(fold, f).test.length);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    for (const c of ['a', 'b', 'c']) {
      const n = labels.filter((l) => l === c).length;
      for (let f = 0; f < K; f++) {
        const inFold = labels.filter((l, r) => l === c && fold[r] === f).length;
        expect(Math.abs(inFold - n / K)).toBeLessThanOrEqual(1);
      }
    }
    expect(Array.from(stratifiedFolds(labels, K, 7))).toEqual(Array.from(fold));
    expect(Array.from(stratifiedFolds(labels, K, 8))).not.toEqual(Array.from(fold));
  });
});

test('tableRows copies just the chosen rows', () => {
  const raw = parseCsvText('x,c,label\n1,p,0\n2,q,1\n3,r,0\n4,s,1\n', { categorical: ['c'] });
  const t = tableRows(raw, [1, 3]);
  expect(t.rows).toBe(2);
  expect(Array.from(t.numeric)).toEqual([2, 4]);
  expect(t.categorical).toEqual([['q', 's']]);
  expect(t.labels).toEqual(['1', '1']);
  expect(Array.from(t.lines)).toEqual([3, 5]);
});
