/**
 * STE trainer: the Binarized Neural Network recipe (Hubara, Courbariaux, Soudry, El-Yaniv & Bengio 2016) for
 * dense layers, matching the PyTorch reference ../shared/anchors/ste_anchor.py (see docs/ste.md):
 *   - latent real weights W ~ U(−1, 1), clipped to [−1, 1] after every step; the forward pass uses sign(W)
 *     (sign(0) = +1) and the gradient with respect to sign(W) is applied to W unchanged (identity STE);
 *   - hidden activations sign(z), backward through the hard-tanh straight-through gradient 1[|z| ≤ 1];
 *   - batch normalisation (ε = 1e-4, momentum 0.1, affine, no biases) before every sign and on the output, or
 *     without it a real bias and the scaling z = (sign(W)·v + b)/√(K+1);
 *   - squared hinge loss on ±1 one-hot targets (or softmax cross-entropy), Adam (0.9, 0.999, 1e-8) with a learning
 *     rate decayed exponentially per epoch: epoch e (0-based) uses lrStart·(lrEnd/lrStart)^(e/T);
 *   - minibatches (default 100), rows shuffled every epoch; every random draw from the seeded generator.
 */
import { decide } from '../util/decide';
import { ArgumentError, DataError, ShapeError } from '../errors';
import type { Dataset } from '../data/dataset';
import { rowMajor, type Matrix } from '../tensor/matrix';
import ndarray from 'ndarray';
import { createRng, type Rng } from '../util/random';
import { driveAsync, driveSync } from '../util/drive';
import { ADAM_DEFAULTS } from './adam';
import { foldNeuron, type SignLayer, type SignNetwork } from './fold';
import { lossAndGradient, type SteLoss } from './loss';
import { SteNetwork, type SteBackend, type SteLayerGradients, type SteLayerMoments, type SteLayerParameters } from './network';

export interface SteTrainerConfig {
  /** Input width. */
  inputs: number;
  /** Hidden layer widths (default none). */
  hidden?: number[];
  /** Output width: one per class, or 1 for two classes (squared hinge only). */
  outputs: number;
  /** Batch normalisation before every sign and on the output (default true). */
  batchNorm?: boolean;
  /** Default 'squared-hinge'. */
  loss?: SteLoss;
  /** Learning rate of the first epoch. */
  lrStart: number;
  /** Learning rate the exponential decay reaches after `lrEpochs` epochs. */
  lrEnd: number;
  /** T of the schedule lrStart·(lrEnd/lrStart)^(e/T). Default: the `epochs` of the first fit call. */
  lrEpochs?: number;
  /** Seed of the initial weights (the data order uses seed + 1 unless fit gets a seed). Default 0. */
  seed?: number;
  /** Batch-norm ε (default 1e-4) and running-statistics momentum (default 0.1). */
  bnEpsilon?: number;
  bnMomentum?: number;
  /** Adam β1, β2, ε (defaults 0.9, 0.999, 1e-8). */
  beta1?: number;
  beta2?: number;
  adamEpsilon?: number;
  /**
   * Learning-rate factor of the weight matrices: a number (default 1, plain Adam) or 'glorot', BNN's
   * 1/√(1.5/(fan_in + fan_out)) per layer.
   */
  weightLrScale?: number | 'glorot';
  /** 'auto' (WebAssembly SIMD when available, default), 'js' or 'wasm' (error when unavailable). */
  backend?: SteBackend;
}

export interface SteFitOptions {
  /** Passes over the data. Default 1. */
  epochs?: number;
  /** Rows per minibatch. Default 100. */
  batchSize?: number;
  /** Seed of the data order. Default: continue the trainer's own stream (seeded at construction). */
  seed?: number;
  /** Shuffle the rows before every epoch (default true). */
  shuffle?: boolean;
  /** Evaluated (inference mode) after every epoch. */
  validation?: Dataset;
  /** Called after every epoch; return `false` to stop early. */
  onEpoch?: (report: SteEpochReport) => void | boolean;
  /** Called after every minibatch. */
  onBatch?: (info: { epoch: number; batch: number; batches: number; samples: number }) => void;
  /** 'online' (default): training error of each minibatch's training-mode forward pass, before its update; 'none': skip. */
  trainError?: 'online' | 'none';
  /** Checked before each minibatch; when it returns true the epoch stops. */
  shouldStop?: () => boolean;
  /**
   * Resume inside an epoch: skip the first `startBatch` minibatches of the first epoch. That epoch's order is
   * drawn from the trainer's current data-order state, so restore the state the interrupted epoch started from
   * (`SteTrainReport.epochStartRng`) first; the result is then identical to an uninterrupted run.
   */
  startBatch?: number;
}

