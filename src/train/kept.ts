import { ModelFormatError } from '../errors';
import type { Dataset } from '../data/dataset';
import { createPredictor, type PredictorMode, type PredictorSource } from '../model/predictor';
import type { PackedModel } from '../model/encode';
import { XnorEnsemble } from '../xnor/network';
import type { KeptSoFar, ModeErrors, TrainingRecord, TrainingResult, TrainingState } from './record';
import type { Resumed } from './resume';
import type { Snapshot, TrainingSession } from './session';

/**
 * Which epoch and which prediction mode a finished model keeps, by validation error (parameter-free: the
 * validation data already exists). The errors are an open record by mode name, so a new mode (issue 11's
 * deterministic network) joins by validating under its own name and taking its place in MODE_PREFERENCE.
 */

/**
 * Among modes of equal validation error, the first of this list (the cheaper to run) is served: the file's
 * deterministic network (determinised, src/train/determinised.ts) before plain EBP-D (`map`).
 */
export const MODE_PREFERENCE: readonly string[] = ['deterministic', 'map', 'probabilistic', 'ensemble'];

/** The ensemble `ebp train` validates (eval's and predict's defaults, so the recorded error is the one they give). */
export const VALIDATION_ENSEMBLE = Object.freeze({ members: 16, seed: 1 });

/** The mode of lowest error (ties: {@link MODE_PREFERENCE} order, unknown modes after it); null when none is finite. */
export function bestMode(errors: ModeErrors): { mode: string; error: number } | null {
  const rank = (m: string) => (MODE_PREFERENCE.includes(m) ? MODE_PREFERENCE.indexOf(m) : MODE_PREFERENCE.length);
  let best: { mode: string; error: number } | null = null;
  for (const mode of Object.keys(errors).sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0))) {
    const error = errors[mode];
    if (Number.isFinite(error) && (best === null || error < best.error)) best = { mode, error };
  }
  return best;
}

/**
 * Whether an epoch validating at `errors` replaces the kept epoch (validating at `kept`): a lower or equal
 * error of its best mode. Among equal errors the later epoch is kept, the one more training went into.
 */
export function replacesKept(errors: ModeErrors, kept: ModeErrors | null): boolean {
  const e = bestMode(errors);
  if (e === null) return false;
  const k = kept ? bestMode(kept) : null;
  return k === null || e.error <= k.error;
}

/** A mode's error on `data` and how many rows it assigns to each class. */
export interface ModeCheck {
  error: number;
  predicted: Int32Array;
}

/** Run `source` in `mode` over `data` (512 rows at a time) and count errors and predicted classes. */
export function checkMode(source: PredictorSource, mode: PredictorMode, data: Dataset, opts: { members?: number; seed?: number } = {}): ModeCheck {
  const predictor = createPredictor(source, mode, opts);
  const n = data.labels.length;
  const w = data.X.shape[1];
  const X = data.X.data.subarray(data.X.offset, data.X.offset + n * w) as Float64Array;
  const predicted = new Int32Array(predictor.numClasses);
  let errors = 0;
  for (let start = 0; start < n; start += 512) {
    const rows = Math.min(512, n - start);
    const r = predictor.run(X.subarray(start * w, (start + rows) * w), rows);
    for (let i = 0; i < rows; i++) {
      predicted[r.classes[i]]++;
      if (r.classes[i] !== data.labels[start + i]) errors++;
    }
  }
  return { error: n > 0 ? errors / n : NaN, predicted };
}

/** The validation errors of every mode of a kept EBP or STE network (`perEpoch`: those its epochs reported). */
export function validatedModes(source: PredictorSource, perEpoch: ModeErrors, data: Dataset): Pick<TrainingResult, 'modes' | 'bestMode' | 'ensemble'> {
  const modes: ModeErrors = { ...perEpoch };
  // The ensemble is validated once, on the kept network (sampling it every epoch would cost more than training).
  if (source.store && !('ensemble' in modes)) modes.ensemble = checkMode(source, 'ensemble', data, VALIDATION_ENSEMBLE).error;
  const best = bestMode(modes);
  return { modes, ...(best ? { bestMode: best.mode } : {}), ...('ensemble' in modes ? { ensemble: { ...VALIDATION_ENSEMBLE } } : {}) };
}

/** What a model file can serve: a packed network, or a posterior, or both. */
export interface ServableModel {
  store: unknown;
  network?: PackedModel | null;
  meta: TrainingRecord;
}

