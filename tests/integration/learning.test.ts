// Learning on the digits fixture (8x8 handwritten digits, 1352 train / 445 test rows): 64-100-10 EBP with binary
// and Gaussian weights, 10 epochs of minibatches of 10. Also: training is deterministic, the per-epoch report is
// sane, and the online training-error evaluation does not change what is learned.
import * as path from 'path';
import { EbpTrainer, evaluateErrors, predict, makeDataset, matrix, DIVERGENCE_NEG_LOG_Z, type Dataset, type TrainReport } from '../../src';
import { readNumericCsv } from '../../src/node';

const DIR = path.join(__dirname, '..', 'fixtures', 'digits');

function load(name: string): Dataset {
  const ds = readNumericCsv(path.join(DIR, `digits_${name}.csv`));
  const d = ds.X.data;
  for (let i = 0; i < d.length; i++) d[i] /= 16; // features 0..16 → [0, 1]
  return ds;
}

const train = load('train');
const test_ = load('test');

interface Run {
  trainer: EbpTrainer;
  report: TrainReport;
  errorP: number;
  errorD: number;
}

function run(weights: 'binary' | 'gaussian', trainError: 'online' | 'none' = 'online', epochs = 10, seed = 1): Run {
  const trainer = EbpTrainer.create({ inputs: 64, hidden: [100], outputs: 10, weights, seed: 1 });
  const report = trainer.fit(train, { epochs, batchSize: 10, seed, trainError });
  const { errorP, errorD } = trainer.evaluate(test_);
  return { trainer, report, errorP, errorD };
}

function hBytes(t: EbpTrainer): Buffer {
  return Buffer.concat(t.store.layers.flatMap((L) => [Buffer.from(L.h.buffer, L.h.byteOffset, L.h.byteLength), Buffer.from(L.b.buffer, L.b.byteOffset, L.b.byteLength)]));
}

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;

