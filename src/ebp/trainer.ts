import { ArgumentError, DataError, ShapeError } from '../errors';
import { signTargets, type Dataset } from '../data/dataset';
import { decide } from '../util/decide';
import { createRng, type Rng } from '../util/random';
import { rowMajor } from '../tensor/matrix';
import { driveAsync, driveSync } from '../util/drive';
import { deterministicBatch, forEachChunk, forwardBatch } from './forward';
import { PosteriorStore, type InitOptions } from './posterior';
import { backward, update } from './update';
import { workspaceFor, type Workspace } from './workspace';

export interface FitOptions {
  /** Passes over the data. Default 1. */
  epochs?: number;
  /** Rows per minibatch; increments are summed over it (spec §6). Default 10, the authors' setting. */
  batchSize?: number;
  /** Seed of the data order. Default: continue the trainer's own stream (seeded at construction). */
  seed?: number;
  /** Shuffle the rows before every epoch (default true). */
  shuffle?: boolean;
  /** Evaluated after every epoch (EBP-P and EBP-D error). */
  validation?: Dataset;
  /** Called after every epoch; return `false` to stop early. */
  onEpoch?: (report: EpochReport) => void | boolean;
  /** Called after every minibatch (progress bars); cheap. */
  onBatch?: (info: { epoch: number; batch: number; batches: number; samples: number }) => void;
  /**
   * `'online'` (default): training error of EBP-P and EBP-D measured on each minibatch before its update
   * (spec §7 step 2); `'none'`: skip it (pure training throughput).
   */
  trainError?: 'online' | 'none';
  /** Checked before each minibatch; when it returns true training stops there (the report says where). */
  shouldStop?: () => boolean;
  /**
   * Resume inside an epoch: skip the first `startBatch` minibatches of the first epoch. That epoch's order
   * is drawn from the trainer's current data-order state, so restore the state the interrupted epoch
   * started from (`TrainReport.epochStartRng`) first; the result is then identical to an uninterrupted run.
   */
  startBatch?: number;
}

/** {@link EbpTrainer.fitAsync} options: as fit, plus how long to compute between yields to the event loop. */
export interface FitAsyncOptions extends FitOptions {
  /** Milliseconds of training between yields (default 50), so signal handlers and I/O can run. */
  sliceMs?: number;
}

export interface EpochReport {
  epoch: number;
  /** Mean over training rows of −log Z (the probit loss with the weights' uncertainty, spec §4). */
  meanNegLogZ: number;
  /** Online training error (fraction) of EBP-P / EBP-D; NaN with trainError 'none'. */
  trainErrorP: number;
  trainErrorD: number;
  /** Validation error of EBP-P / EBP-D after the epoch (NaN without validation data). */
  validationErrorP: number;
  validationErrorD: number;
  /** Seconds spent in the training loop of this epoch (evaluation excluded). */
  seconds: number;
  evalSeconds: number;
  samplesPerSecond: number;
  /** True when the epoch was cut short by shouldStop. */
  interrupted?: boolean;
  /**
   * Set when mean −log Z exceeds {@link DIVERGENCE_NEG_LOG_Z}: the summed minibatch increments overshoot
   * (spec §11.8), typically on saturated inputs; a smaller batch or standardised inputs help.
   */
  diverged?: boolean;
}

export interface TrainReport {
  epochs: EpochReport[];
  /** True when shouldStop ended training inside an epoch. */
  interrupted: boolean;
  /** Minibatches completed in the interrupted epoch (0 when not interrupted). */
  batchesDone: number;
  /** Data-order state at the start of the interrupted epoch (or the current state): pass it back to resume. */
  epochStartRng: number[];
}

/**
 * Mean −log Z per row above which an epoch is flagged as diverged: the posterior then gives the observed
 * labels probability below e^−10000, while an untrained network starts near K·log 2.
 */
export const DIVERGENCE_NEG_LOG_Z = 1e4;

export interface EbpTrainerConfig extends Omit<InitOptions, 'rng'> {
  /** Input width K_0. */
  inputs: number;
  hidden?: number[];
  outputs: number;
}

/**
 * Trains a {@link PosteriorStore} with EBP. There is no learning rate: the architecture, the prior
 * (initial field scale), the batch size and the number of passes are the only choices (spec §9).
 */
export class EbpTrainer {
  readonly store: PosteriorStore;
  /** Completed epochs. */
  epoch = 0;
  private rng: Rng;

  constructor(store: PosteriorStore, seed = 0) {
    this.store = store;
    this.rng = createRng(seed);
  }

