import type { RawTable } from '../data/csv-table';
import { createRng } from '../util/random';
import { check, requirePositiveInteger } from '../util/validate';

/**
 * Fold assignment of cross-validation: the fold (0-based) of every row of a table.
 *
 * Contiguous (the default, the official EBP code's `RunMe.m` rule): fold f's test block is rows
 * round(1 + (f−1)T/K) … round(fT/K), 1-based, in file order, with MATLAB's round (halves away from zero;
 * the values are positive, so `Math.round`). The blocks tile 1 … T because round(1 + x) = 1 + round(x).
 */
export function contiguousFolds(rows: number, folds: number): Int32Array {
  checkFolds(rows, folds);
  const fold = new Int32Array(rows);
  for (let f = 1; f <= folds; f++) {
    const first = Math.round(1 + ((f - 1) * rows) / folds);
    const last = Math.round((f * rows) / folds);
    for (let r = first; r <= last; r++) fold[r - 1] = f - 1;
  }
  return fold;
}

/** The 1-based first and last row of every fold's contiguous test block (the rule of {@link contiguousFolds}). */
export function contiguousBlocks(rows: number, folds: number): { first: number; last: number }[] {
  checkFolds(rows, folds);
  return Array.from({ length: folds }, (_, i) => ({ first: Math.round(1 + (i * rows) / folds), last: Math.round(((i + 1) * rows) / folds) }));
}

/**
 * Seeded stratified assignment (`--shuffle`): the rows of each class (classes in sorted order) in a seeded
 * random order, one list after the other, dealt to folds 0, 1, …, K−1, 0, … in turn, so every fold holds
 * each class in proportion (±1 row) and the fold sizes differ by at most one.
 */
export function stratifiedFolds(labels: readonly string[], folds: number, seed: number): Int32Array {
  checkFolds(labels.length, folds);
  const byClass = new Map<string, number[]>();
  labels.forEach((c, r) => {
    const list = byClass.get(c);
    if (list) list.push(r);
    else byClass.set(c, [r]);
  });
  const rng = createRng(seed).fork();
  const fold = new Int32Array(labels.length);
  let next = 0;
  for (const c of [...byClass.keys()].sort()) {
    const rows = byClass.get(c)!;
    const perm = rng.permutation(rows.length);
    for (let i = 0; i < rows.length; i++) fold[rows[perm[i]]] = next++ % folds;
  }
  return fold;
}

/** The sorted training and test rows (0-based) of fold `f` (0-based) of an assignment. */
export function foldRows(assignment: Int32Array, f: number): { train: Int32Array; test: Int32Array } {
  let nt = 0;
  for (let r = 0; r < assignment.length; r++) if (assignment[r] === f) nt++;
  const test = new Int32Array(nt);
  const train = new Int32Array(assignment.length - nt);
  let a = 0;
  let b = 0;
  for (let r = 0; r < assignment.length; r++) {
    if (assignment[r] === f) test[a++] = r;
    else train[b++] = r;
  }
  return { train, test };
}

/**
 * The rows `rows` of a table as a table of their own (copies): what a fold's preprocessing is fitted on,
 * so that no other row's values, categories or labels can reach the fit.
 */
export function tableRows(raw: RawTable, rows: ArrayLike<number>): RawTable {
  const nn = raw.numericCols.length;
  const numeric = new Float64Array(rows.length * nn);
  for (let i = 0; i < rows.length; i++) numeric.set(raw.numeric.subarray(rows[i] * nn, (rows[i] + 1) * nn), i * nn);
  const pick = <T>(xs: readonly T[]) => Array.from({ length: rows.length }, (_, i) => xs[rows[i]]);
  return {
    plan: raw.plan,
    rows: rows.length,
    numericCols: raw.numericCols,
    numeric,
    categoricalCols: raw.categoricalCols,
    categorical: raw.categorical.map(pick),
    labels: raw.labels.length > 0 ? pick(raw.labels) : [],
    lines: Int32Array.from({ length: rows.length }, (_, i) => raw.lines[rows[i]]),
    delimiter: raw.delimiter,
  };
}

function checkFolds(rows: number, folds: number): void {
  requirePositiveInteger(folds, 'folds');
  check(folds >= 2, 'folds', 'at least 2', folds);
  check(folds <= rows, 'folds', `at most the ${rows} rows of the data`, folds);
}
