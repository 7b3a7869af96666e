// docs/scaling.md's local shell example runs as written (a 2-shard, 1-round version of it: K and ROUNDS
// replaced) on the digits fixture, with the built `ebp` (dist/cli/main.js, built by `npm test`'s pretest) on
// the PATH, and its merged model evaluates.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.join(__dirname, '..', '..');
const DOC = fs.readFileSync(path.join(ROOT, 'docs', 'scaling.md'), 'utf8');

/** The first ```sh block after the "## Locally" heading. */
function localScript(): string {
  const at = DOC.indexOf('## Locally');
  const m = /```sh\n([\s\S]*?)```/.exec(DOC.slice(at));
  if (at < 0 || !m) throw new Error('docs/scaling.md has no "## Locally" section with a ```sh block');
  return m[1];
}

test('the local 4-shard example of docs/scaling.md is a complete POSIX sh script that uses K and ROUNDS', () => {
  const s = localScript();
  expect(s).toMatch(/^#!\/bin\/sh\n/);
  expect(s).toContain('K=4; ROUNDS=5');
  expect(s).toMatch(/ebp merge .*--combine average/);
});

test('the local example runs: 2 shards, 1 round, as separate processes; it writes the shards, the merged round and evaluates it', () => {
  const main = path.join(ROOT, 'dist', 'cli', 'main.js');
  expect(fs.existsSync(main)).toBe(true);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ebp-scaling-'));
  try {
    const bin = path.join(dir, 'bin');
    fs.mkdirSync(bin);
    fs.writeFileSync(path.join(bin, 'ebp'), `#!/bin/sh\nexec "${process.execPath}" "${main}" "$@"\n`, { mode: 0o755 });
    fs.copyFileSync(path.join(ROOT, 'tests', 'fixtures', 'digits', 'digits_train.csv'), path.join(dir, 'train.csv'));
    fs.copyFileSync(path.join(ROOT, 'tests', 'fixtures', 'digits', 'digits_test.csv'), path.join(dir, 'test.csv'));
    fs.writeFileSync(path.join(dir, 'shards.sh'), localScript().replace('K=4; ROUNDS=5', 'K=2; ROUNDS=1'));
    const out = execFileSync('sh', ['shards.sh'], { cwd: dir, env: { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH}` }, encoding: 'utf8' });
    for (const f of ['shard_0.csv', 'shard_1.csv', 'round_0.ebpb', 'r0_s0.ebpb', 'r0_s1.ebpb', 'round_1.ebpb']) expect(fs.existsSync(path.join(dir, f))).toBe(true);
    expect(fs.existsSync(path.join(dir, 'shard_2.csv'))).toBe(false);
    // The shards dealt every data row once: 1352 rows and a header each.
    const rows = ['shard_0.csv', 'shard_1.csv'].map((f) => fs.readFileSync(path.join(dir, f), 'utf8').trim().split('\n').length - 1);
    expect(rows[0] + rows[1]).toBe(fs.readFileSync(path.join(dir, 'train.csv'), 'utf8').trim().split('\n').length - 1);
    // The line the script prints from `ebp eval`: the merged model's error, a real classifier (< 50%).
    const m = /(\d+(?:\.\d+)?)%/.exec(out);
    expect(m).not.toBeNull();
    expect(Number(m![1])).toBeLessThan(50);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
