// Threaded packed inference (src/node/xnor-threads.ts): any thread count gives the bytes of the one-thread
// scores, errors come back typed with the row the calling thread would report, and idle workers never keep
// the process alive. The workers run the compiled build (dist/node/xnor-worker.js; `npm test` builds first).
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { XnorEnsemble, XnorNetwork, type XnorLayerSpec } from '../../../src/xnor/network';
import type { InputEncoding } from '../../../src/xnor/input';
import { ArgumentError, NumericError } from '../../../src/errors';
import { XnorThreadPool, defaultThreads, resolveThreads, threadedPredict, threadedScores } from '../../../src/node/xnor-threads';
import { createRng, randomLayers, randomRows, randomTernaryLayers, type RefLayer } from '../xnor/reference';

const ROOT = path.join(__dirname, '..', '..', '..');

beforeAll(() => {
  if (!fs.existsSync(path.join(ROOT, 'dist', 'node', 'xnor-worker.js'))) {
    execFileSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(ROOT, 'tsconfig.build.json')]);
  }
});

function specs(layers: RefLayer[], type?: 'ternaryDense'): XnorLayerSpec[] {
  return layers.map((L) => ({ type, weights: L.w.flat(), inputs: L.w[0].length, outputs: L.w.length, bias: L.b, threshold: L.threshold, flip: L.flip }));
}

