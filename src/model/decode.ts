/**
 * Reading `.ebpb` model files (pure, browser-safe: Uint8Array in). Every defect raises a
 * {@link ModelFormatError} with a precise message; a newer format version has the code
 * 'ebp.unsupportedVersion'. The order of the checks: magic, version, preamble flags, declared sizes
 * (truncation, trailing bytes), CRC-32, header padding, header JSON, tensor table (alignment, bounds,
 * lengths, overlaps, zero gaps), then the layers (shapes, padding bits, finite values).
 */
import { ArgumentError, EbpError, ModelFormatError } from '../errors';
import { PosteriorStore, type Backend } from '../ebp/posterior';
import type { WeightKind } from '../ebp/weights';
import type { XnorBackend } from '../kernels/xnor';
import { XnorNetwork, type XnorLayerSpec } from '../xnor/network';
import { XnorEnsemble } from '../xnor/network';
import type { InputEncoding } from '../xnor/input';
import { firstOverlapRow } from '../xnor/bitpack';
import { crc32 } from './crc32';
import {
  DTYPES, FORMAT_VERSION, SCALE_FORMAT_VERSION, LITTLE_ENDIAN_HOST, MAGIC, PREAMBLE_BYTES, CHECKSUM_BYTES, align8, tensorBytes,
  type Dtype, type LayerEntry, type MetaValue, type ModelHeader, type ModelMeta, type TensorEntry, type TrainingMeta,
} from './format';
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

function fail(message: string): never {
  throw new ModelFormatError(message);
}

const hex = (b: ArrayLike<number>) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');
const hex32 = (v: number) => '0x' + v.toString(16).padStart(8, '0');

/** The validated container: preamble, checksum, header JSON and tensor table. */
export interface ModelContainer {
  formatVersion: number;
  header: ModelHeader;
  /** The payload bytes (a view on the input). */
  payload: Uint8Array;
  tensors: Map<string, TensorEntry>;
}

