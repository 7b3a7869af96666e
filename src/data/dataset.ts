import { asMatrix, rowMajor, zeros, type Matrix } from '../tensor/matrix';
import { ArgumentError, DataError, ShapeError } from '../errors';
import type { Rng } from '../util/random';

/**
 * A labelled dataset held in memory: features row-major in a Float64 matrix [n, features],
 * integer class labels 0..numClasses-1.
 */
export interface Dataset {
  /** Features, shape [n, features]. */
  X: Matrix;
  /** Class index per row. */
  labels: Int32Array;
  numClasses: number;
  /** Human-readable class names, index = class id. */
  classNames: string[];
  featureNames?: string[];
  /** Where the data came from (for reports). */
  name?: string;
}

/** Build a dataset, checking that the parts agree. */
export function makeDataset(parts: Omit<Dataset, 'classNames'> & { classNames?: string[] }): Dataset {
  const X = asMatrix(parts.X, 'X');
  if (!(parts.labels instanceof Int32Array)) throw new ArgumentError('invalid argument. `labels` must be an Int32Array of class indices.');
  if (!(Number.isInteger(parts.numClasses) && parts.numClasses >= 1)) {
    throw new ArgumentError(`invalid argument. \`numClasses\` must be a positive integer. Value: \`${parts.numClasses}\`.`);
  }
  const [n] = X.shape;
  if (parts.labels.length !== n) {
    throw new ShapeError(`makeDataset: ${n} feature rows but ${parts.labels.length} labels.`, [parts.labels.length], [n]);
  }
  for (let i = 0; i < n; i++) {
    const c = parts.labels[i];
    if (c < 0 || c >= parts.numClasses) {
      throw new DataError(`label ${c} of row ${i} is outside 0..${parts.numClasses - 1}.`);
    }
  }
  const classNames = parts.classNames ?? Array.from({ length: parts.numClasses }, (_, i) => String(i));
  if (classNames.length !== parts.numClasses) {
    throw new ShapeError(`makeDataset: ${classNames.length} class names for ${parts.numClasses} classes.`, [classNames.length], [parts.numClasses]);
  }
  return { ...parts, X, classNames };
}

/**
 * Targets in {-1, +1}. With `outputs === 1` (two classes, one sign output, as in the paper's text tasks)
 * class 1 is +1 and class 0 is -1; otherwise one output per class, +1 for the true class and -1 elsewhere.
 */
export function signTargets(labels: Int32Array, numClasses: number, outputs: number = numClasses): Matrix {
  const n = labels.length;
  if (outputs === 1 ? numClasses > 2 : outputs !== numClasses) {
    throw new ShapeError(`signTargets: ${numClasses} classes need ${numClasses} outputs (or one output for two classes), not ${outputs}.`, [outputs], [numClasses]);
  }
  for (let i = 0; i < n; i++) {
    if (!(labels[i] >= 0 && labels[i] < numClasses)) throw new DataError(`signTargets: label ${labels[i]} of row ${i} is outside 0..${numClasses - 1}.`);
  }
  const Y = zeros(n, outputs);
  const d = Y.data;
  if (outputs === 1) {
    for (let i = 0; i < n; i++) d[i] = labels[i] === 1 ? 1 : -1;
    return Y;
  }
  d.fill(-1);
  for (let i = 0; i < n; i++) d[i * outputs + labels[i]] = 1;
  return Y;
}

/** Rows `idx` of a dataset, as a new dataset (copies; X may be any view). */
export function subset(ds: Dataset, idx: ArrayLike<number>): Dataset {
  const [n, f] = ds.X.shape;
  for (let i = 0; i < idx.length; i++) {
    const r = idx[i];
    if (!(Number.isInteger(r) && r >= 0 && r < n)) throw new ArgumentError(`invalid argument. subset: index ${i} is ${r}, not a row number in 0..${n - 1}.`);
  }
  const X = zeros(idx.length, f);
  const labels = new Int32Array(idx.length);
  const { data: src, offset: off } = rowMajor(ds.X);
  for (let i = 0; i < idx.length; i++) {
    const r = idx[i];
    X.data.set(src.subarray(off + r * f, off + (r + 1) * f), i * f);
    labels[i] = ds.labels[r];
  }
  return { ...ds, X, labels };
}

/** A seeded random split into (train, validation) with `fraction` of the rows in validation. */
export function splitDataset(ds: Dataset, fraction: number, rng: Rng): { train: Dataset; validation: Dataset } {
  if (!(fraction >= 0 && fraction <= 1)) throw new ArgumentError(`invalid argument. splitDataset: \`fraction\` must be in [0, 1]. Value: \`${fraction}\`.`);
  const n = ds.labels.length;
  const perm = rng.permutation(n);
  const nv = Math.round(n * fraction);
  return { validation: subset(ds, perm.subarray(0, nv)), train: subset(ds, perm.subarray(nv)) };
}
