import * as fs from 'fs';
import * as path from 'path';
import { ArgumentError, EXIT_CODES, IoError } from '../errors';

/** A file a command reads, by resolved path and as typed (`what`: "the training file", "the model", ...). */
export interface InputFile {
  path: string;
  shown: string;
  what: string;
}

/** The file a path ends at: symlinks (of the file or its folders) followed; a missing file by its folder's real path. */
function realPath(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    try {
      return path.join(fs.realpathSync(path.dirname(p)), path.basename(p));
    } catch {
      return path.resolve(p);
    }
  }
}

function sameFile(a: string, b: string): boolean {
  if (realPath(a) === realPath(b)) return true;
  try {
    // Hard links, and paths that differ only in ways realpath keeps (case-insensitive file systems).
    const sa = fs.statSync(a);
    const sb = fs.statSync(b);
    return sa.ino === sb.ino && sa.dev === sb.dev;
  } catch {
    return false;
  }
}

/**
 * Refuse (exit 1) an output that is one of the command's inputs, through symlinks and hard links too, and
 * whatever --force says: writing it would replace what the command is reading (issue 12: `predict M in.csv
 * --out in.csv --force` replaced the input). `-` (stdin) is never a file here.
 */
export function refuseInputAsOutput(out: { path: string; shown: string; flag: string }, inputs: readonly (InputFile | undefined)[]): void {
  for (const input of inputs) {
    if (!input || input.shown === '-') continue;
    if (sameFile(out.path, input.path)) {
      throw new IoError(
        `${out.flag} ${out.shown} is ${input.what} ${input.shown}${out.shown === input.shown ? '' : ' (the same file)'}; writing it would destroy the input, so it is refused even with --force. Choose another output file.`,
        EXIT_CODES.usage,
      );
    }
  }
}

/** `ebp eval data.csv model.ebpb`: the arguments the wrong way round (by their names), a usage error with the fix. */
export function refuseSwappedArguments(command: string, model: string, file: string): void {
  if (/\.(csv|tsv|txt)(\.gz)?$/i.test(model) && /\.ebpb$/i.test(file)) {
    throw new ArgumentError(`the model comes first: ebp ${command} ${file} ${model} (got the data file ${model} where the model belongs).`);
  }
}
