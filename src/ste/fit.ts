/**
 * One training epoch of the STE trainer as a generator that yields after every minibatch (src/util/drive.ts
 * drives it for fit and fitAsync), and the reports of fit.
 */
import type { Dataset } from '../data/dataset';
import { rowMajor } from '../tensor/matrix';
import type { SteNetwork } from './network';

/** What one epoch of {@link SteTrainer.fit} measured (passed to `onEpoch` and collected in {@link SteTrainReport}). */
export interface SteEpochReport {
  epoch: number;
  /** Mean over the trained rows of the per-row loss (batch-mean losses weighted by batch size). */
  meanLoss: number;
  /** Online training error (fraction); NaN with trainError 'none'. */
  trainError: number;
  /** Validation error after the epoch (inference mode), NaN without validation data (and for an interrupted epoch). */
  validationError: number;
  /** Seconds in the training loop of the epoch (evaluation excluded). */
  seconds: number;
  evalSeconds: number;
  samplesPerSecond: number;
  /** Learning rate used in this epoch. */
  lr: number;
  /** Rows left out: a last minibatch of one row cannot be batch-normalised and is skipped (as the reference). */
  skippedRows: number;
  interrupted?: boolean;
}

/** What {@link SteTrainer.fit} returns: one report per epoch, and where an interrupted run stopped. */
export interface SteTrainReport {
  epochs: SteEpochReport[];
  /** True when shouldStop ended training inside an epoch. */
  interrupted: boolean;
  /** Minibatches completed (or skipped) in the interrupted epoch (0 when not interrupted). */
  batchesDone: number;
  /** Data-order state at the start of the interrupted epoch (or the current state): pass it back to resume. */
  epochStartRng: number[];
}

/** What one epoch's minibatch loop did. */
export interface EpochPass {
  /** Σ over minibatches of batch loss × rows. */
  lossSum: number;
  errors: number;
  seen: number;
  skipped: number;
  interrupted: boolean;
  /** Index of the minibatch the loop stopped at (the number done or skipped when interrupted). */
  batchesDone: number;
  seconds: number;
}

/** The minibatch loop's inputs for one epoch. */
export interface EpochJob {
  /** Training rows as float32, row-major [n, K0]. */
  X32: Float32Array;
  labels: Int32Array;
  /** This epoch's row order. */
  order: Int32Array;
  batchSize: number;
  /** Minibatches to skip at the start (resume inside an epoch). */
  startBatch: number;
  lr: number;
  /** 1-based number of this epoch, for onBatch. */
  epoch: number;
}

/** The caller's hooks, called as methods of the fit options object. */
export interface EpochHooks {
  shouldStop?: () => boolean;
  onBatch?: (info: { epoch: number; batch: number; batches: number; samples: number }) => void;
}

/** The training rows of `data` as float32 (the precision of the training products), once per fit call. */
export function float32Rows(data: Dataset, K0: number): Float32Array {
  const n = data.labels.length;
  const { data: Xd, offset: xo } = rowMajor(data.X);
  const X32 = new Float32Array(n * K0);
  for (let i = 0; i < n * K0; i++) X32[i] = Xd[xo + i];
  return X32;
}

/**
 * The minibatches of one epoch in `job.order`: each one is loaded, passed forward and backward, and followed by
 * an optimiser step; yields after every minibatch. With batch normalisation a minibatch of one row is skipped.
 */
export function* trainEpoch(net: SteNetwork, job: EpochJob, hooks: EpochHooks): Generator<void, EpochPass, void> {
  const { X32, labels, order, batchSize, lr } = job;
  const K0 = net.sizes[0];
  const bn = net.settings.batchNorm;
  const n = order.length;
  const batches = Math.ceil(n / batchSize);
  const pass: EpochPass = { lossSum: 0, errors: 0, seen: 0, skipped: 0, interrupted: false, batchesDone: 0, seconds: 0 };
  let bi = job.startBatch;
  for (; bi < batches; bi++) {
    if (hooks.shouldStop?.()) {
      pass.interrupted = true;
      break;
    }
    const t0 = performance.now();
    const start = bi * batchSize;
    const B = Math.min(batchSize, n - start);
    if (bn && B < 2) {
      pass.skipped += B;
      continue;
    }
    for (let r = 0; r < B; r++) net.setInputRow(r, X32, order[start + r] * K0);
    const res = net.forwardBackward(B, labels, order.subarray(start, start + B), true);
    net.applyUpdate(lr);
    pass.lossSum += res.loss * B;
    pass.errors += res.errors;
    pass.seen += B;
    pass.seconds += (performance.now() - t0) / 1000;
    hooks.onBatch?.({ epoch: job.epoch, batch: bi + 1, batches, samples: pass.seen });
    yield;
  }
  pass.batchesDone = bi;
  return pass;
}

/** The report of an epoch from its pass (`epoch` is the trainer's completed-epoch count after it). */
export function epochReport(epoch: number, pass: EpochPass, online: boolean, validationError: number, evalSeconds: number, lr: number): SteEpochReport {
  const { seen, seconds } = pass;
  return {
    epoch,
    meanLoss: pass.lossSum / Math.max(seen, 1),
    trainError: online ? pass.errors / Math.max(seen, 1) : NaN,
    validationError,
    seconds,
    evalSeconds,
    samplesPerSecond: seen / seconds,
    lr,
    skippedRows: pass.skipped,
  };
}
