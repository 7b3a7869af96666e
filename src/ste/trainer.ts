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
import { DataError, ShapeError } from '../errors';
import { argumentError } from '../util/validate';
import type { Dataset } from '../data/dataset';
import { rowMajor, type Matrix } from '../tensor/matrix';
import ndarray from 'ndarray';
import { createRng, type Rng } from '../util/random';
import { driveAsync, driveSync } from '../util/drive';
import { epochReport, float32Rows, trainEpoch, type SteEpochReport, type SteTrainReport } from './fit';
import { foldNetwork, type SignNetwork } from './fold';
import { lossAndGradient } from './loss';
import { SteNetwork, type SteLayerGradients, type SteLayerParameters } from './network';
import { checkDataset, resolveFitOptions, resolveTrainerConfig, type SteFitAsyncOptions, type SteFitOptions, type SteTrainerConfig } from './options';
import { captureState, restoreNetworkState, type SteTrainerState } from './trainer-state';

export type { SteTrainerConfig, SteFitOptions, SteFitAsyncOptions } from './options';
export type { SteEpochReport, SteTrainReport } from './fit';
export type { SteTrainerState } from './trainer-state';

/** What {@link SteTrainer.predict} returns: output scores and the class per row. */
export interface StePrediction {
  /** The output layer's values in inference mode (batch norm with running statistics), shape [n, outputs]. */
  scores: Matrix;
  /** argmax (first maximum) per row; one output: 1 if score ≥ 0 else 0. */
  classes: Int32Array;
}

/**
 * Trains a binary network with the straight-through estimator (the baseline EBP is compared with; see the
 * module notes and docs/ste.md). {@link XnorNetwork.fromSte} packs the trained network for inference.
 *
 * @example
 * ```ts
 * import { SteTrainer, XnorNetwork, makeDataset, matrix } from 'ebp-bnn';
 *
 * const X = matrix([[1, 0.5], [0.3, 0.9], [0.9, -0.1], [0.2, 0.4], [-1, -0.2], [-0.8, -1], [-0.4, 0.1], [0.1, -0.7]]);
 * const data = makeDataset({ X, labels: Int32Array.from([1, 1, 1, 1, 0, 0, 0, 0]), numClasses: 2 });
 * const ste = SteTrainer.create({ inputs: 2, hidden: [16], outputs: 2, lrStart: 0.03, lrEnd: 0.003, seed: 1 });
 * ste.fit(data, { epochs: 20, batchSize: 4 });
 * const packed = XnorNetwork.fromSte(ste); // sign weights and folded thresholds, bit-packed
 * console.log(ste.predict(X).classes, packed.predict(X)); // the same classes
 * ```
 */
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

  /** A new trainer with latent weights drawn from the seeded generator. */
  static create(cfg: SteTrainerConfig): SteTrainer {
    const { settings, config, seed } = resolveTrainerConfig(cfg);
    const network = new SteNetwork(settings, createRng(seed));
    return new SteTrainer(network, config, seed + 1);
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

  /** The data-order generator's state (for checkpoints). */
  rngState(): number[] {
    return this.rng.getState();
  }

  /** Restore the data-order generator from {@link SteTrainer.rngState} (resuming a checkpoint). */
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

  /** The epoch loop, yielding after every minibatch (fit.ts trainEpoch); fit and fitAsync drive it. */
  private *run(data: Dataset, opts: SteFitOptions): Generator<void, SteTrainReport, void> {
    const net = this.network;
    const plan = resolveFitOptions(opts, net.settings.batchNorm);
    checkDataset(data, net.sizes, 'training');
    if (opts.validation) checkDataset(opts.validation, net.sizes, 'validation');
    if (opts.seed !== undefined) this.rng = createRng(opts.seed);
    if (this.horizon === undefined && plan.epochs > 0) this.horizon = plan.epochs;
    const n = data.labels.length;
    const X32 = float32Rows(data, net.sizes[0]);
    net.ensureCapacity(Math.min(plan.batchSize, Math.max(n, 1)));
    const order = new Int32Array(n);
    const reports: SteEpochReport[] = [];
    let startBatch = plan.startBatch;
    for (let e = 0; e < plan.epochs; e++) {
      const epochStartRng = this.rng.getState();
      for (let i = 0; i < n; i++) order[i] = i;
      if (opts.shuffle ?? true) this.rng.shuffle(order);
      const lr = this.lrAt(this.epoch);
      const job = { X32, labels: data.labels, order, batchSize: plan.batchSize, startBatch, lr, epoch: this.epoch + 1 };
      startBatch = 0;
      const pass = yield* trainEpoch(net, job, opts);
      net.assertFinite(`after epoch ${this.epoch + 1}`);
      const t1 = performance.now();
      const validationError = opts.validation && !pass.interrupted ? this.evaluate(opts.validation).error : NaN;
      if (!pass.interrupted) this.epoch++;
      const report = epochReport(this.epoch, pass, plan.online, validationError, (performance.now() - t1) / 1000, lr);
      if (pass.interrupted) {
        report.interrupted = true;
        reports.push(report);
        return { epochs: reports, interrupted: true, batchesDone: pass.batchesDone, epochStartRng };
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
    checkDataset(data, this.network.sizes, 'evaluation');
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
    if (net.settings.batchNorm && rows < 2) throw argumentError('Batch normalisation needs at least 2 rows per minibatch.');
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
    return captureState(this.network, this.epoch, this.horizon, this.rng.getState());
  }

  /**
   * Restore a {@link SteTrainer.state} on a trainer created with the same configuration (widths, batch norm, loss, Adam
   * and learning-rate settings): continuing to train then gives exactly the bytes of an uninterrupted run.
   *
   * @throws {ArgumentError} layer count or shapes that do not fit, missing arrays, a bad epoch/step/horizon
   * @throws {NumericError} non-finite values (or negative second moments / running variances)
   */
  setState(state: SteTrainerState): void {
    restoreNetworkState(this.network, state);
    this.epoch = state.epoch;
    this.horizon = state.lrEpochs ?? undefined;
    this.rng.setState(state.rngState);
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
    return foldNetwork(this.network);
  }
}
