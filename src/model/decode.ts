/**
 * Reading `.ebpb` model files (pure, browser-safe: Uint8Array in). Every defect raises a
 * {@link ModelFormatError} with a precise message; a newer format version has the code
 * 'ebp.unsupportedVersion'. The container is checked first (src/model/container.ts: magic, version,
 * preamble flags, declared sizes, CRC-32, header padding, header JSON, tensor table), then the layers here
 * (shapes, padding bits, finite values), the posterior and the metadata.
 */
import { ArgumentError, EbpError, ModelFormatError } from '../errors';
import { PosteriorStore, type Backend } from '../ebp/posterior';
import type { WeightKind } from '../ebp/weights';
import type { XnorBackend } from '../kernels/xnor';
import { XnorNetwork, type XnorLayerSpec } from '../xnor/network';
import { XnorEnsemble } from '../xnor/network';
import type { InputEncoding } from '../xnor/input';
import { firstOverlapRow } from '../xnor/bitpack';
import { fail, isObject, readFloats, readModelContainer, TensorReader } from './container';
import { SCALE_FORMAT_VERSION, type MetaValue, type ModelHeader, type ModelMeta, type TrainingMeta } from './format';
import type { PackedModel } from './encode';

/** {@link decodeModel} and {@link decodeCheckpoint} options: the kernels of what they build. */
export interface DecodeOptions {
  /** Kernel backend of the decoded network(s). Default 'auto'. */
  backend?: XnorBackend;
  /** Backend of the decoded posterior store. Default 'auto'. */
  posteriorBackend?: Backend;
}

/** What {@link decodeModel} returns: the packed network or ensemble, the metadata, and the posterior of a checkpoint. */
export interface DecodedModel {
  /** The packed network, or the ensemble for files written from an XnorEnsemble. */
  network: PackedModel;
  meta: ModelMeta;
  /** The EBP posterior of a checkpoint file. */
  posterior?: PosteriorStore;
  kind: 'inference' | 'checkpoint';
  formatVersion: number;
  createdBy: string;
  /** The parsed JSON header, as stored. */
  header: ModelHeader;
}

/** What {@link decodeCheckpoint} returns: the posterior, with the packed network when the file has one. */
export interface DecodedCheckpoint extends Omit<DecodedModel, 'network' | 'posterior'> {
  network: PackedModel | null;
  posterior: PosteriorStore;
}

/**
 * Decode a model file into a packed network (or ensemble), its metadata and, for checkpoints, the
 * posterior.
 *
 * @example
 * ```ts
 * import { PosteriorStore, XnorNetwork, decodeModel, encodeModel, matrix } from 'ebp-bnn';
 *
 * const store = PosteriorStore.init([3, 8, 2], { weights: 'binary', seed: 4 });
 * const saved = XnorNetwork.fromPosterior(store);
 * const loaded = decodeModel(encodeModel(saved, {}, { posterior: store })); // a training checkpoint
 * const X = matrix([[1, 0, -1]]);
 * console.log(loaded.kind, loaded.network.predict(X), saved.predict(X)); // 'checkpoint', the same class
 * ```
 *
 * @throws {ModelFormatError} wrong magic, newer version ('ebp.unsupportedVersion'), truncation, checksum
 *   mismatch, misaligned or out-of-bounds tensors, non-zero padding bits, inconsistent layers, or a
 *   checkpoint without a packed network (use {@link decodeCheckpoint})
 */
export function decodeModel(bytes: Uint8Array, opts: DecodeOptions = {}): DecodedModel {
  const d = decodeAny(bytes, opts);
  if (d.network === null) {
    fail('this file is a training checkpoint without a packed network (e.g. Gaussian weights); read it with decodeCheckpoint.');
  }
  const out: DecodedModel = { ...d, network: d.network };
  if (d.posterior) out.posterior = d.posterior;
  else delete out.posterior;
  return out;
}

/** Decode a checkpoint: the posterior is required, the packed network optional. */
export function decodeCheckpoint(bytes: Uint8Array, opts: DecodeOptions = {}): DecodedCheckpoint {
  const d = decodeAny(bytes, opts);
  if (!d.posterior) fail('this file is an inference model without the posterior group; it cannot resume training.');
  return { ...d, posterior: d.posterior };
}

