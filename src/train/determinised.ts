import { ArgumentError } from '../errors';
import { subset, type Dataset } from '../data/dataset';
import type { PosteriorStore } from '../ebp/posterior';
import { determinise, type DeterminiseEpoch } from '../deterministic';
import { packedKindOf, type XnorNetwork } from '../xnor/network';
import { splitRows } from './csv-data';
import { bestMode, checkMode } from './kept';
import type { DeterminisedRecord, HoldoutRecord, ModeErrors, TrainingResult } from './record';

/**
 * The deterministic network `ebp train` ships for binary weights: progressive determinisation
 * (src/deterministic, docs/algorithm.md) of the kept posterior, run once after training. Its continued EBP
 * reads the run's training rows, every choice it makes the run's validation rows (CSV: --split or --test; a
 * CSV run without them ships plain EBP-D, since rows EBP trained on would make its choices for it). Built-in
 * data (`--dataset NAME --out`), whose validation rows are the test set, which determinise must never read,
 * holds out {@link DETERMINISE_HOLDOUT} of its training rows before training, drawn as `--split` draws them
 * (stratified, the run's seed): neither EBP nor the continued EBP trains on them.
 */

/** The fraction of the training rows held out for determinise's choices when a run has no validation rows of its own. */
export const DETERMINISE_HOLDOUT = 0.1;

/** Why a run ships no determinised network (null: it does). */
export function notDeterminisable(model: unknown, trainer: 'ebp' | 'ste'): string | null {
  if (trainer === 'ste') return 'STE networks are deterministic already';
  const kind = packedKindOf(model as PosteriorStore);
  if (kind === 'binary') return null;
  return `${kind === 'ternary' ? 'ternary' : 'Gaussian'} weights have no determinised network (progressive determinisation is for ±1 weights); the deterministic mode is plain EBP-D`;
}

/** Whether a built-in-data run holds rows out for determinise: binary EBP, determinise on, and no validation rows of its own. */
export function wantsHoldout(s: { trainer: 'ebp' | 'ste'; weights: string; determinise: boolean }, hasValidation: boolean): boolean {
  return s.trainer === 'ebp' && s.weights === 'binary' && s.determinise && !hasValidation;
}

/**
 * A run's rows with those held out for determinise (see {@link wantsHoldout}) taken from its training rows.
 * A resumed run holds out what its checkpoint did (`resumed`: the checkpoint's record; undefined: none; null:
 * not resumed), so that it trains on the same rows.
 */
export function withHoldout<T extends { train: Dataset; validation?: Dataset }>(
  s: { trainer: 'ebp' | 'ste'; weights: string; determinise: boolean; seed: number }, data: T, resumed: HoldoutRecord | undefined | null,
): T & { holdout?: Dataset; holdoutRecord?: HoldoutRecord } {
  const want = resumed === null ? wantsHoldout(s, data.validation !== undefined) : resumed !== undefined;
  const h = want ? holdOut(data.train, s.seed) : null;
  return h ? { ...data, train: h.train, holdout: h.holdout, holdoutRecord: h.record } : data;
}

/** The training rows split into those EBP trains on and those held out for determinise's choices (null: too few rows). */
export function holdOut(train: Dataset, seed: number): { train: Dataset; holdout: Dataset; record: HoldoutRecord } | null {
  let split: { train: Int32Array; validation: Int32Array };
  try {
    split = splitRows(train.labels.length, DETERMINISE_HOLDOUT, seed, Array.from(train.labels, String));
  } catch (e) {
    if (e instanceof ArgumentError) return null; // too few rows to hold any out
    throw e;
  }
  return { train: subset(train, split.train), holdout: subset(train, split.validation), record: { fraction: DETERMINISE_HOLDOUT, rows: split.validation.length } };
}

/** What {@link determiniseKept} gives: the network and what the model's training result records of it. */
export interface Determinised {
  network: XnorNetwork;
  record: DeterminisedRecord;
}

/**
 * Determinisation of a kept binary posterior (never changed) with the library's defaults; the
 * seed of its continued EBP is the run's; `choices`: the run's validation rows or its held-out rows.
 */
export function determiniseKept(
  store: PosteriorStore, train: Dataset, choices: { rows: Dataset; kind: 'validation' | 'holdout' }, opts: { seed: number; onEpoch?: (e: DeterminiseEpoch) => void },
): Determinised {
  const r = determinise(store, train, { validation: choices.rows, seed: opts.seed, onEpoch: opts.onEpoch });
  const network = r.network;
  // The packed network's own error on the choice rows (what eval would give on them), not the float one.
  const error = checkMode({ sizes: network.sizes, network }, 'deterministic', choices.rows).error;
  return {
    network,
    record: {
      method: r.report.method,
      layersFixed: r.report.chosen.fixed,
      ...(r.report.chosen.share !== undefined ? { share: r.report.chosen.share } : {}),
      epoch: r.report.chosen.epoch,
      choices: choices.kind === 'validation' ? { kind: 'validation' } : { kind: 'holdout', rows: choices.rows.labels.length },
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
