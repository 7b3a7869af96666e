/**
 * The method-comparison harness (Node only): EBP-P, EBP-D, the packed EBP ensemble and STE over a learning-rate
 * sweep, scored on error, NLL, Brier, ECE, time, memory and model size. See docs/benchmarks.md.
 */
export {
  runComparison, planJobs, jobLabel, workerScript, DEFAULT_LRS, QUICK_LRS, DATA_ORDER,
  type ComparisonOptions, type ComparisonProgress, type ComparisonResult, type ComparisonSettings,
} from './compare';
export { writeComparison, comparisonMarkdown, updateDocsSection, loadResults, resultStem, toJson, SECTION_START, SECTION_END, type WriteOptions, type Written } from './report';
export { datasetAvailable, datasetName, loadBenchData, type DatasetSpec, type BenchData } from './datasets';
export { runJob, steModelBytes, lrLabel, type BenchJob, type EbpJob, type SteJob, type JobResult, type MethodRun, type MethodId, type AlternativeScores } from './runs';
export { summarize, bestSte, type SummaryRow } from './summary';
export {
  codeProbabilities, ebpCodeProbabilities, ensembleMarginals, normalisedMarginals, oneHot, softmaxScores, applyFloor, argmaxRows, errorRate, logOddsOf,
  probitLogOdds, reliabilityCurve, poolReliability, evaluateProbabilities, PROBABILITY_FLOOR, ECE_BINS, type ReliabilityBin, type ProbabilityMetrics,
} from './metrics';
export { meanStd, median, type MeanStd } from './stats';
export { comparisonPlots, errorPerEpochSvg, lrSweepSvg, reliabilitySvg } from './plots';
export type { SpeedComparison, TorchInfo } from './anchor';
