/**
 * Progressive determinisation (determinise's `method: 'progressive'`): fix layer 1 to its most probable weights
 * sign(h_1) (thresholds re-fitted by default) and bias b_1, pass the training rows through it, and continue
 * EBP (the library's own trainer, no learning rate) on the layers above with those ±1 outputs as their inputs;
 * the upper layers then learn the features the sign network really computes. Then fix the next layer, and so
 * on up the stack. Each stage's number of epochs is chosen on the validation split (early stopping).
 * On MNIST the jump of a whole layer loses what the stages above cannot win back (docs/benchmarks.md);
 * decimate.ts fixes a layer a share at a time instead.
 */
import ndarray from 'ndarray';
import { PosteriorStore } from '../ebp/posterior';
import { EbpTrainer, evaluateErrors } from '../ebp/trainer';
import { ebpStep } from '../ebp/update';
import { createRng } from '../util/random';
import type { Dataset } from '../data/dataset';
import type { DeterminiseEpoch, DeterminiseReport, ProcedureResult, Resolved, DeterministicLayer } from './options';
import { featureSet, features, fitThresholds, meanFieldSigns, refitThresholds, signForward, signLayer, signLayers, slice } from './layers';

/** @internal The progressive procedure; `plainD` is plain EBP-D's validation error (the candidate to beat). */
export function progressive(store: PosteriorStore, train: Dataset, o: Resolved, plainD: number): ProcedureResult {
  const { validation, seed, batchSize, maxEpochs, patience, upper, fix, sigmaW, maxFixed } = o;
  const candidates: DeterminiseEpoch[] = [];
  const stages: DeterminiseReport['stages'] = [];
  // The best candidate so far: its fixed layers and its upper posterior (a clone).
  let best = { fixed: 0, epoch: 0, validationError: plainD, fixedLayers: [] as DeterministicLayer[], upper: store };

  const fixedLayers: DeterministicLayer[] = [];
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
      o.onEpoch?.(c);
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
  return {
    layers: [...best.fixedLayers, ...signLayers(best.upper)],
    candidates,
    stages,
    chosen: { fixed: best.fixed, epoch: best.epoch, validationError: best.validationError },
  };
}

/**
 * Each unit of the first layer re-learnt as a binary perceptron by EBP (a one-layer posterior starting from
 * the layer's own fields and biases) on targets sign(μ̄) of the mean-field unit; the epoch kept is the one
 * whose most probable weights agree most with sign(μ̄) on the validation rows.
 */
function distil(
  store: PosteriorStore, X: Float64Array, V: Float64Array, o: { seed: number; batchSize: number; maxEpochs: number; patience: number }, thresholds = false,
): DeterministicLayer {
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
