import { ArgumentError } from '../errors';
import { subset, type Dataset } from '../data/dataset';
import type { PosteriorStore } from '../ebp/posterior';
import { determinise, type DeterminiseEpoch } from '../deterministic';
import { XnorNetwork, packedKindOf } from '../xnor/network';
import { splitRows } from './csv-data';
import { bestMode, checkMode } from './kept';
import type { DeterminisedRecord, ModeErrors, TrainingResult } from './record';

/**
 * The deterministic network `ebp train` ships for binary weights: progressive determinisation
 * (src/deterministic, docs/algorithm.md) of the kept posterior, run once after training. Its continued EBP
 * reads the run's training rows, every choice it makes the run's validation rows; a run without validation
 * rows of its own (CSV without --split/--test, built-in data, whose validation rows are the test set) holds
 * out {@link DETERMINISE_SPLIT} of its training rows for the choices, drawn as `--split` draws (stratified,
 * the run's seed) and trained on by the continued EBP never. The test rows of built-in data are never read.
 */

/** The fraction of the training rows held out for determinise's choices when a run has no validation rows of its own. */
export const DETERMINISE_SPLIT = 0.1;

/** Why a run ships no determinised network (null: it does). */
export function notDeterminisable(model: unknown, trainer: 'ebp' | 'ste'): string | null {
  if (trainer === 'ste') return 'STE networks are deterministic already';
  const kind = packedKindOf(model as PosteriorStore);
  if (kind === 'binary') return null;
  return `${kind === 'ternary' ? 'ternary' : 'Gaussian'} weights have no determinised network (progressive determinisation is for ±1 weights); the deterministic mode is plain EBP-D`;
}

/** The rows determinise trains on and chooses on: the run's own validation rows, else a split of the training rows. */
export function determiniseRows(train: Dataset, validation: Dataset | undefined, seed: number): { train: Dataset; validation: Dataset; choices: DeterminisedRecord['choices'] } | null {
  if (validation) return { train, validation, choices: { kind: 'validation' } };
  let split: { train: Int32Array; validation: Int32Array };
  try {
    split = splitRows(train.labels.length, DETERMINISE_SPLIT, seed, Array.from(train.labels, String));
  } catch (e) {
    if (e instanceof ArgumentError) return null; // too few rows to hold any out
    throw e;
  }
  return {
    train: subset(train, split.train),
    validation: subset(train, split.validation),
    choices: { kind: 'split', fraction: DETERMINISE_SPLIT, rows: split.validation.length },
  };
}

/** What {@link determiniseKept} gives: the network and what the model's training result records of it. */
export interface Determinised {
  network: XnorNetwork;
  record: DeterminisedRecord;
}

/**
 * Progressive determinisation of a kept binary posterior (never changed) with the library's defaults; the
 * seed of its continued EBP is the run's. Null when the rows are too few to hold out a validation split.
 */
export function determiniseKept(
  store: PosteriorStore, train: Dataset, validation: Dataset | undefined, opts: { seed: number; onEpoch?: (e: DeterminiseEpoch) => void },
): Determinised | null {
  const rows = determiniseRows(train, validation, opts.seed);
  if (!rows) return null;
  const r = determinise(store, rows.train, { validation: rows.validation, seed: opts.seed, onEpoch: opts.onEpoch });
  const network = r.network;
  // The packed network's own error on the choice rows (what eval would give on them), not the float one.
  const error = checkMode({ sizes: network.sizes, network }, 'deterministic', rows.validation).error;
  return {
    network,
    record: {
      layersFixed: r.report.chosen.fixed,
      epoch: r.report.chosen.epoch,
      choices: rows.choices,
      validationError: error,
      plainErrorD: r.report.plain.validationErrorD,
    },
  };
}

/**
 * The training result of a model shipping a determinised network: its error (measured on the run's validation
 * rows, `error`) becomes the `deterministic` mode's, plain EBP-D's moves to `map`, and the best mode is chosen
 * again among them. Without validation rows the result keeps no modes.
 */
export function withDeterminised(result: Partial<TrainingResult>, d: Determinised, error: number | null): Partial<TrainingResult> {
  const out: Partial<TrainingResult> = { ...result, determinised: d.record };
  if (result.modes && error !== null) {
    const { deterministic, ...rest } = result.modes;
    const modes: ModeErrors = { deterministic: error, map: deterministic, ...rest };
    const best = bestMode(modes);
    out.modes = modes;
    if (best) out.bestMode = best.mode;
  }
  return out;
}
