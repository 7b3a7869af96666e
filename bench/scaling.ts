/**
 * The posterior as the next prior (issue 16): continual learning and sharded rounds, small runs
 * (node build/bench/scaling.js; npm run bench:scaling).
 *
 *  1. Continual, permuted MNIST-10k: T tasks, task 0 the pixels as they are, task t ≥ 1 a fixed seeded
 *     permutation of them (same labels), E epochs each, in sequence. After each task: test error on every
 *     task seen so far (official 10k test set, permuted alike) for
 *       - ebp-prior:   EBP (binary, batch 10) trained on each task from the previous task's posterior;
 *       - ste-seq:     STE fine-tuned in sequence (batch norm, batch 100, Adam, lr 0.1 → 0.001 over each
 *                      task's E epochs: the best lr of the MNIST-10k sweep, docs/ste.md);
 *       - ebp-scratch: EBP trained from scratch on the current task only;
 *     and, at the end, ebp-joint: EBP on the union of all T tasks (E epochs; no forgetting by construction).
 *  2. Class split, MNIST-10k: classes 0–4 (A) then 5–9 (B), E epochs each: ebp-prior and ste-seq, error on
 *     A, on B and on all ten classes after each half; ebp-joint on A ∪ B.
 *  3. Sharded rounds, MNIST-10k: K ∈ {1, 2, 4, 8} shards (a fixed split of the rows), R rounds; in every
 *     round each shard trains one epoch on its rows from the current merged posterior, and the shards are
 *     merged (mergePosteriors, combine 'product' = the formula, and 'average'). K = 1 is one process on all the data. Test error (EBP-P, EBP-D) after every
 *     round, the shards' training seconds (run one after another here; with one process per shard the
 *     round's wall time is the slowest shard plus the merge), and the bytes exchanged per round (K shard
 *     posteriors up, the merged one back to K shards). And, as the recipe not to follow: K = 4 shards
 *     trained R epochs each from the initial posterior, merged once at the end.
 *
 * All runs: 784-H-10 binary weights (H = 100), seed 1. Options: --quick (digits fixture 64-32-10, 2 tasks,
 * 2 epochs, 3 rounds; writes scaling-quick.json), --tasks T (5), --epochs E (2), --rounds R (10), --hidden H.
 * --only continual|class-split|sharded runs one part (scaling-<part>.json), --shards 1,4 the shard counts.
 * Writes bench/results/scaling.json, plots in bench/results/plots/scaling-*.svg (--plots-only: redraw them
 * from scaling.json), and prints the JSON.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  EbpTrainer, PosteriorStore, SteTrainer, XnorNetwork, createRng, encodeModel, evaluateErrors, makeDataset, matrix, mergePosteriors, subset,
  type Dataset, type MergeCombine,
} from '../src';
import { loadMnist10k, readNumericCsv } from '../src/node';
import { machineInfo } from '../src/compare/machine';
import { legend, niceTicks, panel, svgDocument, type LineSeries } from '../src/compare/svg';

const ROOT = join(__dirname, '..', '..');

export interface ScalingConfig {
  hidden: number;
  tasks: number;
  epochs: number;
  rounds: number;
  shards: number[];
  seed: number;
}

/** Task t of a permuted-pixels sequence: task 0 as is, task t ≥ 1 a permutation of the columns seeded by t. */
export function permuted(ds: Dataset, t: number): Dataset {
  const [n, f] = ds.X.shape;
  if (t === 0) return ds;
  const perm = createRng(1000 + t).permutation(f);
  const src = ds.X.data;
  const o = ds.X.offset;
  const out = new Float64Array(n * f);
  for (let r = 0; r < n; r++) for (let j = 0; j < f; j++) out[r * f + j] = src[o + r * f + perm[j]];
  return makeDataset({ X: matrix(out, n, f), labels: ds.labels, numClasses: ds.numClasses, classNames: ds.classNames });
}

