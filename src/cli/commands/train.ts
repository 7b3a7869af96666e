import { ArgumentError, NumericError } from '../../errors';
import type { Dataset } from '../../data/dataset';
import { EbpTrainer, evaluateErrors, type EpochReport } from '../../ebp/trainer';
import { weightKindName, type WeightKind } from '../../ebp/weights';
import { loadFashionMnist, loadMnist10k, loadMnist60k } from '../../node/mnist';
import { formatLoss, plural } from '../format';
import type { CliIo } from '../io';

export interface TrainArgs {
  dataset?: string;
  hidden: number[];
  weights: WeightKind;
  epochs: number;
  batch: number;
  seed: number;
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
  const t0 = performance.now();
  const { train, test } = load();
  const sizes = [train.X.shape[1], ...args.hidden, train.numClasses];
  if (!args.quiet && !args.json) {
    io.stderr(
      `${train.name}: ${train.labels.length} training rows, ${test.labels.length} test rows (loaded in ${((performance.now() - t0) / 1000).toFixed(1)} s)\n` +
        `network ${sizes.join('-')}, ${weightKindName(args.weights)} weights, batch ${args.batch}, ${plural(args.epochs, 'epoch')}, seed ${args.seed}\n`,
    );
  }
  const trainer = EbpTrainer.create({ inputs: sizes[0], hidden: args.hidden, outputs: train.numClasses, weights: args.weights, seed: args.seed });
  if (!args.quiet && !args.json) io.stderr(`kernels: ${trainer.store.backend}\n`);
  // fitAsync yields to the event loop between minibatches, so Ctrl-C (SIGINT) stops training.
  const report = await trainer.fitAsync(train, {
    epochs: args.epochs,
    batchSize: args.batch,
    seed: args.seed,
    validation: test,
    shouldStop: () => Boolean(io.interrupted?.()),
    onEpoch: (r) => {
      if (args.json) io.stdout(JSON.stringify(epochJson(r, args.epochs)) + '\n');
      else if (!args.quiet) io.stderr(formatEpoch(r, args.epochs) + '\n');
      // A non-finite −log Z leaves nothing to report: stop (exit 4) instead of going on with a useless posterior.
      if (!Number.isFinite(r.meanNegLogZ)) throw divergedError(r.epoch, negLogZDetail(r), { wrote: false });
      if (r.diverged && !args.quiet && !args.json) io.stderr(divergenceWarning(r) + '\n');
    },
  });
  const last = report.epochs[report.epochs.length - 1];
  const final = last && !report.interrupted ? { errorP: last.validationErrorP, errorD: last.validationErrorD } : evaluateErrors(trainer.store, test);
  const totalSeconds = report.epochs.reduce((a, r) => a + r.seconds, 0);
  const samples = report.epochs.reduce((a, r) => a + r.samplesPerSecond * r.seconds, 0);
  const summary = {
    summary: true,
    dataset: args.dataset,
    sizes,
    weights: weightKindName(args.weights),
    epochs: trainer.epoch,
    batch: args.batch,
    seed: args.seed,
    backend: trainer.store.backend,
    testErrorP: final.errorP,
    testErrorD: final.errorD,
    trainSeconds: round(totalSeconds, 3),
    samplesPerSecond: round(samples / Math.max(totalSeconds, 1e-9), 1),
  };
  if (args.json) io.stdout(JSON.stringify(summary) + '\n');
  else io.stdout(`test error: EBP-P ${pct(final.errorP)}, EBP-D ${pct(final.errorD)} (${plural(trainer.epoch, 'epoch')}, ${summary.samplesPerSecond} samples/s)\n`);
  const note = args.json || args.quiet ? null : ebpDNote(final.errorP, final.errorD);
  if (note) io.stderr(note + '\n');
  return report.interrupted ? 130 : 0;
}

