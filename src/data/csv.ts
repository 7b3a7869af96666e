import { parse as parseSync } from 'csv-parse/sync';
import { DataError, type DataLocation } from '../errors';

/**
 * CSV tables for training and prediction (browser-safe: no file system). RFC 4180 text is split into
 * records by csv-parse (quoted fields with delimiters, doubled quotes and line breaks, CRLF, a UTF-8 BOM,
 * blank lines); this module checks the records and turns them into a {@link RawTable}: numeric feature
 * cells as float64 (NaN = missing), categorical and label cells as strings. `src/node/csv-stream.ts`
 * streams files through the same code.
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

/** Options that say how to read the columns of a table. */
export interface ColumnOptions {
  /**
   * Label column: a header name, or a 0-based index given as a number or a string of digits (negative counts
   * from the end). A name that exists in the header wins over an index. Default: `label`, else the last column.
   */
  label?: string | number;
  /** Feature columns holding text categories (one-hot encoded). */
  categorical?: readonly string[];
  /** Whether the label column must be there (training, eval) or may be absent (predict). Default true. */
  requireLabel?: boolean;
  /** Whether missing cells are allowed in feature columns (filled later by imputation). Default false. */
  allowMissing?: boolean;
  /** File name for messages. */
  file?: string;
}

/** How a feature column is read: as numbers, or as text categories. */
export type FeatureKind = 'numeric' | 'categorical';

/** How the columns of one file are read. */
export interface ColumnPlan {
  file?: string;
  header: string[];
  /** Column index of the label, -1 when absent. */
  labelIndex: number;
  labelName: string;
  /** Feature columns in file order (everything but the label). */
  features: { index: number; name: string; kind: FeatureKind }[];
  allowMissing: boolean;
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
 * Check a header row: trimmed names, none empty, none repeated, and (`requireLabel`, the default) at least two
 * columns: features and a label. Files for prediction may hold a single feature column. `delimiter`: the one
 * used and whether --delimiter gave it, for the hint on a one-column header (default: a detected comma).
 */
export function checkHeader(cells: string[], file?: string, requireLabel = true, delimiter?: { used: Delimiter; given: boolean }): string[] {
  const names = cells.map((c) => c.trim());
  const seen = new Map<string, number>();
  names.forEach((h, j) => {
    const loc = { file, line: 1, column: j + 1 };
    if (h === '') {
      throw new CsvError('header', `column ${j + 1} of the header has no name, expected a column name (the first row must be a header).`, loc);
    }
    const prev = seen.get(h);
    if (prev !== undefined) {
      throw new CsvError('header', `column name ${q(h)} repeats column ${prev + 1}, expected unique column names.`, loc);
    }
    seen.set(h, j);
  });
  if (requireLabel && names.length < 2) {
    throw new CsvError(
      'header',
      `the header has ${names.length} column (${names.map(q).join(', ')}), expected at least 2 (features and a label). ` +
        delimiterHint(delimiter?.used, delimiter?.given),
      { file, line: 1 },
    );
  }
  return names;
}

/** Work out which column is the label and which are features. */
export function planColumns(header: string[], opts: ColumnOptions = {}): ColumnPlan {
  const file = opts.file;
  const ncol = header.length;
  const byName = new Map(header.map((h, j) => [h, j] as const));
  const requireLabel = opts.requireLabel ?? true;
  const list = header.map(q).join(', ');
  let labelIndex = -1;
  let labelName = '';
  const label = opts.label;
  if (label === undefined) {
    labelIndex = byName.get('label') ?? (requireLabel ? ncol - 1 : -1);
  } else if (typeof label === 'string' && byName.has(label)) {
    labelIndex = byName.get(label)!;
  } else if (typeof label === 'number' || /^-?\d+$/.test(label)) {
    const k = Number(label);
    if (!Number.isInteger(k) || k >= ncol || k < -ncol) {
      throw new CsvError('labelColumn', `label column index ${label} is out of range for ${ncol} columns (0..${ncol - 1}, or -${ncol}..-1); the columns are ${list}.`, { file, line: 1 });
    }
    labelIndex = k < 0 ? ncol + k : k;
  } else if (requireLabel) {
    throw new CsvError('labelColumn', `no column named ${q(label)} for the label; the columns are ${list}.`, { file, line: 1 });
  }
  if (labelIndex >= 0) labelName = header[labelIndex];
  else if (typeof label === 'string') labelName = label;
  const cats = new Set<string>();
  for (const c of opts.categorical ?? []) {
    if (!byName.has(c)) throw new CsvError('categorical', `--categorical names ${q(c)}, but there is no such column; the columns are ${list}.`, { file, line: 1 });
    if (byName.get(c) === labelIndex) throw new CsvError('categorical', `--categorical names ${q(c)}, which is the label column.`, { file, line: 1 });
    cats.add(c);
  }
  const features = header
    .map((name, index) => ({ index, name, kind: (cats.has(name) ? 'categorical' : 'numeric') as FeatureKind }))
    .filter((f) => f.index !== labelIndex);
  if (features.length === 0) throw new CsvError('header', 'there are no feature columns besides the label.', { file, line: 1 });
  return { file, header, labelIndex, labelName, features, allowMissing: opts.allowMissing ?? false };
}

/** Complain about a record whose cell count differs from the header's. */
export function raggedError(plan: { file?: string; header: string[] }, found: number, line: number): CsvError {
  const ncol = plan.header.length;
  return new CsvError(
    'ragged',
    `found ${found} cell${found === 1 ? '' : 's'}, expected ${ncol} as in the header` +
      (found < ncol ? ` (column ${q(plan.header[found])} and after are missing).` : ' (extra cells after the last column; quote cells that contain the delimiter).'),
    { file: plan.file, line, column: Math.min(found, ncol) + 1 },
  );
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
    `column ${q(name)} holds ${q(cell)}, expected a number. If ${q(name)} holds categories, pass --categorical ${name.includes(' ') ? q(name) : name} to one-hot encode it.`,
    loc,
  );
}

