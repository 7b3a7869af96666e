/**
 * Where an EBP step spends its time, and what a barrier between two threads costs (npm run bench:ebp-phases):
 * the measurements behind docs/threads.md's design for threaded training. For each net, batch 10 on the
 * first MNIST-10k images, the process CPU time of the forward pass (§3), the backward deltas (§4–§5) and
 * the update (§6, a whole step minus the two; `update` is private to src/ebp/update.ts), on the store's
 * default backend. Then two threads meet at an Atomics barrier 20,000 times (generation counter,
 * Atomics.wait/notify), wall and CPU time per barrier. Writes bench/results/ebp-phases.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import { join } from 'node:path';
import { Worker, isMainThread, workerData } from 'node:worker_threads';
import ndarray from 'ndarray';
import { PosteriorStore, type Matrix } from '../src';
import { loadStep } from '../src/ebp/batch';
import { forwardBatch } from '../src/ebp/forward';
import { backward, stepBatch } from '../src/ebp/update';
import { loadMnist10k } from '../src/node';
import { machineInfo } from '../src/compare/machine';

const ROOT = join(__dirname, '..', '..');
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e3;
};

function barrierLoop(a: Int32Array, n: number): void {
  for (let g = 0; g < n; g++) {
    const gen = Atomics.load(a, 1);
    if (Atomics.add(a, 0, 1) === 1) {
      Atomics.store(a, 0, 0);
      Atomics.add(a, 1, 1);
      Atomics.notify(a, 1);
    } else {
      while (Atomics.load(a, 1) === gen) Atomics.wait(a, 1, gen, 50);
    }
  }
}

function phases(): Record<string, unknown> {
  const train = loadMnist10k().train;
  const out: Record<string, unknown> = {};
  const steps = 300;
  for (const [net, weights] of [['784-500-500-10', 'binary'], ['784-200-10', 'binary'], ['784-200-10', 'gaussian']] as const) {
    const sizes = net.split('-').map(Number);
    const store = PosteriorStore.init(sizes, { seed: 1, weights });
    const batches: [Matrix, Matrix][] = [];
    for (let i = 0; i < steps; i++) {
      const X = ndarray(train.X.data.slice(i * 7840, (i + 1) * 7840), [10, 784]) as Matrix;
      const Y = new Float64Array(100).fill(-1);
      for (let n = 0; n < 10; n++) Y[n * 10 + train.labels[i * 10 + n]] = 1;
      batches.push([X, ndarray(Y, [10, 10]) as Matrix]);
    }
    const t = { forward: 0, backward: 0, step: 0 };
    for (let rep = 0; rep < 2; rep++) {
      for (const [X, Y] of batches) {
        const { ws } = loadStep(store, X, Y);
        const a = cpuMs();
        forwardBatch(store, ws, 10, true);
        const b = cpuMs();
        backward(store, ws, 10);
        const c = cpuMs();
        stepBatch(store, ws, 10);
        const d = cpuMs();
        if (rep === 1) {
          t.forward += b - a;
          t.backward += c - b;
          t.step += d - c;
        }
      }
    }
    const update = t.step - t.forward - t.backward;
    out[`${net} ${weights} (${store.backend})`] = {
      cpuMsPerStep: +(t.step / steps).toFixed(3),
      samplesPerCpuS: Math.round((10 * steps) / (t.step / 1000)),
      share: { forward: +(t.forward / t.step).toFixed(3), backward: +(t.backward / t.step).toFixed(3), update: +(update / t.step).toFixed(3) },
    };
    process.stderr.write(`  ${net} ${weights}: ${JSON.stringify(out[`${net} ${weights} (${store.backend})`])}\n`);
  }
  return out;
}

async function main(): Promise<void> {
  const machine = machineInfo();
  const result: Record<string, unknown> = { machine, phases: phases() };
  const sab = new SharedArrayBuffer(8);
  const N = 20000;
  const w = new Worker(__filename, { workerData: { sab, N } });
  const a = new Int32Array(sab);
  const t0 = performance.now();
  const c0 = cpuMs();
  barrierLoop(a, N);
  const wallUs = ((performance.now() - t0) / N) * 1000;
  const cpuUs = ((cpuMs() - c0) / N) * 1000;
  await w.terminate();
  result.barrier = { threads: 2, meetings: N, wallUsPerBarrier: +wallUs.toFixed(1), cpuUsPerBarrier: +cpuUs.toFixed(1) };
  result.loadAverageAfter = os.loadavg().map((x) => Math.round(x * 100) / 100);
  console.log(JSON.stringify(result, null, 2));
  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench', 'results', 'ebp-phases.json'), JSON.stringify(result, null, 2) + '\n');
}

if (isMainThread) {
  void main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
} else {
  const d = workerData as { sab: SharedArrayBuffer; N: number };
  barrierLoop(new Int32Array(d.sab), d.N);
}
