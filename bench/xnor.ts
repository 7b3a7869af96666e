/**
 * Packed binary inference benchmark (npm run bench:xnor).
 *
 *  1. Speed: 784-500-500-10 and 784-4096-4096-10 with random ±1 weights and real biases, batch 1 and
 *     256, one thread, MNIST test images as inputs. Side by side: the project's float64 forward of the
 *     same ±1 network (EBP-D, `deterministicScores`, WebAssembly SIMD and JS stores), the pure
 *     TypeScript XNOR kernels, the WebAssembly XNOR kernels (each with binarised, 8-bit bit-plane and
 *     real inputs), and numpy float32 through ../shared/anchors/np_dense_bench.py (OPENBLAS_NUM_THREADS=1;
 *     skipped with a message when ../shared is absent). Samples/s and G-MAC/s (MACs = Σ K_l·K_{l+1}).
 *  2. MNIST-10k: EBP 784-200-10 and 784-500-500-10 (binary weights, 20 epochs, seed 1): test error of
 *     EBP-P, EBP-D, the packed EBP-D network (bit-plane and real inputs; binarised inputs for reference)
 *     and posterior ensembles (16 members, seed 1), with model file sizes.
 *
 * Writes bench/results/xnor.json and prints Markdown tables. Options:
 *   --quick            2 epochs, shorter timings (smoke run)
 *   --speed-only       only part 1          --accuracy-only  only part 2
 *   --no-anchor        skip numpy           --no-deep        skip training 784-500-500-10
 *   --numpy-kernel best|env  OpenBLAS kernel of the anchor: best (default; OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE
 *                      unset for it) or as the environment pins it (bench/anchor-env.ts)
 *   --nets A,B         speed nets (default 784-500-500-10,784-4096-4096-10)
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import { join } from 'node:path';
import ndarray from 'ndarray';
import {
  EbpTrainer, PosteriorStore, XnorNetwork, createRng, deterministicScores, encodeModel, predict, type Matrix,
} from '../src';
import type { InputEncoding } from '../src/xnor/input';
import { loadMnist10k } from '../src/node';
import { errorRate } from '../src/eval/metrics';
import { machineInfo } from '../src/compare/machine';
import { timeIt, type Timing } from './timing';
import { numpyEnv, numpyKernelArg, runAnchor } from './anchor-env';

const ROOT = join(__dirname, '..', '..');
const ANCHOR = join(process.env.EBP_BNN_ANCHORS ?? join(ROOT, '..', 'shared', 'anchors'), 'np_dense_bench.py');
const args = process.argv.slice(2);
const QUICK = args.includes('--quick');
const NUMPY_KERNEL = numpyKernelArg(args);
const argValue = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};

function macsOf(sizes: number[]): number {
  let s = 0;
  for (let l = 0; l + 1 < sizes.length; l++) s += sizes[l] * sizes[l + 1];
  return s;
}

function anchor(net: string, batch: number): Record<string, unknown> | null {
  if (args.includes('--no-anchor')) return null;
  if (!existsSync(ANCHOR)) return null;
  const { json, openblasKernel } = runAnchor(ANCHOR, ['np-f32', net, String(batch), '1'], NUMPY_KERNEL);
  return { ...json, openblas_kernel: json.openblas_kernel ?? openblasKernel };
}

/**
 * The anchor's CPU time per forward: its FIXED=n mode runs n forwards and exits; bash's `times` gives
 * the child's user + system seconds, and a FIXED=0 run (imports, weight set-up) is subtracted.
 */
function anchorCpuSeconds(net: string, batch: number, wallS: number): number | null {
  const run = (n: number) => {
    const out = execFileSync('bash', ['-c', `python3 "$0" np-f32 "$1" "$2" 1 >/dev/null; times`, ANCHOR, net, String(batch)], {
      encoding: 'utf8',
      env: numpyEnv(NUMPY_KERNEL, { FIXED: String(n) }),
    });
    const m = /(\d+)m([\d.]+)s (\d+)m([\d.]+)s\s*$/.exec(out.trim());
    return m ? 60 * Number(m[1]) + Number(m[2]) + 60 * Number(m[3]) + Number(m[4]) : NaN;
  };
  const n = Math.max(3, Math.ceil((QUICK ? 0.5 : 2) / Math.max(wallS, 1e-6)));
  const base = Math.min(run(0), run(0));
  const total = run(n);
  const per = (total - base) / n;
  return Number.isFinite(per) && per > 0 ? per : null;
}