/** {@link SteTrainer.fitAsync} options: as fit, plus how long to compute between yields to the event loop. */
export interface SteFitAsyncOptions extends SteFitOptions {
  /** Milliseconds of training between yields (default 50), so signal handlers and I/O can run. */
  sliceMs?: number;
}

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

export interface SteTrainReport {
  epochs: SteEpochReport[];
  /** True when shouldStop ended training inside an epoch. */
  interrupted: boolean;
  /** Minibatches completed (or skipped) in the interrupted epoch (0 when not interrupted). */
  batchesDone: number;
  /** Data-order state at the start of the interrupted epoch (or the current state): pass it back to resume. */
  epochStartRng: number[];
}

/**
 * Everything training depends on, for checkpoints: with {@link SteTrainer.setState} on a trainer created with
 * the same configuration, training continues exactly as it would have without the interruption.
 */
export interface SteTrainerState {
  /** Completed epochs: the position in the learning-rate schedule. */
  epoch: number;
  /** T of the schedule (null while not fixed: no lrEpochs and no fit call yet). */
  lrEpochs: number | null;
  /** Adam steps taken (t of the bias corrections). */
  step: number;
  /** The data-order generator's state. */
  rngState: number[];
  /** Per layer: latent weights, batch-norm parameters and running statistics (or biases), and their Adam moments. */
  layers: (SteLayerParameters & SteLayerMoments)[];
}

export interface StePrediction {
  /** [n, outputs]: the output layer's values in inference mode (batch norm with running statistics). */
  scores: Matrix;
  /** argmax (first maximum) per row; one output: 1 if score ≥ 0 else 0. */
  classes: Int32Array;
}

function positiveInt(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new ArgumentError(`invalid argument. \`${name}\` must be a positive integer. Value: \`${String(v)}\`.`);
  return v;
}

function positiveNumber(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new ArgumentError(`invalid argument. \`${name}\` must be a positive finite number. Value: \`${String(v)}\`.`);
  return v;
}

export class SteTrainer {
  readonly network: SteNetwork;
  readonly config: Readonly<SteTrainerConfig>;
  /** Completed epochs (the index of the next epoch in the learning-rate schedule). */
  epoch = 0;
  private rng: Rng;
  private horizon: number | undefined;

  private constructor(network: SteNetwork, config: SteTrainerConfig, seed: number) {
    this.network = network;
    this.config = config;
    this.rng = createRng(seed);
    this.horizon = config.lrEpochs;
  }

