/**
 * One deterministic binary network from an EBP posterior, for deep nets (issue 11): progressive
 * determinisation, a separate step on top of plain EBP (the posterior given is never changed).
 *
 * Why EBP-D collapses with depth: the mean-field pass (spec §3) feeds layer l+1 the soft means
 * μ_{l} = 2Φ(μ̄/σ̄) − 1 of layer l, with the uncertainty of the layer below carried as variance. Layer l+1 is
 * trained on those inputs. The sign network of the most probable weights gives layer l+1 hard inputs
 * v_l = sign(Σ sign(h) v_{l−1} + b), which differ from sign(μ̄) wherever the posterior is wide (most weights
 * of a deep net have |tanh h| < 0.2), so the upper layers read features they never saw.
 *
 * The procedure: fix layer 1 to its most probable weights sign(h_1) and bias b_1, pass the training rows
 * through it, and continue EBP (the library's own trainer, no learning rate) on the layers above with those
 * ±1 outputs as their inputs; the upper layers now learn the features the sign network really computes.
 * Then fix the next layer, and so on up the stack, until only the output layer is trained. Every choice is
 * made on the validation split: each stage's number of epochs (early stopping) and, among all candidates
 * (plain EBP-D, and every stage's network after every epoch), the one returned.
 */
import ndarray from 'ndarray';
import { ArgumentError } from '../errors';
import { makeDataset, type Dataset } from '../data/dataset';
import { rowMajor } from '../tensor/matrix';
import { check, requireNonNegativeInteger, requireOneOf, requirePositiveInteger, requireFinite } from '../util/validate';
import { PosteriorStore } from '../ebp/posterior';
import { EbpTrainer, evaluateErrors } from '../ebp/trainer';
import { meanFieldForward } from '../ebp/forward';
import { ebpStep } from '../ebp/update';
import { createRng } from '../util/random';
import { packedKindOf } from '../xnor/posterior';
import { XnorNetwork, type XnorLayerSpec, type XnorOptions } from '../xnor/network';

/** How the layers above a fixed layer start their EBP on its ±1 outputs. */
export type UpperStart = 'continue' | 'reinit';

/**
 * How a layer is fixed. `'map'`: its most probable weights sign(h) and bias b. `'threshold'`: sign(h), with
 * each unit's threshold re-fitted on the training rows so that sign(Σ sign(h) v − θ) agrees most often with
 * the mean-field unit's most probable output sign(μ̄). `'distil'`: each unit re-learnt by a one-layer EBP
 * perceptron (starting from its posterior) whose targets are sign(μ̄) of the mean-field unit; epochs chosen
 * on the agreement with sign(μ̄) on the validation rows. `'distil+threshold'`: distilled, then thresholds
 * re-fitted. (Ablation: docs/benchmarks.md; distillation did not help.)
 */
export type FixMethod = 'map' | 'threshold' | 'distil' | 'distil+threshold';

/** Options of {@link determinise}; every choice it makes is made on `validation`. */
export interface DeterminiseOptions {
  /** The validation split (rows of the training data not trained on): every choice is made on it. Required. */
  validation: Dataset;
  /** Seed of the continued EBP's data order (stage s uses seed + s) and of re-initialised layers. Default 0. */
  seed?: number;
  /** Minibatch of the continued EBP (spec §6). Default 10, as plain EBP. */
  batchSize?: number;
  /** Most epochs of EBP per stage. Default 20. */
  maxEpochs?: number;
  /** A stage stops after this many epochs without a lower validation error. Default 3. */
  patience?: number;
  /**
   * `'continue'` (default): the upper layers start from their posterior (spec: the same fields h, b);
   * `'reinit'`: from a fresh prior (spec §7, `sigmaW`).
   */
  upper?: UpperStart;
  /** How each layer is fixed (default `'threshold'`: the best of the ablation in docs/benchmarks.md). */
  fix?: FixMethod;
  /** Initial field scale of re-initialised upper layers. Default 1. */
  sigmaW?: number;
  /** How many layers to fix at most (default all hidden layers, L − 1). 0 returns plain EBP-D. */
  maxFixed?: number;
  /**
   * Input encoding and backend of the packed network returned. The procedure computes the first layer on the
   * real inputs; an encoding that changes its dot products (`binarize`, bit planes that round) changes the
   * network's first layer from the one the upper layers were trained on.
   */
  xnor?: XnorOptions;
  /** Called after every epoch of every stage (progress). */
  onEpoch?: (e: DeterminiseEpoch) => void;
}

