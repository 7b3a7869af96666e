/**
 * The method comparison (issue 6): EBP-P, EBP-D, the packed EBP ensemble and STE over a learning-rate sweep, with
 * and without batch normalisation, on the same architecture, data order and seeds. `runComparison` is the
 * library entry point (`ebp-bnn/compare`; its command line is `ebp bench`, which `npm run bench:compare` runs);
 * `writeComparison` (./report.ts) turns its result into the JSON file, the SVG plots and the Markdown section of
 * docs/benchmarks.md. Jobs run in child processes through ./child.ts (./worker.ts on the other side); the
 * STE-vs-PyTorch timing is ./speed.ts.
 *
 * Same data order: for seed s every method's `fitAsync` gets `seed: dataSeed(s) = 1000 + s`; both trainers draw the
 * per-epoch permutation of the training rows from `createRng(dataSeed)` with one Fisher–Yates shuffle of the
 * identity per epoch and nothing else, so every method sees the same permutation stream. EBP takes it in
 * minibatches of 10 (its only setting in the paper), STE in minibatches of 100 (the BNN recipe of the PyTorch
 * reference): each STE minibatch is the union of 10 consecutive EBP minibatches. The initial weights use seed s
 * (EBP's posterior fields, STE's latent weights), the ensemble's weight draws use seed s too.
 */
import * as path from 'path';
import { argumentError, check, requireFinite, requirePositiveInteger } from '../util/validate';
import { requireThreads } from '../ebp/team';
import type { SpeedComparison } from './anchor';
import { inChild, workerScript, type EpochInfo } from './child';
import { datasetAvailable, datasetName, loadBenchData, type BenchData, type DatasetSpec } from './datasets';
import { machineInfo, type MachineInfo } from './machine';
import { ECE_BINS } from '../eval/metrics';
import { PROBABILITY_FLOOR } from '../eval/probability';
import { runJob, steLabel, type BenchJob, type JobResult, type MethodRun } from './runs';
import { speedComparison } from './speed';
import { summarizeRuns, type SummaryRow } from './summary';

export const DEFAULT_LRS: readonly number[] = Object.freeze([1e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1]);
export const QUICK_LRS: readonly number[] = Object.freeze([1e-3, 1e-1]);

export interface ComparisonOptions {
  dataset: DatasetSpec;
  /** Hidden widths (default [200]: 784-200-10 on MNIST). */
  hidden?: number[];
  /** Epochs of every method (default 20; quick 2). */
  epochs?: number;
  /** A count (seeds 0..n−1) or the seeds (default 3; quick 1). */
  seeds?: number | number[];
  /** STE learning rates, lr of the first epoch (default 1e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1; quick 1e-3, 1e-1). */
  lrs?: number[];
  /** lr of the last epoch's schedule end = lr · ratio (default 0.01, the reference recipe). */
  lrEndRatio?: number;
  /** STE with and/or without batch normalisation (default [true, false]). */
  batchNorm?: boolean[];
  /** EBP minibatch (default 10). */
  ebpBatch?: number;
  /** STE minibatch (default 100). */
  steBatch?: number;
  /** Members of the packed posterior ensemble (default 16). */
  members?: number;
  /** 1 seed, 2 epochs, learning rates 1e-3 and 1e-1, one speed round (smoke run). Explicit options win. */
  quick?: boolean;
  /**
   * 'process': every job in a fresh child process (peak RSS per job; needs the compiled worker.js);
   * 'none': all in this process (RSS is the process's); 'auto' (default): 'process' when worker.js exists.
   */
  isolate?: 'auto' | 'process' | 'none';
  /** Jobs run at once with process isolation (default 1: timings stay comparable). */
  jobs?: number;
  /**
   * Threads each EBP training splits its minibatches over (default 1). Errors, metrics and models are the same
   * for any count (docs/threads.md); only the seconds change. STE trains on one thread.
   */
  threads?: number;
  /** Run the STE-vs-PyTorch epoch timing (default true). */
  speed?: boolean;
  /** Timing rounds (default 3; quick 1). */
  speedRounds?: number;
  /** Rows of the synthetic timing data, both sides (default 10,000, the reference's timing mode). */
  speedRows?: number;
  /** The PyTorch reference script (default: $EBP_BNN_STE_ANCHOR; without it our STE side is timed alone). */
  anchorScript?: string;
  python?: string;
  /** The command line to record beside the numbers. */
  command?: string;
  /** Stop early: running jobs are ended, the result holds the finished ones and `interrupted: true`. */
  signal?: AbortSignal;
}

