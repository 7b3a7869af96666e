import { cli, BC_TEST, BC_TRAIN, tempDir } from './helpers';

/** Issue 12 item 13, the small things: plain messages for a path through a file, the built-in dataset's line. */
const T = tempDir('ebp-small-');
afterAll(() => T.cleanup());

beforeAll(async () => {
  T.file('afile', 'x\n');
  const r = await cli(['train', BC_TRAIN, '--test', BC_TEST, '--hidden', '4', '--epochs', '1', '--quiet', '--out', 'm.ebpb'], { cwd: T.dir });
  expect(r.code).toBe(0);
});

describe('a path through a file (ENOTDIR) is said plainly, with no temporary file name', () => {
  test.each([
    [['predict', 'm.ebpb', BC_TEST, '--out', 'afile/p.csv'], 2, 'error: cannot write output file afile/p.csv: a part of its path is a file, not a directory.'],
    [['train', BC_TRAIN, '--epochs', '1', '--hidden', '2', '--out', 'afile/m.ebpb'], 2, 'error: cannot write output file afile/m.ebpb: a part of its path is a file, not a directory.'],
    [['predict', 'm.ebpb', 'afile/in.csv'], 2, 'error: cannot read afile/in.csv: a part of its path is a file, not a directory.'],
    [['eval', 'afile/m.ebpb', BC_TEST], 3, 'error: cannot read model afile/m.ebpb: a part of its path is a file, not a directory.'],
  ])('%p', async (argv, code, msg) => {
    const r = await cli(argv, { cwd: T.dir });
    expect(r.code).toBe(code);
    expect(r.stderr.trim()).toBe(msg);
    expect(r.stderr).not.toMatch(/ENOTDIR|\.tmp/);
  });
});

test('the built-in dataset line names the dataset, not its training part ("mnist10k-train: ... test rows")', async () => {
  const r = await cli(['train', '--dataset', 'mnist', '--hidden', '4', '--epochs', '1', '--batch', '100'], { cwd: T.dir });
  expect(r.code).toBe(0);
  expect(r.stderr).toContain('--dataset mnist (mnist10k): 10000 training rows, 10000 test rows');
  expect(r.stderr).not.toContain('mnist10k-train:');
});
