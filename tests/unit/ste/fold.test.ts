// Folding a trained STE network into the sign network of the packed engine (SteTrainer.toSignNetwork): the folded
// rule (flip ? −1 : 1)·(W·v − threshold) ≥ 0 reproduces predict's hidden decisions sign(fl(fl(a·scale) + shift))
// for every a (checked at and around every threshold), and running the sign network (written out here from the
// exported arrays only) gives exactly predict's scores and classes on random data and on digits, including
// negative γ (flip), γ = 0 (constant neurons), a zero latent weight (sign(0) = +1), no batch norm, two hidden layers.
import * as path from 'path';
import { SteTrainer, matrix, createRng, makeDataset, type Dataset, type SignNetwork } from '../../../src';
import { foldNeuron, firesAffine, firesFolded } from '../../../src/ste';
import { readNumericCsv } from '../../../src/node/csv-numeric';

const DIGITS = path.join(__dirname, '..', '..', 'fixtures', 'digits');
function digits(file: string): Dataset {
  const d = readNumericCsv(path.join(DIGITS, file));
  return { ...d, X: matrix(d.X.data.map((v) => v / 16), d.X.shape[0], d.X.shape[1]) };
}

const view = new DataView(new ArrayBuffer(8));
function nextUp(x: number): number {
  if (x === 0) return Number.MIN_VALUE;
  view.setFloat64(0, x);
  const b = view.getBigInt64(0);
  view.setBigInt64(0, x > 0 ? b + 1n : b - 1n);
  return view.getFloat64(0);
}
function nextDown(x: number): number {
  return -nextUp(-x);
}

/** The sign network, run from its exported arrays: float64 W·v in input order, the folded rule, the last affine map. */
function runSignNetwork(net: SignNetwork, X: Float64Array, rows: number): { scores: Float64Array; classes: Int32Array } {
  const L = net.layers.length;
  const KL = net.layers[L - 1].outputs;
  const scores = new Float64Array(rows * KL);
  const classes = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let v = Array.from(X.subarray(r * net.sizes[0], (r + 1) * net.sizes[0]));
    for (let l = 0; l < L; l++) {
      const { inputs, outputs, weights, threshold, flip, scale, shift } = net.layers[l];
      const a = Array.from({ length: outputs }, (_, n) => {
        let s = 0;
        for (let k = 0; k < inputs; k++) s += weights[n * inputs + k] * v[k];
        return s;
      });
      if (l + 1 < L) {
        v = a.map((x, n) => ((flip[n] ? -1 : 1) * (x - threshold[n]) >= 0 ? 1 : -1));
      } else {
        a.forEach((x, n) => (scores[r * KL + n] = x * (scale as Float64Array)[n] + (shift as Float64Array)[n]));
        let best = 0;
        for (let n = 1; n < KL; n++) if (scores[r * KL + n] > scores[r * KL + best]) best = n;
        classes[r] = KL === 1 ? (scores[r] >= 0 ? 1 : 0) : best;
      }
    }
  }
  return { scores, classes };
}

function expectSameAsPredict(t: SteTrainer, X: Float64Array, rows: number, what: string): void {
  const net = t.toSignNetwork();
  const mine = runSignNetwork(net, X, rows);
  const p = t.predict(matrix(X, rows, t.sizes[0]));
  expect(Buffer.from(mine.scores.buffer).equals(Buffer.from((p.scores.data as Float64Array).buffer, 0, rows * t.sizes[t.sizes.length - 1] * 8))).toBe(true);
  let diff = 0;
  for (let r = 0; r < rows; r++) if (mine.classes[r] !== p.classes[r]) diff++;
  if (diff > 0) throw new Error(`${what}: ${diff} of ${rows} classes differ`);
}

describe('foldNeuron', () => {
  test('the folded rule equals predict\'s decision at, just below and just above every threshold and at random points', () => {
    const rng = createRng(11);
    const cases: [number, number][] = [[1, 0], [-1, 0], [0, 1], [0, -1], [0, 0], [-0, 0], [3.7, -2.2], [-0.25, 5], [1e-300, 1e-10], [-1e300, 1e-300], [2, 1e308], [-2, 1e308], [1e-320, -1]];
    for (let i = 0; i < 400; i++) {
      const scale = (rng.next() < 0.3 ? -1 : 1) * Math.exp(8 * rng.normal());
      const shift = rng.normal() * Math.exp(4 * rng.normal());
      cases.push([scale, shift]);
    }
    let checked = 0;
    for (const [scale, shift] of cases) {
      const { threshold, flip } = foldNeuron(scale, shift);
      expect(flip).toBe(scale < 0 ? 1 : 0);
      const probes = [-1e300, -7, -1, -0.5, 0, 0.5, 1, 7, 1e300];
      if (Number.isFinite(threshold)) {
        let x = threshold;
        for (let k = 0; k < 3; k++) x = nextDown(x);
        for (let k = 0; k < 7; k++, x = nextUp(x)) probes.push(x);
        probes.push(Math.floor(threshold), Math.ceil(threshold), -shift / scale);
      }
      for (let k = 0; k < 20; k++) probes.push(200 * rng.normal());
      for (const a of probes) {
        if (firesFolded(a, threshold, flip) !== firesAffine(a, scale, shift)) throw new Error(`scale ${scale}, shift ${shift}, a ${a}: folded (t=${threshold}, flip ${flip}) disagrees`);
        checked++;
      }
      // Ties: a = threshold fires (+1).
      if (Number.isFinite(threshold)) expect(firesFolded(threshold, threshold, flip)).toBe(true);
    }
    expect(checked).toBeGreaterThan(10000);
  });

  test('scale = 0 gives a constant neuron; scale > 0 has threshold ≈ −shift/scale', () => {
    expect(foldNeuron(0, 0.5)).toEqual({ threshold: -Infinity, flip: 0 });
    expect(foldNeuron(0, -0.5)).toEqual({ threshold: Infinity, flip: 0 });
    const f = foldNeuron(2, -3);
    expect(f.flip).toBe(0);
    expect(f.threshold).toBe(1.5);
    const g = foldNeuron(-2, -3);
    expect(g).toEqual({ threshold: -1.5, flip: 1 });
  });
});