function concat(parts: Dataset[]): Dataset {
  const f = parts[0].X.shape[1];
  const n = parts.reduce((a, p) => a + p.labels.length, 0);
  const X = new Float64Array(n * f);
  const labels = new Int32Array(n);
  let at = 0;
  for (const p of parts) {
    const m = p.labels.length;
    X.set(p.X.data.subarray(p.X.offset, p.X.offset + m * f), at * f);
    labels.set(p.labels, at);
    at += m;
  }
  return makeDataset({ X: matrix(X, n, f), labels, numClasses: parts[0].numClasses, classNames: parts[0].classNames });
}

const pct = (x: number) => Math.round(x * 10000) / 100;

function ebpTrainer(cfg: ScalingConfig, inputs: number, seed: number): EbpTrainer {
  return EbpTrainer.create({ inputs, hidden: [cfg.hidden], outputs: 10, seed });
}

function steTrainer(cfg: ScalingConfig, inputs: number): SteTrainer {
  return SteTrainer.create({ inputs, hidden: [cfg.hidden], outputs: 10, lrStart: 0.1, lrEnd: 0.001, lrEpochs: cfg.epochs, seed: cfg.seed });
}

/** Fine-tune an STE trainer on one task with the schedule restarted (lr 0.1 → 0.001 over the task's epochs). */
function steTask(t: SteTrainer, data: Dataset, epochs: number): void {
  t.epoch = 0;
  t.fit(data, { epochs, batchSize: 100, trainError: 'none' });
}

export interface ContinualResult {
  /** errors[method][after task a][on task b ≤ a], EBP-P for EBP, percent. */
  errors: Record<string, number[][]>;
  /** Mean over all tasks of the error after the last task, percent. */
  finalMean: Record<string, number>;
  /** Mean over tasks 0..T−2 of (error at the end − error right after learning it), percentage points. */
  forgetting: Record<string, number>;
  jointFinal?: number[];
}

export function continual(cfg: ScalingConfig, train: Dataset, test: Dataset, opts: { joint?: boolean } = {}): ContinualResult {
  const inputs = train.X.shape[1];
  const errors: Record<string, number[][]> = { 'ebp-prior': [], 'ste-seq': [], 'ebp-scratch': [] };
  let prior: EbpTrainer | null = null;
  const ste = steTrainer(cfg, inputs);
  for (let a = 0; a < cfg.tasks; a++) {
    const task = permuted(train, a);
    const next: EbpTrainer = prior ? EbpTrainer.fromPrior(prior.store, cfg.seed + 10 + a) : ebpTrainer(cfg, inputs, cfg.seed);
    next.fit(task, { epochs: cfg.epochs, trainError: 'none' });
    prior = next;
    steTask(ste, task, cfg.epochs);
    const scratch = a === 0 ? next : ebpTrainer(cfg, inputs, cfg.seed);
    if (a > 0) scratch.fit(task, { epochs: cfg.epochs, trainError: 'none' });
    const row: Record<string, number[]> = { 'ebp-prior': [], 'ste-seq': [], 'ebp-scratch': [] };
    for (let b = 0; b <= a; b++) {
      const tb = permuted(test, b);
      row['ebp-prior'].push(pct(evaluateErrors(next.store, tb).errorP));
      row['ste-seq'].push(pct(ste.evaluate(tb).error));
      row['ebp-scratch'].push(pct(evaluateErrors(scratch.store, tb).errorP));
    }
    for (const k of Object.keys(row)) errors[k].push(row[k]);
    console.error(`continual: task ${a + 1}/${cfg.tasks} ${JSON.stringify(row)}`);
  }
  const T = cfg.tasks;
  const finalMean: Record<string, number> = {};
  const forgetting: Record<string, number> = {};
  for (const [k, e] of Object.entries(errors)) {
    const last = e[T - 1];
    finalMean[k] = round2(mean(last));
    forgetting[k] = T > 1 ? round2(mean(last.slice(0, T - 1).map((x, b) => x - e[b][b]))) : 0;
  }
  const out: ContinualResult = { errors, finalMean, forgetting };
  if (opts.joint) {
    const all = concat(Array.from({ length: T }, (_, t) => permuted(train, t)));
    const j = ebpTrainer(cfg, inputs, cfg.seed);
    j.fit(all, { epochs: cfg.epochs, trainError: 'none' });
    out.jointFinal = Array.from({ length: T }, (_, b) => pct(evaluateErrors(j.store, permuted(test, b)).errorP));
    finalMean['ebp-joint'] = round2(mean(out.jointFinal));
  }
  return out;
}

