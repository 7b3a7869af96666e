import * as fs from 'fs';
import * as path from 'path';
import { cli, BC_TRAIN, DIGITS_TRAIN, jsonLines, tempDir } from './helpers';
import { loadTrainedModel as loadModel } from '../../src/node/model-file';

/**
 * Resume must be exact: the posterior, the completed epochs and the data-order generator are checkpointed,
 * so an interrupted run continued with --resume ends with the same bytes as an uninterrupted one.
 */
const T = tempDir('ebp-resume-');
afterAll(() => T.cleanup());

const COMMON = ['--hidden', '16', '--batch', '10', '--seed', '7', '--split', '0.25', '--standardize', '--quiet'];

async function train(extra: string[], opts: { interrupted?: () => boolean } = {}) {
  return cli(['train', BC_TRAIN, ...COMMON, ...extra], { cwd: T.dir, ...opts });
}

let reference: Buffer;
beforeAll(async () => {
  const r = await train(['--epochs', '4', '--out', 'full.ebpb']);
  expect(r.code).toBe(0);
  reference = fs.readFileSync(path.join(T.dir, 'full.ebpb'));
  expect(fs.existsSync(path.join(T.dir, 'full.ebpb.ckpt'))).toBe(false);
});

test('2 epochs, then --resume to 4, gives the bytes of an uninterrupted 4-epoch run', async () => {
  expect((await train(['--epochs', '2', '--out', 'two.ebpb'])).code).toBe(0);
  const r = await train(['--epochs', '4', '--out', 'resumed.ebpb', '--resume', 'two.ebpb']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(fs.readFileSync(path.join(T.dir, 'resumed.ebpb')).equals(reference)).toBe(true);
});

test('a kill -9 after epoch 2 of 4 loses at most that epoch: the per-epoch checkpoint resumes to identical bytes', async () => {
  // Take a copy of the checkpoint file as it is on disk when epoch 3 starts: what a kill -9 would leave.
  let batches = 0;
  const perEpoch = Math.ceil(Math.round(427 * 0.75) / 10);
  const ckpt = path.join(T.dir, 'killed.ebpb.ckpt');
  const r = await train(['--epochs', '4', '--out', 'killed.ebpb'], {
    interrupted: () => {
      if (batches++ === 2 * perEpoch) fs.copyFileSync(ckpt, path.join(T.dir, 'snapshot.ckpt'));
      return false;
    },
  });
  expect(r.code).toBe(0);
  expect(fs.existsSync(ckpt)).toBe(false); // removed after the model was written
  expect(loadModel(path.join(T.dir, 'snapshot.ckpt')).meta.state).toMatchObject({ epochsDone: 2, batchesDone: 0 });
  const again = await train(['--epochs', '4', '--out', 'from-snapshot.ebpb', '--resume', 'snapshot.ckpt']);
  expect(again.code).toBe(0);
  expect(fs.readFileSync(path.join(T.dir, 'from-snapshot.ebpb')).equals(reference)).toBe(true);
});

test('Ctrl-C at an epoch boundary writes a checkpoint and exits 130; --resume finishes to identical bytes', async () => {
  let batches = 0;
  const perEpoch = Math.ceil(Math.round(427 * 0.75) / 10);
  const r = await train(['--epochs', '4', '--out', 'stopped.ebpb'], { interrupted: () => batches++ >= 2 * perEpoch });
  expect(r.code).toBe(130);
  expect(fs.existsSync(path.join(T.dir, 'stopped.ebpb'))).toBe(false);
  expect(loadModel(path.join(T.dir, 'stopped.ebpb.ckpt')).meta.state).toMatchObject({ epochsDone: 2, batchesDone: 0 });
  const again = await train(['--epochs', '4', '--out', 'stopped.ebpb', '--resume', 'stopped.ebpb.ckpt']);
  expect(again.code).toBe(0);
  expect(fs.readFileSync(path.join(T.dir, 'stopped.ebpb')).equals(reference)).toBe(true);
  expect(fs.existsSync(path.join(T.dir, 'stopped.ebpb.ckpt'))).toBe(false);
});

test('--resume X.ckpt without --out writes X (the checkpoint\'s own model file) and removes the checkpoint', async () => {
  let batches = 0;
  const perEpoch = Math.ceil(Math.round(427 * 0.75) / 10);
  expect((await train(['--epochs', '4', '--out', 'own.ebpb'], { interrupted: () => batches++ >= 2 * perEpoch })).code).toBe(130);
  const r = await train(['--epochs', '4', '--resume', 'own.ebpb.ckpt']);
  expect(r.code).toBe(0);
  expect(fs.readFileSync(path.join(T.dir, 'own.ebpb')).equals(reference)).toBe(true);
  expect(fs.existsSync(path.join(T.dir, 'own.ebpb.ckpt'))).toBe(false);
  expect(fs.existsSync(path.join(T.dir, 'model.ebpb'))).toBe(false);
});

test('Ctrl-C in the middle of an epoch (twice) still resumes to identical bytes', async () => {
  let calls = 0;
  const r1 = await train(['--epochs', '4', '--out', 'mid.ebpb'], { interrupted: () => calls++ >= 45 });
  expect(r1.code).toBe(130);
  expect(r1.stderr).toContain('interrupted after epoch 1 and 13 minibatches');
  expect(r1.stderr).toContain('--resume mid.ebpb.ckpt');
  expect(loadModel(path.join(T.dir, 'mid.ebpb.ckpt')).meta.state).toMatchObject({ epochsDone: 1, batchesDone: 13 });
  // Interrupt again inside the finished-off epoch, then go to the end.
  calls = 0;
  const r2 = await train(['--epochs', '4', '--out', 'mid.ebpb', '--resume', 'mid.ebpb.ckpt'], { interrupted: () => calls++ >= 5 });
  expect(r2.code).toBe(130);
  expect(loadModel(path.join(T.dir, 'mid.ebpb.ckpt')).meta.state).toMatchObject({ epochsDone: 1, batchesDone: 18 });
  const r3 = await train(['--epochs', '4', '--out', 'mid.ebpb', '--resume', 'mid.ebpb.ckpt']);
  expect(r3.code).toBe(0);
  expect(fs.readFileSync(path.join(T.dir, 'mid.ebpb')).equals(reference)).toBe(true);
});

test('Ctrl-C with --json: nothing on stderr, the summary on stdout names the checkpoint', async () => {
  let calls = 0;
  const r = await cli(['train', BC_TRAIN, ...COMMON.filter((f) => f !== '--quiet'), '--epochs', '3', '--out', 'js.ebpb', '--json'], {
    cwd: T.dir,
    interrupted: () => calls++ >= 40,
  });
  expect(r.code).toBe(130);
  expect(r.stderr).toBe('');
  const last = jsonLines(r.stdout).pop()!;
  expect(last).toMatchObject({ summary: true, interrupted: true, epochs: 1, checkpoint: 'js.ebpb.ckpt' });
});

test('without --resume an existing checkpoint is not silently discarded', async () => {
  let calls = 0;
  expect((await train(['--epochs', '3', '--out', 'left.ebpb'], { interrupted: () => calls++ >= 40 })).code).toBe(130);
  const r = await train(['--epochs', '3', '--out', 'left.ebpb']);
  expect(r.code).toBe(1);
  expect(r.stderr).toContain('a checkpoint of an earlier run exists: left.ebpb.ckpt');
  expect(r.stderr).toContain('--resume left.ebpb.ckpt');
  expect((await train(['--epochs', '3', '--out', 'left.ebpb', '--force'])).code).toBe(0);
});

test('flags that contradict the checkpoint are refused; omitted ones are taken from it', async () => {
  const r = await train(['--epochs', '4', '--out', 'x.ebpb', '--resume', 'two.ebpb', '--hidden', '32']);
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/--hidden \[32\] differs from the checkpoint's \[16\]/);
  const r2 = await cli(['train', BC_TRAIN, '--split', '0.25', '--epochs', '4', '--out', 'y.ebpb', '--resume', 'two.ebpb', '--quiet'], { cwd: T.dir });
  expect(r2.code).toBe(0);
  expect(fs.readFileSync(path.join(T.dir, 'y.ebpb')).equals(reference)).toBe(true);
});

test('resuming on other data (training or validation rows) is refused', async () => {
  const other = T.file('other.csv', fs.readFileSync(BC_TRAIN, 'utf8').replace('\n17.99,', '\n18.99,'));
  fs.copyFileSync(other, path.join(T.dir, 'breast_cancer_train.csv'));
  const r = await cli(['train', 'breast_cancer_train.csv', ...COMMON, '--epochs', '4', '--out', 'z.ebpb', '--resume', 'two.ebpb'], { cwd: T.dir });
  expect(r.code).toBe(2);
  expect(r.stderr).toContain('does not hold the data the checkpoint two.ebpb was trained on');
});

test('the same rows under another file name resume (the hash decides, not the name), to identical bytes', async () => {
  fs.copyFileSync(BC_TRAIN, path.join(T.dir, 'copy.csv'));
  const r = await cli(['train', 'copy.csv', ...COMMON, '--epochs', '4', '--out', 'renamed.ebpb', '--resume', 'two.ebpb'], { cwd: T.dir });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(fs.readFileSync(path.join(T.dir, 'renamed.ebpb')).equals(reference)).toBe(true);
  // Other rows under another name: exit 2 (data), naming the file the checkpoint was trained on.
  T.file('changed.csv', fs.readFileSync(BC_TRAIN, 'utf8').replace('\n17.99,', '\n18.99,'));
  const d = await cli(['train', 'changed.csv', ...COMMON, '--epochs', '4', '--out', 'changed.ebpb', '--resume', 'two.ebpb'], { cwd: T.dir });
  expect(d.code).toBe(2);
  expect(d.stderr).toBe(
    'error: changed.csv does not hold the data the checkpoint two.ebpb was trained on (breast_cancer_train.csv): different rows, values or preprocessing; resume with the same rows (the file name may differ).\n',
  );
});

test('the CLI trains exactly what EbpTrainer.fit computes (its epochs run in slices, same minibatches)', async () => {
  const { readNumericCsv } = await import('../../src/node/csv-numeric');
  const { EbpTrainer } = await import('../../src/ebp/trainer');
  const r = await cli(['train', BC_TRAIN, '--hidden', '16', '--epochs', '3', '--seed', '4', '--quiet', '--no-standardize', '--out', 'lib.ebpb'], { cwd: T.dir });
  expect(r.code).toBe(0);
  const ds = readNumericCsv(BC_TRAIN);
  const trainer = EbpTrainer.create({ inputs: 30, hidden: [16], outputs: 2, weights: 'binary', seed: 4 });
  trainer.fit(ds, { epochs: 3, batchSize: 10 });
  const m = loadModel(path.join(T.dir, 'lib.ebpb'));
  m.store!.layers.forEach((L, l) => {
    const E = trainer.store.layers[l];
    expect(Buffer.from(L.h.buffer, L.h.byteOffset, L.h.byteLength).equals(Buffer.from(E.h.buffer, E.h.byteOffset, E.h.byteLength))).toBe(true);
    expect(Array.from(L.b)).toEqual(Array.from(E.b));
  });
  expect(m.meta.state!.rngState.slice(0, 4)).toEqual(trainer.rngState().slice(0, 4));
});

test('a checkpoint whose generator state setState would refuse is a model-file error (exit 3), not a crash later', async () => {
  const { encodeTrainedModel: encodeModelFile, decodeTrainedModel: decodeModelFile } = await import('../../src/train/trained-model');
  const r = await cli(['train', BC_TRAIN, ...COMMON, '--epochs', '1', '--out', 'st.ebpb'], { cwd: T.dir });
  expect(r.code).toBe(0);
  const m = loadModel(path.join(T.dir, 'st.ebpb'));
  for (const bad of [[1, 2, 3, 4, null], [0, 0, 0, 0, 0, 0]]) {
    const meta = { ...m.meta, state: { ...m.meta.state!, rngState: bad } };
    const bytes = encodeModelFile(m.store!, meta);
    expect(() => decodeModelFile(bytes, 'bad.ebpb')).toThrow('bad.ebpb: the training state (for --resume) is corrupt: its random generator state is invalid.');
    T.file('bad.ebpb', Buffer.from(bytes));
    const res = await cli(['train', BC_TRAIN, ...COMMON, '--epochs', '2', '--out', 'bad2.ebpb', '--resume', 'bad.ebpb'], { cwd: T.dir });
    expect(res.code).toBe(3);
  }
});

test('Ctrl-C while the training file is read: exit 130, reading stops, nothing written (no checkpoint to block the next run)', async () => {
  // The reader polls every 1024 records: the digits file (1352 rows) is polled once, mid-file.
  const digits = (extra: string[], interrupted: () => boolean) =>
    cli(['train', DIGITS_TRAIN, '--hidden', '8', '--epochs', '2', '--out', 'early.ebpb', ...extra], { cwd: T.dir, interrupted });
  let calls = 0;
  const r = await digits([], () => ++calls > 0);
  expect(r.code).toBe(130);
  expect(r.stderr).toBe('interrupted before training started; nothing written.\n');
  expect(calls).toBe(1);
  expect(fs.existsSync(path.join(T.dir, 'early.ebpb'))).toBe(false);
  expect(fs.existsSync(path.join(T.dir, 'early.ebpb.ckpt'))).toBe(false);
  const j = await digits(['--json'], () => true);
  expect(j.code).toBe(130);
  expect(JSON.parse(j.stdout.trim())).toEqual({ summary: true, interrupted: true, epochs: 0, batchesDone: 0, checkpoint: null });
  expect(j.stderr).toBe('');
  // Not interrupted: the same command trains.
  expect((await digits(['--quiet'], () => false)).code).toBe(0);
});
