import { ArgumentError, DataError, ShapeError } from '../errors';
import { signTargets, type Dataset } from '../data/dataset';
import { decide } from '../util/decide';
import { createRng, type Rng } from '../util/random';
import { rowMajor } from '../tensor/matrix';
import { driveAsync, driveSync, type Pause } from '../util/drive';
import { check, requireNonNegativeInteger, requireOneOf, requirePositiveInteger } from '../util/validate';
import { forEachChunk, workspaceFor } from './batch';
import { teamCapable } from './parallel';
import { PosteriorStore, type Backend, type InitOptions } from './posterior';
import { serialRunner, teamRunner, teamWorthwhile, type StepRunner } from './runner';
import { EbpTeam, ebpThreadsAvailable, requireThreads } from './team';
import type { Workspace } from './workspace';

/** {@link EbpTrainer.fit} options. */
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

/** What one epoch of {@link EbpTrainer.fit} measured (passed to `onEpoch` and collected in {@link TrainReport}). */
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

/** What {@link EbpTrainer.fit} returns: one report per epoch, and where an interrupted run stopped. */
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

/** Options of an {@link EbpTrainer}: how many threads it trains on. */
export interface EbpTrainerOptions {
  /**
   * Threads a minibatch's passes are split over, 1 to 256 (default 1). The model bytes are the same for any
   * count. Above 1 it needs worker threads (Node: import `ebp-bnn/node` once, which provides them) and the
   * WebAssembly backend; the trainer then trains a copy of the store on a shared WebAssembly memory (read
   * {@link EbpTrainer.store}). JS-backend stores, discrete weights other than binary and ternary, and batches
   * larger than the store's workspace run on one thread. Call {@link EbpTrainer.close} to end the workers
   * early; idle workers never keep a process alive.
   */
  threads?: number;
}

/** {@link EbpTrainer.create} settings: the layer widths and the posterior's initialisation options. */
export interface EbpTrainerConfig extends Omit<InitOptions, 'rng'>, EbpTrainerOptions {
  /** Input width K_0. */
  inputs: number;
  hidden?: number[];
  outputs: number;
}

/**
 * Trains a {@link PosteriorStore} with EBP. There is no learning rate: the architecture, the prior
 * (initial field scale), the batch size and the number of passes are the only choices (spec §9).
 *
 * @example
 * ```ts
 * import { EbpTrainer, makeDataset, matrix } from 'ebp-bnn';
 *
 * // Class 1 when x + y > 0: four points per class.
 * const X = matrix([[1, 0.5], [0.3, 0.9], [0.9, -0.1], [0.2, 0.4], [-1, -0.2], [-0.8, -1], [-0.4, 0.1], [0.1, -0.7]]);
 * const data = makeDataset({ X, labels: Int32Array.from([1, 1, 1, 1, 0, 0, 0, 0]), numClasses: 2 });
 * const trainer = EbpTrainer.create({ inputs: 2, hidden: [16], outputs: 2, weights: 'binary', seed: 1 });
 * const report = trainer.fit(data, { epochs: 30, batchSize: 2, validation: data });
 * console.log(report.epochs[29].validationErrorD); // EBP-D error on the training points
 * ```
 */
export class EbpTrainer {
  readonly store: PosteriorStore;
  /** Completed epochs. */
  epoch = 0;
  private rng: Rng;
  private readonly requestedThreads: number;
  private team: EbpTeam | null = null;
  private runnerCache: StepRunner | null = null;

  /**
   * @param store the posterior to train (with `threads` above 1, a copy of it on shared memory: see {@link EbpTrainer.store})
   * @param seed seed of the data order
   * @throws {ArgumentError} a thread count outside 1..256, or above 1 where worker threads are unavailable
   */
  constructor(store: PosteriorStore, seed = 0, options: EbpTrainerOptions = {}) {
    if (!(store instanceof PosteriorStore)) throw new ArgumentError('invalid argument. `store` must be a PosteriorStore.');
    this.requestedThreads = requireThreads(options.threads ?? 1);
    if (this.requestedThreads > 1) {
      if (!ebpThreadsAvailable()) {
        throw new ArgumentError(`invalid argument. \`threads\` is ${this.requestedThreads}, but worker threads are unavailable here (Node: import 'ebp-bnn/node' once; browsers: threads 1).`);
      }
      if (store.backend === 'wasm' && !store.shared) store = store.sharedClone() ?? store;
    }
    this.store = store;
    this.rng = createRng(seed);
  }