function decodeAny(bytes: Uint8Array, opts: DecodeOptions): Omit<DecodedModel, 'network'> & { network: PackedModel | null } {
  // A bad option is the caller's mistake, not the file's: an ArgumentError, before the file is read.
  const b = opts.backend;
  if (b !== undefined && b !== 'auto' && b !== 'wasm' && b !== 'js') {
    throw new ArgumentError(`invalid argument. \`backend\` must be 'auto', 'wasm' or 'js'. Value: \`${JSON.stringify(b)}\`.`);
  }
  const c = readModelContainer(bytes);
  const h = c.header as unknown as Record<string, unknown>;
  const r = new TensorReader(c);
  const hasLayers = h.layers !== undefined;
  const hasEnsemble = h.ensemble !== undefined;
  if (hasLayers && hasEnsemble) fail('the header has both "layers" and "ensemble"; a file holds one network or one ensemble.');
  let network: PackedModel | null = null;
  let sizes: number[] | null = null;
  try {
    if (hasLayers || hasEnsemble) {
      const packing = h.packing;
      if (!isObject(packing) || packing.wordBits !== 32 || packing.bitOrder !== 'lsb-first' || packing.oneMeans !== -1 || packing.padding !== 'zero' || packing.rowAligned !== true) {
        fail(`unsupported bit packing ${JSON.stringify(packing)} (this library reads 32-bit words, lsb-first, 1 = −1, zero padding, rows aligned).`);
      }
      if (hasLayers) {
        const specs = layerSpecs(h.layers, '"layers"', 1, r, c.formatVersion)[0];
        sizes = [specs[0].inputs as number, ...specs.map((s) => s.outputs as number)];
        network = XnorNetwork.fromLayers(specs, { input: inputEncoding(h.input, sizes[0], r), backend: opts.backend });
      } else {
        const e = h.ensemble;
        if (!isObject(e) || e.combine !== 'meanSign' || !Number.isSafeInteger(e.members) || (e.members as number) < 1) {
          fail('"ensemble" must be { "combine": "meanSign", "members": M ≥ 1, "layers": [...] } with tensors stacked over the members.');
        }
        const perMember = layerSpecs(e.layers, 'ensemble "layers"', e.members as number, r, c.formatVersion);
        const specs0 = perMember[0];
        const s = [specs0[0].inputs as number, ...specs0.map((x) => x.outputs as number)];
        sizes = s;
        const input = inputEncoding(h.input, s[0], r);
        const members = perMember.map((specs) => XnorNetwork.fromLayers(specs, { input, backend: opts.backend }));
        network = new XnorEnsemble(members);
      }
    }
  } catch (e) {
    throw rethrow(e);
  }
  let posterior: PosteriorStore | undefined;
  if (h.posterior !== undefined) {
    posterior = readPosterior(h.posterior, r, opts.posteriorBackend);
    if (sizes && posterior.sizes.join(',') !== sizes.join(',')) fail(`the posterior has widths [${posterior.sizes}] but the network has [${sizes}].`);
    sizes = posterior.sizes.slice();
  }
  if (!sizes) fail('the file holds neither a network ("layers" or "ensemble") nor a posterior.');
  if ((h.kind === 'checkpoint') !== (posterior !== undefined)) {
    fail(`the header's kind is "${h.kind}" but the file ${posterior ? 'has' : 'has no'} posterior group.`);
  }
  const meta = readMeta(h, sizes, r);
  return {
    network,
    meta,
    posterior,
    kind: h.kind as 'inference' | 'checkpoint',
    formatVersion: c.formatVersion,
    createdBy: typeof h.createdBy === 'string' ? h.createdBy : 'unknown',
    header: c.header,
  };
}

function rethrow(e: unknown): unknown {
  if (e instanceof ModelFormatError || !(e instanceof EbpError)) return e;
  return new ModelFormatError(`the network in the file is invalid: ${e.message}`);
}