export type ComparisonProgress =
  | { type: 'plan'; dataset: string; jobs: string[] }
  | { type: 'job-start'; index: number; total: number; label: string }
  | { type: 'epoch'; index: number; total: number; label: string; epoch: number; epochs: number; testErrors: Record<string, number>; seconds: number }
  | { type: 'job-end'; index: number; total: number; label: string; wallSeconds: number; failed?: string }
  | { type: 'speed'; round: number; rounds: number; oursSamplesPerSecond: number; pytorchSamplesPerSecond: number | null }
  | { type: 'note'; message: string };

export interface ComparisonSettings {
  sizes: number[];
  hidden: number[];
  epochs: number;
  seeds: number[];
  dataSeeds: number[];
  lrs: number[];
  lrEndRatio: number;
  batchNorm: boolean[];
  ebpBatch: number;
  steBatch: number;
  members: number;
  probabilityFloor: number;
  eceBins: number;
  quick: boolean;
  isolate: 'process' | 'none';
  /** EBP training threads per job (absent in results written before it existed: 1). */
  threads: number;
}

export interface ComparisonResult {
  benchmark: 'compare';
  version: 1;
  dataset: { name: string; description: string; trainRows: number; testRows: number; features: number; classes: number };
  settings: ComparisonSettings;
  dataOrder: string;
  command: string;
  machine: MachineInfo;
  wallSeconds: number;
  /** Every method × seed. */
  runs: MethodRun[];
  failures: { job: string; error: string }[];
  /** Mean ± std over seeds per method configuration. */
  summary: SummaryRow[];
  speed: SpeedComparison | { skipped: string } | null;
  interrupted: boolean;
}

export const DATA_ORDER =
  'for seed s every method calls fitAsync (the minibatches of fit) with seed 1000 + s: both trainers draw the per-epoch permutation of the training rows from createRng(1000 + s) ' +
  '(one Fisher-Yates shuffle of the identity per epoch, no other draw), so all methods see the same permutations; EBP takes them in minibatches of ' +
  'its batch size, STE of its own, so with 10 and 100 each STE minibatch is the union of 10 consecutive EBP minibatches. Initial weights: seed s. ' +
  'Ensemble draws: seed s.';

function resolveSettings(o: ComparisonOptions, sizes: number[], isolate: 'process' | 'none'): ComparisonSettings {
  const quick = o.quick ?? false;
  const seedsOpt = o.seeds ?? (quick ? 1 : 3);
  const seeds = typeof seedsOpt === 'number' ? Array.from({ length: seedsOpt }, (_, i) => i) : seedsOpt.slice();
  check(seeds.length > 0 && seeds.every((s) => Number.isInteger(s) && s >= 0), 'seeds', 'a positive count or non-negative integers', seedsOpt);
  const lrs = (o.lrs ?? (quick ? QUICK_LRS : DEFAULT_LRS)).slice();
  check(lrs.length > 0 && lrs.every((lr) => lr > 0 && Number.isFinite(lr)), 'lrs', 'positive numbers', lrs);
  const ratio = requireFinite(o.lrEndRatio ?? 0.01, 'lrEndRatio', 'positive');
  const bn = o.batchNorm ?? [true, false];
  if (bn.length === 0) throw argumentError('`batchNorm` must list at least one setting.');
  return {
    sizes,
    hidden: sizes.slice(1, -1),
    epochs: requirePositiveInteger(o.epochs ?? (quick ? 2 : 20), 'epochs'),
    seeds,
    dataSeeds: seeds.map((s) => 1000 + s),
    lrs,
    lrEndRatio: ratio,
    batchNorm: bn.slice(),
    ebpBatch: requirePositiveInteger(o.ebpBatch ?? 10, 'ebpBatch'),
    steBatch: requirePositiveInteger(o.steBatch ?? 100, 'steBatch'),
    members: requirePositiveInteger(o.members ?? 16, 'members'),
    probabilityFloor: PROBABILITY_FLOOR,
    eceBins: ECE_BINS,
    quick,
    isolate,
    threads: requireThreads(o.threads ?? 1),
  };
}