  /** A trainer with a freshly initialised posterior of widths [inputs, ...hidden, outputs]. */
  static create(cfg: EbpTrainerConfig): EbpTrainer {
    check(cfg.hidden === undefined || Array.isArray(cfg.hidden), 'hidden', 'an array of layer widths, e.g. [200]', cfg.hidden);
    const threads = requireThreads(cfg.threads ?? 1);
    const sizes = [cfg.inputs, ...(cfg.hidden ?? []), cfg.outputs];
    const seed = cfg.seed ?? 0;
    const store = PosteriorStore.init(sizes, { ...cfg, seed });
    return new EbpTrainer(store, seed + 1, { threads });
  }

  /**
   * A trainer that starts from `prior`, a previous posterior (continual learning, or one shard of a round of
   * sharded training; docs/algorithm.md). The prior is copied: it stays as it was, e.g. as the base of a
   * later merge. Trained on the same rows in the same order, this continues the run that made the prior.
   */
  static fromPrior(prior: PosteriorStore, seed = 0, backend?: Backend, options: EbpTrainerOptions = {}): EbpTrainer {
    if (!(prior instanceof PosteriorStore)) throw new ArgumentError('invalid argument. `prior` must be a PosteriorStore.');
    return new EbpTrainer(prior.clone(backend), seed, options);
  }

  /** Threads the last fit's minibatches ran on (1 before a fit, and where threads fall back to one). */
  get threads(): number {
    return this.runnerCache?.threads ?? 1;
  }

  /** End the worker threads (a later fit starts new ones). Safe to call at any time, and twice. */
  close(): void {
    teams.unregister(this);
    this.team?.close();
    this.team = null;
    this.runnerCache = null;
  }

  /**
   * The passes of a fit's minibatches of `batch` rows: on a team when threads were asked for, the store allows
   * it and a step has enough work to split ({@link teamWorthwhile}); else on the calling thread (same bytes).
   */
  private runner(ws: Workspace, batch: number): StepRunner {
    const home = this.store.heapWorkspace;
    if (this.requestedThreads > 1 && home !== null && ws === home && teamCapable(this.store) && teamWorthwhile(this.store, batch)) {
      if (this.team === null) {
        this.team = EbpTeam.start(this.store, home, this.requestedThreads);
        teams.register(this, this.team, this);
      }
      this.runnerCache = teamRunner(this.store, home, this.team);
    } else {
      this.runnerCache = serialRunner(this.store);
    }
    return this.runnerCache;
  }

  /** The data-order generator's state (for checkpoints). */
  rngState(): number[] {
    return this.rng.getState();
  }

  /** Restore the data-order generator from {@link EbpTrainer.rngState} (resuming a checkpoint). */
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

  /** The epoch loop (spec §7), yielding after every minibatch; fit and fitAsync drive it. */
  private *run(data: Dataset, opts: FitOptions): Generator<void | Pause, TrainReport, void> {
    const plan = planRun(this.store, data, opts);
    if (opts.seed !== undefined) this.rng = createRng(opts.seed);
    const ws = workspaceFor(this.store, plan.batchSize);
    const runner = this.runner(ws, plan.batchSize);
    const team = this.team;
    // fitAsync lets a new team's workers start before the first step blocks on them (browsers need it).
    if (team !== null && runner.threads > 1 && !team.isStarted) yield () => team.started();
    const order = new Int32Array(plan.n);
    const reports: EpochReport[] = [];
    let startBatch = plan.startBatch;
    for (let e = 0; e < plan.epochs; e++) {
      const epochStartRng = this.rng.getState();
      for (let i = 0; i < plan.n; i++) order[i] = i;
      if (plan.shuffle) this.rng.shuffle(order);
      const tally: Tally = { negLogZ: 0, errP: 0, errD: 0, seen: 0, seconds: 0, online: plan.online };
      for (let bi = startBatch; bi < plan.batches; bi++) {
        if (opts.shouldStop?.()) {
          reports.push(this.epochReport(this.epoch + 1, tally, null, true));
          return { epochs: reports, interrupted: true, batchesDone: bi, epochStartRng };
        }
        this.trainBatch(runner, plan, ws, order, bi, tally);
        opts.onBatch?.({ epoch: this.epoch + 1, batch: bi + 1, batches: plan.batches, samples: tally.seen });
        yield;
      }
      startBatch = 0;
      this.store.assertFinite(`after epoch ${this.epoch + 1}`);
      this.epoch++;
      const report = this.epochReport(this.epoch, tally, opts.validation ?? null, false, runner);
      reports.push(report);
      if (opts.onEpoch?.(report) === false) break;
    }
    return { epochs: reports, interrupted: false, batchesDone: 0, epochStartRng: this.rng.getState() };
  }

