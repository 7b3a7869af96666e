import { decideRows } from '../util/decide';
import { ArgumentError, ModelFormatError } from '../errors';
import { meanFieldForward } from '../ebp/forward';
import { deterministicScores, predict } from '../ebp/predict';
import type { PosteriorStore } from '../ebp/posterior';
import { isDiscrete } from '../ebp/weights';
import { matrix } from '../tensor/matrix';
import { createRng, type Rng } from '../util/random';
import { XnorNetwork, packedKindOf } from '../xnor/network';
import type { LoadedModel } from './model-io';

/** Most ensemble members `eval` and `predict` accept. */
export const MAX_MEMBERS = 10000;

/**
 * Class decisions and probabilities for `eval` and `predict`:
 * - `deterministic` (EBP-D): the sign network with the most probable weights, run by the packed XNOR
 *   engine (the file's `XnorNetwork`, binary or ternary); posteriors without a packed form (Gaussian, other levels) run the float
 *   EBP-D network of src/ebp. No probabilities.
 * - `probabilistic` (EBP-P): the mean-field output ⟨v_k⟩ = 2Φ(z_k) − 1; class probabilities
 *   p_k ∝ P(v_k = +1) = (1 + ⟨v_k⟩)/2, normalised over the classes (one output: p_1 = (1 + ⟨v⟩)/2).
 * - `ensemble`: `members` networks with weights drawn from the posterior (seeded), combined by the mean of
 *   their sign outputs s̄_k: packed `XnorNetwork.sampleEnsemble` members whenever the weights have a packed
 *   form (binary, or ternary levels within {−1, 0, +1}: `packedKindOf`), sampled float sign networks
 *   (src/ebp) otherwise (Gaussian weights, other levels); the class
 *   is argmax s̄_k and the vote shares q_k = (1 + s̄_k)/Σ_j (1 + s̄_j) are smoothed as
 *   p_k = (M q_k + 1/K)/(M + 1), one uniform pseudo-member, so that NLL stays finite.
 */
export type PredictMode = 'deterministic' | 'probabilistic' | 'ensemble';
export const PREDICT_MODES: readonly PredictMode[] = ['deterministic', 'probabilistic', 'ensemble'];

export interface PredictorOptions {
  members?: number;
  seed?: number;
}

export interface BatchResult {
  classes: Int32Array;
  /** Row-major [rows, numClasses], or null in deterministic mode. */
  proba: Float64Array | null;
}

export interface Predictor {
  readonly mode: PredictMode;
  readonly numClasses: number;
  readonly inputs: number;
  run(X: Float64Array, rows: number): BatchResult;
}

function requireStore(model: LoadedModel, mode: PredictMode): PosteriorStore {
  if (!model.store && model.meta.training?.config.trainer === 'ste') {
    throw new ModelFormatError(`${model.file}: --mode ${mode} needs a weight posterior, and an STE model has none (it is one deterministic sign network); use --mode deterministic.`);
  }
  if (!model.store) {
    throw new ModelFormatError(`${model.file}: --mode ${mode} needs the weight posterior, which this model file does not hold (an inference-only file); use --mode deterministic.`);
  }
  return model.store;
}


