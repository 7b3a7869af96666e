/**
 * Draws of the weights from the factorised posterior q(W) (spec §8, "Ensembles"), the one sampler of the
 * library: the packed ensembles (`XnorNetwork.sampleEnsemble`), the float ensembles below (the CLI's
 * ensembles of Gaussian or multi-level posteriors) and library users draw through {@link PosteriorSampler}.
 * A draw takes every layer in order, its weights row-major ([outputs, inputs]); biases are not sampled.
 *
 * - ±1 weights (`'binary'`, or discrete levels exactly [−1, 1]): W = +1 with probability
 *   (1 + ⟨W⟩)/2 = (1 + tanh h)/2, as `predict_sampled` of the reference implementation: one `rng.next()` u
 *   per weight, +1 when u < (1 + ⟨W⟩)/2.
 * - Other discrete levels (e.g. ternary): W = s with probability q(s) ∝ π(s)e^{h s}. One u per weight; the
 *   level index is the number of cumulative probabilities q(s₀), q(s₀) + q(s₁), … (S − 1 of them, levels
 *   ascending, computed once per sampler with the exponents shifted by their maximum) that are ≤ u.
 * - Gaussian weights: W = h + √s2 · ε with ε = `rng.normal()`.
 */
import ndarray from 'ndarray';
import { ArgumentError } from '../errors';
import { asMatrix, type Matrix } from '../tensor/matrix';
import { decideRows } from '../util/decide';
import { createRng, type Rng } from '../util/random';
import type { PosteriorStore } from './posterior';
import { deterministicScores } from './predict';

/** How many networks to draw from the posterior, and the seed of the draws ({@link samplePosterior}). */
export interface SampleOptions {
  /** Number of draws (ensemble members, ≥ 1). */
  members: number;
  /** Seed of the draws (same seed, same members). Default 0. */
  seed?: number;
}

/** Draws whole networks' weights from a store's posterior; `draw` is one member. */
export class PosteriorSampler {
  /** Per layer, for discrete weights other than ±1: the S − 1 cumulative probabilities of every weight. */
  private readonly cumulative: Float64Array[] | null;

  constructor(readonly store: PosteriorStore) {
    this.cumulative = store.discrete && !isPlusMinusOne(store) ? store.layers.map((L) => cumulativeQ(store, L.h)) : null;
  }

  /** One draw of every weight: per layer a new row-major [outputs, inputs] array of weight values. */
  draw(rng: Rng): Float64Array[] {
    const { store, cumulative } = this;
    return store.layers.map((L, l) => {
      const w = new Float64Array(L.h.length);
      if (cumulative) {
        const levels = store.discrete!.levels;
        const S = levels.length;
        const c = cumulative[l];
        for (let i = 0; i < w.length; i++) {
          const u = rng.next();
          let s = 0;
          while (s < S - 1 && u >= c[i * (S - 1) + s]) s++;
          w[i] = levels[s];
        }
      } else if (store.weights === 'gaussian') {
        const sd = Math.sqrt(store.weightVariance);
        for (let i = 0; i < w.length; i++) w[i] = L.h[i] + sd * rng.normal();
      } else {
        // P(W = +1) = (1 + ⟨W⟩)/2 = (1 + tanh h)/2.
        const mean = L.mean;
        for (let i = 0; i < w.length; i++) w[i] = rng.next() < 0.5 * (1 + mean[i]) ? 1 : -1;
      }
      return w;
    });
  }
}

/** `members` draws of every weight from createRng(seed): members × layers row-major weight arrays. */
export function samplePosterior(store: PosteriorStore, opts: SampleOptions): Float64Array[][] {
  const { members, rng } = sampleStream(opts);
  const sampler = new PosteriorSampler(store);
  return Array.from({ length: members }, () => sampler.draw(rng));
}