  /** A trainer with a freshly initialised posterior of widths [inputs, ...hidden, outputs]. */
  static create(cfg: EbpTrainerConfig): EbpTrainer {
    if (cfg.hidden !== undefined && !Array.isArray(cfg.hidden)) {
      throw new ArgumentError(`invalid argument. \`hidden\` must be an array of layer widths, e.g. [200]. Value: \`${JSON.stringify(cfg.hidden)}\`.`);
    }
    const sizes = [cfg.inputs, ...(cfg.hidden ?? []), cfg.outputs];
    const seed = cfg.seed ?? 0;
    const store = PosteriorStore.init(sizes, { ...cfg, seed });
    return new EbpTrainer(store, seed + 1);
  }

  /** The data-order generator's state (for checkpoints). */
  rngState(): number[] {
    return this.rng.getState();
  }

  setRngState(state: readonly number[]): void {
    this.rng.setState(state);
  }

  /** Train for `opts.epochs` epochs (synchronously). */
  fit(data: Dataset, opts: FitOptions = {}): TrainReport {
    return driveSync(this.run(data, opts));
  }

  /**
   * {@link fit}, yielding to the event loop every `sliceMs` so that a Ctrl-C handler (`shouldStop`) and
   * other I/O get to run. The minibatches, their order and the resulting posterior are the same as fit's.
   */
  async fitAsync(data: Dataset, opts: FitAsyncOptions = {}): Promise<TrainReport> {
    return driveAsync(this.run(data, opts), opts.sliceMs ?? 50);
  }

  /** The epoch loop, yielding after every minibatch; fit and fitAsync drive it. */
  private *run(data: Dataset, opts: FitOptions): Generator<void, TrainReport, void> {
    const store = this.store;
    const epochs = opts.epochs ?? 1;
    const batchSize = opts.batchSize ?? 10;
    let startBatch = opts.startBatch ?? 0;
    if (!Number.isInteger(epochs) || epochs < 0) throw new ArgumentError(`invalid argument. \`epochs\` must be a non-negative integer. Value: \`${epochs}\`.`);
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new ArgumentError(`invalid argument. \`batchSize\` must be a positive integer. Value: \`${batchSize}\`.`);
    if (!Number.isInteger(startBatch) || startBatch < 0) throw new ArgumentError(`invalid argument. \`startBatch\` must be a non-negative integer. Value: \`${startBatch}\`.`);
    const trainError = opts.trainError ?? 'online';
    if (trainError !== 'online' && trainError !== 'none') {
      throw new ArgumentError(`invalid argument. \`trainError\` must be 'online' or 'none'. Value: \`${JSON.stringify(trainError)}\`.`);
    }
    const { data: X, offset: xo } = checkDataset(store, data, 'training');
    if (opts.validation) checkDataset(store, opts.validation, 'validation');
    const K0 = store.sizes[0];
    const KL = store.sizes[store.sizes.length - 1];
    const n = data.labels.length;
    const batches = Math.ceil(n / batchSize);
    if (startBatch >= batches && epochs > 0) {
      throw new ArgumentError(`invalid argument. \`startBatch\` must be below the ${batches} minibatches of an epoch. Value: \`${startBatch}\`.`);
    }
    if (opts.seed !== undefined) this.rng = createRng(opts.seed);
    const online = trainError === 'online';
    const Y = signTargets(data.labels, data.numClasses, KL).data;
    const ws = workspaceFor(store, batchSize);
    const order = new Int32Array(n);
    const reports: EpochReport[] = [];
    for (let e = 0; e < epochs; e++) {
      const epochStartRng = this.rng.getState();
      for (let i = 0; i < n; i++) order[i] = i;
      if (opts.shuffle ?? true) this.rng.shuffle(order);
      let negLogZ = 0;
      let errP = 0;
      let errD = 0;
      let seen = 0;
      let seconds = 0;
      let bi = startBatch;
      startBatch = 0;
      for (; bi < batches; bi++) {
        if (opts.shouldStop?.()) {
          reports.push(this.epochReport(this.epoch + 1, { negLogZ, errP, errD, seen, seconds, online }, null, true));
          return { epochs: reports, interrupted: true, batchesDone: bi, epochStartRng };
        }
        const t0 = performance.now();
        const start = bi * batchSize;
        const B = Math.min(batchSize, n - start);
        for (let r = 0; r < B; r++) {
          const row = order[start + r];
          ws.x.set(X.subarray(xo + row * K0, xo + (row + 1) * K0), r * K0);
          ws.y.set(Y.subarray(row * KL, (row + 1) * KL), r * KL);
        }
        forwardBatch(store, ws, B, true);
        if (online) {
          errP += countErrors(ws.layers[ws.layers.length - 1].muOut, data.labels, order, start, B, KL);
          deterministicBatch(store, ws, B, true);
          errD += countErrors(ws.layers[ws.layers.length - 1].signOut, data.labels, order, start, B, KL);
        }
        negLogZ -= backward(store, ws, B);
        update(store, ws, B);
        seen += B;
        seconds += (performance.now() - t0) / 1000;
        opts.onBatch?.({ epoch: this.epoch + 1, batch: bi + 1, batches, samples: seen });
        yield;
      }
      store.assertFinite(`after epoch ${this.epoch + 1}`);
      this.epoch++;
      const report = this.epochReport(this.epoch, { negLogZ, errP, errD, seen, seconds, online }, opts.validation ?? null, false);
      reports.push(report);
      if (opts.onEpoch?.(report) === false) break;
    }
    return { epochs: reports, interrupted: false, batchesDone: 0, epochStartRng: this.rng.getState() };
  }

