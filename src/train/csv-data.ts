import { ArgumentError } from '../errors';
import type { RawTable } from '../data/csv-table';
import { makeDataset, type Dataset } from '../data/dataset';
import { encodedFeatureNames, encodeTable, featureWidth, type PreprocessSpec } from '../data/preprocess';
import { matrix } from '../tensor/matrix';
import { createRng } from '../util/random';
import type { TrainingConfig, TrainingRecord, TrainingResult, TrainingState } from './record';

/**
 * `--split`: the sorted training and validation row numbers of a table of `rows` rows, drawn from a stream
 * of its own (a fork of the seed's generator, apart from the initial field).
 */
export function splitRows(rows: number, fraction: number, seed: number): { train: Int32Array; validation: Int32Array } {
  const perm = createRng(seed).fork().permutation(rows);
  const nv = Math.round(rows * fraction);
  if (nv < 1 || nv >= rows) {
    throw new ArgumentError(`--split ${fraction} of ${rows} rows leaves ${nv} validation and ${rows - nv} training rows; both need at least one.`);
  }
  return { validation: perm.slice(0, nv).sort(), train: perm.slice(nv).sort() };
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
