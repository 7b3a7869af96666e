import { createHash } from 'crypto';
import * as path from 'path';
import { ArgumentError } from '../../errors';
import type { Dataset } from '../../data/dataset';
import type { EpochReport } from '../../ebp/trainer';
import { weightKindName } from '../../ebp/weights';
import { checkWritable } from '../../node/atomic';
import { loadFashionMnist, loadMnist10k, loadMnist60k } from '../../node/mnist';
import '../../node/ebp-threads'; // the worker threads of --threads
import { defaultThreads } from '../../node/xnor-threads';
import { saveTrainedModel } from '../../node/model-file';
import { trainingRecord } from '../../train/csv-data';
import { weightKind, type TrainingConfig, type WeightsName } from '../../train/record';
import { dataHash } from '../../train/resume';
import { createSession, epochState, type TrainingSession } from '../../train/session';
import { rawNumericSpec } from '../../train/trained-model';
import { bestMode, checkMode } from '../../train/kept';
import { withDeterminised, withHoldout } from '../../train/determinised';
import type { DeterminisedRecord, HoldoutRecord } from '../../train/record';
import { determiniseRun } from '../determinise';
import { divergedError, divergenceWarning, ebpDNote, epochJson, epochPct, formatEpoch, negLogZDetail, plural, round } from '../format';
import type { CliIo } from '../io';

export interface TrainArgs {
  dataset?: string;
  hidden: number[];
  weights: WeightsName;
  epochs: number;
  batch: number;
  seed: number;
  /** EBP threads (undefined: the available cores, at most 8). */
  threads?: number;
  /** Write the trained model here (as CSV training does); undefined: report only. */
  out?: string;
  /** Binary weights with --out: ship the determinised network (false: `--no-determinise`). */
  determinise: boolean;
  force: boolean;
  json: boolean;
  quiet: boolean;
}

const BUILTIN: Record<string, () => { train: Dataset; test: Dataset }> = {
  mnist: loadMnist10k,
  mnist60k: loadMnist60k,
  'fashion-mnist': () => loadFashionMnist(),
};

export const BUILTIN_DATASETS = Object.keys(BUILTIN);

/** `ebp train --dataset NAME`: train on built-in data, report per epoch, print the final test errors. */
export async function trainBuiltin(args: TrainArgs, io: CliIo): Promise<number> {
  const load = BUILTIN[args.dataset ?? ''];
  if (!load) {
    throw new ArgumentError(`unknown dataset '${args.dataset}'. Built-in datasets: ${BUILTIN_DATASETS.join(', ')}.`);
  }
  const out = args.out !== undefined ? path.resolve(io.cwd, args.out) : undefined;
  // Refuse to clobber before spending any time.
  if (out !== undefined) checkWritable(out, args.force, 'output file', args.out);
  const t0 = performance.now();
  const loaded = load();
  const test = loaded.test;
  // A model to ship with binary weights: 10% of the training rows are held out for determinise's choices
  // (the test rows are never read by it); without --out nothing is held out (npm start trains on every row).
  const data = out !== undefined ? withHoldout({ trainer: 'ebp', ...args }, { train: loaded.train }, null) : { train: loaded.train };
  const train = data.train;
  const sizes = [train.X.shape[1], ...args.hidden, train.numClasses];
  const weights = weightKindName(weightKind(args.weights));
  if (!args.quiet && !args.json) {
    io.stderr(
      `--dataset ${args.dataset} (${(train.name ?? '').replace(/-train$/, '')}): ${train.labels.length} training rows${data.holdout ? ` (${data.holdout.labels.length} more held out for determinise)` : ''}, ${test.labels.length} test rows (loaded in ${((performance.now() - t0) / 1000).toFixed(1)} s)\n` +
        `network ${sizes.join('-')}, ${weights} weights, batch ${args.batch}, ${plural(args.epochs, 'epoch')}, seed ${args.seed}\n`,
    );
  }
  const threads = args.threads ?? defaultThreads();
  const session = createSession({ trainer: 'ebp', hidden: args.hidden, weights: args.weights, seed: args.seed, epochs: args.epochs, threads }, sizes, null);
  if (!args.quiet && !args.json) io.stderr(`kernels: ${session.backend}, ${threads} thread${threads === 1 ? '' : 's'}\n`);
  const epochs: EpochReport[] = [];
  // The runner yields to the event loop between minibatches, so Ctrl-C (SIGINT) stops training. The data order
  // restarts from the seed (fit's `seed`), as it always has for built-in data.
  const run = await session.run(train, {
    epochs: args.epochs,
    batchSize: args.batch,
    seed: args.seed,
    validation: test,
    shouldStop: () => Boolean(io.interrupted?.()),
    onEpoch: (e) => {
      const r = e.report as EpochReport;
      epochs.push(r);
      if (args.json) io.stdout(JSON.stringify(epochJson(r, args.epochs)) + '\n');
      else if (!args.quiet) io.stderr(formatEpoch(r, args.epochs) + '\n');
      // A non-finite −log Z leaves nothing to report: stop (exit 4) instead of going on with a useless posterior.
      if (!Number.isFinite(r.meanNegLogZ)) throw divergedError(r.epoch, negLogZDetail(r), { wrote: false });
      if (r.diverged && !args.quiet && !args.json) io.stderr(divergenceWarning(r) + '\n');
    },
  });
  const last = epochs[epochs.length - 1];
  const final = last && !run.interrupted ? { errorP: last.validationErrorP, errorD: last.validationErrorD } : finalErrors(session.validate(test));
  const totalSeconds = epochs.reduce((a, r) => a + r.seconds, 0);
  const samples = epochs.reduce((a, r) => a + r.samplesPerSecond * r.seconds, 0);
  const written = out !== undefined && !run.interrupted ? writeModel(out, args, session, data, test, final, io) : undefined;
  const summary = {
    summary: true,
    dataset: args.dataset,
    ...(written !== undefined ? { out: args.out, bytes: written.bytes, ...(written.determinised ? { determinised: written.determinised, bestMode: written.bestMode } : {}) } : {}),
    sizes,
    weights,
    epochs: session.epoch,
    batch: args.batch,
    seed: args.seed,
    backend: session.backend,
    testErrorP: final.errorP,
    testErrorD: final.errorD,
    trainSeconds: round(totalSeconds, 3),
    samplesPerSecond: round(samples / Math.max(totalSeconds, 1e-9), 1),
  };
  if (args.json) io.stdout(JSON.stringify(summary) + '\n');
  else {
    const d = written?.determinised ? `, determinised ${epochPct(written.determinised.testError ?? NaN)}` : '';
    io.stdout(`test error: EBP-P ${epochPct(final.errorP)}, EBP-D ${epochPct(final.errorD)}${d} (${plural(session.epoch, 'epoch')}, ${summary.samplesPerSecond} samples/s)\n`);
    if (written !== undefined) io.stdout(`model written to ${args.out} (${written.bytes} bytes)\n`);
    else if (out !== undefined) io.stderr(`interrupted: no model written (built-in data keeps no checkpoint; run again to write ${args.out}).\n`);
  }
  const note = args.json || args.quiet || written?.determinised ? null : ebpDNote(final.errorP, final.errorD, written?.bestMode);
  if (note) io.stderr(note + '\n');
  return run.interrupted ? 130 : 0;
}