/** Validated `members` and the generator of {@link SampleOptions} (the packed ensembles draw from it too). */
export function sampleStream(opts: SampleOptions): { members: number; rng: Rng } {
  const M = opts?.members;
  if (!Number.isInteger(M) || M < 1) throw new ArgumentError(`invalid argument. \`members\` must be a positive integer. Value: \`${M}\`.`);
  const seed = opts.seed ?? 0;
  if (!Number.isFinite(seed)) throw new ArgumentError(`invalid argument. \`seed\` must be a finite integer. Value: \`${seed}\`.`);
  return { members: M, rng: createRng(seed) };
}

/**
 * An ensemble of float sign networks (src/ebp's EBP-D network) whose weights are drawn from the posterior,
 * for any weight kind (the packed `XnorEnsemble` holds only ±1 and ternary weights). Combined as the packed
 * ensemble is: the mean of the members' sign outputs, class = its argmax.
 */
export class FloatEnsemble {
  /** Every member's weights (members × layers, row-major). */
  readonly members: readonly Float64Array[][];
  /** The store whose weights are replaced by each member's in turn (biases kept). */
  private readonly work: PosteriorStore;

  constructor(store: PosteriorStore, members: readonly Float64Array[][]) {
    if (!Array.isArray(members) || members.length === 0) throw new ArgumentError('invalid argument. An ensemble needs at least one member.');
    this.members = Object.freeze(members.slice());
    this.work = store.clone();
  }

  /** Draw `members` networks from the posterior (see {@link PosteriorSampler}). */
  static sample(store: PosteriorStore, opts: SampleOptions): FloatEnsemble {
    return new FloatEnsemble(store, samplePosterior(store, opts));
  }

  /** Mean over members of the sign of each output (sign(0) = +1): [batch, K_L], values in [−1, 1]. */
  scores(X: Matrix): Matrix {
    const Xm = asMatrix(X);
    const { work } = this;
    const KL = work.sizes[work.sizes.length - 1];
    const n = Xm.shape[0] * KL;
    const acc = new Float64Array(n);
    for (const w of this.members) {
      work.layers.forEach((L, l) => L.map.set(w[l]));
      const s = deterministicScores(work, Xm);
      const d = s.data;
      for (let i = 0; i < n; i++) acc[i] += d[s.offset + i] < 0 ? -1 : 1;
    }
    for (let i = 0; i < n; i++) acc[i] /= this.members.length;
    return ndarray(acc, [Xm.shape[0], KL]);
  }

  /** Class per row: argmax of the mean sign output (first maximum); one output: 1 if the mean is ≥ 0. */
  predict(X: Matrix): Int32Array {
    const s = this.scores(X);
    return decideRows(s.data, s.shape[0], s.shape[1]);
  }
}

/** ±1 weights: `'binary'`, or discrete levels exactly [−1, 1] (drawn by the mean, as binary weights are). */
function isPlusMinusOne(store: PosteriorStore): boolean {
  const L = store.discrete?.levels;
  return store.weights === 'binary' || (L !== undefined && L.length === 2 && L[0] === -1 && L[1] === 1);
}

/**
 * For discrete weights, per weight the cumulative probabilities q(s_0), q(s_0) + q(s_1), ... (S − 1 of
 * them, levels ascending) of q(s) ∝ π(s)e^{h s}, computed with the exponents shifted by their maximum.
 */
function cumulativeQ(store: PosteriorStore, h: Float64Array): Float64Array {
  const { levels, logPrior } = store.discrete!;
  const S = levels.length;
  const c = new Float64Array(h.length * (S - 1));
  const w = new Float64Array(S);
  for (let i = 0; i < h.length; i++) {
    const x = h[i];
    let amax = -Infinity;
    for (let s = 0; s < S; s++) {
      w[s] = logPrior[s] + x * levels[s];
      if (w[s] > amax) amax = w[s];
    }
    let Z = 0;
    for (let s = 0; s < S; s++) Z += w[s] = Math.exp(w[s] - amax);
    let acc = 0;
    for (let s = 0; s + 1 < S; s++) c[i * (S - 1) + s] = (acc += w[s]) / Z;
  }
  return c;
}
