import { parse as parseSync } from 'csv-parse/sync';
import type { DataLocation } from '../errors';
import { CsvError, detectDelimiter, q, type Delimiter } from './csv-cells';
import { checkHeader, planColumns, TableBuilder, type ColumnOptions, type RawTable } from './csv-table';

/**
 * CSV tables for training and prediction (browser-safe: no file system). RFC 4180 text is split into
 * records by csv-parse (quoted fields with delimiters, doubled quotes and line breaks, CRLF, a UTF-8 BOM,
 * blank lines) with the line each starts on; src/data/csv-table.ts checks the records and turns them into a
 * {@link RawTable}, src/data/csv-cells.ts holds the cells, delimiters and their errors. `src/node/csv-stream.ts`
 * streams files through the same code.
 */

/** Follows csv-parse's records to give each one the line it starts on. */
export class LineTracker {
  private end = 0;
  private empty = 0;
  /** `emptyLines`: csv-parse's running count of skipped empty lines. Returns the record's first line. */
  next(cells: readonly string[], emptyLines: number): number {
    const start = this.end + 1 + (emptyLines - this.empty);
    let breaks = 0;
    for (const c of cells) {
      if (c.length > 0 && (c.includes('\n') || c.includes('\r'))) {
        const m = c.match(/\r\n|\r|\n/g);
        breaks += m ? m.length : 0;
      }
    }
    this.empty = emptyLines;
    this.end = start + breaks;
    return start;
  }

  /** The first line after the last record (where an unfinished record started, blank lines aside). */
  nextStart(): number {
    return this.end + 1;
  }
}

/** csv-parse options shared by the sync and streaming readers. */
export function csvParseOptions(delimiter: Delimiter): Record<string, unknown> {
  return {
    bom: true,
    delimiter,
    info: true,
    relax_column_count: true,
    relax_quotes: true,
    skip_empty_lines: true,
    max_record_size: 64 * 1024 * 1024,
  };
}

interface CsvParseErrorLike {
  code?: string;
  message?: string;
  lines?: number;
  column?: number | string;
}

/** Turn an error thrown by csv-parse into a {@link CsvError} with the line. */
export function fromCsvParseError(e: unknown, file?: string, recordStart?: number): CsvError {
  const err = (e ?? {}) as CsvParseErrorLike;
  const line = typeof err.lines === 'number' && err.lines > 0 ? err.lines : undefined;
  const loc: DataLocation = { file, line };
  switch (err.code) {
    case 'CSV_QUOTE_NOT_CLOSED':
      return new CsvError(
        'syntax',
        `a quoted field ${recordStart !== undefined ? `in the row starting here ` : ''}is never closed: the file ends inside quotes, expected a closing double quote (").`,
        { file, line: recordStart ?? line },
      );
    case 'CSV_INVALID_CLOSING_QUOTE':
    case 'CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE': {
      const m = /got "(.*)" at line/.exec(err.message ?? '');
      return new CsvError(
        'syntax',
        `a closing quote is followed by ${m ? q(m[1]) : 'a character'}, expected a delimiter or the end of the row (write a quote inside a quoted field as "").`,
        loc,
      );
    }
    case 'CSV_MAX_RECORD_SIZE':
      return new CsvError('syntax', 'a row is longer than 64 MiB, expected shorter rows (an unclosed quote or a wrong --delimiter?).', loc);
    default:
      return new CsvError('syntax', `the file is not valid CSV: ${(err.message ?? String(e)).replace(/\s+/g, ' ').trim()}`, loc);
  }
}

/** Options of {@link parseCsvText}. */
export interface ParseCsvOptions extends ColumnOptions {
  delimiter?: Delimiter;
}

/** Split CSV text into the header and records with their first lines. Throws {@link CsvError}. */
export function splitCsvText(text: string, opts: { delimiter?: Delimiter; file?: string; requireLabel?: boolean } = {}): { header: string[]; records: { cells: string[]; line: number }[]; delimiter: Delimiter } {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (body.trim() === '') throw new CsvError('empty', 'the file is empty, expected a header row and at least one data row.', { file: opts.file, line: 1 });
  const delimiter = opts.delimiter ?? detectDelimiter(body.slice(0, 65536));
  const tracker = new LineTracker();
  let records: { cells: string[]; line: number }[];
  try {
    const options: Record<string, unknown> = {
      ...csvParseOptions(delimiter),
      bom: false,
      info: false,
      on_record: (record: string[], ctx: { empty_lines: number }) => ({ cells: record, line: tracker.next(record, ctx.empty_lines) }),
    };
    records = (parseSync as (input: string, options: Record<string, unknown>) => unknown)(body, options) as typeof records;
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw fromCsvParseError(e, opts.file, code === 'CSV_QUOTE_NOT_CLOSED' ? tracker.nextStart() : undefined);
  }
  const first = records.shift();
  if (!first) throw new CsvError('empty', 'the file is empty, expected a header row and at least one data row.', { file: opts.file, line: 1 });
  return { header: checkHeader(first.cells, opts.file, opts.requireLabel ?? true, { used: delimiter, given: opts.delimiter !== undefined }), records, delimiter };
}

/** Parse CSV text into a {@link RawTable} (browser-safe; files go through `readCsvTable` in `ebp-bnn/node`). */
export function parseCsvText(text: string, opts: ParseCsvOptions = {}): RawTable {
  const { header, records, delimiter } = splitCsvText(text, opts);
  const builder = new TableBuilder(planColumns(header, opts));
  for (const r of records) builder.push(r.cells, r.line);
  return builder.finish(delimiter);
}
