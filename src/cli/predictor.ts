import { ArgumentError, ModelFormatError } from '../errors';
import { createPredictor, type Predictor, type PredictorMode, type PredictorOptions } from '../model/predictor';
import { threadedPredictor, type AsyncPredictor, type ThreadedPredictorOptions } from '../node/threaded-predictor';
import { modelFileKind, type LoadedModel } from '../train/trained-model';
import { muchWorseMode, runnable, servedMode, WORSE_MODE_FACTOR } from '../train/kept';
import { resultPct } from './format';

/** Most ensemble members `eval` and `predict` accept. */
export const MAX_MEMBERS = 10000;

/**
 * `createPredictor` (src/model/predictor.ts) for a model file, with the CLI's messages for what the file
 * lacks (in terms of its flags) and the members cap.
 */
export function modelPredictor(model: LoadedModel, mode: PredictorMode, opts: PredictorOptions = {}): Predictor {
  checkModelMode(model, mode, opts);
  return createPredictor(model, mode, opts);
}

/**
 * {@link modelPredictor} with its packed work on `opts.threads` threads (src/node/threaded-predictor.ts;
 * the same results for any count): what `ebp eval` and `ebp predict` run.
 */
export function modelThreadedPredictor(model: LoadedModel, mode: PredictorMode, opts: ThreadedPredictorOptions = {}): AsyncPredictor {
  checkModelMode(model, mode, opts);
  return threadedPredictor(model, mode, opts);
}

function checkModelMode(model: LoadedModel, mode: PredictorMode, opts: PredictorOptions): void {
  if (!runnable(model, mode)) requireStore(model, mode);
  if (mode === 'deterministic' && !model.network) requireStore(model, mode);
  if (mode === 'ensemble') {
    const members = opts.members ?? 16;
    // Every member is a whole network held in memory (16–256 is the useful range); the cap keeps a typo from
    // allocating gigabytes before the first row is read.
    if (!Number.isSafeInteger(members) || members < 1 || members > MAX_MEMBERS) {
      throw new ArgumentError(`--members must be an integer from 1 to ${MAX_MEMBERS}, got ${members}.`);
    }
  }
}

function requireStore(model: LoadedModel, mode: PredictorMode): void {
  const kind = modelFileKind(model);
  if (kind === 'packed-ensemble') {
    throw new ModelFormatError(`${model.file}: --mode ${mode} needs the weight posterior, and this file holds a packed ensemble only (ebp export --mode ensemble); use --mode ensemble.`);
  }
  if (!model.store && model.meta.training?.result.determinised) {
    throw new ModelFormatError(`${model.file}: --mode ${mode} needs the weight posterior, and this file holds the determinised network only (ebp export --mode deterministic); use --mode deterministic.`);
  }
  if (!model.store && model.meta.training?.config.trainer === 'ste') {
    throw new ModelFormatError(`${model.file}: --mode ${mode} needs a weight posterior, and an STE model has none (it is one deterministic sign network); use --mode deterministic.`);
  }
  if (!model.store) {
    throw new ModelFormatError(`${model.file}: --mode ${mode} needs the weight posterior, which this model file does not hold (an inference-only file); use --mode deterministic.`);
  }
}

/**
 * The mode of an eval or predict run: `--mode` when given, else the one the model validated best in at
 * training time (src/train/kept.ts `servedMode`), with a line saying which and why (null for an explicit --mode).
 */
export function chooseMode(model: LoadedModel, given: PredictorMode | undefined, proba = false): { mode: PredictorMode; note: string | null; warning: string | null } {
  if (given !== undefined) return { mode: given, note: null, warning: worseModeWarning(model, given) };
  return { ...servedChoice(model, proba), warning: null };
}

/** An explicit --mode that validated much worse than the model's best (src/train/kept.ts `muchWorseMode`): one line naming the better one. */
export function worseModeWarning(model: LoadedModel, mode: PredictorMode): string | null {
  const w = muchWorseMode(model, mode);
  if (!w) return null;
  return (
    `warning: --mode ${mode} validated at ${resultPct(w.error)} error, more than ${WORSE_MODE_FACTOR}x the ${resultPct(w.best.error)} of mode ${w.best.mode} ` +
    `(the default without --mode); use --mode ${w.best.mode}.`
  );
}

function servedChoice(model: LoadedModel, proba: boolean): { mode: PredictorMode; note: string | null } {
  const s = servedMode(model);
  // --proba needs probabilities: the deterministic mode serves classes only.
  if (proba && (s.mode === 'deterministic' || s.mode === 'map')) {
    // Without a posterior, modelPredictor says why --proba cannot be served.
    if (!model.store || !s.validated) return { mode: 'probabilistic', note: null };
    const p = 'probabilistic' in s.validated ? ` (validation error ${resultPct(s.validated.probabilistic)})` : '';
    return { mode: 'probabilistic', note: `mode probabilistic: --proba needs probabilities${p}; --mode overrides it.` };
  }
  if (!s.validated) return { mode: s.mode, note: null };
  const list = Object.entries(s.validated).map(([m, e]) => `${m} ${resultPct(e)}`).join(', ');
  return { mode: s.mode, note: `mode ${s.mode}: the model's best on its validation data (${list}); --mode overrides it.` };
}