describe('toSignNetwork', () => {
  const train = digits('digits_train.csv');
  const testSet = digits('digits_test.csv');

  test('exported layer shapes, ±1 weights = sign of the latent weights with sign(0) = +1, scale/shift on the last layer', () => {
    const t = SteTrainer.create({ inputs: 64, hidden: [20], outputs: 10, lrStart: 0.03, lrEnd: 0.0003, seed: 2 });
    t.fit(train, { epochs: 2 });
    const p = t.parameters();
    p[0].weights[5] = 0;
    t.setParameters([{ weights: p[0].weights }, {}]);
    const net = t.toSignNetwork();
    expect(net.sizes).toEqual([64, 20, 10]);
    expect(net.layers.map((l) => [l.inputs, l.outputs])).toEqual([[64, 20], [20, 10]]);
    expect(net.layers[0].weights[5]).toBe(1);
    net.layers.forEach((l, i) => {
      expect(l.weights.length).toBe(l.inputs * l.outputs);
      l.weights.forEach((w, j) => expect(w).toBe(p[i].weights[j] >= 0 ? 1 : -1));
      expect(l.threshold.length).toBe(l.outputs);
      expect(l.flip).toBeInstanceOf(Uint8Array);
    });
    expect(net.layers[0].scale).toBeUndefined();
    expect(net.layers[1].scale?.length).toBe(10);
    expect(net.layers[1].shift?.length).toBe(10);
  });

  test('trained on digits, with negative and zero γ: exactly predict\'s scores and classes on digits and on random data', () => {
    const t = SteTrainer.create({ inputs: 64, hidden: [40], outputs: 10, lrStart: 0.1, lrEnd: 0.001, seed: 3 });
    t.fit(train, { epochs: 5 });
    expectSameAsPredict(t, testSet.X.data, 445, 'digits test');
    // Flip some γ, zero one, give one hidden neuron a huge shift (constant +1).
    const p = t.parameters();
    const g0 = (p[0].gamma as Float64Array).slice();
    const b0 = (p[0].beta as Float64Array).slice();
    for (let n = 0; n < 40; n += 3) g0[n] = -g0[n];
    g0[1] = 0;
    b0[1] = -0.2;
    g0[4] = 0;
    b0[4] = 0.3;
    b0[7] = 1e6;
    const g1 = (p[1].gamma as Float64Array).slice();
    g1[2] = -g1[2];
    t.setParameters([{ gamma: g0, beta: b0 }, { gamma: g1 }]);
    const net = t.toSignNetwork();
    net.layers[0].flip.forEach((f, n) => expect(f).toBe(g0[n] < 0 ? 1 : 0));
    expect(net.layers[0].flip.filter((f) => f === 1).length).toBeGreaterThanOrEqual(10);
    expect(net.layers[0].threshold[1]).toBe(Infinity);
    expect(net.layers[0].threshold[4]).toBe(-Infinity);
    expectSameAsPredict(t, testSet.X.data, 445, 'digits test, flipped γ');
    expectSameAsPredict(t, train.X.data, 1352, 'digits train, flipped γ');
    const rng = createRng(4);
    const R = new Float64Array(2000 * 64).map(() => rng.next() * (rng.next() < 0.5 ? 1 : 3));
    expectSameAsPredict(t, R, 2000, 'uniform random inputs');
  });

  test('no batch norm (threshold ≈ −bias) and two hidden layers: exactly predict on random data', () => {
    const rng = createRng(5);
    const data = makeDataset({ X: matrix(new Float64Array(300 * 30).map(() => rng.normal()), 300, 30), labels: Int32Array.from({ length: 300 }, () => rng.int(4)), numClasses: 4 });
    for (const batchNorm of [false, true]) {
      const t = SteTrainer.create({ inputs: 30, hidden: [25, 17], outputs: 4, batchNorm, lrStart: 0.05, lrEnd: 0.001, seed: 6 });
      t.fit(data, { epochs: 3, batchSize: 32 });
      if (!batchNorm) {
        const bias = t.parameters()[0].bias as Float64Array;
        const net = t.toSignNetwork();
        // Exactly the boundary of fl(fl(a·c) + fl(b·c)) ≥ 0, c = 1/√(K+1): −b up to an ulp or two.
        bias.forEach((b, n) => expect(Math.abs(net.layers[0].threshold[n] + b)).toBeLessThanOrEqual(4e-16 * Math.max(1, Math.abs(b))));
      }
      const R = new Float64Array(1000 * 30).map(() => 2 * rng.normal());
      expectSameAsPredict(t, R, 1000, `random, batchNorm ${batchNorm}`);
      expectSameAsPredict(t, data.X.data, 300, `training rows, batchNorm ${batchNorm}`);
    }
  });
});
