import { NumericError } from '../errors';
import type { EpochReport } from '../ebp/trainer';
import type { SteEpochReport } from '../ste/trainer';

/** The text and JSON the commands print: shared by built-in-dataset and CSV training (and the other commands). */

/** `n word` with an `s` unless n is 1 ("1 epoch", "3 epochs"). */
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** A loss for a progress line: 4 decimals, or 3 significant digits once large (a runaway −log Z like 2.18e+23). */
export function formatLoss(x: number): string {
  return Math.abs(x) < 1e4 ? x.toFixed(4) : x.toPrecision(3);
}

/** An error rate in an epoch line: `12.34%`, or a padded dash for no data. */
export function epochPct(x: number): string {
  return Number.isNaN(x) ? '  -  ' : `${(100 * x).toFixed(2)}%`;
}

/** An error rate in a result line: `12.34%`, or `-` for none (null, NaN, not a number). */
export function resultPct(x: unknown): string {
  return typeof x !== 'number' || !Number.isFinite(x) ? '-' : `${(100 * x).toFixed(2)}%`;
}

/** The progress bar's validation column after an EBP epoch (EBP-P and EBP-D) or an STE epoch. */
export function progressErrors(r: EpochReport | SteEpochReport): string {
  if ('validationError' in r) return Number.isNaN(r.validationError) ? '-' : `${(100 * r.validationError).toFixed(2)}%`;
  return Number.isNaN(r.validationErrorP) ? '-' : `P ${(100 * r.validationErrorP).toFixed(2)}% D ${(100 * r.validationErrorD).toFixed(2)}%`;
}

export function round(x: number, d: number): number {
  const f = 10 ** d;
  return Math.round(x * f) / f;
}

/** The `--json` line of an EBP epoch. */
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

export function formatEpoch(r: EpochReport, epochs: number): string {
  const w = String(epochs).length;
  return (
    `epoch ${String(r.epoch).padStart(w)}/${epochs}  -logZ ${formatLoss(r.meanNegLogZ)}  ` +
    `train P ${epochPct(r.trainErrorP)} D ${epochPct(r.trainErrorD)}  test P ${epochPct(r.validationErrorP)} D ${epochPct(r.validationErrorD)}  ` +
    `${Math.round(r.samplesPerSecond)} samples/s  ${r.seconds.toFixed(1)} s`
  );
}

/** The `--json` line of an STE epoch (EBP's shape with STE's single error: `trainError`, `testError`). */
export function steEpochJson(r: SteEpochReport, epochs: number): Record<string, unknown> {
  return {
    epoch: r.epoch,
    epochs,
    meanLoss: round(r.meanLoss, 6),
    lr: r.lr,
    trainError: r.trainError,
    testError: r.validationError,
    seconds: round(r.seconds, 3),
    evalSeconds: round(r.evalSeconds, 3),
    samplesPerSecond: round(r.samplesPerSecond, 1),
    ...(r.skippedRows ? { skippedRows: r.skippedRows } : {}),
  };
}

export function formatSteEpoch(r: SteEpochReport, epochs: number): string {
  const w = String(epochs).length;
  return (
    `epoch ${String(r.epoch).padStart(w)}/${epochs}  loss ${formatLoss(r.meanLoss)}  lr ${r.lr.toExponential(2)}  ` +
    `train ${epochPct(r.trainError)}  test ${epochPct(r.validationError)}  ${Math.round(r.samplesPerSecond)} samples/s  ${r.seconds.toFixed(1)} s`
  );
}

/**
 * A note when the single most probable network (EBP-D) is far worse than the posterior average: deep binary
 * networks and ±1 (`--binarize`) inputs do that (docs/cli.md). `served`: the mode eval and predict default to.
 */
export function ebpDNote(errorP: number, errorD: number, served?: string): string | null {
  if (!(errorD - errorP > 0.05)) return null;
  return (
    `note: EBP-D (${(100 * errorD).toFixed(2)}%) is ${(100 * (errorD - errorP)).toFixed(1)} points worse than EBP-P (${(100 * errorP).toFixed(2)}%) here; ` +
    (served ? `eval and predict default to the mode that validated best (${served}).` : `eval and predict with --mode probabilistic or --mode ensemble.`)
  );
}

/** Which mode eval and predict will run without --mode, and why: `default mode: probabilistic (validation error: ...)`. */
export function servedModeLine(modes: { [mode: string]: number }, best: string | undefined): string {
  const list = Object.entries(modes).map(([m, e]) => `${m} ${resultPct(e)}`).join(', ');
  return `default mode of eval and predict: ${best ?? 'deterministic'} (validation error: ${list}); --mode overrides it.`;
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

/**
 * The line that reports imputation: how many missing cells of `file` were filled, in which columns
 * (`counts`, in file order); null when none were.
 */
export function imputationNote(counts: readonly { name: string; count: number }[], method: string, file: string): string | null {
  const total = counts.reduce((a, c) => a + c.count, 0);
  if (total === 0) return null;
  const list = counts.slice(0, 8).map((c) => `${JSON.stringify(c.name)} ${c.count}`).join(', ') + (counts.length > 8 ? `, and ${counts.length - 8} more columns` : '');
  return `imputed ${plural(total, 'missing cell')} of ${file} with the training ${method} (categorical columns: the most frequent category): ${list}.`;
}
