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
  expect(s).toMatch(/^w\.ebpb: ebp-bnn model file with its posterior \(checkpoint format\), format version 1, \d+ bytes \(ebp-bnn@0\.1\.0\)\n/);
  expect(s).toContain('network 9-40-8-2, binary weights, sign activations, 746 parameters');
  expect(s).toContain('layer  inputs  outputs  1-bit weights  real params  packed bytes  float32 bytes');
  // packed: rows × ⌈inputs/32⌉ words × 4 bytes + 8 bytes per bias; float32: 4 bytes per parameter
  expect(s).toMatch(/^0 +9 +40 +360 +40 +480 +1600$/m);
  expect(s).toMatch(/^1 +40 +8 +320 +8 +128 +1312$/m);
  expect(s).toMatch(/^2 +8 +2 +16 +2 +24 +72$/m);
  expect(s).toContain('packed network: 632 bytes vs 2984 bytes as float32: 4.72x smaller (XNOR/popcount inference)');
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
    kind: 'checkpoint',
    parameters: 746,
    packed: { members: 1, packedBytes: 632, float32Bytes: 2984, compression: 4.72 },
    label: 'diagnosis',
    classes: ['benign', 'malignant'],
    inputs: 9,
    preprocessing: { scaling: { kind: 'standardize' }, impute: 'none', categorical: ['size class'] },
    training: { trainer: 'ebp', epochs: 2, epochsDone: 2, batch: 5, seed: 3, hidden: [40, 8], rows: 160, validationRows: 60, trainFile: 'wdbc_semicolon.csv' },
    resumable: true,
  });
  expect(j.layers).toEqual([
    { layer: 0, inputs: 9, outputs: 40, binaryParams: 360, realParams: 40, packedBytes: 480, float32Bytes: 1600 },
    { layer: 1, inputs: 40, outputs: 8, binaryParams: 320, realParams: 8, packedBytes: 128, float32Bytes: 1312 },
    { layer: 2, inputs: 8, outputs: 2, binaryParams: 16, realParams: 2, packedBytes: 24, float32Bytes: 72 },
  ]);
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
  expect(s).toContain('checkpoint: stopped after 1 epoch and 4 minibatches (resume with --resume)');
  expect(s).toContain('missing values: imputed with the training mean');
});

test('Gaussian weights: no packed network, the float EBP-D network is used', async () => {
  const r = await cli(['train', path.join(CSV, 'wdbc_missing.csv'), '--impute', 'mean', '--weights', 'gaussian', '--epochs', '1', '--hidden', '4', '--quiet', '--out', 'g.ebpb'], opts);
  expect(r.code).toBe(0);
  const s = (await cli(['inspect', 'g.ebpb'], opts)).stdout;
  expect(s).toContain('network 6-4-2, gaussian weights');
  expect(s).toContain('no packed network: gaussian weights have no 1-bit form; deterministic mode runs the float EBP-D network');
  const j = JSON.parse((await cli(['inspect', 'g.ebpb', '--json'], opts)).stdout);
  expect(j.packed).toBeNull();
});

test('a model written by the library (encodeModel with feature and class names) can be inspected and used', async () => {
  const { encodeModel } = await import('../../src/model/encode');
  const { XnorNetwork } = await import('../../src/xnor/network');
  const fs = await import('fs');
  const net = XnorNetwork.fromLayers([{ weights: [1, -1, 1, 1, -1, -1], inputs: 3, outputs: 2, bias: [0, 0.5] }]);
  fs.writeFileSync(path.join(T.dir, 'lib.ebpb'), encodeModel(net, { featureNames: ['a', 'b', 'c'], classNames: ['no', 'yes'] }));
  const s = (await cli(['inspect', 'lib.ebpb'], opts)).stdout;
  expect(s).toContain('ebp-bnn inference file');
  expect(s).toContain('posterior: not stored (deterministic mode only)');
  fs.writeFileSync(path.join(T.dir, 'abc.csv'), 'c,b,a\n1,2,3\n-1,0,2\n');
  const p = await cli(['predict', 'lib.ebpb', 'abc.csv'], opts);
  expect(p.code).toBe(0);
  // W = [[1, -1, 1], [1, -1, -1]], b = [0, 0.5]; columns matched by name.
  // row 1: (a, b, c) = (3, 2, 1) → scores [2, 0.5] → "no"; row 2: (2, 0, -1) → [1, 3.5] → "yes"
  expect(p.stdout).toBe('prediction\nno\nyes\n');
  const e = await cli(['eval', 'lib.ebpb', 'abc.csv', '--mode', 'probabilistic'], opts);
  expect(e.code).toBe(3);
  expect(e.stderr).toContain('--mode probabilistic needs the weight posterior, which this model file does not hold');
});
