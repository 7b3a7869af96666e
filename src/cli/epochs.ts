import { subset, type Dataset } from '../data/dataset';
import { evaluateErrors, type EbpTrainer, type EpochReport } from '../ebp/trainer';
import { createRng } from '../util/random';

/**
 * Epochs for the CLI, in slices that let the event loop run: `EbpTrainer.fit` is synchronous, so a SIGINT
 * handler could not run before it returns. Each epoch is shuffled exactly as `fit` shuffles (the trainer's
 * data-order generator, Fisher–Yates over 0..n-1), then its minibatches go to `fit` (no shuffling) a slice
 * of about {@link SLICE_SECONDS} at a time. The minibatches and their order are those of one `fit` call,
 * so the posterior is bit-for-bit the same; the only difference is that Ctrl-C is seen between minibatches.
 */
export const SLICE_SECONDS = 0.05;

export interface EpochRunOptions {
  /** Target number of completed epochs. */
  epochs: number;
  batchSize: number;
  validation?: Dataset;
  /** Minibatches of the next epoch already done (a checkpoint written on Ctrl-C). */
  startBatch?: number;
  shouldStop: () => boolean;
  onBatch?: (info: { epoch: number; batch: number; batches: number; rows: number }) => void;
  onEpoch?: (report: EpochReport) => void;
}

export interface EpochRunResult {
  interrupted: boolean;
  /** Where an interrupted run stopped: minibatches done in epoch `trainer.epoch + 1`, and that epoch's start state. */
  batchesDone: number;
  epochStartRng: number[];
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

export async function runEpochs(trainer: EbpTrainer, data: Dataset, opts: EpochRunOptions): Promise<EpochRunResult> {
  const n = data.labels.length;
  const B = opts.batchSize;
  const batches = Math.ceil(n / B);
  const order = new Int32Array(n);
  let startBatch = opts.startBatch ?? 0;
  let perBatch = 0;
  while (trainer.epoch < opts.epochs) {
    const epoch = trainer.epoch + 1;
    const epochStartRng = trainer.rngState();
    const rng = createRng(0);
    rng.setState(epochStartRng);
    for (let i = 0; i < n; i++) order[i] = i;
    rng.shuffle(order);
    trainer.setRngState(rng.getState());
    let b = startBatch;
    startBatch = 0;
    let seen = 0;
    let negLogZ = 0;
    let errP = 0;
    let errD = 0;
    let seconds = 0;
    while (b < batches) {
      await tick();
      const k = perBatch > 0 ? Math.max(1, Math.min(batches - b, Math.round(SLICE_SECONDS / perBatch))) : 1;
      const rows = order.subarray(b * B, Math.min(n, (b + k) * B));
      let done = 0;
      const t0 = performance.now();
      const rep = trainer.fit(subset(data, rows), {
        epochs: 1,
        batchSize: B,
        shuffle: false,
        shouldStop: opts.shouldStop,
        onBatch: (info) => {
          done = info.batch;
          opts.onBatch?.({ epoch, batch: b + info.batch, batches, rows: info.samples });
        },
      }).epochs[0];
      const dt = (performance.now() - t0) / 1000;
      trainer.epoch = epoch - 1;
      const rowsDone = Math.min(done * B, rows.length);
      if (done > 0) {
        perBatch = dt / done;
        seconds += dt;
        seen += rowsDone;
        negLogZ += rep.meanNegLogZ * rowsDone;
        errP += Math.round(rep.trainErrorP * rowsDone);
        errD += Math.round(rep.trainErrorD * rowsDone);
      }
      b += done;
      if (rep.interrupted) return { interrupted: true, batchesDone: b, epochStartRng };
    }
    const t1 = performance.now();
    const val = opts.validation ? evaluateErrors(trainer.store, opts.validation) : { errorP: NaN, errorD: NaN };
    trainer.epoch = epoch;
    opts.onEpoch?.({
      epoch,
      meanNegLogZ: negLogZ / Math.max(seen, 1),
      trainErrorP: errP / Math.max(seen, 1),
      trainErrorD: errD / Math.max(seen, 1),
      validationErrorP: val.errorP,
      validationErrorD: val.errorD,
      seconds,
      evalSeconds: (performance.now() - t1) / 1000,
      samplesPerSecond: seen / Math.max(seconds, 1e-9),
    });
  }
  return { interrupted: false, batchesDone: 0, epochStartRng: trainer.rngState() };
}