const mean = (a: number[]) => a.reduce((s, x) => s + x, 0) / a.length;
const round2 = (x: number) => Math.round(x * 100) / 100;

function rowsWhere(ds: Dataset, keep: (label: number) => boolean): Int32Array {
  const out: number[] = [];
  ds.labels.forEach((c, i) => {
    if (keep(c)) out.push(i);
  });
  return Int32Array.from(out);
}

export function classSplit(cfg: ScalingConfig, train: Dataset, test: Dataset): Record<string, { afterA: number[]; afterB: number[] }> {
  const inputs = train.X.shape[1];
  const isA = (c: number) => c < 5;
  const [A, B] = [subset(train, rowsWhere(train, isA)), subset(train, rowsWhere(train, (c) => !isA(c)))];
  const [tA, tB] = [subset(test, rowsWhere(test, isA)), subset(test, rowsWhere(test, (c) => !isA(c)))];
  const ebpErr = (s: PosteriorStore) => [tA, tB, test].map((d) => pct(evaluateErrors(s, d).errorP));
  const steErr = (t: SteTrainer) => [tA, tB, test].map((d) => pct(t.evaluate(d).error));
  const e = ebpTrainer(cfg, inputs, cfg.seed);
  e.fit(A, { epochs: cfg.epochs, trainError: 'none' });
  const eA = ebpErr(e.store);
  const e2 = EbpTrainer.fromPrior(e.store, cfg.seed + 20);
  e2.fit(B, { epochs: cfg.epochs, trainError: 'none' });
  const s = steTrainer(cfg, inputs);
  steTask(s, A, cfg.epochs);
  const sA = steErr(s);
  steTask(s, B, cfg.epochs);
  const j = ebpTrainer(cfg, inputs, cfg.seed);
  j.fit(concat([A, B]), { epochs: cfg.epochs, trainError: 'none' });
  return {
    'ebp-prior': { afterA: eA, afterB: ebpErr(e2.store) },
    'ste-seq': { afterA: sA, afterB: steErr(s) },
    'ebp-joint': { afterA: [], afterB: ebpErr(j.store) },
  };
}

export interface ShardRun {
  shards: number;
  combine: MergeCombine;
  /** EBP-P and EBP-D test error after every round, percent. */
  errorP: number[];
  errorD: number[];
  /** Seconds of the slowest shard per round, and of all shards together (they ran one after another). */
  slowestShardSeconds: number[];
  totalShardSeconds: number[];
  mergeSeconds: number[];
  /** Posterior bytes (h and b, float64) and .ebpb file bytes of one shard model; bytes moved per round. */
  posteriorBytes: number;
  fileBytes: number;
  bytesPerRound: number;
}

export function shardedRounds(cfg: ScalingConfig, train: Dataset, test: Dataset, K: number, combine: MergeCombine = 'product'): ShardRun {
  const inputs = train.X.shape[1];
  const n = train.labels.length;
  const order = createRng(cfg.seed + 500).permutation(n);
  const parts = Array.from({ length: K }, (_, k) => subset(train, order.subarray(Math.floor((k * n) / K), Math.floor(((k + 1) * n) / K))));
  let merged = ebpTrainer(cfg, inputs, cfg.seed).store;
  const run: ShardRun = {
    shards: K, combine, errorP: [], errorD: [], slowestShardSeconds: [], totalShardSeconds: [], mergeSeconds: [], posteriorBytes: 0, fileBytes: 0, bytesPerRound: 0,
  };
  for (let r = 0; r < cfg.rounds; r++) {
    const shards: PosteriorStore[] = [];
    const secs: number[] = [];
    parts.forEach((p, k) => {
      const t = EbpTrainer.fromPrior(merged, cfg.seed + 1000 * (r + 1) + k);
      const t0 = performance.now();
      t.fit(p, { epochs: 1, trainError: 'none' });
      secs.push((performance.now() - t0) / 1000);
      shards.push(t.store);
    });
    const t0 = performance.now();
    merged = mergePosteriors(merged, shards, { combine });
    run.mergeSeconds.push(round3((performance.now() - t0) / 1000));
    run.slowestShardSeconds.push(round3(Math.max(...secs)));
    run.totalShardSeconds.push(round3(secs.reduce((a, x) => a + x, 0)));
    const e = evaluateErrors(merged, test);
    run.errorP.push(pct(e.errorP));
    run.errorD.push(pct(e.errorD));
    if (r === 0) {
      run.posteriorBytes = merged.layers.reduce((a, L) => a + 8 * (L.h.length + L.b.length), 0);
      run.fileBytes = encodeModel(XnorNetwork.fromPosterior(shards[0]), {}, { posterior: shards[0] }).length;
      run.bytesPerRound = K === 1 ? 0 : 2 * K * run.fileBytes;
    }
    console.error(`sharded: K=${K} ${combine} round ${r + 1}/${cfg.rounds} EBP-P ${run.errorP[r]}% EBP-D ${run.errorD[r]}%`);
  }
  return run;
}

