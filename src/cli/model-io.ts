import * as crypto from 'crypto';
import * as fs from 'fs';
import { EbpError, EXIT_CODES, IoError, ModelFormatError } from '../errors';
import { PosteriorStore } from '../ebp/posterior';
import { normalizeWeightKind, isDiscrete, type WeightKind } from '../ebp/weights';
import { featureWidth, validatePreprocessSpec, type ImputeMethod, type PreprocessSpec, type Scaling } from '../data/preprocess';
import { writeFileAtomic } from './atomic';

/**
 * The one place where the CLI reads and writes model files.
 *
 * INTERIM: until `src/model` (`encodeModel` / `decodeModel`, with an optional posterior group) lands, this
 * module writes a minimal container with the layout of docs/architecture §2.6 — magic `EBPBNN\0\0`, u32
 * format version, u32 header length, a JSON header padded to 8 bytes, then little-endian float64 tensors
 * (`layer{l}/h`, `layer{l}/b`, group `posterior`) and a sha256 checksum of the payload in the header.
 * The CLI's own metadata (preprocessing, class names, training settings and resume state) lives in
 * `header.meta`. Switching to the real encoder only changes {@link encodeModelFile} / {@link decodeModelFile}.
 */

export const MAGIC = Buffer.from('EBPBNN\0\0', 'latin1');
export const FORMAT_VERSION = 1;
const CREATED_BY = 'ebp-bnn@0.1.0';

export type CliWeights = 'binary' | 'gaussian' | 'ternary';
export type ValidationSource = { kind: 'none' } | { kind: 'split'; fraction: number } | { kind: 'file'; file: string };

/** Training settings (everything a resumed run must share with the original run). */
export interface TrainingConfig {
  trainer: 'ebp';
  weights: CliWeights;
  hidden: number[];
  batch: number;
  seed: number;
  /** Target number of epochs. */
  epochs: number;
  label: string;
  categorical: string[];
  impute: ImputeMethod;
  scaling: Scaling;
  validation: ValidationSource;
  /** Base name of the training file. */
  trainFile: string;
}

/** What training produced (no timings: a resumed run must give the same bytes). */
export interface TrainingResult {
  rows: number;
  validationRows: number;
  epochsDone: number;
  /** EBP-P / EBP-D error on the validation data after the last epoch (null without validation data). */
  validationErrorP: number | null;
  validationErrorD: number | null;
}

/** Where training stands, for `--resume`. */
export interface TrainingState {
  epochsDone: number;
  /** Minibatches done in the next epoch (non-zero only for a checkpoint written on Ctrl-C). */
  batchesDone: number;
  /** The data-order generator's state at the start of the next epoch (a NaN is stored as null). */
  rngState: (number | null)[];
  /** sha256 of the encoded training inputs and labels. */
  dataHash: string;
}

export interface ModelMeta {
  preprocess: PreprocessSpec;
  training?: { config: TrainingConfig; result: TrainingResult };
  state?: TrainingState;
}

export interface LayerSummary {
  inputs: number;
  outputs: number;
}

/** A model read from a file. */
export interface LoadedModel {
  file: string;
  fileBytes: number;
  formatVersion: number;
  createdBy: string;
  sizes: number[];
  weights: WeightKind;
  /** The EBP posterior (h and b), needed by the probabilistic and ensemble modes and by --resume. */
  store: PosteriorStore | null;
  meta: ModelMeta;
}

function fail(file: string, what: string): never {
  throw new ModelFormatError(`${file}: ${what}`);
}

interface TensorEntry {
  name: string;
  dtype: string;
  shape: number[];
  group?: string;
  byteOffset: number;
  byteLength: number;
}

