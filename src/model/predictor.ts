/**
 * Class decisions and probabilities of a model, batch by batch, in one of four modes (what `ebp eval` and
 * `ebp predict` run; the probability rules are src/eval/probability.ts):
 * - `deterministic`: the model's one deterministic network, run by the packed XNOR engine (the model's
 *   `XnorNetwork`, binary or ternary, or the ensemble it holds): the determinised network of a deep binary
 *   model that `ebp train` wrote (src/train/determinised.ts), else EBP-D; posteriors without a packed network
 *   (Gaussian, other levels) run the float EBP-D network of src/ebp. No probabilities.
 * - `map` (EBP-D): the sign network of the posterior's most probable weights, whatever network the file
 *   holds (packed when the weights allow, else the float EBP-D network). Needs the posterior. No probabilities.
 * - `probabilistic` (EBP-P): the mean-field output ⟨v_k⟩ = 2Φ(z_k) − 1; class probabilities
 *   p_k ∝ P(v_k = +1) = (1 + ⟨v_k⟩)/2, normalised over the classes (one output: p_1 = (1 + ⟨v⟩)/2).
 * - `ensemble`: `members` networks with weights drawn from the posterior (seeded, src/ebp/sample.ts),
 *   combined by the mean of their sign outputs s̄_k: packed `XnorNetwork.sampleEnsemble` members whenever
 *   the weights have a packed form (binary, or ternary levels within {−1, 0, +1}: `packedKindOf`), sampled
 *   float sign networks (`FloatEnsemble`) otherwise (Gaussian weights, other levels); the class is
 *   argmax s̄_k and the vote shares q_k = (1 + s̄_k)/Σ_j (1 + s̄_j) are smoothed as
 *   p_k = (M q_k + 1/K)/(M + 1), one uniform pseudo-member, so that NLL stays finite.
 *
 * Not to be confused with `predict(store, X, mode)`'s `PredictMode` ('probabilistic' | 'deterministic'),
 * the two inference rules of the posterior itself.
 */
import { meanFieldForward } from '../ebp/forward';
import type { PosteriorStore } from '../ebp/posterior';
import { predict } from '../ebp/predict';
import { FloatEnsemble } from '../ebp/sample';
import { meanOutputProbabilities, smoothedVoteShares } from '../eval/probability';
import { matrix } from '../tensor/matrix';
import { decideRows } from '../util/decide';
import { argumentError, requireOneOf, requirePositiveInteger } from '../util/validate';
import { XnorEnsemble, XnorNetwork, packedKindOf } from '../xnor/network';
import type { PackedModel } from './encode';

/** The four prediction modes of `ebp eval` and `ebp predict` (see the module notes). */
export type PredictorMode = 'deterministic' | 'map' | 'probabilistic' | 'ensemble';
/** Every {@link PredictorMode}, in the CLI's order. */
export const PREDICTOR_MODES: readonly PredictorMode[] = ['deterministic', 'map', 'probabilistic', 'ensemble'];

/** What a predictor runs: the layer widths, and the packed network and/or the posterior (e.g. `{ sizes: store.sizes, store }`). */
export interface PredictorSource {
  /** Layer widths [K_0, ..., K_L]. */
  readonly sizes: readonly number[];
  /** The packed network or ensemble (deterministic mode runs it when present). */
  readonly network?: PackedModel | null;
  /** The weight posterior (probabilistic and ensemble modes; deterministic mode without a packed network). */
  readonly store?: PosteriorStore | null;
}

/** {@link createPredictor} options (ensemble mode). */
export interface PredictorOptions {
  /** Ensemble members (default 16). */
  members?: number;
  /** Seed of the ensemble's weight draws (default 1). */
  seed?: number;
}

/** One batch's decisions from a {@link Predictor}: classes, and class probabilities except in deterministic mode. */
export interface BatchResult {
  classes: Int32Array;
  /** Row-major [rows, numClasses], or null in deterministic mode. */
  proba: Float64Array | null;
}

/** What {@link createPredictor} returns: a model run batch by batch in one mode. */
export interface Predictor {
  readonly mode: PredictorMode;
  /** K_L, or 2 for a single output. */
  readonly numClasses: number;
  readonly inputs: number;
  /** Decide (and give probabilities for) the first `rows` rows of the row-major inputs X. */
  run(X: Float64Array, rows: number): BatchResult;
}

