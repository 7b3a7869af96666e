// STE networks on the packed engine (XnorNetwork.fromSte): the packed scores are SteTrainer.predict's scores, bit
// for bit, on binarised inputs and on bit-plane inputs whose grid sums exactly (digits' k/16, q/256), and to
// rounding (1e-9 of the row's largest score) on real inputs; the classes are identical. Random networks with
// negative γ (flipped neurons), zero γ (constant neurons), thresholds hit exactly by integer dot products (ties),
// tied output scores, no batch norm, no hidden layer, two hidden layers and one output; both kernel backends.
import * as path from 'path';
import { SteTrainer, XnorNetwork, createRng, encodeModel, decodeModel, matrix, type Dataset, type InputEncoding, type Rng, type XnorBackend } from '../../../src';
import { readNumericCsv } from '../../../src/node/csv-numeric';

const BACKENDS: XnorBackend[] = ['js', 'wasm'];

const DIGITS = path.join(__dirname, '..', '..', 'fixtures', 'digits');
function digits(file: string): Dataset {
  const d = readNumericCsv(path.join(DIGITS, file));
  return { ...d, X: matrix(d.X.data.map((v) => v / 16), d.X.shape[0], d.X.shape[1]) };
}

interface RandomOptions {
  batchNorm: boolean;
  /** Integer thresholds of the parity the dot products take, so that a = threshold happens (ties). */
  ties: boolean;
  /** Same scale and shift for every output, so that equal dot products give tied scores. */
  uniformOutput?: boolean;
}

/** A trainer whose parameters are random (not trained): γ of both signs and zero, running statistics, biases. */
function randomSte(rng: Rng, sizes: number[], o: RandomOptions): SteTrainer {
  const t = SteTrainer.create({
    inputs: sizes[0], hidden: sizes.slice(1, -1), outputs: sizes[sizes.length - 1], batchNorm: o.batchNorm, lrStart: 0.01, lrEnd: 0.001, seed: rng.int(1000), backend: 'js',
  });
  const L = sizes.length - 1;
  const layers = t.parameters().map((p, l) => {
    const { inputs: K, outputs: N } = p;
    const weights = new Float64Array(K * N).map(() => (rng.next() < 0.05 ? 0 : 2 * rng.next() - 1));
    const last = l === L - 1;
    // An integer of K's parity (the parity of every ±1 dot product of length K), |m| ≤ K/3.
    const tieInt = () => {
      let m = rng.int(Math.floor((2 * K) / 3) + 1) - Math.floor(K / 3);
      if ((m - K) % 2 !== 0) m += 1;
      return m;
    };
    if (o.batchNorm) {
      const gamma = new Float64Array(N).map(() => {
        const u = rng.next();
        return u < 0.05 ? 0 : (u < 0.35 ? -1 : 1) * Math.exp(0.5 * rng.normal());
      });
      const beta = new Float64Array(N).map(() => (o.ties ? 0 : rng.normal()));
      const runningMean = new Float64Array(N).map(() => (o.ties ? tieInt() : Math.sqrt(K) * rng.normal()));
      const runningVar = new Float64Array(N).map(() => K * Math.exp(rng.normal()));
      if (last && o.uniformOutput) {
        gamma.fill(0.7);
        beta.fill(0.1);
        runningMean.fill(0);
        runningVar.fill(K);
      }
      return { weights, gamma, beta, runningMean, runningVar };
    }
    const bias = new Float64Array(N).map(() => (o.ties ? tieInt() : Math.sqrt(K) * rng.normal()));
    if (last && o.uniformOutput) bias.fill(0.5);
    return { weights, bias };
  });
  t.setParameters(layers);
  return t;
}