const INPUTS: [string, InputEncoding][] = [
  ['binarised', { type: 'binarize', threshold: 0.5 }],
  ['bit planes (8-bit)', { type: 'bitplanes', bits: 8 }],
  ['real', { type: 'real' }],
];

interface SpeedRow {
  net: string;
  batch: number;
  engine: string;
  input: string;
  samplesPerS: number;
  gmacs: number;
  cpuSamplesPerS?: number;
  timing?: Timing;
  note?: string;
}

function speed(testX: Matrix): { rows: SpeedRow[]; anchorMissing: boolean } {
  const nets = (argValue('--nets') ?? '784-500-500-10,784-4096-4096-10').split(',');
  const rows: SpeedRow[] = [];
  let anchorMissing = false;
  for (const net of nets) {
    const sizes = net.split('-').map(Number);
    const macs = macsOf(sizes);
    const rng = createRng(7);
    const store = PosteriorStore.init(sizes, { seed: 1 });
    const storeJs = store.clone('js');
    for (const s of [store, storeJs]) s.layers.forEach((L) => L.b.forEach((_, k) => (L.b[k] = rng.normal() * 2)));
    for (const batch of [1, 256]) {
      const X = ndarray(testX.data.slice(0, batch * 784), [batch, 784]) as Matrix;
      const add = (engine: string, input: string, fn: () => unknown, note?: string) => {
        const t = timeIt(fn, QUICK);
        const row: SpeedRow = {
          net, batch, engine, input,
          samplesPerS: batch / t.medianS,
          gmacs: (macs * batch) / t.medianS / 1e9,
          cpuSamplesPerS: batch / t.cpuMedianS,
          timing: t,
        };
        if (note) row.note = note;
        rows.push(row);
        process.stderr.write(`  ${net} batch ${batch} ${engine} (${input}): ${row.samplesPerS.toFixed(0)} samples/s, ${row.gmacs.toFixed(2)} G-MAC/s\n`);
      };
      add(`float64 EBP-D forward (${store.backend})`, 'real', () => deterministicScores(store, X));
      if (!(QUICK && sizes[1] > 1000 && batch > 1)) add('float64 EBP-D forward (js)', 'real', () => deterministicScores(storeJs, X));
      for (const backend of ['js', 'wasm'] as const) {
        for (const [name, input] of INPUTS) {
          const xn = XnorNetwork.fromPosterior(store, { input, backend });
          add(backend === 'js' ? 'XNOR, TypeScript kernels' : 'XNOR, WebAssembly kernels', name, () => xn.scores(X));
        }
      }
      const a = anchor(net, batch);
      if (a) {
        const cpuS = anchorCpuSeconds(net, batch, a.median_s as number);
        rows.push({
          net, batch, engine: `numpy float32 (OpenBLAS ${a.openblas_kernel}, 1 thread)`, input: 'real',
          samplesPerS: a.samples_per_s as number, gmacs: a.gmacs as number, note: 'np_dense_bench.py np-f32',
          ...(cpuS ? { cpuSamplesPerS: batch / cpuS } : {}),
        });
        process.stderr.write(`  ${net} batch ${batch} numpy f32: ${a.samples_per_s} samples/s\n`);
      } else anchorMissing = true;
    }
  }
  return { rows, anchorMissing };
}

interface AccuracyRow {
  net: string;
  epochs: number;
  trainSeconds: number;
  errors: Record<string, number>;
  bytes: Record<string, number>;
  ensembleSamplesPerS?: number;
}

