import * as fs from 'fs';
import * as path from 'path';
import { cli, BC_TRAIN, tempDir } from './helpers';
import { loadTrainedModel } from '../../src/node/model-file';

/** Issue 12 item 8 on the command line: --drop, columns by index and by quoted name, imputation reported. */
const T = tempDir('ebp-columns-');
afterAll(() => T.cleanup());

// breast_cancer_train.csv with an `id` column in front and a text column whose name holds a comma.
const lines = fs.readFileSync(BC_TRAIN, 'utf8').trim().split('\n');
T.file('bc.csv', ['id,"shape, kind",' + lines[0], ...lines.slice(1).map((l, i) => `${100000 + 7919 * i},${i % 3 === 0 ? 'round' : 'oval'},${l}`)].join('\n') + '\n');
const RUN = ['--split', '0.25', '--hidden', '8', '--epochs', '1', '--quiet'];

test('--drop id and --categorical by quoted name: the model has neither the ID nor a numeric "shape, kind"', async () => {
  const r = await cli(['train', 'bc.csv', ...RUN, '--drop', 'id', '--categorical', '"shape, kind"', '--out', 'a.ebpb'], { cwd: T.dir });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const m = loadTrainedModel(path.join(T.dir, 'a.ebpb'));
  const cols = m.meta.preprocess.columns;
  expect(cols.map((c) => c.name)).not.toContain('id');
  expect(cols.find((c) => c.name === 'shape, kind')).toMatchObject({ kind: 'categorical', categories: ['oval', 'round'] });
  expect(m.meta.training!.config.drop).toEqual(['id']);
  // eval and predict ignore the dropped column, present or not.
  const e = await cli(['eval', 'a.ebpb', 'bc.csv', '--json'], { cwd: T.dir });
  expect(e.code).toBe(0);
});

test('the same columns by 0-based index give the same model bytes', async () => {
  const a = await cli(['train', 'bc.csv', ...RUN, '--drop', 'id', '--categorical', '"shape, kind"', '--out', 'n.ebpb'], { cwd: T.dir });
  const b = await cli(['train', 'bc.csv', ...RUN, '--drop', '0', '--categorical', '1', '--out', 'i.ebpb'], { cwd: T.dir });
  expect([a.code, b.code]).toEqual([0, 0]);
  const ma = loadTrainedModel(path.join(T.dir, 'n.ebpb'));
  const mb = loadTrainedModel(path.join(T.dir, 'i.ebpb'));
  expect(mb.meta.preprocess).toEqual(ma.meta.preprocess);
  expect(mb.store!.toJSON()).toEqual(ma.store!.toJSON());
});

test("the tool's own hint for a comma in a column name works when pasted", async () => {
  const r = await cli(['train', 'bc.csv', ...RUN, '--drop', 'id', '--out', 'h.ebpb'], { cwd: T.dir });
  expect(r.code).toBe(2);
  const hint = /pass --categorical '([^']+)'/.exec(r.stderr);
  expect(hint).not.toBeNull();
  expect(hint![1]).toBe('"shape, kind"');
  const ok = await cli(['train', 'bc.csv', ...RUN, '--drop', 'id', '--categorical', hint![1], '--out', 'h.ebpb'], { cwd: T.dir });
  expect(ok.code).toBe(0);
});

test('resume keeps --drop: a resumed run without the flag reads the same columns', async () => {
  const args = ['train', 'bc.csv', '--split', '0.25', '--hidden', '8', '--quiet', '--drop', 'id', '--categorical', '1'];
  const full = await cli([...args, '--epochs', '2', '--out', 'full.ebpb'], { cwd: T.dir });
  expect(full.code).toBe(0);
  const half = await cli([...args, '--epochs', '1', '--out', 'half.ebpb'], { cwd: T.dir });
  expect(half.code).toBe(0);
  const res = await cli(['train', 'bc.csv', '--epochs', '2', '--quiet', '--resume', 'half.ebpb', '--out', 'res.ebpb'], { cwd: T.dir });
  expect(res.stderr).toBe('');
  expect(fs.readFileSync(path.join(T.dir, 'res.ebpb'))).toEqual(fs.readFileSync(path.join(T.dir, 'full.ebpb')));
  const other = await cli(['train', 'bc.csv', '--epochs', '2', '--quiet', '--resume', 'half.ebpb', '--drop', '2', '--out', 'x.ebpb'], { cwd: T.dir });
  expect(other.code).toBe(1);
  expect(other.stderr).toContain('--drop ["2"] differs from the checkpoint\'s ["id"]');
});

test('imputation is reported: how many cells, in which columns (train and eval)', async () => {
  const body = lines.slice(1).map((l, i) => (i % 50 === 3 ? l.replace(/^[^,]*,[^,]*/, ',') : l));
  T.file('holes.csv', [lines[0], ...body].join('\n') + '\n');
  const r = await cli(['train', 'holes.csv', '--split', '0.25', '--hidden', '8', '--epochs', '1', '--impute', 'median', '--out', 'imp.ebpb'], { cwd: T.dir });
  expect(r.code).toBe(0);
  expect(r.stderr).toContain('imputed 18 missing cells of holes.csv with the training median (categorical columns: the most frequent category): "mean_radius" 9, "mean_texture" 9.');
  const e = await cli(['eval', 'imp.ebpb', 'holes.csv'], { cwd: T.dir });
  expect(e.code).toBe(0);
  expect(e.stderr).toContain('imputed 18 missing cells of holes.csv with the training median');
  const q = await cli(['train', 'holes.csv', '--split', '0.25', '--hidden', '8', '--epochs', '1', '--impute', 'mean', '--quiet', '--out', 'impq.ebpb'], { cwd: T.dir });
  expect(q.stderr).not.toContain('imputed');
});