/**
 * Layer specs of M networks (M = 1: a single network with unstacked tensors; M > 1 or an ensemble:
 * tensors with a leading dimension M), validated: types, widths, activations, shapes, padding bits,
 * disjoint ternary masks, finite values, 0/1 flip flags.
 */
function layerSpecs(list: unknown, where: string, M: number, r: TensorReader, version: number, stacked = where !== '"layers"'): XnorLayerSpec[][] {
  if (!Array.isArray(list) || list.length === 0) fail(`${where} must be a non-empty array of layers.`);
  const lead = stacked ? [M] : [];
  let prevOut = -1;
  const perLayer = list.map((L: unknown, l: number) => {
    const id = `layer ${l}`;
    if (!isObject(L)) fail(`${id} is not an object.`);
    if (L.type !== 'binaryDense' && L.type !== 'ternaryDense') {
      fail(`${id} has unsupported type ${JSON.stringify(L.type)} (format version ${version} has 'binaryDense' and 'ternaryDense').`);
    }
    const ternary = L.type === 'ternaryDense';
    if (ternary && L.weights !== undefined) fail(`${id} is 'ternaryDense': its weights are the masks "plus" and "minus", it has no "weights".`);
    if (!ternary && (L.plus !== undefined || L.minus !== undefined)) fail(`${id} is 'binaryDense': its weights are "weights", it has no "plus" or "minus" mask.`);
    const K = L.inputs;
    const N = L.outputs;
    if (!Number.isSafeInteger(K) || (K as number) < 1 || !Number.isSafeInteger(N) || (N as number) < 1) {
      fail(`${id} needs positive integer "inputs" and "outputs", got ${JSON.stringify(K)} and ${JSON.stringify(N)}.`);
    }
    if (l > 0 && K !== prevOut) fail(`${id} has ${K} inputs but layer ${l - 1} has ${prevOut} outputs.`);
    prevOut = N as number;
    const last = l === list.length - 1;
    if (L.activation !== (last ? 'none' : 'sign')) {
      fail(`${id} has activation ${JSON.stringify(L.activation)}, expected "${last ? 'none' : 'sign'}" for ${last ? 'the output layer' : 'a hidden layer'}.`);
    }
    const n = N as number;
    const k = K as number;
    const W = Math.ceil(k / 32);
    const { words, plus } = ternary ? ternaryMasks(L, id, n, k, lead, r) : { words: r.bits(L.weights, `${id} weights`, n, k, lead), plus: null };
    const bias = r.reals(L.bias, `${id} bias`, n, true, lead);
    const { threshold, flip } = thresholds(L, id, n, last, lead, r);
    let scale: Float64Array | null = null;
    if (L.scale !== undefined) {
      if (version < SCALE_FORMAT_VERSION) {
        fail(`${id} has a "scale", which format version ${version} does not define (output scales need version ${SCALE_FORMAT_VERSION}, so that older readers refuse the file).`);
      }
      if (!last) fail(`${id} is a hidden layer; only the output layer can have a scale.`);
      scale = r.reals(L.scale, `${id} scale`, n, true, lead);
    }
    return Array.from({ length: M }, (_, m): XnorLayerSpec => {
      const minus = { rows: n, cols: k, wordsPerRow: W, data: words.subarray(m * n * W, (m + 1) * n * W) };
      const spec: XnorLayerSpec = {
        weights: plus ? { plus: { rows: n, cols: k, wordsPerRow: W, data: plus.subarray(m * n * W, (m + 1) * n * W) }, minus } : minus,
        bias: bias.subarray(m * n, (m + 1) * n),
        inputs: k,
        outputs: n,
      };
      if (threshold) spec.threshold = threshold.subarray(m * n, (m + 1) * n);
      if (flip) spec.flip = flip.subarray(m * n, (m + 1) * n);
      if (scale) spec.scale = scale.subarray(m * n, (m + 1) * n);
      return spec;
    });
  });
  return Array.from({ length: M }, (_, m) => perLayer.map((specsOfLayer) => specsOfLayer[m]));
}

