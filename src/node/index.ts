/**
 * Node-only data helpers (file system, gzip, npm-installed datasets). Import from `ebp-bnn/node`;
 * the main entry point stays browser-safe.
 */
export { readIdxFile, readMaybeGzipped, isGzip } from './idx-file';
export {
  loadMnist10k,
  loadMnist60k,
  loadFashionMnist,
  fashionMnistAvailable,
  MNIST_CLASS_NAMES,
  FASHION_MNIST_CLASS_NAMES,
  FASHION_MNIST_DIR,
} from './mnist';
export { readNumericCsv, type NumericCsvOptions } from './csv-numeric';
export { saveModel, loadModel, type SaveModelOptions } from './model-file';
export { readCsvTable, streamCsv, type CsvSource, type ReadCsvTableOptions, type CsvStreamOptions, type CsvHandlers } from './csv-stream';
export {
  XnorThreadPool,
  threadedScores,
  threadedPredict,
  defaultThreads,
  resolveThreads,
  DEFAULT_THREADS_CAP,
  MAX_THREADS,
  type ThreadPoolOptions,
} from './xnor-threads';
export { threadedPredictor, type AsyncPredictor, type ThreadedPredictorOptions } from './threaded-predictor';
// Installs the worker launcher of threaded EBP training (EbpTrainer's `threads`; docs/threads.md).
import './ebp-threads';
