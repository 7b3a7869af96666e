import * as fs from 'fs';
import { Readable, Writable } from 'stream';
import { pipeline } from 'stream/promises';
import * as zlib from 'zlib';
import { parse } from 'csv-parse';
import { EbpError, IoError } from '../errors';
import { csvParseOptions, fromCsvParseError, LineTracker } from '../data/csv';
import { CsvError, detectDelimiter, type Delimiter } from '../data/csv-cells';
import { checkHeader, planColumns, TableBuilder, type ColumnOptions, type RawTable } from '../data/csv-table';

/**
 * Streaming CSV files (RFC 4180 through csv-parse): the file is read in chunks, optionally gunzipped
 * (detected by content), and every record is handed to a callback with the line it starts on, so files
 * larger than memory can be processed. Every problem is an {@link IoError} (the file cannot be read) or a
 * {@link CsvError} naming the file, line and column.
 */

export interface CsvStreamOptions {
  /** Field delimiter; detected from the start of the file when omitted. */
  delimiter?: Delimiter;
  /** Exit code for a missing or unreadable file (default 2, data). */
  ioExitCode?: number;
  /** The file name used in messages (default: the path). */
  displayName?: string;
  /** Whether the file must have a label column besides the features, so at least 2 columns (default true; false for predict). */
  requireLabel?: boolean;
}

/** Callbacks of {@link streamCsv}: the header once, then every record. */
export interface CsvHandlers {
  /** The checked header row (names trimmed). */
  header(names: string[], delimiter: Delimiter): void;
  /**
   * One data record with its 1-based first line. Return `false` to stop reading (the rest is skipped); a
   * promise holds the stream until it settles.
   */
  row(cells: string[], line: number): void | boolean | Promise<void | boolean>;
}

const SAMPLE_BYTES = 65536;

function ioError(file: string, e: unknown, exitCode?: number): IoError {
  const err = e as NodeJS.ErrnoException;
  const why =
    err.code === 'ENOENT'
      ? 'no such file'
      : err.code === 'EISDIR'
        ? 'it is a directory, expected a file'
        : err.code === 'EACCES' || err.code === 'EPERM'
          ? 'permission denied'
          : err.code === 'ENOTDIR'
            ? 'a part of its path is a file, not a directory'
            : err.code === 'ENXIO'
            ? 'it is a socket or a device that cannot be opened by name (to read standard input, give -)'
            : (err.message ?? String(e));
  return new IoError(`cannot read ${file}: ${why}.`, exitCode);
}

function isGzip(b: Buffer): boolean {
  return b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
}

/**
 * Where CSV text comes from: a file path (a regular file, a FIFO, `/dev/stdin`, a shell's `<(…)`) or an open
 * stream (standard input). Either is read once, front to back: nothing seeks, so pipes work.
 */
export type CsvSource = string | NodeJS.ReadableStream;

/** An opened source: its first bytes (for gzip and delimiter detection) and the whole text again as a stream. */
interface OpenedSource {
  head: Buffer;
  /** The head is the whole input. */
  ended: boolean;
  body: Readable;
}

/** Open a source and read its first SAMPLE_BYTES (or all of it when shorter); the body replays them, then the rest. */
async function openSource(src: CsvSource, shown: string, exitCode?: number): Promise<OpenedSource> {
  let stream: NodeJS.ReadableStream;
  if (typeof src === 'string') {
    let st: fs.Stats;
    try {
      st = fs.statSync(src);
    } catch (e) {
      throw ioError(shown, e, exitCode);
    }
    if (st.isDirectory()) throw ioError(shown, Object.assign(new Error('is a directory'), { code: 'EISDIR' }), exitCode);
    stream = fs.createReadStream(src, { highWaterMark: 1 << 20 });
  } else stream = src;
  const it = (stream as AsyncIterable<Buffer | string>)[Symbol.asyncIterator]();
  const chunks: Buffer[] = [];
  let size = 0;
  let ended = false;
  try {
    while (size < SAMPLE_BYTES) {
      const r = await it.next();
      if (r.done) {
        ended = true;
        break;
      }
      const b = typeof r.value === 'string' ? Buffer.from(r.value) : r.value;
      chunks.push(b);
      size += b.length;
    }
  } catch (e) {
    throw ioError(shown, e, exitCode);
  }
  async function* replay(): AsyncGenerator<Buffer> {
    try {
      yield* chunks;
      if (ended) return;
      for (;;) {
        const r = await it.next();
        if (r.done) return;
        yield typeof r.value === 'string' ? Buffer.from(r.value) : r.value;
      }
    } finally {
      // A file opened here is closed when the reader stops early; a given stream is the caller's.
      if (typeof src === 'string') (stream as fs.ReadStream).destroy();
    }
  }
  return { head: Buffer.concat(chunks), ended, body: Readable.from(replay(), { objectMode: false }) };
}