/** Error for a missing cell in a categorical column (`training`: see {@link imputeAdvice}; default true). */
export function missingCategoryError(cell: string, name: string, loc: DataLocation, training = true): CsvError {
  return new CsvError('missing', `column ${q(name)} has a missing value (${cell.trim() === '' ? 'an empty cell' : q(cell)}), expected a category. ${imputeAdvice(training, true)}`, loc);
}

/** A table read from CSV, before preprocessing. */
export interface RawTable {
  plan: ColumnPlan;
  rows: number;
  /** Positions in plan.features of the numeric columns, and their values row-major [rows, numeric.length] (NaN = missing). */
  numericCols: number[];
  numeric: Float64Array;
  /** Positions in plan.features of the categorical columns, and their cells per column ('' = missing). */
  categoricalCols: number[];
  categorical: string[][];
  /** Label cell per row (trimmed); empty when the file has no label column. */
  labels: string[];
  /** 1-based line of each row (first line of a multi-line record). */
  lines: Int32Array;
  /** The delimiter used. */
  delimiter: Delimiter;
}

/** Collects records into a {@link RawTable}, checking every cell as it comes. */
export class TableBuilder {
  readonly plan: ColumnPlan;
  private readonly numCols: number[];
  private readonly catCols: number[];
  private numeric: Float64Array;
  private readonly categorical: string[][];
  private readonly labels: string[] = [];
  private lines: Int32Array;
  private rows = 0;
  private readonly intern = new Map<string, string>();

  constructor(plan: ColumnPlan) {
    this.plan = plan;
    this.numCols = [];
    this.catCols = [];
    plan.features.forEach((f, i) => (f.kind === 'numeric' ? this.numCols : this.catCols).push(i));
    this.numeric = new Float64Array(Math.max(1, 64 * this.numCols.length));
    this.categorical = this.catCols.map(() => []);
    this.lines = new Int32Array(64);
  }

