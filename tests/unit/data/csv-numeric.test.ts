import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { readNumericCsv } from '../../../src/node/csv-numeric';
import { ArgumentError, DataError, IoError } from '../../../src/errors';

const FIXTURES = path.join(__dirname, '..', '..', 'fixtures');

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ebp-csv-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

let counter = 0;
function write(content: string | Buffer, name = `f${counter++}.csv`): string {
  const f = path.join(dir, name);
  fs.writeFileSync(f, content);
  return f;
}

/** Expect a DataError at `line`/`column` whose message contains every fragment. */
function expectCsvError(f: string, line: number, column: number | undefined, ...fragments: string[]): DataError {
  let caught: unknown;
  try {
    readNumericCsv(f);
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(DataError);
  const err = caught as DataError;
  expect(err.location).toEqual(column === undefined ? { file: f, line } : { file: f, line, column });
  const where = column === undefined ? `${f}, line ${line}: ` : `${f}, line ${line}, column ${column}: `;
  expect(err.message.startsWith(where)).toBe(true);
  for (const s of fragments) expect(err.message).toContain(s);
  return err;
}

function counts(labels: Int32Array, k: number): number[] {
  const c = new Array<number>(k).fill(0);
  for (const l of labels) c[l]++;
  return c;
}

describe('readNumericCsv on the fixtures', () => {
  it('loads digits (1352 / 445 rows, 64 features, 10 classes)', () => {
    const train = readNumericCsv(path.join(FIXTURES, 'digits', 'digits_train.csv'));
    const test = readNumericCsv(path.join(FIXTURES, 'digits', 'digits_test.csv'));
    expect(train.X.shape).toEqual([1352, 64]);
    expect(test.X.shape).toEqual([445, 64]);
    for (const ds of [train, test]) {
      expect(ds.numClasses).toBe(10);
      expect(ds.classNames).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
      expect(ds.featureNames).toHaveLength(64);
      expect(ds.featureNames![0]).toBe('pixel_0_0');
      expect(ds.featureNames![63]).toBe('pixel_7_7');
      let min = Infinity;
      let max = -Infinity;
      let fractional = 0;
      for (const v of ds.X.data) {
        if (v < min) min = v;
        if (v > max) max = v;
        if (v !== Math.trunc(v)) fractional++;
      }
      expect([min, max, fractional]).toEqual([0, 16, 0]);
    }
    expect(train.name).toBe('digits_train');
    expect(counts(train.labels, 10)).toEqual([134, 137, 133, 138, 136, 137, 136, 135, 131, 135]);
    expect(counts(test.labels, 10)).toEqual([44, 45, 44, 45, 45, 45, 45, 44, 43, 45]);
    // Last row of digits_test.csv.
    expect(Array.from(test.X.data.subarray(444 * 64, 444 * 64 + 8))).toEqual([0, 0, 2, 10, 7, 0, 0, 0]);
    expect(test.labels[444]).toBe(9);
  });

  it('loads breast_cancer (427 / 142 rows, 30 features, 2 classes)', () => {
    const train = readNumericCsv(path.join(FIXTURES, 'breast_cancer', 'breast_cancer_train.csv'));
    const test = readNumericCsv(path.join(FIXTURES, 'breast_cancer', 'breast_cancer_test.csv'));
    expect(train.X.shape).toEqual([427, 30]);
    expect(test.X.shape).toEqual([142, 30]);
    expect(train.numClasses).toBe(2);
    expect(train.featureNames![0]).toBe('mean_radius');
    expect(counts(train.labels, 2)).toEqual([159, 268]);
    expect(counts(test.labels, 2)).toEqual([53, 89]);
  });

  it('reads a gzipped copy the same way', () => {
    const src = path.join(FIXTURES, 'digits', 'digits_test.csv');
    const gz = write(zlib.gzipSync(fs.readFileSync(src)), 'digits_test.csv.gz');
    const a = readNumericCsv(src);
    const b = readNumericCsv(gz);
    expect(b.name).toBe('digits_test');
    expect(b.X.shape).toEqual(a.X.shape);
    expect(Array.from(b.X.data)).toEqual(Array.from(a.X.data));
    expect(Array.from(b.labels)).toEqual(Array.from(a.labels));
  });
});

describe('readNumericCsv options and accepted forms', () => {
  it('uses a column named label wherever it is, else the last column', () => {
    const withLabel = readNumericCsv(write('label,a,b\n1,0.5,-2\n0,1e3,.25\n'));
    expect(withLabel.featureNames).toEqual(['a', 'b']);
    expect(Array.from(withLabel.labels)).toEqual([1, 0]);
    expect(Array.from(withLabel.X.data)).toEqual([0.5, -2, 1000, 0.25]);
    const lastCol = readNumericCsv(write('a,b,y\n1,2,2\n3,4,0\n'));
    expect(lastCol.featureNames).toEqual(['a', 'b']);
    expect(lastCol.numClasses).toBe(3);
    expect(lastCol.classNames).toEqual(['0', '1', '2']);
    expect(Array.from(lastCol.labels)).toEqual([2, 0]);
  });

  it('takes the label column by name or by 0-based index (negative from the end)', () => {
    const f = write('a,cls,b\n1,1,2\n3,0,4\n');
    for (const label of ['cls', 1, -2] as const) {
      const ds = readNumericCsv(f, { label });
      expect(ds.featureNames).toEqual(['a', 'b']);
      expect(Array.from(ds.labels)).toEqual([1, 0]);
      expect(Array.from(ds.X.data)).toEqual([1, 2, 3, 4]);
    }
    expect(() => readNumericCsv(f, { label: 'nope' })).toThrow(`${f}, line 1: no column named "nope" for the label; the columns are "a", "cls", "b".`);
    expect(() => readNumericCsv(f, { label: 3 })).toThrow('label column index 3 is out of range for 3 columns');
  });

  it('honours numClasses and names', () => {
    const f = write('x,label\n0.1,0\n0.2,1\n');
    const ds = readNumericCsv(f, { numClasses: 4, name: 'tiny' });
    expect(ds.numClasses).toBe(4);
    expect(ds.classNames).toEqual(['0', '1', '2', '3']);
    expect(ds.name).toBe('tiny');
    expect(() => readNumericCsv(f, { numClasses: 0 })).toThrow(ArgumentError);
  });

  it('accepts CRLF, a BOM, quoted header names and trailing blank lines', () => {
    const ds = readNumericCsv(write('\ufeff"a","label"\r\n1.5,1\r\n2,0\r\n\r\n\n'));
    expect(ds.featureNames).toEqual(['a']);
    expect(Array.from(ds.X.data)).toEqual([1.5, 2]);
    expect(Array.from(ds.labels)).toEqual([1, 0]);
    const noFinalNewline = readNumericCsv(write('a,label\n1,0'));
    expect(noFinalNewline.X.shape).toEqual([1, 1]);
  });

  it('reports a missing file as IoError', () => {
    expect(() => readNumericCsv(path.join(dir, 'missing.csv'))).toThrow(IoError);
  });
});

describe('readNumericCsv errors', () => {
  it('empty file', () => {
    expectCsvError(write(''), 1, undefined, 'the file is empty, expected a header row and at least one data row.');
    expectCsvError(write('\n\n'), 1, undefined, 'the file is empty');
  });

  it('header only', () => {
    expectCsvError(write('a,b,label\n'), 2, undefined, 'the file has a header but no data rows, expected at least one.');
  });

  it('ragged rows: too few and too many cells', () => {
    expectCsvError(
      write('a,b,label\n1,2,0\n1,2\n'),
      3,
      3,
      'found 2 cells, expected 3 as in the header (column "label" and after are missing).',
    );
    expectCsvError(write('a,b,label\n1,2,0\n3,4,1\n1,2,0,9\n'), 4, 4, 'found 4 cells, expected 3 as in the header (extra cells after the last column).');
  });

  it('an empty line inside the data', () => {
    expectCsvError(write('a,label\n1,0\n\n2,1\n'), 3, 1, 'empty row, expected 2 cells as in the header.');
  });

  it('non-numeric feature cells, with line, column number and name', () => {
    expectCsvError(write('a,b,label\n1,2,0\n3,abc,1\n'), 3, 2, 'column "b" holds "abc", expected a finite decimal number.');
    expectCsvError(write('a,b,label\n1,,0\n'), 2, 2, 'column "b" holds an empty cell, expected a finite decimal number.');
    for (const bad of ['NaN', 'Infinity', '0x10', ' 1', '1e', '1.2.3', '1e999']) {
      expectCsvError(write(`a,b,label\n1,2,0\n${bad},2,1\n`), 3, 1, `column "a" holds ${JSON.stringify(bad)}, expected a finite decimal number.`);
    }
  });

  it('bad labels', () => {
    for (const bad of ['1.5', '-1', 'cat', '', '1.0']) {
      expectCsvError(
        write(`a,label\n1,0\n2,${bad}\n`),
        3,
        2,
        `label column "label" holds ${JSON.stringify(bad)}, expected an integer class id 0..K-1.`,
      );
    }
    const f = write('a,label\n1,0\n2,3\n');
    let caught: unknown;
    try {
      readNumericCsv(f, { numClasses: 3 });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(DataError);
    expect((caught as DataError).message).toBe(`${f}, line 3, column 2: label column "label" holds "3", expected an integer class id 0..2.`);
  });

  it('bad headers', () => {
    expectCsvError(write('a,,label\n1,2,0\n'), 1, 2, 'empty column name in the header, expected a name.');
    expectCsvError(write('a,b,a,label\n1,2,3,0\n'), 1, 3, 'column name "a" repeats column 1, expected unique names.');
    expectCsvError(write('label\n1\n'), 1, undefined, 'the header has 1 column, expected at least 2 (features and a label).');
  });

  it('the first bad cell is the one reported', () => {
    const err = expectCsvError(write('a,b,label\n1,2,0\n3,x,y\n4,z,1\n'), 3, 2);
    expect(err.code).toBe('ebp.data');
    expect(err.exitCode).toBe(2);
  });
});