/** K shards trained `rounds` epochs each from one initial posterior, merged once at the end (not the recipe). */
export function mergedOnce(cfg: ScalingConfig, train: Dataset, test: Dataset, K: number): Record<string, unknown> {
  const inputs = train.X.shape[1];
  const n = train.labels.length;
  const order = createRng(cfg.seed + 500).permutation(n);
  const base = ebpTrainer(cfg, inputs, cfg.seed).store;
  const shards = Array.from({ length: K }, (_, k) => {
    const t = EbpTrainer.fromPrior(base, cfg.seed + 7000 + k);
    t.fit(subset(train, order.subarray(Math.floor((k * n) / K), Math.floor(((k + 1) * n) / K))), { epochs: cfg.rounds, trainError: 'none' });
    return t.store;
  });
  const out: Record<string, unknown> = { shardErrorP: shards.map((s) => pct(evaluateErrors(s, test).errorP)) };
  for (const combine of ['product', 'average'] as const) {
    const e = evaluateErrors(mergePosteriors(base, shards, { combine }), test);
    out[combine] = { errorP: pct(e.errorP), errorD: pct(e.errorD) };
  }
  return out;
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

function digits(file: string): Dataset {
  const d = readNumericCsv(join(ROOT, 'tests', 'fixtures', 'digits', file));
  return { ...d, X: matrix(d.X.data.map((v) => v / 16), d.X.shape[0], d.X.shape[1]) };
}

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}

const COLORS: Record<string, string> = { 'ebp-prior': '#1f77b4', 'ste-seq': '#d62728', 'ebp-scratch': '#7f7f7f' };

