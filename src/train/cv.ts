import type { RawTable } from '../data/csv-table';
import type { Dataset } from '../data/dataset';
import { fitPreprocess, sortClassNames, type ImputeMethod, type PreprocessSpec, type Scaling } from '../data/preprocess';
import type { PosteriorStore } from '../ebp/posterior';
import { MetricsAccumulator } from '../eval/metrics';
import { createPredictor, type PredictorMode } from '../model/predictor';
import type { SteTrainer } from '../ste/trainer';
import { check, requirePositiveInteger } from '../util/validate';
import type { XnorNetwork } from '../xnor/network';
import { toDataset } from './csv-data';
import { determiniseKept, holdOut } from './determinised';
import { checkMode } from './kept';
import { contiguousFolds, foldRows, stratifiedFolds, tableRows } from './folds';
import { createSession, type SessionEpoch, type SessionSettings } from './session';

/**
 * K-fold cross-validation of a CSV table (`ebp cv`, the EBP paper's protocol for its text sets): for every
 * fold, the preprocessing is fitted on the fold's training rows alone (a table of those rows only, see
 * {@link tableRows}), a fresh trainer is trained on them, and after every epoch the held-out rows are
 * scored. Only the class list (the network's outputs) is taken from all rows, so that every fold has the
 * same outputs. Fold f (0-based) trains with seed `seed + f`.
 */
export interface CrossValidationSettings extends SessionSettings {
  folds: number;
  /** Seeded stratified fold assignment instead of contiguous blocks in file order. */
  shuffle?: boolean;
  /** Minibatch size (resolved: EBP 10, STE 100 by default in the CLI). */
  batch: number;
  scaling?: Scaling;
  impute?: ImputeMethod;
  /** Members of the sampled ensemble (EBP; default 16). */
  members?: number;
  /**
   * Binary EBP: after the last epoch, also the test error of the determinised network (src/deterministic,
   * method 'auto') of the fold's posterior, metric `errorDeterminised` of the last epoch. EBP trains on all
   * the fold's training rows as without it (EBP-P and EBP-D do not change); determinise's continued EBP runs
   * on 90% of them and makes every choice on the other 10% (a seeded, stratified hold-out with the fold's seed): rows the
   * posterior was trained on, never a test row. Expensive (several more epochs); default off.
   */
  determinise?: boolean;
}

/** The test metrics of one fold after one epoch. EBP: the three prediction modes; STE: its error. */
export interface CvEpoch {
  /** 1-based. */
  fold: number;
  epoch: number;
  trainer: 'ebp' | 'ste';
  trainRows: number;
  testRows: number;
  /** Test metrics by name ({@link CV_METRICS} of the trainer); null where a metric is undefined. */
  metrics: Record<string, number | null>;
  /** Mean −log Z (EBP) or mean training loss (STE) of the epoch. */
  loss: number;
  /** Seconds of training in the epoch (evaluation excluded); the only field that differs between equal runs. */
  seconds: number;
}

/**
 * The metrics per trainer. EBP: error of EBP-P (mean-field), EBP-D (most probable weights) and the sampled
 * ensemble, NLL and ECE of EBP-P and of the ensemble (src/model/predictor.ts gives the probabilities).
 */
export const CV_METRICS = {
  ebp: ['errorP', 'errorD', 'errorEnsemble', 'nll', 'ece', 'nllEnsemble', 'eceEnsemble'],
  ste: ['error'],
} as const;

/** One fold's results: its test rows and the per-epoch metrics. */
export interface CvFold {
  /** 1-based. */
  fold: number;
  trainRows: number;
  testRows: number;
  epochs: CvEpoch[];
}

/** What a fold was trained and tested on (for inspection and tests). */
export interface CvFoldData {
  fold: number;
  trainRows: Int32Array;
  testRows: Int32Array;
  spec: PreprocessSpec;
  train: Dataset;
  test: Dataset;
}

