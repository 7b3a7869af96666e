/** Mean ± std over seeds of every method configuration of a comparison. */
import { meanStd, median, seriesMeanStd, type MeanStd } from './stats';
import { poolReliability, type ReliabilityBin } from '../eval/metrics';
import type { MethodId, MethodRun } from './runs';

/** One row of the comparison table: a method and its settings, with mean ± std over seeds of every score. */
export interface SummaryRow {
  key: string;
  method: MethodId;
  label: string;
  batchNorm?: boolean;
  lr?: number;
  lrEnd?: number;
  batch: number;
  epochs: number;
  seeds: number[];
  testError: MeanStd;
  nll: MeanStd;
  brier: MeanStd;
  ece: MeanStd;
  /** Per run: median training-loop seconds over its epochs (robust to other jobs on a shared machine); then mean ± std over seeds. */
  secondsPerEpoch: MeanStd;
  peakRssMiB: MeanStd;
  rssBeforeTrainingMiB: MeanStd;
  rssIsolated: boolean;
  modelBytes: MeanStd;
  modelBytesNote: string;
  rule: string;
  /** Test error after each epoch, mean and std over seeds. */
  errorPerEpoch: { mean: number[]; std: number[] };
  /** Reliability bins pooled over seeds, and the ECE of the pooled bins. */
  reliability: { bins: ReliabilityBin[]; ece: number };
  alternatives: { rule: string; nll: MeanStd; brier: MeanStd; ece: MeanStd; reliability: { bins: ReliabilityBin[]; ece: number } }[];
}

/** Group runs by configuration key (order of first appearance) and summarise each group. */
export function summarizeRuns(runs: readonly MethodRun[]): SummaryRow[] {
  const groups = new Map<string, MethodRun[]>();
  for (const r of runs) {
    const g = groups.get(r.key);
    if (g) g.push(r);
    else groups.set(r.key, [r]);
  }
  const rows: SummaryRow[] = [];
  for (const [key, rs] of groups) {
    const f = rs[0];
    const row: SummaryRow = {
      key,
      method: f.method,
      label: f.label,
      batch: f.batch,
      epochs: f.epochs,
      seeds: rs.map((r) => r.seed),
      testError: meanStd(rs.map((r) => r.metrics.error)),
      nll: meanStd(rs.map((r) => r.metrics.nll)),
      brier: meanStd(rs.map((r) => r.metrics.brier)),
      ece: meanStd(rs.map((r) => r.metrics.ece)),
      secondsPerEpoch: meanStd(rs.map((r) => median(r.secondsPerEpoch))),
      peakRssMiB: meanStd(rs.map((r) => r.peakRssMiB)),
      rssBeforeTrainingMiB: meanStd(rs.map((r) => r.rssBeforeTrainingMiB)),
      rssIsolated: rs.every((r) => r.rssIsolated),
      modelBytes: meanStd(rs.map((r) => r.modelBytes)),
      modelBytesNote: f.modelBytesNote,
      rule: f.metrics.rule,
      errorPerEpoch: seriesMeanStd(rs.map((r) => r.testErrorPerEpoch)),
      reliability: poolReliability(rs.map((r) => r.metrics.reliability)),
      alternatives: f.alternatives.map((a, i) => ({
        rule: a.rule,
        nll: meanStd(rs.map((r) => r.alternatives[i].nll)),
        brier: meanStd(rs.map((r) => r.alternatives[i].brier)),
        ece: meanStd(rs.map((r) => r.alternatives[i].ece)),
        reliability: poolReliability(rs.map((r) => r.alternatives[i].reliability)),
      })),
    };
    if (f.batchNorm !== undefined) row.batchNorm = f.batchNorm;
    if (f.lr !== undefined) row.lr = f.lr;
    if (f.lrEnd !== undefined) row.lrEnd = f.lrEnd;
    rows.push(row);
  }
  return rows;
}

/** The STE row with the lowest mean test error for a batch-norm setting (picked on the test set). */
export function bestSte(rows: readonly SummaryRow[], batchNorm: boolean): SummaryRow | undefined {
  let best: SummaryRow | undefined;
  for (const r of rows) {
    if (r.method !== 'ste' || r.batchNorm !== batchNorm || !Number.isFinite(r.testError.mean)) continue;
    if (!best || r.testError.mean < best.testError.mean) best = r;
  }
  return best;
}
