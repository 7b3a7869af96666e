import { execFileSync, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { BC_TRAIN, BC_TEST, DIGITS_TRAIN, DIGITS_TEST, tempDir } from './helpers';

/** The built command (`npm test` builds first; a missing build is made here). */
const ROOT = path.join(__dirname, '..', '..');
const BIN = path.join(ROOT, 'dist', 'cli', 'main.js');

const T = tempDir('ebp-e2e-');
afterAll(() => T.cleanup());

beforeAll(() => {
  if (!fs.existsSync(BIN)) execFileSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(ROOT, 'tsconfig.build.json')]);
});

function ebp(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: T.dir, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('train, inspect, eval, predict with the built bin on a real CSV', () => {
  const train = ebp(['train', BC_TRAIN, '--test', BC_TEST, '--hidden', '32', '--epochs', '3', '--standardize', '--json', '--out', 'bc.ebpb']);
  expect(train.stderr).toBe('');
  expect(train.code).toBe(0);
  const lines = train.stdout.trim().split('\n').map((l) => JSON.parse(l));
  expect(lines).toHaveLength(4);
  expect(lines[3]).toMatchObject({ summary: true, epochs: 3 });
  expect(lines[3].testErrorP).toBeLessThan(0.1);

  const inspect = ebp(['inspect', 'bc.ebpb']);
  expect(inspect.code).toBe(0);
  expect(inspect.stdout).toContain('network 30-32-2, binary weights');

  const ev = ebp(['eval', 'bc.ebpb', BC_TEST, '--mode', 'probabilistic', '--json']);
  expect(ev.code).toBe(0);
  const e = JSON.parse(ev.stdout);
  expect(e.rows).toBe(142);
  expect(e.error).toBeCloseTo(lines[3].testErrorP, 12);

  const pr = ebp(['predict', 'bc.ebpb', BC_TEST, '--out', 'pred.csv', '--proba']);
  expect(pr.code).toBe(0);
  const pred = fs.readFileSync(path.join(T.dir, 'pred.csv'), 'utf8').trimEnd().split('\n');
  expect(pred[0]).toBe('prediction,p_0,p_1');
  expect(pred).toHaveLength(143);

  const bad = ebp(['eval', 'bc.ebpb', 'missing.csv']);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toBe('error: cannot read missing.csv: no such file.\n');
});

/** Wait until `cond()` holds (polling), or fail after `ms`. */
async function until(cond: () => boolean, ms: number): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

const DIGITS = ['train', DIGITS_TRAIN, '--test', DIGITS_TEST, '--hidden', '64', '--epochs', '6', '--seed', '5', '--quiet'];

test('SIGINT: the current minibatch finishes, a checkpoint is written, exit 130; kill -9: the last checkpoint resumes to identical bytes', async () => {
  const ref = ebp([...DIGITS, '--out', 'ref.ebpb']);
  expect(ref.code).toBe(0);
  const reference = fs.readFileSync(path.join(T.dir, 'ref.ebpb'));

  // Ctrl-C.
  const ckpt = path.join(T.dir, 'int.ebpb.ckpt');
  const child = spawn(process.execPath, [BIN, ...DIGITS, '--out', 'int.ebpb'], { cwd: T.dir });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
  await until(() => fs.existsSync(ckpt), 20000);
  child.kill('SIGINT');
  expect(await exited).toBe(130);
  expect(stderr).toMatch(/interrupted after epoch \d+( and \d+ minibatch(es)? of the next)?; checkpoint written to int\.ebpb\.ckpt\./);
  expect(fs.existsSync(path.join(T.dir, 'int.ebpb'))).toBe(false);
  const resumed = ebp([...DIGITS, '--out', 'int.ebpb', '--resume', 'int.ebpb.ckpt']);
  expect(resumed.code).toBe(0);
  expect(fs.readFileSync(path.join(T.dir, 'int.ebpb')).equals(reference)).toBe(true);

  // kill -9 right after the first checkpoint: nothing but the checkpoint survives.
  const ck9 = path.join(T.dir, 'k9.ebpb.ckpt');
  const c9 = spawn(process.execPath, [BIN, ...DIGITS, '--out', 'k9.ebpb'], { cwd: T.dir });
  const exit9 = new Promise<string | null>((res) => c9.on('exit', (_code, signal) => res(signal)));
  await until(() => fs.existsSync(ck9), 20000);
  c9.kill('SIGKILL');
  expect(await exit9).toBe('SIGKILL');
  expect(fs.existsSync(path.join(T.dir, 'k9.ebpb'))).toBe(false);
  const again = ebp([...DIGITS, '--out', 'k9.ebpb', '--resume', 'k9.ebpb.ckpt']);
  expect(again.code).toBe(0);
  expect(fs.readFileSync(path.join(T.dir, 'k9.ebpb')).equals(reference)).toBe(true);
  expect(fs.readdirSync(T.dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
});

test('--trainer ste: SIGINT finishes the minibatch, checkpoints the STE state and exits 130; --resume gives identical bytes', async () => {
  const STE = ['train', DIGITS_TRAIN, '--test', DIGITS_TEST, '--trainer', 'ste', '--hidden', '64', '--batch', '10', '--epochs', '120', '--seed', '5', '--quiet'];
  const ref = ebp([...STE, '--out', 'ste-ref.ebpb']);
  expect(ref.stderr).toBe('');
  expect(ref.code).toBe(0);
  const reference = fs.readFileSync(path.join(T.dir, 'ste-ref.ebpb'));
  const ckpt = path.join(T.dir, 'ste.ebpb.ckpt');
  const child = spawn(process.execPath, [BIN, ...STE, '--out', 'ste.ebpb'], { cwd: T.dir });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
  await until(() => fs.existsSync(ckpt), 20000);
  child.kill('SIGINT');
  expect(await exited).toBe(130);
  expect(stderr).toMatch(/interrupted after epoch \d+( and \d+ minibatch(es)? of the next)?; checkpoint written to ste\.ebpb\.ckpt\./);
  expect(fs.existsSync(path.join(T.dir, 'ste.ebpb'))).toBe(false);
  const resumed = ebp([...STE, '--out', 'ste.ebpb', '--resume', 'ste.ebpb.ckpt']);
  expect(resumed.code).toBe(0);
  expect(fs.readFileSync(path.join(T.dir, 'ste.ebpb')).equals(reference)).toBe(true);
});

test('the README main job still runs (ebp train --dataset mnist, built-in MNIST-10k), and Ctrl-C stops it with 130', async () => {
  const child = spawn(process.execPath, [BIN, 'train', '--dataset', 'mnist', '--hidden', '10', '--epochs', '50', '--json'], { cwd: T.dir });
  let stdout = '';
  child.stdout.on('data', (d) => (stdout += d));
  const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
  await until(() => stdout.includes('\n'), 60000);
  child.kill('SIGINT');
  expect(await exited).toBe(130);
  const lines = stdout.trim().split('\n').map((l) => JSON.parse(l));
  const epoch = lines[0];
  const summary = lines[lines.length - 1];
  expect(epoch).toMatchObject({ epoch: 1, epochs: 50 });
  for (const k of ['testErrorP', 'testErrorD', 'samplesPerSecond', 'meanNegLogZ']) expect(typeof epoch[k]).toBe('number');
  expect(epoch.testErrorP).toBeLessThan(0.3);
  expect(summary).toMatchObject({ summary: true, dataset: 'mnist', sizes: [784, 10, 10], weights: 'binary' });
  expect(summary.epochs).toBeLessThan(50);
});

test('a reader that goes away (`ebp predict ... | head`) stops predict without a crash', async () => {
  const lines = fs.readFileSync(BC_TEST, 'utf8').trimEnd().split('\n');
  fs.writeFileSync(path.join(T.dir, 'big.csv'), lines[0] + '\n' + (lines.slice(1).join('\n') + '\n').repeat(60));
  const child = spawn(process.execPath, [BIN, 'predict', 'bc.ebpb', 'big.csv'], { cwd: T.dir });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
  child.stdout.once('data', () => child.stdout.destroy());
  const code = await exited;
  expect(stderr).not.toMatch(/EPIPE|Unhandled|internal error/);
  expect([0, 130]).toContain(code);
});
