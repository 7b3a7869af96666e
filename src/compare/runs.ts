/**
 * One training run of the comparison ("job"), on data already loaded: EBP (scored three ways: EBP-P, EBP-D and
 * the packed posterior ensemble) or STE at one learning rate with or without batch normalisation. Every number
 * a job reports is measured on the test set after the last epoch, except the per-epoch test errors.
 */
import { classify, predict } from '../ebp/predict';
import { meanFieldForward } from '../ebp/forward';
import { EbpTrainer } from '../ebp/trainer';
import '../node/ebp-threads'; // the worker_threads launcher of threaded EBP training
import { encodeCheckpoint, encodeModel } from '../model/encode';
import { SteTrainer } from '../ste/trainer';
import { XnorNetwork } from '../xnor/network';
import { createRng } from '../util/random';
import { makeDataset, type Dataset } from '../data/dataset';
import { matrix } from '../tensor/matrix';
import type { BenchData } from './datasets';
import { decideRows } from '../util/decide';
import { errorRate, type ReliabilityBin } from '../eval/metrics';
import {
  applyFloor, ebpCodeProbabilities, codeProbabilities, ensembleMarginals, logOddsOf, normalisedMarginals, oneHot, softmaxScores, PROBABILITY_FLOOR,
} from '../eval/probability';
import { evaluateProbabilities, type ProbabilityMetrics } from './metrics';

/** The methods a comparison scores: EBP-P, EBP-D, an EBP posterior ensemble, and STE. */
export type MethodId = 'ebp-p' | 'ebp-d' | 'ebp-ensemble' | 'ste';

/** EBP training (no learning rate), scored as EBP-P, EBP-D and an ensemble of `members` packed networks. */
export interface EbpJob {
  kind: 'ebp';
  /** Seed of the posterior's initial fields. */
  seed: number;
  /** Seed of the per-epoch data order (the same for every method of this seed). */
  dataSeed: number;
  /** Seed of the ensemble's weight draws. */
  ensembleSeed: number;
  hidden: number[];
  epochs: number;
  batch: number;
  members: number;
  /** Threads of the EBP training (the same results for any count). */
  threads: number;
}

/** STE training at one learning rate (decayed exponentially to lrEnd), with or without batch normalisation. */
export interface SteJob {
  kind: 'ste';
  /** Seed of the latent weights. */
  seed: number;
  dataSeed: number;
  hidden: number[];
  epochs: number;
  batch: number;
  lr: number;
  lrEnd: number;
  batchNorm: boolean;
}

/** One unit of comparison work: an EBP run (scored three ways) or an STE run. */
export type BenchJob = EbpJob | SteJob;

/** Secondary scores of a method under another probability rule. */
export interface AlternativeScores {
  rule: string;
  nll: number;
  brier: number;
  ece: number;
  reliability: ReliabilityBin[];
}

/** One method, one seed. */
export interface MethodRun {
  method: MethodId;
  /** Configuration key shared by all seeds, e.g. 'ebp-p', 'ste-bn-0.001', 'ste-nobn-0.1'. */
  key: string;
  /** Display name, e.g. 'EBP-P', 'STE BN lr 1e-3'. */
  label: string;
  seed: number;
  dataSeed: number;
  batchNorm?: boolean;
  lr?: number;
  lrEnd?: number;
  batch: number;
  epochs: number;
  /** Test error after every epoch (fraction). */
  testErrorPerEpoch: number[];
  /** Seconds of the training loop per epoch (evaluation excluded). EBP-P/D/ensemble share one training. */
  secondsPerEpoch: number[];
  /** EBP: the threads its minibatches ran on (`trainer.threads`; 1 where a step is too small to split). */
  threads?: number;
  /** Scores under the primary probability rule (`rule`). */
  metrics: ProbabilityMetrics & { rule: string };
  alternatives: AlternativeScores[];
  /** Bytes of the model this method deploys (see `modelBytesNote`). */
  modelBytes: number;
  modelBytesNote: string;
  /** Peak resident set size of the process that ran the job (MiB); `rssIsolated` false when shared with other jobs. */
  peakRssMiB: number;
  /** Resident set size after the data were loaded, before training (MiB). */
  rssBeforeTrainingMiB: number;
  rssIsolated: boolean;
  backend: string;
}

