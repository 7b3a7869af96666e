/**
 * Threaded EBP training benchmark (npm run bench:ebp-threads): samples/s of EbpTrainer.fit with 1 and 2 (and,
 * where the machine has more, all cores') threads, side by side in one run: the thread counts take turns, round
 * after round, each training its own copy of one initial posterior on the same rows, so load from other
 * processes falls on all of them alike. Wall time and process CPU time per round (all threads), medians over the
 * rounds; checks that every thread count ended with the one-thread posterior bytes. Binary weights, batch 10,
 * no online error (pure training throughput, as `bench:ebp -- --speed-only`). Writes
 * bench/results/ebp-threads.json and prints a Markdown table.
 *
 *   --quick   fewer rounds          --nets A,B   (default 784-200-10,784-500-500-10)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import { join } from 'node:path';
import { EbpTrainer, createRng, makeDataset, matrix, type Dataset, type PosteriorStore } from '../src';
import { loadMnist10k, defaultThreads } from '../src/node';
import { machineInfo } from '../src/compare/machine';
import { argValue, cpuNow } from './cli';

const ROOT = join(__dirname, '..', '..');
const args = process.argv.slice(2);
const QUICK = args.includes('--quick');
const median = (a: number[]) => a.slice().sort((x, y) => x - y)[a.length >> 1];

function rows(d: Dataset, from: number, n: number): Dataset {
  const K = d.X.shape[1];
  const X = (d.X.data as Float64Array).slice(from * K, (from + n) * K);
  return makeDataset({ X: matrix(X, n, K), labels: d.labels.slice(from, from + n), numClasses: d.numClasses });
}

/** Rows of MNIST's shape with a fifth of the pixels non-zero, uniform in (0, 1): the bench:ebp data. */
function synthetic(n: number, seed: number): Dataset {
  const rng = createRng(seed);
  const X = new Float64Array(n * 784);
  for (let i = 0; i < X.length; i++) {
    const a = rng.next();
    X[i] = rng.next() < 0.2 ? a : 0;
  }
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) labels[i] = rng.int(10);
  return makeDataset({ X: matrix(X, n, 784), labels, numClasses: 10 });
}

function storeBytes(store: PosteriorStore): Buffer {
  return Buffer.concat(store.layers.flatMap((L) => [L.h, L.b, L.mean, L.variance, L.map].map((a) => Buffer.from(a.slice().buffer))));
}

interface Row {
  net: string;
  data: string;
  threads: number;
  samplesPerS: number;
  cpuSamplesPerS: number;
  rounds: number;
  rowsPerRound: number;
  sameBytes: boolean;
}

function sideBySide(net: string, dataName: string, pool: Dataset, counts: number[]): Row[] {
  const sizes = net.split('-').map(Number);
  const trainers = counts.map((threads) => EbpTrainer.create({ inputs: 784, hidden: sizes.slice(1, -1), outputs: 10, weights: 'binary', seed: 1, threads }));
  const perRound = sizes[1] >= 500 ? 500 : 1500;
  const rounds = QUICK ? 3 : 7;
  const fit = (t: EbpTrainer, d: Dataset) => t.fit(d, { epochs: 1, batchSize: 10, trainError: 'none', shuffle: false });
  const warm = rows(pool, 0, 200);
  for (const t of trainers) fit(t, warm); // workers started, code warm
  const wall = counts.map(() => [] as number[]);
  const cpu = counts.map(() => [] as number[]);
  for (let r = 0; r < rounds; r++) {
    const d = rows(pool, 200 + ((r * perRound) % (pool.labels.length - 200 - perRound)), perRound);
    trainers.forEach((t, i) => {
      const t0 = performance.now();
      const c0 = cpuNow();
      fit(t, d);
      cpu[i].push(cpuNow() - c0);
      wall[i].push((performance.now() - t0) / 1000);
    });
  }
  const want = storeBytes(trainers[0].store);
  return counts.map((threads, i) => {
    const row: Row = {
      net,
      data: dataName,
      threads: trainers[i].threads,
      samplesPerS: perRound / median(wall[i]),
      cpuSamplesPerS: perRound / median(cpu[i]),
      rounds,
      rowsPerRound: perRound,
      sameBytes: storeBytes(trainers[i].store).equals(want),
    };
    trainers[i].close();
    process.stderr.write(`  ${net} ${dataName}, ${threads} thread(s): ${row.samplesPerS.toFixed(0)} samples/s wall, ${row.cpuSamplesPerS.toFixed(0)} per CPU-s, same bytes ${row.sameBytes}\n`);
    return row;
  });
}

function main(): void {
  const machine = machineInfo();
  const counts = [...new Set([1, 2, defaultThreads()])];
  const nets = (argValue('--nets') ?? '784-200-10,784-500-500-10').split(',');
  const mnist = loadMnist10k().train;
  const data: [string, Dataset][] = [['MNIST-10k', mnist], ['synthetic', synthetic(4000, 3)]];
  const out: Row[] = [];
  for (const net of nets) for (const [name, d] of data) out.push(...sideBySide(net, name, d, counts));
  const result = { benchmark: 'ebp-threads', command: `npm run bench:ebp-threads${args.length ? ' -- ' + args.join(' ') : ''}`, machine, loadAverageAfter: os.loadavg().map((x) => Math.round(x * 100) / 100), threadCounts: counts, rows: out };
  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench', 'results', 'ebp-threads.json'), JSON.stringify(result, null, 2) + '\n');
  const base = new Map(out.filter((r) => r.threads === 1).map((r) => [`${r.net}|${r.data}`, r]));
  console.log('| net | data | threads | samples/s (wall) | × 1 thread | samples per CPU-s | same bytes |');
  console.log('| --- | --- | ---: | ---: | ---: | ---: | --- |');
  for (const r of out) {
    const b = base.get(`${r.net}|${r.data}`) as Row;
    console.log(`| ${r.net} | ${r.data} | ${r.threads} | ${r.samplesPerS.toFixed(0)} | ${(r.samplesPerS / b.samplesPerS).toFixed(2)} | ${r.cpuSamplesPerS.toFixed(0)} | ${r.sameBytes ? 'yes' : '**no**'} |`);
  }
  console.log(`\n${machine.cpu}, ${machine.cores} cores, load average ${machine.loadAverage.join(' / ')} before, ${result.loadAverageAfter.join(' / ')} after.`);
}

main();
