import { DataError } from '../errors';
import { plural } from './format';
import type { CliIo } from './io';

/**
 * `ebp predict --on-error`: what a row that cannot be encoded (a missing or non-numeric cell, a value too
 * far outside the training range, a wrong number of cells) does to a streamed run. `fail` (the default) stops
 * with the data error (file, line and column; exit 2); `skip` leaves the row out of the output; `empty`
 * writes an empty prediction for it, so the output keeps one line per input row.
 */
export type OnRowError = 'fail' | 'skip' | 'empty';
export const ON_ROW_ERROR: readonly OnRowError[] = ['fail', 'skip', 'empty'];

/** Messages of bad rows said on stderr as they are met; the rest are counted. */
const SHOWN = 10;

/** The bad rows of one run under an {@link OnRowError} policy. */
export class RowErrors {
  /** Rows that could not be encoded. */
  count = 0;
  constructor(
    readonly policy: OnRowError,
    private readonly io: CliIo,
  ) {}

  /** A row's error: rethrown under `fail` (and anything but a data error, always), else counted and, for the first rows, said. */
  take(e: unknown): void {
    if (this.policy === 'fail' || !(e instanceof DataError)) throw e;
    this.count++;
    if (this.count <= SHOWN) {
      this.io.stderr(`warning: ${e.message} (${this.policy === 'skip' ? 'row left out' : 'empty prediction written'}: --on-error ${this.policy})\n`);
    }
  }

  /** The closing line of a run with bad rows (null when every row was predicted). */
  summary(): string | null {
    if (this.count === 0) return null;
    const what = this.policy === 'skip' ? 'left out of the output' : 'written as empty predictions';
    const listed = this.count > SHOWN ? `; the first ${SHOWN} are listed above` : '';
    return `warning: ${plural(this.count, 'row')} could not be predicted and ${this.count === 1 ? 'was' : 'were'} ${what} (--on-error ${this.policy})${listed}.`;
  }
}