/** What a model file can run: deterministic always; the posterior's modes when it holds one; a packed ensemble's own. */
export function runnable(model: ServableModel, mode: string): mode is PredictorMode {
  if (mode === 'deterministic') return true;
  if (mode === 'ensemble' && model.network instanceof XnorEnsemble) return true;
  return (mode === 'map' || mode === 'probabilistic' || mode === 'ensemble') && Boolean(model.store);
}

/**
 * The mode `eval` and `predict` run without `--mode`: the one of lowest recorded validation error among
 * those this model (and this version) can run, else deterministic (no validation data, older files), or the
 * ensemble of a packed-ensemble file.
 */
export function servedMode(model: ServableModel): { mode: PredictorMode; validated: ModeErrors | null } {
  const recorded = model.meta.training?.result.modes;
  const fallback: PredictorMode = !model.store && model.network instanceof XnorEnsemble ? 'ensemble' : 'deterministic';
  if (!recorded) return { mode: fallback, validated: null };
  const usable: ModeErrors = {};
  for (const [m, e] of Object.entries(recorded)) if (runnable(model, m) && typeof e === 'number') usable[m] = e;
  const best = bestMode(usable);
  return { mode: best ? (best.mode as PredictorMode) : fallback, validated: best ? usable : null };
}

/** An explicit mode is warned about when its recorded validation error exceeds the best's by this factor. */
export const WORSE_MODE_FACTOR = 1.3;

/**
 * The better mode to name when `mode` (asked for explicitly) validated much worse than the model's best
 * (more than {@link WORSE_MODE_FACTOR} times its error, and by two validation rows at least: one row is noise); null when
 * it did not, or nothing was recorded.
 */
export function muchWorseMode(model: ServableModel, mode: PredictorMode): { mode: string; error: number; best: { mode: string; error: number } } | null {
  const s = servedMode(model);
  if (!s.validated || !(mode in s.validated)) return null;
  const best = bestMode(s.validated);
  const error = s.validated[mode];
  const rows = model.meta.training?.result.validationRows ?? 0;
  if (!best || best.mode === mode || !(error > WORSE_MODE_FACTOR * best.error) || (rows > 0 && (error - best.error) * rows < 1.5)) return null;
  return { mode, error, best };
}

/** The epoch a run keeps so far, with a copy of its network. */
export interface Kept {
  epoch: number;
  errors: ModeErrors;
  snap: Snapshot;
}

/**
 * The kept epoch a resumed run starts from: the checkpoint's record of it (with its network unless that is
 * the checkpoint's own), or a finished model's own epoch (a model file holds its kept epoch).
 */
export function resumedKept(session: TrainingSession, resumed: Resumed | null, shown: string | undefined): Kept | null {
  if (!resumed) return null;
  const k = resumed.meta.kept;
  const own = resumed.state.batchesDone === 0;
  if (k) {
    if (k.epoch === resumed.state.epochsDone && own && !k.posterior && !k.ste) return { epoch: k.epoch, errors: k.errors, snap: session.snapshot() };
    const snap = session.fromKept(k);
    if (!snap) throw new ModelFormatError(`${shown}: the kept epoch ${k.epoch} of the training state (for --resume) has no network.`);
    return { epoch: k.epoch, errors: k.errors, snap };
  }
  const r = resumed.meta.training?.result;
  if (!r || !own || (r.keptEpoch ?? r.epochsDone) !== resumed.state.epochsDone) return null;
  const errors: ModeErrors | null =
    typeof r.validationErrorP === 'number' && typeof r.validationErrorD === 'number'
      ? { deterministic: r.validationErrorD, probabilistic: r.validationErrorP }
      : typeof r.validationError === 'number'
        ? { deterministic: r.validationError }
        : null;
  return errors ? { epoch: resumed.state.epochsDone, errors, snap: session.snapshot() } : null;
}

/** What a checkpoint records of the kept epoch: its network too unless it is the checkpoint's own. */
export function keptRecord(session: TrainingSession, k: Kept | null, state: TrainingState): { kept?: KeptSoFar } {
  if (!k) return {};
  const own = k.epoch === state.epochsDone && state.batchesDone === 0;
  return { kept: { epoch: k.epoch, errors: k.errors, ...(own ? {} : session.keptTensors(k.snap)) } };
}

/** The per-epoch mode errors of a training result. */
export function modeErrorsOf(r: Partial<TrainingResult>, ste: boolean): ModeErrors {
  return ste ? { deterministic: r.validationError as number } : { deterministic: r.validationErrorD as number, probabilistic: r.validationErrorP as number };
}

/** The training result of a kept epoch's validation errors. */
export function resultOf(e: ModeErrors, ste: boolean): Partial<TrainingResult> {
  return ste ? { validationError: e.deterministic } : { validationErrorP: e.probabilistic, validationErrorD: e.deterministic };
}