  private epochReport(
    epoch: number,
    t: { negLogZ: number; errP: number; errD: number; seen: number; seconds: number; online: boolean },
    validation: Dataset | null,
    interrupted: boolean,
  ): EpochReport {
    const t1 = performance.now();
    const val = validation ? evaluateErrors(this.store, validation) : { errorP: NaN, errorD: NaN };
    const seen = Math.max(t.seen, 1);
    const report: EpochReport = {
      epoch,
      meanNegLogZ: t.negLogZ / seen,
      trainErrorP: t.online ? t.errP / seen : NaN,
      trainErrorD: t.online ? t.errD / seen : NaN,
      validationErrorP: val.errorP,
      validationErrorD: val.errorD,
      seconds: t.seconds,
      evalSeconds: (performance.now() - t1) / 1000,
      samplesPerSecond: t.seen / Math.max(t.seconds, 1e-9),
    };
    if (interrupted) report.interrupted = true;
    if (report.meanNegLogZ > DIVERGENCE_NEG_LOG_Z) report.diverged = true;
    return report;
  }

  /** EBP-P and EBP-D error on a dataset. */
  evaluate(data: Dataset): { errorP: number; errorD: number } {
    checkDataset(this.store, data, 'evaluation');
    return evaluateErrors(this.store, data);
  }
}

/** Error fractions of EBP-P and EBP-D over a dataset (chunked, allocation-free per chunk). */
export function evaluateErrors(store: PosteriorStore, data: Dataset): { errorP: number; errorD: number } {
  const KL = store.sizes[store.sizes.length - 1];
  let errP = 0;
  let errD = 0;
  forEachChunk(store, data.X, (ws: Workspace, start, nb) => {
    forwardBatch(store, ws, nb, false);
    errP += countErrorsRange(ws.layers[ws.layers.length - 1].muOut, data.labels, start, nb, KL);
    deterministicBatch(store, ws, nb, true);
    errD += countErrorsRange(ws.layers[ws.layers.length - 1].signOut, data.labels, start, nb, KL);
  });
  const n = data.labels.length;
  return { errorP: errP / n, errorD: errD / n };
}

function countErrors(out: Float64Array, labels: Int32Array, order: Int32Array, start: number, B: number, KL: number): number {
  let err = 0;
  for (let r = 0; r < B; r++) if (decide(out, r * KL, KL) !== labels[order[start + r]]) err++;
  return err;
}

function countErrorsRange(out: Float64Array, labels: Int32Array, start: number, B: number, KL: number): number {
  let err = 0;
  for (let r = 0; r < B; r++) if (decide(out, r * KL, KL) !== labels[start + r]) err++;
  return err;
}

/** Check a dataset against the store; returns its features as contiguous row-major data (views are copied once). */
function checkDataset(store: PosteriorStore, data: Dataset, what: string): { data: Float64Array; offset: number } {
  const K0 = store.sizes[0];
  const KL = store.sizes[store.sizes.length - 1];
  const n = data.labels.length;
  if (data.X.shape.length !== 2 || data.X.shape[0] !== n) {
    throw new ShapeError(`${what} data has ${n} labels but X has shape [${data.X.shape.join(', ')}].`, data.X.shape, [n, K0]);
  }
  if (n === 0) throw new DataError(`${what} data has no rows.`);
  if (data.X.shape[1] !== K0) {
    throw new ShapeError(`${what} data has ${data.X.shape[1]} features but the network expects ${K0}.`, data.X.shape, [data.X.shape[0], K0]);
  }
  if (KL === 1 ? data.numClasses > 2 : data.numClasses !== KL) {
    throw new ShapeError(
      `${what} data has ${data.numClasses} classes but the network has ${KL} output${KL === 1 ? '' : 's'} (one output serves two classes, otherwise one per class).`,
    );
  }
  for (let i = 0; i < n; i++) {
    const c = data.labels[i];
    if (!(c >= 0 && c < data.numClasses)) throw new DataError(`${what} data: label ${c} of row ${i} is outside 0..${data.numClasses - 1}.`);
  }
  const X = rowMajor(data.X);
  const d = X.data;
  for (let i = X.offset, e = i + n * K0; i < e; i++) {
    if (!Number.isFinite(d[i])) {
      const r = Math.floor((i - X.offset) / K0);
      throw new DataError(`${what} data: row ${r}, feature ${(i - X.offset) % K0} is ${d[i]}; features must be finite.`);
    }
  }
  return X;
}
