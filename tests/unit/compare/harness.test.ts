/** The comparison harness end to end on a tiny CSV pair, in process (seconds). */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { torchAvailable } from '../../../src/compare/anchor';
import {
  runComparison, writeComparison, updateDocsSection, datasetAvailable, SECTION_START, SECTION_END, type ComparisonProgress, type ComparisonResult,
} from '../../../src/compare';
import { createRng } from '../../../src/util/random';

let dir: string;
let result: ComparisonResult;
const events: ComparisonProgress[] = [];

function writeCsv(file: string, n: number, seed: number): void {
  const rng = createRng(seed);
  const lines = ['f0,f1,f2,f3,label'];
  for (let i = 0; i < n; i++) {
    const c = rng.int(3);
    const f = [0, 1, 2, 3].map((j) => (10 * (rng.normal() * 0.7 + (j === c ? 2 : 0)) + 50).toFixed(3));
    lines.push(`${f.join(',')},${c}`);
  }
  writeFileSync(file, lines.join('\n') + '\n');
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'ebp-bench-'));
  writeCsv(path.join(dir, 'blobs_train.csv'), 120, 1);
  writeCsv(path.join(dir, 'blobs_test.csv'), 60, 2);
  result = await runComparison(
    {
      dataset: { kind: 'csv', train: path.join(dir, 'blobs_train.csv'), test: path.join(dir, 'blobs_test.csv') },
      hidden: [8],
      epochs: 2,
      seeds: 2,
      lrs: [1e-2, 1e-1],
      members: 4,
      steBatch: 20,
      isolate: 'none',
      speed: false,
      command: 'jest harness',
    },
    (p) => events.push(p),
  );
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('every method and seed runs with the documented settings', () => {
  expect(result.interrupted).toBe(false);
  expect(result.failures).toEqual([]);
  expect(result.dataset).toMatchObject({ name: 'blobs', trainRows: 120, testRows: 60, features: 4, classes: 3 });
  expect(result.settings).toMatchObject({ sizes: [4, 8, 3], seeds: [0, 1], dataSeeds: [1000, 1001], ebpBatch: 10, steBatch: 20, members: 4, eceBins: 15, probabilityFloor: 1e-3, isolate: 'none' });
  expect(result.summary.map((r) => r.key)).toEqual(['ebp-p', 'ebp-d', 'ebp-ensemble', 'ste-bn-0.01', 'ste-bn-0.1', 'ste-nobn-0.01', 'ste-nobn-0.1']);
  expect(result.runs).toHaveLength(2 * 7);
  for (const r of result.summary) {
    expect(r.seeds).toEqual([0, 1]);
    expect(r.errorPerEpoch.mean).toHaveLength(2);
    for (const m of [r.testError, r.nll, r.brier, r.ece, r.secondsPerEpoch, r.peakRssMiB, r.modelBytes]) {
      expect(m.n).toBe(2);
      expect(Number.isFinite(m.mean)).toBe(true);
    }
    expect(r.testError.mean).toBeGreaterThanOrEqual(0);
    expect(r.testError.mean).toBeLessThanOrEqual(1);
    expect(r.reliability.bins).toHaveLength(15);
    expect(r.reliability.bins.reduce((a, b) => a + b.count, 0)).toBe(120); // 60 rows × 2 seeds
  }
  // Three well separated blobs: EBP learns them in two epochs (STE at lr 1e-2 barely moves in 12 steps).
  expect(result.summary[0].testError.mean).toBeLessThan(0.2);
  // The per-epoch errors end at the final error of the method (same evaluation of the same network).
  for (const run of result.runs) expect(run.testErrorPerEpoch[1]).toBeCloseTo(run.metrics.error, 12);
  // EBP's three methods share one training per seed.
  const ebp = result.runs.filter((r) => r.method !== 'ste' && r.seed === 0);
  expect(new Set(ebp.map((r) => r.secondsPerEpoch.join(','))).size).toBe(1);
  // Model bytes: posterior (float64) > ensemble of 4 > one packed network.
  const bytes = Object.fromEntries(result.summary.map((r) => [r.key, r.modelBytes.mean]));
  expect(bytes['ebp-p']).toBeGreaterThan(0);
  expect(bytes['ebp-ensemble']).toBeGreaterThan(bytes['ebp-d']);
  expect(result.summary.find((r) => r.key === 'ste-bn-0.1')?.alternatives[0].rule).toMatch(/softmax/);
});

test('progress: plan, then start / epochs / end of every job', () => {
  expect(events[0]).toMatchObject({ type: 'plan', dataset: 'blobs' });
  const plan = events[0] as Extract<ComparisonProgress, { type: 'plan' }>;
  expect(plan.jobs).toEqual(['EBP seed 0', 'STE BN lr 1e-2 seed 0', 'STE BN lr 1e-1 seed 0', 'STE no BN lr 1e-2 seed 0', 'STE no BN lr 1e-1 seed 0', 'EBP seed 1', 'STE BN lr 1e-2 seed 1', 'STE BN lr 1e-1 seed 1', 'STE no BN lr 1e-2 seed 1', 'STE no BN lr 1e-1 seed 1']);
  expect(events.filter((e) => e.type === 'job-start')).toHaveLength(10);
  expect(events.filter((e) => e.type === 'job-end')).toHaveLength(10);
  expect(events.filter((e) => e.type === 'epoch')).toHaveLength(20);
  const first = events.find((e) => e.type === 'epoch') as Extract<ComparisonProgress, { type: 'epoch' }>;
  expect(Object.keys(first.testErrors)).toEqual(['EBP-P', 'EBP-D', 'EBP ensemble 4']);
});

