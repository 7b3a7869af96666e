// `ebp train --trainer ste`: the STE baseline from the CLI. The model file holds the folded packed network (format
// version 2: per-neuron thresholds and flips, the output scale), and eval/predict/inspect use it. Checkpoints hold
// the full STE state (latent weights, batch norm, Adam moments and step, lr horizon, epoch, data order), so that an
// interrupted run continued with --resume ends with the bytes of an uninterrupted one (as tests/cli/resume.test.ts
// checks for EBP).
import * as fs from 'fs';
import * as path from 'path';
import { cli, jsonLines, BC_TRAIN, BC_TEST, tempDir } from './helpers';
import { loadTrainedModel as loadModel } from '../../src/node/model-file';
import { readNumericCsv } from '../../src/node/csv-numeric';
import { SteTrainer } from '../../src/ste/trainer';
import { XnorNetwork } from '../../src/xnor/network';

const T = tempDir('ebp-ste-');
afterAll(() => T.cleanup());
const opts = { cwd: T.dir };

const COMMON = ['--trainer', 'ste', '--hidden', '16', '--batch', '32', '--seed', '7', '--split', '0.25', '--standardize', '--lr-start', '0.05', '--quiet'];
const PER_EPOCH = Math.ceil(Math.round(427 * 0.75) / 32); // 10 minibatches

async function train(extra: string[], o: { interrupted?: () => boolean } = {}) {
  return cli(['train', BC_TRAIN, ...COMMON, ...extra], { cwd: T.dir, ...o });
}