/** Encode a posterior and the CLI metadata as model-file bytes. */
export function encodeModelFile(store: PosteriorStore, meta: ModelMeta): Uint8Array {
  const tensors: TensorEntry[] = [];
  let offset = 0;
  const parts: Float64Array[] = [];
  store.layers.forEach((L, l) => {
    for (const [name, data, shape] of [
      [`layer${l}/h`, L.h, [L.outputs, L.inputs]],
      [`layer${l}/b`, L.b, [L.outputs]],
    ] as const) {
      tensors.push({ name, dtype: 'float64', shape: [...shape], group: 'posterior', byteOffset: offset, byteLength: data.length * 8 });
      parts.push(data);
      offset += data.length * 8;
    }
  });
  const payload = Buffer.alloc(offset);
  let o = 0;
  for (const p of parts) {
    for (let i = 0; i < p.length; i++, o += 8) payload.writeDoubleLE(p[i], o);
  }
  const weights = isDiscrete(store.weights) ? { levels: [...store.weights.levels], prior: [...(store.weights.prior ?? [])] } : store.weights;
  const header = {
    format: 'ebp-bnn',
    version: FORMAT_VERSION,
    createdBy: CREATED_BY,
    trainer: 'ebp',
    weights,
    ...(store.weights === 'gaussian' ? { weightVariance: store.weightVariance } : {}),
    layers: store.layers.map((L) => ({ type: 'binaryDense', inputs: L.inputs, outputs: L.outputs, activation: 'sign' })),
    tensors,
    meta,
    checksum: { algo: 'sha256', payload: crypto.createHash('sha256').update(payload).digest('hex') },
  };
  let json = Buffer.from(JSON.stringify(header), 'utf8');
  const pad = (8 - (json.length % 8)) % 8;
  if (pad) json = Buffer.concat([json, Buffer.alloc(pad, 0x20)]);
  const head = Buffer.alloc(16);
  MAGIC.copy(head, 0);
  head.writeUInt32LE(FORMAT_VERSION, 8);
  head.writeUInt32LE(json.length, 12);
  return new Uint8Array(Buffer.concat([head, json, payload]));
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Decode model-file bytes; every defect is a {@link ModelFormatError} naming the file and the problem. */
export function decodeModelFile(bytes: Uint8Array, file = 'model'): LoadedModel {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 16) {
    if (buf.length >= 6 && buf.subarray(0, 6).toString('latin1') !== 'EBPBNN'.slice(0, Math.min(6, buf.length))) {
      fail(file, 'not an ebp-bnn model file (it does not start with the bytes "EBPBNN").');
    }
    fail(file, `the file is truncated: ${buf.length} bytes, expected at least 16 (magic, version, header length).`);
  }
  if (!buf.subarray(0, 8).equals(MAGIC)) fail(file, 'not an ebp-bnn model file (it does not start with the bytes "EBPBNN\\0\\0").');
  const version = buf.readUInt32LE(8);
  if (version > FORMAT_VERSION) {
    throw new ModelFormatError(`${file}: model format version ${version} is newer than this ebp-bnn reads (version ${FORMAT_VERSION}); upgrade ebp-bnn.`, 'ebp.unsupportedVersion');
  }
  if (version < 1) fail(file, `invalid model format version ${version}, expected ${FORMAT_VERSION}.`);
  const H = buf.readUInt32LE(12);
  if (16 + H > buf.length) fail(file, `the file is truncated: the header needs ${H} bytes but only ${buf.length - 16} follow.`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(buf.subarray(16, 16 + H).toString('utf8')) as Record<string, unknown>;
  } catch {
    fail(file, 'the header is corrupt (not valid JSON).');
  }
  if (!isObject(header) || header.format !== 'ebp-bnn') fail(file, 'the header is corrupt (no "format": "ebp-bnn").');
  const payload = buf.subarray(16 + H);
  const tensors = header.tensors;
  if (!Array.isArray(tensors)) fail(file, 'the header is corrupt (no tensor list).');
  const checksum = header.checksum as Record<string, unknown> | undefined;
  const layers = header.layers;
  if (!Array.isArray(layers) || layers.length === 0) fail(file, 'the header is corrupt (no layers).');
  const sizes: number[] = [];
  (layers as unknown[]).forEach((L, l) => {
    if (!isObject(L) || !Number.isSafeInteger(L.inputs) || !Number.isSafeInteger(L.outputs) || (L.inputs as number) < 1 || (L.outputs as number) < 1) {
      fail(file, `layer ${l} of the header is corrupt.`);
    }
    if (l === 0) sizes.push(L.inputs as number);
    else if (sizes[l] !== L.inputs) fail(file, `layer ${l} has ${L.inputs} inputs but layer ${l - 1} has ${sizes[l]} outputs.`);
    sizes.push(L.outputs as number);
  });
  let needed = 0;
  for (const t of tensors as unknown[]) {
    if (!isObject(t) || typeof t.name !== 'string' || !Array.isArray(t.shape) || !Number.isSafeInteger(t.byteOffset) || !Number.isSafeInteger(t.byteLength)) {
      fail(file, 'the tensor list is corrupt.');
    }
    const end = (t.byteOffset as number) + (t.byteLength as number);
    if ((t.byteOffset as number) < 0 || (t.byteLength as number) < 0) fail(file, `tensor ${t.name} has a negative offset or length.`);
    needed = Math.max(needed, end);
  }
  if (payload.length < needed) fail(file, `the file is truncated: the payload has ${payload.length} bytes, the header declares ${needed}.`);
  if (payload.length > needed) fail(file, `the file has ${payload.length - needed} unexpected bytes after the payload (corrupt or concatenated).`);
  if (!isObject(checksum) || checksum.algo !== 'sha256' || typeof checksum.payload !== 'string') fail(file, 'the header has no sha256 checksum.');
  const digest = crypto.createHash('sha256').update(payload).digest('hex');
  if (digest !== checksum.payload) fail(file, 'the payload checksum does not match: the file is corrupt.');
  let weights: WeightKind;
  try {
    weights = normalizeWeightKind(header.weights);
  } catch {
    fail(file, `unknown weight kind ${JSON.stringify(header.weights)}.`);
  }
  const byName = new Map((tensors as TensorEntry[]).map((t) => [t.name, t] as const));
  let store: PosteriorStore | null = null;
  if (byName.has('layer0/h')) {
    const wv = header.weightVariance;
    if (wv !== undefined && !(typeof wv === 'number' && wv > 0 && Number.isFinite(wv))) fail(file, 'invalid weight variance.');
    try {
      store = PosteriorStore.init(sizes, { weights, weightVariance: wv as number | undefined, seed: 0 });
    } catch (e) {
      if (e instanceof EbpError) fail(file, `the layer sizes are invalid (${e.message}).`);
      throw e;
    }
    for (let l = 0; l < sizes.length - 1; l++) {
      const L = store.layers[l];
      for (const [name, dst, shape] of [
        [`layer${l}/h`, L.h, [L.outputs, L.inputs]],
        [`layer${l}/b`, L.b, [L.outputs]],
      ] as const) {
        const t = byName.get(name);
        if (!t) fail(file, `tensor ${name} is missing.`);
        if (t.dtype !== 'float64' || t.shape.length !== shape.length || t.shape.some((s, i) => s !== shape[i])) {
          fail(file, `tensor ${name} has dtype ${t.dtype} and shape [${t.shape}], expected float64 [${shape}].`);
        }
        if (t.byteLength !== dst.length * 8) fail(file, `tensor ${name} has ${t.byteLength} bytes, expected ${dst.length * 8}.`);
        for (let i = 0; i < dst.length; i++) {
          const v = payload.readDoubleLE(t.byteOffset + 8 * i);
          if (!Number.isFinite(v)) fail(file, `tensor ${name} holds ${v} at index ${i}; parameters must be finite.`);
          dst[i] = v;
        }
      }
    }
    store.refresh();
  }
  const metaRaw = header.meta;
  if (!isObject(metaRaw)) fail(file, 'the header has no CLI metadata (preprocessing and class names); was it written by `ebp train`?');
  let preprocess: PreprocessSpec;
  try {
    preprocess = validatePreprocessSpec(metaRaw.preprocess);
  } catch (e) {
    if (e instanceof ModelFormatError) fail(file, e.message);
    throw e;
  }
  if (featureWidth(preprocess) !== sizes[0]) {
    fail(file, `the preprocessing produces ${featureWidth(preprocess)} inputs but the first layer has ${sizes[0]}.`);
  }
  const K = sizes[sizes.length - 1];
  const nc = preprocess.label.classes.length;
  if (K === 1 ? nc !== 2 : nc !== K) fail(file, `the model has ${nc} class names but ${K} outputs.`);
  const meta: ModelMeta = { preprocess };
  if (isObject(metaRaw.training)) meta.training = metaRaw.training as unknown as ModelMeta['training'];
  if (metaRaw.state !== undefined) meta.state = validateState(metaRaw.state, file);
  return {
    file,
    fileBytes: buf.length,
    formatVersion: version,
    createdBy: typeof header.createdBy === 'string' ? header.createdBy : 'unknown',
    sizes,
    weights,
    store,
    meta,
  };
}