  private internString(s: string): string {
    let v = this.intern.get(s);
    if (v === undefined) {
      if (this.intern.size < 100000) this.intern.set(s, s);
      v = s;
    }
    return v;
  }

  push(cells: string[], line: number): void {
    const plan = this.plan;
    if (cells.length !== plan.header.length) throw raggedError(plan, cells.length, line);
    const nn = this.numCols.length;
    if ((this.rows + 1) * nn > this.numeric.length) {
      const next = new Float64Array(Math.max(this.numeric.length * 2, (this.rows + 1) * nn));
      next.set(this.numeric);
      this.numeric = next;
    }
    if (this.rows >= this.lines.length) {
      const next = new Int32Array(this.lines.length * 2);
      next.set(this.lines);
      this.lines = next;
    }
    const base = this.rows * nn;
    for (let i = 0; i < nn; i++) {
      const f = plan.features[this.numCols[i]];
      const cell = cells[f.index];
      const v = parseNumberCell(cell);
      if (typeof v === 'number') {
        this.numeric[base + i] = v;
      } else if (v === 'missing' && plan.allowMissing) {
        this.numeric[base + i] = NaN;
      } else {
        throw numberCellError(v, cell, f.name, { file: plan.file, line, column: f.index + 1 });
      }
    }
    for (let i = 0; i < this.catCols.length; i++) {
      const f = plan.features[this.catCols[i]];
      const cell = cells[f.index].trim();
      if (isMissingCell(cell)) {
        if (!plan.allowMissing) throw missingCategoryError(cells[f.index], f.name, { file: plan.file, line, column: f.index + 1 });
        this.categorical[i].push('');
      } else {
        this.categorical[i].push(this.internString(cell));
      }
    }
    if (plan.labelIndex >= 0) {
      const cell = cells[plan.labelIndex].trim();
      if (isMissingCell(cell)) {
        throw new CsvError('missing', `the label column ${q(plan.labelName)} is empty, expected a class label (rows without a label cannot be used).`, {
          file: plan.file,
          line,
          column: plan.labelIndex + 1,
        });
      }
      this.labels.push(this.internString(cell));
    }
    this.lines[this.rows] = line;
    this.rows++;
  }

  finish(delimiter: Delimiter): RawTable {
    if (this.rows === 0) {
      throw new CsvError('headerOnly', 'the file has a header but no data rows, expected at least one.', { file: this.plan.file, line: 2 });
    }
    return {
      plan: this.plan,
      rows: this.rows,
      numericCols: this.numCols,
      numeric: this.numeric.slice(0, this.rows * this.numCols.length),
      categoricalCols: this.catCols,
      categorical: this.categorical,
      labels: this.labels,
      lines: this.lines.slice(0, this.rows),
      delimiter,
    };
  }
}

/** Follows csv-parse's records to give each one the line it starts on. */
export class LineTracker {
  private end = 0;
  private empty = 0;
  /** `emptyLines`: csv-parse's running count of skipped empty lines. Returns the record's first line. */
  next(cells: readonly string[], emptyLines: number): number {
    const start = this.end + 1 + (emptyLines - this.empty);
    let breaks = 0;
    for (const c of cells) {
      if (c.length > 0 && (c.includes('\n') || c.includes('\r'))) {
        const m = c.match(/\r\n|\r|\n/g);
        breaks += m ? m.length : 0;
      }
    }
    this.empty = emptyLines;
    this.end = start + breaks;
    return start;
  }

  /** The first line after the last record (where an unfinished record started, blank lines aside). */
  nextStart(): number {
    return this.end + 1;
  }
}

