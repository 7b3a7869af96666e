import { EbpError, ModelFormatError } from '../errors';
import type { PosteriorStore } from '../ebp/posterior';
import type { WeightKind } from '../ebp/weights';
import { encodedFeatureNames, featureWidth, validatePreprocessSpec, type PreprocessSpec } from '../data/preprocess';
import { encodeCheckpoint, encodeModel, type PackedModel } from '../model/encode';
import { readModelContainer } from '../model/container';
import { decodeCheckpoint, decodeModel } from '../model/decode';
import type { MetaValue, ModelMeta as FileMeta } from '../model/format';
import { lineageEntries, lineageOf } from '../model/lineage';
import { XnorEnsemble, XnorNetwork, packedKindOf, type XnorLayer } from '../xnor/network';
import { SteTrainer } from '../ste/trainer';
import { createRng } from '../util/random';
import { decodeRngState, type KeptSoFar, type SteCheckpoint, type TrainingConfig, type TrainingRecord, type TrainingResult, type TrainingState } from './record';

/**
 * A trained model as `.ebpb` bytes, and back (pure: the files are read and written by src/node/model-file.ts;
 * the container is src/model: JSON header, little-endian payload, CRC-32). What `ebp train` writes:
 * - the packed network when the weights are ±1 (binary: `binaryDense` layers; the determinised network of
 *   src/train/determinised.ts where `ebp train` made one, else `XnorNetwork.fromPosterior`: EBP-D) or ternary
 *   (`ternaryDense` layers, two masks; EBP-D); Gaussian posteriors have no packed form, so their files hold the
 *   posterior only (`ebp export` files, {@link encodePackedModel}: the packed network without the posterior);
 * - the posterior group (h and b, float64): probabilistic and ensemble modes and `--resume` need it;
 * - `classNames`, `featureNames` (the network inputs, one-hot inputs as `column=category`);
 * - `preprocess`: the CLI's {@link PreprocessSpec} (columns, statistics, categories, imputation values);
 * - `training`: { trainer, epochs, seed, rngState, config, result, state } (no timings, so a resumed run
 *   writes the same bytes as an uninterrupted one), and the lineage (`prior`, `merge`: src/model/lineage.ts).
 * STE (`--trainer ste`): the folded packed network (`XnorNetwork.fromSte`: sign weights, per-neuron
 * thresholds and flips, the output scale and shift; format version 2) with the same metadata; no posterior.
 * Its checkpoints add `training.ste`: the trainer's state (latent weights, batch-norm parameters and running
 * statistics or biases, Adam moments and step count, lr horizon) as float64 metadata tensors.
 * Files written by the library (`encodeModel` without `preprocess`) are read too: their `featureNames` are
 * taken as numeric CSV columns, used as they are.
 */

/** A model read from a file. */
export interface LoadedModel {
  file: string;
  fileBytes: number;
  formatVersion: number;
  createdBy: string;
  kind: 'inference' | 'checkpoint';
  sizes: number[];
  /** The weight kind of the posterior (inference-only files: 'binary', or levels [−1, 0, 1] with ternary layers). */
  weights: WeightKind;
  /** The packed network (EBP-D) or ensemble, when the file has one. */
  network: PackedModel | null;
  /** The EBP posterior (h and b), needed by the probabilistic and ensemble modes and by --resume. */
  store: PosteriorStore | null;
  meta: TrainingRecord;
}

function fail(file: string, what: string): never {
  throw new ModelFormatError(`${file}: ${what}`);
}

/**
 * Encode a posterior (EBP) or an STE trainer (its folded packed network) and its training record as `.ebpb`
 * bytes. For an STE trainer, `meta.ste` (checkpoints) is stored as well. `opts.network`: the packed network
 * the file holds beside a binary posterior (the determinised one, src/train/determinised.ts) instead of EBP-D.
 */
export function encodeTrainedModel(model: PosteriorStore | SteTrainer, meta: TrainingRecord, opts: { network?: XnorNetwork } = {}): Uint8Array {
  const fileMeta = fileMetaOf(model instanceof SteTrainer ? 'ste' : 'ebp', meta);
  if (model instanceof SteTrainer) return encodeModel(XnorNetwork.fromSte(model), fileMeta);
  if (packedKindOf(model)) return encodeModel(opts.network ?? XnorNetwork.fromPosterior(model), fileMeta, { posterior: model });
  return encodeCheckpoint(model, fileMeta);
}

/**
 * Encode a packed network or ensemble alone (`ebp export`): preprocessing, class and feature names and the
 * training record, no posterior and no resume state.
 */
export function encodePackedModel(network: PackedModel, trainer: 'ebp' | 'ste', meta: TrainingRecord): Uint8Array {
  return encodeModel(network, fileMetaOf(trainer, { preprocess: meta.preprocess, ...(meta.training ? { training: meta.training } : {}), ...(meta.lineage ? { lineage: meta.lineage } : {}) }));
}

