import * as path from 'path';
import { ArgumentError } from '../errors';
import type { CsvSource } from '../node/csv-stream';
import type { CliIo } from './io';

/**
 * CSV inputs of the commands: a path, or `-` for standard input (`ebp predict model.ebpb -`). Paths to pipes
 * (`/dev/stdin`, FIFOs, `<(…)`) are read like files, once and without seeking (src/node/csv-stream.ts).
 */

/** The name of standard input in messages. */
export const STDIN_NAME = 'stdin';

/** What `streamCsv`/`readCsvTable` read for a command-line input: the resolved path, or the io's stdin for `-`. */
export function csvSource(io: CliIo, file: string): CsvSource {
  if (file !== '-') return path.resolve(io.cwd, file);
  if (!io.stdin) throw new ArgumentError('- reads standard input, which this run does not have; give a file name.');
  return io.stdin;
}

/** The input as messages name it: `stdin` for `-`, else as typed. */
export function shownName(file: string): string {
  return file === '-' ? STDIN_NAME : file;
}

/** Standard input can be read once: refuse `-` for more than one input of a command (usage error). */
export function refuseStdinTwice(inputs: readonly { flag: string; file: string | undefined }[]): void {
  const dashes = inputs.filter((i) => i.file === '-');
  if (dashes.length > 1) {
    throw new ArgumentError(`${dashes.map((d) => d.flag).join(' and ')} are both - (standard input), which can be read only once; give one of them as a file.`);
  }
}
