// `ebp bench`: the EBP-vs-STE comparison of src/bench from the CLI, in process on a tiny CSV pair (seconds):
// results and plots in --out-dir, --json progress events, --docs, Ctrl-C (exit 130, nothing written), errors.
import * as fs from 'fs';
import * as path from 'path';
import { cli, jsonLines, tempDir } from './helpers';
import { createRng } from '../../src/util/random';

const T = tempDir('ebp-bench-cli-');
afterAll(() => T.cleanup());
const opts = { cwd: T.dir };

function writeCsv(name: string, n: number, seed: number): void {
  const rng = createRng(seed);
  const lines = ['f0,f1,f2,f3,label'];
  for (let i = 0; i < n; i++) {
    const c = rng.int(3);
    const f = [0, 1, 2, 3].map((j) => (10 * (rng.normal() * 0.7 + (j === c ? 2 : 0)) + 50).toFixed(3));
    lines.push(`${f.join(',')},${c}`);
  }
  T.file(name, lines.join('\n') + '\n');
}

beforeAll(() => {
  writeCsv('blobs_train.csv', 120, 1);
  writeCsv('blobs_test.csv', 60, 2);
});

const PAIR = ['--train', 'blobs_train.csv', '--test', 'blobs_test.csv', '--hidden', '8', '--members', '4', '--in-process', '--no-speed'];

test('--quick on a CSV pair: progress on stderr, the result JSON and three plots in --out-dir, a summary on stdout', async () => {
  const r = await cli(['bench', ...PAIR, '--quick', '--out-dir', 'res'], opts);
  expect(r.code).toBe(0);
  expect(r.stderr).toMatch(/^blobs: 5 jobs\n\[1\/5\] EBP seed 0\n {2}epoch 1\/2 /);
  const json = path.join(T.dir, 'res', 'compare-blobs-quick.json');
  expect(fs.existsSync(json)).toBe(true);
  const res = JSON.parse(fs.readFileSync(json, 'utf8'));
  expect(res).toMatchObject({ benchmark: 'compare', interrupted: false, failures: [], command: expect.stringContaining('ebp bench --train blobs_train.csv') });
  expect(res.settings).toMatchObject({ quick: true, epochs: 2, seeds: [0], lrs: [1e-3, 1e-1], batchNorm: [true, false], members: 4, sizes: [4, 8, 3], isolate: 'none' });
  expect(res.speed).toBeNull();
  for (const p of ['error-per-epoch', 'lr-sweep', 'reliability']) {
    expect(fs.readFileSync(path.join(T.dir, 'res', 'plots', `compare-blobs-quick-${p}.svg`), 'utf8')).toContain('<svg');
  }
  expect(r.stdout.split('\n')[0]).toBe(`blobs: ${json}`);
  expect(r.stdout).toMatch(/^ {2}EBP-P +error \d+\.\d\d ± \d+\.\d\d% {2}NLL \d\.\d{3} {2}ECE \d+\.\d\d% {2}\d+\.\d\d s\/epoch$/m);
  expect(r.stdout.match(/ error /g)).toHaveLength(7); // EBP-P, EBP-D, ensemble, STE × 2 lrs × BN on/off
});

test('--json: one object per progress event, then the result with the file names and the summary', async () => {
  const r = await cli(['bench', ...PAIR, '--quick', '--bn', 'on', '--lrs', '0.1', '--seeds', '1', '--epochs', '1', '--out-dir', 'res-json', '--json'], opts);
  expect(r.code).toBe(0);
  expect(r.stderr).toBe('');
  const lines = jsonLines(r.stdout);
  expect(lines[0]).toEqual({ type: 'plan', dataset: 'blobs', jobs: ['EBP seed 0', 'STE BN lr 1e-1 seed 0'] });
  const types = new Set(lines.map((l) => l.type));
  expect([...types]).toEqual(['plan', 'job-start', 'epoch', 'job-end', 'result']);
  const epochs = lines.filter((l) => l.type === 'epoch');
  expect(epochs).toHaveLength(2);
  expect(epochs[0]).toMatchObject({ index: 0, total: 2, epoch: 1, epochs: 1 });
  const last = lines[lines.length - 1];
  expect(last).toMatchObject({ type: 'result', dataset: 'blobs', json: path.join(T.dir, 'res-json', 'compare-blobs-quick.json'), docs: null, failures: [] });
  expect((last.summary as { key: string }[]).map((s) => s.key)).toEqual(['ebp-p', 'ebp-d', 'ebp-ensemble', 'ste-bn-0.1']);
});

