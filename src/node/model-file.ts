/**
 * `.ebpb` model files on disk, the one pair for the library and the CLI: atomic save (src/node/atomic.ts) and
 * load with errors that name the file. `saveModel`/`loadModel` move bytes and decoded networks (`ebp-bnn/node`);
 * `saveTrainedModel`/`loadTrainedModel` add what `ebp train` records (src/train/trained-model.ts). src/model
 * itself stays pure.
 */
import * as fs from 'fs';
import { EbpError, EXIT_CODES, IoError, ModelFormatError } from '../errors';
import { decodeModel, type DecodeOptions, type DecodedModel } from '../model/decode';
import type { PosteriorStore } from '../ebp/posterior';
import type { SteTrainer } from '../ste/trainer';
import { decodeTrainedModel, encodeTrainedModel, type LoadedModel } from '../train/trained-model';
import type { TrainingRecord } from '../train/record';
import type { XnorNetwork } from '../xnor/network';
import { writeFileAtomic } from './atomic';

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
  writeFileAtomic(file, bytes, { force: opts.force ?? false, what: '', overwriteHint: 'pass force to overwrite it' });
}

/**
 * The bytes of a model file. A missing or unreadable file (or a directory) is an {@link IoError} with exit
 * code 3 naming the file as `shownAs`.
 */
export function readModelBytes(file: string, shownAs: string = file): Uint8Array {
  let bytes: Buffer;
  try {
    const st = fs.statSync(file);
    if (st.isDirectory()) throw new IoError(`cannot read model ${shownAs}: it is a directory, expected a model file.`, EXIT_CODES.model);
    bytes = fs.readFileSync(file);
  } catch (e) {
    if (e instanceof EbpError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new IoError(`cannot read model ${shownAs}: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'ENOTDIR' ? 'a part of its path is a file, not a directory' : (e as Error).message}.`, EXIT_CODES.model);
  }
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Read and decode a model file. Format errors keep their class and code, with the file name prepended.
 *
 * @throws {IoError} missing or unreadable file
 * @throws {ModelFormatError} see {@link decodeModel}
 */
export function loadModel(file: string, opts: DecodeOptions = {}): DecodedModel {
  const bytes = readModelBytes(file);
  try {
    return decodeModel(bytes, opts);
  } catch (e) {
    if (e instanceof ModelFormatError) throw new ModelFormatError(`${file}: ${e.message}`, e.code as 'ebp.modelFormat' | 'ebp.unsupportedVersion');
    throw e;
  }
}

/** Write a trained model (or checkpoint) with its training record atomically; returns its size in bytes. */
export function saveTrainedModel(
  file: string, model: PosteriorStore | SteTrainer, record: TrainingRecord, opts: { force: boolean; what?: string; shownAs?: string; network?: XnorNetwork },
): number {
  const bytes = encodeTrainedModel(model, record, { network: opts.network });
  writeFileAtomic(file, bytes, { force: opts.force, what: opts.what ?? 'model file', shownAs: opts.shownAs });
  return bytes.length;
}

/** Read and decode a model written by `ebp train` (or by the library); errors name the file as `shownAs`. */
export function loadTrainedModel(file: string, shownAs: string = file): LoadedModel {
  return decodeTrainedModel(readModelBytes(file, shownAs), shownAs);
}
