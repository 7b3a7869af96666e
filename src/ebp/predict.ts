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

export interface Prediction {
  /**
   * [batch, K_L]. EBP-P: ⟨v_L⟩ = 2Φ(z) − 1 from the mean-field pass. EBP-D: the output field
   * W_L v_{L−1} + b_L of the sign network with the most probable weights (no 1/√(K+1) scale).
   */
  scores: Matrix;
  /** Class per row: argmax over outputs; with a single output, 1 if score ≥ 0 else 0 (sign(0) = +1). */
  classes: Int32Array;
}

/** EBP-P or EBP-D outputs and the class decision (spec §8). */
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