/** The jobs of a comparison, in run order: per seed, EBP, then STE for every batch-norm setting and learning rate. */
export function planJobs(s: ComparisonSettings): BenchJob[] {
  const jobs: BenchJob[] = [];
  s.seeds.forEach((seed, i) => {
    const dataSeed = s.dataSeeds[i];
    jobs.push({ kind: 'ebp', seed, dataSeed, ensembleSeed: seed, hidden: s.hidden, epochs: s.epochs, batch: s.ebpBatch, members: s.members, threads: s.threads ?? 1 });
    for (const batchNorm of s.batchNorm) {
      for (const lr of s.lrs) jobs.push({ kind: 'ste', seed, dataSeed, hidden: s.hidden, epochs: s.epochs, batch: s.steBatch, lr, lrEnd: lr * s.lrEndRatio, batchNorm });
    }
  });
  return jobs;
}

export function jobLabel(j: BenchJob): string {
  return j.kind === 'ebp' ? `EBP seed ${j.seed}` : `${steLabel(j.batchNorm, j.lr)} seed ${j.seed}`;
}

/** A comparison ready to run: its settings, jobs and (for in-process runs) the loaded data. */
interface Plan {
  name: string;
  settings: ComparisonSettings;
  jobs: BenchJob[];
  labels: string[];
  /** The worker script when jobs run in child processes, else null. */
  script: string | null;
  /** The data, for in-process jobs (null with process isolation: children load their own copy). */
  data: BenchData | null;
  dataset: ComparisonResult['dataset'];
}

/** Check the dataset and the options, load the data, resolve the settings and list the jobs. */
function preparePlan(options: ComparisonOptions): Plan {
  const avail = datasetAvailable(options.dataset);
  const name = datasetName(options.dataset);
  // Unavailable data: the loader throws its own IoError (names the missing files and the package to install).
  if (!avail.ok) loadBenchData(options.dataset);
  const requested = options.isolate ?? 'auto';
  const script = workerScript();
  if (requested === 'process' && !script) throw argumentError('`isolate: process` needs the compiled worker (build/…/compare/worker.js or dist/compare/worker.js); run from a build or use isolate "none".');
  const isolate: 'process' | 'none' = requested === 'none' || !script ? 'none' : 'process';
  // Load in this process too: sizes for the plan, and the data for in-process runs.
  const data = loadBenchData(options.dataset);
  const K = data.train.numClasses;
  const F = data.train.X.shape[1];
  const settings = resolveSettings(options, [F, ...(options.hidden ?? [200]), K], isolate);
  const jobs = planJobs(settings);
  return {
    name,
    settings,
    jobs,
    labels: jobs.map(jobLabel),
    script: isolate === 'process' ? script : null,
    data: isolate === 'process' ? null : data,
    dataset: { name, description: data.description, trainRows: data.train.labels.length, testRows: data.test.labels.length, features: F, classes: K },
  };
}

interface JobsDone {
  /** Every method × seed of the finished jobs, in job order. */
  runs: MethodRun[];
  failures: { job: string; error: string }[];
  interrupted: boolean;
}

