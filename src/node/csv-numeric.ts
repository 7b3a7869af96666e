import * as path from 'path';
import { ArgumentError, DataError } from '../errors';
import { type Dataset } from '../data/dataset';
import { matrix } from '../tensor/matrix';
import { readMaybeGzipped } from './idx-file';

/**
 * A small, strict loader for simple numeric CSV files, as used by the test fixtures and built-in data:
 * a header row, comma-separated, no quoting (a header name may be wrapped in double quotes), no missing values,
 * every feature cell a finite decimal number, LF or CRLF line endings, optionally gzipped (detected by content).
 * Not a general CSV parser.
 */
export interface NumericCsvOptions {
  /**
   * The label column: a header name, or a 0-based column index (negative counts from the end, -1 = last).
   * Default: the column named `label` if there is one, else the last column.
   */
  label?: string | number;
  /** Number of classes K; default: largest label + 1. Labels must be below it. */
  numClasses?: number;
  /** Dataset name for reports; default: the file name without `.csv` / `.csv.gz`. */
  name?: string;
}

const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const CLASS_ID = /^\d+$/;

function quote(s: string): string {
  return JSON.stringify(s);
}

/**
 * Read a numeric CSV file into a {@link Dataset}: the label column holds integer class ids 0..K-1 (classNames
 * '0'..'K-1'), all other columns are features (featureNames from the header). Every problem raises a
 * {@link DataError} whose location gives the file, the 1-based line and, for a cell, the 1-based column number
 * (the message also names the column), saying what was found and what was expected.
 */
export function readNumericCsv(file: string, options: NumericCsvOptions = {}): Dataset {
  if (options.numClasses !== undefined && !(Number.isInteger(options.numClasses) && options.numClasses >= 1)) {
    throw new ArgumentError(`readNumericCsv: numClasses must be a positive integer, got ${options.numClasses}.`);
  }
  let text = readMaybeGzipped(file).toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const lines = text.split('\n');
  // One final line break (or several blank lines at the very end) is fine; blank lines elsewhere are not.
  let end = lines.length;
  while (end > 0 && (lines[end - 1] === '' || lines[end - 1] === '\r')) end--;
  if (end === 0) throw new DataError('the file is empty, expected a header row and at least one data row.', { file, line: 1 });
  const strip = (s: string) => (s.endsWith('\r') ? s.slice(0, -1) : s);

  // Header.
  const header = strip(lines[0]).split(',').map((h) => (h.length >= 2 && h.startsWith('"') && h.endsWith('"') ? h.slice(1, -1) : h));
  const seen = new Map<string, number>();
  header.forEach((h, j) => {
    const loc = { file, line: 1, column: j + 1 };
    if (h.trim() === '') throw new DataError('empty column name in the header, expected a name.', loc);
    if (/[",]/.test(h)) throw new DataError(`column name ${quote(h)} holds a quote; quoted fields are not supported.`, loc);
    const prev = seen.get(h);
    if (prev !== undefined) throw new DataError(`column name ${quote(h)} repeats column ${prev + 1}, expected unique names.`, loc);
    seen.set(h, j);
  });
  const ncol = header.length;
  if (ncol < 2) {
    throw new DataError(`the header has ${ncol} column, expected at least 2 (features and a label).`, { file, line: 1 });
  }

  // Label column.
  let labelCol: number;
  const { label } = options;
  if (typeof label === 'string') {
    const j = seen.get(label);
    if (j === undefined) {
      throw new DataError(`no column named ${quote(label)} for the label; the columns are ${header.map(quote).join(', ')}.`, {
        file,
        line: 1,
      });
    }
    labelCol = j;
  } else if (typeof label === 'number') {
    if (!Number.isInteger(label) || label >= ncol || label < -ncol) {
      throw new DataError(`label column index ${label} is out of range for ${ncol} columns (0..${ncol - 1}, or -${ncol}..-1).`, {
        file,
        line: 1,
      });
    }
    labelCol = label < 0 ? ncol + label : label;
  } else {
    labelCol = seen.get('label') ?? ncol - 1;
  }

  const n = end - 1;
  if (n === 0) throw new DataError('the file has a header but no data rows, expected at least one.', { file, line: 2 });
  const nf = ncol - 1;
  const X = new Float64Array(n * nf);
  const labels = new Int32Array(n);
  let maxLabel = -1;
  const limit = options.numClasses;
  for (let i = 0; i < n; i++) {
    const line = i + 2;
    const row = strip(lines[i + 1]);
    const cells = row.split(',');
    if (row === '' || cells.length !== ncol) {
      const found = row === '' ? 0 : cells.length;
      const column = Math.min(found, ncol) + 1;
      throw new DataError(
        found === 0
          ? `empty row, expected ${ncol} cells as in the header.`
          : `found ${found} cells, expected ${ncol} as in the header` +
              (found < ncol ? ` (column ${quote(header[found])} and after are missing).` : ' (extra cells after the last column).'),
        { file, line, column },
      );
    }
    let f = i * nf;
    for (let j = 0; j < ncol; j++) {
      const cell = cells[j];
      if (j === labelCol) {
        const k = CLASS_ID.test(cell) ? Number(cell) : NaN;
        if (!Number.isSafeInteger(k) || (limit !== undefined && k >= limit)) {
          throw new DataError(
            `label column ${quote(header[j])} holds ${quote(cell)}, expected an integer class id ` +
              (limit !== undefined ? `0..${limit - 1}.` : '0..K-1.'),
            { file, line, column: j + 1 },
          );
        }
        labels[i] = k;
        if (k > maxLabel) maxLabel = k;
        continue;
      }
      const v = NUMBER.test(cell) ? Number(cell) : NaN;
      if (!Number.isFinite(v)) {
        throw new DataError(
          `column ${quote(header[j])} holds ${cell === '' ? 'an empty cell' : quote(cell)}, expected a finite decimal number.`,
          { file, line, column: j + 1 },
        );
      }
      X[f++] = v;
    }
  }

  const numClasses = limit ?? maxLabel + 1;
  const base = path.basename(file).replace(/\.gz$/i, '').replace(/\.csv$/i, '');
  return {
    X: matrix(X, n, nf),
    labels,
    numClasses,
    classNames: Array.from({ length: numClasses }, (_, k) => String(k)),
    featureNames: header.filter((_, j) => j !== labelCol),
    name: options.name ?? base,
  };
}