/** One candidate: `fixed` layers fixed, the layers above after `epoch` epochs of EBP on their ±1 inputs. */
export interface DeterminiseEpoch {
  fixed: number;
  epoch: number;
  /** Validation error of the candidate (fixed layers + the upper posterior's most probable weights). */
  validationError: number;
  /** Validation error of the upper posterior's mean-field prediction (EBP-P) on the fixed layers' outputs. */
  validationErrorP: number;
  seconds: number;
}

/** What {@link determinise} tried and chose (validation errors only). */
export interface DeterminiseReport {
  /** Plain EBP-D and EBP-P of the given posterior on the validation split. */
  plain: { validationErrorD: number; validationErrorP: number };
  /** Every candidate measured, in order (epoch 0 of a stage: the upper posterior before any EBP on it). */
  candidates: DeterminiseEpoch[];
  /** Per stage, the epoch kept (the lowest validation error; the latest on ties) and carried up. */
  stages: { fixed: number; bestEpoch: number; validationError: number; epochs: number }[];
  /** The candidate returned: the lowest validation error of all (the latest on ties). */
  chosen: { fixed: number; epoch: number; validationError: number };
  seconds: number;
}

/** The deterministic packed network, its layers and the report of the choices. */
export interface DeterminiseResult {
  /** An ordinary packed network: ±1 weights, sign neurons against −b, the output layer scores W v + b. */
  network: XnorNetwork;
  /** The layers of `network` as plain specs (row-major ±1 weights and biases), e.g. for a float reference. */
  layers: { weights: Float64Array; bias: Float64Array; inputs: number; outputs: number }[];
  report: DeterminiseReport;
}

interface SignLayer {
  weights: Float64Array;
  bias: Float64Array;
  inputs: number;
  outputs: number;
}

/**
 * Progressive determinisation of a binary-weight posterior (see the file comment and docs/algorithm.md).
 * `train` are the rows the posterior was trained on; only `train` and `opts.validation` are read.
 *
 * @throws {ArgumentError} weights other than ±1, no validation split, bad options
 */
export function determinise(store: PosteriorStore, train: Dataset, opts: DeterminiseOptions): DeterminiseResult {
  const t0 = performance.now();
  if (packedKindOf(store) !== 'binary') {
    throw new ArgumentError('invalid argument. determinise needs a posterior with ±1 weights (weights: \'binary\').');
  }
  check(opts != null && opts.validation != null, 'validation', 'a Dataset (a split of the training data)', opts?.validation);
  const validation = opts.validation;
  const seed = requireNonNegativeInteger(opts.seed ?? 0, 'seed');
  const batchSize = requirePositiveInteger(opts.batchSize ?? 10, 'batchSize');
  const maxEpochs = requireNonNegativeInteger(opts.maxEpochs ?? 20, 'maxEpochs');
  const patience = requirePositiveInteger(opts.patience ?? 3, 'patience');
  const upper = requireOneOf(opts.upper ?? 'continue', 'upper', ['continue', 'reinit'] as const);
  const fix = requireOneOf(opts.fix ?? 'threshold', 'fix', ['map', 'threshold', 'distil', 'distil+threshold'] as const);
  const sigmaW = requireFinite(opts.sigmaW ?? 1, 'sigmaW', 'positive');
  const L = store.numLayers;
  const maxFixed = Math.min(requireNonNegativeInteger(opts.maxFixed ?? L - 1, 'maxFixed'), L - 1);

  const plain = evaluateErrors(store, validation);
  const candidates: DeterminiseEpoch[] = [];
  const stages: DeterminiseReport['stages'] = [];
  // The best candidate so far: its fixed layers and its upper posterior (a clone).
  let best = { fixed: 0, epoch: 0, validationError: plain.errorD, fixedLayers: [] as SignLayer[], upper: store };

  const fixedLayers: SignLayer[] = [];
  let upperStore = store;
  let trainX = features(train);
  let valX = features(validation);
  for (let s = 1; s <= maxFixed; s++) {
    // Fix the lowest layer of the current upper posterior at its most probable weights.
    const layer =
      fix === 'map' ? signLayer(upperStore, 0)
        : fix === 'threshold' ? refitThresholds(upperStore, trainX)
          : distil(upperStore, trainX, valX, { seed: seed + s, batchSize, maxEpochs, patience }, fix === 'distil+threshold');
    fixedLayers.push(layer);
    trainX = signForward(layer, trainX);
    valX = signForward(layer, valX);
    const trainF = featureSet(train, trainX, layer.outputs);
    const valF = featureSet(validation, valX, layer.outputs);
    const sizes = upperStore.sizes.slice(1);
    let post = upper === 'reinit' ? PosteriorStore.init(sizes, { seed: seed + s, sigmaW }) : slice(upperStore, 1);
    const trainer = new EbpTrainer(post, seed + s);
    const measure = (epoch: number, seconds: number): DeterminiseEpoch => {
      const e = evaluateErrors(post, valF);
      const c = { fixed: s, epoch, validationError: e.errorD, validationErrorP: e.errorP, seconds };
      candidates.push(c);
      opts.onEpoch?.(c);
      return c;
    };
    let stageBest = { epoch: 0, err: measure(0, 0).validationError, store: post.clone() };
    let since = 0;
    for (let e = 1; e <= maxEpochs && since < patience; e++) {
      const rep = trainer.fit(trainF, { epochs: 1, batchSize, trainError: 'none' }).epochs[0];
      const c = measure(e, rep.seconds);
      if (c.validationError < stageBest.err) since = 0;
      else since++;
      if (c.validationError <= stageBest.err) stageBest = { epoch: e, err: c.validationError, store: post.clone() };
    }
    post = stageBest.store;
    stages.push({ fixed: s, bestEpoch: stageBest.epoch, validationError: stageBest.err, epochs: candidates[candidates.length - 1].epoch });
    if (stageBest.err <= best.validationError) {
      best = { fixed: s, epoch: stageBest.epoch, validationError: stageBest.err, fixedLayers: fixedLayers.slice(), upper: post };
    }
    upperStore = post;
  }

  const layers = [...best.fixedLayers];
  for (let l = 0; l < best.upper.numLayers; l++) layers.push(signLayer(best.upper, l));
  const specs: XnorLayerSpec[] = layers.map((ly) => ({ weights: ly.weights, inputs: ly.inputs, outputs: ly.outputs, bias: ly.bias }));
  const network = XnorNetwork.fromLayers(specs, opts.xnor ?? {});
  const report: DeterminiseReport = {
    plain: { validationErrorD: plain.errorD, validationErrorP: plain.errorP },
    candidates,
    stages,
    chosen: { fixed: best.fixed, epoch: best.epoch, validationError: best.validationError },
    seconds: (performance.now() - t0) / 1000,
  };
  return { network, layers, report };
}