/** What one job produced: its scored runs, whether it was interrupted, and its wall-clock time. */
export interface JobResult {
  job: BenchJob;
  runs: MethodRun[];
  interrupted: boolean;
  wallSeconds: number;
}

export interface JobHooks {
  /** After every epoch: the test error of each method of the job (by label). */
  onEpoch?: (info: { epoch: number; epochs: number; testErrors: Record<string, number>; seconds: number }) => void;
  shouldStop?: () => boolean;
  /** Whether this process runs only this job (peak RSS belongs to it). */
  rssIsolated?: boolean;
}

export const RULES = {
  code: 'code likelihood q_c ∝ p_c/(1−p_c), floor 1e-3',
  oneHot: 'one-hot of the decision, floor 1e-3',
  marginals: 'normalised marginals q_k ∝ P(v_k=+1), floor 1e-3',
  voteShares: 'vote shares (1+s̄_k)/Σ(1+s̄_j) (XnorEnsemble.probabilities), floor 1e-3',
  softmax: 'softmax of the output scores, floor 1e-3',
} as const;

/** Label of a learning rate: 1e-3, 3e-2, 0.1 → '1e-1'. */
export function lrLabel(lr: number): string {
  const e = Math.floor(Math.log10(lr) + 1e-9);
  const m = lr / 10 ** e;
  const mr = Math.round(m * 100) / 100;
  return `${mr}e${e}`;
}

export function steKey(batchNorm: boolean, lr: number): string {
  return `ste-${batchNorm ? 'bn' : 'nobn'}-${lr}`;
}

export function steLabel(batchNorm: boolean, lr: number): string {
  return `STE ${batchNorm ? 'BN' : 'no BN'} lr ${lrLabel(lr)}`;
}

const MiB = (kib: number) => kib / 1024;

function alt(rule: string, q: Float64Array, labels: Int32Array, classes: Int32Array, K: number): AlternativeScores {
  const m = evaluateProbabilities(q, labels, classes, K);
  return { rule, nll: m.nll, brier: m.brier, ece: m.ece, reliability: m.reliability };
}

/** Run one job on loaded data. */
export async function runJob(data: BenchData, job: BenchJob, hooks: JobHooks = {}): Promise<JobResult> {
  const t0 = performance.now();
  const rssBefore = MiB(process.memoryUsage().rss / 1024);
  const res = job.kind === 'ebp' ? await ebpJob(data, job, hooks) : await steJob(data, job, hooks);
  const peak = MiB(process.resourceUsage().maxRSS);
  for (const r of res.runs) {
    r.peakRssMiB = peak;
    r.rssBeforeTrainingMiB = rssBefore;
    r.rssIsolated = hooks.rssIsolated ?? false;
  }
  return { job, runs: res.runs, interrupted: res.interrupted, wallSeconds: (performance.now() - t0) / 1000 };
}

/**
 * The options of both trainers' fitAsync: the same minibatches as fit, with the event loop turning every 50 ms
 * (progress messages, signals); the data order comes from createRng(dataSeed); no training error (test only).
 */
function fitOptions<R>(job: BenchJob, validation: Dataset, hooks: JobHooks, onEpoch: (r: R) => void) {
  return { epochs: job.epochs, batchSize: job.batch, seed: job.dataSeed, validation, trainError: 'none' as const, shouldStop: hooks.shouldStop, onEpoch };
}

/** EBP's training, with the test errors of EBP-P, EBP-D and the ensemble after every epoch; null when interrupted. */
async function trainEbp(data: BenchData, job: EbpJob, hooks: JobHooks) {
  const { train, test } = data;
  const trainer = EbpTrainer.create({ inputs: train.X.shape[1], hidden: job.hidden, outputs: train.numClasses, seed: job.seed, threads: job.threads ?? 1 });
  const errP: number[] = [];
  const errD: number[] = [];
  const errE: number[] = [];
  const secs: number[] = [];
  const report = await trainer.fitAsync(
    train,
    fitOptions(job, test, hooks, (r) => {
      const ens = XnorNetwork.sampleEnsemble(trainer.store, { members: job.members, seed: job.ensembleSeed });
      const ee = errorRate(ens.predict(test.X), test.labels);
      errP.push(r.validationErrorP);
      errD.push(r.validationErrorD);
      errE.push(ee);
      secs.push(r.seconds);
      hooks.onEpoch?.({ epoch: r.epoch, epochs: job.epochs, testErrors: { 'EBP-P': r.validationErrorP, 'EBP-D': r.validationErrorD, [`EBP ensemble ${job.members}`]: ee }, seconds: r.seconds });
    }),
  );
  const threads = trainer.threads;
  trainer.close();
  if (report.interrupted || secs.length < job.epochs) return null;
  return { store: trainer.store, errP, errD, errE, secs, threads };
}

