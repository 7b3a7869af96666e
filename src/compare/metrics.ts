/**
 * The harness's score of one method on one test set (docs/benchmarks.md, "Probabilities"): error and confusion
 * of the method's decisions, NLL, Brier and ECE of its class probabilities, and the reliability bins. The
 * metrics themselves and the probability rules live in src/eval (metrics.ts, probability.ts).
 */
import { MetricsAccumulator, reliabilityCurve, type ReliabilityBin } from '../eval/metrics';
import { argmax } from '../util/decide';

/** Scores of one method on one test set. */
export interface ProbabilityMetrics {
  rows: number;
  /** Error of the method's own decisions. */
  error: number;
  /** Mean −ln q_true. */
  nll: number;
  /** Mean Σ_k (q_k − y_k)². */
  brier: number;
  /** Expected calibration error, 15 equal-width bins on the top-class confidence. */
  ece: number;
  /** confusion[t][p]: rows of true class t decided as p (the method's decisions). */
  confusion: number[][];
  reliability: ReliabilityBin[];
  /** Rows where the first maximum of q is not the method's decision (ties created by the floor). */
  argmaxDisagreements: number;
}

/**
 * Error and confusion of the decisions `classes`; NLL, Brier and ECE of the probabilities q [rows, K]
 * (ECE on q's top class), computed by {@link MetricsAccumulator} (src/eval, as `ebp eval` does); reliability bins alongside.
 */
export function evaluateProbabilities(q: Float64Array, labels: ArrayLike<number>, classes: ArrayLike<number>, K: number): ProbabilityMetrics {
  const rows = labels.length;
  if (q.length !== rows * K) throw new Error(`evaluateProbabilities: ${q.length} probabilities for ${rows} rows × ${K} classes.`);
  if (classes.length !== rows) throw new Error(`evaluateProbabilities: ${classes.length} decisions for ${rows} rows.`);
  const acc = new MetricsAccumulator(Array.from({ length: K }, (_, k) => String(k)));
  acc.add(labels, classes, q, rows);
  const r = acc.report();
  const rel = reliabilityCurve(q, labels, rows, K);
  let dis = 0;
  for (let n = 0; n < rows; n++) if (argmax(q, n * K, K) !== classes[n]) dis++;
  return {
    rows,
    error: r.error,
    nll: r.nll as number,
    brier: r.brier as number,
    ece: r.ece as number,
    confusion: r.confusion,
    reliability: rel.bins,
    argmaxDisagreements: dis,
  };
}