/** Layer l of a store as a sign layer: the most probable weights (sign h, sign(0) = +1) and the real bias. */
function signLayer(store: PosteriorStore, l: number): SignLayer {
  const L = store.layers[l];
  return { weights: store.mostProbableWeights(l), bias: L.b.slice(), inputs: L.inputs, outputs: L.outputs };
}

/** Layers from..to−1 of a store as a new posterior (same fields and biases). */
function slice(store: PosteriorStore, from: number, to = store.numLayers): PosteriorStore {
  const h: Float64Array[][] = [];
  const b: Float64Array[] = [];
  for (let l = from; l < to; l++) {
    const L = store.layers[l];
    const rows: Float64Array[] = [];
    for (let k = 0; k < L.outputs; k++) rows.push(L.h.subarray(k * L.inputs, (k + 1) * L.inputs));
    h.push(rows);
    b.push(L.b);
  }
  return PosteriorStore.fromParameters({ weights: 'binary', h, b });
}

/** A dataset's features as one contiguous row-major array [n, K_0]. */
function features(ds: Dataset): Float64Array {
  const { data, offset, rows, cols } = rowMajor(ds.X);
  return data.slice(offset, offset + rows * cols);
}

/** v = sign(W x + b) with sign(0) = +1, row by row: what the packed hidden layer computes (pre ≥ −b). */
function signForward(layer: SignLayer, X: Float64Array): Float64Array {
  const { weights: W, bias, inputs: K, outputs: N } = layer;
  const n = X.length / K;
  const out = new Float64Array(n * N);
  for (let r = 0; r < n; r++) {
    const xo = r * K;
    for (let k = 0; k < N; k++) {
      const wo = k * K;
      let pre = 0;
      for (let j = 0; j < K; j++) pre += W[wo + j] * X[xo + j];
      out[r * N + k] = pre >= -bias[k] ? 1 : -1;
    }
  }
  return out;
}

function featureSet(ds: Dataset, X: Float64Array, K: number): Dataset {
  return makeDataset({ X: ndarray(X, [ds.labels.length, K]), labels: ds.labels, numClasses: ds.numClasses, classNames: ds.classNames });
}