test('--docs regenerates the comparison section of a full run (quick runs leave it alone)', async () => {
  const docs = T.file('bench.md', '# Benchmarks\n\nintro\n\n<!-- compare:start -->\nold\n<!-- compare:end -->\n\nafter\n');
  const q = await cli(['bench', ...PAIR, '--quick', '--bn', 'on', '--lrs', '0.1', '--out-dir', 'res-docs', '--docs', 'bench.md'], opts);
  expect(q.code).toBe(0);
  expect(fs.readFileSync(docs, 'utf8')).toContain('\nold\n');
  const r = await cli(['bench', ...PAIR, '--seeds', '1', '--epochs', '1', '--bn', 'off', '--lrs', '0.1', '--out-dir', 'res-docs', '--docs', 'bench.md', '--quiet'], opts);
  expect(r.code).toBe(0);
  expect(r.stderr).toBe('');
  expect(r.stdout).toContain(`  ${docs} (section compare)`);
  const text = fs.readFileSync(docs, 'utf8');
  expect(text).not.toContain('\nold\n');
  expect(text).toMatch(/^# Benchmarks\n\nintro\n\n<!-- compare:start -->\n[\s\S]+<!-- compare:end -->\n\nafter\n$/);
  expect(fs.existsSync(path.join(T.dir, 'res-docs', 'compare-blobs.json'))).toBe(true);
  // --report-only rewrites from the stored result without training.
  const again = await cli(['bench', ...PAIR, '--out-dir', 'res-docs', '--report-only', '--json'], opts);
  expect(again.code).toBe(0);
  expect(jsonLines(again.stdout)[0]).toMatchObject({ type: 'result', dataset: 'blobs', docs: null });
});

test('Ctrl-C aborts the comparison through its AbortSignal: exit 130, nothing written', async () => {
  let calls = 0;
  const r = await cli(['bench', ...PAIR, '--quick', '--out-dir', 'res-int'], { cwd: T.dir, interrupted: () => ++calls > 3 });
  expect(r.code).toBe(130);
  expect(r.stderr).toContain('interrupted: the running jobs were stopped; nothing was written.');
  expect(fs.existsSync(path.join(T.dir, 'res-int'))).toBe(false);
});

test('errors: --train without --test, bad lists, a missing CSV, --report-only without a result', async () => {
  const a = await cli(['bench', '--train', 'blobs_train.csv'], opts);
  expect(a.code).toBe(1);
  expect(a.stderr).toBe('error: --train and --test go together (a CSV pair instead of --dataset).\n');
  const b = await cli(['bench', '--lrs', '0.1,x'], opts);
  expect(b.code).toBe(1);
  expect(b.stderr).toContain("expected comma-separated positive numbers like 1e-3,1e-1, got '0.1,x'.");
  const c = await cli(['bench', '--seeds', '0,a'], opts);
  expect(c.code).toBe(1);
  expect(c.stderr).toContain("expected a positive count of seeds or a list like 0,1,2, got '0,a'.");
  const d = await cli(['bench', '--train', 'nope.csv', '--test', 'blobs_test.csv', '--in-process', '--no-speed', '--quick'], opts);
  expect(d.code).toBe(2);
  expect(d.stderr).toMatch(/^error: .*nope\.csv/);
  const e = await cli(['bench', ...PAIR, '--quick', '--out-dir', 'nothing-here', '--report-only'], opts);
  expect(e.code).toBe(2);
  expect(e.stderr).toContain('--report-only: cannot read');
  expect(e.stderr).toContain('no such file (run the comparison first)');
});