function accuracy(): AccuracyRow[] {
  const { train, test } = loadMnist10k();
  const nets = args.includes('--no-deep') ? ['784-200-10'] : ['784-200-10', '784-500-500-10'];
  const out: AccuracyRow[] = [];
  for (const net of nets) {
    const sizes = net.split('-').map(Number);
    const epochs = QUICK ? 2 : 20;
    const t0 = performance.now();
    const trainer = EbpTrainer.create({ inputs: 784, hidden: sizes.slice(1, -1), outputs: 10, weights: 'binary', seed: 1 });
    trainer.fit(train, { epochs, seed: 1, trainError: 'none', onEpoch: (r) => void process.stderr.write(`  ${net} epoch ${r.epoch}\n`) });
    const trainSeconds = (performance.now() - t0) / 1000;
    const store = trainer.store;
    const y = test.labels;
    const errors: Record<string, number> = {};
    errors['EBP-P (float, mean field)'] = errorRate(predict(store, test.X, 'probabilistic').classes, y);
    errors['EBP-D (float64 forward)'] = errorRate(predict(store, test.X, 'deterministic').classes, y);
    const packedPlanes = XnorNetwork.fromPosterior(store, { input: { type: 'bitplanes', bits: 8 } });
    errors['packed EBP-D, bit-plane inputs'] = errorRate(packedPlanes.predict(test.X), y);
    errors['packed EBP-D, real inputs'] = errorRate(XnorNetwork.fromPosterior(store).predict(test.X), y);
    errors['packed EBP-D, inputs binarised at 0.5 (a different network)'] = errorRate(XnorNetwork.fromPosterior(store, { input: { type: 'binarize', threshold: 0.5 } }).predict(test.X), y);
    const ens = XnorNetwork.sampleEnsemble(store, { members: 16, seed: 1, input: { type: 'bitplanes', bits: 8 } });
    const te = performance.now();
    errors['packed ensemble, 16 members, seed 1'] = errorRate(ens.predict(test.X), y);
    const ensembleSamplesPerS = test.labels.length / ((performance.now() - te) / 1000);
    for (const [m, seed] of [[4, 1], [16, 2], [16, 3], [64, 1]] as const) {
      if (QUICK && m > 16) continue;
      errors[`packed ensemble, ${m} members, seed ${seed}`] = errorRate(XnorNetwork.sampleEnsemble(store, { members: m, seed, input: { type: 'bitplanes' } }).predict(test.X), y);
    }
    const bytes = {
      'inference file (.ebpb)': encodeModel(packedPlanes, { classNames: test.classNames, training: { trainer: 'ebp', epochs, seed: 1 } }).length,
      'ensemble file, 16 members': encodeModel(ens, { classNames: test.classNames }).length,
      'checkpoint (with posterior h, b)': encodeModel(packedPlanes, { training: { trainer: 'ebp', epochs, seed: 1, rngState: trainer.rngState() } }, { posterior: store }).length,
      'packed bits + biases': packedPlanes.summary().packedBytes,
      'float32 weights + biases': packedPlanes.summary().float32Bytes,
    };
    out.push({ net, epochs, trainSeconds, errors, bytes, ensembleSamplesPerS });
    process.stderr.write(`  ${net}: ${JSON.stringify(errors)}\n`);
  }
  return out;
}

const fmt = (v: number, d = 0) => (v >= 100 ? Math.round(v).toLocaleString('en-US') : v.toFixed(d || (v < 10 ? 2 : 1)));

/** The speed targets, on wall-clock medians (the anchor's own measure) and on CPU time (robust to other load). */
function speedTargets(rows: SpeedRow[], clockGHz: number): Record<string, unknown>[] {
  const find = (net: string, batch: number, engine: string, input: string) => rows.find((r) => r.net === net && r.batch === batch && r.engine.startsWith(engine) && r.input === input);
  const targets: Record<string, unknown>[] = [];
  const ratio = (label: string, a: SpeedRow | undefined, b: SpeedRow | undefined, goal: number) => {
    if (!a || !b) return;
    const wall = a.samplesPerS / b.samplesPerS;
    const cpu = a.cpuSamplesPerS && b.cpuSamplesPerS ? a.cpuSamplesPerS / b.cpuSamplesPerS : null;
    targets.push({ target: label, wall, cpu, goal, met: wall >= goal && (cpu === null || cpu >= goal) });
  };
  for (const input of ['binarised', 'bit planes (8-bit)', 'real']) {
    ratio(`WebAssembly XNOR (${input}) / numpy f32, 784-4096-4096-10 batch 256`, find('784-4096-4096-10', 256, 'XNOR, WebAssembly', input), find('784-4096-4096-10', 256, 'numpy', 'real'), 2);
    ratio(`WebAssembly XNOR (${input}) / numpy f32, 784-500-500-10 batch 256`, find('784-500-500-10', 256, 'XNOR, WebAssembly', input), find('784-500-500-10', 256, 'numpy', 'real'), 1.2);
    ratio(`WebAssembly XNOR (${input}) / numpy f32, 784-4096-4096-10 batch 1`, find('784-4096-4096-10', 1, 'XNOR, WebAssembly', input), find('784-4096-4096-10', 1, 'numpy', 'real'), 10);
  }
  for (const net of ['784-500-500-10', '784-4096-4096-10']) {
    for (const batch of [1, 256]) {
      for (const input of ['binarised', 'bit planes (8-bit)', 'real']) {
        const ts = find(net, batch, 'XNOR, TypeScript', input);
        ratio(`TypeScript XNOR (${input}) / float64 forward (WebAssembly store), ${net} batch ${batch}`, ts, find(net, batch, 'float64 EBP-D forward (wasm', 'real'), 6);
        ratio(`TypeScript XNOR (${input}) / float64 forward (JS store), ${net} batch ${batch}`, ts, find(net, batch, 'float64 EBP-D forward (js', 'real'), 6);
      }
    }
  }
  const big = find('784-4096-4096-10', 256, 'XNOR, WebAssembly', 'binarised');
  if (big && clockGHz > 0) {
    const macs = macsOf([784, 4096, 4096, 10]);
    const wall = big.samplesPerS * macs / 64 / (clockGHz * 1e9);
    const cpu = big.cpuSamplesPerS ? big.cpuSamplesPerS * macs / 64 / (clockGHz * 1e9) : null;
    targets.push({ target: `64-bit popcounts per cycle at ${clockGHz.toFixed(3)} GHz (WebAssembly, binarised, 784-4096-4096-10 batch 256)`, wall, cpu, goal: 0.5, met: wall >= 0.5 && (cpu === null || cpu >= 0.5), perCycle: true });
  }
  return targets;
}

