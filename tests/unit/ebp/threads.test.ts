// Threaded EBP training (src/ebp/team.ts, src/ebp/parallel.ts, src/node/ebp-threads.ts): 1, 2 and 3 threads
// give the same posterior bytes and the same reports (binary, Gaussian, ternary weights; sparse and dense
// inputs), the golden vectors still match on a team, thread counts are validated, and the workers never keep a
// process alive (normal exit, an uncaught error, a failing worker). The workers run the compiled build
// (dist/node/ebp-worker.js; `npm test` builds first).
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import ndarray from 'ndarray';
import binaryGolden from '../../fixtures/golden/golden_binary.json';
import gaussianGolden from '../../fixtures/golden/golden_gaussian.json';
import { ArgumentError } from '../../../src/errors';
import { makeDataset, type Dataset } from '../../../src/data/dataset';
import { EbpTrainer, type EpochReport } from '../../../src/ebp/trainer';
import { PosteriorStore } from '../../../src/ebp/posterior';
import { ternary, type WeightKind } from '../../../src/ebp/weights';
import { createRng } from '../../../src/util/random';
import '../../../src/node/ebp-threads';
import { LOCAL_LAYER_WEIGHTS, MIN_TEAM_WORK, teamRunner } from '../../../src/ebp/runner';
import { EbpTeam } from '../../../src/ebp/team';
import { expectGolden } from '../../helpers/golden';

const ROOT = path.join(__dirname, '..', '..', '..');

beforeAll(() => {
  if (!fs.existsSync(path.join(ROOT, 'dist', 'node', 'ebp-worker.js'))) {
    execFileSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(ROOT, 'tsconfig.build.json')]);
  }
});

/** n rows of K features (about a fifth non-zero when sparse, as MNIST pixels), labels of C classes. */
function data(n: number, K: number, C: number, sparse: boolean, seed: number): Dataset {
  const rng = createRng(seed);
  const X = new Float64Array(n * K);
  const labels = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    labels[r] = Math.floor(rng.next() * C);
    for (let j = 0; j < K; j++) {
      const on = !sparse || rng.next() < 0.2;
      X[r * K + j] = on ? rng.next() + (j % C === labels[r] ? 0.5 : 0) : 0;
    }
  }
  return makeDataset({ X: ndarray(X, [n, K]), labels, numClasses: C });
}

/** Every array of the posterior, as bytes. */
function storeBytes(store: PosteriorStore): Buffer {
  const parts: Buffer[] = [];
  for (const L of store.layers) for (const a of [L.h, L.b, L.mean, L.variance, L.map]) parts.push(Buffer.from(a.slice().buffer));
  return Buffer.concat(parts);
}

/** A report without its timings. */
function untimed(r: EpochReport): Partial<EpochReport> {
  const { seconds: _s, evalSeconds: _e, samplesPerSecond: _p, ...rest } = r;
  return rest;
}

const KINDS: [string, WeightKind][] = [
  ['binary', 'binary'],
  ['gaussian', 'gaussian'],
  ['ternary', ternary(0.5)],
];

describe.each(KINDS)('%s weights: 1, 2 and 3 threads give the same bytes', (_name, weights) => {
  test.each([
    ['sparse', true],
    ['dense', false],
  ])('%s inputs, two hidden layers, fit and fitAsync', async (_kind, sparse) => {
    const train = data(130, 41, 5, sparse as boolean, 7);
    const val = data(70, 41, 5, sparse as boolean, 8);
    const run = async (threads: number, asyncFit: boolean) => {
      const t = EbpTrainer.create({ inputs: 41, hidden: [210, 45], outputs: 5, weights, seed: 4, threads });
      const opts = { epochs: 2, batchSize: 7, validation: val };
      const r = asyncFit ? await t.fitAsync(train, opts) : t.fit(train, opts);
      const out = { threads: t.threads, shared: t.store.shared, bytes: storeBytes(t.store), reports: r.epochs.map(untimed), eval: t.evaluate(val) };
      t.close();
      return out;
    };
    const one = await run(1, false);
    expect(one.threads).toBe(1);
    expect(one.shared).toBe(false);
    for (const [threads, asyncFit] of [[2, false], [3, false], [2, true]] as const) {
      const r = await run(threads, asyncFit);
      expect(r.threads).toBe(threads);
      expect(r.shared).toBe(true);
      expect(r.bytes.equals(one.bytes)).toBe(true);
      expect(r.reports).toEqual(one.reports);
      expect(r.eval).toEqual(one.eval);
    }
  });
});