/** Check the container and the tensor table and parse the header, without building the network. */
export function readModelContainer(bytes: Uint8Array): ModelContainer {
  if (!(bytes instanceof Uint8Array)) fail('a model file must be given as a Uint8Array.');
  const n = bytes.length;
  const m = Math.min(8, n);
  for (let i = 0; i < m; i++) {
    if (bytes[i] !== MAGIC[i]) {
      fail(`not an ebp-bnn model file: it starts with ${hex(bytes.subarray(0, m))}, expected the magic ${hex(MAGIC)} ("EBPBNN\\0\\0").`);
    }
  }
  if (n < PREAMBLE_BYTES) fail(`the file is truncated: it has ${n} bytes, fewer than the ${PREAMBLE_BYTES}-byte preamble.`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(8, true);
  if (version > FORMAT_VERSION) {
    throw new ModelFormatError(
      `model format version ${version} is newer than this ebp-bnn reads (version ${FORMAT_VERSION}); upgrade ebp-bnn.`,
      'ebp.unsupportedVersion',
    );
  }
  if (version < 1) fail(`invalid model format version ${version} (versions start at 1).`);
  const H = view.getUint32(12, true);
  const P = view.getUint32(16, true);
  const flags = view.getUint32(20, true);
  if (flags !== 0) fail(`the preamble has unknown flags ${hex32(flags)} (format version ${version} defines none).`);
  const start = align8(PREAMBLE_BYTES + H);
  const total = start + P + CHECKSUM_BYTES;
  if (n < total) {
    fail(
      `the file is truncated: it has ${n} bytes, its preamble declares ${total} ` +
        `(${PREAMBLE_BYTES}-byte preamble, ${H}-byte header padded to ${start}, ${P}-byte payload, ${CHECKSUM_BYTES}-byte CRC-32).`,
    );
  }
  if (n > total) fail(`the file has ${n - total} unexpected bytes after its ${total} declared bytes (concatenated or corrupt).`);
  const stored = view.getUint32(start + P, true);
  const actual = crc32(bytes, 0, start + P);
  if (stored !== actual) fail(`checksum mismatch: the file records CRC-32 ${hex32(stored)}, its bytes give ${hex32(actual)}; the file is corrupt.`);
  for (let i = PREAMBLE_BYTES + H; i < start; i++) {
    if (bytes[i] !== 0) fail(`non-zero padding byte at offset ${i} after the header (padding must be zero).`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(PREAMBLE_BYTES, PREAMBLE_BYTES + H));
  } catch {
    fail('the header is not valid UTF-8.');
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    fail(`the header is not valid JSON (${(e as Error).message}).`);
  }
  if (!isObject(header)) fail('the header is not a JSON object.');
  if (header.format !== 'ebp-bnn') fail(`the header's "format" is ${JSON.stringify(header.format)}, expected "ebp-bnn".`);
  if (header.version !== version) fail(`the header's "version" ${JSON.stringify(header.version)} differs from the preamble's version ${version}.`);
  if (header.kind !== 'inference' && header.kind !== 'checkpoint') fail(`the header's "kind" is ${JSON.stringify(header.kind)}, expected "inference" or "checkpoint".`);
  const payload = bytes.subarray(start, start + P);
  const tensors = tensorTable(header.tensors, payload);
  return { formatVersion: version, header: header as unknown as ModelHeader, payload, tensors };
}

function tensorTable(list: unknown, payload: Uint8Array): Map<string, TensorEntry> {
  if (!Array.isArray(list)) fail('the header has no "tensors" array.');
  const P = payload.length;
  const map = new Map<string, TensorEntry>();
  list.forEach((t: unknown, i: number) => {
    if (!isObject(t) || typeof t.name !== 'string') fail(`tensor entry ${i} has no name.`);
    const name = t.name;
    if (map.has(name)) fail(`tensor '${name}' is declared twice.`);
    if (!DTYPES.includes(t.dtype as Dtype)) fail(`tensor '${name}' has an unknown dtype ${JSON.stringify(t.dtype)} (known: ${DTYPES.join(', ')}).`);
    const dtype = t.dtype as Dtype;
    const shape = t.shape;
    if (!Array.isArray(shape) || shape.some((s) => !Number.isSafeInteger(s) || s < 0) || (dtype === 'bits' && shape.length < 2)) {
      fail(`tensor '${name}' has an invalid shape ${JSON.stringify(shape)}${dtype === 'bits' ? ' (bits tensors are [..., rows, cols])' : ''}.`);
    }
    const { byteOffset: off, byteLength: len } = t;
    if (!Number.isSafeInteger(off) || (off as number) < 0 || !Number.isSafeInteger(len) || (len as number) < 0) {
      fail(`tensor '${name}' has an invalid byteOffset ${JSON.stringify(off)} or byteLength ${JSON.stringify(len)}.`);
    }
    const o = off as number;
    const l = len as number;
    if (o % 8 !== 0) fail(`tensor '${name}' is misaligned: byteOffset ${o} is not a multiple of 8.`);
    if (o + l > P) fail(`tensor '${name}' is out of bounds: bytes [${o}, ${o + l}) do not fit in the ${P}-byte payload.`);
    const want = tensorBytes(dtype, shape as number[]);
    if (l !== want) fail(`tensor '${name}' has byteLength ${l}, but ${dtype} [${(shape as number[]).join(', ')}] takes ${want} bytes.`);
    map.set(name, { name, dtype, shape: (shape as number[]).slice(), byteOffset: o, byteLength: l, group: typeof t.group === 'string' ? t.group : undefined });
  });
  // No overlaps, and every byte outside the tensors is zero.
  const sorted = [...map.values()].sort((a, b) => a.byteOffset - b.byteOffset);
  let end = 0;
  let prev: TensorEntry | null = null;
  for (const t of sorted) {
    if (prev && t.byteOffset < end && t.byteLength > 0 && prev.byteLength > 0) fail(`tensors '${prev.name}' and '${t.name}' overlap.`);
    checkZero(payload, end, t.byteOffset);
    end = Math.max(end, t.byteOffset + t.byteLength);
    if (t.byteLength > 0) prev = t;
  }
  checkZero(payload, end, P);
  return map;
}

function checkZero(payload: Uint8Array, from: number, to: number): void {
  for (let i = from; i < to; i++) if (payload[i] !== 0) fail(`non-zero byte at payload offset ${i}, outside every tensor (padding must be zero).`);
}

/** Reads tensors out of a validated container. */
class TensorReader {
  constructor(private readonly c: ModelContainer) {}

  entry(name: unknown, what: string, dtypes: readonly Dtype[], shape: readonly number[]): TensorEntry {
    if (typeof name !== 'string') fail(`${what} must name a tensor, got ${JSON.stringify(name)}.`);
    const t = this.c.tensors.get(name);
    if (!t) fail(`${what} refers to tensor '${name}', which is not in the tensor table.`);
    if (!dtypes.includes(t.dtype)) fail(`tensor '${name}' (${what}) has dtype ${t.dtype}, expected ${dtypes.join(' or ')}.`);
    if (t.shape.length !== shape.length || t.shape.some((s, i) => s !== shape[i])) {
      fail(`tensor '${name}' (${what}) has shape [${t.shape.join(', ')}], expected [${shape.join(', ')}].`);
    }
    return t;
  }

  bytes(t: TensorEntry): Uint8Array {
    return this.c.payload.slice(t.byteOffset, t.byteOffset + t.byteLength);
  }

  /** float64 or float32 values as doubles ([n], or [...lead, n]), all finite. */
  reals(name: unknown, what: string, n: number, finite = true, lead: readonly number[] = []): Float64Array {
    const t = this.entry(name, what, ['float64', 'float32'], [...lead, n]);
    const out = readFloats(this.bytes(t), t.dtype as 'float64' | 'float32');
    if (finite) {
      for (let i = 0; i < out.length; i++) if (!Number.isFinite(out[i])) fail(`tensor '${t.name}' (${what}) holds ${out[i]} at index ${i}; values must be finite.`);
    }
    return out;
  }

  /** Packed rows [rows, cols] (or [...lead, rows, cols]) with zero padding bits. */
  bits(name: unknown, what: string, rows: number, cols: number, lead: readonly number[] = []): Int32Array {
    const t = this.entry(name, what, ['bits'], [...lead, rows, cols]);
    const b = this.bytes(t);
    const words = readInt32(b);
    const W = Math.ceil(cols / 32);
    const total = lead.reduce((a, x) => a * x, rows);
    if (cols % 32 !== 0) {
      const pad = ~((1 << (cols % 32)) - 1);
      for (let r = 0; r < total; r++) {
        if ((words[r * W + W - 1] & pad) !== 0) {
          const where = lead.length ? `member ${Math.floor(r / rows)}, row ${r % rows}` : `row ${r}`;
          fail(`tensor '${t.name}' (${what}): ${where} has non-zero padding bits past column ${cols}.`);
        }
      }
    }
    return words;
  }

  any(name: string): Float64Array | Float32Array | Int32Array | Uint8Array {
    const t = this.c.tensors.get(name);
    if (!t) fail(`the metadata refers to tensor '${name}', which is not in the tensor table.`);
    if (t.shape.length !== 1 || t.dtype === 'bits') fail(`tensor '${name}' (metadata) must be one-dimensional, got ${t.dtype} [${t.shape.join(', ')}].`);
    const b = this.bytes(t);
    if (t.dtype === 'float64') return readFloats(b, 'float64');
    if (t.dtype === 'float32') return Float32Array.from(readFloats(b, 'float32'));
    if (t.dtype === 'int32') return readInt32(b);
    return b;
  }
}

function readFloats(b: Uint8Array, dtype: 'float64' | 'float32'): Float64Array {
  const size = dtype === 'float64' ? 8 : 4;
  const n = b.length / size;
  if (LITTLE_ENDIAN_HOST && dtype === 'float64') return new Float64Array(b.buffer, b.byteOffset, n).slice();
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = dtype === 'float64' ? v.getFloat64(8 * i, true) : v.getFloat32(4 * i, true);
  return out;
}

function readInt32(b: Uint8Array): Int32Array {
  if (LITTLE_ENDIAN_HOST) return new Int32Array(b.buffer, b.byteOffset, b.length / 4).slice();
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return Int32Array.from({ length: b.length / 4 }, (_, i) => v.getInt32(4 * i, true));
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
    let words: Int32Array;
    let plus: Int32Array | null = null;
    if (ternary) {
      plus = r.bits(L.plus, `${id} +1 mask`, n, k, lead);
      words = r.bits(L.minus, `${id} −1 mask`, n, k, lead);
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
    } else {
      words = r.bits(L.weights, `${id} weights`, n, k, lead);
    }
    const bias = r.reals(L.bias, `${id} bias`, n, true, lead);
    let threshold: Float64Array | null = null;
    let flip: Uint8Array | null = null;
    if (L.threshold !== undefined || L.flip !== undefined) {
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
    }
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

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