/** sign(μ̄) ∈ ±1 of the first layer of `store`'s mean-field pass over rows X (spec §3), [n, K_1]. */
function meanFieldSigns(store: PosteriorStore, X: Float64Array): Float64Array {
  const first = slice(store, 0, 1);
  const K = store.sizes[0];
  const ubar = meanFieldForward(first, ndarray(X, [X.length / K, K])).layers[0].ubar.data as Float64Array;
  return Float64Array.from(ubar, (u) => (u >= 0 ? 1 : -1));
}

/**
 * sign(h) of the first layer, each unit's threshold θ chosen on the training rows to maximise the agreement of
 * [Σ sign(h) v ≥ θ] with sign(μ̄) (θ midway between neighbouring dot products; the bias is −θ).
 */
function refitThresholds(store: PosteriorStore, X: Float64Array): SignLayer {
  return fitThresholds(signLayer(store, 0), X, meanFieldSigns(store, X));
}

/** Each unit's threshold (the bias −θ) re-fitted so that [Σ w v ≥ θ] agrees most often with the targets T [n, N]. */
function fitThresholds(layer: SignLayer, X: Float64Array, T: Float64Array): SignLayer {
  const { weights: W, inputs: K, outputs: N } = layer;
  const n = X.length / K;
  const pre = new Float64Array(n);
  const idx = new Int32Array(n);
  for (let k = 0; k < N; k++) {
    let pos = 0;
    for (let r = 0; r < n; r++) {
      let d = 0;
      for (let j = 0; j < K; j++) d += W[k * K + j] * X[r * K + j];
      pre[r] = d;
      idx[r] = r;
      if (T[r * N + k] > 0) pos++;
    }
    idx.sort((a, c) => pre[a] - pre[c]);
    // θ below every row: all +1, agreement = pos. Moving θ past row i flips it to −1.
    let agree = pos;
    let bestAgree = pos;
    let theta = pre[idx[0]] - 1;
    for (let i = 0; i < n; i++) {
      agree += T[idx[i] * N + k] > 0 ? -1 : 1;
      const next = i + 1 < n ? pre[idx[i + 1]] : pre[idx[i]] + 2;
      if (next !== pre[idx[i]] && agree > bestAgree) {
        bestAgree = agree;
        theta = 0.5 * (pre[idx[i]] + next);
      }
    }
    layer.bias[k] = -theta;
  }
  return layer;
}

/**
 * Each unit of the first layer re-learnt as a binary perceptron by EBP (a one-layer posterior starting from
 * the layer's own fields and biases) on targets sign(μ̄) of the mean-field unit; the epoch kept is the one
 * whose most probable weights agree most with sign(μ̄) on the validation rows.
 */
function distil(
  store: PosteriorStore, X: Float64Array, V: Float64Array, o: { seed: number; batchSize: number; maxEpochs: number; patience: number }, thresholds = false,
): SignLayer {
  const K = store.sizes[0];
  const N = store.sizes[1];
  const T = meanFieldSigns(store, X);
  const TV = meanFieldSigns(store, V);
  const post = slice(store, 0, 1);
  const n = X.length / K;
  const rng = createRng(o.seed);
  const order = new Int32Array(n);
  const xb = new Float64Array(o.batchSize * K);
  const yb = new Float64Array(o.batchSize * N);
  const agreement = (): number => {
    const out = signForward(signLayer(post, 0), V);
    let a = 0;
    for (let i = 0; i < out.length; i++) if (out[i] === TV[i]) a++;
    return a;
  };
  let best = { agree: agreement(), layer: signLayer(post, 0) };
  let since = 0;
  for (let e = 1; e <= o.maxEpochs && since < o.patience; e++) {
    for (let i = 0; i < n; i++) order[i] = i;
    rng.shuffle(order);
    for (let start = 0; start < n; start += o.batchSize) {
      const B = Math.min(o.batchSize, n - start);
      for (let r = 0; r < B; r++) {
        const row = order[start + r];
        xb.set(X.subarray(row * K, (row + 1) * K), r * K);
        yb.set(T.subarray(row * N, (row + 1) * N), r * N);
      }
      ebpStep(post, ndarray(xb.subarray(0, B * K), [B, K]), ndarray(yb.subarray(0, B * N), [B, N]));
    }
    const a = agreement();
    if (a > best.agree) since = 0;
    else since++;
    if (a >= best.agree) best = { agree: a, layer: signLayer(post, 0) };
  }
  return thresholds ? fitThresholds(best.layer, X, T) : best.layer;
}