function main(): void {
  const m = machineInfo();
  const clockGHz = ((m.cpuMHz as number | undefined) ?? 0) / 1000;
  const cmd = `npm run bench:xnor${args.length ? ' -- ' + args.join(' ') : ''}`;
  const dir = join(ROOT, 'bench', 'results');
  const file = join(dir, QUICK ? 'xnor-quick.json' : 'xnor.json');
  // One results file; a partial run (--speed-only / --accuracy-only) replaces only its own section,
  // and every section records the command, machine and load it was measured with.
  let result: Record<string, unknown> = {};
  try {
    if (existsSync(file)) result = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    result = {};
  }
  delete result.command;
  delete result.machine;
  delete result.loadAverage;
  delete result.targets;
  const provenance = { command: cmd, machine: m, loadAverage: os.loadavg(), quick: QUICK };
  const lines: string[] = [];
  lines.push(`Machine: ${m.cpu} (${m.cores} cores, ${m.cpuMHz} MHz per /proc/cpuinfo), Node ${m.node}; load average at start ${os.loadavg().map((v) => v.toFixed(2)).join(' ')}.`);
  lines.push(`Command: \`${cmd}\``, '');
  if (!args.includes('--accuracy-only')) {
    const { test } = loadMnist10k();
    const { rows, anchorMissing } = speed(test.X);
    const speedSection: Record<string, unknown> = { ...provenance, rows };
    result.speed = speedSection;
    if (anchorMissing && !args.includes('--no-anchor')) {
      const msg = `numpy anchor skipped: ${ANCHOR} not found (it lives in the project's ../shared directory, which clones do not have).`;
      console.error(msg);
      lines.push(`_${msg}_`, '');
    }
    lines.push(
      '| net | batch | engine | input | samples/s (wall) | G-MAC/s (wall) | samples/s (CPU time) |',
      '|---|---:|---|---|---:|---:|---:|',
    );
    for (const r of rows) {
      lines.push(`| ${r.net} | ${r.batch} | ${r.engine} | ${r.input} | ${fmt(r.samplesPerS)} | ${fmt(r.gmacs)} | ${r.cpuSamplesPerS ? fmt(r.cpuSamplesPerS) : '–'} |`);
    }
    const targets = speedTargets(rows, clockGHz);
    speedSection.targets = targets;
    lines.push('', '| target | measured (wall) | measured (CPU time) | goal | met |', '|---|---:|---:|---:|---|');
    for (const t of targets) {
      const u = t.perCycle ? '' : '×';
      const c = t.cpu as number | null;
      lines.push(`| ${t.target} | ${(t.wall as number).toFixed(2)}${u} | ${c === null ? '–' : c.toFixed(2) + u} | ${t.goal}${u} | ${t.met ? 'yes' : 'no'} |`);
    }
  }
  if (!args.includes('--speed-only')) {
    const acc = accuracy();
    result.accuracy = { ...provenance, nets: acc };
    for (const a of acc) {
      lines.push('', `MNIST-10k test error, ${a.net}, binary weights, ${a.epochs} epochs, seed 1 (training ${a.trainSeconds.toFixed(0)} s):`, '', '| model | test error |', '|---|---:|');
      for (const [k, v] of Object.entries(a.errors)) lines.push(`| ${k} | ${(100 * v).toFixed(2)}% |`);
      lines.push('', '| file / storage | bytes |', '|---|---:|');
      for (const [k, v] of Object.entries(a.bytes)) lines.push(`| ${k} | ${v.toLocaleString('en-US')} |`);
    }
  }
  mkdirSync(dir, { recursive: true });
  writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
  console.log(lines.join('\n'));
  console.error(`wrote ${file}`);
}

main();