async function ebpJob(data: BenchData, job: EbpJob, hooks: JobHooks): Promise<{ runs: MethodRun[]; interrupted: boolean }> {
  const trained = await trainEbp(data, job, hooks);
  if (!trained) return { runs: [], interrupted: true };
  const { store, errP, errD, errE, secs, threads } = trained;
  const { test } = data;
  const K = data.train.numClasses;
  const labels = test.labels;
  const n = labels.length;
  const base = { seed: job.seed, dataSeed: job.dataSeed, batch: job.batch, epochs: job.epochs, secondsPerEpoch: secs, peakRssMiB: 0, rssBeforeTrainingMiB: 0, rssIsolated: false, backend: store.backend, threads };

  // EBP-P: mean-field outputs of the last layer.
  const fw = meanFieldForward(store, test.X);
  const last = fw.layers[fw.layers.length - 1];
  const classesP = classify(last.muOut);
  const qP = applyFloor(ebpCodeProbabilities(last.ubar.data, last.variance.data, n, K), n, K);
  const qPmarg = applyFloor(normalisedMarginals(last.pPlus.data, n, K), n, K);
  const runP: MethodRun = {
    ...base,
    method: 'ebp-p',
    key: 'ebp-p',
    label: 'EBP-P',
    testErrorPerEpoch: errP,
    metrics: { ...evaluateProbabilities(qP, labels, classesP, K), rule: 'code likelihood from Φ(z_k), floor 1e-3' },
    alternatives: [alt(RULES.marginals + ' (as ebp eval)', qPmarg, labels, classesP, K)],
    modelBytes: encodeCheckpoint(store).length,
    modelBytesNote: 'encodeCheckpoint: the float64 posterior (h, b) that EBP-P runs on',
  };

  // EBP-D: the sign network with the most probable weights.
  const classesD = predict(store, test.X, 'deterministic').classes;
  const qD = applyFloor(oneHot(classesD, K), n, K);
  const runD: MethodRun = {
    ...base,
    method: 'ebp-d',
    key: 'ebp-d',
    label: 'EBP-D',
    testErrorPerEpoch: errD,
    metrics: { ...evaluateProbabilities(qD, labels, classesD, K), rule: RULES.oneHot },
    alternatives: [],
    modelBytes: encodeModel(XnorNetwork.fromPosterior(store)).length,
    modelBytesNote: 'encodeModel(XnorNetwork.fromPosterior): packed sign weights + float64 biases',
  };

  // Packed ensemble of posterior samples.
  const ens = XnorNetwork.sampleEnsemble(store, { members: job.members, seed: job.ensembleSeed });
  const s = ens.scores(test.X);
  const sData = s.data as Float64Array;
  const classesE = decideRows(sData, n, K);
  const qE = applyFloor(codeProbabilities(logOddsOf(ensembleMarginals(sData, job.members)), n, K), n, K);
  const qEvotes = applyFloor(ens.probabilities(test.X).data as Float64Array, n, K);
  const runE: MethodRun = {
    ...base,
    method: 'ebp-ensemble',
    key: 'ebp-ensemble',
    label: `EBP ensemble ${job.members}`,
    testErrorPerEpoch: errE,
    metrics: { ...evaluateProbabilities(qE, labels, classesE, K), rule: `code likelihood from (n_k+½)/(M+1) of ${job.members} members, floor 1e-3` },
    alternatives: [alt(RULES.voteShares, qEvotes, labels, classesE, K)],
    modelBytes: encodeModel(ens).length,
    modelBytesNote: `encodeModel(XnorEnsemble): ${job.members} packed sign networks + float64 biases`,
  };
  return { runs: [runP, runD, runE], interrupted: false };
}