/** Two SVG plots: the continual mean error over the tasks seen, and the sharded test error per round. */
export function plots(result: { continual?: ContinualResult; sharded?: ShardRun[]; config: ScalingConfig }): Record<string, string> {
  const out: Record<string, string> = {};
  const box = { x: 80, y: 70, w: 460, h: 320 };
  if (result.continual) {
    const c = result.continual;
    const T = result.config.tasks;
    const series: LineSeries[] = Object.entries(c.errors).map(([k, e]) => ({
      label: k, color: COLORS[k] ?? '#000', marker: 'circle', points: e.map((row, a) => [a + 1, mean(row)] as [number, number]),
    }));
    out['scaling-continual.svg'] = svgDocument(780, 470, 'Permuted MNIST-10k: mean test error over the tasks seen so far', [
      panel({
        box, title: `784-${result.config.hidden}-10, ${result.config.epochs} epochs per task`,
        xAxis: { label: 'tasks learned', min: 1, max: T, ticks: Array.from({ length: T }, (_, i) => i + 1), format: String },
        yAxis: { label: 'mean test error (%)', min: 0, max: 100, ticks: niceTicks(0, 100, 5), format: String },
        series,
      }),
      legend(series.map((s) => ({ label: s.label, color: s.color, marker: s.marker })), 560, 80),
    ], 'EBP-P for EBP; STE fine-tuned per task at lr 0.1 → 0.001');
  }
  if (result.sharded) {
    const palette = ['#000000', '#1f77b4', '#2ca02c', '#9467bd'];
    const Ks = [...new Set(result.sharded.map((r) => r.shards))];
    const series: LineSeries[] = result.sharded.map((r) => ({
      label: r.shards === 1 ? '1 process' : `${r.shards} shards, ${r.combine}`,
      color: palette[Ks.indexOf(r.shards) % palette.length], dash: r.combine === 'product' && r.shards > 1 ? '5,4' : undefined,
      points: r.errorP.map((v, i) => [i + 1, v] as [number, number]),
    }));
    const R = result.config.rounds;
    out['scaling-sharded.svg'] = svgDocument(800, 470, 'Sharded rounds, MNIST-10k: EBP-P test error after each merge', [
      panel({
        box, title: `784-${result.config.hidden}-10, one epoch per shard per round`,
        xAxis: { label: 'round (= epochs over all rows)', min: 1, max: R, ticks: Array.from({ length: R }, (_, i) => i + 1), format: String },
        yAxis: { label: 'test error (%)', min: 0, max: 30, ticks: niceTicks(0, 30, 6), format: String },
        series,
      }),
      legend(series.map((s) => ({ label: s.label, color: s.color, dash: s.dash })), 560, 80, 'dashed: product (the formula)'),
    ], 'clipped at 30%: the product with 4 and 8 shards goes to ~90%');
  }
  return out;
}

function writePlots(result: Parameters<typeof plots>[0], dir: string): void {
  mkdirSync(join(dir, 'plots'), { recursive: true });
  for (const [name, svg] of Object.entries(plots(result))) writeFileSync(join(dir, 'plots', name), svg);
}

function main(): void {
  const dir = join(ROOT, 'bench', 'results');
  if (process.argv.includes('--plots-only')) {
    writePlots(JSON.parse(readFileSync(join(dir, 'scaling.json'), 'utf8')), dir);
    return;
  }
  const quick = process.argv.includes('--quick');
  const cfg: ScalingConfig = {
    hidden: arg('--hidden', quick ? 32 : 100),
    tasks: arg('--tasks', quick ? 2 : 5),
    epochs: arg('--epochs', 2),
    rounds: arg('--rounds', quick ? 3 : 10),
    shards: quick ? [1, 2, 4] : [1, 2, 4, 8],
    seed: 1,
  };
  const { train, test } = quick ? { train: digits('digits_train.csv'), test: digits('digits_test.csv') } : loadMnist10k();
  const t0 = performance.now();
  const result: Record<string, unknown> = {
    command: `node build/bench/scaling.js ${process.argv.slice(2).join(' ')}`.trim(),
    data: quick ? 'digits fixture (1352 train, 445 test, 64 inputs / 16)' : 'MNIST-10k (10,000 training digits, official 10k test set, grey / 255)',
    config: cfg,
    machine: machineInfo(),
  };
  const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : null;
  const shardList = process.argv.includes('--shards') ? process.argv[process.argv.indexOf('--shards') + 1].split(',').map(Number) : cfg.shards;
  if (only === null || only === 'continual') result.continual = continual(cfg, train, test, { joint: true });
  if (only === null || only === 'class-split') result.classSplit = classSplit(cfg, train, test);
  if (only === null || only === 'sharded') result.sharded = shardList.flatMap((K) => (K === 1 ? ['product' as const] : (['product', 'average'] as const)).map((c) => shardedRounds(cfg, train, test, K, c)));
  if (only === null || only === 'sharded') result.mergedOnce = { shards: 4, ...mergedOnce(cfg, train, test, 4) };
  result.seconds = round3((performance.now() - t0) / 1000);
  mkdirSync(dir, { recursive: true });
  if (!quick && only === null) writePlots(result as Parameters<typeof plots>[0], dir);
  const file = join(dir, `scaling${quick ? '-quick' : ''}${only ? '-' + only : ''}.json`);
  writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
  console.log(JSON.stringify(result, null, 2));
  console.error(`wrote ${file}`);
}

if (require.main === module) main();