  static create(cfg: SteTrainerConfig): SteTrainer {
    const inputs = positiveInt('inputs', cfg.inputs);
    const hidden = (cfg.hidden ?? []).map((h, i) => positiveInt(`hidden[${i}]`, h));
    const outputs = positiveInt('outputs', cfg.outputs);
    const loss = cfg.loss ?? 'squared-hinge';
    if (loss !== 'squared-hinge' && loss !== 'softmax-ce') throw new ArgumentError(`invalid argument. \`loss\` must be 'squared-hinge' or 'softmax-ce'. Value: \`${String(loss)}\`.`);
    if (loss === 'softmax-ce' && outputs < 2) throw new ArgumentError('invalid argument. `loss` softmax-ce needs at least 2 outputs.');
    positiveNumber('lrStart', cfg.lrStart);
    positiveNumber('lrEnd', cfg.lrEnd);
    if (cfg.lrEpochs !== undefined) positiveInt('lrEpochs', cfg.lrEpochs);
    const seed = cfg.seed ?? 0;
    if (!Number.isInteger(seed)) throw new ArgumentError(`invalid argument. \`seed\` must be an integer. Value: \`${seed}\`.`);
    const bnEpsilon = cfg.bnEpsilon ?? 1e-4;
    const bnMomentum = cfg.bnMomentum ?? 0.1;
    positiveNumber('bnEpsilon', bnEpsilon);
    if (!(bnMomentum >= 0 && bnMomentum <= 1)) throw new ArgumentError(`invalid argument. \`bnMomentum\` must be in [0, 1]. Value: \`${bnMomentum}\`.`);
    const adam = { beta1: cfg.beta1 ?? ADAM_DEFAULTS.beta1, beta2: cfg.beta2 ?? ADAM_DEFAULTS.beta2, epsilon: cfg.adamEpsilon ?? ADAM_DEFAULTS.epsilon };
    if (!(adam.beta1 >= 0 && adam.beta1 < 1)) throw new ArgumentError(`invalid argument. \`beta1\` must be in [0, 1). Value: \`${adam.beta1}\`.`);
    if (!(adam.beta2 >= 0 && adam.beta2 < 1)) throw new ArgumentError(`invalid argument. \`beta2\` must be in [0, 1). Value: \`${adam.beta2}\`.`);
    positiveNumber('adamEpsilon', adam.epsilon);
    const sizes = [inputs, ...hidden, outputs];
    const wls = cfg.weightLrScale ?? 1;
    const weightLrScale = sizes.slice(0, -1).map((fi, l) => {
      if (wls === 'glorot') return 1 / Math.sqrt(1.5 / (fi + sizes[l + 1]));
      return positiveNumber('weightLrScale', wls);
    });
    const backend = cfg.backend ?? 'auto';
    if (backend !== 'auto' && backend !== 'js' && backend !== 'wasm') throw new ArgumentError(`invalid argument. \`backend\` must be 'auto', 'js' or 'wasm'. Value: \`${String(backend)}\`.`);
    const network = new SteNetwork(
      { sizes, batchNorm: cfg.batchNorm ?? true, bnEpsilon, bnMomentum, loss, adam, weightLrScale, backend },
      createRng(seed),
    );
    return new SteTrainer(network, { ...cfg, hidden: hidden.slice(), loss, seed }, seed + 1);
  }

  /** Layer widths [inputs, ...hidden, outputs]. */
  get sizes(): readonly number[] {
    return this.network.sizes;
  }

  /** `'wasm'` or `'js'`: which kernels run. */
  get backend(): 'js' | 'wasm' {
    return this.network.backend;
  }

  /** T of the learning-rate schedule (undefined until the first fit call when not configured). */
  get lrEpochs(): number | undefined {
    return this.horizon;
  }

  /** Learning rate of epoch e (0-based): lrStart·(lrEnd/lrStart)^(e/T); e = T gives lrEnd, later epochs keep decaying. */
  lrAt(epoch: number): number {
    const { lrStart, lrEnd } = this.config;
    const T = this.horizon;
    if (T === undefined) return lrStart;
    return lrStart * Math.pow(lrEnd / lrStart, epoch / T);
  }

  rngState(): number[] {
    return this.rng.getState();
  }

  setRngState(state: readonly number[]): void {
    this.rng.setState(state);
  }

  /** Train for `opts.epochs` epochs (synchronously). */
  fit(data: Dataset, opts: SteFitOptions = {}): SteTrainReport {
    return driveSync(this.run(data, opts));
  }

  /**
   * {@link fit}, yielding to the event loop every `sliceMs` so that a Ctrl-C handler (`shouldStop`) and other
   * I/O get to run. The minibatches, their order and the resulting parameters are the same as fit's.
   */
  async fitAsync(data: Dataset, opts: SteFitAsyncOptions = {}): Promise<SteTrainReport> {
    return driveAsync(this.run(data, opts), opts.sliceMs ?? 50);
  }