describe('EBP on digits (64-100-10, 10 epochs, batch 10)', () => {
  let binary: Run;
  let gaussian: Run;

  beforeAll(() => {
    expect(train.X.shape).toEqual([1352, 64]);
    expect(test_.X.shape).toEqual([445, 64]);
    expect(train.numClasses).toBe(10);
    binary = run('binary');
    gaussian = run('gaussian');
    for (const [name, r] of [['binary', binary], ['gaussian', gaussian]] as const) {
      const e = r.report.epochs;
      console.log(
        `digits ${name}: test error EBP-P ${pct(r.errorP)}, EBP-D ${pct(r.errorD)}; ` +
          `meanNegLogZ epoch 1 ${e[0].meanNegLogZ.toFixed(4)} → epoch 10 ${e[9].meanNegLogZ.toFixed(4)}; ` +
          `online train error EBP-P epoch 1 ${pct(e[0].trainErrorP)} → epoch 10 ${pct(e[9].trainErrorP)}; ` +
          `${Math.round(e.reduce((s, x) => s + x.samplesPerSecond, 0) / e.length)} samples/s (${r.trainer.store.backend})`,
      );
    }
  });

  test('binary weights: EBP-P test error ≤ 8%', () => {
    expect(binary.errorP).toBeLessThanOrEqual(0.08);
    // EBP-D (the single sign(h) network) is a valid classifier too, though worse than EBP-P for binary weights.
    expect(binary.errorD).toBeLessThan(0.5);
  });

  test('Gaussian weights: EBP-P test error ≤ 8%', () => {
    expect(gaussian.errorP).toBeLessThanOrEqual(0.08);
    expect(gaussian.errorD).toBeLessThan(0.5);
  });

  test('evaluate() agrees with predict() on the test set', () => {
    const P = predict(binary.trainer.store, test_.X, 'probabilistic');
    const D = predict(binary.trainer.store, test_.X, 'deterministic');
    let eP = 0;
    let eD = 0;
    for (let i = 0; i < test_.labels.length; i++) {
      if (P.classes[i] !== test_.labels[i]) eP++;
      if (D.classes[i] !== test_.labels[i]) eD++;
    }
    expect(eP / test_.labels.length).toBe(binary.errorP);
    expect(eD / test_.labels.length).toBe(binary.errorD);
    expect(evaluateErrors(binary.trainer.store, test_)).toEqual({ errorP: binary.errorP, errorD: binary.errorD });
  });

  test.each(['binary', 'gaussian'] as const)('per-epoch report (%s): 10 epochs, finite values, meanNegLogZ decreasing from epoch 1 to 10', (w) => {
    const r = w === 'binary' ? binary : gaussian;
    const e = r.report.epochs;
    expect(e.map((x) => x.epoch)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(r.trainer.epoch).toBe(10);
    for (const x of e) {
      expect(Number.isFinite(x.meanNegLogZ)).toBe(true);
      expect(x.meanNegLogZ).toBeGreaterThan(0); // −log Φ > 0
      expect(x.trainErrorP).toBeGreaterThanOrEqual(0);
      expect(x.trainErrorP).toBeLessThanOrEqual(1);
      expect(x.trainErrorD).toBeGreaterThanOrEqual(0);
      expect(x.trainErrorD).toBeLessThanOrEqual(1);
      expect(Number.isNaN(x.validationErrorP)).toBe(true); // no validation data given
      expect(x.interrupted).toBeUndefined();
      expect(x.seconds).toBeGreaterThanOrEqual(0);
    }
    expect(e[9].meanNegLogZ).toBeLessThan(e[0].meanNegLogZ);
    // Mostly monotone: at most 2 of the 9 epoch-to-epoch changes go up.
    let ups = 0;
    for (let i = 1; i < 10; i++) if (e[i].meanNegLogZ > e[i - 1].meanNegLogZ) ups++;
    expect(ups).toBeLessThanOrEqual(2);
    expect(e[9].trainErrorP).toBeLessThan(e[0].trainErrorP);
    r.trainer.store.assertFinite();
  });

  // The two checks below use 2-epoch runs to keep the file fast (jest's sandbox runs the training loop several
  // times slower than plain node); they compare runs of equal length bit for bit.
  let short: Run;
  const shortRun = () => (short ??= run('binary', 'online', 2));

  test('training is deterministic: the same seeds give identical h and b bytes', () => {
    const a = shortRun();
    const again = run('binary', 'online', 2);
    expect(hBytes(again.trainer).equals(hBytes(a.trainer))).toBe(true);
    expect(again.report.epochs.map((x) => x.meanNegLogZ)).toEqual(a.report.epochs.map((x) => x.meanNegLogZ));
    expect(again.report.epochs.map((x) => x.trainErrorP)).toEqual(a.report.epochs.map((x) => x.trainErrorP));
    expect(again.errorP).toBe(a.errorP);
    // A different data-order seed gives a different result (the seed is really used).
    const other = run('binary', 'online', 2, 2);
    expect(hBytes(other.trainer).equals(hBytes(a.trainer))).toBe(false);
  });

  test("trainError 'none': NaN training errors, but the same final h as 'online'", () => {
    const online = shortRun();
    const none = run('binary', 'none', 2);
    for (const x of none.report.epochs) {
      expect(Number.isNaN(x.trainErrorP)).toBe(true);
      expect(Number.isNaN(x.trainErrorD)).toBe(true);
      expect(Number.isFinite(x.meanNegLogZ)).toBe(true);
    }
    expect(online.report.epochs.every((x) => Number.isFinite(x.trainErrorP) && Number.isFinite(x.trainErrorD))).toBe(true);
    expect(hBytes(none.trainer).equals(hBytes(online.trainer))).toBe(true);
    expect(none.report.epochs.map((x) => x.meanNegLogZ)).toEqual(online.report.epochs.map((x) => x.meanNegLogZ));
    expect(none.errorP).toBe(online.errorP);
  });
});

describe('fitAsync, mid-epoch resume and divergence flag', () => {
  test('fitAsync gives the same posterior as fit, and an interrupted run resumed with startBatch matches too', async () => {
    const a = EbpTrainer.create({ inputs: 64, hidden: [20], outputs: 10, seed: 5 });
    a.fit(train, { epochs: 2, seed: 9 });
    const b = EbpTrainer.create({ inputs: 64, hidden: [20], outputs: 10, seed: 5 });
    await b.fitAsync(train, { epochs: 2, seed: 9, sliceMs: 1 });
    expect(hBytes(b).equals(hBytes(a))).toBe(true);

    // stop after 37 minibatches of epoch 2, then resume from the epoch's start state
    const c = EbpTrainer.create({ inputs: 64, hidden: [20], outputs: 10, seed: 5 });
    let batches = 0;
    c.fit(train, { epochs: 1, seed: 9 });
    const cut = c.fit(train, { epochs: 1, shouldStop: () => batches++ === 37 });
    expect(cut.interrupted).toBe(true);
    expect(cut.batchesDone).toBe(37);
    expect(c.epoch).toBe(1);
    c.setRngState(cut.epochStartRng);
    const rest = c.fit(train, { epochs: 1, startBatch: cut.batchesDone });
    expect(rest.interrupted).toBe(false);
    expect(c.epoch).toBe(2);
    expect(hBytes(c).equals(hBytes(a))).toBe(true);
  });

  test('an epoch whose mean −log Z runs away is flagged as diverged', () => {
    // Saturated inputs (all ±1, many constant) with summed increments over batches of 50 overshoot.
    const n = 200;
    const X = new Float64Array(n * 8);
    const labels = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      labels[i] = i % 2;
      for (let j = 0; j < 8; j++) X[i * 8 + j] = j < 6 ? 1 : labels[i] === 1 ? 1 : -1;
    }
    const data = makeDataset({ X: matrix(X, n, 8), labels, numClasses: 2 });
    const t = EbpTrainer.create({ inputs: 8, hidden: [4], outputs: 2, seed: 1 });
    const r = t.fit(data, { epochs: 6, batchSize: 50, seed: 1 });
    expect(r.epochs.some((e) => e.diverged)).toBe(true);
    for (const e of r.epochs) expect(Boolean(e.diverged)).toBe(e.meanNegLogZ > DIVERGENCE_NEG_LOG_Z);
    // the same data one row at a time does not run away
    const s = EbpTrainer.create({ inputs: 8, hidden: [4], outputs: 2, seed: 1 });
    const q = s.fit(data, { epochs: 6, batchSize: 1, seed: 1 });
    expect(q.epochs.every((e) => !e.diverged)).toBe(true);
  });
});