test('a trainer from a prior or a given store trains a shared copy with the one-thread bytes; stopping and resuming mid-epoch across thread counts too', () => {
  const train = data(90, 30, 3, true, 11);
  const base = PosteriorStore.init([30, 300, 3], { seed: 2 });
  const full = EbpTrainer.fromPrior(base, 5);
  full.fit(train, { epochs: 2, batchSize: 12 });
  // Stop after 7 minibatches on 3 threads, then continue on 2 threads from the stopped epoch.
  const a = EbpTrainer.fromPrior(base, 5, undefined, { threads: 3 });
  expect(a.store).not.toBe(base);
  let batches = 0;
  const stopped = a.fit(train, { epochs: 2, batchSize: 12, shouldStop: () => batches++ >= 7 });
  expect(stopped.interrupted).toBe(true);
  expect(a.threads).toBe(3);
  const b = new EbpTrainer(a.store, 0, { threads: 2 });
  expect(b.store).toBe(a.store); // already shared: trained in place
  b.setRngState(stopped.epochStartRng);
  b.fit(train, { epochs: 2, batchSize: 12, startBatch: stopped.batchesDone });
  expect(b.threads).toBe(2);
  expect(storeBytes(b.store).equals(storeBytes(full.store))).toBe(true);
  a.close();
  b.close();
});

test.each([
  ['binary', binaryGolden],
  ['gaussian', gaussianGolden],
] as const)('golden vectors (%s): two online steps on 2 threads match to 1e-12', (_name, gold) => {
  const g = gold as unknown as { weight_type: 'binary' | 'gaussian'; initial: { h: number[][][]; b: number[][] }; X: number[][]; Y: number[][]; step2: { after: { h: number[][][]; b: number[][] } } };
  const labels = Int32Array.from(g.Y.slice(0, 2).map((y) => y.indexOf(1)));
  expect(g.Y.slice(0, 2).every((y) => y.filter((v) => v === 1).length === 1)).toBe(true);
  expect(labels.length).toBe(2);
  // The golden net is far below MIN_TEAM_WORK (a trainer would run it on one thread): drive a team directly.
  const store = PosteriorStore.fromParameters({ weights: g.weight_type, h: g.initial.h, b: g.initial.b }).sharedClone()!;
  const ws = store.heapWorkspace!;
  const team = EbpTeam.start(store, ws, 2);
  const runner = teamRunner(store, ws, team);
  for (let n = 0; n < 2; n++) {
    ws.x.set(g.X[n]);
    ws.y.set(g.Y[n]);
    runner.step(ws, 1);
  }
  expect(runner.threads).toBe(2);
  g.step2.after.h.forEach((h, l) => expectGolden(store.layers[l].h, h, `step2.after.h[${l}]`));
  g.step2.after.b.forEach((b, l) => expectGolden(store.layers[l].b, b, `step2.after.b[${l}]`));
  team.close();
});

test('the test nets have layers the team splits and layers it runs on the calling thread', () => {
  expect(41 * 210).toBeGreaterThan(LOCAL_LAYER_WEIGHTS);
  expect(210 * 45).toBeGreaterThan(LOCAL_LAYER_WEIGHTS);
  expect(45 * 5).toBeLessThanOrEqual(LOCAL_LAYER_WEIGHTS);
  expect((41 * 210 + 210 * 45) * 7).toBeGreaterThanOrEqual(MIN_TEAM_WORK);
});

test('a fit with too little work per minibatch to split runs on the calling thread, with the same bytes', () => {
  const train = data(60, 41, 5, true, 9);
  const run = (threads: number, batchSize: number) => {
    const t = EbpTrainer.create({ inputs: 41, hidden: [210], outputs: 5, seed: 2, threads });
    t.fit(train, { epochs: 1, batchSize });
    const out = { threads: t.threads, bytes: storeBytes(t.store) };
    t.close();
    return out;
  };
  expect(41 * 210 * 2).toBeLessThan(MIN_TEAM_WORK);
  const small = run(2, 2);
  expect(small.threads).toBe(1);
  expect(small.bytes.equals(run(1, 2).bytes)).toBe(true);
  const large = run(2, 20);
  expect(large.threads).toBe(2);
  expect(large.bytes.equals(run(1, 20).bytes)).toBe(true);
});