function validateState(v: unknown, file: string): TrainingState {
  const s = v as Record<string, unknown>;
  const ok =
    isObject(s) &&
    Number.isSafeInteger(s.epochsDone) &&
    (s.epochsDone as number) >= 0 &&
    Number.isSafeInteger(s.batchesDone) &&
    (s.batchesDone as number) >= 0 &&
    Array.isArray(s.rngState) &&
    s.rngState.length >= 4 &&
    s.rngState.every((x) => x === null || (typeof x === 'number' && Number.isFinite(x))) &&
    typeof s.dataHash === 'string';
  if (!ok) fail(file, 'the training state (for --resume) is corrupt.');
  return s as unknown as TrainingState;
}

/** Read and decode a model file. A missing or unreadable file is an {@link IoError} with exit code 3. */
export function loadModel(file: string, shownAs: string = file): LoadedModel {
  let bytes: Buffer;
  try {
    const st = fs.statSync(file);
    if (st.isDirectory()) throw new IoError(`cannot read model ${shownAs}: it is a directory, expected a model file.`, EXIT_CODES.model);
    bytes = fs.readFileSync(file);
  } catch (e) {
    if (e instanceof EbpError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new IoError(`cannot read model ${shownAs}: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (e as Error).message}.`, EXIT_CODES.model);
  }
  return decodeModelFile(bytes, shownAs);
}

/** Write a model file atomically (refusing to replace an existing file unless `force`). Returns its size. */
export function saveModel(file: string, store: PosteriorStore, meta: ModelMeta, opts: { force: boolean; what?: string; shownAs?: string }): number {
  const bytes = encodeModelFile(store, meta);
  writeFileAtomic(file, bytes, { force: opts.force, what: opts.what ?? 'model file', shownAs: opts.shownAs });
  return bytes.length;
}

/** rngState with NaN written as null (JSON), and back. */
export function encodeRngState(s: readonly number[]): (number | null)[] {
  return s.map((x) => (Number.isNaN(x) ? null : x));
}

export function decodeRngState(s: readonly (number | null)[]): number[] {
  return s.map((x) => (x === null ? NaN : x));
}