/** Options of the cross-validation runner: the folds and the progress callbacks. */
export interface CrossValidationOptions {
  /** Folds to run (1-based); default all. */
  only?: readonly number[];
  /** Called after every fold's epoch. */
  onEpoch?: (e: CvEpoch) => void;
  /** Called after every minibatch (progress). */
  onBatch?: (info: { fold: number; epoch: number; batch: number; batches: number; rows: number }) => void;
  /** Called once a fold's data is prepared, before training. */
  onFoldData?: (d: CvFoldData) => void;
  /** Called after a fold's last epoch with its trained model (the posterior, or the STE trainer). */
  onFoldDone?: (fold: CvFold, model: PosteriorStore | SteTrainer) => void;
  /** Called with what determinise read (`determinise`): the rows of its continued EBP and of its choices, and its network. */
  onDeterminised?: (d: { fold: number; train: Dataset; choices: Dataset; network: XnorNetwork }) => void;
  /** Checked before each minibatch; true stops the run. */
  shouldStop?: () => boolean;
}

/** Mean and sample standard deviation over folds, after the last epoch and per epoch. */
export interface CvSummary {
  /** Per fold: the metrics after the last epoch. */
  folds: ({ fold: number; testRows: number } & Record<string, number | null>)[];
  /** Mean and sample standard deviation (n − 1) over folds of each metric after the last epoch. */
  mean: Record<string, number | null>;
  std: Record<string, number | null>;
  /** The same per epoch. */
  epochs: { epoch: number; mean: Record<string, number | null>; std: Record<string, number | null> }[];
}

/** The fold (0-based) of every row: contiguous blocks by the official rule, or stratified when `shuffle`. */
export function assignFolds(raw: RawTable, folds: number, shuffle: boolean, seed: number): Int32Array {
  return shuffle ? stratifiedFolds(raw.labels, folds, seed) : contiguousFolds(raw.rows, folds);
}

/** Run the folds in turn; returns the finished folds (fewer when `shouldStop` ended the run). */
export async function crossValidate(raw: RawTable, s: CrossValidationSettings, opts: CrossValidationOptions = {}): Promise<{ folds: CvFold[]; interrupted: boolean }> {
  requirePositiveInteger(s.epochs, 'epochs');
  const assignment = assignFolds(raw, s.folds, Boolean(s.shuffle), s.seed);
  const only = opts.only ?? Array.from({ length: s.folds }, (_, i) => i + 1);
  for (const f of only) check(Number.isInteger(f) && f >= 1 && f <= s.folds, 'only', `fold numbers 1…${s.folds}`, f);
  const classes = sortClassNames(raw.labels);
  const done: CvFold[] = [];
  for (const f of only) {
    const fold = await runFold(raw, s, assignment, f, classes, opts);
    if (fold === null) return { folds: done, interrupted: true };
    done.push(fold);
  }
  return { folds: done, interrupted: false };
}

async function runFold(
  raw: RawTable,
  s: CrossValidationSettings,
  assignment: Int32Array,
  f: number,
  classes: string[],
  opts: CrossValidationOptions,
): Promise<CvFold | null> {
  const rows = foldRows(assignment, f - 1);
  const fitted = fitPreprocess(tableRows(raw, rows.train), { scaling: s.scaling, impute: s.impute });
  const spec: PreprocessSpec = { ...fitted, label: { ...fitted.label, classes } };
  const train = toDataset(spec, raw, rows.train, `fold ${f} train`).ds;
  const test = toDataset(spec, raw, rows.test, `fold ${f} test`).ds;
  opts.onFoldData?.({ fold: f, trainRows: rows.train, testRows: rows.test, spec, train, test });
  const sizes = [train.X.shape[1], ...s.hidden, classes.length];
  const session = createSession({ ...s, seed: s.seed + f - 1 }, sizes, null);
  const fold: CvFold = { fold: f, trainRows: rows.train.length, testRows: rows.test.length, epochs: [] };
  const onEpoch = (e: SessionEpoch) => {
    const r = e.report;
    const loss = e.trainer === 'ebp' ? e.report.meanNegLogZ : e.report.meanLoss;
    const metrics = e.trainer === 'ebp' ? ebpMetrics(session.model as PosteriorStore, test, s.members ?? 16, s.seed + f - 1) : { error: (session.model as SteTrainer).evaluate(test).error };
    if (r.epoch === s.epochs && wantsDeterminised(s)) metrics.errorDeterminised = determinisedError(session.model as PosteriorStore, train, test, s.seed + f - 1, (d) => opts.onDeterminised?.({ fold: f, ...d }));
    const ep: CvEpoch = { fold: f, epoch: r.epoch, trainer: e.trainer, trainRows: fold.trainRows, testRows: fold.testRows, metrics, loss, seconds: r.seconds };
    fold.epochs.push(ep);
    opts.onEpoch?.(ep);
  };
  const run = await session.run(train, {
    epochs: s.epochs,
    batchSize: s.batch,
    shouldStop: opts.shouldStop ?? (() => false),
    onBatch: (info) => opts.onBatch?.({ fold: f, ...info }),
    onEpoch,
  });
  if (run.interrupted) return null;
  opts.onFoldDone?.(fold, session.model);
  return fold;
}

