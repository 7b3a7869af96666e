/**
 * The `.ebpb` container (pure, browser-safe: Uint8Array in): preamble, checksum, header JSON and the tensor
 * table checked in the order of docs/model-format.md (magic, version, preamble flags, declared sizes,
 * CRC-32, header padding, header JSON, tensor table: alignment, bounds, lengths, overlaps, zero gaps), and
 * the typed reads of its tensors. src/model/decode.ts builds networks and posteriors from them.
 */
import { ModelFormatError } from '../errors';
import { crc32 } from './crc32';
import {
  DTYPES, FORMAT_VERSION, LITTLE_ENDIAN_HOST, MAGIC, PREAMBLE_BYTES, CHECKSUM_BYTES, align8, tensorBytes,
  type Dtype, type ModelHeader, type TensorEntry,
} from './format';

/** A ModelFormatError: every defect of a file is one. */
export function fail(message: string): never {
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
export class TensorReader {
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

export function readFloats(b: Uint8Array, dtype: 'float64' | 'float32'): Float64Array {
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

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