/** What a model file is: a posterior model (EBP: every mode), or a packed network or ensemble alone. */
export type ModelFileKind = 'posterior' | 'packed-deterministic' | 'packed-ensemble';

export function modelFileKind(m: Pick<LoadedModel, 'store' | 'network'>): ModelFileKind {
  if (m.store) return 'posterior';
  return m.network instanceof XnorEnsemble ? 'packed-ensemble' : 'packed-deterministic';
}

/** The file metadata of a training record. */
function fileMetaOf(trainer: 'ebp' | 'ste', meta: TrainingRecord): FileMeta {
  const spec = meta.preprocess;
  const fileMeta: FileMeta = {
    classNames: spec.label.classes.slice(),
    featureNames: encodedFeatureNames(spec),
    preprocess: spec as unknown as MetaValue,
  };
  const lineage = meta.lineage ? lineageEntries(meta.lineage) : {};
  if (meta.training || meta.state || meta.lineage) {
    const t = meta.training;
    const s = meta.state;
    fileMeta.training = {
      trainer,
      ...lineage,
      ...(t ? { epochs: t.result.epochsDone, seed: t.config.seed } : {}),
      ...(s ? { rngState: s.rngState.map((x) => (x === null ? NaN : x)) } : {}),
      ...(t ? { config: t.config as unknown as MetaValue, result: t.result as unknown as MetaValue } : {}),
      ...(s ? { state: { epochsDone: s.epochsDone, batchesDone: s.batchesDone, dataHash: s.dataHash } } : {}),
      ...(meta.ste ? { ste: meta.ste as unknown as MetaValue } : {}),
      ...(meta.kept ? { kept: meta.kept as unknown as MetaValue } : {}),
    };
  }
  return fileMeta;
}

/**
 * The preprocessing of inputs used as they are: numeric columns named `featureNames`, a `label` column with
 * `classNames` (library-written files, and models of built-in data such as `ebp train --dataset mnist`).
 */
export function rawNumericSpec(featureNames: readonly string[], classNames: readonly string[]): PreprocessSpec {
  return validatePreprocessSpec({
    version: 1,
    label: { name: 'label', classes: classNames.slice() },
    columns: featureNames.map((name) => ({ name, kind: 'numeric' })),
    scaling: { kind: 'none' },
    impute: 'none',
  });
}

/** The STE state of a checkpoint, or a ModelFormatError naming the file. */
function validateSte(v: unknown, file: string): SteCheckpoint {
  const bad = () => fail(file, 'the STE training state (for --resume) is corrupt.');
  if (!isObject(v) || !Number.isSafeInteger(v.step) || (v.step as number) < 0 || !Array.isArray(v.layers)) bad();
  const o = v as Record<string, unknown>;
  if (o.lrEpochs !== null && (!Number.isSafeInteger(o.lrEpochs) || (o.lrEpochs as number) < 1)) bad();
  for (const L of o.layers as unknown[]) {
    if (!isObject(L) || !Number.isSafeInteger(L.inputs) || !Number.isSafeInteger(L.outputs)) bad();
    for (const [k, a] of Object.entries(L as Record<string, unknown>)) if (k !== 'inputs' && k !== 'outputs' && !(a instanceof Float64Array)) bad();
  }
  return o as unknown as SteCheckpoint;
}

/** The kept epoch of a checkpoint (see {@link KeptSoFar}), or a ModelFormatError naming the file. */
function validateKept(v: unknown, ste: boolean, sizes: readonly number[], file: string): KeptSoFar {
  const bad = () => fail(file, 'the kept epoch of the training state (for --resume) is corrupt.');
  if (!isObject(v) || !Number.isSafeInteger(v.epoch) || (v.epoch as number) < 1 || !isObject(v.errors)) bad();
  const o = v as Record<string, unknown>;
  if (!Object.values(o.errors as object).every((x) => typeof x === 'number')) bad();
  if (o.rngState !== undefined && !(Array.isArray(o.rngState) && o.rngState.every((x) => typeof x === 'number'))) bad();
  if (o.posterior !== undefined) {
    const p = o.posterior as Record<string, unknown>;
    const L = sizes.length - 1;
    const ok = (a: unknown, len: (l: number) => number) =>
      Array.isArray(a) && a.length === L && a.every((x, l) => x instanceof Float64Array && x.length === len(l));
    if (ste || !isObject(p) || !ok(p.h, (l) => sizes[l] * sizes[l + 1]) || !ok(p.b, (l) => sizes[l + 1]) || o.rngState === undefined) bad();
  }
  if (o.ste !== undefined) {
    if (!ste || o.rngState === undefined) bad();
    validateSte(o.ste, file);
  }
  return o as unknown as KeptSoFar;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v);
}

