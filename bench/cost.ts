/**
 * How cost grows (npm run bench:cost; docs/scaling.md "How cost grows"): EBP training and packed inference, each
 * along three axes at three sizes: samples (rows), weights (layer widths) and threads. Every point is the median
 * of several repeats, and the repeats of one axis take turns (size 1, 2, 3, then again), so load from other
 * processes falls on the sizes alike. Reports wall seconds and process CPU seconds (all threads); per-sample and
 * per-weight costs make the growth readable. EBP: MNIST-10k rows, binary weights, batch 10, one pass over the
 * rows, no online error. Packed: random ±1 weights with real biases (as bench:xnor), real MNIST inputs, batches of
 * 256 rows (threads: `threadedScores` of ebp-bnn/node). Writes bench/results/cost.json and prints Markdown tables.
 *
 *   node build/bench/cost.js [--quick]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import { join } from 'node:path';
import ndarray from 'ndarray';
import { EbpTrainer, PosteriorStore, XnorNetwork, createRng, makeDataset, matrix, type Dataset, type Matrix } from '../src';
import { loadMnist10k, threadedScores } from '../src/node';
import { machineInfo } from '../src/compare/machine';
import { cpuNow } from './cli';

const ROOT = join(__dirname, '..', '..');
const args = process.argv.slice(2);
const QUICK = args.includes('--quick');
const REPEATS = QUICK ? 1 : 3;
const median = (a: number[]) => a.slice().sort((x, y) => x - y)[a.length >> 1];

interface Point {
  part: 'ebp' | 'packed';
  axis: 'samples' | 'weights' | 'threads';
  net: string;
  rows: number;
  threads: number;
  weights: number;
  wallS: number;
  cpuS: number;
  /** Wall microseconds per sample, and per sample and 1,000 weights. */
  usPerSample: number;
  nsPerSampleWeight: number;
}

interface Case {
  net: string;
  rows: number;
  threads: number;
  /** Set-up before each repeat, outside the clock. */
  prepare?: () => void;
  /** The work that is timed. */
  run: () => void | Promise<void>;
  done?: () => void;
}

function weightsOf(sizes: number[]): number {
  let w = 0;
  for (let l = 1; l < sizes.length; l++) w += sizes[l - 1] * sizes[l];
  return w;
}

function head(d: Dataset, n: number): Dataset {
  const K = d.X.shape[1];
  return makeDataset({ X: matrix((d.X.data as Float64Array).slice(0, n * K), n, K), labels: d.labels.slice(0, n), numClasses: d.numClasses });
}

/** Median wall and CPU seconds of every case, the cases taking turns `REPEATS` times. */
async function measure(part: Point['part'], axis: Point['axis'], cases: Case[]): Promise<Point[]> {
  const wall = cases.map(() => [] as number[]);
  const cpu = cases.map(() => [] as number[]);
  for (let r = 0; r < REPEATS; r++) {
    for (let i = 0; i < cases.length; i++) {
      cases[i].prepare?.();
      const t0 = performance.now();
      const c0 = cpuNow();
      await cases[i].run();
      cpu[i].push(cpuNow() - c0);
      wall[i].push((performance.now() - t0) / 1000);
    }
  }
  return cases.map((c, i) => {
    c.done?.();
    const sizes = c.net.split('-').map(Number);
    const weights = weightsOf(sizes);
    const wallS = median(wall[i]);
    const p: Point = {
      part, axis, net: c.net, rows: c.rows, threads: c.threads, weights, wallS, cpuS: median(cpu[i]),
      usPerSample: (wallS / c.rows) * 1e6,
      nsPerSampleWeight: (wallS / c.rows / weights) * 1e9 * 1000,
    };
    process.stderr.write(`  ${part} ${axis}: ${c.net}, ${c.rows} rows, ${c.threads} thread(s): ${wallS.toFixed(3)} s wall, ${p.cpuS.toFixed(3)} s CPU\n`);
    return p;
  });
}

/** One pass of EBP over `data` on a fresh trainer per repeat (the same work every time). */
function ebpCase(net: string, data: Dataset, threads: number): Case {
  const sizes = net.split('-').map(Number);
  let trainer: EbpTrainer | null = null;
  const fresh = () => {
    trainer?.close();
    trainer = EbpTrainer.create({ inputs: sizes[0], hidden: sizes.slice(1, -1), outputs: sizes[sizes.length - 1], weights: 'binary', seed: 1, threads });
    // Workers started and code warm before the clock: a short fit on other rows.
    trainer.fit(head(data, 100), { epochs: 1, batchSize: 10, trainError: 'none', shuffle: false });
  };
  return {
    net,
    rows: data.labels.length,
    threads,
    prepare: fresh,
    run: () => {
      (trainer as unknown as EbpTrainer).fit(data, { epochs: 1, batchSize: 10, trainError: 'none', shuffle: false });
    },
    done: () => trainer?.close(),
  };
}

