import * as fs from 'fs';
import * as path from 'path';
import { cli, BC_TRAIN, BC_TEST, CSV, tempDir, strayFiles } from './helpers';
import { parseCsvText } from '../../src/data/csv';

const T = tempDir('ebp-evalpredict-');
afterAll(() => T.cleanup());
const opts = { cwd: T.dir };

beforeAll(async () => {
  const a = await cli(['train', BC_TRAIN, '--hidden', '16', '--epochs', '3', '--standardize', '--quiet', '--out', 'bc.ebpb'], opts);
  expect(a.code).toBe(0);
  const b = await cli(
    ['train', path.join(CSV, 'wdbc_semicolon.csv'), '--label', 'diagnosis', '--categorical', 'size class', '--standardize', '--hidden', '16', '--epochs', '4', '--quiet', '--out', 'w.ebpb'],
    opts,
  );
  expect(b.code).toBe(0);
});

describe('ebp eval', () => {
  test('deterministic (default): error and confusion matrix, no probability metrics', async () => {
    const r = await cli(['eval', 'bc.ebpb', BC_TEST], opts);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/: 142 rows, mode deterministic\nerror \d+\.\d\d% \(\d+ of 142\), accuracy \d+\.\d\d%\n/);
    expect(r.stdout).toContain('NLL, Brier and ECE need probabilities');
    expect(r.stdout).toMatch(/true \\ predicted +0 +1\n0 +\d+ +\d+\n1 +\d+ +\d+\n/);
  });

  test('--json for every mode: the confusion matrix adds up, probabilities give NLL / Brier / ECE', async () => {
    const results: Record<string, Record<string, unknown>> = {};
    for (const mode of ['deterministic', 'probabilistic', 'ensemble']) {
      const r = await cli(['eval', 'bc.ebpb', BC_TEST, '--mode', mode, '--json'], opts);
      expect(r.code).toBe(0);
      const j = JSON.parse(r.stdout);
      results[mode] = j;
      expect(j).toMatchObject({ mode, rows: 142, classes: ['0', '1'] });
      const conf = j.confusion as number[][];
      expect(conf.flat().reduce((a, x) => a + x, 0)).toBe(142);
      expect(j.errors).toBe(conf[0][1] + conf[1][0]);
      expect(j.error).toBeCloseTo(j.errors / 142, 12);
      expect(j.error).toBeLessThan(0.1);
      if (mode === 'deterministic') expect([j.nll, j.brier, j.ece]).toEqual([null, null, null]);
      else {
        expect(j.nll).toBeGreaterThan(0);
        expect(j.brier).toBeGreaterThanOrEqual(0);
        expect(j.brier).toBeLessThanOrEqual(2);
        expect(j.ece).toBeGreaterThanOrEqual(0);
        expect(j.ece).toBeLessThanOrEqual(1);
      }
    }
    expect(results.ensemble).toMatchObject({ members: 16, seed: 1 });
  });

  test('ensemble results depend on --seed and --members only', async () => {
    const run = async (extra: string[]) => JSON.parse((await cli(['eval', 'bc.ebpb', BC_TEST, '--mode', 'ensemble', '--json', ...extra], opts)).stdout);
    const a = await run(['--members', '8', '--seed', '3']);
    const b = await run(['--members', '8', '--seed', '3']);
    expect(a.confusion).toEqual(b.confusion);
    expect(a.nll).toBe(b.nll);
    expect(a.members).toBe(8);
    const tooMany = await cli(['eval', 'bc.ebpb', BC_TEST, '--mode', 'ensemble', '--members', '10001'], opts);
    expect(tooMany.code).toBe(1);
    expect(tooMany.stderr).toContain('--members must be an integer from 1 to 10000, got 10001.');
  });

  test('text labels, columns in another order, the categorical mapping from the model', async () => {
    const r = await cli(['eval', 'w.ebpb', path.join(CSV, 'wdbc_test.csv'), '--mode', 'probabilistic', '--json'], opts);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.classes).toEqual(['benign', 'malignant']);
    expect(j.rows).toBe(60);
    expect(j.error).toBeLessThan(0.2);
  });
});

