import { ternary, type WeightKind } from '../ebp/weights';
import type { ImputeMethod, PreprocessSpec, Scaling } from '../data/preprocess';
import type { SteTrainerState } from '../ste/trainer';
import type { SteLoss } from '../ste/loss';
import type { Lineage } from '../model/lineage';

/**
 * What `ebp train` records in a model file besides the network (the `training` and `preprocess` entries of
 * the file's header, src/model/format.ts `ModelMeta`): the settings a resumed run must share, what training
 * produced, and where it stands. No timings, so a resumed run writes the same bytes as an uninterrupted one.
 */

/** A weight posterior by name (`--weights`). */
export type WeightsName = 'binary' | 'gaussian' | 'ternary';
export type ValidationSource = { kind: 'none' } | { kind: 'split'; fraction: number } | { kind: 'file'; file: string };

/** The one conversion of a `--weights` name into the trainer's weight kind. */
export function weightKind(name: WeightsName): WeightKind {
  if (name === 'ternary') return ternary();
  return name;
}

/** Training settings (everything a resumed run must share with the original run). */
export interface TrainingConfig {
  trainer: 'ebp' | 'ste';
  weights: WeightsName;
  hidden: number[];
  batch: number;
  seed: number;
  /** Target number of epochs. */
  epochs: number;
  label: string;
  categorical: string[];
  /** Columns left out (`--drop`), as given; absent when none. */
  drop?: string[];
  impute: ImputeMethod;
  scaling: Scaling;
  validation: ValidationSource;
  /** Base name of the training file (built-in data: the training set's name, e.g. mnist10k-train). */
  trainFile: string;
  /** Built-in data (`ebp train --dataset NAME`) instead of a CSV file; the validation data is its test set. */
  dataset?: string;
  /** Training rows held out (not trained on) for the choices of determinise (src/train/determinised.ts). */
  determiniseHoldout?: HoldoutRecord;
  /** STE only: lr of the first epoch and the lr reached after `epochs` epochs (exponential decay per epoch). */
  lrStart?: number;
  lrEnd?: number;
  /** STE only: batch normalisation before every sign and on the output. */
  batchNorm?: boolean;
  /** STE only: the training loss. */
  loss?: SteLoss;
}

/** Validation error of each prediction mode a model was checked in, by mode name (open: see src/train/kept.ts). */
export type ModeErrors = { [mode: string]: number };

/** What training produced (no timings: a resumed run must give the same bytes). */
export interface TrainingResult {
  rows: number;
  validationRows: number;
  epochsDone: number;
  /** EBP: EBP-P / EBP-D error on the validation data after the last epoch (null without validation data). */
  validationErrorP?: number | null;
  validationErrorD?: number | null;
  /** STE: the STE network's error on the validation data after the last epoch (null without validation data). */
  validationError?: number | null;
  /**
   * With validation data: the epoch whose network the file holds, the one of lowest validation error (the
   * errors above are that epoch's; `epochsDone` counts every epoch trained).
   */
  keptEpoch?: number;
  /** The kept network's validation error in each prediction mode it was checked in (src/train/kept.ts). */
  modes?: ModeErrors;
  /** The mode of lowest validation error: what eval and predict run by default. */
  bestMode?: string;
  /** The ensemble `modes.ensemble` was measured with. */
  ensemble?: { members: number; seed: number };
  /** Binary EBP models: the file's packed network is the determinised one (src/train/determinised.ts). */
  determinised?: DeterminisedRecord;
}

/** The training rows a run without validation rows held out for determinise: the fraction asked for and the rows it gave. */
export interface HoldoutRecord {
  fraction: number;
  rows: number;
}

/** What a model file records of its determinised network (no timings: a resumed run gives the same bytes). */
export interface DeterminisedRecord {
  /** The procedure whose network validated better (determinise's default runs both). Absent in older files. */
  method?: 'decimate' | 'progressive';
  /** Layers fixed (decimate: the layer being fixed; 0: plain EBP-D validated best and is the network). */
  layersFixed: number;
  /** decimate: the share of layer `layersFixed`'s weights fixed. */
  share?: number;
  /** Epochs of EBP on the layers above the fixed ones (progressive), or the round (decimate). */
  epoch: number;
  /** Where its choices were made: the run's validation rows, or a split of its training rows held out for them. */
  choices: { kind: 'validation' } | { kind: 'holdout'; rows: number };
  /** The packed network's error on those rows, and plain EBP-D's. */
  validationError: number;
  plainErrorD: number;
}

/**
 * The epoch a checkpoint's run would keep so far (src/train/kept.ts): its number and validation errors and,
 * when it is not the checkpoint's own last epoch, its network (EBP: h and b per layer and the generator
 * state after it; STE: the trainer state), so that a resumed run keeps what an uninterrupted one would.
 */
export interface KeptSoFar {
  epoch: number;
  errors: ModeErrors;
  rngState?: number[];
  posterior?: { h: Float64Array[]; b: Float64Array[] };
  ste?: SteCheckpoint;
}

/** What an STE checkpoint holds besides {@link TrainingState}: the trainer state without epoch and generator. */
export type SteCheckpoint = Omit<SteTrainerState, 'epoch' | 'rngState'>;

/** Where training stands, for `--resume`. */
export interface TrainingState {
  epochsDone: number;
  /** Minibatches done in the next epoch (non-zero only for a checkpoint written on Ctrl-C). */
  batchesDone: number;
  /** The data-order generator's state at the start of the next epoch (NaN written as null). */
  rngState: (number | null)[];
  /** sha256 of the encoded training and validation rows. */
  dataHash: string;
}

/** The training record of a model file (the CLI's metadata; the file format's own is `ModelMeta`). */
export interface TrainingRecord {
  preprocess: PreprocessSpec;
  training?: { config: TrainingConfig; result: TrainingResult };
  state?: TrainingState;
  /** STE checkpoints: parameters, Adam moments and step, lr horizon (with `state`, enough to resume). */
  ste?: SteCheckpoint;
  /** The prior a model was trained from (`--prior`), or the base and shards of a merged model (`ebp merge`). */
  lineage?: Lineage;
  /** Checkpoints with validation data: the epoch kept so far. */
  kept?: KeptSoFar;
}

/** rngState with NaN written as null, and back. */
export function encodeRngState(s: readonly number[]): (number | null)[] {
  return s.map((x) => (Number.isNaN(x) ? null : x));
}

export function decodeRngState(s: readonly (number | null)[]): number[] {
  return s.map((x) => (x === null ? NaN : x));
}