function packedNet(sizes: number[]): XnorNetwork {
  const rng = createRng(7);
  const store = PosteriorStore.init(sizes, { seed: 1 });
  store.layers.forEach((L) => L.b.forEach((_, k) => (L.b[k] = rng.normal() * 2)));
  return XnorNetwork.fromPosterior(store);
}

/** Scores of `X` in batches of 256 rows, on `threads` threads. */
function packedCase(net: string, xn: XnorNetwork, X: Matrix, threads: number): Case {
  const rows = X.shape[0];
  const K = X.shape[1];
  const batches: Matrix[] = [];
  for (let s = 0; s < rows; s += 256) batches.push(ndarray((X.data as Float64Array).subarray(s * K, Math.min(rows, s + 256) * K), [Math.min(256, rows - s), K]) as Matrix);
  return {
    net,
    rows,
    threads,
    run: async () => {
      for (const b of batches) {
        if (threads === 1) xn.scores(b);
        else await threadedScores(xn, b, { threads });
      }
    },
  };
}

function table(points: Point[], title: string): string {
  const lines = [`${title}`, '', '| axis | net | weights | rows | threads | wall s | CPU s | µs per sample | ns per sample per 1k weights |', '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |'];
  for (const p of points) {
    lines.push(`| ${p.axis} | ${p.net} | ${p.weights.toLocaleString('en-US')} | ${p.rows.toLocaleString('en-US')} | ${p.threads} | ${p.wallS.toFixed(3)} | ${p.cpuS.toFixed(3)} | ${p.usPerSample.toFixed(1)} | ${p.nsPerSampleWeight.toFixed(2)} |`);
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const machine = machineInfo();
  const mnist = loadMnist10k();
  const n = QUICK ? [500, 1000, 2000] : [2000, 4000, 8000];
  const points: Point[] = [];
  // EBP training.
  points.push(...(await measure('ebp', 'samples', n.map((rows) => ebpCase('784-200-10', head(mnist.train, rows), 1)))));
  points.push(...(await measure('ebp', 'weights', ['784-100-10', '784-200-10', '784-400-10'].map((net) => ebpCase(net, head(mnist.train, n[1]), 1)))));
  points.push(...(await measure('ebp', 'threads', [1, 2, 4].map((threads) => ebpCase('784-500-500-10', head(mnist.train, n[0]), threads)))));
  // Packed inference: real inputs in (0, 1), the official test rows repeated as needed.
  const testRows = (m: number): Matrix => {
    const X = new Float64Array(m * 784);
    const src = mnist.test.X.data as Float64Array;
    for (let r = 0; r < m; r++) X.set(src.subarray((r % mnist.test.labels.length) * 784, ((r % mnist.test.labels.length) + 1) * 784), r * 784);
    return ndarray(X, [m, 784]) as Matrix;
  };
  const rowsP = QUICK ? [512, 1024, 2048] : [2560, 5120, 10240];
  const n1024 = packedNet([784, 1024, 1024, 10]);
  points.push(...(await measure('packed', 'samples', rowsP.map((m) => packedCase('784-1024-1024-10', n1024, testRows(m), 1)))));
  const widths = [1024, 2048, 4096];
  const nets = widths.map((w) => packedNet([784, w, w, 10]));
  points.push(...(await measure('packed', 'weights', widths.map((w, i) => packedCase(`784-${w}-${w}-10`, nets[i], testRows(rowsP[0]), 1)))));
  points.push(...(await measure('packed', 'threads', [1, 2, 4].map((threads) => packedCase('784-4096-4096-10', nets[2], testRows(rowsP[1]), threads)))));
  const result = {
    benchmark: 'cost',
    command: `node build/bench/cost.js${args.length ? ' ' + args.join(' ') : ''}`,
    machine,
    loadAverageAfter: os.loadavg().map((x) => Math.round(x * 100) / 100),
    repeats: REPEATS,
    points,
  };
  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench', 'results', QUICK ? 'cost-quick.json' : 'cost.json'), JSON.stringify(result, null, 2) + '\n');
  console.log(table(points.filter((p) => p.part === 'ebp'), 'EBP training (binary, batch 10, one pass, MNIST-10k rows):'));
  console.log('');
  console.log(table(points.filter((p) => p.part === 'packed'), 'Packed inference (random ±1 weights, real MNIST inputs, batches of 256):'));
  console.log(`\n${machine.cpu}, ${machine.cores} cores, load average ${machine.loadAverage.join(' / ')} before, ${result.loadAverageAfter.join(' / ')} after.`);
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