test.each([0, -1, 1.5, 257, NaN, '2'])('threads %p is an ArgumentError naming `threads`', (threads) => {
  expect(() => EbpTrainer.create({ inputs: 3, outputs: 2, threads: threads as number })).toThrow(ArgumentError);
  expect(() => EbpTrainer.create({ inputs: 3, outputs: 2, threads: threads as number })).toThrow(/`threads` must be an integer from 1 to 256/);
  expect(() => new EbpTrainer(PosteriorStore.init([3, 2]), 0, { threads: threads as number })).toThrow(ArgumentError);
});

test('JS-backend stores and discrete levels the kernels do not refresh train on one thread, with their one-thread bytes', () => {
  const train = data(40, 12, 2, false, 3);
  for (const [backend, weights] of [['js', 'binary'], ['auto', { levels: [-1, -0.5, 0.5, 1] }]] as const) {
    const one = EbpTrainer.create({ inputs: 12, hidden: [9], outputs: 2, weights, backend, seed: 1 });
    one.fit(train, { epochs: 1, batchSize: 4 });
    const two = EbpTrainer.create({ inputs: 12, hidden: [9], outputs: 2, weights, backend, seed: 1, threads: 2 });
    two.fit(train, { epochs: 1, batchSize: 4 });
    expect(two.threads).toBe(1);
    expect(storeBytes(two.store).equals(storeBytes(one.store))).toBe(true);
    two.close();
  }
});

describe('workers never keep a process alive', () => {
  // Child processes on the compiled build: they must exit by themselves (spawnSync's timeout only guards a hang).
  const prelude = `
    const { EbpTrainer, makeDataset } = require(${JSON.stringify(path.join(ROOT, 'dist', 'index.js'))});
    require(${JSON.stringify(path.join(ROOT, 'dist', 'node', 'index.js'))});
    const ndarray = require(${JSON.stringify(path.join(ROOT, 'node_modules', 'ndarray'))});
    const X = ndarray(Float64Array.from({ length: 200 * 20 }, (_, i) => ((i * 7919) % 13) / 13), [200, 20]);
    const data = makeDataset({ X, labels: Int32Array.from({ length: 200 }, (_, i) => i % 3), numClasses: 3 });
    const t = EbpTrainer.create({ inputs: 20, hidden: [600], outputs: 3, seed: 1, threads: 3 });
    t.fit(data, { epochs: 1, batchSize: 10 });
    if (t.threads !== 3) throw new Error('expected 3 threads, got ' + t.threads);
  `;
  const child = (body: string) => spawnSync(process.execPath, ['-e', prelude + body], { encoding: 'utf8', timeout: 120_000 });

  test('normal exit without close()', () => {
    const r = child(`console.log('trained');`);
    expect(r.error).toBeUndefined();
    expect(r.signal).toBeNull();
    expect(r.stdout).toContain('trained');
    expect(r.status).toBe(0);
  });

  test('an uncaught error while the workers are up', () => {
    const r = child(`throw new Error('boom after training');`);
    expect(r.error).toBeUndefined();
    expect(r.signal).toBeNull();
    expect(r.stderr).toContain('boom after training');
    expect(r.status).toBe(1);
  });

  test('a failing worker: the calling thread throws a typed report of it and the process exits', () => {
    const r = child(`
      const { EbpTeam } = require(${JSON.stringify(path.join(ROOT, 'dist', 'ebp', 'team.js'))});
      const team = EbpTeam.start(t.store, t.store.heapWorkspace, 2);
      try { team.run(77, 1, 1, 0); } catch (e) { console.log('caught: ' + e.message); }
    `);
    expect(r.error).toBeUndefined();
    expect(r.signal).toBeNull();
    expect(r.stdout).toMatch(/caught: EBP training thread 1: .*unknown phase 77/);
    expect(r.status).toBe(0);
  });
});