/** A ternary layer's +1 and −1 masks (`words` is the −1 mask), checked to be disjoint. */
function ternaryMasks(L: Record<string, unknown>, id: string, n: number, k: number, lead: number[], r: TensorReader): { words: Int32Array; plus: Int32Array } {
  const W = Math.ceil(k / 32);
  const plus = r.bits(L.plus, `${id} +1 mask`, n, k, lead);
  const words = r.bits(L.minus, `${id} −1 mask`, n, k, lead);
  const total = lead.reduce((a, x) => a * x, n);
  const both = firstOverlapRow(plus, words, total, k);
  if (both >= 0) {
    const where = lead.length ? `member ${Math.floor(both / n)}, row ${both % n}` : `row ${both}`;
    let col = 0;
    for (let w = 0; w < W; w++) {
      const x = plus[both * W + w] & words[both * W + w];
      if (x !== 0) {
        col = 32 * w + (31 - Math.clz32(x & -x));
        break;
      }
    }
    fail(`tensors '${L.plus}' and '${L.minus}' (${id} masks): ${where} has column ${col} in both the +1 and the −1 mask; the masks must be disjoint.`);
  }
  return { words, plus };
}

/** A hidden layer's optional thresholds (±∞ allowed) and flip flags. */
function thresholds(L: Record<string, unknown>, id: string, n: number, last: boolean, lead: number[], r: TensorReader): { threshold: Float64Array | null; flip: Uint8Array | null } {
  let threshold: Float64Array | null = null;
  let flip: Uint8Array | null = null;
  if (L.threshold === undefined && L.flip === undefined) return { threshold, flip };
  if (last) fail(`${id} is the output layer; it cannot have a threshold or flip.`);
  if (L.threshold !== undefined) {
    // ±∞ is a constant neuron (always or never +1); NaN has no meaning.
    threshold = r.reals(L.threshold, `${id} threshold`, n, false, lead);
    const bad = threshold.findIndex((v) => Number.isNaN(v));
    if (bad >= 0) fail(`tensor '${L.threshold}' (${id} threshold) holds NaN at index ${bad}; thresholds must be numbers (±Infinity allowed).`);
  }
  if (L.flip !== undefined) {
    const t = r.entry(L.flip, `${id} flip`, ['uint8'], [...lead, n]);
    const f = r.bytes(t);
    const bad = f.findIndex((v) => v > 1);
    if (bad >= 0) fail(`tensor '${t.name}' (${id} flip) holds ${f[bad]} at index ${bad}; flags are 0 or 1.`);
    flip = f;
  }
  return { threshold, flip };
}

function inputEncoding(e: unknown, K0: number, r: TensorReader): InputEncoding {
  if (e === undefined) return { type: 'real' };
  if (!isObject(e)) fail('"input" must be an object.');
  if (e.type === 'real') return { type: 'real' };
  if (e.type === 'binarize') {
    if (typeof e.threshold === 'number') return { type: 'binarize', threshold: e.threshold };
    return { type: 'binarize', threshold: r.reals(e.threshold, 'input threshold', K0, false) };
  }
  if (e.type === 'bitplanes') {
    const { bits, scale, offset } = e;
    if (!Number.isInteger(bits) || (bits as number) < 1 || (bits as number) > 16 || typeof scale !== 'number' || !(scale > 0) || typeof offset !== 'number' || !Number.isFinite(offset)) {
      fail(`"input" bitplanes needs bits in 1..16, a positive scale and a finite offset; got ${JSON.stringify(e)}.`);
    }
    return { type: 'bitplanes', bits: bits as number, scale, offset };
  }
  fail(`"input" has unsupported type ${JSON.stringify(e.type)} (expected real, binarize or bitplanes).`);
}