async function steJob(data: BenchData, job: SteJob, hooks: JobHooks): Promise<{ runs: MethodRun[]; interrupted: boolean }> {
  const { train, test } = data;
  const K = train.numClasses;
  const t = SteTrainer.create({ inputs: train.X.shape[1], hidden: job.hidden, outputs: K, batchNorm: job.batchNorm, lrStart: job.lr, lrEnd: job.lrEnd, lrEpochs: job.epochs, seed: job.seed });
  const label = steLabel(job.batchNorm, job.lr);
  const errs: number[] = [];
  const secs: number[] = [];
  const report = await t.fitAsync(
    train,
    fitOptions(job, test, hooks, (r) => {
      errs.push(r.validationError);
      secs.push(r.seconds);
      hooks.onEpoch?.({ epoch: r.epoch, epochs: job.epochs, testErrors: { [label]: r.validationError }, seconds: r.seconds });
    }),
  );
  if (report.interrupted || secs.length < job.epochs) return { runs: [], interrupted: true };
  const labels = test.labels;
  const n = labels.length;
  const { scores, classes } = t.predict(test.X);
  const q = applyFloor(oneHot(classes, K), n, K);
  const qSoft = applyFloor(softmaxScores(scores.data as Float64Array, n, K), n, K);
  const bytes = steModelBytes(t);
  const run: MethodRun = {
    method: 'ste',
    key: steKey(job.batchNorm, job.lr),
    label,
    seed: job.seed,
    dataSeed: job.dataSeed,
    batchNorm: job.batchNorm,
    lr: job.lr,
    lrEnd: job.lrEnd,
    batch: job.batch,
    epochs: job.epochs,
    testErrorPerEpoch: errs,
    secondsPerEpoch: secs,
    metrics: { ...evaluateProbabilities(q, labels, classes, K), rule: RULES.oneHot },
    alternatives: [alt(RULES.softmax, qSoft, labels, classes, K)],
    modelBytes: bytes,
    modelBytesNote: 'encodeModel(XnorNetwork.fromSte): packed sign weights, per-neuron thresholds and flips (batch norm folded), output scale and shift',
    peakRssMiB: 0,
    rssBeforeTrainingMiB: 0,
    rssIsolated: false,
    backend: t.backend,
  };
  return { runs: [run], interrupted: false };
}

/** Bytes of STE's deployed model: the folded packed network (`XnorNetwork.fromSte`) as a model file. */
export function steModelBytes(t: SteTrainer): number {
  return encodeModel(XnorNetwork.fromSte(t)).length;
}

/** Synthetic data of the PyTorch reference's timing mode: uniform [0, 1) pixels, random labels. */
export function syntheticImages(n: number, seed: number, features = 784, classes = 10) {
  const rng = createRng(seed);
  const X = new Float64Array(n * features);
  for (let i = 0; i < X.length; i++) X[i] = rng.next();
  const labels = Int32Array.from({ length: n }, () => rng.int(classes));
  return makeDataset({ X: matrix(X, n, features), labels, numClasses: classes });
}

/**
 * Our side of the STE speed comparison: 784-200-10, batch norm, batch 100, one epoch over 10,000 synthetic
 * rows (`rows`) after a 1,000-row warm-up, best of `repeats` epochs (as ste_anchor.py `_time_child`). Samples/s.
 */
export function steEpochSpeed(repeats = 2, rows = 10000): { samplesPerSecond: number; all: number[]; backend: string } {
  const t = SteTrainer.create({ inputs: 784, hidden: [200], outputs: 10, lrStart: 1e-3, lrEnd: 1e-5, seed: 0 });
  t.fit(syntheticImages(Math.min(1000, rows), 1), { epochs: 1, batchSize: 100, trainError: 'none' });
  const data = syntheticImages(rows, 2);
  const all: number[] = [];
  for (let r = 0; r < repeats; r++) all.push(t.fit(data, { epochs: 1, batchSize: 100, trainError: 'none' }).epochs[0].samplesPerSecond);
  return { samplesPerSecond: Math.max(...all), all, backend: t.backend };
}

export { PROBABILITY_FLOOR };
