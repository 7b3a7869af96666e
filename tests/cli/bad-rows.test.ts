import * as fs from 'fs';
import * as path from 'path';
import { cli, BC_TEST, BC_TRAIN, tempDir } from './helpers';

/**
 * Issue 12 item 6: one extreme value aborted `predict`/`eval` with exit 4 after 1,024 predictions, naming
 * "input row 176" of a 512-row batch. A bad row is a data error (exit 2) naming the file line and column, and
 * `predict --on-error skip|empty` goes on past it.
 */
const T = tempDir('ebp-badrows-');
afterAll(() => T.cleanup());

const lines = fs.readFileSync(BC_TEST, 'utf8').trim().split('\n');
const header = lines[0];
const body = lines.slice(1);
/** 6 copies of the test rows (852 rows, two batches) with cells replaced at given 1-based file lines. */
function fileWith(name: string, edits: Record<number, (cells: string[]) => void>): string {
  const rows = [header];
  for (let i = 0; i < 6; i++) rows.push(...body);
  const out = rows.map((l, i) => {
    const edit = edits[i + 1];
    if (!edit) return l;
    const cells = l.split(',');
    edit(cells);
    return cells.join(',');
  });
  T.file(name, out.join('\n') + '\n');
  return name; // relative to T.dir, the commands' cwd
}
// Column 5 (mean_smoothness) has std 0.014: 1e308 standardizes to Infinity. Line 700 is row 186 of the second batch.
const EXTREME = fileWith('extreme.csv', { 700: (c) => (c[4] = '1e308') });
const BAD3 = fileWith('bad3.csv', { 5: (c) => (c[2] = 'abc'), 9: (c) => (c[1] = ''), 700: (c) => (c[4] = '1e308') });

beforeAll(async () => {
  const r = await cli(['train', BC_TRAIN, '--test', BC_TEST, '--hidden', '8', '--epochs', '1', '--quiet', '--out', 'm.ebpb'], { cwd: T.dir });
  expect(r.code).toBe(0);
});

describe('a value too far outside the training range', () => {
  test.each(['deterministic', 'probabilistic', 'ensemble'])('predict --mode %s: exit 2 naming the file line and column', async (mode) => {
    const r = await cli(['predict', 'm.ebpb', EXTREME, '--mode', mode, '--out', 'p.csv'], { cwd: T.dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('extreme.csv, line 700, column 5: column "mean_smoothness" holds 1e+308, which is Infinity after standardization');
    expect(r.stderr).not.toContain('input row');
    expect(fs.existsSync(path.join(T.dir, 'p.csv'))).toBe(false);
  });

  test('eval: exit 2 naming the file line and column', async () => {
    const r = await cli(['eval', 'm.ebpb', EXTREME], { cwd: T.dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: .*extreme\.csv, line 700, column 5: column "mean_smoothness" holds 1e\+308/);
  });

  test('train --test: the validation file names the line too (not "row 698, feature 4")', async () => {
    const r = await cli(['train', BC_TRAIN, '--test', EXTREME, '--hidden', '4', '--epochs', '1', '--quiet', '--out', 't.ebpb'], { cwd: T.dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('extreme.csv, line 700, column 5');
  });
});

describe('predict --on-error', () => {
  test('fail (the default) stops at the first bad row with exit 2', async () => {
    const r = await cli(['predict', 'm.ebpb', BAD3], { cwd: T.dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('bad3.csv, line 5, column 3: column "mean_perimeter" holds "abc"');
    const f = await cli(['predict', 'm.ebpb', BAD3, '--on-error', 'fail'], { cwd: T.dir });
    expect(f.code).toBe(2);
  });

  test('skip leaves the bad rows out, says which, exit 0', async () => {
    const all = await cli(['predict', 'm.ebpb', fileWith('good.csv', {}), '--mode', 'deterministic'], { cwd: T.dir });
    const r = await cli(['predict', 'm.ebpb', BAD3, '--mode', 'deterministic', '--on-error', 'skip'], { cwd: T.dir });
    expect(r.code).toBe(0);
    const good = all.stdout.trim().split('\n');
    const got = r.stdout.trim().split('\n');
    expect(got).toHaveLength(good.length - 3);
    // File line L is output index L - 1 (the header is line 1 of both).
    expect(got).toEqual(good.filter((_, i) => ![4, 8, 699].includes(i)));
    expect(r.stderr).toContain('warning: bad3.csv, line 5, column 3');
    expect(r.stderr).toContain('warning: bad3.csv, line 9, column 2');
    expect(r.stderr).toContain('warning: bad3.csv, line 700, column 5');
    expect(r.stderr).toContain('warning: 3 rows could not be predicted and were left out of the output (--on-error skip).');
  });

  test('empty keeps one output line per input row, empty for the bad ones (with --proba: empty cells)', async () => {
    const r = await cli(['predict', 'm.ebpb', BAD3, '--proba', '--on-error', 'empty', '--out', 'e.csv'], { cwd: T.dir });
    expect(r.code).toBe(0);
    const out = fs.readFileSync(path.join(T.dir, 'e.csv'), 'utf8').trim().split('\n');
    expect(out).toHaveLength(6 * body.length + 1);
    expect(out[0]).toBe('prediction,p_0,p_1');
    for (const i of [4, 8, 699]) expect(out[i]).toBe(',,');
    expect(out[5]).toMatch(/^[01],0?\.?\d/);
    expect(r.stderr).toContain('3 rows could not be predicted and were written as empty predictions (--on-error empty)');
  });

  test('a bad policy is a usage error', async () => {
    const r = await cli(['predict', 'm.ebpb', BAD3, '--on-error', 'ignore'], { cwd: T.dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("'ignore' is invalid");
  });
});