  /** The epoch loop, yielding after every minibatch; fit and fitAsync drive it. */
  private *run(data: Dataset, opts: SteFitOptions): Generator<void, SteTrainReport, void> {
    const net = this.network;
    const epochs = opts.epochs ?? 1;
    const batchSize = opts.batchSize ?? 100;
    let startBatch = opts.startBatch ?? 0;
    if (!Number.isInteger(epochs) || epochs < 0) throw new ArgumentError(`invalid argument. \`epochs\` must be a non-negative integer. Value: \`${epochs}\`.`);
    positiveInt('batchSize', batchSize);
    if (!Number.isInteger(startBatch) || startBatch < 0) throw new ArgumentError(`invalid argument. \`startBatch\` must be a non-negative integer. Value: \`${startBatch}\`.`);
    if (net.settings.batchNorm && batchSize < 2) {
      throw new ArgumentError('invalid argument. With batch normalisation `batchSize` must be at least 2 (one row has no batch statistics); set batchNorm: false for batchSize 1.');
    }
    const trainError = opts.trainError ?? 'online';
    if (trainError !== 'online' && trainError !== 'none') {
      throw new ArgumentError(`invalid argument. \`trainError\` must be 'online' or 'none'. Value: \`${JSON.stringify(trainError)}\`.`);
    }
    this.checkDataset(data, 'training');
    if (opts.validation) this.checkDataset(opts.validation, 'validation');
    if (opts.seed !== undefined) this.rng = createRng(opts.seed);
    if (this.horizon === undefined && epochs > 0) this.horizon = epochs;
    const online = trainError === 'online';
    const bn = net.settings.batchNorm;
    const K0 = net.sizes[0];
    const n = data.labels.length;
    const { data: Xd, offset: xo } = rowMajor(data.X);
    const X32 = new Float32Array(n * K0);
    for (let i = 0; i < n * K0; i++) X32[i] = Xd[xo + i];
    net.ensureCapacity(Math.min(batchSize, Math.max(n, 1)));
    const order = new Int32Array(n);
    const reports: SteEpochReport[] = [];
    for (let e = 0; e < epochs; e++) {
      const epochStartRng = this.rng.getState();
      for (let i = 0; i < n; i++) order[i] = i;
      if (opts.shuffle ?? true) this.rng.shuffle(order);
      const lr = this.lrAt(this.epoch);
      let lossSum = 0;
      let errors = 0;
      let seen = 0;
      let skipped = 0;
      let interrupted = false;
      const batches = Math.ceil(n / batchSize);
      let seconds = 0;
      let bi = startBatch;
      startBatch = 0;
      for (; bi < batches; bi++) {
        if (opts.shouldStop?.()) {
          interrupted = true;
          break;
        }
        const t0 = performance.now();
        const start = bi * batchSize;
        const B = Math.min(batchSize, n - start);
        if (bn && B < 2) {
          skipped += B;
          continue;
        }
        for (let r = 0; r < B; r++) net.setInputRow(r, X32, order[start + r] * K0);
        const res = net.forwardBackward(B, data.labels, order.subarray(start, start + B), true);
        net.applyUpdate(lr);
        lossSum += res.loss * B;
        errors += res.errors;
        seen += B;
        seconds += (performance.now() - t0) / 1000;
        opts.onBatch?.({ epoch: this.epoch + 1, batch: bi + 1, batches, samples: seen });
        yield;
      }
      net.assertFinite(`after epoch ${this.epoch + 1}`);
      const t1 = performance.now();
      const validationError = opts.validation && !interrupted ? this.evaluate(opts.validation).error : NaN;
      if (!interrupted) this.epoch++;
      const report: SteEpochReport = {
        epoch: this.epoch,
        meanLoss: lossSum / Math.max(seen, 1),
        trainError: online ? errors / Math.max(seen, 1) : NaN,
        validationError,
        seconds,
        evalSeconds: (performance.now() - t1) / 1000,
        samplesPerSecond: seen / seconds,
        lr,
        skippedRows: skipped,
      };
      if (interrupted) {
        report.interrupted = true;
        reports.push(report);
        return { epochs: reports, interrupted: true, batchesDone: bi, epochStartRng };
      }
      reports.push(report);
      if (opts.onEpoch?.(report) === false) break;
    }
    return { epochs: reports, interrupted: false, batchesDone: 0, epochStartRng: this.rng.getState() };
  }

