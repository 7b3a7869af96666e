import { resolveColumn, showColumnRef, type ColumnRef } from './columns';
import { CsvError, delimiterHint, isMissingCell, missingCategoryError, numberCellError, parseNumberCell, q, type Delimiter } from './csv-cells';

/**
 * Records to a {@link RawTable}: the header checked, the label and feature columns planned, every cell
 * checked as it comes (numeric cells as float64, NaN = missing; categorical and label cells as strings).
 */

/** Options that say how to read the columns of a table. */
export interface ColumnOptions {
  /**
   * Label column: a header name, or a 0-based index given as a number or a string of digits (negative counts
   * from the end). A name that exists in the header wins over an index. Default: `label`, else the last column.
   */
  label?: ColumnRef;
  /** Feature columns holding text categories (one-hot encoded): names or indices as for `label` (src/data/columns.ts). */
  categorical?: readonly ColumnRef[];
  /** Columns to leave out (an ID column, a leak): names or indices as for `label`. */
  drop?: readonly ColumnRef[];
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
  /** Feature columns in file order (everything but the label and the dropped columns). */
  features: { index: number; name: string; kind: FeatureKind }[];
  allowMissing: boolean;
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

/** Work out which column is the label, which are features, and which are dropped. */
export function planColumns(header: string[], opts: ColumnOptions = {}): ColumnPlan {
  const file = opts.file;
  const ncol = header.length;
  const requireLabel = opts.requireLabel ?? true;
  const list = header.map(q).join(', ');
  const range = `0..${ncol - 1}, or -${ncol}..-1`;
  let labelIndex = -1;
  let labelName = '';
  const label = opts.label;
  if (label === undefined) {
    labelIndex = header.indexOf('label') >= 0 ? header.indexOf('label') : requireLabel ? ncol - 1 : -1;
  } else {
    const r = resolveColumn(header, label);
    if ('index' in r) labelIndex = r.index;
    else if (r.error === 'range') {
      throw new CsvError('labelColumn', `label column ${showColumnRef(label)} is out of range for ${ncol} columns (${range}); the columns are ${list}.`, { file, line: 1 });
    } else if (requireLabel) {
      throw new CsvError('labelColumn', `no column named ${showColumnRef(label)} for the label; the columns are ${list}.`, { file, line: 1 });
    }
  }
  if (labelIndex >= 0) labelName = header[labelIndex];
  else if (typeof label === 'string') labelName = label;
  const columnsOf = (flag: string, refs: readonly ColumnRef[] | undefined): Set<number> => {
    const out = new Set<number>();
    for (const ref of refs ?? []) {
      const r = resolveColumn(header, ref);
      if ('error' in r) {
        throw new CsvError(
          'categorical',
          r.error === 'range'
            ? `${flag} names column ${showColumnRef(ref)}, out of range for ${ncol} columns (${range}); the columns are ${list}.`
            : `${flag} names ${showColumnRef(ref)}, but there is no such column; the columns are ${list} (a 0-based index works too).`,
          { file, line: 1 },
        );
      }
      if (r.index === labelIndex) throw new CsvError('categorical', `${flag} names ${q(header[r.index])}, which is the label column.`, { file, line: 1 });
      out.add(r.index);
    }
    return out;
  };
  const cats = columnsOf('--categorical', opts.categorical);
  const dropped = columnsOf('--drop', opts.drop);
  for (const j of cats) {
    if (dropped.has(j)) throw new CsvError('categorical', `${q(header[j])} is both dropped (--drop) and categorical (--categorical); give one.`, { file, line: 1 });
  }
  const features = header
    .map((name, index) => ({ index, name, kind: (cats.has(index) ? 'categorical' : 'numeric') as FeatureKind }))
    .filter((f) => f.index !== labelIndex && !dropped.has(f.index));
  if (features.length === 0) throw new CsvError('header', `there are no feature columns besides the label${dropped.size > 0 ? ' and the dropped columns' : ''}.`, { file, line: 1 });
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

/** Missing cells per feature column of a table (what imputation fills), in file order; columns without any are left out. */
export function missingCounts(raw: RawTable): { name: string; count: number }[] {
  const counts = new Map<number, number>();
  const nn = raw.numericCols.length;
  for (let k = 0; k < raw.numeric.length; k++) if (Number.isNaN(raw.numeric[k])) counts.set(raw.numericCols[k % nn], (counts.get(raw.numericCols[k % nn]) ?? 0) + 1);
  raw.categoricalCols.forEach((fi, i) => {
    const m = raw.categorical[i].filter((c) => c === '').length;
    if (m > 0) counts.set(fi, m);
  });
  return [...counts.keys()].sort((a, b) => a - b).map((fi) => ({ name: raw.plan.features[fi].name, count: counts.get(fi)! }));
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