function bytesOf(a: Float64Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

function steScores(t: SteTrainer, X: Float64Array, rows: number): { scores: Float64Array; classes: Int32Array } {
  const p = t.predict(matrix(X, rows, t.sizes[0]));
  const KL = t.sizes[t.sizes.length - 1];
  return { scores: (p.scores.data as Float64Array).subarray(p.scores.offset, p.scores.offset + rows * KL), classes: p.classes };
}

/** Packed scores and classes vs predict, exactly. */
function expectExact(t: SteTrainer, X: Float64Array, rows: number, input: InputEncoding, backend: XnorBackend, predictX = X): void {
  const net = XnorNetwork.fromSte(t, { input, backend });
  expect(net.backend).toBe(backend);
  const want = steScores(t, predictX, rows);
  const got = net.scores(X);
  const gd = (got.data as Float64Array).subarray(got.offset, got.offset + want.scores.length);
  if (!bytesOf(gd).equals(bytesOf(want.scores))) {
    const i = want.scores.findIndex((v, j) => !Object.is(v, gd[j]));
    throw new Error(`${input.type}/${backend}: score ${i} is ${gd[i]}, predict gives ${want.scores[i]}`);
  }
  expect(Array.from(net.predict(X))).toEqual(Array.from(want.classes));
}

/** How many hidden-unit dot products land exactly on their threshold (the tie cases the test is meant to cover). */
function countTies(t: SteTrainer, X: Float64Array, rows: number): number {
  const net = t.toSignNetwork();
  let ties = 0;
  for (let r = 0; r < rows; r++) {
    let v = Array.from(X.subarray(r * net.sizes[0], (r + 1) * net.sizes[0]));
    for (let l = 0; l + 1 < net.layers.length; l++) {
      const { inputs, outputs, weights, threshold, flip } = net.layers[l];
      const next: number[] = [];
      for (let n = 0; n < outputs; n++) {
        let a = 0;
        for (let k = 0; k < inputs; k++) a += weights[n * inputs + k] * v[k];
        if (a === threshold[n]) ties++;
        next.push((flip[n] ? -1 : 1) * (a - threshold[n]) >= 0 ? 1 : -1);
      }
      v = next;
    }
  }
  return ties;
}

const SHAPES: number[][] = [
  [37, 23, 10],
  [64, 40, 17, 5],
  [19, 1],
  [12, 3],
  [70, 33, 1],
  [5, 9, 2],
];

describe('XnorNetwork.fromSte: packed scores = SteTrainer.predict scores', () => {
  test('binarised inputs: exactly, incl. flips, constant neurons, ties at the threshold and tied scores', () => {
    const rng = createRng(21);
    let ties = 0;
    let tiedScores = 0;
    let flips = 0;
    for (let trial = 0; trial < 24; trial++) {
      const sizes = SHAPES[trial % SHAPES.length];
      const o: RandomOptions = { batchNorm: trial % 3 !== 2, ties: trial % 2 === 0, uniformOutput: trial % 4 === 0 };
      const t = randomSte(rng, sizes, o);
      flips += t.toSignNetwork().layers.reduce((a, L) => a + L.flip.reduce((b, f) => b + f, 0), 0);
      const rows = 300;
      const raw = new Float64Array(rows * sizes[0]).map(() => rng.normal());
      const pm = raw.map((x) => (x >= 0 ? 1 : -1));
      ties += countTies(t, pm, rows);
      const s = steScores(t, pm, rows).scores;
      const KL = sizes[sizes.length - 1];
      for (let r = 0; r < rows && KL > 1; r++) {
        const row = Array.from(s.subarray(r * KL, (r + 1) * KL));
        const mx = Math.max(...row);
        if (row.filter((x) => x === mx).length > 1) tiedScores++;
      }
      for (const backend of BACKENDS) {
        // ±1 rows given as they are, and real rows binarised by the engine at 0 (predict sees the ±1 rows).
        expectExact(t, pm, rows, { type: 'binarize', threshold: 0 }, backend);
        expectExact(t, raw, rows, { type: 'binarize', threshold: 0 }, backend, pm);
        // ±1 rows through the real-input path are exact too (integer sums).
        expectExact(t, pm, rows, { type: 'real' }, backend);
      }
    }
    expect(ties).toBeGreaterThan(500);
    expect(tiedScores).toBeGreaterThan(50);
    expect(flips).toBeGreaterThan(100);
  });

  test('bit-plane inputs on a grid that sums exactly (q/256, and integers with scale 1): exactly', () => {
    const rng = createRng(22);
    for (let trial = 0; trial < 12; trial++) {
      const sizes = SHAPES[trial % SHAPES.length];
      const t = randomSte(rng, sizes, { batchNorm: trial % 3 !== 1, ties: trial % 2 === 1 });
      const rows = 200;
      const q = new Float64Array(rows * sizes[0]).map(() => (rng.next() < 0.3 ? 0 : rng.int(256)));
      for (const backend of BACKENDS) {
        expectExact(t, q.map((v) => v / 256), rows, { type: 'bitplanes', bits: 8, scale: 1 / 256 }, backend);
        expectExact(t, q, rows, { type: 'bitplanes', bits: 8, scale: 1 }, backend);
        expectExact(t, q.map((v) => v / 256), rows, { type: 'real' }, backend);
      }
    }
  });

  test('real inputs: within 1e-9 of the row\'s largest score, identical classes', () => {
    const rng = createRng(23);
    let worst = 0;
    for (let trial = 0; trial < 12; trial++) {
      const sizes = SHAPES[trial % SHAPES.length];
      const t = randomSte(rng, sizes, { batchNorm: trial % 3 !== 0, ties: false });
      const rows = 400;
      const KL = sizes[sizes.length - 1];
      const X = new Float64Array(rows * sizes[0]).map(() => rng.normal() * Math.exp(rng.normal()));
      const want = steScores(t, X, rows);
      for (const backend of BACKENDS) {
        const net = XnorNetwork.fromSte(t, { backend });
        const got = net.scores(X).data as Float64Array;
        for (let r = 0; r < rows; r++) {
          let mag = 0;
          for (let k = 0; k < KL; k++) mag = Math.max(mag, Math.abs(want.scores[r * KL + k]));
          for (let k = 0; k < KL; k++) {
            const e = Math.abs(got[r * KL + k] - want.scores[r * KL + k]) / Math.max(mag, 1e-300);
            worst = Math.max(worst, e);
          }
        }
        expect(Array.from(net.predict(X))).toEqual(Array.from(want.classes));
      }
    }
    expect(worst).toBeLessThanOrEqual(1e-9);
  });

  test('trained on digits (k/16 inputs): exactly predict on the test rows, real and 5-bit-plane inputs; the model file keeps it', () => {
    const train = digits('digits_train.csv');
    const test = digits('digits_test.csv');
    const t = SteTrainer.create({ inputs: 64, hidden: [60], outputs: 10, lrStart: 0.1, lrEnd: 0.001, seed: 5 });
    t.fit(train, { epochs: 4 });
    const p = t.parameters();
    const g = (p[0].gamma as Float64Array).map((x, n) => (n % 4 === 0 ? -x : x));
    t.setParameters([{ gamma: g }, {}]);
    const X = test.X.data as Float64Array;
    const rows = test.labels.length;
    for (const backend of BACKENDS) {
      expectExact(t, X, rows, { type: 'real' }, backend);
      expectExact(t, X, rows, { type: 'bitplanes', bits: 5, scale: 1 / 16 }, backend);
    }
    const net = XnorNetwork.fromSte(t, { input: { type: 'bitplanes', bits: 5, scale: 1 / 16 } });
    const back = decodeModel(encodeModel(net)).network as XnorNetwork;
    expect(bytesOf(back.scores(X).data as Float64Array).equals(bytesOf(net.scores(X).data as Float64Array))).toBe(true);
    expect(back.layers[1].scale).toEqual(net.layers[1].scale);
  });

  test('fromSte takes the trainer or its sign network; constant neurons keep ±∞ thresholds', () => {
    const rng = createRng(24);
    const t = randomSte(rng, [10, 8, 3], { batchNorm: true, ties: false });
    const p = t.parameters();
    const g = (p[0].gamma as Float64Array).slice();
    const b = (p[0].beta as Float64Array).slice();
    g[0] = 0;
    b[0] = 1; // always +1
    g[1] = 0;
    b[1] = -1; // always −1
    t.setParameters([{ gamma: g, beta: b }, {}]);
    const a = XnorNetwork.fromSte(t);
    const c = XnorNetwork.fromSte(t.toSignNetwork());
    expect(Array.from(a.layers[0].threshold!.subarray(0, 2))).toEqual([-Infinity, Infinity]);
    expect(a.layers[0].scale).toBeNull();
    expect(a.layers[1].scale).not.toBeNull();
    const X = new Float64Array(50 * 10).map(() => 1e3 * rng.normal());
    expect(bytesOf(a.scores(X).data as Float64Array).equals(bytesOf(c.scores(X).data as Float64Array))).toBe(true);
    expect(Array.from(a.predict(X))).toEqual(Array.from(t.predict(matrix(X, 50, 10)).classes));
    const s = t.toSignNetwork();
    delete s.layers[1].scale;
    expect(() => XnorNetwork.fromSte(s)).toThrow(/needs `scale` and `shift`/);
  });
});

describe('fromLayers: output scale', () => {
  const w = [1, -1, 1, -1, -1, 1];
  test('scores = pre·scale + bias on the output layer; no scale = 1', () => {
    for (const backend of BACKENDS) {
      const a = XnorNetwork.fromLayers([{ weights: w, inputs: 3, outputs: 2, bias: [0.5, -1.25], scale: [2, -0.1] }], { backend });
      const b = XnorNetwork.fromLayers([{ weights: w, inputs: 3, outputs: 2, bias: [0.5, -1.25] }], { backend });
      const X = [[0.3, -2, 5]];
      const pre = [0.3 + 2 + 5, -0.3 + 2 + 5];
      expect(Array.from(a.scores(X).data)).toEqual([pre[0] * 2 + 0.5, pre[1] * -0.1 - 1.25]);
      expect(Array.from(b.scores(X).data)).toEqual([pre[0] + 0.5, pre[1] - 1.25]);
      // Binary inputs through a hidden layer: the integer dot times the scale.
      const h = XnorNetwork.fromLayers([{ weights: [1, 1, 1], inputs: 3, outputs: 1 }, { weights: [1, -1], inputs: 1, outputs: 2, scale: [3, 0.5], bias: [0, 1] }], { backend });
      expect(Array.from(h.scores([[1, 1, 1], [-1, -1, 1]]).data)).toEqual([3, 0.5, -3, 1.5]);
    }
  });

  test('errors: a scale on a hidden layer, non-finite scale, NaN threshold, wrong length', () => {
    const hidden = { weights: [1, 1, 1], inputs: 3, outputs: 1 };
    expect(() => XnorNetwork.fromLayers([{ ...hidden, scale: [2] }, { weights: [1], inputs: 1, outputs: 1 }])).toThrow('invalid argument. layers[0] is a hidden layer; only the output layer takes a `scale`.');
    expect(() => XnorNetwork.fromLayers([{ weights: w, inputs: 3, outputs: 2, scale: [1, Infinity] }])).toThrow('invalid argument. layers[0].scale[1] must be finite. Value: `Infinity`.');
    expect(() => XnorNetwork.fromLayers([{ weights: w, inputs: 3, outputs: 2, scale: [1] }])).toThrow('layers[0].scale has 1 values, expected 2.');
    expect(() => XnorNetwork.fromLayers([{ ...hidden, threshold: [NaN] }, { weights: [1], inputs: 1, outputs: 1 }])).toThrow('invalid argument. layers[0].threshold[0] must be a number (±∞ allowed), not NaN. Value: `NaN`.');
    expect(() => XnorNetwork.fromLayers([{ ...hidden, threshold: [Infinity] }, { weights: [1], inputs: 1, outputs: 1 }])).not.toThrow();
  });
});
