import { parseCsvText } from '../../../src/data/csv';
import { CsvError } from '../../../src/data/csv-cells';
import {
  encodedFeatureNames, encodeTable, featureWidth, fitPreprocess, RowEncoder, sortClassNames, validatePreprocessSpec, type PreprocessSpec,
} from '../../../src/data/preprocess';
import { meanAndStd } from '../../../src/data/column-stats';
import { ModelFormatError } from '../../../src/errors';
import { splitRows } from '../../../src/train/csv-data';

const TEXT = 'x,color,y,label\n1,red,10,b\n3,blue,,a\n,red,30,b\n4,green,40,c\n';
const raw = (allowMissing = true) => parseCsvText(TEXT, { categorical: ['color'], allowMissing, file: 't.csv' });

describe('fitPreprocess', () => {
  test('classes sorted (text by code units), categories sorted, nothing fitted without options', () => {
    const spec = fitPreprocess(raw());
    expect(spec.label).toEqual({ name: 'label', classes: ['a', 'b', 'c'] });
    expect(spec.columns).toEqual([
      { name: 'x', kind: 'numeric' },
      { name: 'color', kind: 'categorical', categories: ['blue', 'green', 'red'] },
      { name: 'y', kind: 'numeric' },
    ]);
    expect(featureWidth(spec)).toBe(5);
    expect(encodedFeatureNames(spec)).toEqual(['x', 'color=blue', 'color=green', 'color=red', 'y']);
  });

  test('numeric class labels sort by value', () => {
    expect(sortClassNames(['10', '9', '-1', '2'])).toEqual(['-1', '2', '9', '10']);
    expect(sortClassNames(['1.5', '0.25', '10'])).toEqual(['0.25', '1.5', '10']);
    expect(sortClassNames(['b', 'B', 'a', '1'])).toEqual(['1', 'B', 'a', 'b']);
  });

  test('mean and median imputation from the fitting rows; the most frequent category', () => {
    const mean = fitPreprocess(raw(), { impute: 'mean' });
    expect(mean.columns[0]).toMatchObject({ fill: (1 + 3 + 4) / 3 });
    expect(mean.columns[2]).toMatchObject({ fill: (10 + 30 + 40) / 3 });
    expect(mean.columns[1]).toMatchObject({ fill: 'red' });
    const med = fitPreprocess(raw(), { impute: 'median' });
    expect(med.columns[0]).toMatchObject({ fill: 3 });
    expect(med.columns[2]).toMatchObject({ fill: 30 });
    const firstTwo = fitPreprocess(raw(), { impute: 'median', rows: [0, 1] });
    expect(firstTwo.columns[0]).toMatchObject({ fill: 2 });
    expect(firstTwo.columns[2]).toMatchObject({ fill: 10 });
  });

  test('standardization statistics of the imputed columns; a constant column gets std 1', () => {
    const t = parseCsvText('a,b,label\n1,5,x\n3,5,y\n', {});
    const spec = fitPreprocess(t, { scaling: { kind: 'standardize' } });
    expect(spec.columns[0]).toMatchObject({ mean: 2, std: 1 });
    expect(spec.columns[1]).toMatchObject({ mean: 5, std: 1 });
    const enc = encodeTable(spec, t);
    expect(Array.from(enc.X)).toEqual([-1, 0, 1, 0]);
  });

  test('a single class is an error naming the column', () => {
    const t = parseCsvText('a,b,label\n1,2,x\n3,4,x\n', { file: 'one.csv' });
    expect(() => fitPreprocess(t)).toThrow(CsvError);
    expect(() => fitPreprocess(t)).toThrow('one.csv, column 3: the label column "label" holds a single class ("x") in all 2 rows');
  });

  test('a column without any value cannot be imputed', () => {
    const t = parseCsvText('a,b,label\n,2,x\n,4,y\n', { allowMissing: true, file: 'e.csv' });
    expect(() => fitPreprocess(t, { impute: 'mean' })).toThrow('e.csv, column 1: column "a" has no values in the training rows');
  });
});

