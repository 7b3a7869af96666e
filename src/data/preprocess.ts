import { ArgumentError, ModelFormatError } from '../errors';
import { CsvError, isMissingCell, numberCellError, missingCategoryError, parseNumberCell, q } from './csv-cells';
import { raggedError, type RawTable } from './csv-table';
import { meanAndStd, median } from './column-stats';

/**
 * Preprocessing of CSV tables, fitted on the training rows and stored in the model so that `eval` and
 * `predict` apply exactly the same transformation:
 *
 * 1. imputation of missing cells (`mean` / `median` of the column's training values; the most frequent
 *    category for categorical columns),
 * 2. numeric columns: unchanged, standardized ((x − mean) / std, std of a constant column taken as 1), or
 *    binarized (x ≥ T → +1, else −1),
 * 3. categorical columns: one-hot over the training categories (1/0, or +1/−1 with binarization); an
 *    unseen category encodes as all zeros (all −1 with binarization) and is counted.
 *
 * Class labels are strings; their order (numeric labels by value, others by code units) is the class index.
 */

/** How numeric inputs are scaled: not at all, to zero mean and unit variance (training-set statistics), or to ±1 at a threshold. */
export type Scaling = { kind: 'none' } | { kind: 'standardize' } | { kind: 'binarize'; threshold: number };
/** How missing numeric cells are filled: not at all (a missing cell is then an error), the training-set mean, or its median (categorical cells: the most frequent category). */
export type ImputeMethod = 'none' | 'mean' | 'median';

/** A numeric input column of a {@link PreprocessSpec}: one network input. */
export interface NumericColumnSpec {
  name: string;
  kind: 'numeric';
  /** Value for a missing cell (imputation). */
  fill?: number;
  /** Standardization statistics. */
  mean?: number;
  std?: number;
}

/** A text column of a {@link PreprocessSpec}, one-hot encoded: one network input per category. */
export interface CategoricalColumnSpec {
  name: string;
  kind: 'categorical';
  categories: string[];
  fill?: string;
}

/** One input column of a {@link PreprocessSpec}. */
export type ColumnSpec = NumericColumnSpec | CategoricalColumnSpec;

/** Everything needed to turn a CSV row into network inputs, as stored in the model file. */
export interface PreprocessSpec {
  version: 1;
  label: { name: string; classes: string[] };
  /** Input columns in training-file order (the label excluded). */
  columns: ColumnSpec[];
  scaling: Scaling;
  impute: ImputeMethod;
}

/** {@link fitPreprocess} options. */
export interface PreprocessFitOptions {
  scaling?: Scaling;
  impute?: ImputeMethod;
  /** Rows whose statistics are used (default: all); classes and categories come from all rows. */
  rows?: ArrayLike<number>;
}

const INTEGER = /^[+-]?\d+$/;