  /** Inference of the binary network (batch norm with running statistics, float64); see fold.ts for the exact form. */
  predict(X: Matrix): StePrediction {
    const K0 = this.network.sizes[0];
    if (X.shape.length !== 2 || X.shape[1] !== K0) {
      throw new ShapeError(`predict: X has ${X.shape[1]} columns but the network expects ${K0} (X.shape=[${X.shape.join(', ')}]).`, X.shape, [X.shape[0], K0]);
    }
    const { data, offset, rows } = rowMajor(X);
    for (let i = offset, e = offset + rows * K0; i < e; i++) {
      if (!Number.isFinite(data[i])) throw new DataError(`predict: row ${Math.floor((i - offset) / K0)}, feature ${(i - offset) % K0} is ${data[i]}; features must be finite.`);
    }
    const KL = this.network.sizes[this.network.sizes.length - 1];
    const out = new Float64Array(rows * KL);
    this.network.predictInto(data, offset, K0, rows, out);
    const classes = new Int32Array(rows);
    for (let r = 0; r < rows; r++) classes[r] = decide(out, r * KL, KL);
    return { scores: ndarray(out, [rows, KL]), classes };
  }

  /** Error fraction and mean per-row loss of the inference-mode network on a dataset. */
  evaluate(data: Dataset): { error: number; loss: number } {
    this.checkDataset(data, 'evaluation');
    const n = data.labels.length;
    if (n === 0) return { error: NaN, loss: NaN };
    const { scores, classes } = this.predict(data.X);
    let wrong = 0;
    for (let i = 0; i < n; i++) if (classes[i] !== data.labels[i]) wrong++;
    const KL = scores.shape[1];
    const loss = lossAndGradient(this.network.settings.loss, scores.data as Float64Array, data.labels, null, n, KL, new Float64Array(n * KL));
    return { error: wrong / n, loss };
  }

  /**
   * STE gradients of the training-mode loss on one minibatch (rows of X with labels), without any side effect
   * (no update, running statistics unchanged). The float32 products of training are used, as in fit.
   */
  gradients(X: Matrix, labels: Int32Array): { loss: number; layers: SteLayerGradients[] } {
    const net = this.network;
    const K0 = net.sizes[0];
    const { data, offset, rows } = rowMajor(X);
    if (X.shape[1] !== K0) throw new ShapeError(`gradients: X has ${X.shape[1]} columns but the network expects ${K0}.`, X.shape, [rows, K0]);
    if (labels.length !== rows) throw new ShapeError(`gradients: ${rows} rows but ${labels.length} labels.`, [labels.length], [rows]);
    if (net.settings.batchNorm && rows < 2) throw new ArgumentError('invalid argument. Batch normalisation needs at least 2 rows per minibatch.');
    const classes = net.sizes[net.sizes.length - 1] === 1 ? 2 : net.sizes[net.sizes.length - 1];
    for (let r = 0; r < rows; r++) {
      if (!(labels[r] >= 0 && labels[r] < classes)) throw new DataError(`gradients: label ${labels[r]} of row ${r} is outside 0..${classes - 1}.`);
    }
    net.ensureCapacity(rows);
    const row = new Float32Array(K0);
    for (let r = 0; r < rows; r++) {
      for (let k = 0; k < K0; k++) row[k] = data[offset + r * K0 + k];
      net.setInputRow(r, row, 0);
    }
    const res = net.forwardBackward(rows, labels, null, false);
    return { loss: res.loss, layers: net.gradients() };
  }

  /**
   * The complete training state (copies): parameters, batch-norm statistics, Adam moments and step count,
   * epoch, schedule horizon and the data-order generator. See {@link setState}.
   */
  state(): SteTrainerState {
    const params = this.network.parameters();
    const moments = this.network.moments();
    return {
      epoch: this.epoch,
      lrEpochs: this.horizon ?? null,
      step: this.network.step,
      rngState: this.rng.getState(),
      layers: params.map((p, l) => ({ ...p, ...moments[l] })),
    };
  }

