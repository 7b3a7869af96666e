/**
 * The method comparison (issue 6): EBP-P, EBP-D, the packed EBP ensemble and STE over a learning-rate sweep, with
 * and without batch normalisation, on the same architecture, data order and seeds. `runComparison` is the
 * library entry point (`ebp-bnn/compare`; its command line is `ebp bench`, which `npm run bench:compare` runs); `writeComparison` (./report.ts)
 * turns its result into the JSON file, the SVG plots and the Markdown section of docs/benchmarks.md.
 *
 * Same data order: for seed s every method's `fitAsync` gets `seed: dataSeed(s) = 1000 + s`; both trainers draw the
 * per-epoch permutation of the training rows from `createRng(dataSeed)` with one Fisher–Yates shuffle of the
 * identity per epoch and nothing else, so every method sees the same permutation stream. EBP takes it in
 * minibatches of 10 (its only setting in the paper), STE in minibatches of 100 (the BNN recipe of the PyTorch
 * reference): each STE minibatch is the union of 10 consecutive EBP minibatches. The initial weights use seed s
 * (EBP's posterior fields, STE's latent weights), the ensemble's weight draws use seed s too.
 */
import { fork, type ChildProcess } from 'child_process';
import { existsSync } from 'fs';
import * as path from 'path';
import { ArgumentError } from '../errors';
import { DEFAULT_PYTHON, defaultAnchorScript, torchAvailable, torchEpochSpeed, type SpeedComparison } from './anchor';
import { datasetAvailable, datasetName, loadBenchData, type BenchData, type DatasetSpec } from './datasets';
import { machineInfo, type MachineInfo } from './machine';
import { ECE_BINS, PROBABILITY_FLOOR } from './metrics';
import { runJob, steEpochSpeed, steLabel, type BenchJob, type JobResult, type MethodRun } from './runs';
import { median } from './stats';
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
  /** Run the STE-vs-PyTorch epoch timing (default true). */
  speed?: boolean;
  /** Timing rounds (default 3; quick 1). */
  speedRounds?: number;
  /** Rows of the synthetic timing data, both sides (default 10,000, the reference's timing mode). */
  speedRows?: number;
  /** The PyTorch reference script (default: $EBP_BNN_STE_ANCHOR or ../shared/anchors/ste_anchor.py). */
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

/** The child-process entry next to this module (compiled builds only). */
export function workerScript(): string | null {
  if (!__filename.endsWith('.js')) return null;
  const p = path.join(__dirname, 'worker.js');
  return existsSync(p) ? p : null;
}

function resolveSettings(o: ComparisonOptions, sizes: number[], isolate: 'process' | 'none'): ComparisonSettings {
  const quick = o.quick ?? false;
  const seedsOpt = o.seeds ?? (quick ? 1 : 3);
  const seeds = typeof seedsOpt === 'number' ? Array.from({ length: seedsOpt }, (_, i) => i) : seedsOpt.slice();
  const posInt = (name: string, v: number) => {
    if (!Number.isInteger(v) || v < 1) throw new ArgumentError(`invalid argument. \`${name}\` must be a positive integer. Value: \`${v}\`.`);
    return v;
  };
  if (seeds.length === 0 || seeds.some((s) => !Number.isInteger(s) || s < 0)) throw new ArgumentError(`invalid argument. \`seeds\` must be a positive count or non-negative integers. Value: \`${String(seedsOpt)}\`.`);
  const lrs = (o.lrs ?? (quick ? QUICK_LRS : DEFAULT_LRS)).slice();
  if (lrs.length === 0 || lrs.some((lr) => !(lr > 0 && Number.isFinite(lr)))) throw new ArgumentError(`invalid argument. \`lrs\` must be positive numbers. Value: \`${lrs.join(',')}\`.`);
  const ratio = o.lrEndRatio ?? 0.01;
  if (!(ratio > 0 && Number.isFinite(ratio))) throw new ArgumentError(`invalid argument. \`lrEndRatio\` must be a positive number. Value: \`${ratio}\`.`);
  const bn = o.batchNorm ?? [true, false];
  if (bn.length === 0) throw new ArgumentError('invalid argument. `batchNorm` must list at least one setting.');
  return {
    sizes,
    hidden: sizes.slice(1, -1),
    epochs: posInt('epochs', o.epochs ?? (quick ? 2 : 20)),
    seeds,
    dataSeeds: seeds.map((s) => 1000 + s),
    lrs,
    lrEndRatio: ratio,
    batchNorm: bn.slice(),
    ebpBatch: posInt('ebpBatch', o.ebpBatch ?? 10),
    steBatch: posInt('steBatch', o.steBatch ?? 100),
    members: posInt('members', o.members ?? 16),
    probabilityFloor: PROBABILITY_FLOOR,
    eceBins: ECE_BINS,
    quick,
    isolate,
  };
}