/** The predictor of a mode for a model. */
export function createPredictor(source: PredictorSource, mode: PredictorMode, opts: PredictorOptions = {}): Predictor {
  requireOneOf(mode, 'mode', PREDICTOR_MODES);
  const shape = { mode, numClasses: numClassesOf(source.sizes), inputs: source.sizes[0] };
  const inputs = shape.inputs;
  if (mode === 'deterministic' || mode === 'map') {
    const store = mode === 'map' ? requireStore(source, mode) : source.store;
    const net = mode === 'map' ? (packedKindOf(store!) ? XnorNetwork.fromPosterior(store!) : null) : source.network;
    if (net) return { ...shape, run: (X, rows) => ({ classes: net.predict(X.subarray(0, rows * inputs)), proba: null }) };
    const s = requireStore(source, mode);
    return { ...shape, run: (X, rows) => ({ classes: predict(s, matrix(X.subarray(0, rows * inputs), rows, inputs), 'deterministic').classes, proba: null }) };
  }
  // A packed ensemble without its posterior (a file `ebp export --mode ensemble` wrote) runs its own members.
  if (mode === 'ensemble' && !source.store && source.network instanceof XnorEnsemble) {
    const ens = source.network;
    const KL = ens.sizes[ens.sizes.length - 1];
    const M = ens.members.length;
    return {
      ...shape,
      run: (X, rows) => {
        const s = ens.scores(X.subarray(0, rows * inputs));
        const sbar = s.data.subarray(s.offset, s.offset + rows * KL) as Float64Array;
        return { classes: decideRows(sbar, rows, KL), proba: smoothedVoteShares(sbar, rows, KL, M) };
      },
    };
  }
  const store = requireStore(source, mode);
  if (mode === 'probabilistic') return { ...shape, run: meanFieldRun(store) };
  const members = requirePositiveInteger(opts.members ?? 16, 'members');
  const meanSign = sampledMeanSign(store, members, opts.seed ?? 1);
  const KL = store.sizes[store.sizes.length - 1];
  return {
    ...shape,
    run: (X, rows) => {
      const sbar = meanSign(X, rows);
      return { classes: decideRows(sbar, rows, KL), proba: smoothedVoteShares(sbar, rows, KL, members) };
    },
  };
}

/** Classes of a network with these widths: one per output, two for a single output. */
function numClassesOf(sizes: readonly number[]): number {
  const KL = sizes[sizes.length - 1];
  return KL === 1 ? 2 : KL;
}

function requireStore(source: PredictorSource, mode: PredictorMode): PosteriorStore {
  if (source.store) return source.store;
  throw argumentError(`mode '${mode}' needs the weight posterior (\`store\`), and this model has none (an inference-only file or an STE network); use mode 'deterministic'.`);
}

/** EBP-P: the class of the mean outputs ⟨v_L⟩ and {@link meanOutputProbabilities}. */
function meanFieldRun(store: PosteriorStore): Predictor['run'] {
  const inputs = store.sizes[0];
  const KL = store.sizes[store.sizes.length - 1];
  return (X, rows) => {
    const fw = meanFieldForward(store, matrix(X.subarray(0, rows * inputs), rows, inputs));
    const mu = fw.layers[fw.layers.length - 1].muOut;
    return { classes: decideRows(mu.data, rows, KL, mu.offset), proba: meanOutputProbabilities(mu.data, rows, KL, mu.offset) };
  };
}

/** The mean sign outputs [rows, K_L] of `members` networks drawn from the posterior: packed when the weights allow. */
function sampledMeanSign(store: PosteriorStore, members: number, seed: number): (X: Float64Array, rows: number) => Float64Array {
  const inputs = store.sizes[0];
  const KL = store.sizes[store.sizes.length - 1];
  if (packedKindOf(store)) {
    const ens = XnorNetwork.sampleEnsemble(store, { members, seed });
    return (X, rows) => {
      const s = ens.scores(X.subarray(0, rows * inputs));
      return s.data.subarray(s.offset, s.offset + rows * KL) as Float64Array;
    };
  }
  // No packed form (Gaussian weights, levels outside {−1, 0, +1}): sampled float sign networks (src/ebp kernels).
  const ens = FloatEnsemble.sample(store, { members, seed });
  return (X, rows) => ens.scores(matrix(X.subarray(0, rows * inputs), rows, inputs)).data as Float64Array;
}