function readPosterior(p: unknown, r: TensorReader, backend: Backend | undefined): PosteriorStore {
  if (!isObject(p) || !Array.isArray(p.sizes) || !Array.isArray(p.layers)) fail('"posterior" must have "sizes" and "layers".');
  const sizes = p.sizes as unknown[];
  if (sizes.length < 2 || sizes.some((s) => !Number.isSafeInteger(s) || (s as number) < 1) || p.layers.length !== sizes.length - 1) {
    fail(`"posterior" has invalid sizes ${JSON.stringify(sizes)} for ${p.layers.length} layers.`);
  }
  const s = sizes as number[];
  const h: Float64Array[][] = [];
  const b: Float64Array[] = [];
  (p.layers as unknown[]).forEach((L, l) => {
    if (!isObject(L)) fail(`posterior layer ${l} is not an object.`);
    const K = s[l];
    const N = s[l + 1];
    const t = r.entry(L.h, `posterior layer ${l} h`, ['float64'], [N, K]);
    const flat = readFloats(r.bytes(t), 'float64');
    for (let i = 0; i < flat.length; i++) if (!Number.isFinite(flat[i])) fail(`tensor '${t.name}' holds ${flat[i]} at index ${i}; values must be finite.`);
    h.push(Array.from({ length: N }, (_, k) => flat.subarray(k * K, (k + 1) * K)));
    b.push(r.reals(L.b, `posterior layer ${l} b`, N));
  });
  try {
    return PosteriorStore.fromParameters({
      weights: p.weights as WeightKind,
      weightVariance: p.weightVariance as number | undefined,
      h,
      b,
      backend,
    });
  } catch (e) {
    if (e instanceof EbpError) fail(`the posterior in the file is invalid: ${e.message}`);
    throw e;
  }
}

function readMeta(h: Record<string, unknown>, sizes: number[], r: TensorReader): ModelMeta {
  const meta: ModelMeta = {};
  const KL = sizes[sizes.length - 1];
  if (h.classNames !== undefined) {
    const n = KL === 1 ? 2 : KL;
    const c = h.classNames;
    if (!Array.isArray(c) || c.length !== n || c.some((x) => typeof x !== 'string')) {
      fail(`"classNames" must be ${n} strings for ${KL} output${KL === 1 ? '' : 's'}, got ${JSON.stringify(c)}.`);
    }
    meta.classNames = c.slice();
  }
  if (h.featureNames !== undefined) {
    const f = h.featureNames;
    if (!Array.isArray(f) || f.length !== sizes[0] || f.some((x) => typeof x !== 'string')) {
      fail(`"featureNames" must be ${sizes[0]} strings (one per input).`);
    }
    meta.featureNames = f.slice();
  }
  if (h.preprocess !== undefined) meta.preprocess = fromHeaderJson(h.preprocess, r);
  if (h.training !== undefined) {
    const t = fromHeaderJson(h.training, r);
    if (!isObject(t) || (t.trainer !== 'ebp' && t.trainer !== 'ste')) fail('"training" must be an object with "trainer": "ebp" or "ste".');
    meta.training = t as TrainingMeta;
  }
  if (h.extra !== undefined) {
    const x = fromHeaderJson(h.extra, r);
    if (!isObject(x)) fail('"extra" must be an object.');
    meta.extra = x as { [key: string]: MetaValue };
  }
  return meta;
}

function fromHeaderJson(v: unknown, r: TensorReader): MetaValue {
  if (v === null || typeof v === 'boolean' || typeof v === 'string' || typeof v === 'number') return v;
  if (Array.isArray(v)) return v.map((x) => fromHeaderJson(x, r));
  if (isObject(v)) {
    const keys = Object.keys(v);
    if (keys.length === 1 && keys[0] === '$tensor') {
      if (typeof v.$tensor !== 'string') fail(`a metadata "$tensor" reference must be a tensor name, got ${JSON.stringify(v.$tensor)}.`);
      return r.any(v.$tensor);
    }
    if (keys.length === 1 && keys[0] === '$number') {
      if (v.$number === 'NaN') return NaN;
      if (v.$number === 'Infinity') return Infinity;
      if (v.$number === '-Infinity') return -Infinity;
      fail(`a metadata "$number" must be "NaN", "Infinity" or "-Infinity", got ${JSON.stringify(v.$number)}.`);
    }
    const o: { [k: string]: MetaValue } = {};
    for (const k of keys) o[k] = fromHeaderJson(v[k], r);
    return o;
  }
  fail(`unexpected metadata value ${JSON.stringify(v)}.`);
}
