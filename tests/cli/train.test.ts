import * as fs from 'fs';
import * as path from 'path';
import { cli, BC_TRAIN, BC_TEST, CSV, DIGITS_TRAIN, DIGITS_TEST, tempDir, jsonLines, strayFiles } from './helpers';
import { loadTrainedModel as loadModel } from '../../src/node/model-file';

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

  test('--test is read as eval reads it: columns matched by name, extra columns ignored', async () => {
    const lines = fs.readFileSync(BC_TEST, 'utf8').trimEnd().split('\n');
    // Same rows, the label moved to the front and a text column added; same base name, so the model bytes can be compared.
    const moved = lines.map((l, i) => {
      const c = l.split(',');
      return [c.pop(), i === 0 ? 'extra' : 'note', ...c].join(',');
    });
    fs.mkdirSync(path.join(T.dir, 'moved'));
    T.file(path.join('moved', 'breast_cancer_test.csv'), moved.join('\n') + '\n');
    const base = ['train', BC_TRAIN, '--hidden', '8', '--epochs', '2', '--standardize', '--quiet'];
    const a = await cli([...base, '--test', BC_TEST, '--out', 'ta.ebpb'], opts);
    const b = await cli([...base, '--test', path.join('moved', 'breast_cancer_test.csv'), '--out', 'tb.ebpb'], opts);
    expect(b.stderr).toBe('');
    expect(b.code).toBe(0);
    expect(a.code).toBe(0);
    expect(fs.readFileSync(path.join(T.dir, 'tb.ebpb')).equals(fs.readFileSync(path.join(T.dir, 'ta.ebpb')))).toBe(true);
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

  test('a note when EBP-D is far worse than EBP-P (±1 inputs), none when it is not (--no-determinise: EBP-D is the deterministic network)', async () => {
    const bin = await cli(['train', DIGITS_TRAIN, '--test', DIGITS_TEST, '--binarize', '8', '--hidden', '64', '--epochs', '3', '--out', 'note.ebpb', '--no-determinise'], opts);
    expect(bin.code).toBe(0);
    const m = /validation error: EBP-P ([\d.]+)%, EBP-D ([\d.]+)%/.exec(bin.stdout)!;
    expect(Number(m[2]) - Number(m[1])).toBeGreaterThan(5);
    expect(bin.stderr).toContain(`note: EBP-D (${m[2]}%) is ${(Number(m[2]) - Number(m[1])).toFixed(1)} points worse than EBP-P (${m[1]}%) here; eval and predict default to the mode that validated best (`);
    expect(loadModel(path.join(T.dir, 'note.ebpb')).meta.training!.result.bestMode).not.toBe('deterministic');
    const std = await cli(['train', DIGITS_TRAIN, '--test', DIGITS_TEST, '--standardize', '--hidden', '64', '--epochs', '3', '--out', 'nonote.ebpb'], opts);
    expect(std.code).toBe(0);
    expect(std.stderr).not.toContain('note:');
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

/** 200 rows of one feature x with label sign(x) (pos/neg): EBP with 2 hidden units and batch 10 runs away on it. */
function oneFeature(): string {
  const rows = ['x,label'];
  for (let i = 0; i < 200; i++) {
    const x = Math.round(3000 * Math.sin(i * 12.9898 + 1)) / 1000 || 0.5;
    rows.push(`${x},${x > 0 ? 'pos' : 'neg'}`);
  }
  return rows.join('\n') + '\n';
}

describe('divergence', () => {
  const ONE = ['--split', '0.2', '--hidden', '2', '--epochs', '30', '--standardize'];

  test('an epoch with an infinite mean -log Z stops training: exit 4, no model, the last finite checkpoint kept', async () => {
    T.file('one_feat.csv', oneFeature());
    const r = await cli(['train', 'one_feat.csv', ...ONE, '--out', 'div.ebpb'], opts);
    expect(r.code).toBe(4);
    const m = /error: training diverged in epoch (\d+): its mean -log Z is Infinity, expected a finite number \(the posterior gives some training labels probability 0\); no model was written \(the checkpoint div\.ebpb\.ckpt of epoch (\d+) is kept\)\. .*; try --batch 1 or more hidden units \(e\.g\. --hidden 64\)\.\n$/.exec(r.stderr);
    expect(m).not.toBeNull();
    expect(Number(m![2])).toBe(Number(m![1]) - 1);
    // Finite runaway epochs before it keep the warning, with the advice that helps here (not "fewer hidden units").
    expect(r.stderr).toContain('warning: training is diverging (mean -log Z');
    expect(r.stderr).not.toContain('fewer hidden units');
    // Large values are printed with 3 significant digits, not as 3448916495269937.5000 or 2.17674338316617e+23.
    expect(r.stderr).toMatch(/^epoch +\d+\/30  -logZ \d\.\d\de\+\d+  train/m);
    expect(r.stderr).not.toMatch(/-logZ (\d{6}|\d\.\d{4,}e)/);
    expect(fs.existsSync(path.join(T.dir, 'div.ebpb'))).toBe(false);
    expect(loadModel(path.join(T.dir, 'div.ebpb.ckpt')).meta.state!.epochsDone).toBe(Number(m![2]));
    const j = await cli(['train', 'one_feat.csv', ...ONE, '--out', 'divj.ebpb', '--json'], opts);
    expect(j.code).toBe(4);
    const lines = jsonLines(j.stdout);
    expect(lines[lines.length - 2]).toMatchObject({ meanNegLogZ: null, diverged: true });
    expect(lines[lines.length - 1].error).toMatchObject({ code: 'ebp.nonFinite', exitCode: 4 });
  });

  test('counts of one are singular: "1 column -> 1 input", "1 epoch"', async () => {
    const r = await cli(['train', 'one_feat.csv', '--hidden', '64', '--epochs', '1', '--out', 'one1.ebpb'], opts);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('one_feat.csv: 200 training rows, 1 column -> 1 input, 2 classes');
    expect(r.stderr).toContain('network 1-64-2, binary weights, batch 10, 1 epoch, seed 1\n');
  });

  test('what the hint says helps: --batch 1 or more hidden units train the same data', async () => {
    for (const extra of [['--batch', '1'], ['--hidden', '64']]) {
      const r = await cli(['train', 'one_feat.csv', ...ONE, ...extra, '--out', `ok${extra[1]}.ebpb`, '--json'], opts);
      expect(r.code).toBe(0);
      const lines = jsonLines(r.stdout);
      expect(lines.some((l) => l.diverged)).toBe(false);
      expect(lines.pop()!.testErrorD as number).toBeLessThan(0.3);
    }
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