/** Build the predictor of a mode for a loaded model. */
export function createPredictor(model: LoadedModel, mode: PredictMode, opts: PredictorOptions = {}): Predictor {
  const numClasses = model.meta.preprocess.label.classes.length;
  const inputs = model.sizes[0];
  const KL = model.sizes[model.sizes.length - 1];
  if (mode === 'deterministic') {
    const net = model.network;
    if (net) return { mode, numClasses, inputs, run: (X, rows) => ({ classes: net.predict(X.subarray(0, rows * inputs)), proba: null }) };
    const store = requireStore(model, mode);
    return {
      mode,
      numClasses,
      inputs,
      run: (X, rows) => ({ classes: predict(store, matrix(X.subarray(0, rows * inputs), rows, inputs), 'deterministic').classes, proba: null }),
    };
  }
  if (mode === 'probabilistic') {
    const store = requireStore(model, mode);
    return {
      mode,
      numClasses,
      inputs,
      run: (X, rows) => {
        const fw = meanFieldForward(store, matrix(X.subarray(0, rows * inputs), rows, inputs));
        const mu = fw.layers[fw.layers.length - 1].muOut;
        const m = mu.data;
        const off = mu.offset;
        const proba = new Float64Array(rows * numClasses);
        const classes = new Int32Array(rows);
        for (let n = 0; n < rows; n++) {
          if (KL === 1) {
            const p1 = Math.min(1, Math.max(0, (1 + m[off + n]) / 2));
            proba[n * 2] = 1 - p1;
            proba[n * 2 + 1] = p1;
            classes[n] = m[off + n] < 0 ? 0 : 1;
            continue;
          }
          let s = 0;
          for (let k = 0; k < KL; k++) s += Math.max(0, (1 + m[off + n * KL + k]) / 2);
          for (let k = 0; k < KL; k++) proba[n * KL + k] = s > 0 ? Math.max(0, (1 + m[off + n * KL + k]) / 2) / s : 1 / KL;
        }
        const scores = new Float64Array(rows * KL);
        for (let i = 0; i < rows * KL; i++) scores[i] = m[off + i];
        if (KL > 1) decideRows(scores, rows, KL, 0, classes);
        return { classes, proba };
      },
    };
  }
  if (mode === 'ensemble') {
    const store = requireStore(model, mode);
    const members = opts.members ?? 16;
    // Every member is a whole network held in memory (16–256 is the useful range); the cap keeps a typo from
    // allocating gigabytes before the first row is read.
    if (!Number.isSafeInteger(members) || members < 1 || members > MAX_MEMBERS) {
      throw new ArgumentError(`--members must be an integer from 1 to ${MAX_MEMBERS}, got ${members}.`);
    }
    const seed = opts.seed ?? 1;
    let meanSign: (X: Float64Array, rows: number) => Float64Array;
    if (packedKindOf(store)) {
      const ens = XnorNetwork.sampleEnsemble(store, { members, seed });
      meanSign = (X, rows) => {
        const s = ens.scores(X.subarray(0, rows * inputs));
        return s.data.subarray(s.offset, s.offset + rows * KL) as Float64Array;
      };
    } else {
      // No packed form (Gaussian weights, levels outside {−1, 0, +1}): sampled float sign networks (src/ebp kernels).
      const rng = createRng(seed);
      const sampled = Array.from({ length: members }, () => sampleWeights(store, rng));
      const work = store.clone();
      meanSign = (X, rows) => {
        const acc = new Float64Array(rows * KL);
        const Xm = matrix(X.subarray(0, rows * inputs), rows, inputs);
        for (const w of sampled) {
          work.layers.forEach((L, l) => L.map.set(w[l]));
          const s = deterministicScores(work, Xm);
          const d = s.data;
          for (let i = 0; i < rows * KL; i++) acc[i] += d[s.offset + i] < 0 ? -1 : 1;
        }
        for (let i = 0; i < acc.length; i++) acc[i] /= members;
        return acc;
      };
    }
    return {
      mode,
      numClasses,
      inputs,
      run: (X, rows) => {
        const sbar = meanSign(X, rows);
        const classes = new Int32Array(rows);
        decideRows(sbar, rows, KL, 0, classes);
        const proba = new Float64Array(rows * numClasses);
        for (let n = 0; n < rows; n++) {
          if (KL === 1) {
            const p1 = (1 + sbar[n]) / 2;
            proba[2 * n] = (members * (1 - p1) + 0.5) / (members + 1);
            proba[2 * n + 1] = (members * p1 + 0.5) / (members + 1);
            continue;
          }
          let total = 0;
          for (let k = 0; k < KL; k++) total += 1 + sbar[n * KL + k];
          for (let k = 0; k < KL; k++) {
            const share = total > 0 ? (1 + sbar[n * KL + k]) / total : 1 / KL;
            proba[n * KL + k] = (members * share + 1 / KL) / (members + 1);
          }
        }
        return { classes, proba };
      },
    };
  }
  throw new ArgumentError(`unknown mode '${String(mode)}'; expected one of ${PREDICT_MODES.join(', ')}.`);
}

/** One draw of every weight from the factorised posterior q(W). */
function sampleWeights(store: PosteriorStore, rng: Rng): Float64Array[] {
  const kind = store.weights;
  return store.layers.map((L) => {
    const w = new Float64Array(L.h.length);
    if (kind === 'binary') {
      // P(W = +1) = (1 + tanh h)/2 = 1/(1 + e^{-2h}).
      for (let i = 0; i < w.length; i++) w[i] = rng.next() < 1 / (1 + Math.exp(-2 * L.h[i])) ? 1 : -1;
    } else if (kind === 'gaussian') {
      const sd = Math.sqrt(store.weightVariance);
      for (let i = 0; i < w.length; i++) w[i] = L.h[i] + sd * rng.normal();
    } else if (isDiscrete(kind)) {
      const levels = kind.levels;
      const logPrior = (kind.prior ?? levels.map(() => 1 / levels.length)).map(Math.log);
      const p = new Float64Array(levels.length);
      for (let i = 0; i < w.length; i++) {
        let mx = -Infinity;
        for (let s = 0; s < levels.length; s++) {
          p[s] = logPrior[s] + L.h[i] * levels[s];
          if (p[s] > mx) mx = p[s];
        }
        let z = 0;
        for (let s = 0; s < levels.length; s++) z += p[s] = Math.exp(p[s] - mx);
        let u = rng.next() * z;
        let s = 0;
        while (s < levels.length - 1 && (u -= p[s]) >= 0) s++;
        w[i] = levels[s];
      }
    }
    return w;
  });
}