test('writes the JSON, three SVG plots and the docs section', () => {
  const docs = path.join(dir, 'docs', 'benchmarks.md');
  writeFileSync(path.join(dir, 'other.md'), '');
  const out = writeComparison(result, { resultsDir: path.join(dir, 'results'), docsFile: docs });
  expect(path.basename(out.json)).toBe('compare-blobs.json');
  const back = JSON.parse(readFileSync(out.json, 'utf8'));
  expect(back.summary).toHaveLength(7);
  expect(out.plots.map((p) => path.basename(p))).toEqual(['compare-blobs-error-per-epoch.svg', 'compare-blobs-lr-sweep.svg', 'compare-blobs-reliability.svg']);
  for (const p of out.plots) {
    const svg = readFileSync(p, 'utf8');
    expect(svg.startsWith('<?xml')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg).not.toMatch(/NaN|undefined|Infinity/);
    expect((svg.match(/<g[\s>]/g) ?? []).length).toBe((svg.match(/<\/g>/g) ?? []).length);
    expect(svg).toMatch(/<title>blobs: /);
  }
  expect(readFileSync(out.plots[0], 'utf8')).toMatch(/EBP-P[\s\S]*lr 1e-2/);
  const md = readFileSync(docs, 'utf8');
  expect(md.startsWith('# Benchmarks')).toBe(true);
  expect(md).toContain(SECTION_START);
  expect(md).toContain(SECTION_END);
  expect(md).toMatch(/\| \*\*EBP-P\*\* \| 10 \| \d+\.\d\d ± \d+\.\d\d \|/);
  expect(md).toContain('Command: `jest harness`');
  expect(md).toContain('](../results/plots/compare-blobs-lr-sweep.svg)');
});

test('the docs section is replaced in place; the rest of the file stays', () => {
  const f = path.join(dir, 'b.md');
  writeFileSync(f, '# Benchmarks\n\n## Other\n\nkeep me\n');
  updateDocsSection(f, 'first');
  updateDocsSection(f, 'second');
  const t = readFileSync(f, 'utf8');
  expect(t).toBe(`# Benchmarks\n\n## Other\n\nkeep me\n\n${SECTION_START}\nsecond\n${SECTION_END}\n`);
  writeFileSync(f, `# B\n\n${SECTION_START}\nold\n${SECTION_END}\n\n## After\n`);
  updateDocsSection(f, 'new');
  expect(readFileSync(f, 'utf8')).toBe(`# B\n\n${SECTION_START}\nnew\n${SECTION_END}\n\n## After\n`);
});

test('a missing Fashion-MNIST is reported with the package to install', async () => {
  const missing = path.join(dir, 'no-such-dir');
  expect(existsSync(missing)).toBe(false);
  const a = datasetAvailable({ kind: 'fashion-mnist', dir: missing });
  expect(a.ok).toBe(false);
  expect(a.reason).toMatch(/apt-get install dataset-fashion-mnist/);
  await expect(runComparison({ dataset: { kind: 'fashion-mnist', dir: missing }, isolate: 'none', speed: false })).rejects.toThrow(/dataset-fashion-mnist/);
});

test('an aborted comparison stops and says so', async () => {
  const ac = new AbortController();
  let epochs = 0;
  const r = await runComparison(
    { dataset: { kind: 'csv', train: path.join(dir, 'blobs_train.csv'), test: path.join(dir, 'blobs_test.csv') }, hidden: [8], epochs: 3, seeds: 1, lrs: [0.1], isolate: 'none', speed: false, signal: ac.signal },
    (p) => {
      if (p.type === 'epoch' && ++epochs === 2) ac.abort();
    },
  );
  expect(r.interrupted).toBe(true);
  expect(r.runs).toEqual([]);
  expect(epochs).toBe(2);
});

test('without the PyTorch reference the timing runs our side only and says why', async () => {
  const notes: string[] = [];
  const r = await runComparison(
    {
      dataset: { kind: 'csv', train: path.join(dir, 'blobs_train.csv'), test: path.join(dir, 'blobs_test.csv') },
      hidden: [8], epochs: 1, seeds: 1, lrs: [0.1], batchNorm: [true], isolate: 'none', speed: true, speedRounds: 1, speedRows: 300, anchorScript: path.join(dir, 'no-anchor.py'),
    },
    (p) => {
      if (p.type === 'note') notes.push(p.message);
    },
  );
  expect(notes.join('\n')).toMatch(/PyTorch speed comparison skipped: the PyTorch reference script was not found/);
  const sp = r.speed as Exclude<ComparisonResult['speed'], null | { skipped: string }>;
  expect(sp.oursSamplesPerSecond).toBeGreaterThan(0);
  expect(sp.pytorchSamplesPerSecond).toBeNull();
  expect(sp.timeRatio).toBeNull();
  expect(sp.skipped).toMatch(/not found/);
  expect(r.summary.map((x) => x.key)).toEqual(['ebp-p', 'ebp-d', 'ebp-ensemble', 'ste-bn-0.1']);
});

test('without a configured PyTorch reference the note names no developer-only script path', () => {
  const r = torchAvailable('/usr/bin/python3', path.join(tmpdir(), 'ebp-no-such-anchor', 'ste_anchor.py'), false);
  expect(r.ok).toBe(false);
  const reason = (r as { reason: string }).reason;
  expect(reason).toMatch(/optional PyTorch reference is not set up/);
  expect(reason).not.toMatch(/shared|ste_anchor|\.py/);
});
