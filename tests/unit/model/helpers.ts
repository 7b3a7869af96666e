/** Test helpers that rebuild model files with edited headers or payloads and a fresh, valid CRC-32. */
import { crc32 } from '../../../src/model/crc32';

export interface Parts {
  version: number;
  flags: number;
  header: Record<string, any>;
  payload: Uint8Array;
}

export function split(bytes: Uint8Array): Parts {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const H = v.getUint32(12, true);
  const P = v.getUint32(16, true);
  const start = Math.ceil((24 + H) / 8) * 8;
  return {
    version: v.getUint32(8, true),
    flags: v.getUint32(20, true),
    header: JSON.parse(new TextDecoder().decode(bytes.subarray(24, 24 + H))),
    payload: bytes.slice(start, start + P),
  };
}

export function join(p: Parts, headerText?: string): Uint8Array {
  const json = new TextEncoder().encode(headerText ?? JSON.stringify(p.header));
  const start = Math.ceil((24 + json.length) / 8) * 8;
  const out = new Uint8Array(start + p.payload.length + 4);
  const v = new DataView(out.buffer);
  out.set([0x45, 0x42, 0x50, 0x42, 0x4e, 0x4e, 0, 0]);
  v.setUint32(8, p.version, true);
  v.setUint32(12, json.length, true);
  v.setUint32(16, p.payload.length, true);
  v.setUint32(20, p.flags, true);
  out.set(json, 24);
  out.set(p.payload, start);
  v.setUint32(start + p.payload.length, crc32(out, 0, start + p.payload.length), true);
  return out;
}

/** Recompute the trailing CRC-32 after editing bytes in place. */
export function reseal(bytes: Uint8Array): Uint8Array {
  const out = bytes.slice();
  new DataView(out.buffer).setUint32(out.length - 4, crc32(out, 0, out.length - 4), true);
  return out;
}

export function edit(bytes: Uint8Array, f: (p: Parts) => void): Uint8Array {
  const p = split(bytes);
  f(p);
  return join(p);
}