let reference: Buffer;
beforeAll(async () => {
  const r = await train(['--epochs', '4', '--out', 'full.ebpb']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  reference = fs.readFileSync(path.join(T.dir, 'full.ebpb'));
  expect(fs.existsSync(path.join(T.dir, 'full.ebpb.ckpt'))).toBe(false);
});

describe('the STE model file', () => {
  test('folded packed network, format version 2, STE metadata; no posterior and no training state', () => {
    const m = loadModel(path.join(T.dir, 'full.ebpb'));
    expect(m.formatVersion).toBe(2);
    expect(m.store).toBeNull();
    expect(m.meta.state).toBeUndefined();
    expect(m.meta.ste).toBeUndefined();
    const net = m.network as XnorNetwork;
    expect(net.sizes).toEqual([30, 16, 2]);
    expect(net.layers[0].threshold).not.toBeNull();
    expect(net.layers[1].scale).not.toBeNull();
    expect(m.meta.training!.config).toMatchObject({ trainer: 'ste', weights: 'binary', batch: 32, lrStart: 0.05, lrEnd: 0.0005, batchNorm: true, loss: 'squared-hinge', epochs: 4 });
    expect(m.meta.training!.result).toMatchObject({ epochsDone: 4, rows: 320, validationRows: 107 });
    expect(typeof m.meta.training!.result.validationError).toBe('number');
  });

  test('--json: epoch lines with the STE fields, a summary with testError', async () => {
    const r = await cli(['train', BC_TRAIN, ...COMMON.filter((a) => a !== '--quiet'), '--epochs', '2', '--json', '--out', 'j.ebpb'], opts);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const lines = jsonLines(r.stdout);
    expect(lines).toHaveLength(3);
    for (const [i, l] of lines.slice(0, 2).entries()) {
      expect(Object.keys(l)).toEqual(['epoch', 'epochs', 'meanLoss', 'lr', 'trainError', 'testError', 'seconds', 'evalSeconds', 'samplesPerSecond']);
      expect(l).toMatchObject({ epoch: i + 1, epochs: 2 });
      expect(l.testError as number).toBeGreaterThanOrEqual(0);
    }
    expect(lines[0].lr).toBe(0.05);
    expect(lines[1].lr).toBeCloseTo(0.005, 15);
    expect(lines[2]).toMatchObject({ summary: true, out: 'j.ebpb', trainer: 'ste', weights: 'binary', epochs: 2, batch: 32, lrStart: 0.05, lrEnd: 0.0005, batchNorm: true, loss: 'squared-hinge', rows: 320, validationRows: 107, resumed: false });
    expect(lines[2].testError as number).toBeLessThan(0.2);
    expect(lines[2]).not.toHaveProperty('testErrorP');
  });

  test('human output: STE lines and the final validation error', async () => {
    const r = await cli(['train', BC_TRAIN, ...COMMON.filter((a) => a !== '--quiet'), '--epochs', '2', '--out', 'h.ebpb'], opts);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('network 30-16-2, STE (binary weights, batch norm, squared-hinge loss, lr 0.05 -> 0.0005), batch 32, 2 epochs, seed 7');
    expect(r.stderr).toMatch(/^epoch 1\/2  loss \d+\.\d{4}  lr 5\.00e-2  train \d+\.\d\d%  test \d+\.\d\d%/m);
    expect(r.stdout).toMatch(/^model written to h\.ebpb \(\d+ bytes\); validation error: STE \d+\.\d\d%\n$/);
  });

  test('eval, predict and inspect use the packed STE network; probabilistic mode is refused', async () => {
    const m = loadModel(path.join(T.dir, 'full.ebpb'));
    const e = JSON.parse((await cli(['eval', 'full.ebpb', BC_TEST, '--json'], opts)).stdout);
    expect(e).toMatchObject({ mode: 'deterministic', rows: 142 });
    const p = await cli(['predict', 'full.ebpb', BC_TEST], opts);
    expect(p.code).toBe(0);
    expect(p.stdout.split('\n')[0]).toBe('prediction');
    const predicted = p.stdout.trim().split('\n').slice(1);
    expect(predicted).toHaveLength(142);
    const wrong = predicted.filter((c, i) => c !== String(readNumericCsv(BC_TEST).labels[i])).length;
    expect(e.errors).toBe(wrong);
    expect(m.network).toBeInstanceOf(XnorNetwork);
    const i = await cli(['inspect', 'full.ebpb'], opts);
    expect(i.code).toBe(0);
    expect(i.stdout).toContain('ebp-bnn inference file, format version 2');
    expect(i.stdout).toContain('STE model: the folded sign network (batch norm as thresholds, output scale and shift), no posterior: deterministic mode only');
    expect(i.stdout).toMatch(/training: STE, 4 of 4 epochs, batch 32, seed 7, hidden 16, lr 0\.05 -> 0\.0005, batch norm, squared-hinge loss, 320 rows of breast_cancer_train\.csv/);
    expect(i.stdout).toMatch(/validation: 107 rows split off \(--split 0\.25\), error STE \d+\.\d\d%/);
    const j = JSON.parse((await cli(['inspect', 'full.ebpb', '--json'], opts)).stdout);
    expect(j).toMatchObject({ formatVersion: 2, weights: 'binary', posterior: null, resumable: false, training: { trainer: 'ste', lrStart: 0.05 } });
    // realParams: hidden bias + threshold per neuron; output bias (shift) + scale per output.
    expect(j.layers.map((L: { realParams: number }) => L.realParams)).toEqual([32, 4]);
    const pr = await cli(['eval', 'full.ebpb', BC_TEST, '--mode', 'probabilistic'], opts);
    expect(pr.code).toBe(3);
    expect(pr.stderr).toBe('error: full.ebpb: --mode probabilistic needs a weight posterior, and an STE model has none (it is one deterministic sign network); use --mode deterministic.\n');
  });

  test('the CLI trains exactly what SteTrainer.fit computes (its epochs run in slices, same minibatches)', async () => {
    const r = await cli(['train', BC_TRAIN, '--trainer', 'ste', '--hidden', '16', '--epochs', '3', '--seed', '4', '--quiet', '--no-standardize', '--out', 'lib.ebpb'], opts);
    expect(r.code).toBe(0);
    const ds = readNumericCsv(BC_TRAIN);
    const t = SteTrainer.create({ inputs: 30, hidden: [16], outputs: 2, lrStart: 0.1, lrEnd: 0.001, lrEpochs: 3, seed: 4 });
    t.fit(ds, { epochs: 3, batchSize: 100 });
    const net = loadModel(path.join(T.dir, 'lib.ebpb')).network as XnorNetwork;
    const mine = XnorNetwork.fromSte(t);
    net.layers.forEach((L, l) => {
      const M = mine.layers[l];
      expect(Array.from(L.weights.data)).toEqual(Array.from(M.weights.data));
      expect(L.threshold && Array.from(L.threshold)).toEqual(M.threshold && Array.from(M.threshold));
      expect(L.scale && Array.from(L.scale)).toEqual(M.scale && Array.from(M.scale));
      expect(Array.from(L.bias)).toEqual(Array.from(M.bias));
    });
    const X = ds.X.data as Float64Array;
    expect(Array.from(net.predict(X))).toEqual(Array.from(t.predict(ds.X).classes));
  });
});

describe('checkpoints and --resume are exact', () => {
  test('a checkpoint holds the STE state: latent weights, Adam moments and step, lr horizon', async () => {
    let batches = 0;
    const r = await train(['--epochs', '4', '--out', 'snap.ebpb'], {
      interrupted: () => {
        if (batches++ === 2 * PER_EPOCH) fs.copyFileSync(path.join(T.dir, 'snap.ebpb.ckpt'), path.join(T.dir, 'snapshot.ckpt'));
        return false;
      },
    });
    expect(r.code).toBe(0);
    const m = loadModel(path.join(T.dir, 'snapshot.ckpt'));
    expect(m.meta.state).toMatchObject({ epochsDone: 2, batchesDone: 0 });
    expect(m.meta.ste).toMatchObject({ step: 2 * PER_EPOCH, lrEpochs: 4 });
    const L0 = m.meta.ste!.layers[0];
    expect(L0).toMatchObject({ inputs: 30, outputs: 16 });
    for (const k of ['weights', 'weightsM', 'weightsV']) expect((L0 as unknown as Record<string, Float64Array>)[k]).toHaveLength(480);
    for (const k of ['gamma', 'beta', 'runningMean', 'runningVar', 'gammaM', 'gammaV', 'betaM', 'betaV']) expect((L0 as unknown as Record<string, Float64Array>)[k]).toHaveLength(16);
    const i = await cli(['inspect', 'snapshot.ckpt'], opts);
    expect(i.stdout).toMatch(/STE state: latent weights, batch norm and Adam moments as float64, \d+ bytes \(--resume\)/);
    expect(JSON.parse((await cli(['inspect', 'snapshot.ckpt', '--json'], opts)).stdout).resumable).toBe(true);
    // kill -9 after epoch 2 of 4: the per-epoch checkpoint resumes to the bytes of the uninterrupted run.
    const again = await train(['--epochs', '4', '--out', 'from-snapshot.ebpb', '--resume', 'snapshot.ckpt']);
    expect(again.stderr).toBe('');
    expect(again.code).toBe(0);
    expect(fs.readFileSync(path.join(T.dir, 'from-snapshot.ebpb')).equals(reference)).toBe(true);
  });

  test('Ctrl-C at an epoch boundary writes a checkpoint and exits 130; --resume finishes to identical bytes', async () => {
    let batches = 0;
    const r = await train(['--epochs', '4', '--out', 'stopped.ebpb'], { interrupted: () => batches++ >= 2 * PER_EPOCH });
    expect(r.code).toBe(130);
    expect(fs.existsSync(path.join(T.dir, 'stopped.ebpb'))).toBe(false);
    expect(loadModel(path.join(T.dir, 'stopped.ebpb.ckpt')).meta.state).toMatchObject({ epochsDone: 2, batchesDone: 0 });
    const again = await train(['--epochs', '4', '--out', 'stopped.ebpb', '--resume', 'stopped.ebpb.ckpt']);
    expect(again.code).toBe(0);
    expect(fs.readFileSync(path.join(T.dir, 'stopped.ebpb')).equals(reference)).toBe(true);
    expect(fs.existsSync(path.join(T.dir, 'stopped.ebpb.ckpt'))).toBe(false);
  });

  test('Ctrl-C in the middle of an epoch (twice), resumed without repeating --trainer: identical bytes', async () => {
    let calls = 0;
    const r1 = await train(['--epochs', '4', '--out', 'mid.ebpb'], { interrupted: () => calls++ >= 14 });
    expect(r1.code).toBe(130);
    expect(r1.stderr).toContain('interrupted after epoch 1 and 4 minibatches');
    expect(loadModel(path.join(T.dir, 'mid.ebpb.ckpt')).meta.state).toMatchObject({ epochsDone: 1, batchesDone: 4 });
    calls = 0;
    const r2 = await train(['--epochs', '4', '--out', 'mid.ebpb', '--resume', 'mid.ebpb.ckpt'], { interrupted: () => calls++ >= 3 });
    expect(r2.code).toBe(130);
    expect(loadModel(path.join(T.dir, 'mid.ebpb.ckpt')).meta.state).toMatchObject({ epochsDone: 1, batchesDone: 7 });
    // The settings (trainer, lr, batch, ...) come from the checkpoint.
    const r3 = await cli(['train', BC_TRAIN, '--split', '0.25', '--standardize', '--epochs', '4', '--out', 'mid.ebpb', '--resume', 'mid.ebpb.ckpt', '--quiet'], opts);
    expect(r3.stderr).toBe('');
    expect(r3.code).toBe(0);
    expect(fs.readFileSync(path.join(T.dir, 'mid.ebpb')).equals(reference)).toBe(true);
  });

  test('flags that contradict an STE checkpoint are refused; a finished STE model cannot be resumed', async () => {
    let calls = 0;
    expect((await train(['--epochs', '3', '--out', 'c.ebpb'], { interrupted: () => calls++ >= 12 })).code).toBe(130);
    const lr = await train(['--epochs', '3', '--out', 'c.ebpb', '--resume', 'c.ebpb.ckpt', '--lr-start', '0.1']);
    expect(lr.code).toBe(1);
    expect(lr.stderr).toContain("error: --lr-start 0.1 differs from the checkpoint's 0.05 (c.ebpb.ckpt)");
    const tr = await train(['--epochs', '3', '--out', 'c.ebpb', '--resume', 'c.ebpb.ckpt', '--trainer', 'ebp']);
    expect(tr.code).toBe(1);
    expect(tr.stderr).toContain('error: --trainer "ebp" differs from the checkpoint\'s "ste"');
    const bn = await train(['--epochs', '3', '--out', 'c.ebpb', '--resume', 'c.ebpb.ckpt', '--no-batch-norm']);
    expect(bn.code).toBe(1);
    expect(bn.stderr).toContain("error: batch normalisation (--no-batch-norm) false differs from the checkpoint's true");
    const fin = await train(['--epochs', '5', '--out', 'more.ebpb', '--resume', 'full.ebpb']);
    expect(fin.code).toBe(3);
    expect(fin.stderr).toContain('error: full.ebpb is a finished STE model: it holds the folded network only');
  });
});

describe('flag checks', () => {
  test('STE flags need --trainer ste; --weights other than binary is refused with STE; STE flags are not for --dataset', async () => {
    const a = await cli(['train', BC_TRAIN, '--lr-start', '0.1', '--loss', 'softmax-ce', '--out', 'x.ebpb'], opts);
    expect(a.code).toBe(1);
    expect(a.stderr).toBe('error: --lr-start, --loss only apply to --trainer ste.\n');
    const b = await cli(['train', BC_TRAIN, '--trainer', 'ste', '--weights', 'ternary', '--out', 'x.ebpb'], opts);
    expect(b.code).toBe(1);
    expect(b.stderr).toBe('error: --trainer ste trains binary (±1) weights; --weights ternary is for --trainer ebp.\n');
    const c = await cli(['train', '--dataset', 'mnist', '--no-batch-norm'], opts);
    expect(c.code).toBe(1);
    expect(c.stderr).toContain('--no-batch-norm only applies to CSV training');
    const d = await cli(['train', BC_TRAIN, '--trainer', 'ste', '--lr-start', '-1'], opts);
    expect(d.code).toBe(1);
    expect(d.stderr).toContain("expected a positive number like 0.01 or 1e-3, got '-1'.");
  });

  test('no batch norm and softmax cross-entropy train and predict', async () => {
    const r = await cli(['train', BC_TRAIN, '--trainer', 'ste', '--hidden', '8', '--epochs', '2', '--split', '0.25', '--standardize', '--no-batch-norm', '--loss', 'softmax-ce', '--lr-start', '0.01', '--lr-end', '0.002', '--json', '--out', 'nb.ebpb'], opts);
    expect(r.code).toBe(0);
    const s = jsonLines(r.stdout).pop()!;
    expect(s).toMatchObject({ batchNorm: false, loss: 'softmax-ce', lrStart: 0.01, lrEnd: 0.002, batch: 100 });
    expect((await cli(['eval', 'nb.ebpb', BC_TEST], opts)).code).toBe(0);
  });
});