function wantsDeterminised(s: CrossValidationSettings): boolean {
  return Boolean(s.determinise) && s.trainer === 'ebp' && (s.weights ?? 'binary') === 'binary';
}

/** Test error of the determinised network of `store` (see {@link CrossValidationSettings.determinise}); null with too few training rows to hold any out. */
function determinisedError(store: PosteriorStore, train: Dataset, test: Dataset, seed: number, seen: (d: { train: Dataset; choices: Dataset; network: XnorNetwork }) => void): number | null {
  const h = holdOut(train, seed);
  if (h === null) return null;
  const d = determiniseKept(store, h.train, { rows: h.holdout, kind: 'holdout' }, { seed });
  seen({ train: h.train, choices: h.holdout, network: d.network });
  return checkMode({ sizes: d.network.sizes, network: d.network }, 'deterministic', test).error;
}

/** Test metrics of a posterior in the three modes of src/model/predictor.ts. */
function ebpMetrics(store: PosteriorStore, test: Dataset, members: number, seed: number): Record<string, number | null> {
  const score = (mode: PredictorMode) => {
    const p = createPredictor({ sizes: store.sizes, store }, mode, { members, seed });
    const acc = new MetricsAccumulator(test.classNames);
    const X = test.X;
    const width = X.shape[1];
    // Chunks bound the memory of the ensemble's scores.
    for (let start = 0; start < test.labels.length; start += 1024) {
      const rows = Math.min(1024, test.labels.length - start);
      const b = p.run(X.data.subarray(X.offset + start * width, X.offset + (start + rows) * width) as Float64Array, rows);
      acc.add(test.labels.subarray(start, start + rows), b.classes, b.proba, rows);
    }
    return acc.report();
  };
  const P = score('probabilistic');
  const D = score('deterministic');
  const E = score('ensemble');
  return { errorP: P.error, errorD: D.error, errorEnsemble: E.error, nll: P.nll, ece: P.ece, nllEnsemble: E.nll, eceEnsemble: E.ece };
}

/** Mean and sample standard deviation over folds, after the last epoch and per epoch. */
export function summarizeFolds(folds: readonly CvFold[]): CvSummary {
  const sorted = [...folds].sort((a, b) => a.fold - b.fold);
  const last = sorted.map((f) => f.epochs[f.epochs.length - 1]);
  const stats = (eps: CvEpoch[]) => meanStd(eps.map((e) => e.metrics));
  const nEpochs = Math.min(...sorted.map((f) => f.epochs.length));
  return {
    folds: last.map((e) => ({ fold: e.fold, testRows: e.testRows, ...e.metrics })),
    ...stats(last),
    epochs: Array.from({ length: Number.isFinite(nEpochs) ? nEpochs : 0 }, (_, i) => ({ epoch: sorted[0].epochs[i].epoch, ...stats(sorted.map((f) => f.epochs[i])) })),
  };
}

function meanStd(rows: Record<string, number | null>[]): { mean: Record<string, number | null>; std: Record<string, number | null> } {
  const mean: Record<string, number | null> = {};
  const std: Record<string, number | null> = {};
  for (const k of rows.length > 0 ? Object.keys(rows[0]) : []) {
    const xs = rows.map((r) => r[k]);
    if (xs.some((x) => x === null || !Number.isFinite(x))) {
      mean[k] = std[k] = null;
      continue;
    }
    const v = xs as number[];
    const m = v.reduce((a, x) => a + x, 0) / v.length;
    mean[k] = m;
    std[k] = v.length > 1 ? Math.sqrt(v.reduce((a, x) => a + (x - m) ** 2, 0) / (v.length - 1)) : null;
  }
  return { mean, std };
}
