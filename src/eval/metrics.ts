/**
 * Classification metrics, written once for `ebp eval`, the comparison harness and library users: error,
 * confusion matrix, and where probabilities exist the negative log-likelihood (mean −ln p_true), the
 * multi-class Brier score (mean Σ_k (p_k − y_k)²) and the expected calibration error (top-label confidence,
 * 15 equal-width bins, weighted by bin size), with the per-bin reliability data those scores are made of.
 */
import { argmax } from '../util/decide';

/** Equal-width confidence bins of the expected calibration error. */
export const ECE_BINS = 15;

/** What {@link MetricsAccumulator.report} returns: error, confusion matrix, and NLL, Brier and ECE where probabilities were given. */
export interface MetricsReport {
  rows: number;
  errors: number;
  error: number;
  accuracy: number;
  classes: string[];
  /** confusion[t][p]: rows of true class t predicted as p. */
  confusion: number[][];
  nll: number | null;
  brier: number | null;
  ece: number | null;
}

/** Streaming metrics: `add` batches of decisions (and probabilities), then `report`. */
export class MetricsAccumulator {
  private readonly K: number;
  private readonly confusion: number[][];
  private rows = 0;
  private errors = 0;
  private nll = 0;
  private brier = 0;
  private withProba = 0;
  private readonly binCount = new Float64Array(ECE_BINS);
  private readonly binConf = new Float64Array(ECE_BINS);
  private readonly binCorrect = new Float64Array(ECE_BINS);

  constructor(private readonly classes: string[]) {
    this.K = classes.length;
    this.confusion = classes.map(() => new Array<number>(classes.length).fill(0));
  }

  /** Add a batch: true labels, predicted classes, optional probabilities [rows, K]. */
  add(labels: ArrayLike<number>, predicted: ArrayLike<number>, proba: Float64Array | null, rows: number): void {
    const K = this.K;
    for (let n = 0; n < rows; n++) {
      const t = labels[n];
      const p = predicted[n];
      this.confusion[t][p]++;
      if (t !== p) this.errors++;
      if (proba) {
        const o = n * K;
        const pt = Math.max(proba[o + t], 1e-300);
        this.nll -= Math.log(pt);
        let b = 0;
        for (let k = 0; k < K; k++) {
          const d = proba[o + k] - (k === t ? 1 : 0);
          b += d * d;
        }
        this.brier += b;
        const top = argmax(proba, o, K);
        const conf = proba[o + top];
        const bin = Math.min(ECE_BINS - 1, Math.max(0, Math.floor(conf * ECE_BINS)));
        this.binCount[bin]++;
        this.binConf[bin] += conf;
        if (top === t) this.binCorrect[bin]++;
        this.withProba++;
      }
    }
    this.rows += rows;
  }

  /** The metrics of every row added so far. */
  report(): MetricsReport {
    const n = this.rows;
    let ece: number | null = null;
    if (this.withProba > 0) {
      ece = 0;
      for (let b = 0; b < ECE_BINS; b++) {
        if (this.binCount[b] === 0) continue;
        ece += (this.binCount[b] / this.withProba) * Math.abs(this.binCorrect[b] / this.binCount[b] - this.binConf[b] / this.binCount[b]);
      }
    }
    return {
      rows: n,
      errors: this.errors,
      error: n > 0 ? this.errors / n : NaN,
      accuracy: n > 0 ? 1 - this.errors / n : NaN,
      classes: this.classes.slice(),
      confusion: this.confusion.map((r) => r.slice()),
      nll: this.withProba > 0 ? this.nll / this.withProba : null,
      brier: this.withProba > 0 ? this.brier / this.withProba : null,
      ece,
    };
  }
}

/** Fraction of rows whose class differs from the label. */
export function errorRate(classes: ArrayLike<number>, labels: ArrayLike<number>): number {
  let e = 0;
  for (let i = 0; i < labels.length; i++) if (classes[i] !== labels[i]) e++;
  return e / labels.length;
}

/** One bin of a reliability diagram: rows whose top-class confidence falls in [lo, hi). */
export interface ReliabilityBin {
  lo: number;
  hi: number;
  count: number;
  /** Mean top-class confidence of the bin's rows (null when empty). */
  confidence: number | null;
  /** Fraction of the bin's rows whose top class is right (null when empty). */
  accuracy: number | null;
}

/**
 * Reliability-diagram data with the binning of {@link MetricsAccumulator}'s ECE: top class = first maximum
 * of q, bin min(B − 1, ⌊confidence·B⌋); ECE = Σ_b (n_b/n)·|accuracy_b − confidence_b|.
 */
export function reliabilityCurve(
  q: ArrayLike<number>,
  labels: ArrayLike<number>,
  rows: number,
  K: number,
  bins: number = ECE_BINS,
): { bins: ReliabilityBin[]; ece: number } {
  const count = new Float64Array(bins);
  const conf = new Float64Array(bins);
  const correct = new Float64Array(bins);
  for (let n = 0; n < rows; n++) {
    const top = argmax(q, n * K, K);
    const c = q[n * K + top];
    const b = Math.min(bins - 1, Math.max(0, Math.floor(c * bins)));
    count[b]++;
    conf[b] += c;
    if (top === labels[n]) correct[b]++;
  }
  return binsFromSums(count, conf, correct, rows);
}

/** Reliability bins and ECE from per-bin sums (count, Σ confidence, Σ correct) over `total` rows. */
export function binsFromSums(count: ArrayLike<number>, conf: ArrayLike<number>, correct: ArrayLike<number>, total: number): { bins: ReliabilityBin[]; ece: number } {
  const B = count.length;
  let ece = 0;
  const out: ReliabilityBin[] = [];
  for (let b = 0; b < B; b++) {
    const c = count[b];
    const bin: ReliabilityBin = { lo: b / B, hi: (b + 1) / B, count: c, confidence: c > 0 ? conf[b] / c : null, accuracy: c > 0 ? correct[b] / c : null };
    if (c > 0) ece += (c / total) * Math.abs(correct[b] / c - conf[b] / c);
    out.push(bin);
  }
  return { bins: out, ece: total > 0 ? ece : NaN };
}

/** Pool reliability bins of several runs (same binning): counts add, means are count-weighted. */
export function poolReliability(runs: readonly (readonly ReliabilityBin[])[]): { bins: ReliabilityBin[]; ece: number } {
  if (runs.length === 0) return { bins: [], ece: NaN };
  const B = runs[0].length;
  const count = new Float64Array(B);
  const conf = new Float64Array(B);
  const correct = new Float64Array(B);
  let total = 0;
  for (const r of runs) {
    if (r.length !== B) throw new Error(`poolReliability: ${r.length} bins, expected ${B}.`);
    r.forEach((b, i) => {
      count[i] += b.count;
      conf[i] += b.count > 0 ? (b.confidence as number) * b.count : 0;
      correct[i] += b.count > 0 ? (b.accuracy as number) * b.count : 0;
      total += b.count;
    });
  }
  return binsFromSums(count, conf, correct, total);
}
