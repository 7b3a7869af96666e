// `ebp train --threads N`: the model file and the --json lines (timings aside) are the same for 1, 2 and 3
// threads; a bad count is a usage error; a threaded run killed with SIGKILL resumes on another thread count to
// the bytes of an uninterrupted one-thread run. The child process runs the compiled CLI (dist/; `npm test` builds).
import { spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { cli, BC_TRAIN, DIGITS_TRAIN, jsonLines, tempDir } from './helpers';
import { loadTrainedModel } from '../../src/node/model-file';

// Several training runs per test: on a loaded machine they take minutes of wall time (a guard, not a timing check).
jest.setTimeout(600_000);
const T = tempDir('ebp-threads-');
// A child still running when the test ends (a failure or a time-out) is killed, so jest can exit.
let running: ChildProcess | null = null;
afterAll(() => {
  if (running !== null && running.exitCode === null) running.kill('SIGKILL');
  T.cleanup();
});
const ROOT = path.join(__dirname, '..', '..');

const TIMINGS = new Set(['seconds', 'evalSeconds', 'samplesPerSecond', 'trainSeconds', 'out']); // and the output's name
const untimed = (s: string) => jsonLines(s).map((o) => Object.fromEntries(Object.entries(o).filter(([k]) => !TIMINGS.has(k))));

test('1, 2 and 3 threads: the same model bytes and --json metrics (binary, Gaussian, ternary)', async () => {
  for (const weights of ['binary', 'gaussian', 'ternary']) {
    const runs = [];
    for (const threads of ['1', '2', '3']) {
      const out = `bc-${weights}-${threads}.ebpb`;
      const r = await cli(['train', BC_TRAIN, '--hidden', '300,30', '--weights', weights, '--epochs', '2', '--split', '0.25', '--seed', '3', '--threads', threads, '--json', '--out', out], { cwd: T.dir });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      runs.push({ bytes: fs.readFileSync(path.join(T.dir, out)), json: untimed(r.stdout) });
    }
    expect(runs[0].json.length).toBe(3);
    for (const r of runs.slice(1)) {
      expect(r.bytes.equals(runs[0].bytes)).toBe(true);
      expect(r.json).toEqual(runs[0].json);
    }
  }
});

test.each(['0', '-1', '1.5', '257', 'two'])('--threads %s is a usage error (exit 1)', async (n) => {
  const r = await cli(['train', BC_TRAIN, '--threads', n, '--out', 'never.ebpb'], { cwd: T.dir });
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/--threads.*expected an integer from 1 to 256/);
  expect(fs.existsSync(path.join(T.dir, 'never.ebpb'))).toBe(false);
});

test('kill -9 during a 2-thread run, --resume on 3 threads: the bytes of an uninterrupted 1-thread run', async () => {
  const args = (threads: string, out: string) => ['train', DIGITS_TRAIN, '--hidden', '160', '--epochs', '12', '--split', '0.2', '--seed', '5', '--quiet', '--threads', threads, '--out', out];
  const ref = await cli(args('1', 'ref.ebpb'), { cwd: T.dir });
  expect(ref.code).toBe(0);
  const ckpt = path.join(T.dir, 'killed.ebpb.ckpt');
  const child = spawn(process.execPath, [path.join(ROOT, 'dist', 'cli', 'main.js'), ...args('2', 'killed.ebpb')], { cwd: T.dir, stdio: 'ignore' });
  running = child;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  // Kill as soon as a checkpoint of at least 1 epoch is on disk (written atomically, so complete when it exists).
  for (;;) {
    await new Promise((r) => setTimeout(r, 20));
    if (child.exitCode !== null) break;
    if (fs.existsSync(ckpt) && loadTrainedModel(ckpt).meta.state!.epochsDone >= 1) {
      child.kill('SIGKILL');
      break;
    }
  }
  const { signal } = await exited;
  expect(signal).toBe('SIGKILL');
  expect(fs.existsSync(path.join(T.dir, 'killed.ebpb'))).toBe(false);
  const done = loadTrainedModel(ckpt).meta.state!.epochsDone;
  expect(done).toBeGreaterThanOrEqual(1);
  expect(done).toBeLessThan(12);
  const resumed = await cli([...args('3', 'killed.ebpb'), '--resume', 'killed.ebpb.ckpt'], { cwd: T.dir });
  expect(resumed.code).toBe(0);
  expect(fs.readFileSync(path.join(T.dir, 'killed.ebpb')).equals(fs.readFileSync(path.join(T.dir, 'ref.ebpb')))).toBe(true);
});
