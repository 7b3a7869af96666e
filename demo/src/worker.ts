/**
 * The training worker: parses the CSV, trains EBP (fitAsync, so a Stop message gets in between slices),
 * reports progress and the test error a few times per epoch, and sends back the `.ebpb` bytes: the packed
 * EBP-D network, the posterior, and the preprocessing, class and feature names `ebp eval`/`ebp inspect` use.
 */
import {
  EbpTrainer, XnorNetwork, createRng, installWebWorkerThreads, encodeModel, encodedFeatureNames, encodeTable, evaluateErrors, fitPreprocess,
  makeDataset, matrix, parseCsvText, splitCsvText, splitDataset, type Dataset, type MetaValue, type PreprocessSpec, type RawTable,
} from '../../dist/index.js';
import type { FromWorker, ToWorker, TrainRequest } from './protocol';

const scope = self as unknown as {
  postMessage(msg: FromWorker, transfer?: Transferable[]): void;
  onmessage: ((ev: MessageEvent<ToWorker>) => void) | null;
};
const post = (msg: FromWorker, transfer?: Transferable[]): void => scope.postMessage(msg, transfer);

// Threads where the page is cross-origin isolated: the team's workers run team-worker.js (nested workers).
const web = installWebWorkerThreads('team-worker.js');

let stopRequested = false;
let busy = false;

function encoded(spec: PreprocessSpec, raw: RawTable, rows?: ArrayLike<number>): Dataset {
  const e = encodeTable(spec, raw);
  const all = makeDataset({ X: matrix(e.X, e.rows, e.X.length / Math.max(1, e.rows)), labels: e.labels, numClasses: spec.label.classes.length });
  if (!rows) return all;
  const f = all.X.shape[1];
  const X = new Float64Array(rows.length * f);
  const labels = new Int32Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    X.set(all.X.data.subarray(rows[i] * f, (rows[i] + 1) * f), i * f);
    labels[i] = all.labels[rows[i]];
  }
  return makeDataset({ X: matrix(X, rows.length, f), labels, numClasses: all.numClasses });
}

// A cell that is a number or means "missing" (the library's CSV rules); any other cell makes its column text.
const NUMERIC = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$|^[+-]?(?:nan|inf|infinity)$|^(?:|na|n\/a|null|\?)$/i;

/**
 * The label column as the library picks it (a name in the header, else a 0-based index, else `label`, else
 * the last column), and the feature columns holding text, which are then one-hot encoded, as
 * `ebp train --categorical` would.
 */
function columnsOf(text: string, file: string, label: string): { label: string | undefined; categorical: string[] } {
  const { header, records } = splitCsvText(text, { file });
  let labelIndex = header.indexOf(label);
  if (labelIndex < 0 && /^-?\d+$/.test(label)) labelIndex = (Number(label) + header.length) % header.length;
  if (labelIndex < 0) labelIndex = header.includes('label') ? header.indexOf('label') : header.length - 1;
  const categorical = header.filter((_, j) => j !== labelIndex && records.some((r) => !NUMERIC.test((r.cells[j] ?? '').trim())));
  return { label: header[labelIndex], categorical };
}

/** Training and test sets, with the preprocessing fitted on the training rows only (missing cells: column means). */
function datasets(req: TrainRequest): { spec: PreprocessSpec; train: Dataset; test: Dataset } {
  const columns = columnsOf(req.train.text, req.train.name, req.label);
  const opts = { label: columns.label, categorical: columns.categorical, allowMissing: true };
  const raw = parseCsvText(req.train.text, { file: req.train.name, ...opts });
  if (req.test) {
    const spec = fitPreprocess(raw, { scaling: { kind: 'standardize' }, impute: 'mean' });
    const rawTest = parseCsvText(req.test.text, { file: req.test.name, ...opts });
    return { spec, train: encoded(spec, raw), test: encoded(spec, rawTest) };
  }
  // Hold out a seeded share of the rows: split the row indices, then fit the statistics on the rest.
  const index = makeDataset({ X: matrix(Float64Array.from({ length: raw.rows }, (_, i) => i), raw.rows, 1), labels: new Int32Array(raw.rows), numClasses: 1 });
  const parts = splitDataset(index, req.validationFraction, createRng(req.seed));
  const trainRows = Int32Array.from(parts.train.X.data);
  const testRows = Int32Array.from(parts.validation.X.data);
  const spec = fitPreprocess(raw, { scaling: { kind: 'standardize' }, impute: 'mean', rows: trainRows });
  return { spec, train: encoded(spec, raw, trainRows), test: encoded(spec, raw, testRows) };
}

