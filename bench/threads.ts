/**
 * Threads benchmark (npm run bench:threads): packed inference of large batches on 1 and 2 (and, where the
 * machine has them, all cores') worker threads, side by side in one run: the thread counts take turns,
 * round after round, so load from other processes falls on all of them alike. Wall time and process CPU
 * time (all threads; process.cpuUsage) per batch, medians over the rounds; checks that every thread count
 * gave the one-thread score bytes. Writes bench/results/threads.json and prints a Markdown table.
 *
 *   --quick   fewer rounds          --nets A,B   (default 784-500-500-10,784-4096-4096-10)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import { join } from 'node:path';
import { PosteriorStore, XnorNetwork, XnorEnsemble, createRng, type Matrix } from '../src';
import type { InputEncoding } from '../src/xnor/input';
import { loadMnist10k } from '../src/node';
import { XnorThreadPool, defaultThreads } from '../src/node/xnor-threads';
import { machineInfo } from '../src/compare/machine';
import { argValue, cpuNow } from './cli';

const ROOT = join(__dirname, '..', '..');
const args = process.argv.slice(2);
const QUICK = args.includes('--quick');

interface Row {
  model: string;
  input: string;
  batch: number;
  threads: number;
  samplesPerS: number;
  cpuSamplesPerS: number;
  wallMedianS: number;
  cpuMedianS: number;
  rounds: number;
  sameBytes: boolean;
}

const median = (a: number[]) => a.slice().sort((x, y) => x - y)[a.length >> 1];

async function sideBySide(model: XnorNetwork | XnorEnsemble, name: string, input: string, X: Float64Array, batch: number, counts: number[], pool: XnorThreadPool): Promise<Row[]> {
  const w0 = model.scores(X).data;
  const want = Buffer.from(w0.buffer, w0.byteOffset, w0.byteLength);
  const wall = counts.map(() => [] as number[]);
  const cpu = counts.map(() => [] as number[]);
  const same = counts.map(() => true);
  for (const [i, threads] of counts.entries()) {
    const s = await pool.scores(model, X, { threads }); // warm-up: workers started, network sent
    same[i] = Buffer.from(s.data.buffer, s.data.byteOffset, s.data.byteLength).equals(want);
  }
  const rounds = QUICK ? 5 : 15;
  for (let r = 0; r < rounds; r++) {
    for (const [i, threads] of counts.entries()) {
      const t0 = performance.now();
      const c0 = cpuNow();
      const s = await pool.scores(model, X, { threads });
      cpu[i].push(cpuNow() - c0);
      wall[i].push((performance.now() - t0) / 1000);
      if (r === 0 && !Buffer.from(s.data.buffer, s.data.byteOffset, s.data.byteLength).equals(want)) same[i] = false;
    }
  }
  return counts.map((threads, i) => {
    const w = median(wall[i]);
    const c = median(cpu[i]);
    const row = { model: name, input, batch, threads, samplesPerS: batch / w, cpuSamplesPerS: batch / c, wallMedianS: w, cpuMedianS: c, rounds, sameBytes: same[i] };
    process.stderr.write(`  ${name} (${input}) batch ${batch}, ${threads} thread(s): ${row.samplesPerS.toFixed(0)} samples/s wall, ${row.cpuSamplesPerS.toFixed(0)} per CPU-s, same bytes ${row.sameBytes}\n`);
    return row;
  });
}

async function main(): Promise<void> {
  const machine = machineInfo();
  const all = defaultThreads();
  const counts = [...new Set([1, 2, all])];
  const pool = XnorThreadPool.create({ threads: Math.max(...counts) });
  const testX = loadMnist10k().test.X as Matrix;
  const nets = (argValue('--nets') ?? '784-500-500-10,784-4096-4096-10').split(',');
  const inputs: [string, InputEncoding][] = [['real', { type: 'real' }], ['binarised', { type: 'binarize', threshold: 0.5 }]];
  const rows: Row[] = [];
  for (const net of nets) {
    const sizes = net.split('-').map(Number);
    const store = PosteriorStore.init(sizes, { seed: 1 });
    const rng = createRng(7);
    store.layers.forEach((L) => L.b.forEach((_, k) => (L.b[k] = rng.normal() * 2)));
    const batches = sizes[1] > 1000 ? [256, 1024] : [256, 4096];
    for (const batch of batches) {
      const X = testX.data.slice(0, batch * 784) as Float64Array;
      for (const [name, input] of inputs) rows.push(...(await sideBySide(XnorNetwork.fromPosterior(store, { input }), net, name, X, batch, counts, pool)));
    }
    if (sizes[1] <= 1000) {
      const ens = XnorNetwork.sampleEnsemble(store, { members: 16, seed: 1 });
      rows.push(...(await sideBySide(ens, `${net} ensemble of 16`, 'real', testX.data.slice(0, 1024 * 784) as Float64Array, 1024, counts, pool)));
    }
  }
  await pool.close();
  const result = { machine, loadAverageAfter: os.loadavg().map((x) => Math.round(x * 100) / 100), threadCounts: counts, quick: QUICK, rows };
  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench', 'results', 'threads.json'), JSON.stringify(result, null, 2) + '\n');
  const base = new Map(rows.filter((r) => r.threads === 1).map((r) => [`${r.model}|${r.input}|${r.batch}`, r]));
  console.log('| model | input | batch | threads | samples/s (wall) | × 1 thread | samples per CPU-s | same bytes |');
  console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |');
  for (const r of rows) {
    const b = base.get(`${r.model}|${r.input}|${r.batch}`) as Row;
    console.log(`| ${r.model} | ${r.input} | ${r.batch} | ${r.threads} | ${r.samplesPerS.toFixed(0)} | ${(r.samplesPerS / b.samplesPerS).toFixed(2)} | ${r.cpuSamplesPerS.toFixed(0)} | ${r.sameBytes ? 'yes' : '**no**'} |`);
  }
  console.log(`\n${machine.cpu}, ${machine.cores} cores, load average ${machine.loadAverage.join(' / ')} before, ${result.loadAverageAfter.join(' / ')} after.`);
}

void main().catch((e) => {
  console.error(e);
  process.exit(1);
});