/** The jobs of a comparison, in run order: per seed, EBP, then STE for every batch-norm setting and learning rate. */
export function planJobs(s: ComparisonSettings): BenchJob[] {
  const jobs: BenchJob[] = [];
  s.seeds.forEach((seed, i) => {
    const dataSeed = s.dataSeeds[i];
    jobs.push({ kind: 'ebp', seed, dataSeed, ensembleSeed: seed, hidden: s.hidden, epochs: s.epochs, batch: s.ebpBatch, members: s.members });
    for (const batchNorm of s.batchNorm) {
      for (const lr of s.lrs) jobs.push({ kind: 'ste', seed, dataSeed, hidden: s.hidden, epochs: s.epochs, batch: s.steBatch, lr, lrEnd: lr * s.lrEndRatio, batchNorm });
    }
  });
  return jobs;
}

export function jobLabel(j: BenchJob): string {
  return j.kind === 'ebp' ? `EBP seed ${j.seed}` : `${steLabel(j.batchNorm, j.lr)} seed ${j.seed}`;
}

type Msg = { type: 'epoch'; info: { epoch: number; epochs: number; testErrors: Record<string, number>; seconds: number } } | { type: 'result'; result: unknown } | { type: 'error'; name: string; message: string };

/** Run `req` in a fresh child process; epoch messages go to onEpoch. */
function inChild<T>(script: string, req: unknown, onEpoch: (info: Extract<Msg, { type: 'epoch' }>['info']) => void, signal?: AbortSignal): Promise<T> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = fork(script, [], { execArgv: [], stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    let stderr = '';
    let done = false;
    child.stderr?.on('data', (d) => {
      stderr += d;
      if (stderr.length > 20000) stderr = stderr.slice(-10000);
    });
    const onAbort = () => child.kill('SIGTERM');
    signal?.addEventListener('abort', onAbort, { once: true });
    child.on('message', (m: Msg) => {
      if (m.type === 'epoch') onEpoch(m.info);
      else if (m.type === 'result') {
        done = true;
        resolve(m.result as T);
      } else if (m.type === 'error') {
        done = true;
        const e = new Error(m.message);
        e.name = m.name;
        reject(e);
      }
    });
    child.on('error', (e) => {
      if (!done) reject(e);
      done = true;
    });
    child.on('exit', (code, sig) => {
      signal?.removeEventListener('abort', onAbort);
      if (!done) {
        done = true;
        reject(new Error(signal?.aborted ? 'interrupted' : `worker exited (${sig ?? code}) without a result${stderr ? ': ' + stderr.trim().split('\n').slice(-3).join(' | ') : ''}`));
      }
    });
    child.send(req as object);
  });
}

/**
 * Train and score every method on one dataset. Progress (plan, job start/end, every epoch's test errors, speed
 * rounds, notes such as skips) goes to `onProgress`. Throws IoError when the dataset cannot be loaded (see
 * {@link datasetAvailable} to check first) and ArgumentError on bad options; a job that fails (e.g. a diverging
 * learning rate) is recorded in `failures` and the others go on.
 */
