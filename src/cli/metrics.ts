/**
 * Streaming classification metrics for `ebp eval`: error, confusion matrix, and where probabilities exist
 * the negative log-likelihood (mean −ln p_true), the multi-class Brier score (mean Σ_k (p_k − y_k)²) and the
 * expected calibration error (top-label confidence, 15 equal-width bins, weighted by bin size).
 */
export const ECE_BINS = 15;

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
        let top = 0;
        for (let k = 0; k < K; k++) {
          const d = proba[o + k] - (k === t ? 1 : 0);
          b += d * d;
          if (proba[o + k] > proba[o + top]) top = k;
        }
        this.brier += b;
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

/** The confusion matrix as an aligned text table (rows: true class, columns: predicted class). */
export function formatConfusion(r: MetricsReport): string {
  const names = r.classes.map((c) => (c.length > 12 ? c.slice(0, 11) + '…' : c));
  const w = Math.max(4, ...names.map((s) => s.length), ...r.confusion.flat().map((x) => String(x).length));
  const lw = Math.max('true \\ predicted'.length, ...names.map((s) => s.length));
  const lines = ['true \\ predicted'.padEnd(lw) + '  ' + names.map((s) => s.padStart(w)).join(' ')];
  r.confusion.forEach((row, t) => lines.push(names[t].padEnd(lw) + '  ' + row.map((x) => String(x).padStart(w)).join(' ')));
  return lines.join('\n');
}