function finalErrors(v: { validationErrorP?: number | null; validationErrorD?: number | null }): { errorP: number; errorD: number } {
  return { errorP: v.validationErrorP as number, errorD: v.validationErrorD as number };
}

/**
 * The model file of a built-in-data run, as CSV training writes it: the network and posterior, the inputs as
 * raw numeric columns (`pixel0..`, the values the loader gives), the settings, the test errors, and the state a
 * `--resume` on the same rows (as CSV) continues from. Returns its size in bytes.
 */
function writeModel(
  out: string, args: TrainArgs, session: TrainingSession, data: { train: Dataset; holdout?: Dataset; holdoutRecord?: HoldoutRecord }, test: Dataset, final: { errorP: number; errorD: number }, io: CliIo,
): WrittenModel {
  const train = data.train;
  const spec = rawNumericSpec(train.featureNames ?? Array.from({ length: train.X.shape[1] }, (_, j) => `x${j}`), train.classNames);
  const config: TrainingConfig = {
    trainer: 'ebp',
    weights: args.weights,
    hidden: args.hidden.slice(),
    batch: args.batch,
    seed: args.seed,
    epochs: args.epochs,
    label: spec.label.name,
    categorical: [],
    impute: 'none',
    scaling: spec.scaling,
    validation: { kind: 'file', file: test.name ?? 'test' },
    trainFile: train.name ?? String(args.dataset),
    dataset: args.dataset,
    ...(data.holdoutRecord ? { determiniseHoldout: data.holdoutRecord } : {}),
  };
  const counts = { rows: train.labels.length, validationRows: test.labels.length, epochsDone: session.epoch };
  const state = epochState(session, dataHash(train, test, args.batch, createHash('sha256')));
  // The last epoch is kept (the validation data is the test set, so no epoch is chosen on it); its modes are recorded.
  const modes = { deterministic: final.errorD, probabilistic: final.errorP };
  const best = bestMode(modes);
  const result = { validationErrorP: final.errorP, validationErrorD: final.errorD, modes, ...(best ? { bestMode: best.mode } : {}) };
  // Binary weights: the determinised network, its choices made on a split of the training rows (the test rows
  // are never read by it); its test error is recorded beside the other modes', as theirs are.
  const det = determiniseRun(session.model, 'ebp', { ...data, builtin: true }, { seed: args.seed, skip: !args.determinise, io, json: args.json, quiet: args.quiet });
  const testError = det ? checkMode({ sizes: det.network.sizes, network: det.network }, 'deterministic', test).error : null;
  const shipped = det ? withDeterminised(result, det, testError) : result;
  const record = trainingRecord(spec, config, counts, shipped, state);
  const bytes = saveTrainedModel(out, session.model, record, { force: args.force, shownAs: args.out, network: det?.network });
  return { bytes, bestMode: shipped.bestMode, ...(det ? { determinised: { ...det.record, testError } } : {}) };
}

/** A built-in-data model file written: its size, the mode eval serves, and its determinised network's record. */
interface WrittenModel {
  bytes: number;
  bestMode?: string;
  determinised?: DeterminisedRecord & { testError: number | null };
}
