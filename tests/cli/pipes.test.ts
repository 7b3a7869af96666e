import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Readable } from 'stream';
import * as zlib from 'zlib';
import { cli, BC_TEST, BC_TRAIN, tempDir } from './helpers';
import { loadTrainedModel } from '../../src/node/model-file';

/**
 * Issue 12 item 7: `predict M -` reads stdin, and `/dev/stdin`, FIFOs and `<(…)` work for predict, eval and
 * train (they gave `ESPIPE: invalid seek`: the delimiter sample was read at offset 0, then the file reopened).
 */
const ROOT = path.join(__dirname, '..', '..');
const BIN = path.join(ROOT, 'dist', 'cli', 'main.js');
const T = tempDir('ebp-pipes-');
afterAll(() => T.cleanup());

const TEST_TEXT = fs.readFileSync(BC_TEST);
/** A stream of bytes in small chunks, as a pipe delivers them. */
const stdinOf = (b: Buffer) => Readable.from((function* () {
  for (let i = 0; i < b.length; i += 4000) yield b.subarray(i, i + 4000);
})());

let expected = '';
beforeAll(async () => {
  if (!fs.existsSync(BIN)) execFileSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(ROOT, 'tsconfig.build.json')]);
  const r = await cli(['train', BC_TRAIN, '--test', BC_TEST, '--hidden', '8', '--epochs', '1', '--quiet', '--out', 'm.ebpb'], { cwd: T.dir });
  expect(r.code).toBe(0);
  const p = await cli(['predict', 'm.ebpb', BC_TEST, '--proba', '--quiet'], { cwd: T.dir });
  expect(p.code).toBe(0);
  expected = p.stdout;
  expect(expected.split('\n')).toHaveLength(TEST_TEXT.toString().trim().split('\n').length + 1);
});

describe('- reads standard input', () => {
  test('predict M -: the same predictions as from the file', async () => {
    const r = await cli(['predict', 'm.ebpb', '-', '--proba', '--quiet'], { cwd: T.dir, stdin: stdinOf(TEST_TEXT) });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(expected);
  });

  test('gzipped stdin, and a file longer than the delimiter sample (64 KiB)', async () => {
    const lines = TEST_TEXT.toString().trim().split('\n');
    const big = [lines[0], ...Array.from({ length: 8 }, () => lines.slice(1)).flat()].join('\n') + '\n';
    expect(big.length).toBeGreaterThan(65536);
    const r = await cli(['predict', 'm.ebpb', '-', '--quiet'], { cwd: T.dir, stdin: stdinOf(zlib.gzipSync(big)) });
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(8 * (lines.length - 1) + 1);
  });

  test('eval M -: names the input stdin', async () => {
    const f = await cli(['eval', 'm.ebpb', BC_TEST, '--json'], { cwd: T.dir });
    const r = await cli(['eval', 'm.ebpb', '-', '--json'], { cwd: T.dir, stdin: stdinOf(TEST_TEXT) });
    expect(r.code).toBe(0);
    const a = JSON.parse(f.stdout);
    const b = JSON.parse(r.stdout);
    expect({ ...b, file: a.file, seconds: 0 }).toEqual({ ...a, seconds: 0 });
    const text = await cli(['eval', 'm.ebpb', '-'], { cwd: T.dir, stdin: stdinOf(TEST_TEXT) });
    expect(text.stdout).toMatch(/^stdin: 142 rows/);
  });

  test('train - trains on what a file gives (the same model bytes)', async () => {
    const args = ['--test', BC_TEST, '--hidden', '8', '--epochs', '2', '--quiet'];
    const a = await cli(['train', BC_TRAIN, ...args, '--out', 'fromfile.ebpb'], { cwd: T.dir });
    const b = await cli(['train', '-', ...args, '--out', 'fromstdin.ebpb'], { cwd: T.dir, stdin: stdinOf(fs.readFileSync(BC_TRAIN)) });
    expect([a.code, b.code]).toEqual([0, 0]);
    const ma = loadTrainedModel(path.join(T.dir, 'fromfile.ebpb'));
    const mb = loadTrainedModel(path.join(T.dir, 'fromstdin.ebpb'));
    expect(mb.store!.toJSON()).toEqual(ma.store!.toJSON());
    expect(mb.meta.training!.config.trainFile).toBe('stdin');
  });

  test('a data error on stdin names it stdin with the line', async () => {
    const bad = Buffer.from(TEST_TEXT.toString().replace(/\n[^,\n]+,/, '\nabc,'));
    const r = await cli(['predict', 'm.ebpb', '-'], { cwd: T.dir, stdin: stdinOf(bad) });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error: stdin, line 2, column 1: column "mean_radius" holds "abc"');
  });

  test('stdin for two inputs is refused (exit 1), an empty stdin is a data error', async () => {
    const r = await cli(['train', '-', '--test', '-', '--quiet'], { cwd: T.dir, stdin: stdinOf(TEST_TEXT) });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('the training file and --test are both - (standard input), which can be read only once');
    const e = await cli(['predict', 'm.ebpb', '-'], { cwd: T.dir, stdin: stdinOf(Buffer.alloc(0)) });
    expect(e.code).toBe(2);
    expect(e.stderr).toContain('stdin, line 1: the file is empty');
  });
});