describe('ebp predict', () => {
  test('classes to stdout, one line per row', async () => {
    const r = await cli(['predict', 'bc.ebpb', BC_TEST], opts);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('prediction');
    expect(lines).toHaveLength(143);
    expect(new Set(lines.slice(1))).toEqual(new Set(['0', '1']));
  });

  test('agrees with eval: the predicted classes give the error eval reports', async () => {
    const p = await cli(['predict', 'bc.ebpb', BC_TEST, '--mode', 'probabilistic'], opts);
    const e = JSON.parse((await cli(['eval', 'bc.ebpb', BC_TEST, '--mode', 'probabilistic', '--json'], opts)).stdout);
    const pred = p.stdout.trimEnd().split('\n').slice(1);
    const truth = fs.readFileSync(BC_TEST, 'utf8').trimEnd().split('\n').slice(1).map((l) => l.split(',').pop());
    const wrong = pred.filter((c, i) => c !== truth[i]).length;
    expect(wrong).toBe(e.errors);
  });

  test('the label column is ignored: rows with an empty or unknown label are predicted (eval still refuses them)', async () => {
    const lines = fs.readFileSync(BC_TEST, 'utf8').trimEnd().split('\n');
    const edited = [...lines];
    edited[2] = edited[2].replace(/,[01]$/, ',');
    edited[3] = edited[3].replace(/,[01]$/, ',7');
    edited[4] = edited[4].replace(/,[01]$/, ',NA');
    T.file('nl2.csv', edited.join('\n') + '\n');
    const r = await cli(['predict', 'bc.ebpb', 'nl2.csv'], opts);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe((await cli(['predict', 'bc.ebpb', BC_TEST], opts)).stdout);
    const e = await cli(['eval', 'bc.ebpb', 'nl2.csv'], opts);
    expect(e.code).toBe(2);
    expect(e.stderr).toBe('error: nl2.csv, line 3, column 31: the label column "label" is empty, expected a class label.\n');
  });

  test('an unlabelled file with a single feature column (a one-feature model)', async () => {
    const rows = ['x,label', ...Array.from({ length: 60 }, (_, i) => `${i - 29.5},${i < 30 ? 'neg' : 'pos'}`)];
    T.file('one.csv', rows.join('\n') + '\n');
    expect((await cli(['train', 'one.csv', '--hidden', '16', '--epochs', '3', '--standardize', '--quiet', '--out', 'one.ebpb'], opts)).code).toBe(0);
    T.file('one_nolabel.csv', 'x\n-20\n25\n');
    const r = await cli(['predict', 'one.ebpb', 'one_nolabel.csv'], opts);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('prediction\nneg\npos\n');
    // Training and eval files still need features and a label.
    const t = await cli(['train', 'one_nolabel.csv'], opts);
    expect(t.code).toBe(2);
    expect(t.stderr).toContain('the header has 1 column ("x"), expected at least 2 (features and a label)');
  });

  test('--out --proba: atomic file with class names and probabilities summing to 1; tab input without a label column', async () => {
    const r = await cli(['predict', 'w.ebpb', path.join(CSV, 'wdbc_unlabelled.tsv'), '--out', 'p.csv', '--proba'], opts);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('60 predictions (probabilistic) written to p.csv\n');
    const table = parseCsvText(fs.readFileSync(path.join(T.dir, 'p.csv'), 'utf8'), { label: 'prediction' });
    expect(table.plan.header).toEqual(['prediction', 'p_benign', 'p_malignant']);
    expect(table.rows).toBe(60);
    for (let i = 0; i < 60; i++) {
      const p0 = table.numeric[2 * i];
      const p1 = table.numeric[2 * i + 1];
      expect(p0 + p1).toBeCloseTo(1, 5);
      expect(table.labels[i]).toBe(p1 > p0 ? 'malignant' : 'benign');
    }
    // The same rows with the label column give the same predictions.
    const again = await cli(['predict', 'w.ebpb', path.join(CSV, 'wdbc_test.csv'), '--proba'], opts);
    expect(again.stdout).toBe(fs.readFileSync(path.join(T.dir, 'p.csv'), 'utf8'));
    // No stray temporary files.
    expect(strayFiles(T.dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  test('--out refuses to overwrite without --force', async () => {
    fs.writeFileSync(path.join(T.dir, 'keep.csv'), 'precious\n');
    const r = await cli(['predict', 'bc.ebpb', BC_TEST, '--out', 'keep.csv'], opts);
    expect(r.code).toBe(1);
    expect(fs.readFileSync(path.join(T.dir, 'keep.csv'), 'utf8')).toBe('precious\n');
    // Checked before any work: before the model is read (a missing model would be exit 3).
    const early = await cli(['predict', 'absent.ebpb', BC_TEST, '--out', 'keep.csv', '--mode', 'ensemble', '--members', '64'], opts);
    expect(early.code).toBe(1);
    expect(early.stderr).toBe('error: output file keep.csv already exists; pass --force to overwrite it, or choose another name.\n');
    expect((await cli(['predict', 'bc.ebpb', BC_TEST, '--out', 'keep.csv', '--force', '--quiet'], opts)).code).toBe(0);
    expect(fs.readFileSync(path.join(T.dir, 'keep.csv'), 'utf8').split('\n')[0]).toBe('prediction');
  });

  test('ensemble probabilities: smoothed vote shares that sum to 1, argmax = prediction', async () => {
    const r = await cli(['predict', 'bc.ebpb', BC_TEST, '--mode', 'ensemble', '--members', '4', '--proba'], opts);
    expect(r.code).toBe(0);
    const rows = r.stdout.trimEnd().split('\n');
    expect(rows[0]).toBe('prediction,p_0,p_1');
    for (const row of rows.slice(1)) {
      const [c, a, b] = row.split(',').map(Number);
      expect(a + b).toBeCloseTo(1, 5);
      expect(Math.min(a, b)).toBeGreaterThanOrEqual(0.1 - 1e-9); // one uniform pseudo-member of 5: ≥ (0 + 1/2)/5
      if (a !== b) expect(c).toBe(b > a ? 1 : 0);
    }
  });

  test('class names that need quoting are quoted in the output', async () => {
    const rows = ['x,y,label'];
    for (let i = 0; i < 40; i++) rows.push(`${i % 2},${(i * 7) % 5},${i % 2 ? '"yes, really"' : '"say ""no"""'}`);
    fs.writeFileSync(path.join(T.dir, 'q.csv'), rows.join('\n'));
    expect((await cli(['train', 'q.csv', '--hidden', '4', '--epochs', '3', '--quiet', '--out', 'q.ebpb'], opts)).code).toBe(0);
    const r = await cli(['predict', 'q.ebpb', 'q.csv', '--proba'], opts);
    expect(r.code).toBe(0);
    const t = parseCsvText(r.stdout, { label: 'prediction' });
    expect(t.plan.header).toEqual(['prediction', 'p_say "no"', 'p_yes, really']);
    expect(new Set(t.labels).size).toBeGreaterThan(0);
    for (const l of t.labels) expect(['say "no"', 'yes, really']).toContain(l);
  });

  test('streams larger inputs in batches of 512 rows', async () => {
    const lines = fs.readFileSync(BC_TEST, 'utf8').trimEnd().split('\n');
    const body = lines.slice(1).join('\n') + '\n';
    const f = path.join(T.dir, 'big.csv');
    fs.writeFileSync(f, lines[0] + '\n');
    fs.appendFileSync(f, body.repeat(40)); // 40 × 142 rows
    const r = await cli(['predict', 'bc.ebpb', 'big.csv', '--out', 'big-pred.csv'], opts);
    expect(r.code).toBe(0);
    const out = fs.readFileSync(path.join(T.dir, 'big-pred.csv'), 'utf8').trimEnd().split('\n');
    expect(out).toHaveLength(40 * 142 + 1);
    expect(out.slice(1, 143)).toEqual(out.slice(143, 285));
  });

  test('Ctrl-C during predict: exit 130, no output file', async () => {
    const r = await cli(['predict', 'bc.ebpb', 'big.csv', '--out', 'int.csv'], { cwd: T.dir, interrupted: () => true });
    expect(r.code).toBe(130);
    expect(r.stderr).toContain('interrupted after 512 rows; int.csv was not written.');
    expect(fs.existsSync(path.join(T.dir, 'int.csv'))).toBe(false);
    expect(strayFiles(T.dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});


describe('--threads', () => {
  test('eval --json and predict give the same results for 1, 2 and 3 threads (packed deterministic and ensemble)', async () => {
    for (const mode of ['deterministic', 'ensemble', 'probabilistic']) {
      const outs: string[] = [];
      const preds: string[] = [];
      for (const threads of ['1', '2', '3']) {
        const r = await cli(['eval', 'bc.ebpb', BC_TEST, '--mode', mode, '--json', '--threads', threads], opts);
        expect(r.code).toBe(0);
        const j = JSON.parse(r.stdout);
        delete j.seconds;
        outs.push(JSON.stringify(j));
        const p = await cli(['predict', 'bc.ebpb', BC_TEST, ...(mode === 'deterministic' ? [] : ['--mode', mode, '--proba']), '--threads', threads], opts);
        expect(p.code).toBe(0);
        preds.push(p.stdout);
      }
      expect(new Set(outs).size).toBe(1);
      expect(new Set(preds).size).toBe(1);
      expect(preds[0].split('\n').length).toBe(144); // header, 142 rows, final newline
    }
  });

  test('--threads must be an integer from 1 to 256', async () => {
    for (const bad of ['0', '-1', '1.5', '257', 'two']) {
      const r = await cli(['eval', 'bc.ebpb', BC_TEST, '--threads', bad], opts);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('expected an integer from 1 to 256');
    }
  });
});
