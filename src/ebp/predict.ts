/** Inference (spec §8): EBP-P from the mean-field pass, EBP-D from the sign network, and the class decision. */
import ndarray from 'ndarray';
import { asMatrix, rowMajor, type Matrix } from '../tensor/matrix';
import { decideRows } from '../util/decide';
import { requireOneOf } from '../util/validate';
import { forEachChunk, loadBatch } from './batch';
import { deterministicBatch, meanFieldForward } from './forward';
import type { PosteriorStore } from './posterior';

const MODES: readonly PredictMode[] = ['probabilistic', 'deterministic'];

/** `'probabilistic'` is EBP-P, `'deterministic'` is EBP-D (spec §8). */
export type PredictMode = 'probabilistic' | 'deterministic';

/** What {@link predict} returns: output scores and the class per row. */
export interface Prediction {
  /**
   * [batch, K_L]. EBP-P: ⟨v_L⟩ = 2Φ(z) − 1 from the mean-field pass. EBP-D: the output field
   * W_L v_{L−1} + b_L of the sign network with the most probable weights (no 1/√(K+1) scale).
   */
  scores: Matrix;
  /** Class per row: argmax over outputs; with a single output, 1 if score ≥ 0 else 0 (sign(0) = +1). */
  classes: Int32Array;
}

/**
 * EBP-P or EBP-D outputs and the class decision (spec §8).
 *
 * @example
 * ```ts
 * import { PosteriorStore, matrix, predict } from 'ebp-bnn';
 *
 * const store = PosteriorStore.init([3, 8, 2], { weights: 'binary', seed: 1 });
 * const X = matrix([[1, -1, 0.5], [0, 2, -1]]);
 * const p = predict(store, X, 'probabilistic'); // EBP-P: scores 2Φ(z) − 1 in [−1, 1]
 * const d = predict(store, X, 'deterministic'); // EBP-D: the most probable binary network
 * console.log(p.scores.shape, p.classes, d.classes);
 * ```
 */
export function predict(store: PosteriorStore, X: Matrix, mode: PredictMode = 'probabilistic'): Prediction {
  X = asMatrix(X);
  requireOneOf(mode, 'mode', MODES);
  const scores = mode === 'probabilistic' ? probabilisticScores(store, X) : deterministicScores(store, X);
  return { scores, classes: classify(scores) };
}

/** EBP-P: ⟨v_L⟩ = 2Φ(z) − 1 of the mean-field pass. */
function probabilisticScores(store: PosteriorStore, X: Matrix): Matrix {
  const fw = meanFieldForward(store, X);
  return fw.layers[fw.layers.length - 1].muOut;
}

/**
 * EBP-D: one ordinary network with the most probable weights (sign h, sign(0) = +1; Gaussian: the mean),
 * real biases, hidden units v = sign(Wv + b) with sign(0) = +1; returns the last layer's field.
 */
export function deterministicScores(store: PosteriorStore, X: Matrix): Matrix {
  X = asMatrix(X);
  const B = loadBatch(store, X);
  const KL = store.sizes[store.sizes.length - 1];
  const out = new Float64Array(B * KL);
  forEachChunk(store, X, (ws, start, nb) => {
    deterministicBatch(store, ws, nb);
    out.set(ws.layers[ws.layers.length - 1].signOut.subarray(0, nb * KL), start * KL);
  });
  return ndarray(out, [B, KL]);
}

/** The decision rule of spec §8: argmax (first maximum) over outputs; one output: score ≥ 0 → 1, else 0. */
export function classify(scores: Matrix): Int32Array {
  const { data, offset, rows, cols } = rowMajor(scores);
  return decideRows(data, rows, cols, offset);
}
