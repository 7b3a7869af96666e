import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { EXIT_CODES, IoError } from '../errors';

/**
 * The one atomic file writer (the CLI's outputs, `saveModel`, the comparison's results): data goes to a
 * temporary file next to the target (same directory, so the rename stays on one file system), is fsynced, and
 * then takes the target's name in one step. Readers never see a partial file, and a crash leaves the old file
 * (or none) in place. Without `force` an existing file is never replaced: the final step is a hard link, which
 * fails if the name exists (a plain existence check and rename where links are not supported).
 */

/** How a write is described in messages, and whether it may replace a file. */
export interface AtomicOptions {
  force: boolean;
  /** What the file is ('model file', 'checkpoint'; default 'output file'); '' names the file alone. */
  what?: string;
  /** The file as the user gave it (default: `file`). */
  shownAs?: string;
  /** The advice after "already exists" (default the CLI's: pass --force to overwrite it, or choose another name). */
  overwriteHint?: string;
}

const CLI_OVERWRITE_HINT = 'pass --force to overwrite it, or choose another name';

/** `what shown`, or `shown` alone when what is ''. */
function label(what: string, shown: string): string {
  return what === '' ? shown : `${what} ${shown}`;
}

/** Why a file could not be written; `dir` (its directory, and as shown) tells ENOENT's two causes apart. */
function describe(e: unknown, dir?: { path: string; shown: string }): string {
  const err = e as NodeJS.ErrnoException;
  switch (err?.code) {
    case 'ENOENT':
      // Also what a directory that exists but takes no new files (/proc) reports.
      return dir !== undefined && fs.existsSync(dir.path) ? `files cannot be created in ${dir.shown}` : 'the directory does not exist';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ENOSPC':
      return 'no space left on the device';
    case 'EISDIR':
      return 'it is a directory';
    case 'EROFS':
      return 'read-only file system';
    case 'ENOTDIR':
      return 'a part of its path is a file, not a directory';
    default:
      // Without the syscall's path: it names the hidden temporary file, which the user never asked for.
      return (err?.message ?? String(e)).replace(/, \w+ '[^']*'$/, '');
  }
}

/** IoError for a refused overwrite (exit code 1: rerun with --force or another name). */
export function existsError(file: string, what = 'output file', hint = CLI_OVERWRITE_HINT): IoError {
  return new IoError(`${label(what, file)} already exists; ${hint}.`, EXIT_CODES.usage);
}

/**
 * Throw unless `file` may be written: it must not exist (without force) and must not be a directory. With
 * `probe` (the up-front checks of a command) a file is also created and removed in its directory.
 */
export function checkWritable(file: string, force: boolean, what = 'output file', shown = file, probe = true, hint = CLI_OVERWRITE_HINT): void {
  let st: fs.Stats | undefined;
  try {
    st = fs.statSync(file);
  } catch {
    st = undefined;
  }
  // Exit 2 like every other output that cannot be written (a missing directory, no permission).
  if (st?.isDirectory()) throw new IoError(`cannot write ${label(what, shown)}: it is a directory.`, EXIT_CODES.data);
  if (st && !force) throw existsError(shown, what, hint);
  const dir = path.dirname(file);
  if (!fs.existsSync(dir)) throw new IoError(`cannot write ${label(what, shown)}: the directory ${path.dirname(shown)} does not exist.`, EXIT_CODES.data);
  if (!probe) return;
  // Create and remove a probe file now, so that a directory that takes no files (no permission, read-only,
  // /proc) fails before any work rather than when the output is written.
  const probeFile = tempName(file);
  try {
    fs.closeSync(fs.openSync(probeFile, 'wx', 0o644));
  } catch (e) {
    throw new IoError(`cannot write ${label(what, shown)}: ${describe(e, { path: dir, shown: path.dirname(shown) })}.`, EXIT_CODES.data);
  }
  removeQuietly(probeFile);
}