describe('encoding', () => {
  test('one-hot 1/0, imputed cells, labels by class index', () => {
    const spec = fitPreprocess(raw(), { impute: 'median' });
    const e = encodeTable(spec, raw());
    expect(Array.from(e.labels)).toEqual([1, 0, 1, 2]);
    expect(Array.from(e.X)).toEqual([
      1, 0, 0, 1, 10,
      3, 1, 0, 0, 30,
      3, 0, 0, 1, 30,
      4, 0, 1, 0, 40,
    ]);
  });

  test('binarization: x >= T → +1 else −1, one-hot as ±1', () => {
    const spec = fitPreprocess(raw(), { impute: 'mean', scaling: { kind: 'binarize', threshold: 3 } });
    const e = encodeTable(spec, raw());
    expect(Array.from(e.X.subarray(0, 10))).toEqual([-1, -1, -1, 1, 1, 1, 1, -1, -1, 1]);
  });

  test('RowEncoder matches columns by name, ignores extra columns, counts unseen categories', () => {
    const spec = fitPreprocess(raw(), { impute: 'median' });
    const enc = new RowEncoder(spec, ['extra', 'y', 'label', 'color', 'x'], { file: 'p.csv', requireLabel: false });
    const out = new Float64Array(5);
    expect(enc.encode(['zzz', '20', 'c', 'purple', '2'], 2, out, 0)).toBe(2);
    expect(Array.from(out)).toEqual([2, 0, 0, 0, 20]);
    expect(enc.unknownCategories).toBe(1);
    expect(enc.encode(['zzz', '', 'a', '', '2'], 3, out, 0)).toBe(0);
    expect(Array.from(out)).toEqual([2, 0, 0, 1, 30]);
  });

  test('RowEncoder: no label column needed for prediction, required for evaluation', () => {
    const spec = fitPreprocess(raw());
    const enc = new RowEncoder(spec, ['x', 'color', 'y'], { requireLabel: false });
    expect(enc.labelIndex).toBe(-1);
    expect(enc.encode(['1', 'red', '2'], 2, new Float64Array(5), 0)).toBe(-1);
    expect(() => new RowEncoder(spec, ['x', 'color', 'y'], { file: 'e.csv', requireLabel: true })).toThrow(
      'e.csv, line 1: the label column "label" the model was trained with is not in the header; evaluation needs labels.',
    );
  });

  test('RowEncoder errors name line and column', () => {
    const spec = fitPreprocess(raw());
    const enc = new RowEncoder(spec, ['x', 'color', 'y', 'label'], { file: 'e.csv', requireLabel: true });
    const out = new Float64Array(5);
    expect(() => enc.encode(['1', 'red', '', 'a'], 7, out, 0)).toThrow('e.csv, line 7, column 3: column "y" has a missing value');
    expect(() => enc.encode(['1', 'red', '2', 'zz'], 8, out, 0)).toThrow('e.csv, line 8, column 4: label "zz" in column "label" is not one of the model\'s 3 classes ("a", "b", "c").');
    expect(() => enc.encode(['1', 'red', '2'], 9, out, 0)).toThrow('e.csv, line 9, column 4: found 3 cells, expected 4');
    expect(() => enc.encode(['1', 'red', 'inf', 'a'], 9, out, 0)).toThrow('holds "inf", expected a finite number');
    expect(() => new RowEncoder(spec, ['x', 'colour', 'label'], { file: 'e.csv', requireLabel: false })).toThrow(
      'e.csv, line 1: the model expects 3 feature columns, and 2 of them are missing from the header: "color", "y"; the file has other columns: "colour".',
    );
  });
});

describe('validatePreprocessSpec (model files)', () => {
  const good: PreprocessSpec = fitPreprocess(raw(), { impute: 'mean', scaling: { kind: 'standardize' } });
  test('accepts a fitted spec, JSON round trip', () => {
    expect(validatePreprocessSpec(JSON.parse(JSON.stringify(good)))).toEqual(good);
  });
  test.each([
    [null, 'not an object'],
    [{ ...good, version: 2 }, 'unknown preprocessing version 2'],
    [{ ...good, label: { name: 'l', classes: ['a'] } }, 'at least 2 class names'],
    [{ ...good, label: { name: 'l', classes: ['a', 'a'] } }, 'class names repeat'],
    [{ ...good, columns: [] }, 'no input columns'],
    [{ ...good, columns: [{ name: 'x', kind: 'numeric', std: 0 }] }, 'statistics of column "x"'],
    [{ ...good, columns: [{ name: 'x', kind: 'date' }] }, 'unknown kind "date"'],
    [{ ...good, columns: [{ name: 'x', kind: 'numeric' }, { name: 'x', kind: 'numeric' }] }, 'column "x" repeats'],
    [{ ...good, scaling: { kind: 'binarize' } }, 'binarize threshold'],
    [{ ...good, impute: 'mode' }, 'unknown imputation method'],
  ])('%#: rejects with a precise message', (spec, msg) => {
    expect(() => validatePreprocessSpec(spec)).toThrow(ModelFormatError);
    expect(() => validatePreprocessSpec(spec)).toThrow(msg);
  });
});

