import { ArgumentError } from '../errors';
import type { RawTable } from '../data/csv-table';
import { CsvError, q } from '../data/csv-cells';
import { makeDataset, type Dataset } from '../data/dataset';
import { encodedFeatureNames, encodeTable, featureWidth, type PreprocessSpec } from '../data/preprocess';
import { matrix } from '../tensor/matrix';
import { createRng } from '../util/random';
import type { TrainingConfig, TrainingRecord, TrainingResult, TrainingState } from './record';

/**
 * `--split`: the sorted training and validation row numbers of a table of `rows` rows, drawn from a stream
 * of its own (a fork of the seed's generator, apart from the initial field). With `labels` (one per row) the
 * split is stratified: every class gives about `fraction` of its rows to validation (largest remainders, so
 * the total stays round(rows · fraction)) and keeps at least one for training.
 */
export function splitRows(rows: number, fraction: number, seed: number, labels?: readonly string[]): { train: Int32Array; validation: Int32Array } {
  const perm = createRng(seed).fork().permutation(rows);
  const nv = Math.round(rows * fraction);
  if (nv < 1 || nv >= rows) {
    throw new ArgumentError(`--split ${fraction} of ${rows} rows leaves ${nv} validation and ${rows - nv} training rows; both need at least one.`);
  }
  if (!labels) return { validation: perm.slice(0, nv).sort(), train: perm.slice(nv).sort() };
  const quota = stratifiedQuotas(labels, fraction, nv);
  const taken = new Map<string, number>();
  const validation: number[] = [];
  const train: number[] = [];
  for (const r of perm) {
    const c = labels[r];
    const t = taken.get(c) ?? 0;
    if (t < (quota.get(c) ?? 0)) {
      taken.set(c, t + 1);
      validation.push(r);
    } else train.push(r);
  }
  if (validation.length < 1) {
    throw new ArgumentError(`--split ${fraction} leaves no validation rows: every class has a single row, and each keeps one for training.`);
  }
  return { validation: Int32Array.from(validation).sort(), train: Int32Array.from(train).sort() };
}

/** Validation rows per class: ⌊count · fraction⌋, plus one for the largest remainders up to `total`; never all of a class. */
function stratifiedQuotas(labels: readonly string[], fraction: number, total: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (const c of labels) counts.set(c, (counts.get(c) ?? 0) + 1);
  const classes = [...counts.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const quota = new Map<string, number>();
  let sum = 0;
  for (const c of classes) {
    const q = Math.min(Math.floor(counts.get(c)! * fraction), counts.get(c)! - 1);
    quota.set(c, q);
    sum += q;
  }
  const byRemainder = classes
    .filter((c) => quota.get(c)! < counts.get(c)! - 1)
    .sort((a, b) => counts.get(b)! * fraction - Math.floor(counts.get(b)! * fraction) - (counts.get(a)! * fraction - Math.floor(counts.get(a)! * fraction)) || (a < b ? -1 : 1));
  for (const c of byRemainder) {
    if (sum >= total) break;
    quota.set(c, quota.get(c)! + 1);
    sum++;
  }
  return quota;
}

/** A label column with more classes than this fraction of the rows (and more than {@link LABEL_MIN_CLASSES}) is refused. */
export const LABEL_MAX_CLASS_FRACTION = 0.5;
export const LABEL_MIN_CLASSES = 20;

/**
 * Label sanity of a training table: refuse a label column that is a measurement or an ID rather than a class
 * (more distinct values than half the rows, and more than 20: `--label mean_area` trained 409 classes), and
 * return the classes that have a single row (they cannot be both learnt and validated: worth a warning).
 */
export function checkLabelColumn(raw: RawTable): { singletons: string[] } {
  const counts = new Map<string, number>();
  for (const c of raw.labels) counts.set(c, (counts.get(c) ?? 0) + 1);
  const K = counts.size;
  if (K > LABEL_MIN_CLASSES && K > LABEL_MAX_CLASS_FRACTION * raw.rows) {
    const plan = raw.plan;
    throw new CsvError(
      'labelColumn',
      `the label column ${q(plan.labelName)} has ${K} distinct values in ${raw.rows} rows, more than ${LABEL_MAX_CLASS_FRACTION * 100}%: it looks like a measurement or an ID, not a class. ` +
        `Pass the class column with --label NAME or a 0-based index.`,
      { file: plan.file, column: plan.labelIndex + 1 },
    );
  }
  return { singletons: [...counts].filter(([, n]) => n === 1).map(([c]) => c) };
}

/** The rows `rows` (default all) of a table, encoded by `spec`, as a Dataset; `unknown` counts unseen categories. */
export function toDataset(spec: PreprocessSpec, raw: RawTable, rows: ArrayLike<number> | undefined, name: string): { ds: Dataset; unknown: number } {
  const enc = encodeTable(spec, raw, rows);
  const width = featureWidth(spec);
  const ds = makeDataset({
    X: matrix(enc.X, enc.rows, width),
    labels: enc.labels,
    numClasses: spec.label.classes.length,
    classNames: spec.label.classes,
    featureNames: encodedFeatureNames(spec),
    name,
  });
  return { ds, unknown: enc.unknownCategories };
}

/** The training record of a model or checkpoint: preprocessing, settings, what training produced, and (resumable) the state. */
export function trainingRecord(
  spec: PreprocessSpec,
  config: TrainingConfig,
  counts: { rows: number; validationRows: number; epochsDone: number },
  result: Partial<TrainingResult>,
  state?: TrainingState,
): TrainingRecord {
  const m: TrainingRecord = { preprocess: spec, training: { config, result: { ...counts, ...result } } };
  if (state) m.state = state;
  return m;
}