  /**
   * Restore a {@link state} on a trainer created with the same configuration (widths, batch norm, loss, Adam
   * and learning-rate settings): continuing to train then gives exactly the bytes of an uninterrupted run.
   *
   * @throws {ArgumentError} layer count or shapes that do not fit, missing arrays, a bad epoch/step/horizon
   * @throws {NumericError} non-finite values (or negative second moments / running variances)
   */
  setState(state: SteTrainerState): void {
    if (typeof state !== 'object' || state === null || !Array.isArray(state.layers)) throw new ArgumentError('invalid argument. setState expects an SteTrainerState { epoch, lrEpochs, step, rngState, layers }.');
    const { epoch, lrEpochs, rngState, layers } = state;
    if (!Number.isSafeInteger(epoch) || epoch < 0) throw new ArgumentError(`invalid argument. \`epoch\` must be a non-negative integer. Value: \`${epoch}\`.`);
    if (lrEpochs !== null && (!Number.isSafeInteger(lrEpochs) || lrEpochs < 1)) throw new ArgumentError(`invalid argument. \`lrEpochs\` must be a positive integer or null. Value: \`${lrEpochs}\`.`);
    if (!Array.isArray(rngState) || rngState.length < 4) throw new ArgumentError('invalid argument. `rngState` must be a generator state (Rng.getState()).');
    const bn = this.network.settings.batchNorm;
    layers.forEach((p, l) => {
      const shape = this.network.shapes[l];
      if (!shape || p.inputs !== shape.K || p.outputs !== shape.N) {
        throw new ArgumentError(`invalid argument. state layer ${l} is ${p.inputs}→${p.outputs}, the network's ${shape ? `${shape.K}→${shape.N}` : 'has no such layer'}.`);
      }
      const need = bn ? (['gamma', 'beta', 'runningMean', 'runningVar'] as const) : (['bias'] as const);
      for (const k of ['weights', ...need] as const) {
        if (!(p[k] instanceof Float64Array)) throw new ArgumentError(`invalid argument. state layer ${l} has no ${k} (the network ${bn ? 'uses' : 'does not use'} batch normalisation).`);
      }
    });
    this.network.setMoments(layers, state.step);
    this.network.setParameters(layers);
    this.epoch = epoch;
    this.horizon = lrEpochs ?? undefined;
    this.rng.setState(rngState);
  }

  /** Latent parameters and batch-norm statistics, row-major copies. */
  parameters(): SteLayerParameters[] {
    return this.network.parameters();
  }

  /** Replace parameters (any subset per layer; weights are clipped to [−1, 1]). */
  setParameters(layers: readonly Partial<SteLayerParameters>[]): void {
    this.network.setParameters(layers);
  }

  /** The folded sign network for the packed engine; see fold.ts for the rule and its exactness. */
  toSignNetwork(): SignNetwork {
    const net = this.network;
    const params = net.parameters();
    const L = params.length;
    const layers: SignLayer[] = params.map((p, l) => {
      const { inputs, outputs } = p;
      const weights = new Float64Array(inputs * outputs);
      for (let i = 0; i < weights.length; i++) weights[i] = p.weights[i] >= 0 ? 1 : -1;
      const { scale, shift } = net.inferenceAffine(l);
      const threshold = new Float64Array(outputs);
      const flip = new Uint8Array(outputs);
      for (let n = 0; n < outputs; n++) {
        const f = foldNeuron(scale[n], shift[n]);
        threshold[n] = f.threshold;
        flip[n] = f.flip;
      }
      const layer: SignLayer = { inputs, outputs, weights, threshold, flip };
      if (l === L - 1) {
        layer.scale = scale.slice();
        layer.shift = shift.slice();
      }
      return layer;
    });
    return { sizes: net.sizes.slice(), layers };
  }

  private checkDataset(data: Dataset, what: string): void {
    const K0 = this.network.sizes[0];
    const KL = this.network.sizes[this.network.sizes.length - 1];
    if (data.X.shape[1] !== K0) {
      throw new ShapeError(`${what} data has ${data.X.shape[1]} features but the network expects ${K0}.`, data.X.shape, [data.X.shape[0], K0]);
    }
    if (KL === 1 ? data.numClasses > 2 : data.numClasses !== KL) {
      throw new ShapeError(`${what} data has ${data.numClasses} classes but the network has ${KL} output${KL === 1 ? '' : 's'} (one output serves two classes, otherwise one per class).`);
    }
    if (data.X.shape[0] !== data.labels.length) throw new ShapeError(`${what} data has ${data.X.shape[0]} rows but ${data.labels.length} labels.`);
    const { data: d, offset } = rowMajor(data.X);
    for (let i = offset, e = i + data.labels.length * K0; i < e; i++) {
      if (!Number.isFinite(d[i])) {
        const r = Math.floor((i - offset) / K0);
        throw new DataError(`${what} data: row ${r}, feature ${(i - offset) % K0} is ${d[i]}; features must be finite.`);
      }
    }
  }
}