describe('paths that cannot seek (the built bin)', () => {
  const ebp = (args: string[], input?: Buffer) => spawnSync(process.execPath, [BIN, ...args], { cwd: T.dir, input, encoding: 'utf8' });

  test('a pipe into -: predict and eval', () => {
    const p = ebp(['predict', 'm.ebpb', '-', '--proba', '--quiet'], TEST_TEXT);
    expect(p.stderr).toBe('');
    expect(p.stdout).toBe(expected);
    const e = ebp(['eval', 'm.ebpb', '-', '--json'], TEST_TEXT);
    expect(e.status).toBe(0);
    expect(JSON.parse(e.stdout).rows).toBe(142);
  });

  // A shell pipe (Node's own child stdin is a socket, which /dev/stdin cannot open: ENXIO, said plainly).
  const sh = (cmd: string) =>
    spawnSync('bash', ['-c', cmd], { cwd: T.dir, encoding: 'utf8', env: { ...process.env, NODE: process.execPath, BIN, TEST: BC_TEST, TRAIN: BC_TRAIN } });

  test('/dev/stdin of a shell pipe: predict, eval and train', () => {
    const p = sh('cat "$TEST" | "$NODE" "$BIN" predict m.ebpb /dev/stdin --proba --quiet');
    expect(p.stderr).toBe('');
    expect(p.stdout).toBe(expected);
    const e = sh('cat "$TEST" | "$NODE" "$BIN" eval m.ebpb /dev/stdin --json');
    expect(e.status).toBe(0);
    expect(JSON.parse(e.stdout).rows).toBe(142);
    const t = sh('cat "$TRAIN" | "$NODE" "$BIN" train /dev/stdin --hidden 4 --epochs 1 --quiet --out pipe.ebpb');
    expect(t.stdout).toContain('model written to pipe.ebpb');
    expect(t.status).toBe(0);
    const sock = ebp(['predict', 'm.ebpb', '/dev/stdin'], TEST_TEXT);
    if (sock.status !== 0) expect(sock.stderr).toContain('cannot be opened by name (to read standard input, give -)');
  });

  test('a FIFO and a shell process substitution', () => {
    const fifo = path.join(T.dir, 'fifo');
    const mk = spawnSync('mkfifo', [fifo]);
    if (mk.status !== 0) {
      console.warn('mkfifo not available: FIFO case skipped');
      return;
    }
    // The shell writes the FIFO while ebp reads it; `<(…)` is a /dev/fd path of a pipe.
    const f = sh('cat "$TEST" > fifo & "$NODE" "$BIN" predict m.ebpb fifo --proba --quiet');
    expect(f.stderr).toBe('');
    expect(f.stdout).toBe(expected);
    const s = sh('"$NODE" "$BIN" train <(cat "$TRAIN") --test <(cat "$TEST") --hidden 4 --epochs 1 --json --out sub.ebpb');
    expect(s.status).toBe(0);
    expect(JSON.parse(s.stdout.trim().split('\n').pop()!)).toMatchObject({ summary: true });
  });
});
