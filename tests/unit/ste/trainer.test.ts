// SteTrainer: learning-rate schedule, weight clipping, determinism (same seed → same bytes; JS kernels = WebAssembly
// kernels), report shape, argument and data errors, minibatch edge cases.
import * as path from 'path';
import { SteTrainer, makeDataset, matrix, createRng, ArgumentError, ShapeError, DataError, type Dataset } from '../../../src';
import { readNumericCsv } from '../../../src/node/csv-numeric';
import { expectClose } from '../../helpers/close';

const DIGITS = path.join(__dirname, '..', '..', 'fixtures', 'digits');

function digits(file: string): Dataset {
  const d = readNumericCsv(path.join(DIGITS, file));
  return { ...d, X: matrix(d.X.data.map((v) => v / 16), d.X.shape[0], d.X.shape[1]) };
}

function randomData(n: number, features: number, classes: number, seed: number): Dataset {
  const rng = createRng(seed);
  const X = new Float64Array(n * features).map(() => rng.next());
  const labels = Int32Array.from({ length: n }, () => rng.int(classes));
  return makeDataset({ X: matrix(X, n, features), labels, numClasses: classes });
}

const bytesOf = (a: Float64Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

describe('learning-rate schedule', () => {
  test('epoch e uses lrStart·(lrEnd/lrStart)^(e/T): endpoints lrAt(0) = lrStart, lrAt(T) = lrEnd', () => {
    const t = SteTrainer.create({ inputs: 3, outputs: 2, lrStart: 0.1, lrEnd: 0.001, lrEpochs: 5 });
    expect(t.lrAt(0)).toBe(0.1);
    expectClose(t.lrAt(5), 0.001, { rtol: 1e-14 });
    expectClose(t.lrAt(2.5), 0.01, { rtol: 1e-14 });
    expectClose(t.lrAt(10), 0.00001, { rtol: 1e-13 });
  });

  test('without lrEpochs the first fit call sets T = its epochs; reports carry each epoch\'s lr', () => {
    const t = SteTrainer.create({ inputs: 5, hidden: [8], outputs: 3, lrStart: 0.2, lrEnd: 0.002, seed: 3 });
    expect(t.lrEpochs).toBeUndefined();
    const r = t.fit(randomData(40, 5, 3, 1), { epochs: 4, batchSize: 10 });
    expect(t.lrEpochs).toBe(4);
    expect(r.epochs.map((e) => e.epoch)).toEqual([1, 2, 3, 4]);
    expect(r.epochs[0].lr).toBe(0.2);
    r.epochs.forEach((e, i) => expectClose(e.lr, 0.2 * Math.pow(0.01, i / 4), { rtol: 1e-14 }));
    // A second call continues the schedule (epoch index 4 = T gives lrEnd).
    const r2 = t.fit(randomData(40, 5, 3, 1), { epochs: 1, batchSize: 10 });
    expectClose(r2.epochs[0].lr, 0.002, { rtol: 1e-14 });
    expect(r2.epochs[0].epoch).toBe(5);
  });
});

describe('weights', () => {
  test('latent weights start uniform in [−1, 1] and stay clipped to [−1, 1] even with a huge learning rate', () => {
    const t = SteTrainer.create({ inputs: 20, hidden: [16], outputs: 4, lrStart: 5, lrEnd: 5, seed: 2 });
    const w0 = t.parameters()[0].weights;
    expect(Math.min(...w0)).toBeGreaterThanOrEqual(-1);
    expect(Math.max(...w0)).toBeLessThan(1);
    t.fit(randomData(200, 20, 4, 2), { epochs: 2, batchSize: 20 });
    for (const p of t.parameters()) {
      expect(p.weights.every((w) => w >= -1 && w <= 1)).toBe(true);
      const atBound = p.weights.filter((w) => Math.abs(w) === 1).length;
      expect(atBound).toBeGreaterThan(p.weights.length / 2);
    }
  });

  test('setParameters clips weights and rejects wrong lengths and non-finite values', () => {
    const t = SteTrainer.create({ inputs: 2, outputs: 2, lrStart: 0.1, lrEnd: 0.01 });
    t.setParameters([{ weights: Float64Array.of(3, -7, 0.5, -0) }]);
    expect(Array.from(t.parameters()[0].weights)).toEqual([1, -1, 0.5, -0]);
    expect(() => t.setParameters([{ weights: Float64Array.of(1, 2, 3) }])).toThrow(ArgumentError);
    expect(() => t.setParameters([{ gamma: Float64Array.of(1, NaN) }])).toThrow(/finite/);
    expect(() => t.setParameters([])).toThrow(ArgumentError);
  });
});

describe('determinism', () => {
  const train = digits('digits_train.csv');

  function run(seed: number, backend: 'js' | 'wasm' | 'auto', fitSeed?: number) {
    const t = SteTrainer.create({ inputs: 64, hidden: [32], outputs: 10, lrStart: 0.03, lrEnd: 0.0003, seed, backend });
    const r = t.fit(train, { epochs: 2, batchSize: 50, seed: fitSeed });
    return { t, r };
  }

  test('same seed → identical weights, batch-norm state and losses (byte for byte); another seed differs', () => {
    const a = run(5, 'auto');
    const b = run(5, 'auto');
    const c = run(6, 'auto');
    const pa = a.t.parameters();
    const pb = b.t.parameters();
    pa.forEach((p, l) => {
      expect(bytesOf(p.weights).equals(bytesOf(pb[l].weights))).toBe(true);
      expect(bytesOf(p.gamma as Float64Array).equals(bytesOf(pb[l].gamma as Float64Array))).toBe(true);
      expect(bytesOf(p.runningVar as Float64Array).equals(bytesOf(pb[l].runningVar as Float64Array))).toBe(true);
    });
    expect(a.r.epochs.map((e) => e.meanLoss)).toEqual(b.r.epochs.map((e) => e.meanLoss));
    expect(bytesOf(c.t.parameters()[0].weights).equals(bytesOf(pa[0].weights))).toBe(false);
    // fit's seed fixes the data order independently of the construction seed's stream.
    const d = run(5, 'auto', 99);
    expect(bytesOf(d.t.parameters()[0].weights).equals(bytesOf(pa[0].weights))).toBe(false);
  });

  test('the JS kernels and the WebAssembly kernels train to the same bytes', () => {
    const js = run(7, 'js');
    const wasm = run(7, 'wasm');
    expect(js.t.backend).toBe('js');
    expect(wasm.t.backend).toBe('wasm');
    const pj = js.t.parameters();
    wasm.t.parameters().forEach((p, l) => {
      expect(bytesOf(p.weights).equals(bytesOf(pj[l].weights))).toBe(true);
      expect(bytesOf(p.beta as Float64Array).equals(bytesOf(pj[l].beta as Float64Array))).toBe(true);
      expect(bytesOf(p.runningMean as Float64Array).equals(bytesOf(pj[l].runningMean as Float64Array))).toBe(true);
    });
    const testSet = digits('digits_test.csv');
    const sj = js.t.predict(testSet.X).scores.data;
    const sw = wasm.t.predict(testSet.X).scores.data;
    expect(bytesOf(sj as Float64Array).equals(bytesOf(sw as Float64Array))).toBe(true);
  });
});

describe('fit and evaluate', () => {
  test('report fields; online train error; validation error equals evaluate; predict shapes', () => {
    const data = randomData(300, 12, 3, 4);
    const val = randomData(50, 12, 3, 5);
    const t = SteTrainer.create({ inputs: 12, hidden: [10], outputs: 3, lrStart: 0.01, lrEnd: 0.001, seed: 1 });
    const seen: number[] = [];
    const r = t.fit(data, { epochs: 2, batchSize: 64, validation: val, onBatch: (b) => seen.push(b.samples) });
    expect(seen.slice(0, 5)).toEqual([64, 128, 192, 256, 300]);
    const e = r.epochs[1];
    for (const k of ['meanLoss', 'trainError', 'validationError', 'seconds', 'samplesPerSecond', 'lr'] as const) expect(Number.isFinite(e[k])).toBe(true);
    expect(e.trainError).toBeGreaterThanOrEqual(0);
    expect(e.trainError).toBeLessThanOrEqual(1);
    expect(e.skippedRows).toBe(0);
    expect(e.validationError).toBe(t.evaluate(val).error);
    const p = t.predict(val.X);
    expect(p.scores.shape).toEqual([50, 3]);
    expect(p.classes.length).toBe(50);
    const wrong = p.classes.reduce((s, c, i) => s + (c !== val.labels[i] ? 1 : 0), 0);
    expect(t.evaluate(val).error).toBe(wrong / 50);
    expect(t.fit(data, { epochs: 1, trainError: 'none' }).epochs[0].trainError).toBeNaN();
  });

  test('a last minibatch of one row is skipped with batch norm (as the reference), used without it', () => {
    const data = randomData(201, 6, 2, 6);
    const bn = SteTrainer.create({ inputs: 6, outputs: 2, lrStart: 0.01, lrEnd: 0.001 });
    expect(bn.fit(data, { epochs: 1, batchSize: 100 }).epochs[0].skippedRows).toBe(1);
    const plain = SteTrainer.create({ inputs: 6, outputs: 2, batchNorm: false, lrStart: 0.01, lrEnd: 0.001 });
    expect(plain.fit(data, { epochs: 1, batchSize: 100 }).epochs[0].skippedRows).toBe(0);
  });

  test('one output serves two classes (squared hinge): class 1 iff score ≥ 0', () => {
    const data = randomData(100, 4, 2, 8);
    const t = SteTrainer.create({ inputs: 4, hidden: [6], outputs: 1, lrStart: 0.01, lrEnd: 0.001 });
    t.fit(data, { epochs: 2, batchSize: 25 });
    const p = t.predict(data.X);
    p.classes.forEach((c, i) => expect(c).toBe(p.scores.data[i] >= 0 ? 1 : 0));
  });

  test('onEpoch returning false and shouldStop end training early', () => {
    const data = randomData(100, 4, 2, 9);
    const t = SteTrainer.create({ inputs: 4, outputs: 2, lrStart: 0.01, lrEnd: 0.001 });
    expect(t.fit(data, { epochs: 5, batchSize: 10, onEpoch: (r) => r.epoch < 2 }).epochs.length).toBe(2);
    let calls = 0;
    const r = t.fit(data, { epochs: 3, batchSize: 10, shouldStop: () => ++calls > 4 });
    expect(r.epochs.length).toBe(1);
    expect(r.epochs[0].interrupted).toBe(true);
    expect(t.epoch).toBe(2);
  });

  test('a larger minibatch re-creates the storage without changing the network', () => {
    const data = randomData(400, 9, 3, 10);
    const t = SteTrainer.create({ inputs: 9, hidden: [7], outputs: 3, lrStart: 0.01, lrEnd: 0.001, seed: 4 });
    t.fit(data, { epochs: 1, batchSize: 10 });
    const before = t.predict(data.X).scores.data.slice();
    t.network.ensureCapacity(400);
    expect(Array.from(t.predict(data.X).scores.data)).toEqual(Array.from(before));
    t.fit(data, { epochs: 1, batchSize: 400 });
    expect(t.parameters()[0].weights.every((w) => Math.abs(w) <= 1)).toBe(true);
  });
});

describe('errors', () => {
  test('invalid configuration raises ArgumentError (code ebp.invalidArgument)', () => {
    const base = { inputs: 3, outputs: 2, lrStart: 0.1, lrEnd: 0.01 };
    expect(() => SteTrainer.create({ ...base, lrStart: 0 })).toThrow(ArgumentError);
    expect(() => SteTrainer.create({ ...base, lrEnd: NaN })).toThrow(ArgumentError);
    expect(() => SteTrainer.create({ ...base, hidden: [0] })).toThrow(ArgumentError);
    expect(() => SteTrainer.create({ ...base, outputs: 1, loss: 'softmax-ce' })).toThrow(ArgumentError);
    expect(() => SteTrainer.create({ ...base, loss: 'mse' as never })).toThrow(ArgumentError);
    expect(() => SteTrainer.create({ ...base, backend: 'gpu' as never })).toThrow(ArgumentError);
    try {
      SteTrainer.create({ ...base, inputs: 2.5 });
    } catch (e) {
      expect((e as ArgumentError).code).toBe('ebp.invalidArgument');
    }
    const t = SteTrainer.create(base);
    expect(() => t.fit(randomData(10, 3, 2, 1), { batchSize: 0 })).toThrow(ArgumentError);
    expect(() => t.fit(randomData(10, 3, 2, 1), { epochs: -1 })).toThrow(ArgumentError);
  });

  test('data of the wrong shape raises ShapeError, non-finite features DataError', () => {
    const t = SteTrainer.create({ inputs: 3, outputs: 2, lrStart: 0.1, lrEnd: 0.01 });
    expect(() => t.fit(randomData(10, 4, 2, 1))).toThrow(ShapeError);
    expect(() => t.fit(randomData(10, 3, 3, 1))).toThrow(ShapeError);
    expect(() => t.predict(matrix([[1, 2]]))).toThrow(ShapeError);
    const bad = randomData(10, 3, 2, 1);
    bad.X.data[4] = NaN;
    expect(() => t.fit(bad)).toThrow(DataError);
    expect(() => t.predict(bad.X)).toThrow(DataError);
    expect(() => t.gradients(matrix([[1, 2, 3]]), Int32Array.of(0))).toThrow(ArgumentError);
  });
});
