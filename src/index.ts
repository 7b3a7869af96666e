/**
 * ebp-bnn: Expectation Backpropagation for binary neural networks (browser-safe entry).
 * Node-only helpers (files, MNIST) live in `ebp-bnn/node`; special functions in `ebp-bnn/special`.
 */
export { matrix, zeros, toRows, type Matrix, type MatrixLike } from './tensor/matrix';
export {
  EbpError, ArgumentError, ShapeError, NumericError, DataError, ModelFormatError, IoError, MismatchError, EXIT_CODES,
  type ErrorCode, type DataLocation, type MismatchKind,
} from './errors';
export { createRng, type Rng } from './util/random';
export {
  PosteriorStore, type PosteriorLayer, type PosteriorParameters, type PosteriorJSON, type InitOptions,
} from './ebp/posterior';
export type { WeightKind } from './ebp/weights';
export { meanFieldForward, type ForwardResult, type ForwardLayer } from './ebp/forward';
export { ebpStep, type StepResult } from './ebp/update';
export { ebpGradients, type Gradients } from './ebp/reference';
export { predict, classify, deterministicScores, type PredictMode, type Prediction } from './ebp/predict';
export { mergePosteriors, checkSameFamily, posteriorHash, type MergeOptions, type MergeCombine } from './ebp/merge';
export { PosteriorSampler, samplePosterior, FloatEnsemble, type SampleOptions } from './ebp/sample';
export { installWebWorkerThreads, serveEbpTeamWorker, WEB_THREADS_CAP, type WebWorkerThreads, type WebWorkerThreadsOptions } from './ebp/web-threads';
export {
  MetricsAccumulator, ECE_BINS, errorRate, reliabilityCurve, poolReliability, type MetricsReport, type ReliabilityBin,
} from './eval/metrics';
export {
  meanOutputProbabilities, voteShares, smoothedVoteShares, codeProbabilities, ebpCodeProbabilities, ensembleMarginals, normalisedMarginals,
  logOddsOf, probitLogOdds, oneHot, softmaxScores, applyFloor, PROBABILITY_FLOOR,
} from './eval/probability';
export { makeDataset, signTargets, subset, splitDataset, type Dataset } from './data/dataset';
export { parseIdx, type IdxArray, type IdxDtype, type IdxTypedArray, type ParseIdxOptions } from './data/idx';
export {
  EbpTrainer, evaluateErrors, DIVERGENCE_NEG_LOG_Z, type FitOptions, type FitAsyncOptions, type EpochReport, type TrainReport, type EbpTrainerConfig, type EbpTrainerOptions,
} from './ebp/trainer';
export { ternary, normalizeWeightKind, weightKindName, type DiscreteWeights } from './ebp/weights';
export {
  XnorNetwork, XnorEnsemble, packedKindOf, type XnorLayer, type XnorLayerSpec, type XnorLayerType, type XnorOptions, type XnorInput, type EnsembleOptions,
} from './xnor/network';
export {
  determinise, type DeterminiseOptions, type DeterminiseReport, type DeterminiseResult, type DeterminiseEpoch, type DeterminiseMethod,
  type UpperStart, type FixMethod, type DeterministicLayer,
} from './deterministic';
export type { InputEncoding, ResolvedInput } from './xnor/input';
export { packSigns, unpackSigns, packTernary, unpackTernary, packedWords, type PackedMatrix, type TernaryMasks } from './xnor/bitpack';
export { popcount32, xnorDot } from './kernels/xnor-popcount';
export type { XnorBackend } from './kernels/xnor';
export { formatSummary, type ModelSummary, type LayerSummary } from './xnor/summary';
export { encodeModel, encodeCheckpoint, type PackedModel, type EncodeOptions } from './model/encode';
export {
  decodeModel, decodeCheckpoint, type DecodedModel, type DecodedCheckpoint, type DecodeOptions,
} from './model/decode';
export { readModelContainer, type ModelContainer } from './model/container';
export {
  FORMAT_VERSION, type ModelMeta, type MetaValue, type TrainingMeta, type ModelHeader, type TensorEntry, type LayerEntry,
} from './model/format';
export { crc32 } from './model/crc32';
export {
  withPrior, lineageOf, lineageEntries, mergeParts, mergePartOf, mergeCheckpoints, type Lineage, type MergePart,
} from './model/lineage';
export {
  createPredictor, PREDICTOR_MODES, type PredictorMode, type PredictorSource, type PredictorOptions, type Predictor, type BatchResult,
} from './model/predictor';
export {
  SteTrainer, type SteTrainerConfig, type SteFitOptions, type SteFitAsyncOptions, type SteEpochReport, type SteTrainReport, type StePrediction,
  type SteTrainerState, type SteLayerParameters, type SteLayerMoments, type SteLayerGradients, type SteBackend, type SteLoss, type SignLayer, type SignNetwork,
  foldNeuron, firesFolded, steSign, steSignGradient, clipLatent, steSignQuantizer, STE_CLIP_VALUE, type SteQuantizer,
} from './ste';
export { parseCsvText, splitCsvText, type ParseCsvOptions } from './data/csv';
export { detectDelimiter, CsvError, type CsvReason, type Delimiter } from './data/csv-cells';
export { type RawTable, type ColumnPlan, type ColumnOptions, type FeatureKind } from './data/csv-table';
export { resolveColumn, splitColumnList, type ColumnRef, type ResolvedColumn } from './data/columns';
export {
  fitPreprocess, encodeTable, RowEncoder, featureWidth, encodedFeatureNames, sortClassNames, validatePreprocessSpec,
  type PreprocessSpec, type ColumnSpec, type NumericColumnSpec, type CategoricalColumnSpec, type Scaling, type ImputeMethod, type Encoded,
  type PreprocessFitOptions,
} from './data/preprocess';
export {
  crossValidate, summarizeFolds, assignFolds, CV_METRICS,
  type CrossValidationSettings, type CrossValidationOptions, type CvEpoch, type CvFold, type CvFoldData, type CvSummary,
} from './train/cv';
export { contiguousFolds, contiguousBlocks, stratifiedFolds, foldRows, tableRows } from './train/folds';
export type { WeightsName } from './train/record';