/** Class names in a stable order: integers by value, other numbers by value, else by UTF-16 code units. */
export function sortClassNames(names: Iterable<string>): string[] {
  const list = [...new Set(names)];
  if (list.every((s) => INTEGER.test(s))) return list.sort((a, b) => Number(a) - Number(b) || (a < b ? -1 : a > b ? 1 : 0));
  if (list.every((s) => typeof parseNumberCell(s) === 'number')) {
    return list.sort((a, b) => Number(a) - Number(b) || (a < b ? -1 : a > b ? 1 : 0));
  }
  return list.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Fit the preprocessing on a training table. */
export function fitPreprocess(raw: RawTable, opts: PreprocessFitOptions = {}): PreprocessSpec {
  const scaling = opts.scaling ?? { kind: 'none' };
  const impute = opts.impute ?? 'none';
  checkFitOptions(scaling, impute);
  const plan = raw.plan;
  const rows = opts.rows ?? Int32Array.from({ length: raw.rows }, (_, i) => i);
  if (plan.labelIndex < 0) throw new CsvError('labelColumn', 'training data needs a label column.', { file: plan.file, line: 1 });
  const classes = sortClassNames(raw.labels);
  if (classes.length < 2) {
    throw new CsvError(
      'singleClass',
      `the label column ${q(plan.labelName)} holds a single class (${q(classes[0] ?? '')}) in all ${raw.rows} rows, expected at least 2 classes. Is --label the right column?`,
      { file: plan.file, column: plan.labelIndex + 1 },
    );
  }
  const columns: ColumnSpec[] = plan.features.map((f) => (f.kind === 'numeric' ? { name: f.name, kind: 'numeric' } : { name: f.name, kind: 'categorical', categories: [] }));
  const vals = new Float64Array(rows.length);
  raw.numericCols.forEach((fi, i) => fitNumericColumn(raw, rows, i, fi, columns[fi] as NumericColumnSpec, scaling, impute, vals));
  raw.categoricalCols.forEach((fi, i) => fitCategoricalColumn(raw, rows, i, fi, columns[fi] as CategoricalColumnSpec, impute));
  return { version: 1, label: { name: plan.labelName, classes }, columns, scaling, impute };
}

function checkFitOptions(scaling: Scaling, impute: ImputeMethod): void {
  const sk = (scaling as { kind?: unknown } | null)?.kind;
  if (typeof scaling !== 'object' || (sk !== 'none' && sk !== 'standardize' && sk !== 'binarize')) {
    throw new ArgumentError(
      `invalid argument. \`scaling\` must be { kind: 'none' }, { kind: 'standardize' } or { kind: 'binarize', threshold }. Value: \`${JSON.stringify(scaling)}\`.`,
    );
  }
  if (scaling.kind === 'binarize' && !Number.isFinite(scaling.threshold)) {
    throw new ArgumentError(`invalid argument. \`scaling.threshold\` must be a finite number. Value: \`${scaling.threshold}\`.`);
  }
  if (impute !== 'none' && impute !== 'mean' && impute !== 'median') {
    throw new ArgumentError(`invalid argument. \`impute\` must be 'none', 'mean' or 'median'. Value: \`${JSON.stringify(impute)}\`.`);
  }
}

/** A feature column with no value in the training rows, so that its missing values cannot be imputed. */
function nothingToImpute(raw: RawTable, fi: number, name: string): CsvError {
  return new CsvError('missing', `column ${q(name)} has no values in the training rows, so missing values cannot be imputed.`, {
    file: raw.plan.file,
    column: raw.plan.features[fi].index + 1,
  });
}

/** The fill value and scaling of numeric column i (feature fi) from the training rows; `vals` is scratch of rows.length. */
function fitNumericColumn(
  raw: RawTable, rows: ArrayLike<number>, i: number, fi: number, col: NumericColumnSpec, scaling: Scaling, impute: ImputeMethod, vals: Float64Array,
): void {
  const nn = raw.numericCols.length;
  let m = 0;
  for (let r = 0; r < rows.length; r++) {
    const v = raw.numeric[rows[r] * nn + i];
    if (!Number.isNaN(v)) vals[m++] = v;
  }
  const present = vals.subarray(0, m);
  if (impute !== 'none') {
    if (m === 0) throw nothingToImpute(raw, fi, col.name);
    let fill = 0;
    if (impute === 'mean') {
      for (let k = 0; k < m; k++) fill += present[k];
      fill /= m;
    } else fill = median(present);
    col.fill = fill;
  }
  if (scaling.kind === 'standardize') {
    const { mean, std } = meanAndStd(present, rows.length - m, col.fill ?? 0);
    if (!Number.isFinite(mean) || !Number.isFinite(std)) {
      throw new CsvError('nonNumeric', `column ${q(col.name)}: its mean or standard deviation is not a finite number (mean ${mean}, std ${std}), so it cannot be standardized.`, {
        file: raw.plan.file,
        column: raw.plan.features[fi].index + 1,
      });
    }
    col.mean = mean;
    col.std = std > 0 ? std : 1;
  }
}

/** The categories of categorical column i (feature fi), from all rows, and its fill (the most frequent in the training rows). */
function fitCategoricalColumn(raw: RawTable, rows: ArrayLike<number>, i: number, fi: number, col: CategoricalColumnSpec, impute: ImputeMethod): void {
  const cells = raw.categorical[i];
  col.categories = [...new Set(cells.filter((c) => c !== ''))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (impute === 'none') return;
  const counts = new Map<string, number>();
  for (let r = 0; r < rows.length; r++) {
    const c = cells[rows[r]];
    if (c !== '') counts.set(c, (counts.get(c) ?? 0) + 1);
  }
  let best = '';
  let bc = 0;
  for (const c of col.categories) {
    const k = counts.get(c) ?? 0;
    if (k > bc) {
      bc = k;
      best = c;
    }
  }
  if (bc === 0) throw nothingToImpute(raw, fi, col.name);
  col.fill = best;
}

/** Number of network inputs the spec produces. */
export function featureWidth(spec: PreprocessSpec): number {
  let w = 0;
  for (const c of spec.columns) w += c.kind === 'numeric' ? 1 : c.categories.length;
  return w;
}

/** Names of the network inputs: numeric columns by name, one-hot inputs as `column=category`. */
export function encodedFeatureNames(spec: PreprocessSpec): string[] {
  const names: string[] = [];
  for (const c of spec.columns) {
    if (c.kind === 'numeric') names.push(c.name);
    else for (const v of c.categories) names.push(`${c.name}=${v}`);
  }
  return names;
}

/** Names of the categorical columns of a spec (for reading files with the same plan). */
export function categoricalColumns(spec: PreprocessSpec): string[] {
  return spec.columns.filter((c) => c.kind === 'categorical').map((c) => c.name);
}

function scaleNumeric(spec: PreprocessSpec, col: NumericColumnSpec, v: number): number {
  const s = spec.scaling;
  if (s.kind === 'standardize') {
    const m = col.mean ?? 0;
    const sd = col.std ?? 1;
    const d = v - m;
    // v − mean overflows only for values near ±1.8e308 of opposite signs; the quotients are finite then.
    return Number.isFinite(d) ? d / sd : v / sd - m / sd;
  }
  if (s.kind === 'binarize') return v >= s.threshold ? 1 : -1;
  return v;
}

/** {@link scaleNumeric}, where a result beyond float64 (a value far outside the training range) is a data error naming the cell. */
function scaledCell(spec: PreprocessSpec, col: NumericColumnSpec, v: number, loc: { file?: string; line?: number; column?: number }): number {
  const x = scaleNumeric(spec, col, v);
  if (Number.isFinite(x)) return x;
  throw new CsvError(
    'nonFinite',
    `column ${q(col.name)} holds ${v}, which is ${x} after standardization with the training mean ${col.mean?.toPrecision(3)} and std ${col.std?.toPrecision(3)}: ` +
      `too far outside the training values, expected a value within ${((col.std ?? 1) * Number.MAX_VALUE).toPrecision(3)} of the mean.`,
    loc,
  );
}

function oneHot(spec: PreprocessSpec, col: CategoricalColumnSpec, index: Map<string, number>, value: string, out: Float64Array, o: number): boolean {
  const off = spec.scaling.kind === 'binarize' ? -1 : 0;
  const k = col.categories.length;
  for (let j = 0; j < k; j++) out[o + j] = off;
  const j = index.get(value);
  if (j === undefined) return false;
  out[o + j] = 1;
  return true;
}

/** Result of encoding rows: inputs row-major [rows, featureWidth], class index per row (-1 = no label). */
export interface Encoded {
  X: Float64Array;
  labels: Int32Array;
  rows: number;
  /** Cells whose category was not seen in training (encoded as no category). */
  unknownCategories: number;
}

function unknownLabelError(spec: PreprocessSpec, value: string, loc: { file?: string; line?: number; column?: number }): CsvError {
  const classes = spec.label.classes;
  const list = classes.length <= 20 ? classes.map(q).join(', ') : classes.slice(0, 20).map(q).join(', ') + ', ...';
  return new CsvError('unknownLabel', `label ${q(value)} in column ${q(spec.label.name)} is not one of the model's ${classes.length} classes (${list}).`, loc);
}

/**
 * Turns CSV records into network inputs with a fitted spec; the file's columns are matched to the spec's
 * by name, so their order may differ and extra columns are ignored.
 */
export class RowEncoder {
  readonly spec: PreprocessSpec;
  readonly width: number;
  /** Column index of the label in the file, -1 when absent. */
  readonly labelIndex: number;
  private readonly header: string[];
  private readonly file?: string;
  private readonly sources: number[];
  private readonly catIndex: (Map<string, number> | null)[];
  private readonly classIndex: Map<string, number>;
  /** Labels are needed (evaluation): an empty or unknown one is an error; otherwise it gives -1. */
  private readonly requireLabel: boolean;
  /** Rows read while training (a `--test` file): messages may suggest --impute. */
  private readonly training: boolean;
  unknownCategories = 0;
  /** Missing cells filled from the training data (imputation), per spec column. */
  readonly imputed: number[];

  constructor(spec: PreprocessSpec, header: string[], opts: { file?: string; requireLabel: boolean; training?: boolean }) {
    this.spec = spec;
    this.header = header;
    this.file = opts.file;
    this.width = featureWidth(spec);
    const byName = new Map(header.map((h, j) => [h, j] as const));
    const missing = spec.columns.filter((c) => !byName.has(c.name)).map((c) => c.name);
    if (missing.length > 0) {
      const extra = header.filter((h) => h !== spec.label.name && !spec.columns.some((c) => c.name === h));
      throw new CsvError(
        'columnMismatch',
        `the model expects ${spec.columns.length} feature columns, and ${missing.length} of them ${missing.length === 1 ? 'is' : 'are'} missing from the header: ` +
          `${missing.slice(0, 8).map(q).join(', ')}${missing.length > 8 ? ', ...' : ''}` +
          (extra.length > 0 ? `; the file has other columns: ${extra.slice(0, 8).map(q).join(', ')}${extra.length > 8 ? ', ...' : ''}` : '') +
          '. The columns must have the names they had in the training file.',
        { file: opts.file, line: 1 },
      );
    }
    this.sources = spec.columns.map((c) => byName.get(c.name)!);
    this.imputed = spec.columns.map(() => 0);
    this.catIndex = spec.columns.map((c) => (c.kind === 'categorical' ? new Map(c.categories.map((v, j) => [v, j] as const)) : null));
    this.classIndex = new Map(spec.label.classes.map((c, k) => [c, k] as const));
    this.labelIndex = byName.get(spec.label.name) ?? -1;
    this.requireLabel = opts.requireLabel;
    this.training = opts.training ?? false;
    if (opts.requireLabel && this.labelIndex < 0) {
      throw new CsvError('labelColumn', `the label column ${q(spec.label.name)} the model was trained with is not in the header; evaluation needs labels.`, {
        file: opts.file,
        line: 1,
      });
    }
  }

  /**
   * Write row `cells` (from file line `line`) at out[o..]; returns the class index, or -1 when there is no
   * label (no label column, or, without `requireLabel`, an empty or unknown label: prediction never uses it).
   */
  encode(cells: string[], line: number, out: Float64Array, o: number): number {
    if (cells.length !== this.header.length) throw raggedError({ file: this.file, header: this.header }, cells.length, line);
    const spec = this.spec;
    for (let i = 0; i < spec.columns.length; i++) {
      const col = spec.columns[i];
      const j = this.sources[i];
      const cell = cells[j];
      if (col.kind === 'numeric') {
        let v = parseNumberCell(cell);
        if (v === 'missing' && col.fill !== undefined) {
          v = col.fill;
          this.imputed[i]++;
        }
        if (typeof v !== 'number') throw numberCellError(v, cell, col.name, { file: this.file, line, column: j + 1 }, this.training);
        out[o++] = scaledCell(spec, col, v, { file: this.file, line, column: j + 1 });
      } else {
        let value = cell.trim();
        if (isMissingCell(value)) {
          if (col.fill === undefined) throw missingCategoryError(cell, col.name, { file: this.file, line, column: j + 1 }, this.training);
          value = col.fill;
          this.imputed[i]++;
        }
        if (!oneHot(spec, col, this.catIndex[i]!, value, out, o)) this.unknownCategories++;
        o += col.categories.length;
      }
    }
    if (this.labelIndex < 0) return -1;
    const value = cells[this.labelIndex].trim();
    const k = this.classIndex.get(value);
    if (k === undefined) {
      if (!this.requireLabel) return -1;
      const loc = { file: this.file, line, column: this.labelIndex + 1 };
      if (isMissingCell(value)) throw new CsvError('missing', `the label column ${q(spec.label.name)} is empty, expected a class label.`, loc);
      throw unknownLabelError(spec, value, loc);
    }
    return k;
  }
}

/**
 * Encode rows of a table read with the same column kinds (training rows, a `--test` file).
 * Columns are matched by name. Missing cells take the spec's fill values.
 */
export function encodeTable(spec: PreprocessSpec, raw: RawTable, rows?: ArrayLike<number>): Encoded {
  const plan = raw.plan;
  const idx = rows ?? Int32Array.from({ length: raw.rows }, (_, i) => i);
  const width = featureWidth(spec);
  const n = idx.length;
  const X = new Float64Array(n * width);
  const labels = new Int32Array(n).fill(-1);
  const pos = new Map(plan.features.map((f, i) => [f.name, i] as const));
  const numPos = new Map(raw.numericCols.map((fi, i) => [fi, i] as const));
  const catPos = new Map(raw.categoricalCols.map((fi, i) => [fi, i] as const));
  const missing = spec.columns.filter((c) => !pos.has(c.name)).map((c) => c.name);
  if (missing.length > 0) {
    throw new CsvError(
      'columnMismatch',
      `${missing.length} of the ${spec.columns.length} feature columns of the training data ${missing.length === 1 ? 'is' : 'are'} missing: ${missing.slice(0, 8).map(q).join(', ')}${missing.length > 8 ? ', ...' : ''}.`,
      { file: plan.file, line: 1 },
    );
  }
  const classIndex = new Map(spec.label.classes.map((c, k) => [c, k] as const));
  const nn = raw.numericCols.length;
  let unknown = 0;
  let o = 0;
  const colSrc = spec.columns.map((c) => {
    const fi = pos.get(c.name)!;
    const kind = plan.features[fi].kind;
    if (kind !== c.kind) {
      throw new CsvError('columnMismatch', `column ${q(c.name)} is ${c.kind} in the model but was read as ${kind}.`, { file: plan.file, line: 1 });
    }
    return { fi, p: c.kind === 'numeric' ? numPos.get(fi)! : catPos.get(fi)!, index: c.kind === 'categorical' ? new Map(c.categories.map((v, j) => [v, j] as const)) : null };
  });
  for (let r = 0; r < n; r++) {
    const row = idx[r];
    for (let i = 0; i < spec.columns.length; i++) {
      const col = spec.columns[i];
      const src = colSrc[i];
      if (col.kind === 'numeric') {
        let v = raw.numeric[row * nn + src.p];
        if (Number.isNaN(v)) {
          if (col.fill === undefined) {
            throw numberCellError('missing', '', col.name, { file: plan.file, line: raw.lines[row], column: plan.features[src.fi].index + 1 });
          }
          v = col.fill;
        }
        X[o++] = scaledCell(spec, col, v, { file: plan.file, line: raw.lines[row], column: plan.features[src.fi].index + 1 });
      } else {
        let value = raw.categorical[src.p][row];
        if (value === '') {
          if (col.fill === undefined) throw missingCategoryError('', col.name, { file: plan.file, line: raw.lines[row], column: plan.features[src.fi].index + 1 });
          value = col.fill;
        }
        if (!oneHot(spec, col, src.index!, value, X, o)) unknown++;
        o += col.categories.length;
      }
    }
    if (plan.labelIndex >= 0) {
      const k = classIndex.get(raw.labels[row]);
      if (k === undefined) throw unknownLabelError(spec, raw.labels[row], { file: plan.file, line: raw.lines[row], column: plan.labelIndex + 1 });
      labels[r] = k;
    }
  }
  return { X, labels, rows: n, unknownCategories: unknown };
}

/** Check a spec read from a model file; throws {@link ModelFormatError} naming the bad field. */
export function validatePreprocessSpec(v: unknown): PreprocessSpec {
  const bad = (what: string): never => {
    throw new ModelFormatError(`the model's preprocessing is invalid: ${what}.`);
  };
  const o = v as Record<string, unknown>;
  if (!o || typeof o !== 'object') bad('not an object');
  if (o.version !== 1) bad(`unknown preprocessing version ${JSON.stringify(o.version)}`);
  const label = o.label as Record<string, unknown>;
  if (!label || typeof label.name !== 'string' || !Array.isArray(label.classes) || label.classes.length < 2 || !label.classes.every((c) => typeof c === 'string')) {
    bad('label must have a name and at least 2 class names');
  }
  if (new Set(label.classes as string[]).size !== (label.classes as string[]).length) bad('class names repeat');
  if (!Array.isArray(o.columns) || o.columns.length === 0) bad('no input columns');
  const names = new Set<string>();
  for (const c of o.columns as Record<string, unknown>[]) {
    if (!c || typeof c.name !== 'string') bad('a column has no name');
    if (names.has(c.name as string)) bad(`column ${q(c.name as string)} repeats`);
    names.add(c.name as string);
    const finiteOrUndef = (x: unknown) => x === undefined || (typeof x === 'number' && Number.isFinite(x));
    if (c.kind === 'numeric') {
      if (!finiteOrUndef(c.fill) || !finiteOrUndef(c.mean) || !finiteOrUndef(c.std) || (c.std !== undefined && !((c.std as number) > 0))) bad(`statistics of column ${q(c.name as string)}: expected finite fill and mean and a positive std, found fill ${JSON.stringify(c.fill)}, mean ${JSON.stringify(c.mean)}, std ${JSON.stringify(c.std)}`);
    } else if (c.kind === 'categorical') {
      if (!Array.isArray(c.categories) || !c.categories.every((x) => typeof x === 'string')) bad(`categories of column ${q(c.name as string)}: expected an array of strings`);
      if (c.fill !== undefined && typeof c.fill !== 'string') bad(`fill value of column ${q(c.name as string)}: expected a category (a string), found ${JSON.stringify(c.fill)}`);
    } else bad(`column ${q(String(c.name))} has unknown kind ${JSON.stringify(c.kind)}`);
  }
  const s = o.scaling as Record<string, unknown>;
  if (!s || !['none', 'standardize', 'binarize'].includes(s.kind as string)) bad(`unknown scaling ${JSON.stringify(s?.kind)}: expected "none", "standardize" or "binarize"`);
  if (s.kind === 'binarize' && !(typeof s.threshold === 'number' && Number.isFinite(s.threshold))) bad(`binarize threshold ${JSON.stringify(s.threshold)}: expected a finite number`);
  if (!['none', 'mean', 'median'].includes(o.impute as string)) bad(`unknown imputation method ${JSON.stringify(o.impute)}: expected "none", "mean" or "median"`);
  return o as unknown as PreprocessSpec;
}