describe('standardization of extreme finite values (issue 12 item 5)', () => {
  const rows = ['a,b,label'];
  for (let i = 0; i < 40; i++) rows.push(`${i % 2 ? 1e308 : -1e308},${i % 3 ? 1.7e308 : 1e308},${i % 2}`);
  const t = parseCsvText(rows.join('\n') + '\n', { file: 'huge.csv' });

  test('a ±1e308 column and a 1e308/1.7e308 column get finite statistics and encode to finite values', () => {
    const spec = fitPreprocess(t, { scaling: { kind: 'standardize' } });
    const [a, b] = spec.columns as { mean: number; std: number }[];
    expect(a.mean).toBe(0);
    expect(a.std).toBe(1e308);
    const p = 26 / 40; // i % 3 != 0 for 26 of 40 rows
    expect(b.mean / (1e308 + p * 0.7e308)).toBeCloseTo(1, 12);
    expect(b.std / (0.7e308 * Math.sqrt(p * (1 - p)))).toBeCloseTo(1, 12);
    const enc = encodeTable(spec, t);
    expect(enc.X.every(Number.isFinite)).toBe(true);
    expect(enc.X[0]).toBe(-1);
    expect(enc.X[2]).toBe(1);
  });

  test('values of opposite signs near the float64 limit still encode finitely', () => {
    const u = parseCsvText('a,label\n1.7e308,x\n-1.7e308,y\n-1.7e308,x\n-1.7e308,y\n', {});
    const spec = fitPreprocess(u, { scaling: { kind: 'standardize' } });
    const enc = encodeTable(spec, u);
    expect(enc.X.every(Number.isFinite)).toBe(true);
    expect(enc.X[0]).toBeCloseTo(Math.sqrt(3), 12);
  });

  test('ordinary columns keep the plain sums (bit for bit)', () => {
    expect(meanAndStd(Float64Array.from([1, 2, 3, 4]), 0, 0)).toEqual({ mean: 2.5, std: Math.sqrt(1.25) });
    expect(meanAndStd(Float64Array.from([1, 3]), 2, 2)).toEqual({ mean: 2, std: Math.sqrt(0.5) });
  });
});

describe('--split is stratified (issue 12 item 3)', () => {
  const labels = [...Array(90).fill('a'), ...Array(8).fill('b'), 'c', 'c'];

  test('every class keeps a training row, gives about the fraction to validation, and the total stays', () => {
    for (let seed = 0; seed < 30; seed++) {
      const { train, validation } = splitRows(labels.length, 0.5, seed, labels);
      expect(validation.length).toBe(50);
      expect(train.length + validation.length).toBe(100);
      const count = (rows: Int32Array, c: string) => [...rows].filter((r) => labels[r] === c).length;
      expect(count(validation, 'a')).toBe(45);
      expect(count(validation, 'b')).toBe(4);
      expect(count(validation, 'c')).toBe(1);
      for (const c of ['a', 'b', 'c']) expect(count(train, c)).toBeGreaterThan(0);
    }
  });

  test('an unstratified split (no labels) can leave a rare class out of training; the stratified one never does', () => {
    let lost = 0;
    for (let seed = 0; seed < 30; seed++) {
      const { train } = splitRows(labels.length, 0.5, seed);
      if (![...train].some((r) => labels[r] === 'c')) lost++;
    }
    expect(lost).toBeGreaterThan(0);
  });

  test('the split is seeded: the same seed gives the same rows', () => {
    expect(splitRows(100, 0.3, 4, labels)).toEqual(splitRows(100, 0.3, 4, labels));
  });
});
