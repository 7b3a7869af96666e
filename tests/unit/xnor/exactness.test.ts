import { XnorNetwork, type XnorLayerSpec } from '../../../src/xnor/network';
import type { InputEncoding } from '../../../src/xnor/input';
import { createRng, randomLayers, randomRows, randomSizes, refMagnitudes, refScores, type RefInput, type RefLayer } from './reference';

function specs(layers: RefLayer[]): XnorLayerSpec[] {
  return layers.map((L) => ({
    weights: L.w.flat(),
    inputs: L.w[0].length,
    outputs: L.w.length,
    bias: L.b,
    threshold: L.threshold ?? null,
    flip: L.flip ?? null,
  }));
}

const BACKENDS = ['js', 'wasm'] as const;

function check(layers: RefLayer[], rows: number[][], input: RefInput, enc: InputEncoding, exact: boolean, backend: 'js' | 'wasm') {
  const net = XnorNetwork.fromLayers(specs(layers), { input: enc, backend });
  expect(net.backend).toBe(backend);
  const s = net.scores(rows);
  const KL = layers[layers.length - 1].w.length;
  const classes = net.predict(rows);
  rows.forEach((x, n) => {
    const e = refScores(layers, x, input);
    const mag = refMagnitudes(layers, x, input);
    for (let k = 0; k < KL; k++) {
      const a = s.get(n, k);
      if (exact) {
        if (a !== e[k]) throw new Error(`row ${n} output ${k}: packed ${a}, reference ${e[k]}`);
      } else if (!(Math.abs(a - e[k]) <= 1e-9 * mag[k])) {
        throw new Error(`row ${n} output ${k}: packed ${a}, reference ${e[k]} (scale ${mag[k]})`);
      }
    }
    let best = 0;
    for (let k = 1; k < KL; k++) if (e[k] > e[best]) best = k;
    const cls = KL === 1 ? (e[0] < 0 ? 0 : 1) : best;
    expect(classes[n]).toBe(cls);
  });
}

