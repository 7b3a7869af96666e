import * as path from 'path';
import { cli, CSV, tempDir } from './helpers';

const T = tempDir('ebp-inspect-');
afterAll(() => T.cleanup());
const opts = { cwd: T.dir };

beforeAll(async () => {
  const r = await cli(
    ['train', path.join(CSV, 'wdbc_semicolon.csv'), '--test', path.join(CSV, 'wdbc_test.csv'), '--label', 'diagnosis', '--categorical', 'size class', '--standardize', '--hidden', '40,8', '--epochs', '2', '--batch', '5', '--seed', '3', '--quiet', '--out', 'w.ebpb'],
    opts,
  );
  expect(r.code).toBe(0);
});

test('text summary: layers, bits, bytes, compression, preprocessing, classes, training metadata', async () => {
  const r = await cli(['inspect', 'w.ebpb'], opts);
  expect(r.code).toBe(0);
  const s = r.stdout;
  expect(s).toMatch(/^w\.ebpb: ebp-bnn model, format version 1, \d+ bytes \(ebp-bnn@0\.1\.0\)\n/);
  expect(s).toContain('network 9-40-8-2, binary weights, sign activations, 746 parameters');
  expect(s).toContain('layer  inputs  outputs  weights  bits/weight  weight bytes  bias bytes');
  expect(s).toMatch(/^0 +9 +40 +360 +1 +160 +160$/m);
  expect(s).toMatch(/^1 +40 +8 +320 +1 +64 +32$/m);
  expect(s).toMatch(/^2 +8 +2 +16 +1 +8 +8$/m);
  expect(s).toContain('inference size 432 bytes vs 2984 bytes as float32: 6.91x smaller');
  expect(s).toContain('posterior: h and b as float64, 5968 bytes');
  expect(s).toContain('label column "diagnosis", 2 classes: "benign", "malignant"');
  expect(s).toContain('input columns (7) -> 9 inputs: "mean radius", "mean texture"');
  expect(s).toContain('categorical "size class": one-hot over 3 categories "large", "medium", "small"');
  expect(s).toContain('preprocessing: standardized (mean and std of the training rows); missing values: rejected');
  expect(s).toContain('training: EBP, 2 of 2 epochs, batch 5, seed 3, hidden 40,8, 160 rows of wdbc_semicolon.csv');
  expect(s).toMatch(/validation: 60 rows of wdbc_test\.csv, error EBP-P \d+\.\d\d%, EBP-D \d+\.\d\d%/);
});

test('--json', async () => {
  const r = await cli(['inspect', 'w.ebpb', '--json'], opts);
  expect(r.code).toBe(0);
  const j = JSON.parse(r.stdout);
  expect(j).toMatchObject({
    file: 'w.ebpb',
    formatVersion: 1,
    sizes: [9, 40, 8, 2],
    weights: 'binary',
    parameters: 746,
    inferenceBytes: 432,
    float32Bytes: 2984,
    label: 'diagnosis',
    classes: ['benign', 'malignant'],
    inputs: 9,
    preprocessing: { scaling: { kind: 'standardize' }, impute: 'none', categorical: ['size class'] },
    training: { trainer: 'ebp', epochs: 2, epochsDone: 2, batch: 5, seed: 3, hidden: [40, 8], rows: 160, validationRows: 60, trainFile: 'wdbc_semicolon.csv' },
    resumable: true,
  });
  expect(j.layers).toHaveLength(3);
  expect(j.columns[6]).toEqual({ name: 'size class', kind: 'categorical', categories: ['large', 'medium', 'small'] });
});

test('a checkpoint says where it stopped', async () => {
  let calls = 0;
  const r = await cli(['train', path.join(CSV, 'wdbc_missing.csv'), '--impute', 'mean', '--epochs', '3', '--hidden', '4', '--quiet', '--out', 'm.ebpb'], {
    cwd: T.dir,
    interrupted: () => calls++ >= 20,
  });
  expect(r.code).toBe(130);
  const s = (await cli(['inspect', 'm.ebpb.ckpt'], opts)).stdout;
  expect(s).toContain('checkpoint: stopped after 1 epochs and 4 minibatches (resume with --resume)');
  expect(s).toContain('missing values: imputed with the training mean');
});
