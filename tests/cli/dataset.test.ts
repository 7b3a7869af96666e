import * as fs from 'fs';
import * as path from 'path';
import { subset } from '../../src/data/dataset';
import { EbpTrainer, evaluateErrors } from '../../src/ebp/trainer';
import { loadMnist10k } from '../../src/node/mnist';
import { loadTrainedModel } from '../../src/node/model-file';
import { toRows } from '../../src/tensor/matrix';
import { holdOut } from '../../src/train/determinised';
import type { XnorNetwork } from '../../src/xnor/network';
import { cli, jsonLines, strayFiles, tempDir } from './helpers';

const T = tempDir('ebp-dataset-');
afterAll(() => T.cleanup());

// One epoch of a 784-10-10 network on MNIST-10k: a few seconds, the smallest run of the real built-in data.
const RUN = ['train', '--dataset', 'mnist', '--hidden', '10', '--epochs', '1', '--seed', '3'];

test('--dataset mnist --out writes the model CSV training writes; ebp eval reads it back with the errors of the trained posterior', async () => {
  const r = await cli([...RUN, '--out', 'mnist.ebpb', '--json'], { cwd: T.dir });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const lines = jsonLines(r.stdout);
  const summary = lines[lines.length - 1];
  const file = path.join(T.dir, 'mnist.ebpb');
  expect(summary).toMatchObject({ summary: true, dataset: 'mnist', out: 'mnist.ebpb', bytes: fs.statSync(file).size, sizes: [784, 10, 10], epochs: 1 });
  expect(strayFiles(T.dir, ['mnist.ebpb'])).toEqual([]);

  // The file holds what the run trained: the library's trainer with the same seed and data order gives the same
  // posterior, on the training rows less the 10% held out for determinise's choices (src/train/determinised.ts).
  const { train: all, test } = loadMnist10k();
  const held = holdOut(all, 3)!;
  const train = held.train;
  expect(held.holdout.labels.length).toBe(1000);
  const ref = EbpTrainer.create({ inputs: 784, hidden: [10], outputs: 10, seed: 3 });
  ref.fit(train, { epochs: 1, batchSize: 10, seed: 3 });
  const m = loadTrainedModel(file);
  expect(m.sizes).toEqual([784, 10, 10]);
  for (let l = 0; l < 2; l++) expect(m.store!.layers[l].h).toEqual(ref.store.layers[l].h);
  expect(m.meta.training?.config).toMatchObject({ trainer: 'ebp', dataset: 'mnist', trainFile: 'mnist10k-train', hidden: [10], seed: 3, batch: 10 });
  expect(m.meta.training?.result).toMatchObject({ rows: 9000, validationRows: 10000, validationErrorP: summary.testErrorP, validationErrorD: summary.testErrorD });
  expect(m.meta.training?.config.determiniseHoldout).toEqual({ fraction: 0.1, rows: 1000 });
  expect(m.meta.training?.result.determinised).toMatchObject({ choices: { kind: 'holdout', rows: 1000 } });
  expect(summary.determinised).toMatchObject({ choices: { kind: 'holdout', rows: 1000 } });
  expect(m.meta.state?.epochsDone).toBe(1);

  // 300 test images as a CSV (pixel0..pixel783, label; the loader's values, which print and parse exactly).
  const rows = Array.from({ length: 300 }, (_, i) => i);
  const part = subset(test, rows);
  const X = toRows(part.X);
  const csv = [[...part.featureNames!, 'label'].join(','), ...X.map((x, i) => [...x.map(String), part.classNames[part.labels[i]]].join(','))].join('\n') + '\n';
  T.file('test300.csv', csv);
  const want = evaluateErrors(ref.store, part);
  // (--mode given: the default is the recorded best mode, see tests/cli/new-user.test.ts.)
  const modes = m.meta.training!.result.modes!;
  expect(modes).toMatchObject({ map: summary.testErrorD, probabilistic: summary.testErrorP });
  expect(m.meta.training?.result.bestMode).toBe(Object.keys(modes).reduce((a, k) => (modes[k] < modes[a] ? k : a)));
  // map: plain EBP-D of the posterior; deterministic: the file's (determinised) packed network.
  const d = await cli(['eval', 'mnist.ebpb', 'test300.csv', '--mode', 'map', '--json'], { cwd: T.dir });
  expect(d.code).toBe(0);
  expect(JSON.parse(d.stdout)).toMatchObject({ rows: 300, mode: 'map' });
  expect(JSON.parse(d.stdout).error).toBeCloseTo(want.errorD, 12);
  const det = await cli(['eval', 'mnist.ebpb', 'test300.csv', '--mode', 'deterministic', '--json'], { cwd: T.dir });
  const pred = (m.network as XnorNetwork).predict(part.X);
  expect(JSON.parse(det.stdout).error).toBeCloseTo(pred.reduce((a, c, i) => a + (c !== part.labels[i] ? 1 : 0), 0) / 300, 12);
  const p = await cli(['eval', 'mnist.ebpb', 'test300.csv', '--mode', 'probabilistic', '--json'], { cwd: T.dir });
  expect(p.code).toBe(0);
  expect(JSON.parse(p.stdout).error).toBeCloseTo(want.errorP, 12);
}, 300000);

test('--dataset --out refuses an existing file before training (exit 1) and replaces it with --force', async () => {
  T.file('old.ebpb', 'old');
  const r = await cli([...RUN, '--out', 'old.ebpb', '--quiet'], { cwd: T.dir });
  expect(r.code).toBe(1);
  expect(r.stderr).toBe('error: output file old.ebpb already exists; pass --force to overwrite it, or choose another name.\n');
  expect(fs.readFileSync(path.join(T.dir, 'old.ebpb'), 'utf8')).toBe('old');
  const f = await cli([...RUN, '--out', 'old.ebpb', '--force', '--quiet'], { cwd: T.dir });
  expect(f.code).toBe(0);
  expect(f.stdout).toMatch(/^test error: EBP-P .*\nmodel written to old\.ebpb \(\d+ bytes\)\n$/);
  expect(loadTrainedModel(path.join(T.dir, 'old.ebpb')).sizes).toEqual([784, 10, 10]);
}, 300000);
