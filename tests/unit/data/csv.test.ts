import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { parseCsvText, splitCsvText } from '../../../src/data/csv';
import { CsvError, detectDelimiter, parseNumberCell, parseDelimiter } from '../../../src/data/csv-cells';
import type { RawTable } from '../../../src/data/csv-table';
import { readCsvTable, streamCsv } from '../../../src/node/csv-stream';
import { IoError } from '../../../src/errors';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ebp-csv2-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
let n = 0;
function file(content: string | Buffer): string {
  const f = path.join(dir, `t${n++}.csv`);
  fs.writeFileSync(f, content);
  return f;
}

/** Both readers (text and streamed file) must agree on everything. */
async function both(text: string, opts: Parameters<typeof parseCsvText>[1] = {}): Promise<RawTable> {
  const a = parseCsvText(text, { ...opts, file: 'x.csv' });
  const b = await readCsvTable(file(text), { ...opts, file: 'x.csv' });
  expect(b).toEqual(a);
  return a;
}

async function bothFail(text: string, opts: Parameters<typeof parseCsvText>[1] = {}): Promise<CsvError> {
  let e1: unknown;
  let e2: unknown;
  try {
    parseCsvText(text, { ...opts, file: 'x.csv' });
  } catch (e) {
    e1 = e;
  }
  try {
    await readCsvTable(file(text), { ...opts, file: 'x.csv' });
  } catch (e) {
    e2 = e;
  }
  expect(e1).toBeInstanceOf(CsvError);
  expect(e2).toBeInstanceOf(CsvError);
  const a = e1 as CsvError;
  const b = e2 as CsvError;
  expect(b.message).toBe(a.message);
  expect(b.reason).toBe(a.reason);
  expect(a.code).toBe('ebp.csvInvalid');
  expect(a.exitCode).toBe(2);
  return a;
}

describe('RFC 4180 and real-world layouts', () => {
  test('quoted fields with delimiters, doubled quotes and line breaks; lines of multi-line records', async () => {
    const t = await both('a,note,label\n1,"x, y",p\n2,"say ""hi""",q\n3,"two\nlines",p\n4,plain,q\n', { categorical: ['note'] });
    expect(t.categorical[0]).toEqual(['x, y', 'say "hi"', 'two\nlines', 'plain']);
    expect(Array.from(t.lines)).toEqual([2, 3, 4, 6]);
    expect(Array.from(t.numeric)).toEqual([1, 2, 3, 4]);
  });

  test('CRLF, a UTF-8 BOM, a trailing empty line, blank lines between rows', async () => {
    const t = await both('\ufeffa,b,label\r\n1,2,x\r\n\r\n3,4,y\r\n\r\n');
    expect(t.plan.header).toEqual(['a', 'b', 'label']);
    expect(Array.from(t.numeric)).toEqual([1, 2, 3, 4]);
    expect(Array.from(t.lines)).toEqual([2, 4]);
    expect(t.labels).toEqual(['x', 'y']);
  });

  test('no final line break', async () => {
    expect((await both('a,b,label\n1,2,x')).rows).toBe(1);
  });

  test('semicolon and tab delimiters, detected or given', async () => {
    const semi = await both('a;b;label\n1,5;2;x\n3;4;y\n'.replace('1,5', '1.5'));
    expect(semi.delimiter).toBe(';');
    expect(Array.from(semi.numeric)).toEqual([1.5, 2, 3, 4]);
    const tab = await both('a\tb\tlabel\n1\t2\tx\n');
    expect(tab.delimiter).toBe('\t');
    const given = await both('a;b,c;label\n1;2;x\n', { delimiter: ';' });
    expect(given.plan.header).toEqual(['a', 'b,c', 'label']);
  });

  test('detectDelimiter prefers the candidate found equally often on every line', () => {
    expect(detectDelimiter('a,b;c,d\n1,2;3,4\n')).toBe(',');
    expect(detectDelimiter('"x,y";b;c\n"1,2";3;4\n')).toBe(';');
    expect(detectDelimiter('name\tcomment\nbob\thi, there; you\n')).toBe('\t');
    expect(detectDelimiter('single\n1\n')).toBe(',');
    expect(detectDelimiter('')).toBe(',');
  });

  test('parseDelimiter', () => {
    expect([',', ';', 'tab', '\\t', '\t', 'semicolon', 'comma', '|'].map(parseDelimiter)).toEqual([',', ';', '\t', '\t', '\t', ';', ',', null]);
  });

  test('spaces around names and numbers are ignored; numbers in every decimal form', async () => {
    const t = await both(' a , b ,label\n 1 ,-2.5e3,x\n.5,+7.,y\n');
    expect(t.plan.header).toEqual(['a', 'b', 'label']);
    expect(Array.from(t.numeric)).toEqual([1, -2500, 0.5, 7]);
  });

  test('gzipped files are read transparently', async () => {
    const f = path.join(dir, 'z.csv.gz');
    fs.writeFileSync(f, zlib.gzipSync('a,b,label\n1,2,x\n3,4,y\n'));
    const t = await readCsvTable(f);
    expect(Array.from(t.numeric)).toEqual([1, 2, 3, 4]);
  });

  test('text labels keep their spelling; unicode names', async () => {
    const t = await both('größe,ключ,label\n1,2,Ünïcode\n3,4,"a ""b"""\n');
    expect(t.plan.header).toEqual(['größe', 'ключ', 'label']);
    expect(t.labels).toEqual(['Ünïcode', 'a "b"']);
  });
});