/** Run the plan's jobs (`jobs` at once with process isolation, one at a time in process); failures are recorded, not thrown. */
async function runJobs(plan: Plan, options: ComparisonOptions, onProgress: (p: ComparisonProgress) => void): Promise<JobsDone> {
  const { jobs, labels, script, data } = plan;
  const signal = options.signal;
  const failures: { job: string; error: string }[] = [];
  let interrupted = false;
  const results: (JobResult | null)[] = new Array(jobs.length).fill(null);
  let next = 0;
  const parallel = script ? Math.max(1, Math.floor(options.jobs ?? 1)) : 1;

  const worker = async () => {
    while (next < jobs.length && !signal?.aborted) {
      const i = next++;
      const job = jobs[i];
      const label = labels[i];
      onProgress({ type: 'job-start', index: i, total: jobs.length, label });
      const onEpoch = (info: EpochInfo) => onProgress({ type: 'epoch', index: i, total: jobs.length, label, ...info });
      const started = performance.now();
      try {
        const r = script
          ? await inChild<JobResult>(script, { type: 'run', spec: options.dataset, job }, onEpoch, signal)
          : await runJob(data as BenchData, job, { onEpoch, shouldStop: () => signal?.aborted ?? false, rssIsolated: false });
        if (r.interrupted) interrupted = true;
        else results[i] = r;
        onProgress({ type: 'job-end', index: i, total: jobs.length, label, wallSeconds: (performance.now() - started) / 1000 });
      } catch (e) {
        if (signal?.aborted) {
          interrupted = true;
          continue;
        }
        const msg = `${(e as Error).name}: ${(e as Error).message}`;
        failures.push({ job: label, error: msg });
        onProgress({ type: 'job-end', index: i, total: jobs.length, label, wallSeconds: (performance.now() - started) / 1000, failed: msg });
      }
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  if (signal?.aborted) interrupted = true;
  const runs: MethodRun[] = [];
  for (const r of results) if (r) runs.push(...r.runs);
  return { runs, failures, interrupted };
}

/** DATA_ORDER with the run's batch sizes. */
function dataOrderOf(s: ComparisonSettings): string {
  return DATA_ORDER.replace(/minibatches of its batch size/, `minibatches of ${s.ebpBatch}`).replace(/of its own, so with 10 and 100/, `of ${s.steBatch}, so with ${s.ebpBatch} and ${s.steBatch}`);
}

/**
 * Train and score every method on one dataset. Progress (plan, job start/end, every epoch's test errors, speed
 * rounds, notes such as skips) goes to `onProgress`. Throws IoError when the dataset cannot be loaded (see
 * {@link datasetAvailable} to check first) and ArgumentError on bad options; a job that fails (e.g. a diverging
 * learning rate) is recorded in `failures` and the others go on.
 */
export async function runComparison(options: ComparisonOptions, onProgress: (p: ComparisonProgress) => void = () => {}): Promise<ComparisonResult> {
  const t0 = performance.now();
  const plan = preparePlan(options);
  onProgress({ type: 'plan', dataset: plan.name, jobs: plan.labels });
  const done = await runJobs(plan, options, onProgress);
  let interrupted = done.interrupted;
  let speed: ComparisonResult['speed'] = null;
  if ((options.speed ?? true) && !interrupted) {
    speed = await speedComparison(options, plan.settings.quick, plan.script, onProgress);
    if (options.signal?.aborted) interrupted = true;
  }
  return {
    benchmark: 'compare',
    version: 1,
    dataset: plan.dataset,
    settings: plan.settings,
    dataOrder: dataOrderOf(plan.settings),
    command: options.command ?? process.argv.slice(1).map((a) => path.relative(process.cwd(), a) || a).join(' '),
    machine: machineInfo(),
    wallSeconds: (performance.now() - t0) / 1000,
    runs: done.runs,
    failures: done.failures,
    summary: summarizeRuns(done.runs),
    speed,
    interrupted,
  };
}
