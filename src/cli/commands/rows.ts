import { CsvError, delimiterHint, q, type Delimiter } from '../../data/csv-cells';
import { RowEncoder } from '../../data/preprocess';
import { streamCsv, type CsvSource } from '../../node/csv-stream';
import type { CliIo } from '../io';
import type { RowErrors } from '../row-errors';
import type { LoadedModel } from '../../train/trained-model';

/** Rows per batch handed to the predictor. */
export const BATCH_ROWS = 512;

export interface EncodedBatch {
  X: Float64Array;
  labels: Int32Array;
  rows: number;
  /** 1 for a row that could not be encoded (`--on-error empty`): its inputs are zeros and its prediction is empty. */
  empty: Uint8Array;
}

/**
 * Stream a CSV file through a model's preprocessing in batches of {@link BATCH_ROWS} rows (constant memory).
 * Columns are matched by name. With `rowErrors`, a row that cannot be encoded is handled by its policy
 * (src/cli/row-errors.ts) instead of stopping the run. Returns whether the run was interrupted (Ctrl-C) and the number of unseen
 * categories met.
 */
export async function streamEncoded(
  model: LoadedModel,
  file: CsvSource,
  shownAs: string,
  opts: { requireLabel: boolean; delimiter?: Delimiter; io: CliIo; rowErrors?: RowErrors },
  onBatch: (b: EncodedBatch) => void | Promise<void>,
  onHeader?: (encoder: RowEncoder) => void,
): Promise<{ rows: number; interrupted: boolean; unknownCategories: number; imputed: { name: string; count: number }[] }> {
  const spec = model.meta.preprocess;
  let encoder: RowEncoder | null = null;
  let width = 0;
  let X = new Float64Array(0);
  const labels = new Int32Array(BATCH_ROWS);
  const empty = new Uint8Array(BATCH_ROWS);
  let n = 0;
  let total = 0;
  let interrupted = false;
  // A batch may be scored asynchronously (worker threads): the stream waits for it, and the encoder
  // refills X only after it is done.
  const flush = async () => {
    if (n > 0) await onBatch({ X, labels, rows: n, empty });
    total += n;
    n = 0;
    empty.fill(0);
  };
  await streamCsv(file, { delimiter: opts.delimiter, displayName: shownAs, requireLabel: opts.requireLabel }, {
    header: (names, delimiter) => {
      // One column where the model has several (predict allows a one-column file): most likely the wrong delimiter.
      if (names.length === 1 && spec.columns.length > 1) {
        throw new CsvError(
          'header',
          `the header has 1 column (${q(names[0])}), expected the model's ${spec.columns.length} feature columns. ${delimiterHint(delimiter, opts.delimiter !== undefined)}`,
          { file: shownAs, line: 1 },
        );
      }
      encoder = new RowEncoder(spec, names, { file: shownAs, requireLabel: opts.requireLabel });
      width = encoder.width;
      X = new Float64Array(BATCH_ROWS * width);
      onHeader?.(encoder);
    },
    row: (cells, line) => {
      try {
        labels[n] = encoder!.encode(cells, line, X, n * width);
      } catch (e) {
        if (!opts.rowErrors) throw e;
        opts.rowErrors.take(e);
        if (opts.rowErrors.policy === 'skip') return true;
        X.fill(0, n * width, (n + 1) * width);
        labels[n] = -1;
        empty[n] = 1;
      }
      n++;
      if (n === BATCH_ROWS) {
        return flush().then(() => {
          if (opts.io.interrupted?.()) {
            interrupted = true;
            return false;
          }
          return true;
        });
      }
      return true;
    },
  });
  if (!interrupted) await flush();
  const enc = encoder as RowEncoder | null;
  const imputed = enc ? spec.columns.map((c, i) => ({ name: c.name, count: enc.imputed[i] })).filter((c) => c.count > 0) : [];
  return { rows: total, interrupted, unknownCategories: enc ? enc.unknownCategories : 0, imputed };
}