export function epochJson(r: EpochReport, epochs: number): Record<string, unknown> {
  return {
    epoch: r.epoch,
    epochs,
    meanNegLogZ: round(r.meanNegLogZ, 6),
    trainErrorP: r.trainErrorP,
    trainErrorD: r.trainErrorD,
    testErrorP: r.validationErrorP,
    testErrorD: r.validationErrorD,
    seconds: round(r.seconds, 3),
    evalSeconds: round(r.evalSeconds, 3),
    samplesPerSecond: round(r.samplesPerSecond, 1),
    ...(r.diverged ? { diverged: true } : {}),
  };
}

/**
 * A note when the single most probable network (EBP-D, the default mode of `eval` and `predict`) is far worse
 * than the posterior average: deep binary networks and ±1 (`--binarize`) inputs do that (docs/cli.md).
 */
export function ebpDNote(errorP: number, errorD: number): string | null {
  if (!(errorD - errorP > 0.05)) return null;
  return (
    `note: EBP-D (${(100 * errorD).toFixed(2)}%) is ${(100 * (errorD - errorP)).toFixed(1)} points worse than EBP-P (${(100 * errorP).toFixed(2)}%) here; ` +
    `eval and predict with --mode probabilistic or --mode ensemble (the default, deterministic, is EBP-D).`
  );
}

/**
 * What to try when EBP diverges, as verified on a one-feature CSV (hidden 2, batch 10 runs away; batch 1 or
 * hidden 64 learn it) and on breast_cancer (hidden 64 runs away on raw inputs, learns when standardized).
 * Fewer hidden units made it worse. `--standardize` is offered only when the inputs are not scaled yet.
 */
export function divergenceHint(suggestStandardize: boolean): string {
  return `try --batch 1 or more hidden units (e.g. --hidden 64)${suggestStandardize ? ', or --standardize' : ''}`;
}

/** Printed when an epoch's mean −log Z shows the posterior running away (EpochReport.diverged) but is still finite. */
export function divergenceWarning(r: EpochReport, suggestStandardize = false): string {
  return (
    `warning: training is diverging (mean -log Z ${r.meanNegLogZ.toPrecision(3)} in epoch ${r.epoch}): EBP sums the ` +
    `increments of a minibatch, which can overshoot once the network saturates; ${divergenceHint(suggestStandardize)}.`
  );
}

/**
 * The error that stops a run whose epoch `epoch` left a useless posterior: a non-finite mean −log Z (some
 * training label has probability 0) or a non-finite h or b (`detail`). `kept` tells about a checkpoint left behind.
 */
export function divergedError(epoch: number, detail: string, opts: { kept?: string; suggestStandardize?: boolean; wrote?: boolean } = {}): NumericError {
  return new NumericError(
    `training diverged in epoch ${epoch}: ${detail}` +
      (opts.wrote === false ? '' : `; no model was written${opts.kept ? ` (${opts.kept})` : ''}`) +
      `. EBP sums the increments of a minibatch, which can overshoot once the network saturates; ${divergenceHint(Boolean(opts.suggestStandardize))}.`,
  );
}

/** divergedError's detail for an epoch whose mean −log Z is not finite. */
export function negLogZDetail(r: EpochReport): string {
  return `its mean -log Z is ${r.meanNegLogZ}, expected a finite number (the posterior gives some training labels probability 0)`;
}

export function formatEpoch(r: EpochReport, epochs: number): string {
  const w = String(epochs).length;
  return (
    `epoch ${String(r.epoch).padStart(w)}/${epochs}  -logZ ${formatLoss(r.meanNegLogZ)}  ` +
    `train P ${pct(r.trainErrorP)} D ${pct(r.trainErrorD)}  test P ${pct(r.validationErrorP)} D ${pct(r.validationErrorD)}  ` +
    `${Math.round(r.samplesPerSecond)} samples/s  ${r.seconds.toFixed(1)} s`
  );
}

function pct(x: number): string {
  return Number.isNaN(x) ? '  -  ' : `${(100 * x).toFixed(2)}%`;
}

function round(x: number, d: number): number {
  const f = 10 ** d;
  return Math.round(x * f) / f;
}
