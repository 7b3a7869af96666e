/**
 * Model files from packed networks (and optionally the EBP posterior): pure, browser-safe,
 * Uint8Array out. Layout and header schema: ./format.ts and docs/model-format.md.
 */
import { ArgumentError } from '../errors';
import type { PosteriorStore } from '../ebp/posterior';
import { XnorEnsemble, XnorNetwork } from '../xnor/network';
import { lastWordMask, packedWords } from '../xnor/bitpack';
import { crc32 } from './crc32';
import {
  BASE_FORMAT_VERSION, CREATED_BY, SCALE_FORMAT_VERSION, LITTLE_ENDIAN_HOST, MAGIC, PREAMBLE_BYTES, CHECKSUM_BYTES, align8, tensorBytes,
  type Dtype, type InputEntry, type LayerEntry, type MetaValue, type ModelHeader, type ModelMeta, type PosteriorEntry, type TensorEntry,
} from './format';

/** What a `.ebpb` file packs: one network, or an ensemble of them. */
export type PackedModel = XnorNetwork | XnorEnsemble;

/** {@link encodeModel} options. */
export interface EncodeOptions {
  /** Add the EBP posterior (h, b per layer, float64): the file becomes a training checkpoint. */
  posterior?: PosteriorStore;
}

type TensorData = Int32Array | Float64Array | Float32Array | Uint8Array;

class PayloadWriter {
  readonly tensors: TensorEntry[] = [];
  private readonly data: TensorData[] = [];
  private size = 0;

  add(name: string, dtype: Dtype, shape: number[], data: TensorData, group: string): string {
    if (this.tensors.some((t) => t.name === name)) throw new ArgumentError(`invalid argument. Two tensors would be named '${name}'.`);
    const byteLength = tensorBytes(dtype, shape);
    const byteOffset = align8(this.size);
    this.tensors.push({ name, dtype, shape, byteOffset, byteLength, group });
    this.data.push(data);
    this.size = byteOffset + byteLength;
    return name;
  }

  get byteLength(): number {
    return this.size;
  }

  /** Write every tensor into out, whose byte `base` (a multiple of 8 from the buffer start) is payload byte 0. */
  write(out: Uint8Array, base: number): void {
    const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
    this.tensors.forEach((t, i) => {
      const d = this.data[i];
      const at = base + t.byteOffset;
      if (d instanceof Uint8Array) out.set(d, at);
      else if (LITTLE_ENDIAN_HOST && out.byteOffset === 0) {
        if (d instanceof Float64Array) new Float64Array(out.buffer, at, d.length).set(d);
        else if (d instanceof Float32Array) new Float32Array(out.buffer, at, d.length).set(d);
        else new Int32Array(out.buffer, at, d.length).set(d);
      } else {
        for (let j = 0; j < d.length; j++) {
          if (d instanceof Float64Array) view.setFloat64(at + 8 * j, d[j], true);
          else if (d instanceof Float32Array) view.setFloat32(at + 4 * j, d[j], true);
          else view.setInt32(at + 4 * j, d[j], true);
        }
      }
    });
  }
}

/**
 * Encode a packed network or ensemble, with optional metadata, as `.ebpb` bytes. With
 * `opts.posterior` the file is a checkpoint that {@link decodeCheckpoint} can resume from.
 *
 * @example
 * ```ts
 * import { PosteriorStore, XnorNetwork, decodeModel, encodeModel } from 'ebp-bnn';
 *
 * const store = PosteriorStore.init([4, 8, 2], { weights: 'binary', seed: 1 });
 * const bytes = encodeModel(XnorNetwork.fromPosterior(store), { classNames: ['no', 'yes'] });
 * const { network, meta } = decodeModel(bytes);
 * console.log(bytes.length, network.sizes, meta.classNames); // ... [4, 8, 2] ['no', 'yes']
 * ```
 *
 * @throws {ArgumentError} metadata that is not JSON-like, or class/feature names of the wrong length
 */
export function encodeModel(model: PackedModel, meta: ModelMeta = {}, opts: EncodeOptions = {}): Uint8Array {
  if (!(model instanceof XnorNetwork) && !(model instanceof XnorEnsemble)) {
    throw new ArgumentError('invalid argument. encodeModel expects an XnorNetwork or an XnorEnsemble.');
  }
  return encode(model, meta, opts.posterior);
}

/**
 * Encode a training checkpoint: the posterior (h, b float64) and metadata, with an optional packed
 * network (omit it for posteriors that have none, e.g. Gaussian weights).
 */
export function encodeCheckpoint(posterior: PosteriorStore, meta: ModelMeta = {}, opts: { network?: PackedModel } = {}): Uint8Array {
  if (!posterior || !Array.isArray(posterior.layers)) throw new ArgumentError('invalid argument. encodeCheckpoint expects a PosteriorStore.');
  return encode(opts.network ?? null, meta, posterior);
}