async function train(req: TrainRequest): Promise<void> {
  const started = performance.now();
  const { spec, train, test } = datasets(req);
  const classes = spec.label.classes;
  post({ type: 'data', trainRows: train.labels.length, testRows: test.labels.length, inputs: train.X.shape[1], classes });
  const threads = Math.max(1, Math.min(req.threads, web.threads));
  const trainer = EbpTrainer.create({ inputs: train.X.shape[1], hidden: [req.hidden], outputs: classes.length, weights: 'binary', seed: req.seed, threads });
  post({ type: 'ready', backend: trainer.store.backend, threads: web.threads, ...(web.reason ? { reason: web.reason } : {}) });
  const first = evaluateErrors(trainer.store, test);
  post({ type: 'point', at: 0, errorD: first.errorD, errorP: first.errorP });
  // A few test-error points per epoch make the curve live even for short runs.
  const pointsPerEpoch = 4;
  let lastProgress = 0;
  const report = await trainer.fitAsync(train, {
    epochs: req.epochs,
    batchSize: req.batchSize,
    seed: req.seed,
    validation: test,
    trainError: 'none',
    sliceMs: 30,
    shouldStop: () => stopRequested,
    onBatch: ({ epoch, batch, batches }) => {
      const done = batch + 1;
      const now = performance.now();
      if (now - lastProgress > 80 || done === batches) {
        lastProgress = now;
        post({ type: 'progress', epoch, fraction: (epoch - 1 + done / batches) / req.epochs });
      }
      const step = Math.max(1, Math.floor(batches / pointsPerEpoch));
      if (done % step === 0 && done < batches - step / 2) {
        const e = evaluateErrors(trainer.store, test);
        post({ type: 'point', at: epoch - 1 + done / batches, errorD: e.errorD, errorP: e.errorP });
      }
    },
    onEpoch: (r) => {
      post({ type: 'point', at: r.epoch, errorD: r.validationErrorD, errorP: r.validationErrorP });
    },
  });
  const epochsDone = report.epochs.filter((e) => !e.interrupted).length;
  const final = evaluateErrors(trainer.store, test);
  const meta = {
    classNames: classes.slice(),
    featureNames: encodedFeatureNames(spec),
    preprocess: spec as unknown as MetaValue,
    training: { trainer: 'ebp' as const, epochs: epochsDone, seed: req.seed, source: 'ebp-bnn browser demo' },
  };
  const used = trainer.threads;
  trainer.close();
  const bytes = encodeModel(XnorNetwork.fromPosterior(trainer.store), meta, { posterior: trainer.store });
  const base = req.train.name.replace(/\.[^.]*$/, '').replace(/[^\w.-]+/g, '_') || 'model';
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  post(
    {
      type: 'done',
      bytes: buffer,
      fileName: `${base}-ebp.ebpb`,
      epochs: epochsDone,
      interrupted: report.interrupted,
      errorD: final.errorD,
      errorP: final.errorP,
      seconds: (performance.now() - started) / 1000,
      threads: used,
    },
    [buffer],
  );
}

scope.onmessage = (ev) => {
  const msg = ev.data;
  if (msg.type === 'stop') {
    stopRequested = true;
    return;
  }
  if (busy) return;
  busy = true;
  stopRequested = false;
  train(msg)
    .catch((e: unknown) => post({ type: 'error', message: e instanceof Error ? e.message : String(e) }))
    .finally(() => {
      busy = false;
    });
};