export async function runComparison(options: ComparisonOptions, onProgress: (p: ComparisonProgress) => void = () => {}): Promise<ComparisonResult> {
  const t0 = performance.now();
  const signal = options.signal;
  const avail = datasetAvailable(options.dataset);
  const name = datasetName(options.dataset);
  // Unavailable data: the loader throws its own IoError (names the missing files and the package to install).
  if (!avail.ok) loadBenchData(options.dataset);
  const requested = options.isolate ?? 'auto';
  const script = workerScript();
  if (requested === 'process' && !script) throw new ArgumentError('invalid argument. `isolate: process` needs the compiled worker (build/…/bench/worker.js or dist/bench/worker.js); run from a build or use isolate "none".');
  const isolate: 'process' | 'none' = requested === 'none' || !script ? 'none' : 'process';
  // Load in this process too: sizes for the plan, and the data for in-process runs.
  let data: BenchData | null = loadBenchData(options.dataset);
  const K = data.train.numClasses;
  const F = data.train.X.shape[1];
  const hidden = options.hidden ?? [200];
  const settings = resolveSettings(options, [F, ...hidden, K], isolate);
  const jobs = planJobs(settings);
  const labels = jobs.map(jobLabel);
  onProgress({ type: 'plan', dataset: name, jobs: labels });
  const info = { description: data.description, trainRows: data.train.labels.length, testRows: data.test.labels.length };
  if (isolate === 'process') data = null; // children load their own copy; free ours

  const runs: MethodRun[] = [];
  const failures: { job: string; error: string }[] = [];
  let interrupted = false;
  const results: (JobResult | null)[] = new Array(jobs.length).fill(null);
  let next = 0;
  const parallel = isolate === 'process' ? Math.max(1, Math.floor(options.jobs ?? 1)) : 1;

  const worker = async () => {
    while (next < jobs.length && !signal?.aborted) {
      const i = next++;
      const job = jobs[i];
      const label = labels[i];
      onProgress({ type: 'job-start', index: i, total: jobs.length, label });
      const onEpoch = (info: { epoch: number; epochs: number; testErrors: Record<string, number>; seconds: number }) =>
        onProgress({ type: 'epoch', index: i, total: jobs.length, label, ...info });
      const started = performance.now();
      try {
        const r =
          isolate === 'process'
            ? await inChild<JobResult>(script as string, { type: 'run', spec: options.dataset, job }, onEpoch, signal)
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
  for (const r of results) if (r) runs.push(...r.runs);

  let speed: ComparisonResult['speed'] = null;
  if ((options.speed ?? true) && !interrupted) {
    speed = await speedComparison(options, settings.quick, isolate === 'process' ? script : null, onProgress);
    if (signal?.aborted) interrupted = true;
  }

  return {
    benchmark: 'compare',
    version: 1,
    dataset: { name, ...info, features: F, classes: K },
    settings,
    dataOrder: DATA_ORDER.replace(/minibatches of its batch size/, `minibatches of ${settings.ebpBatch}`).replace(/of its own, so with 10 and 100/, `of ${settings.steBatch}, so with ${settings.ebpBatch} and ${settings.steBatch}`),
    command: options.command ?? process.argv.slice(1).map((a) => path.relative(process.cwd(), a) || a).join(' '),
    machine: machineInfo(),
    wallSeconds: (performance.now() - t0) / 1000,
    runs,
    failures,
    summary: summarizeRuns(runs),
    speed,
    interrupted,
  };
}

async function speedComparison(
  o: ComparisonOptions,
  quick: boolean,
  script: string | null,
  onProgress: (p: ComparisonProgress) => void,
): Promise<SpeedComparison | { skipped: string }> {
  const python = o.python ?? DEFAULT_PYTHON;
  const anchor = o.anchorScript ?? defaultAnchorScript();
  const torch = torchAvailable(python, anchor);
  if (!torch.ok) onProgress({ type: 'note', message: `PyTorch speed comparison skipped: ${torch.reason}` });
  const rounds = Math.max(1, Math.floor(o.speedRounds ?? (quick ? 1 : 3)));
  const rows = Math.max(100, Math.floor(o.speedRows ?? 10000));
  const ours: number[] = [];
  const pt: number[] = [];
  let backend = 'unknown';
  for (let r = 0; r < rounds && !o.signal?.aborted; r++) {
    const steps: (() => Promise<void>)[] = [
      async () => {
        const res = script
          ? await inChild<{ samplesPerSecond: number; backend: string }>(script, { type: 'speed', repeats: 2, rows }, () => {}, o.signal)
          : steEpochSpeed(2, rows);
        ours.push(res.samplesPerSecond);
        backend = res.backend;
      },
      async () => {
        if (torch.ok) pt.push(await torchEpochSpeed(python, anchor as string, 2, o.signal, rows));
      },
    ];
    if (r % 2 === 1) steps.reverse();
    try {
      for (const s of steps) await s();
    } catch (e) {
      if (o.signal?.aborted) break;
      return { skipped: `timing failed: ${(e as Error).message}` };
    }
    onProgress({ type: 'speed', round: r + 1, rounds, oursSamplesPerSecond: ours[r], pytorchSamplesPerSecond: torch.ok ? pt[r] : null });
  }
  if (ours.length === 0) return { skipped: 'interrupted' };
  const n = Math.min(ours.length, pt.length);
  const ratios = torch.ok ? Array.from({ length: n }, (_, i) => pt[i] / ours[i]) : [];
  const oursMed = median(ours);
  const ptMed = torch.ok && pt.length ? median(pt) : null;
  return {
    net: '784-200-10',
    batch: 100,
    threads: 1,
    data: `${rows} rows of uniform [0,1) pixels with random labels (the reference timing mode), batch norm, squared hinge, Adam; warm-up epoch on 1,000 rows; best of 2 epochs per process; each side in a fresh process, interleaved round by round`,
    rounds: ours.length,
    oursSamplesPerSecond: oursMed,
    oursRounds: ours,
    rows,
    oursSecondsPerEpoch: rows / oursMed,
    oursBackend: backend,
    pytorchSamplesPerSecond: ptMed,
    pytorchRounds: torch.ok ? pt : null,
    pytorchSecondsPerEpoch: ptMed === null ? null : rows / ptMed,
    timeRatio: ratios.length ? median(ratios) : null,
    pytorch: torch.ok ? torch.info : null,
    ...(torch.ok ? {} : { skipped: torch.reason }),
    command: torch.ok ? `${python} ${anchor} --threads 1 _time_child --sizes 784-200-10 --batch 100 --n-train ${rows} --repeats 2` : '',
  };
}
