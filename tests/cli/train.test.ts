import * as fs from 'fs';
import * as path from 'path';
import { cli, BC_TRAIN, BC_TEST, CSV, DIGITS_TRAIN, DIGITS_TEST, tempDir, jsonLines, strayFiles } from './helpers';
import { loadModel } from '../../src/cli/model-io';

const T = tempDir('ebp-train-');
afterAll(() => T.cleanup());
const opts = { cwd: T.dir };

describe('ebp train data.csv', () => {
  test('--test: progress lines on stderr, the result on stdout, a model file, no checkpoint left', async () => {
    const r = await cli(['train', BC_TRAIN, '--test', BC_TEST, '--hidden', '16', '--epochs', '3', '--standardize', '--out', 'bc.ebpb'], opts);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('breast_cancer_train.csv: 427 training rows, 142 validation rows, 30 columns -> 30 inputs, 2 classes');
    expect(r.stderr).toContain('network 30-16-2, binary weights, batch 10, 3 epochs, seed 1');
    expect(r.stderr.match(/^epoch [123]\/3 .*test P .*samples\/s/gm)).toHaveLength(3);
    expect(r.stdout).toMatch(/^model written to bc\.ebpb \(\d+ bytes\); validation error: EBP-P \d+\.\d\d%, EBP-D \d+\.\d\d%\n$/);
    expect(strayFiles(T.dir)).toEqual(['bc.ebpb']);
    const m = loadModel(path.join(T.dir, 'bc.ebpb'));
    expect(m.sizes).toEqual([30, 16, 2]);
    expect(m.meta.training!.result.validationErrorP).toBeLessThan(0.1);
    expect(m.meta.preprocess.scaling).toEqual({ kind: 'standardize' });
  });

  test('--json: one object per epoch with the required fields, then a summary', async () => {
    const r = await cli(['train', BC_TRAIN, '--split', '0.2', '--hidden', '8', '--epochs', '2', '--json', '--out', 'j.ebpb'], opts);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const lines = jsonLines(r.stdout);
    expect(lines).toHaveLength(3);
    for (const [i, l] of lines.slice(0, 2).entries()) {
      expect(l).toMatchObject({ epoch: i + 1, epochs: 2 });
      for (const k of ['testErrorP', 'testErrorD', 'samplesPerSecond', 'meanNegLogZ']) expect(typeof l[k]).toBe('number');
    }
    expect(lines[2]).toMatchObject({ summary: true, out: 'j.ebpb', epochs: 2, rows: 342, validationRows: 85, classes: ['0', '1'], sizes: [30, 8, 2] });
  });

  test('--quiet prints only the result', async () => {
    const r = await cli(['train', BC_TRAIN, '--hidden', '4', '--epochs', '1', '--quiet', '--out', 'q.ebpb'], opts);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^model written to q\.ebpb \(\d+ bytes\)\n$/);
  });

  test('the same seed gives the same model bytes; another seed does not', async () => {
    const args = ['train', BC_TRAIN, '--hidden', '8', '--epochs', '2', '--quiet'];
    await cli([...args, '--out', 's1.ebpb'], opts);
    await cli([...args, '--out', 's2.ebpb'], opts);
    await cli([...args, '--out', 's3.ebpb', '--seed', '2'], opts);
    const b = (f: string) => fs.readFileSync(path.join(T.dir, f));
    expect(b('s1.ebpb').equals(b('s2.ebpb'))).toBe(true);
    expect(b('s1.ebpb').equals(b('s3.ebpb'))).toBe(false);
  });

  test('an existing model is overwritten only with --force', async () => {
    const r = await cli(['train', BC_TRAIN, '--hidden', '4', '--epochs', '1', '--quiet', '--out', 'q.ebpb'], opts);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('error: output file q.ebpb already exists; pass --force to overwrite it, or choose another name.\n');
    const before = fs.readFileSync(path.join(T.dir, 'q.ebpb'));
    const r2 = await cli(['train', BC_TRAIN, '--hidden', '4', '--epochs', '1', '--quiet', '--out', 'q.ebpb', '--force', '--seed', '9'], opts);
    expect(r2.code).toBe(0);
    expect(fs.readFileSync(path.join(T.dir, 'q.ebpb')).equals(before)).toBe(false);
  });

  test('real-world CSV: ";" + BOM + CRLF + quoted names, text labels first, a categorical column', async () => {
    const r = await cli(
      ['train', path.join(CSV, 'wdbc_semicolon.csv'), '--test', path.join(CSV, 'wdbc_test.csv'), '--label', 'diagnosis', '--categorical', 'size class', '--standardize', '--hidden', '16', '--epochs', '5', '--json', '--out', 'w.ebpb'],
      opts,
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const summary = jsonLines(r.stdout).pop()!;
    expect(summary.classes).toEqual(['benign', 'malignant']);
    expect(summary.sizes).toEqual([9, 16, 2]);
    expect(summary.testErrorP as number).toBeLessThan(0.2);
    const m = loadModel(path.join(T.dir, 'w.ebpb'));
    const cat = m.meta.preprocess.columns.find((c) => c.name === 'size class')!;
    expect(cat).toEqual({ name: 'size class', kind: 'categorical', categories: ['large', 'medium', 'small'] });
  });

  test('label by index (0-based; negative from the end)', async () => {
    const a = await cli(['train', path.join(CSV, 'wdbc_semicolon.csv'), '--label', '0', '--categorical', 'size class', '--epochs', '1', '--hidden', '4', '--json', '--out', 'i0.ebpb'], opts);
    expect(a.code).toBe(0);
    expect(loadModel(path.join(T.dir, 'i0.ebpb')).meta.preprocess.label).toEqual({ name: 'diagnosis', classes: ['benign', 'malignant'] });
    const b = await cli(['train', BC_TRAIN, '--label', '-1', '--epochs', '1', '--hidden', '4', '--quiet', '--out', 'i1.ebpb'], opts);
    expect(b.code).toBe(0);
    expect(loadModel(path.join(T.dir, 'i1.ebpb')).meta.preprocess.label.name).toBe('label');
  });

  test('missing values: --impute median fills them from the training rows and stores the fill values', async () => {
    const file = path.join(CSV, 'wdbc_missing.csv');
    const bad = await cli(['train', file, '--epochs', '1', '--out', 'mi.ebpb'], opts);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe(
      `error: ${file}, line 5, column 1: column "mean_radius" has a missing value (an empty cell), expected a number. Pass --impute mean or --impute median to fill missing values from the training data.\n`,
    );
    const r = await cli(['train', file, '--impute', 'median', '--standardize', '--epochs', '2', '--hidden', '8', '--quiet', '--out', 'mi.ebpb'], opts);
    expect(r.code).toBe(0);
    const cols = loadModel(path.join(T.dir, 'mi.ebpb')).meta.preprocess.columns;
    for (const c of cols) expect(c.kind === 'numeric' && Number.isFinite(c.fill) && Number.isFinite(c.std)).toBe(true);
  });

  test('--weights gaussian and ternary', async () => {
    for (const w of ['binary', 'gaussian', 'ternary']) {
      const r = await cli(['train', BC_TRAIN, '--split', '0.25', '--weights', w, '--hidden', '8', '--epochs', '2', '--standardize', '--json', '--out', `${w}.ebpb`], opts);
      expect(r.code).toBe(0);
      const s = jsonLines(r.stdout).pop()!;
      expect(s.weights).toBe(w);
      expect(s.testErrorP as number).toBeLessThan(0.1);
    }
    expect(loadModel(path.join(T.dir, 'gaussian.ebpb')).weights).toBe('gaussian');
    expect(loadModel(path.join(T.dir, 'ternary.ebpb')).weights).toMatchObject({ levels: [-1, 0, 1] });
  });

  test('--binarize T (digits: grey levels 0..16 at 8)', async () => {
    const both = await cli(['train', DIGITS_TRAIN, '--binarize', '8', '--standardize', '--out', 'd.ebpb'], opts);
    expect(both.code).toBe(1);
    expect(both.stderr).toContain("error: option '--standardize' cannot be used with option '--binarize <threshold>'");
    const r = await cli(['train', DIGITS_TRAIN, '--test', DIGITS_TEST, '--binarize', '8', '--hidden', '32', '--epochs', '2', '--json', '--out', 'd.ebpb'], opts);
    expect(r.code).toBe(0);
    expect(jsonLines(r.stdout).pop()!.testErrorP as number).toBeLessThan(0.3);
    expect(loadModel(path.join(T.dir, 'd.ebpb')).meta.preprocess.scaling).toEqual({ kind: 'binarize', threshold: 8 });
  });

  test('--checkpoint-every 2 writes the checkpoint every second epoch', async () => {
    const ck = path.join(T.dir, 'ce.ebpb.ckpt');
    const seen: number[] = [];
    let calls = 0;
    const r = await cli(['train', BC_TRAIN, '--hidden', '4', '--epochs', '4', '--checkpoint-every', '2', '--quiet', '--out', 'ce.ebpb'], {
      cwd: T.dir,
      interrupted: () => {
        if (calls++ % 43 === 0 && fs.existsSync(ck)) seen.push(loadModel(ck).meta.state!.epochsDone);
        return false;
      },
    });
    expect(r.code).toBe(0);
    expect([...new Set(seen)]).toEqual([2]);
  });
});

describe('help', () => {
  test('ebp --help lists the commands with examples and exit codes', async () => {
    const r = await cli(['--help'], opts);
    expect(r.code).toBe(0);
    for (const s of ['train [options] [train.csv]', 'eval [options] <model.ebpb> <test.csv>', 'predict [options] <model.ebpb> <input.csv>', 'inspect [options] <model.ebpb>', 'Examples:', 'Exit codes:', '130']) {
      expect(r.stdout).toContain(s);
    }
  });

  test.each(['train', 'eval', 'predict', 'inspect'])('ebp %s --help has examples', async (c) => {
    const r = await cli([c, '--help'], opts);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Usage: ebp ${c}`);
    expect(r.stdout).toContain('Examples:');
  });

  test('ebp --version', async () => {
    const r = await cli(['--version'], opts);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('0.1.0\n');
  });
});