function tempName(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`);
}

function syncDir(dir: string): void {
  try {
    const fd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    // Directories cannot be fsynced everywhere (Windows); the rename itself is still atomic.
  }
}

function commit(tmp: string, file: string, force: boolean, what: string, shown: string, hint: string): void {
  if (force) {
    fs.renameSync(tmp, file);
  } else {
    try {
      fs.linkSync(tmp, file);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') throw existsError(shown, what, hint);
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EXDEV' && code !== 'ENOSYS' && code !== 'EOPNOTSUPP') throw e;
      // File systems without hard links: check, then rename (a small race, but never a partial file).
      if (fs.existsSync(file)) throw existsError(shown, what, hint);
      fs.renameSync(tmp, file);
      return;
    }
    fs.unlinkSync(tmp);
  }
}

function removeQuietly(file: string): void {
  try {
    fs.unlinkSync(file);
  } catch {
    // already gone
  }
}

/** Write `data` to `file` atomically. */
export function writeFileAtomic(file: string, data: Uint8Array | string, opts: AtomicOptions): void {
  const w = new AtomicWriter(file, opts);
  try {
    w.write(data);
    w.commit();
  } catch (e) {
    w.abort();
    throw e;
  }
}

/**
 * A file written in pieces (streamed predictions) that appears under its name only on {@link commit};
 * {@link abort} removes every trace.
 */
export class AtomicWriter {
  readonly file: string;
  private readonly tmp: string;
  private fd: number | null;
  private readonly force: boolean;
  private readonly what: string;
  private readonly shown: string;
  private readonly hint: string;
  private pending: string[] = [];
  private pendingLength = 0;
  private done = false;

  constructor(file: string, opts: AtomicOptions) {
    this.file = file;
    this.force = opts.force;
    this.what = opts.what ?? 'output file';
    this.shown = opts.shownAs ?? file;
    this.hint = opts.overwriteHint ?? CLI_OVERWRITE_HINT;
    // No probe: the temporary file opened next is one.
    checkWritable(file, opts.force, this.what, this.shown, false, this.hint);
    this.tmp = tempName(file);
    try {
      this.fd = fs.openSync(this.tmp, 'wx', 0o644);
    } catch (e) {
      throw new IoError(`cannot write ${label(this.what, this.shown)}: ${describe(e, { path: path.dirname(this.file), shown: path.dirname(this.shown) })}.`, EXIT_CODES.data);
    }
  }

  write(data: Uint8Array | string): void {
    if (this.fd === null) throw new IoError(`internal: ${this.shown} is already closed.`);
    if (typeof data === 'string') {
      this.pending.push(data);
      this.pendingLength += data.length;
      if (this.pendingLength >= 1 << 20) this.flush();
      return;
    }
    this.flush();
    this.writeBytes(data);
  }

  private writeBytes(b: Uint8Array): void {
    try {
      let off = 0;
      while (off < b.length) off += fs.writeSync(this.fd!, b, off, b.length - off);
    } catch (e) {
      throw new IoError(`cannot write ${label(this.what, this.shown)}: ${describe(e)}.`, EXIT_CODES.data);
    }
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    const text = this.pending.join('');
    this.pending = [];
    this.pendingLength = 0;
    this.writeBytes(Buffer.from(text, 'utf8'));
  }

  /** Flush, fsync, and move the file into place. */
  commit(): void {
    if (this.done) return;
    try {
      this.flush();
      fs.fsyncSync(this.fd!);
      fs.closeSync(this.fd!);
      this.fd = null;
      commit(this.tmp, this.file, this.force, this.what, this.shown, this.hint);
      this.done = true;
      syncDir(path.dirname(this.file));
    } catch (e) {
      this.abort();
      if (e instanceof IoError) throw e;
      throw new IoError(`cannot write ${label(this.what, this.shown)}: ${describe(e, { path: path.dirname(this.file), shown: path.dirname(this.shown) })}.`, EXIT_CODES.data);
    }
  }

  /** Drop the temporary file; the target is untouched. */
  abort(): void {
    if (this.fd !== null) {
      try {
        fs.closeSync(this.fd);
      } catch {
        // ignore
      }
      this.fd = null;
    }
    if (!this.done) removeQuietly(this.tmp);
    this.done = true;
  }
}