function encode(model: PackedModel | null, meta: ModelMeta, posterior: PosteriorStore | undefined): Uint8Array {
  if (typeof meta !== 'object' || meta === null) throw new ArgumentError('invalid argument. `meta` must be an object.');
  const w = new PayloadWriter();
  // Key order is the order in the file: fixed fields, network, posterior, metadata, then the tensor table.
  // Version 1 unless an output layer has a scale (version 2: a version-1 reader would ignore it).
  const scaled = model !== null && (model instanceof XnorNetwork ? [model] : model.members).some((n) => n.layers.some((L) => L.scale !== null));
  const version = scaled ? SCALE_FORMAT_VERSION : BASE_FORMAT_VERSION;
  const header: Omit<ModelHeader, 'tensors'> & { tensors?: TensorEntry[] } = {
    format: 'ebp-bnn',
    version,
    kind: posterior ? 'checkpoint' : 'inference',
    createdBy: CREATED_BY,
    packing: { wordBits: 32, bitOrder: 'lsb-first', oneMeans: -1, padding: 'zero', rowAligned: true },
  };
  let sizes: readonly number[];
  if (model) {
    sizes = model.sizes;
    header.input = inputEntry(model, w);
    if (model instanceof XnorNetwork) header.layers = layerEntries([model], false, w);
    else header.ensemble = { combine: 'meanSign', members: model.members.length, layers: layerEntries(model.members, true, w) };
  } else {
    if (!posterior) throw new ArgumentError('invalid argument. A model file needs a network or a posterior.');
    sizes = posterior.sizes;
  }
  if (posterior) {
    if (posterior.sizes.join(',') !== sizes.join(',')) {
      throw new ArgumentError(`invalid argument. The posterior has widths [${posterior.sizes}] but the network has [${sizes}].`);
    }
    const entry: PosteriorEntry = {
      weights: JSON.parse(JSON.stringify(posterior.weights)),
      sizes: posterior.sizes.slice(),
      layers: posterior.layers.map((L, l) => ({
        h: w.add(`posterior/layer${l}/h`, 'float64', [L.outputs, L.inputs], L.h, 'posterior'),
        b: w.add(`posterior/layer${l}/b`, 'float64', [L.outputs], L.b, 'posterior'),
      })),
    };
    if (posterior.weights === 'gaussian') entry.weightVariance = posterior.weightVariance;
    header.posterior = entry;
  }
  const KL = sizes[sizes.length - 1];
  if (meta.classNames !== undefined) {
    const n = KL === 1 ? 2 : KL;
    if (!Array.isArray(meta.classNames) || meta.classNames.length !== n || meta.classNames.some((c) => typeof c !== 'string')) {
      throw new ArgumentError(`invalid argument. \`classNames\` must be ${n} strings (the network has ${KL} output${KL === 1 ? '' : 's'}).`);
    }
    header.classNames = meta.classNames.slice();
  }
  if (meta.featureNames !== undefined) {
    if (!Array.isArray(meta.featureNames) || meta.featureNames.length !== sizes[0] || meta.featureNames.some((c) => typeof c !== 'string')) {
      throw new ArgumentError(`invalid argument. \`featureNames\` must be ${sizes[0]} strings (one per network input).`);
    }
    header.featureNames = meta.featureNames.slice();
  }
  if (meta.preprocess !== undefined) header.preprocess = toHeaderJson(meta.preprocess, 'meta/preprocess', w);
  if (meta.training !== undefined) {
    const t = meta.training;
    if (typeof t !== 'object' || t === null || (t.trainer !== 'ebp' && t.trainer !== 'ste')) {
      throw new ArgumentError("invalid argument. `training.trainer` must be 'ebp' or 'ste'.");
    }
    header.training = toHeaderJson(t as MetaValue, 'meta/training', w);
  }
  if (meta.extra !== undefined) header.extra = toHeaderJson(meta.extra, 'meta/extra', w);

  header.tensors = w.tensors;
  const json = new TextEncoder().encode(JSON.stringify(header));
  const start = align8(PREAMBLE_BYTES + json.length);
  const P = w.byteLength;
  const out = new Uint8Array(start + P + CHECKSUM_BYTES);
  const view = new DataView(out.buffer);
  out.set(MAGIC, 0);
  view.setUint32(8, version, true);
  view.setUint32(12, json.length, true);
  view.setUint32(16, P, true);
  view.setUint32(20, 0, true);
  out.set(json, PREAMBLE_BYTES);
  w.write(out, start);
  view.setUint32(start + P, crc32(out, 0, start + P), true);
  return out;
}

function inputEntry(model: PackedModel, w: PayloadWriter): InputEntry {
  const inp = model.input;
  if (inp.type === 'real') return { type: 'real' };
  if (inp.type === 'bitplanes') return { type: 'bitplanes', bits: inp.bits, scale: inp.scale, offset: inp.offset };
  const t = inp.threshold;
  const uniform = t.every((v) => Object.is(v, t[0])) && Number.isFinite(t[0]);
  return { type: 'binarize', threshold: uniform ? t[0] : w.add('input/threshold', 'float64', [t.length], t, 'input') };
}