describe('label column', () => {
  test('default: "label", else the last column', async () => {
    expect((await both('label,a,b\nx,1,2\n')).plan.labelIndex).toBe(0);
    expect((await both('a,b,c\n1,2,x\n')).plan.labelName).toBe('c');
  });
  test('by name or by index (negative from the end); a name wins over an index', async () => {
    expect((await both('a,b,c\nx,1,2\n', { label: 'a' })).plan.labelIndex).toBe(0);
    expect((await both('a,b,c\n1,x,2\n', { label: '1' })).plan.labelIndex).toBe(1);
    expect((await both('a,b,c\n1,x,2\n', { label: -2 })).plan.labelIndex).toBe(1);
    expect((await both('a,1,c\n5,x,3\n', { label: '1' })).plan.labelName).toBe('1');
  });
  test('absent label allowed for prediction', async () => {
    const t = await both('a,b\n1,2\n', { requireLabel: false });
    expect(t.plan.labelIndex).toBe(-1);
    expect(t.plan.features).toHaveLength(2);
  });
});

describe('errors: file, line, column, found, expected', () => {
  test.each([
    ['', 'empty', 'x.csv, line 1: the file is empty'],
    ['\n\r\n', 'empty', 'x.csv, line 1: the file is empty'],
    ['a,b,label\n', 'headerOnly', 'x.csv, line 2: the file has a header but no data rows'],
    ['a,b,label\r\n\r\n', 'headerOnly', 'x.csv, line 2: the file has a header but no data rows'],
    ['a,b,label\n1,2,x\n1,2\n', 'ragged', 'x.csv, line 3, column 3: found 2 cells, expected 3 as in the header (column "label" and after are missing).'],
    ['a,"b\nc",label\n1,2,x\n1,2,3,4\n', 'ragged', 'x.csv, line 4, column 4: found 4 cells, expected 3'],
    ['a,b,label\n1,zz,x\n', 'nonNumeric', 'x.csv, line 2, column 2: column "b" holds "zz", expected a number. If "b" holds categories, pass --categorical b'],
    ['a,my col,label\n1,zz,x\n', 'nonNumeric', 'pass --categorical "my col"'],
    ['a,b,label\n1,NaN,x\n', 'nonFinite', 'x.csv, line 2, column 2: column "b" holds "NaN", expected a finite number'],
    ['a,b,label\n1,Infinity,x\n', 'nonFinite', 'holds "Infinity"'],
    ['a,b,label\n1,2e400,x\n', 'nonFinite', 'holds "2e400"'],
    ['a,b,label\n1, NA ,x\n', 'missing', 'x.csv, line 2, column 2: column "b" has a missing value (" NA "), expected a number.'],
    ['a,b,label\n1,?,x\n', 'missing', 'has a missing value ("?")'],
    ['a,b,label\n1,2,\n', 'missing', 'x.csv, line 2, column 3: the label column "label" is empty'],
    [',b,label\n1,2,x\n', 'header', 'x.csv, line 1, column 1: column 1 of the header has no name'],
    ['a,a,label\n1,2,x\n', 'header', 'column name "a" repeats column 1'],
    ['abc\n1\n', 'header', 'the header has 1 column ("abc"), expected at least 2'],
    ['a,b,label\n1,"2,x\n', 'syntax', 'x.csv, line 2: a quoted field'],
  ])('%j → %s', async (text, reason, message) => {
    const e = await bothFail(text);
    expect(e.reason).toBe(reason);
    expect(e.message).toContain(message);
  });

  test('unknown label column and bad --categorical names list the columns', async () => {
    expect((await bothFail('a,b,c\n1,2,3\n', { label: 'y' })).message).toBe('x.csv, line 1: no column named "y" for the label; the columns are "a", "b", "c".');
    expect((await bothFail('a,b,c\n1,2,3\n', { label: 7 })).reason).toBe('labelColumn');
    expect((await bothFail('a,b,c\n1,2,3\n', { categorical: ['z'] })).message).toContain('--categorical names "z", but there is no such column');
    expect((await bothFail('a,b,c\n1,2,3\n', { categorical: ['c'] })).message).toContain('which is the label column');
  });

  test('missing cells pass with allowMissing (NaN for numbers, "" for categories)', async () => {
    const t = await both('a,b,label\n,x,p\n2,,q\n', { categorical: ['b'], allowMissing: true });
    expect(Number.isNaN(t.numeric[0])).toBe(true);
    expect(t.categorical[0]).toEqual(['x', '']);
  });

  test('file problems are IoErrors', async () => {
    await expect(readCsvTable(path.join(dir, 'nope.csv'))).rejects.toThrow(IoError);
    await expect(readCsvTable(dir)).rejects.toThrow(/it is a directory/);
    await expect(readCsvTable(path.join(dir, 'nope.csv'), { displayName: 'shown.csv' })).rejects.toThrow('cannot read shown.csv: no such file.');
  });

  test('truncated gzip', async () => {
    const f = path.join(dir, 'cut.csv.gz');
    const gz = zlib.gzipSync('a,b,label\n' + '1,2,x\n'.repeat(20000));
    fs.writeFileSync(f, gz.subarray(0, gz.length - 20));
    await expect(readCsvTable(f)).rejects.toThrow(CsvError);
  });
});

