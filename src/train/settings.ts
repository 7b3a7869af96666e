import { ArgumentError } from '../errors';
import type { Delimiter } from '../data/csv-cells';
import type { ImputeMethod, Scaling } from '../data/preprocess';
import type { SteLoss } from '../ste/loss';
import type { WeightsName } from './record';

/** The settings of one CSV training run (`ebp train data.csv ...`), as given on the command line. */
export interface CsvTrainSettings {
  file: string;
  test?: string;
  split?: number;
  label?: string;
  hidden: number[];
  weights: WeightsName;
  epochs: number;
  /** Minibatch size; undefined: the trainer's default (EBP 10, STE 100). */
  batch: number | undefined;
  seed: number;
  out: string;
  trainer: 'ebp' | 'ste';
  /** STE: lr of the first epoch (default {@link STE_DEFAULTS}), lr after `epochs` epochs (default lrStart/100). */
  lrStart?: number;
  lrEnd?: number;
  /** STE: batch normalisation (default on; `--no-batch-norm`). */
  batchNorm: boolean;
  /** STE: the loss (default squared hinge). */
  loss?: SteLoss;
  standardize: boolean;
  binarize?: number;
  categorical: string[];
  /** Columns left out (`--drop`): names or 0-based indices as given. */
  drop: string[];
  impute: ImputeMethod;
  delimiter?: Delimiter;
  checkpointEvery: number;
  /** EBP: threads a minibatch is split over (undefined: one; the CLI passes its default). */
  threads?: number;
  resume?: string;
  /** Start from this model's posterior (`--prior`); `allowUnfinishedPrior`: also a checkpoint of an unfinished run. */
  prior?: string;
  allowUnfinishedPrior?: boolean;
  /** Binary EBP: ship the determinised network (src/train/determinised.ts); false: `--no-determinise`. */
  determinise: boolean;
  force: boolean;
  quiet: boolean;
  json: boolean;
  /** Options given on the command line (not defaults), by attribute name: a resumed run rejects conflicting ones. */
  explicit: ReadonlySet<string>;
}

/** Settings with the trainer's defaults filled in. */
export type ResolvedSettings = CsvTrainSettings & { batch: number };

/**
 * STE defaults of the CLI: the recipe of docs/ste.md (the PyTorch reference's Adam + exponential decay to
 * lr/100 over the run, batch 100, batch norm, squared hinge); lr 0.1 was its best start on MNIST and digits.
 */
export const STE_DEFAULTS = Object.freeze({ lrStart: 0.1, lrEndRatio: 0.01, batch: 100, loss: 'squared-hinge' as SteLoss });
export const EBP_DEFAULT_BATCH = 10;

/** Flags that only apply to `--trainer ste`, by attribute name. */
const STE_ONLY: readonly [keyof CsvTrainSettings, string][] = [['lrStart', '--lr-start'], ['lrEnd', '--lr-end'], ['batchNorm', '--no-batch-norm'], ['loss', '--loss']];

/** Checkpoint file of a model output. */
export function checkpointPath(out: string): string {
  return `${out}.ckpt`;
}

/** The scaling the flags ask for. */
export function scalingOf(a: Pick<CsvTrainSettings, 'binarize' | 'standardize'>): Scaling {
  if (a.binarize !== undefined) return { kind: 'binarize', threshold: a.binarize };
  if (a.standardize) return { kind: 'standardize' };
  return { kind: 'none' };
}

/** Settings that follow from the trainer: its flags checked, its defaults filled in. */
export function resolveTrainer(args: CsvTrainSettings): ResolvedSettings {
  if (args.trainer === 'ste') {
    if (args.explicit.has('weights') && args.weights !== 'binary') {
      throw new ArgumentError(`--trainer ste trains binary (±1) weights; --weights ${args.weights} is for --trainer ebp.`);
    }
    const lrStart = args.lrStart ?? STE_DEFAULTS.lrStart;
    const lrEnd = args.lrEnd ?? lrStart * STE_DEFAULTS.lrEndRatio;
    return { ...args, weights: 'binary', batch: args.batch ?? STE_DEFAULTS.batch, lrStart, lrEnd, loss: args.loss ?? STE_DEFAULTS.loss };
  }
  const stray = STE_ONLY.filter(([k]) => args.explicit.has(k as string)).map(([, flag]) => flag);
  if (stray.length > 0) throw new ArgumentError(`${stray.join(', ')} only appl${stray.length === 1 ? 'ies' : 'y'} to --trainer ste.`);
  return { ...args, batch: args.batch ?? EBP_DEFAULT_BATCH };
}
