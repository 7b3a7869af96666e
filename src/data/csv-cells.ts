import { DataError, type DataLocation } from '../errors';
import { columnFlagValue } from './columns';

/**
 * The words of a CSV file: delimiters (given or detected), cells (missing, numeric) and the {@link CsvError}s
 * about them. src/data/csv-table.ts turns records into a table, src/data/csv.ts splits text into records.
 */

/** Why a CSV file was rejected (stable; part of the error contract next to the code `ebp.csvInvalid`). */
export type CsvReason =
  | 'empty'
  | 'headerOnly'
  | 'header'
  | 'syntax'
  | 'ragged'
  | 'nonNumeric'
  | 'nonFinite'
  | 'missing'
  | 'labelColumn'
  | 'singleClass'
  | 'unknownLabel'
  | 'columnMismatch'
  | 'categorical';

/** A problem with the content of a CSV file; the message names the file, line and column. Exit code 2. */
export class CsvError extends DataError {
  readonly reason: CsvReason;
  constructor(reason: CsvReason, message: string, location: DataLocation = {}) {
    super(message, location, 'ebp.csvInvalid');
    this.reason = reason;
  }
}

/** The field delimiters a CSV file may use: comma, semicolon or tab. */
export type Delimiter = ',' | ';' | '\t';
export const DELIMITERS: readonly Delimiter[] = [',', ';', '\t'];

/** JSON-quote a value for messages, shortened when long. */
export function q(s: string): string {
  return JSON.stringify(s.length > 40 ? s.slice(0, 37) + '...' : s);
}

/**
 * Parse a `--delimiter` value: `,` `;` `tab` (or a literal tab / `\t`). Anything else is a usage error
 * raised by the caller with the returned null.
 */
export function parseDelimiter(v: string): Delimiter | null {
  if (v === ',' || v === 'comma') return ',';
  if (v === ';' || v === 'semicolon') return ';';
  if (v === '\t' || v === '\\t' || v === 'tab') return '\t';
  return null;
}

/**
 * Guess the delimiter from the start of a file: for each candidate, count its occurrences outside quotes
 * in each of the first lines; prefer a candidate found the same (non-zero) number of times on every
 * complete line, then the most frequent one in the header. Defaults to a comma.
 */
export function detectDelimiter(sample: string): Delimiter {
  const lines: number[][] = [];
  let line = [0, 0, 0];
  let inQuotes = false;
  for (let i = 0; i < sample.length && lines.length < 50; i++) {
    const c = sample[i];
    if (c === '"') {
      inQuotes = !inQuotes;
    } else if (inQuotes) {
      continue;
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && sample[i + 1] === '\n') i++;
      if (line.some((x) => x > 0) || lines.length === 0) lines.push(line);
      line = [0, 0, 0];
    } else {
      const d = DELIMITERS.indexOf(c as Delimiter);
      if (d >= 0) line[d]++;
    }
  }
  // A sample without any line break is a one-line file: use that line.
  if (lines.length === 0) lines.push(line);
  let best = -1;
  let bestScore = 0;
  for (let d = 0; d < DELIMITERS.length; d++) {
    const c0 = lines[0][d];
    if (c0 === 0) continue;
    const consistent = lines.every((l) => l[d] === c0);
    const score = (consistent ? 1e9 : 0) + c0;
    if (score > bestScore) {
      bestScore = score;
      best = d;
    }
  }
  return best < 0 ? ',' : DELIMITERS[best];
}

/** Cells that mean "missing": empty, `NA`, `N/A`, `null`, `?` (case-insensitive, surrounding spaces ignored). */
const MISSING = new Set(['', 'na', 'n/a', 'null', '?']);
const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const NON_FINITE = /^[+-]?(?:nan|inf|infinity)$/i;

export function isMissingCell(cell: string): boolean {
  const t = cell.trim();
  return t.length <= 4 && MISSING.has(t.toLowerCase());
}

/** Outcome of reading one numeric cell: a finite number, or why not. */
export type NumberCell = number | 'missing' | 'nonFinite' | 'invalid';

export function parseNumberCell(cell: string): NumberCell {
  const t = cell.trim();
  if (NUMBER.test(t)) {
    const v = Number(t);
    return Number.isFinite(v) ? v : 'nonFinite';
  }
  if (t.length <= 4 && MISSING.has(t.toLowerCase())) return 'missing';
  if (NON_FINITE.test(t)) return 'nonFinite';
  return 'invalid';
}

const DELIMITER_FLAG: Record<Delimiter, string> = { ',': "','", ';': "';'", '\t': 'tab' };
const DELIMITER_NAME: Record<Delimiter, string> = { ',': 'comma', ';': 'semicolon', '\t': 'tab' };

/**
 * The hint for a header that looks unsplit: says which delimiter was used (`given`: by --delimiter, else
 * detected) and which flags to try instead.
 */
export function delimiterHint(used: Delimiter = ',', given = false): string {
  const others = DELIMITERS.filter((d) => d !== used).map((d) => `--delimiter ${DELIMITER_FLAG[d]}`).join(' or ');
  return given
    ? `The file was split at --delimiter ${DELIMITER_FLAG[used]} as given; if it is not ${DELIMITER_NAME[used]}-separated, pass ${others}, or leave --delimiter out to detect it.`
    : `If the file is not ${DELIMITER_NAME[used]}-separated, pass ${others}.`;
}

/**
 * What to do about a missing cell. `training`: the file is read while training, where --impute applies;
 * otherwise (eval, predict) imputation was fixed when the model was trained.
 */
function imputeAdvice(training: boolean, categorical: boolean): string {
  if (!training) return 'The model was trained without --impute, so it cannot fill missing values; fill the cell, or train again with --impute mean or --impute median.';
  return categorical
    ? 'Pass --impute mean or --impute median to fill missing values (categorical columns get their most frequent category).'
    : 'Pass --impute mean or --impute median to fill missing values from the training data.';
}

/** Error for a feature cell that is not a usable number (`training`: see {@link imputeAdvice}; default true). */
export function numberCellError(kind: 'missing' | 'nonFinite' | 'invalid', cell: string, name: string, loc: DataLocation, training = true): CsvError {
  if (kind === 'missing') {
    return new CsvError('missing', `column ${q(name)} has a missing value (${cell.trim() === '' ? 'an empty cell' : q(cell)}), expected a number. ${imputeAdvice(training, false)}`, loc);
  }
  if (kind === 'nonFinite') {
    return new CsvError(
      'nonFinite',
      `column ${q(name)} holds ${q(cell)}, expected a finite number (NaN and infinities are not allowed; ` +
        (training ? 'leave a missing value empty and pass --impute).' : 'leave a missing value empty: it is filled if the model was trained with --impute).'),
      loc,
    );
  }
  return new CsvError(
    'nonNumeric',
    `column ${q(name)} holds ${q(cell)}, expected a number. If ${q(name)} holds categories, pass --categorical ${columnFlagValue(name)}` +
      `${typeof loc.column === 'number' && /[",]/.test(name) ? ` (or its index, --categorical ${loc.column - 1})` : ''} to one-hot encode it.`,
    loc,
  );
}

/** Error for a missing cell in a categorical column (`training`: see {@link imputeAdvice}; default true). */
export function missingCategoryError(cell: string, name: string, loc: DataLocation, training = true): CsvError {
  return new CsvError('missing', `column ${q(name)} has a missing value (${cell.trim() === '' ? 'an empty cell' : q(cell)}), expected a category. ${imputeAdvice(training, true)}`, loc);
}