describe('parseNumberCell', () => {
  test.each([
    ['0', 0],
    ['-0.25', -0.25],
    ['1e-3', 0.001],
    [' 42 ', 42],
    ['', 'missing'],
    ['NA', 'missing'],
    ['n/a', 'missing'],
    ['null', 'missing'],
    ['?', 'missing'],
    ['nan', 'nonFinite'],
    ['-Inf', 'nonFinite'],
    ['1e309', 'nonFinite'],
    ['1,5', 'invalid'],
    ['0x10', 'invalid'],
    ['1 2', 'invalid'],
    ['true', 'invalid'],
  ])('%j → %j', (cell, out) => {
    expect(parseNumberCell(cell)).toBe(out);
  });
});

describe('streaming', () => {
  test('records arrive one by one with their lines; a handler can stop early', async () => {
    const f = file('a,b\n1,2\n3,"4\n5"\n6,7\n8,9\n');
    const seen: [string[], number][] = [];
    const r = await streamCsv(f, {}, { header: () => undefined, row: (cells, line) => (seen.push([cells, line]), seen.length < 3) });
    expect(r.stopped).toBe(true);
    expect(seen).toEqual([
      [['1', '2'], 2],
      [['3', '4\n5'], 3],
      [['6', '7'], 5],
    ]);
  });

  test('a file larger than the sampling window (delimiter detected from the start)', async () => {
    const rows = ['x;y;label'];
    for (let i = 0; i < 20000; i++) rows.push(`${i};${i % 7};${i % 3}`);
    const t = await readCsvTable(file(rows.join('\n')));
    expect(t.rows).toBe(20000);
    expect(t.numeric[2 * 19999]).toBe(19999);
    expect(t.lines[19999]).toBe(20001);
  });

  test('splitCsvText gives the header and records', () => {
    const s = splitCsvText('h1,h2\n"a\r\nb",c\nd,e\n');
    expect(s.header).toEqual(['h1', 'h2']);
    expect(s.records).toEqual([
      { cells: ['a\r\nb', 'c'], line: 2 },
      { cells: ['d', 'e'], line: 4 },
    ]);
  });
});
