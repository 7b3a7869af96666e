// The Web Worker launcher of threaded EBP training (src/ebp/web-threads.ts), in Node: without a browser's
// globals it reports one thread and why; with stand-ins for them (a `Worker` that, as a browser's, starts only
// once the creating thread returns to its event loop, built on worker_threads) `fitAsync` waits for the team to
// start and trains with the one-thread bytes. The browser itself: tests/browser/demo.test.ts.
import * as path from 'path';
import { Worker as NodeWorker } from 'worker_threads';
import ndarray from 'ndarray';
import { ArgumentError } from '../../../src/errors';
import { makeDataset } from '../../../src/data/dataset';
import { EbpTrainer } from '../../../src/ebp/trainer';
import { setEbpWorkerLauncher } from '../../../src/ebp/team';
import { installWebWorkerThreads } from '../../../src/ebp/web-threads';
import { createRng } from '../../../src/util/random';
import { launchEbpWorkers } from '../../../src/node/ebp-threads';

const DIST = path.join(__dirname, '..', '..', '..', 'dist', 'index.js');

/** A browser-like Worker: created on a later macrotask (never while the creating thread blocks), messages queued until then. */
class LateWorker {
  static started = 0;
  private worker: NodeWorker | null = null;
  private queue: unknown[] = [];
  private ended = false;
  constructor(readonly url: string) {
    setTimeout(() => {
      if (this.ended) return;
      // The script a page would serve at `url`: the library's worker body, with the browser's onmessage.
      const code = `const { parentPort } = require('worker_threads');
globalThis.close = () => process.exit(0);
require(${JSON.stringify(DIST)}).serveEbpTeamWorker();
parentPort.on('message', (data) => globalThis.onmessage && globalThis.onmessage({ data }));`;
      this.worker = new NodeWorker(code, { eval: true });
      this.worker.unref();
      LateWorker.started++;
      for (const m of this.queue) this.worker.postMessage(m);
      this.queue = [];
    }, 0);
  }
  postMessage(m: unknown): void {
    if (this.worker) this.worker.postMessage(m);
    else this.queue.push(m);
  }
  terminate(): void {
    this.ended = true;
    void this.worker?.terminate();
  }
}

const g = globalThis as unknown as Record<string, unknown>;

afterEach(() => {
  delete g.Worker;
  delete g.crossOriginIsolated;
  setEbpWorkerLauncher(launchEbpWorkers);
});

test('in Node (no Web Workers, not cross-origin isolated) it reports one thread and why, and installs nothing', () => {
  setEbpWorkerLauncher(null);
  expect(installWebWorkerThreads('team-worker.js')).toEqual({ threads: 1, reason: 'this realm has no Web Workers' });
  g.Worker = LateWorker;
  expect(installWebWorkerThreads('team-worker.js').reason).toMatch(/not cross-origin isolated.*COOP: same-origin and COEP: require-corp/);
  expect(() => EbpTrainer.create({ inputs: 4, outputs: 2, threads: 2 })).toThrow(/worker threads are unavailable here/);
  expect(() => installWebWorkerThreads('')).toThrow(ArgumentError);
  expect(() => installWebWorkerThreads('w.js', { maxThreads: 0 })).toThrow(/maxThreads/);
});

test('with a browser-like Worker, fitAsync lets the team start before its first step and gives the one-thread bytes', async () => {
  g.Worker = LateWorker;
  g.crossOriginIsolated = true;
  const found = installWebWorkerThreads('team-worker.js', { maxThreads: 4 });
  expect(found.reason).toBeUndefined();
  expect(found.threads).toBeGreaterThanOrEqual(1);
  const rng = createRng(3);
  const n = 60;
  const K = 40;
  const X = Float64Array.from({ length: n * K }, () => rng.next());
  const labels = Int32Array.from({ length: n }, (_, i) => i % 3);
  const train = makeDataset({ X: ndarray(X, [n, K]), labels, numClasses: 3 });
  const run = async (threads: number) => {
    const t = EbpTrainer.create({ inputs: K, hidden: [300], outputs: 3, seed: 2, threads });
    const r = await t.fitAsync(train, { epochs: 2, batchSize: 10 });
    const out = { threads: t.threads, h: t.store.layers.map((L) => Buffer.from(L.h.slice().buffer).toString('base64')), negLogZ: r.epochs.map((e) => e.meanNegLogZ) };
    t.close();
    return out;
  };
  const one = await run(1);
  const two = await run(2);
  expect(LateWorker.started).toBe(1);
  expect(two.threads).toBe(2);
  expect(two.h).toEqual(one.h);
  expect(two.negLogZ).toEqual(one.negLogZ);
}, 120000);