  /**
   * Minibatch `bi` of the epoch's order: its rows into the workspace, then the one EBP step (the same as
   * ebpStep's), with the online EBP-P / EBP-D errors counted on the pre-update posterior (spec §7 step 2).
   */
  private trainBatch(runner: StepRunner, plan: RunPlan, ws: Workspace, order: Int32Array, bi: number, t: Tally): void {
    const t0 = performance.now();
    const { K0, KL, X, xo, Y, labels } = plan;
    const start = bi * plan.batchSize;
    const B = Math.min(plan.batchSize, plan.n - start);
    for (let r = 0; r < B; r++) {
      const row = order[start + r];
      ws.x.set(X.subarray(xo + row * K0, xo + (row + 1) * K0), r * K0);
      ws.y.set(Y.subarray(row * KL, (row + 1) * KL), r * KL);
    }
    const observe = (w: Workspace, nb: number): void => {
      const last = w.layers[w.layers.length - 1];
      t.errP += countErrors(last.muOut, labels, order, start, nb, KL);
      runner.deterministic(w, nb, true);
      t.errD += countErrors(last.signOut, labels, order, start, nb, KL);
    };
    t.negLogZ -= runner.step(ws, B, t.online ? observe : undefined);
    t.seen += B;
    t.seconds += (performance.now() - t0) / 1000;
  }

  private epochReport(epoch: number, t: Tally, validation: Dataset | null, interrupted: boolean, runner?: StepRunner): EpochReport {
    const t1 = performance.now();
    const val = validation ? evaluateWith(this.store, validation, runner ?? serialRunner(this.store)) : { errorP: NaN, errorD: NaN };
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
    return evaluateWith(this.store, data, this.runnerCache ?? serialRunner(this.store));
  }
}

/** Ends the workers of a trainer that was dropped without close(). */
const teams = new FinalizationRegistry<EbpTeam>((team) => team.close());

/** Running sums of one epoch. */
interface Tally {
  negLogZ: number;
  errP: number;
  errD: number;
  seen: number;
  seconds: number;
  online: boolean;
}

/** A fit's checked options and its data as contiguous arrays. */
interface RunPlan {
  epochs: number;
  batchSize: number;
  startBatch: number;
  online: boolean;
  shuffle: boolean;
  n: number;
  batches: number;
  K0: number;
  KL: number;
  X: Float64Array;
  xo: number;
  /** ±1 targets, [n, K_L]. */
  Y: Float64Array;
  labels: Int32Array;
}

/** Check the options and the data of a fit. */
function planRun(store: PosteriorStore, data: Dataset, opts: FitOptions): RunPlan {
  const epochs = requireNonNegativeInteger(opts.epochs ?? 1, 'epochs');
  const batchSize = requirePositiveInteger(opts.batchSize ?? 10, 'batchSize');
  const startBatch = requireNonNegativeInteger(opts.startBatch ?? 0, 'startBatch');
  const online = requireOneOf(opts.trainError ?? 'online', 'trainError', ['online', 'none']) === 'online';
  const { data: X, offset: xo } = checkDataset(store, data, 'training');
  if (opts.validation) checkDataset(store, opts.validation, 'validation');
  const KL = store.sizes[store.sizes.length - 1];
  const n = data.labels.length;
  const batches = Math.ceil(n / batchSize);
  check(startBatch < batches || epochs === 0, 'startBatch', `below the ${batches} minibatches of an epoch`, startBatch);
  const Y = signTargets(data.labels, data.numClasses, KL).data;
  return { epochs, batchSize, startBatch, online, shuffle: opts.shuffle ?? true, n, batches, K0: store.sizes[0], KL, X, xo, Y, labels: data.labels };
}

/** Error fractions of EBP-P and EBP-D over a dataset (chunked, allocation-free per chunk). */
export function evaluateErrors(store: PosteriorStore, data: Dataset): { errorP: number; errorD: number } {
  return evaluateWith(store, data, serialRunner(store));
}

/** {@link evaluateErrors} with the passes of `runner` (a trainer's threads: the same results). */
function evaluateWith(store: PosteriorStore, data: Dataset, runner: StepRunner): { errorP: number; errorD: number } {
  const KL = store.sizes[store.sizes.length - 1];
  let errP = 0;
  let errD = 0;
  forEachChunk(store, data.X, (ws: Workspace, start, nb) => {
    runner.forward(ws, nb, false);
    errP += countErrors(ws.layers[ws.layers.length - 1].muOut, data.labels, null, start, nb, KL);
    runner.deterministic(ws, nb, true);
    errD += countErrors(ws.layers[ws.layers.length - 1].signOut, data.labels, null, start, nb, KL);
  });
  const n = data.labels.length;
  return { errorP: errP / n, errorD: errD / n };
}

/** Rows r < B of `out` [B, KL] whose decision differs from the label of row `order[start + r]` (order null: `start + r`). */
function countErrors(out: Float64Array, labels: Int32Array, order: Int32Array | null, start: number, B: number, KL: number): number {
  let err = 0;
  for (let r = 0; r < B; r++) if (decide(out, r * KL, KL) !== labels[order ? order[start + r] : start + r]) err++;
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
