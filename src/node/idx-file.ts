import * as fs from 'fs';
import * as zlib from 'zlib';
import { DataError, IoError } from '../errors';
import { parseIdx, type IdxArray } from '../data/idx';

/** True when the bytes start with the gzip magic 0x1f 0x8b. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Read a whole file, gunzipping it when it starts with the gzip magic (whatever its name).
 * Throws {@link IoError} when the file cannot be read, {@link DataError} when the gzip stream is corrupt.
 */
export function readMaybeGzipped(path: string): Buffer {
  let raw: Buffer;
  try {
    raw = fs.readFileSync(path);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const what = err.code === 'ENOENT' ? 'no such file' : err.code === 'EISDIR' ? 'is a directory' : err.message;
    throw new IoError(`cannot read ${path}: ${what}.`);
  }
  if (!isGzip(raw)) return raw;
  try {
    return zlib.gunzipSync(raw);
  } catch (e) {
    throw new DataError(`corrupt gzip data: ${(e as Error).message}.`, { file: path });
  }
}

/** Read an IDX file (see `parseIdx`), gzipped or not. Errors name the file. */
export function readIdxFile(path: string): IdxArray {
  return parseIdx(readMaybeGzipped(path), { file: path });
}
