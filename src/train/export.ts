import { ModelFormatError } from '../errors';
import type { PackedModel } from '../model/encode';
import { XnorEnsemble, XnorNetwork, packedKindOf } from '../xnor/network';
import { bestMode } from './kept';
import type { ModeErrors, TrainingRecord, TrainingResult } from './record';
import { encodePackedModel, modelFileKind, type LoadedModel } from './trained-model';

/**
 * `ebp export`: a model file's packed network alone, for deployment (issue 12: the spam model is 1.68 MB with
 * its float64 posterior, 27 KB as its packed network). The file keeps the preprocessing, class and feature names
 * and the training record (settings and results; no resume state), with the recorded validation error of the
 * mode exported only, so that `eval` and `predict` serve it and `inspect` shows it.
 */

/** What `ebp export --mode` writes: the file's deterministic network, plain EBP-D, or a sampled packed ensemble. */
export type ExportMode = 'deterministic' | 'map' | 'ensemble';
export const EXPORT_MODES: readonly ExportMode[] = ['deterministic', 'map', 'ensemble'];

/** The exported bytes and what they hold. */
export interface Exported {
  bytes: Uint8Array;
  network: PackedModel;
  /** The validation error recorded for the exported network (null: none was measured for it). */
  validationError: number | null;
}

/**
 * The packed network of `model` in `mode` (`members`, `seed`: the ensemble's draws, as `eval --mode ensemble`
 * draws them), encoded with its preprocessing and training record.
 *
 * @throws {ModelFormatError} a mode the file cannot give as a packed network (no posterior, no 1-bit form)
 */
export function exportModel(model: LoadedModel, mode: ExportMode, opts: { members: number; seed: number }): Exported {
  const network = exportedNetwork(model, mode, opts);
  const t = model.meta.training;
  const result = t ? exportedResult(t.result, mode, opts) : undefined;
  const meta: TrainingRecord = {
    preprocess: model.meta.preprocess,
    ...(t && result ? { training: { config: t.config, result } } : {}),
    ...(model.meta.lineage ? { lineage: model.meta.lineage } : {}),
  };
  const bytes = encodePackedModel(network, t?.config.trainer ?? 'ebp', meta);
  const validationError = result?.modes ? (Object.values(result.modes)[0] ?? null) : null;
  return { bytes, network, validationError };
}

function exportedNetwork(model: LoadedModel, mode: ExportMode, opts: { members: number; seed: number }): PackedModel {
  const kind = modelFileKind(model);
  const fail = (why: string): never => {
    throw new ModelFormatError(`${model.file}: cannot export --mode ${mode}: ${why}.`);
  };
  if (kind === 'packed-ensemble') {
    const ens = model.network as XnorEnsemble;
    if (mode !== 'ensemble') fail(`the file holds a packed ensemble only (no posterior, no single network); export --mode ensemble`);
    if (ens.members.length !== opts.members) fail(`the file's packed ensemble has ${ens.members.length} members and no posterior to draw ${opts.members} from`);
    return ens;
  }
  if (mode === 'deterministic') {
    if (!model.network) fail(`${model.store?.weights === 'gaussian' ? 'Gaussian' : 'these'} weights have no packed (1-bit) form`);
    return model.network!;
  }
  const store = model.store;
  if (!store) fail(`it needs the weight posterior, and the file holds a packed network only; export --mode deterministic`);
  if (!packedKindOf(store!)) fail(`${store!.weights === 'gaussian' ? 'Gaussian' : 'these'} weights have no packed (1-bit) form`);
  if (mode === 'map') return XnorNetwork.fromPosterior(store!);
  return XnorNetwork.sampleEnsemble(store!, { members: opts.members, seed: opts.seed });
}

/** The training result with the recorded error of the exported network only (as the mode the new file serves). */
function exportedResult(r: TrainingResult, mode: ExportMode, opts: { members: number; seed: number }): TrainingResult {
  const out: TrainingResult = { ...r };
  delete out.modes;
  delete out.bestMode;
  delete out.ensemble;
  if (mode === 'map') delete out.determinised;
  const m = r.modes;
  let modes: ModeErrors | null = null;
  if (m && mode === 'deterministic' && typeof m.deterministic === 'number') modes = { deterministic: m.deterministic };
  // EBP-D becomes the file's deterministic network: its error is `map`'s, or `deterministic`'s when no determinised network was recorded.
  if (m && mode === 'map') {
    const e = 'map' in m ? m.map : r.determinised ? undefined : m.deterministic;
    if (typeof e === 'number') modes = { deterministic: e };
  }
  if (m && mode === 'ensemble' && typeof m.ensemble === 'number' && r.ensemble?.members === opts.members && r.ensemble.seed === opts.seed) {
    modes = { ensemble: m.ensemble };
    out.ensemble = { ...r.ensemble };
  }
  if (modes) {
    out.modes = modes;
    out.bestMode = bestMode(modes)?.mode;
  }
  if (out.bestMode === undefined) delete out.bestMode;
  return out;
}
