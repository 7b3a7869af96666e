/**
 * Typed errors. Every error the library throws on purpose is an {@link EbpError} with a stable
 * `code` (part of the public contract) and the process exit code the CLI maps it to:
 * usage 1, data 2, model file 3, numeric 4.
 */
export type ErrorCode =
  | 'ebp.invalidArgument'
  | 'ebp.shapeMismatch'
  | 'ebp.nonFinite'
  | 'ebp.data'
  | 'ebp.csvInvalid'
  | 'ebp.modelFormat'
  | 'ebp.unsupportedVersion'
  | 'ebp.io'
  | 'ebp.mismatch'
  | 'ebp.usage';

/** Process exit codes of the CLI, by kind of error. */
export const EXIT_CODES = { usage: 1, data: 2, model: 3, numeric: 4 } as const;

/** The base of every error the library throws on purpose: a stable `code` and the CLI's exit code. */
export class EbpError extends Error {
  readonly code: ErrorCode;
  readonly exitCode: number;
  constructor(code: ErrorCode, message: string, exitCode: number) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.exitCode = exitCode;
  }
}

/** A function argument or option is of the wrong kind or out of range. */
export class ArgumentError extends EbpError {
  constructor(message: string) {
    super('ebp.invalidArgument', message, EXIT_CODES.usage);
  }
}

/** Array shapes do not fit together. */
export class ShapeError extends EbpError {
  constructor(
    message: string,
    readonly actual: readonly number[] = [],
    readonly expected: readonly number[] = [],
  ) {
    super('ebp.shapeMismatch', message, EXIT_CODES.usage);
  }
}

/** A NaN or infinity appeared where a finite number is required. */
export class NumericError extends EbpError {
  constructor(message: string) {
    super('ebp.nonFinite', message, EXIT_CODES.numeric);
  }
}

/** Where in a file a data problem was found (1-based line and column). */
export interface DataLocation {
  file?: string;
  line?: number;
  column?: number | string;
}

/** A problem with input data (a dataset file, a data array). */
export class DataError extends EbpError {
  readonly location: DataLocation;
  constructor(message: string, location: DataLocation = {}, code: ErrorCode = 'ebp.data') {
    super(code, formatLocation(location) + message, EXIT_CODES.data);
    this.location = location;
  }
}

/** A model file that cannot be read: wrong magic, newer version, truncated, corrupt. */
export class ModelFormatError extends EbpError {
  constructor(message: string, code: 'ebp.modelFormat' | 'ebp.unsupportedVersion' = 'ebp.modelFormat') {
    super(code, message, EXIT_CODES.model);
  }
}

/** A file-system problem (missing file, refused overwrite). */
export class IoError extends EbpError {
  constructor(message: string, exitCode: number = EXIT_CODES.data) {
    super('ebp.io', message, exitCode);
  }
}

/** What two posteriors or model files that must fit together (a prior and its data, shards and their base) differ in. */
export type MismatchKind = 'architecture' | 'weights' | 'preprocessing' | 'classes' | 'base';

/**
 * Posteriors or model files that must fit together do not: shards merged with another base, of another
 * architecture, weight kind or preprocessing. `differs` names what; exit code 3 (model files).
 */
export class MismatchError extends EbpError {
  constructor(
    message: string,
    readonly differs: MismatchKind,
  ) {
    super('ebp.mismatch', message, EXIT_CODES.model);
  }
}

function formatLocation(loc: DataLocation): string {
  const parts: string[] = [];
  if (loc.file !== undefined) parts.push(loc.file);
  if (loc.line !== undefined) parts.push(`line ${loc.line}`);
  if (loc.column !== undefined) parts.push(`column ${loc.column}`);
  return parts.length > 0 ? parts.join(', ') + ': ' : '';
}