/**
 * Layer entries of one network, or of ensemble members stacked along a leading dimension (tensors
 * `ensemble/layer{l}/...` of shape [members, ...]). Members that mix −bias and explicit thresholds in a
 * layer get explicit thresholds for all (threshold = −bias has the same meaning). A layer that is
 * ternary in some member is written as `ternaryDense` for all (a binary layer's masks: +1 = the
 * complement of its sign bits within the row, −1 = its sign bits; the same weights).
 */
function layerEntries(nets: readonly XnorNetwork[], stacked: boolean, w: PayloadWriter): LayerEntry[] {
  const M = nets.length;
  const lead = stacked ? [M] : [];
  const prefix = stacked ? 'ensemble/' : '';
  return nets[0].layers.map((L0, l) => {
    const layers = nets.map((n) => n.layers[l]);
    const p = `${prefix}layer${l}/`;
    const N = L0.outputs;
    const cat = <T extends Int32Array | Float64Array | Uint8Array>(parts: T[], make: (n: number) => T): T => {
      if (parts.length === 1) return parts[0];
      const out = make(parts.reduce((a, x) => a + x.length, 0));
      let o = 0;
      for (const x of parts) {
        out.set(x as never, o);
        o += x.length;
      }
      return out;
    };
    const activation = l === nets[0].layers.length - 1 ? 'none' : 'sign';
    const shape = [...lead, N, L0.inputs];
    const ints = (n: number) => new Int32Array(n);
    const ternary = layers.some((L) => L.type === 'ternaryDense');
    const masks = ternary
      ? {
          plus: w.add(`${p}plus`, 'bits', shape, cat(layers.map((L) => L.plus?.data ?? plusOfBinary(L.weights.data, L.inputs)), ints), 'network'),
          minus: w.add(`${p}minus`, 'bits', shape, cat(layers.map((L) => L.weights.data), ints), 'network'),
        }
      : { weights: w.add(`${p}weights`, 'bits', shape, cat(layers.map((L) => L.weights.data), ints), 'network') };
    const e: LayerEntry = {
      type: ternary ? 'ternaryDense' : 'binaryDense',
      inputs: L0.inputs,
      outputs: N,
      activation,
      ...masks,
      bias: w.add(`${p}bias`, 'float64', [...lead, N], cat(layers.map((L) => L.bias), (n) => new Float64Array(n)), 'network'),
    };
    if (layers.some((L) => L.threshold)) {
      const thr = layers.map((L) => L.threshold ?? Float64Array.from(L.bias, (b) => -b));
      e.threshold = w.add(`${p}threshold`, 'float64', [...lead, N], cat(thr, (n) => new Float64Array(n)), 'network');
    }
    if (layers.some((L) => L.flip)) {
      const flip = layers.map((L) => L.flip ?? new Uint8Array(N));
      e.flip = w.add(`${p}flip`, 'uint8', [...lead, N], cat(flip, (n) => new Uint8Array(n)), 'network');
    }
    if (layers.some((L) => L.scale)) {
      const scale = layers.map((L) => L.scale ?? new Float64Array(N).fill(1));
      e.scale = w.add(`${p}scale`, 'float64', [...lead, N], cat(scale, (n) => new Float64Array(n)), 'network');
    }
    return e;
  });
}

/** The +1 mask of a binary layer's sign bits (bit 1 = −1): every valid bit that is 0, padding bits 0. */
function plusOfBinary(words: Int32Array, K: number): Int32Array {
  const W = packedWords(K);
  const last = lastWordMask(K);
  return Int32Array.from(words, (v, i) => ~v & (i % W === W - 1 ? last : -1));
}

/** Metadata → header JSON: typed arrays become tensors ({"$tensor": name}), non-finite numbers {"$number": "NaN"}. */
function toHeaderJson(v: MetaValue | undefined, path: string, w: PayloadWriter): unknown {
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : { $number: String(v) };
  if (v instanceof Float64Array) return { $tensor: w.add(path, 'float64', [v.length], v, 'meta') };
  if (v instanceof Float32Array) return { $tensor: w.add(path, 'float32', [v.length], v, 'meta') };
  if (v instanceof Int32Array) return { $tensor: w.add(path, 'int32', [v.length], v, 'meta') };
  if (v instanceof Uint8Array) return { $tensor: w.add(path, 'uint8', [v.length], v, 'meta') };
  if (Array.isArray(v)) return v.map((x, i) => toHeaderJson(x, `${path}/${i}`, w));
  if (typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    const keys = Object.keys(v).filter((k) => v[k] !== undefined);
    if (keys.length === 1 && (keys[0] === '$tensor' || keys[0] === '$number')) {
      throw new ArgumentError(`invalid argument. metadata at ${path}: an object whose only key is '${keys[0]}' is reserved.`);
    }
    const o: Record<string, unknown> = {};
    for (const k of keys) o[k] = toHeaderJson(v[k], `${path}/${k.replace(/\//g, '%2F')}`, w);
    return o;
  }
  throw new ArgumentError(`invalid argument. metadata at ${path} must be JSON (null, boolean, number, string, array, plain object) or a typed array; got ${describe(v)}.`);
}

function describe(v: unknown): string {
  if (v === undefined) return 'undefined';
  if (typeof v === 'object' && v !== null) return v.constructor?.name ?? 'an object';
  return typeof v;
}
