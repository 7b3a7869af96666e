/**
 * Node helpers for `.ebpb` model files: atomic save (temporary file in the same directory, fsync, then
 * link or rename into place) and load with errors that name the file. src/model itself stays pure.
 */
import * as fs from 'fs';
import * as path from 'path';
import { EbpError, IoError, ModelFormatError } from '../errors';
import { decodeModel, type DecodeOptions, type DecodedModel } from '../model/decode';

/** {@link saveModel} options. */
export interface SaveModelOptions {
  /** Replace an existing file. Default false: an existing file raises an IoError. */
  force?: boolean;
}

/**
 * Write model bytes to `file` atomically: readers see either the old file or the complete new one.
 * Without `force` an existing file is never replaced (the final step is a hard link, which fails when
 * the name exists, so there is no check-then-write race).
 *
 * @throws {IoError} the file exists (without force), or the directory is missing or not writable
 */
export function saveModel(file: string, bytes: Uint8Array, opts: SaveModelOptions = {}): void {
  const dir = path.dirname(path.resolve(file));
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${Date.now().toString(36)}${Math.floor(Math.random() * 1e9).toString(36)}.tmp`);
  if (!opts.force && fs.existsSync(file)) throw new IoError(`${file} already exists; pass force to overwrite it.`);
  let fd: number | null = null;
  try {
    fd = fs.openSync(tmp, 'wx', 0o644);
    let off = 0;
    while (off < bytes.length) off += fs.writeSync(fd, bytes, off, bytes.length - off);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = null;
    if (opts.force) fs.renameSync(tmp, file);
    else {
      fs.linkSync(tmp, file);
      fs.unlinkSync(tmp);
    }
    syncDir(dir);
  } catch (e) {
    if (fd !== null) fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'EEXIST') throw new IoError(`${file} already exists; pass force to overwrite it.`);
    if (err.code === 'ENOENT') throw new IoError(`cannot write ${file}: the directory ${dir} does not exist.`);
    if (err.code === 'EACCES' || err.code === 'EPERM' || err.code === 'EROFS') throw new IoError(`cannot write ${file}: permission denied.`);
    throw e;
  }
}

/**
 * Read and decode a model file. Format errors keep their class and code, with the file name prepended.
 *
 * @throws {IoError} missing or unreadable file
 * @throws {ModelFormatError} see {@link decodeModel}
 */
export function loadModel(file: string, opts: DecodeOptions = {}): DecodedModel {
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT') throw new IoError(`${file}: no such model file.`);
    if (err.code === 'EISDIR') throw new IoError(`${file} is a directory, not a model file.`);
    throw new IoError(`cannot read ${file}: ${err.message}`);
  }
  try {
    return decodeModel(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), opts);
  } catch (e) {
    if (e instanceof ModelFormatError) throw new ModelFormatError(`${file}: ${e.message}`, e.code as 'ebp.modelFormat' | 'ebp.unsupportedVersion');
    if (e instanceof EbpError) throw e;
    throw e;
  }
}

function syncDir(dir: string): void {
  let fd: number | null = null;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // directories cannot be opened for fsync on some platforms (Windows); the rename is still atomic
  } finally {
    if (fd !== null) fs.closeSync(fd);
  }
}