function bytes(a: Float64Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

describe('threaded packed inference', () => {
  const pool = XnorThreadPool.create({ threads: 3 });
  afterAll(() => pool.close());
  const rng = createRng(21);
  const sizes = [100, 70, 40, 10];
  const X = Float64Array.from(randomRows(rng, 301, sizes[0], 'unit').flat());
  const inputs: InputEncoding[] = [{ type: 'real' }, { type: 'bitplanes' }, { type: 'binarize', threshold: 0.5 }];

  test.each(inputs)('1, 2 and 3 threads give the one-thread score bytes (%j)', async (input) => {
    for (const backend of ['wasm', 'js'] as const) {
      const net = XnorNetwork.fromLayers(specs(randomLayers(rng, sizes, { thresholds: true })), { input, backend });
      const want = bytes(net.scores(X).data);
      for (const threads of [1, 2, 3]) {
        expect(bytes((await pool.scores(net, X, { threads })).data).equals(want)).toBe(true);
      }
      expect(Array.from(await pool.predict(net, X))).toEqual(Array.from(net.predict(X)));
    }
  });

  test('rows already in a SharedArrayBuffer (at an offset) are read in place, with the same bytes', async () => {
    const net = XnorNetwork.fromLayers(specs(randomLayers(rng, sizes)));
    const shared = new Float64Array(new SharedArrayBuffer((X.length + 3 * sizes[0]) * 8));
    shared.set(X, 3 * sizes[0]);
    const view = shared.subarray(3 * sizes[0]);
    expect(bytes((await pool.scores(net, view, { threads: 3 })).data).equals(bytes(net.scores(X).data))).toBe(true);
  });

  test('ensembles of binary and ternary members, scores and vote shares', async () => {
    const bin = XnorNetwork.fromLayers(specs(randomLayers(rng, sizes)));
    const tern = XnorNetwork.fromLayers(specs(randomTernaryLayers(rng, sizes), 'ternaryDense'));
    const ens = new XnorEnsemble([bin, tern, bin]);
    const want = bytes(ens.scores(X).data);
    for (const threads of [1, 2, 3]) expect(bytes((await pool.scores(ens, X, { threads })).data).equals(want)).toBe(true);
    expect(bytes((await pool.probabilities(ens, X)).data).equals(bytes(ens.probabilities(X).data))).toBe(true);
  });

  test('the shared-pool helpers accept nested rows and small batches (run on the calling thread)', async () => {
    const net = XnorNetwork.fromLayers(specs(randomLayers(rng, [5, 4, 3])));
    const rows = randomRows(rng, 3, 5, 'gauss');
    expect(bytes((await threadedScores(net, rows, { threads: 2 })).data).equals(bytes(net.scores(rows).data))).toBe(true);
    expect(Array.from(await threadedPredict(net, rows))).toEqual(Array.from(net.predict(rows)));
  });

  test('a non-finite input is a NumericError naming the row of the whole batch', async () => {
    const net = XnorNetwork.fromLayers(specs(randomLayers(rng, sizes)));
    const bad = X.slice();
    bad[250 * sizes[0] + 7] = NaN;
    bad[290 * sizes[0] + 3] = Infinity;
    let single: unknown;
    try {
      net.scores(bad);
    } catch (e) {
      single = e;
    }
    expect(single).toBeInstanceOf(NumericError);
    await expect(pool.scores(net, bad)).rejects.toThrow(NumericError);
    await expect(pool.scores(net, bad)).rejects.toThrow((single as Error).message);
    expect((single as Error).message).toContain('row 250, column 7');
    // The pool still works after a failed batch.
    expect(bytes((await pool.scores(net, X)).data).equals(bytes(net.scores(X).data))).toBe(true);
  });

  test('thread counts: typed errors for 0, negative, non-integer and more than 256; default capped at 8', () => {
    for (const bad of [0, -1, 1.5, 257, NaN, '2']) expect(() => resolveThreads(bad)).toThrow(ArgumentError);
    expect(() => XnorThreadPool.create({ threads: 0 })).toThrow('`threads` must be');
    expect(resolveThreads(256)).toBe(256);
    expect(defaultThreads()).toBeGreaterThanOrEqual(1);
    expect(defaultThreads()).toBeLessThanOrEqual(8);
  });
});

/** Node code that starts a threaded batch of `rows` rows (workers busy) in a child process. */
function childScript(rows: number, then: string): string {
  return `
    const { XnorNetwork } = require(${JSON.stringify(path.join(ROOT, 'dist', 'xnor', 'network.js'))});
    const { threadedScores } = require(${JSON.stringify(path.join(ROOT, 'dist', 'node', 'xnor-threads.js'))});
    const net = XnorNetwork.fromLayers([{ weights: new Array(784 * 512).fill(1), inputs: 784, outputs: 512 },
                                        { weights: new Array(512 * 10).fill(-1), inputs: 512, outputs: 10 }]);
    const X = new Float64Array(784 * ${rows}).fill(0.5);
    ${then}
  `;
}

test('an uncaught error and Ctrl-C (SIGINT) during a threaded batch end the process and its workers', async () => {
  const crash = childScript(4000, "threadedScores(net, X, { threads: 2 }); setTimeout(() => { throw new Error('boom'); }, 50);");
  let status: number | null = 0;
  try {
    execFileSync(process.execPath, ['-e', crash], { encoding: 'utf8', timeout: 30000, stdio: 'pipe' });
  } catch (e) {
    status = (e as { status: number | null }).status;
    expect((e as { signal?: string }).signal ?? null).toBeNull(); // not killed by the timeout
  }
  expect(status).toBe(1);
  const { spawn } = await import('child_process');
  const loop = childScript(2000, "const go = () => threadedScores(net, X, { threads: 2 }).then(go); go(); console.log('running');");
  const child = spawn(process.execPath, ['-e', loop], { stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  await new Promise((r) => setTimeout(r, 300));
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
  child.kill('SIGINT');
  const timer = setTimeout(() => child.kill('SIGKILL'), 20000);
  expect(await exited).toBe('SIGINT');
  clearTimeout(timer);
});

test('idle workers do not keep the process alive, and a closed pool refuses work', async () => {
  const script = `
    const { XnorNetwork } = require(${JSON.stringify(path.join(ROOT, 'dist', 'xnor', 'network.js'))});
    const { threadedScores } = require(${JSON.stringify(path.join(ROOT, 'dist', 'node', 'xnor-threads.js'))});
    const net = XnorNetwork.fromLayers([{ weights: new Array(20 * 8).fill(1), inputs: 20, outputs: 8 }]);
    threadedScores(net, new Float64Array(20 * 200).fill(0.5), { threads: 2 }).then((s) => console.log('rows', s.shape[0]));
  `;
  const out = execFileSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 30000 });
  expect(out.trim()).toBe('rows 200');
  const pool = XnorThreadPool.create({ threads: 2 });
  await pool.close();
  const net = XnorNetwork.fromLayers([{ weights: new Array(20 * 8).fill(1), inputs: 20, outputs: 8 }]);
  await expect(pool.scores(net, new Float64Array(20 * 200))).rejects.toThrow(ArgumentError);
});