/** csv-parse options shared by the sync and streaming readers. */
export function csvParseOptions(delimiter: Delimiter): Record<string, unknown> {
  return {
    bom: true,
    delimiter,
    info: true,
    relax_column_count: true,
    relax_quotes: true,
    skip_empty_lines: true,
    max_record_size: 64 * 1024 * 1024,
  };
}

interface CsvParseErrorLike {
  code?: string;
  message?: string;
  lines?: number;
  column?: number | string;
}

/** Turn an error thrown by csv-parse into a {@link CsvError} with the line. */
export function fromCsvParseError(e: unknown, file?: string, recordStart?: number): CsvError {
  const err = (e ?? {}) as CsvParseErrorLike;
  const line = typeof err.lines === 'number' && err.lines > 0 ? err.lines : undefined;
  const loc: DataLocation = { file, line };
  switch (err.code) {
    case 'CSV_QUOTE_NOT_CLOSED':
      return new CsvError(
        'syntax',
        `a quoted field ${recordStart !== undefined ? `in the row starting here ` : ''}is never closed: the file ends inside quotes, expected a closing double quote (").`,
        { file, line: recordStart ?? line },
      );
    case 'CSV_INVALID_CLOSING_QUOTE':
    case 'CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE': {
      const m = /got "(.*)" at line/.exec(err.message ?? '');
      return new CsvError(
        'syntax',
        `a closing quote is followed by ${m ? q(m[1]) : 'a character'}, expected a delimiter or the end of the row (write a quote inside a quoted field as "").`,
        loc,
      );
    }
    case 'CSV_MAX_RECORD_SIZE':
      return new CsvError('syntax', 'a row is longer than 64 MiB, expected shorter rows (an unclosed quote or a wrong --delimiter?).', loc);
    default:
      return new CsvError('syntax', `the file is not valid CSV: ${(err.message ?? String(e)).replace(/\s+/g, ' ').trim()}`, loc);
  }
}

/** Options of {@link parseCsvText}. */
export interface ParseCsvOptions extends ColumnOptions {
  delimiter?: Delimiter;
}

/** Split CSV text into the header and records with their first lines. Throws {@link CsvError}. */
export function splitCsvText(text: string, opts: { delimiter?: Delimiter; file?: string; requireLabel?: boolean } = {}): { header: string[]; records: { cells: string[]; line: number }[]; delimiter: Delimiter } {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (body.trim() === '') throw new CsvError('empty', 'the file is empty, expected a header row and at least one data row.', { file: opts.file, line: 1 });
  const delimiter = opts.delimiter ?? detectDelimiter(body.slice(0, 65536));
  const tracker = new LineTracker();
  let records: { cells: string[]; line: number }[];
  try {
    const options: Record<string, unknown> = {
      ...csvParseOptions(delimiter),
      bom: false,
      info: false,
      on_record: (record: string[], ctx: { empty_lines: number }) => ({ cells: record, line: tracker.next(record, ctx.empty_lines) }),
    };
    records = (parseSync as (input: string, options: Record<string, unknown>) => unknown)(body, options) as typeof records;
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw fromCsvParseError(e, opts.file, code === 'CSV_QUOTE_NOT_CLOSED' ? tracker.nextStart() : undefined);
  }
  const first = records.shift();
  if (!first) throw new CsvError('empty', 'the file is empty, expected a header row and at least one data row.', { file: opts.file, line: 1 });
  return { header: checkHeader(first.cells, opts.file, opts.requireLabel ?? true, { used: delimiter, given: opts.delimiter !== undefined }), records, delimiter };
}

/** Parse CSV text into a {@link RawTable} (browser-safe; files go through `readCsvTable` in `ebp-bnn/node`). */
export function parseCsvText(text: string, opts: ParseCsvOptions = {}): RawTable {
  const { header, records, delimiter } = splitCsvText(text, opts);
  const builder = new TableBuilder(planColumns(header, opts));
  for (const r of records) builder.push(r.cells, r.line);
  return builder.finish(delimiter);
}
