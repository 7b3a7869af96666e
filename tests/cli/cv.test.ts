import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { BC_TRAIN, cli, tempDir } from './helpers';

const ROOT = path.join(__dirname, '..', '..');
const BIN = path.join(ROOT, 'dist', 'cli', 'main.js');
const T = tempDir('ebp-cv-');
afterAll(() => T.cleanup());

const FLAGS = ['--folds', '3', '--hidden', '8', '--epochs', '2', '--standardize', '--seed', '4'];
/** The JSON lines with the timings taken out. */
const untimed = (stdout: string) => stdout.replace(/"seconds":[-0-9.e+]+/g, '"seconds":0');

test('ebp cv --json: one object per fold and epoch, then folds, mean and std on one line', async () => {
  const r = await cli(['cv', BC_TRAIN, ...FLAGS, '--json'], { cwd: T.dir });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  expect(lines).toHaveLength(7);
  expect(lines.slice(0, 6).map((o) => [o.fold, o.epoch])).toEqual([[1, 1], [1, 2], [2, 1], [2, 2], [3, 1], [3, 2]]);
  expect(lines[0]).toMatchObject({ trainer: 'ebp', trainRows: 285, testRows: 142 });
  const last = lines[6];
  expect(Object.keys(last)).toEqual(['folds', 'mean', 'std', 'epochs']);
  expect(last.folds.map((f: { fold: number }) => f.fold)).toEqual([1, 2, 3]);
  expect(last.mean.errorP).toBeCloseTo((lines[1].errorP + lines[3].errorP + lines[5].errorP) / 3, 12);
  expect(last.mean.errorP).toBeLessThan(0.1);
  for (const k of ['errorD', 'errorEnsemble', 'nll', 'ece']) expect(typeof last.std[k]).toBe('number');
});

test('ebp cv prints progress per fold and a mean ± std summary; STE and --shuffle apply', async () => {
  const r = await cli(['cv', BC_TRAIN, ...FLAGS, '--trainer', 'ste', '--shuffle'], { cwd: T.dir });
  expect(r.code).toBe(0);
  expect(r.stderr).toMatch(/3 folds, stratified \(seed 4\)/);
  expect(r.stderr).toMatch(/fold 3\/3 epoch 2\/2: STE \d/);
  expect(r.stdout).toMatch(/^3-fold cross-validation, after epoch 2, mean ± std over folds:\n {2}STE error: [\d.]+% ± [\d.]+%\n$/);
});

test('train flags that make no sense in cv are unknown options', async () => {
  const r = await cli(['cv', BC_TRAIN, '--folds', '3', '--out', 'x.ebpb'], { cwd: T.dir });
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/unknown option '--out'/);
  // --prior was accepted and silently ignored before; cross-validation trains every fold from scratch.
  const prior = await cli(['cv', BC_TRAIN, '--folds', '3', '--prior', 'x.ebpb'], { cwd: T.dir });
  expect(prior.code).toBe(1);
  expect(prior.stderr).toMatch(/unknown option '--prior'/);
  const one = await cli(['cv', BC_TRAIN, '--folds', '1'], { cwd: T.dir });
  expect(one.code).toBe(1);
  expect(one.stderr).toMatch(/`folds` must be at least 2/);
});

describe('with the built command', () => {
  beforeAll(() => {
    if (!fs.existsSync(BIN)) execFileSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(ROOT, 'tsconfig.build.json')]);
  });
  const ebp = (args: string[]) => spawnSync(process.execPath, [BIN, ...args], { cwd: T.dir, encoding: 'utf8' });

  test('--jobs 2 prints byte-identical JSON to --jobs 1 (timings aside)', () => {
    const one = ebp(['cv', BC_TRAIN, ...FLAGS, '--json', '--jobs', '1']);
    const two = ebp(['cv', BC_TRAIN, ...FLAGS, '--json', '--jobs', '2']);
    expect(one.status).toBe(0);
    expect(two.status).toBe(0);
    expect(two.stderr).toBe('');
    expect(untimed(two.stdout)).toBe(untimed(one.stdout));
    expect(one.stdout.trim().split('\n')).toHaveLength(7);
  }, 60000);
});