/** Decode `.ebpb` bytes; every defect is a {@link ModelFormatError} naming the file and the problem. */
export function decodeTrainedModel(bytes: Uint8Array, file = 'model'): LoadedModel {
  let d: { network: PackedModel | null; posterior?: PosteriorStore; meta: FileMeta; kind: 'inference' | 'checkpoint'; formatVersion: number; createdBy: string };
  try {
    const kind = readModelContainer(bytes).header.kind;
    d = kind === 'checkpoint' ? decodeCheckpoint(bytes) : decodeModel(bytes);
  } catch (e) {
    if (e instanceof ModelFormatError) throw new ModelFormatError(`${file}: ${e.message}`, e.code as 'ebp.modelFormat' | 'ebp.unsupportedVersion');
    if (e instanceof EbpError) fail(file, e.message);
    throw e;
  }
  const store = d.posterior ?? null;
  const sizes = (d.network ? d.network.sizes : store!.sizes).slice();
  const K0 = sizes[0];
  const KL = sizes[sizes.length - 1];
  let preprocess: PreprocessSpec;
  if (d.meta.preprocess !== undefined) {
    try {
      preprocess = validatePreprocessSpec(d.meta.preprocess);
    } catch (e) {
      if (e instanceof ModelFormatError) fail(file, e.message.replace(/^./, (c) => c.toLowerCase()));
      throw e;
    }
  } else {
    // A model written by the library: numeric inputs named by featureNames, used as they are.
    const names = d.meta.featureNames;
    if (!names) fail(file, 'the model has neither preprocessing nor feature names, so CSV columns cannot be matched to its inputs.');
    const classes = d.meta.classNames ?? Array.from({ length: KL === 1 ? 2 : KL }, (_, k) => String(k));
    try {
      preprocess = rawNumericSpec(names, classes);
    } catch (e) {
      if (e instanceof ModelFormatError) fail(file, e.message.replace(/^./, (c) => c.toLowerCase()));
      throw e;
    }
  }
  if (featureWidth(preprocess) !== K0) fail(file, `the preprocessing produces ${featureWidth(preprocess)} inputs but the first layer has ${K0}.`);
  const nc = preprocess.label.classes.length;
  if (KL === 1 ? nc !== 2 : nc !== KL) fail(file, `the model has ${nc} class names but ${KL} outputs.`);
  const meta: TrainingRecord = { preprocess };
  const t = d.meta.training as Record<string, unknown> | undefined;
  if (t && isObject(t.config) && isObject(t.result)) {
    meta.training = { config: t.config as unknown as TrainingConfig, result: t.result as unknown as TrainingResult };
  }
  if (t && isObject(t.state)) meta.state = validateState({ ...t.state, rngState: t.rngState }, file);
  if (t && t.trainer === 'ste' && t.ste !== undefined) meta.ste = validateSte(t.ste, file);
  const lineage = lineageOf(t);
  if (lineage.prior !== undefined || lineage.merge !== undefined) meta.lineage = lineage;
  if (t && t.kept !== undefined) meta.kept = validateKept(t.kept, t.trainer === 'ste', sizes, file);
  return {
    file,
    fileBytes: bytes.length,
    formatVersion: d.formatVersion,
    createdBy: d.createdBy,
    kind: d.kind,
    sizes,
    weights: store ? store.weights : d.network && packedLayers(d.network).some((L) => L.type === 'ternaryDense') ? { levels: [-1, 0, 1] } : 'binary',
    network: d.network,
    store,
    meta,
  };
}

function packedLayers(m: PackedModel): readonly XnorLayer[] {
  return m instanceof XnorNetwork ? m.layers : m.members[0].layers;
}

function validateState(s: Record<string, unknown>, file: string): TrainingState {
  const rng = s.rngState;
  const ok =
    Number.isSafeInteger(s.epochsDone) &&
    (s.epochsDone as number) >= 0 &&
    Number.isSafeInteger(s.batchesDone) &&
    (s.batchesDone as number) >= 0 &&
    Array.isArray(rng) &&
    rng.length >= 4 &&
    rng.every((x) => typeof x === 'number' && (Number.isFinite(x) || Number.isNaN(x))) &&
    typeof s.dataHash === 'string';
  if (!ok) fail(file, 'the training state (for --resume) is corrupt.');
  // The generator state must be one setState accepts (checked here, so a bad file is a model-file error).
  try {
    createRng(0).setState(decodeRngState(rng as (number | null)[]));
  } catch {
    fail(file, 'the training state (for --resume) is corrupt: its random generator state is invalid.');
  }
  return {
    epochsDone: s.epochsDone as number,
    batchesDone: s.batchesDone as number,
    rngState: (rng as number[]).map((x) => (Number.isNaN(x) ? null : x)),
    dataHash: s.dataHash as string,
  };
}