describe.each(BACKENDS)('packed scores equal a slow float64 sign network (%s kernels)', (backend) => {
  test('binarised inputs: exact, zero pre-activations included', () => {
    const rng = createRng(101);
    for (let t = 0; t < 25; t++) {
      const sizes = randomSizes(rng);
      const layers = randomLayers(rng, sizes, { thresholds: t % 2 === 1 });
      const thr = Array.from({ length: sizes[0] }, () => (rng.next() < 0.5 ? 0 : rng.int(3) - 1));
      const rows = randomRows(rng, 1 + rng.int(9), sizes[0], 'int');
      check(layers, rows, { type: 'binarize', threshold: thr }, { type: 'binarize', threshold: thr }, true, backend);
    }
  });

  test('bit-plane inputs on the integer grid: exact', () => {
    const rng = createRng(202);
    for (let t = 0; t < 25; t++) {
      const sizes = randomSizes(rng);
      const layers = randomLayers(rng, sizes, { thresholds: t % 3 === 0 });
      const rows = randomRows(rng, 1 + rng.int(9), sizes[0], 'byte');
      if (t % 4 === 0) rows[0] = rows[0].map((v, j) => (j % 3 === 0 ? 300 : j % 3 === 1 ? -7 : v)); // clamped to 255 and 0
      const input = { type: 'bitplanes' as const, bits: 8, scale: 1, offset: 0 };
      check(layers, rows, input, input, true, backend);
    }
  });

  test('bit-plane inputs, scale 1/255 with an offset: within 1e-9 relative', () => {
    const rng = createRng(303);
    for (let t = 0; t < 15; t++) {
      const sizes = randomSizes(rng);
      const layers = randomLayers(rng, sizes, { integerBias: 0 });
      const rows = randomRows(rng, 1 + rng.int(6), sizes[0], 'unit').map((r) => r.map((v) => v - 0.5));
      const input = { type: 'bitplanes' as const, bits: 8, scale: 1 / 255, offset: -0.5 };
      check(layers, rows, input, input, false, backend);
    }
  });

  test('real inputs with integer values: exact (any summation order is exact), zeros included', () => {
    const rng = createRng(404);
    for (let t = 0; t < 25; t++) {
      const sizes = randomSizes(rng, t % 2 ? 150 : 40);
      const layers = randomLayers(rng, sizes, { thresholds: t % 2 === 0 });
      const rows = randomRows(rng, 1 + rng.int(7), sizes[0], 'int');
      check(layers, rows, { type: 'real' }, { type: 'real' }, true, backend);
    }
  });

  test('real Gaussian inputs: within 1e-9 relative, classes identical', () => {
    const rng = createRng(505);
    for (let t = 0; t < 25; t++) {
      const sizes = randomSizes(rng);
      if (t % 3 === 0) sizes[1] = 1 + rng.int(7); // fewer than LUT_MIN_ROWS outputs: direct sums
      if (t % 3 === 1) sizes[1] = 8 + rng.int(90); // per-sample byte tables
      const layers = randomLayers(rng, sizes, { integerBias: 0 });
      const rows = randomRows(rng, 1 + rng.int(7), sizes[0], 'gauss');
      check(layers, rows, { type: 'real' }, { type: 'real' }, false, backend);
    }
  });

  test('sparse rows (runs of zeros, empty words): real and bit-plane inputs', () => {
    const rng = createRng(808);
    for (let t = 0; t < 30; t++) {
      const sizes = randomSizes(rng, 200);
      sizes[1] = t % 2 === 0 ? 8 + rng.int(60) : 1 + rng.int(7); // byte tables / direct sums
      const layers = randomLayers(rng, sizes, { thresholds: t % 3 === 0 });
      const bytes = randomRows(rng, 1 + rng.int(6), sizes[0], 'sparse-byte');
      bytes.push(Array(sizes[0]).fill(0)); // an all-zero row
      check(layers, bytes, { type: 'real' }, { type: 'real' }, true, backend);
      const planes = { type: 'bitplanes' as const, bits: 8, scale: 1, offset: 0 };
      check(layers, bytes, planes, planes, true, backend);
      check(layers, randomRows(rng, 4, sizes[0], 'sparse-gauss'), { type: 'real' }, { type: 'real' }, false, backend);
    }
  });

  test('a single layer (first layer = output layer) in every input mode', () => {
    const rng = createRng(606);
    for (const K of [1, 31, 33, 63, 65, 100]) {
      for (const N of [1, 5, 40]) {
        const layers = randomLayers(rng, [K, N]);
        const ints = randomRows(rng, 3, K, 'int');
        check(layers, ints, { type: 'real' }, { type: 'real' }, true, backend);
        const bytes = randomRows(rng, 3, K, 'byte');
        check(layers, bytes, { type: 'bitplanes', bits: 8, scale: 1, offset: 0 }, { type: 'bitplanes', bits: 8, scale: 1, offset: 0 }, true, backend);
        const thr = Array(K).fill(0);
        check(layers, ints, { type: 'binarize', threshold: thr }, { type: 'binarize', threshold: 0 }, true, backend);
      }
    }
  });

  test('widths around word boundaries and batches larger than one chunk', () => {
    const rng = createRng(707);
    for (const sizes of [[64, 64, 64, 3], [65, 129, 31, 2], [784, 200, 10], [32, 1, 1], [3, 300, 70, 1]]) {
      const layers = randomLayers(rng, sizes, { thresholds: true });
      const rows = randomRows(rng, sizes[0] === 784 ? 3 : 300, sizes[0], 'int');
      check(layers, rows, { type: 'binarize', threshold: Array(sizes[0]).fill(0) }, { type: 'binarize', threshold: 0 }, true, backend);
      check(layers, rows, { type: 'real' }, { type: 'real' }, true, backend);
    }
  });
});