/** The first bytes of a source (gunzipped when compressed) as text, for delimiter detection. */
function sampleText(head: Buffer, shown: string): { text: string; gzip: boolean } {
  const sample = head.subarray(0, SAMPLE_BYTES);
  if (!isGzip(sample)) return { text: sample.toString('utf8'), gzip: false };
  try {
    return { text: zlib.gunzipSync(sample, { finishFlush: zlib.constants.Z_SYNC_FLUSH }).toString('utf8'), gzip: true };
  } catch {
    throw new CsvError('syntax', 'the file starts like gzip but is not valid gzip data.', { file: shown });
  }
}

class Stop extends Error {}

/**
 * Stream the records of a CSV file. Resolves with the number of data rows seen (and whether a handler
 * stopped early). The header must be followed by at least one data row.
 */
export async function streamCsv(file: CsvSource, opts: CsvStreamOptions, handlers: CsvHandlers): Promise<{ rows: number; stopped: boolean; delimiter: Delimiter }> {
  const shown = opts.displayName ?? (typeof file === 'string' ? file : 'stdin');
  const source = await openSource(file, shown, opts.ioExitCode);
  const sample = sampleText(source.head, shown);
  const text = sample.text.charCodeAt(0) === 0xfeff ? sample.text.slice(1) : sample.text;
  if (text.trim() === '' && source.ended && !sample.gzip) {
    source.body.destroy();
    throw new CsvError('empty', 'the file is empty, expected a header row and at least one data row.', { file: shown, line: 1 });
  }
  const delimiter = opts.delimiter ?? detectDelimiter(text);
  const tracker = new LineTracker();
  let header: string[] | null = null;
  let rows = 0;
  let stopped = false;
  const sink = new Writable({
    objectMode: true,
    write(chunk: { record: string[]; info: { empty_lines: number } }, _enc, done) {
      try {
        const line = tracker.next(chunk.record, chunk.info.empty_lines);
        if (header === null) {
          header = checkHeader(chunk.record, shown, opts.requireLabel ?? true, { used: delimiter, given: opts.delimiter !== undefined });
          handlers.header(header, delimiter);
        } else {
          rows++;
          const r = handlers.row(chunk.record, line);
          if (r instanceof Promise) {
            // The stream waits for an asynchronous handler (back-pressure).
            r.then(
              (v) => {
                if (v === false) stopped = true;
                done(v === false ? new Stop() : undefined);
              },
              (e: Error) => done(e),
            );
            return;
          }
          if (r === false) {
            stopped = true;
            throw new Stop();
          }
        }
        done();
      } catch (e) {
        done(e as Error);
      }
    },
  });
  const parser = parse(csvParseOptions(delimiter));
  try {
    if (sample.gzip) await pipeline(source.body, zlib.createGunzip(), parser, sink);
    else await pipeline(source.body, parser, sink);
  } catch (e) {
    if (e instanceof Stop) return { rows, stopped: true, delimiter };
    if (e instanceof EbpError) throw e;
    const err = e as NodeJS.ErrnoException;
    const code = typeof err?.code === 'string' ? err.code : '';
    if (code.startsWith('CSV_')) throw fromCsvParseError(e, shown, code === 'CSV_QUOTE_NOT_CLOSED' ? tracker.nextStart() : undefined);
    if (code.startsWith('Z_') || code.startsWith('ERR_ZLIB')) {
      throw new CsvError('syntax', `the gzip data is corrupt or truncated (${err.message}).`, { file: shown });
    }
    if (typeof err?.errno === 'number' || err?.syscall) throw ioError(shown, e, opts.ioExitCode);
    throw e;
  }
  if (header === null) throw new CsvError('empty', 'the file is empty, expected a header row and at least one data row.', { file: shown, line: 1 });
  if (rows === 0) throw new CsvError('headerOnly', 'the file has a header but no data rows, expected at least one.', { file: shown, line: 2 });
  return { rows, stopped, delimiter };
}

/** Options of {@link readCsvTable}. */
export interface ReadCsvTableOptions extends ColumnOptions, CsvStreamOptions {
  /** Checked every 1024 records: true stops reading (Ctrl-C); the table then holds the rows read so far. */
  shouldStop?: () => boolean;
}

/** Read a whole CSV file into a {@link RawTable} (training data). */
export async function readCsvTable(file: CsvSource, opts: ReadCsvTableOptions = {}): Promise<RawTable> {
  let builder: TableBuilder | null = null;
  let rows = 0;
  const shown = opts.displayName ?? opts.file ?? (typeof file === 'string' ? file : 'stdin');
  const { delimiter } = await streamCsv(file, { ...opts, displayName: shown }, {
    header: (names) => {
      builder = new TableBuilder(planColumns(names, { ...opts, file: shown }));
    },
    row: (cells, line) => {
      if ((++rows & 1023) === 0 && opts.shouldStop?.()) return false;
      builder!.push(cells, line);
    },
  });
  return (builder as unknown as TableBuilder).finish(delimiter);
}
