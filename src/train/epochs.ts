import type { Dataset } from '../data/dataset';
import type { EpochReport } from '../ebp/trainer';

/**
 * The one epoch runner of built-in-dataset and CSV training: `EbpTrainer.fitAsync` / `SteTrainer.fitAsync`,
 * which yield to the event loop between minibatches so a SIGINT handler runs (fit itself is synchronous),
 * with a "train until `epochs` are done" target and mid-epoch resume. The result is bit-for-bit the one `fit`
 * gives.
 */
export interface EpochRunOptions<R = EpochReport> extends FitSettings {
  onBatch?: (info: { epoch: number; batch: number; batches: number; rows: number }) => void;
  onEpoch?: (report: R) => void;
}

/** What the runner passes on to the trainer's fitAsync as it is (`epochs` is the runner's target, though). */
interface FitSettings {
  /** Target number of completed epochs. */
  epochs: number;
  batchSize: number;
  validation?: Dataset;
  /** Minibatches of the next epoch already done (a checkpoint written on Ctrl-C). */
  startBatch?: number;
  /** Restart the data-order generator from this seed (fit's `seed`); default: continue the trainer's own stream. */
  seed?: number;
  shouldStop: () => boolean;
}

export interface EpochRunResult {
  interrupted: boolean;
  /** Where an interrupted run stopped: minibatches done in epoch `trainer.epoch + 1`, and that epoch's start state. */
  batchesDone: number;
  epochStartRng: number[];
}

/** What runEpochs needs of a trainer: EbpTrainer and SteTrainer both fit it. */
interface EpochTrainer<R> {
  readonly epoch: number;
  fitAsync(
    data: Dataset,
    opts: FitSettings & {
      onBatch: (info: { epoch: number; batch: number; batches: number; samples: number }) => void;
      onEpoch: (report: R) => void;
    },
  ): Promise<{ interrupted: boolean; batchesDone: number; epochStartRng: number[] }>;
}

export async function runEpochs<R>(trainer: EpochTrainer<R>, data: Dataset, opts: EpochRunOptions<R>): Promise<EpochRunResult> {
  const r = await trainer.fitAsync(data, {
    epochs: Math.max(0, opts.epochs - trainer.epoch),
    batchSize: opts.batchSize,
    validation: opts.validation,
    startBatch: opts.startBatch,
    ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
    shouldStop: opts.shouldStop,
    onBatch: (info) => opts.onBatch?.({ epoch: info.epoch, batch: info.batch, batches: info.batches, rows: info.samples }),
    onEpoch: (report) => void opts.onEpoch?.(report),
  });
  return { interrupted: r.interrupted, batchesDone: r.batchesDone, epochStartRng: r.epochStartRng };
}
