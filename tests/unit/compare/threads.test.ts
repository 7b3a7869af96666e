/** `ebp bench`'s harness with EBP on threads: the same errors and metrics as one thread, the count recorded. */
import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { runComparison, type ComparisonResult } from '../../../src/compare';
import { createRng } from '../../../src/util/random';

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'ebp-bench-threads-'));
  for (const [name, n, seed] of [['wide_train.csv', 150, 1], ['wide_test.csv', 60, 2]] as const) {
    const rng = createRng(seed);
    const lines = [[...Array.from({ length: 30 }, (_, j) => `f${j}`), 'label'].join(',')];
    for (let i = 0; i < n; i++) {
      const c = rng.int(3);
      lines.push([...Array.from({ length: 30 }, (_, j) => (rng.normal() + (j % 3 === c ? 1 : 0)).toFixed(4)), c].join(','));
    }
    writeFileSync(path.join(dir, name), lines.join('\n') + '\n');
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = (threads: number): Promise<ComparisonResult> =>
  runComparison({
    dataset: { kind: 'csv', train: path.join(dir, 'wide_train.csv'), test: path.join(dir, 'wide_test.csv') },
    // 30×400 weights in the first layer, batch 10: enough work per step for the team to split it.
    hidden: [400], epochs: 2, seeds: 1, lrs: [1e-1], batchNorm: [true], members: 4, steBatch: 30,
    isolate: 'none', speed: false, threads,
  });

test('EBP on 2 threads gives the 1-thread errors and metrics; the settings and runs record the threads', async () => {
  const one = await run(1);
  const two = await run(2);
  expect(one.settings.threads).toBe(1);
  expect(two.settings.threads).toBe(2);
  const ebp = (r: ComparisonResult) => r.runs.filter((m) => m.method.startsWith('ebp'));
  expect(ebp(two).map((m) => m.threads)).toEqual([2, 2, 2]);
  expect(ebp(one).map((m) => m.threads)).toEqual([1, 1, 1]);
  const scores = (r: ComparisonResult) => r.runs.map((m) => ({ key: m.key, err: m.testErrorPerEpoch, metrics: m.metrics, bytes: m.modelBytes }));
  expect(scores(two)).toEqual(scores(one));
}, 120000);

test('a thread count outside 1..256 is refused', async () => {
  await expect(run(0)).rejects.toThrow(/threads/);
});
