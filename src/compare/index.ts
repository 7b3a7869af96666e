/**
 * `ebp-bnn/compare` (Node only): the EBP-vs-STE method comparison. EBP-P, EBP-D, the packed EBP ensemble and
 * STE over a learning-rate sweep, scored on error, NLL, Brier, ECE, time, memory and model size; `ebp bench`
 * is its command line. See docs/benchmarks.md ("EBP vs STE") and docs/api.md.
 */
export {
  runComparison, planJobs, jobLabel, DEFAULT_LRS, QUICK_LRS, DATA_ORDER,
  type ComparisonOptions, type ComparisonProgress, type ComparisonResult, type ComparisonSettings,
} from './compare';
export { writeComparison, comparisonMarkdown, updateDocsSection, loadResults, resultStem, SECTION_START, SECTION_END, type WriteOptions, type Written } from './report';
export { datasetAvailable, datasetName, loadBenchData, type DatasetSpec, type BenchData } from './datasets';
export { summarizeRuns, bestSte, type SummaryRow } from './summary';
export { comparisonPlots } from './plots';
export type { BenchJob, EbpJob, SteJob, JobResult, MethodRun, MethodId, AlternativeScores } from './runs';
export type { MeanStd } from './stats';
export type { ReliabilityBin } from '../eval/metrics';
export type { ProbabilityMetrics } from './metrics';
export type { SpeedComparison, TorchInfo } from './anchor';
export type { MachineInfo } from './machine';
