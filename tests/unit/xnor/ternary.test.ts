// Packed ternary layers: exactness against a slow float64 reference, TypeScript vs WebAssembly kernels
// bit for bit, EBP-D from ternary posteriors, and ensembles drawn from the categorical q(s).
import ndarray from 'ndarray';
import { PosteriorStore } from '../../../src/ebp/posterior';
import { predict } from '../../../src/ebp/predict';
import { ternary } from '../../../src/ebp/weights';
import { XnorNetwork, type XnorLayerSpec } from '../../../src/xnor/network';
import { XnorEnsemble } from '../../../src/xnor/network';
import type { InputEncoding } from '../../../src/xnor/input';
import { packTernary, unpackSigns, unpackTernary } from '../../../src/xnor/bitpack';
import { formatSummary } from '../../../src/xnor/summary';
import { ArgumentError, ShapeError } from '../../../src/errors';
import {
  createRng, randomLayers, randomRows, randomSizes, randomTernaryLayers, refMagnitudes, refScores, type RefInput, type RefLayer, type RowKind,
} from './reference';

/** Ternary specs: unpacked arrays (`type: 'ternaryDense'`) or, with `packed`, { plus, minus } masks. */
function specs(layers: RefLayer[], packed = false, binaryLayers: number[] = []): XnorLayerSpec[] {
  return layers.map((L, l) => {
    const K = L.w[0].length;
    const N = L.w.length;
    const base = { inputs: K, outputs: N, bias: L.b, threshold: L.threshold ?? null, flip: L.flip ?? null };
    if (binaryLayers.includes(l)) return { ...base, weights: L.w.flat() };
    return packed ? { ...base, weights: packTernary(L.w.flat(), N, K) } : { ...base, type: 'ternaryDense', weights: L.w.flat() };
  });
}

function bits(a: Float64Array): string[] {
  const v = new DataView(a.buffer, a.byteOffset, a.byteLength);
  return Array.from({ length: a.length }, (_, i) => v.getBigUint64(i * 8, true).toString(16));
}

function check(net: XnorNetwork, layers: RefLayer[], rows: number[][], input: RefInput, exact: boolean): void {
  const s = net.scores(rows);
  const KL = layers[layers.length - 1].w.length;
  const classes = net.predict(rows);
  rows.forEach((x, n) => {
    const e = refScores(layers, x, input);
    const mag = refMagnitudes(layers, x, input);
    for (let k = 0; k < KL; k++) {
      const a = s.get(n, k);
      if (exact ? a !== e[k] : !(Math.abs(a - e[k]) <= 1e-9 * mag[k])) {
        throw new Error(`row ${n} output ${k}: packed ${a}, reference ${e[k]} (scale ${mag[k]}, ${net.backend})`);
      }
    }
    let best = 0;
    for (let k = 1; k < KL; k++) if (e[k] > e[best]) best = k;
    expect(classes[n]).toBe(KL === 1 ? (e[0] < 0 ? 0 : 1) : best);
  });
}

const BACKENDS = ['js', 'wasm'] as const;

describe.each(BACKENDS)('packed ternary scores equal a slow float64 network (%s kernels)', (backend) => {
  const build = (layers: RefLayer[], enc: InputEncoding, packed = false, binaryLayers: number[] = []) => {
    const net = XnorNetwork.fromLayers(specs(layers, packed, binaryLayers), { input: enc, backend });
    expect(net.backend).toBe(backend);
    return net;
  };

  test('binarised inputs: exact, zero pre-activations and all-zero rows included', () => {
    const rng = createRng(1101);
    for (let t = 0; t < 30; t++) {
      const sizes = randomSizes(rng);
      const layers = randomTernaryLayers(rng, sizes, { thresholds: t % 2 === 1, zeroRows: t % 3 === 0 });
      const thr = Array.from({ length: sizes[0] }, () => (rng.next() < 0.5 ? 0 : rng.int(3) - 1));
      const rows = randomRows(rng, 1 + rng.int(9), sizes[0], 'int');
      check(build(layers, { type: 'binarize', threshold: thr }, t % 2 === 0), layers, rows, { type: 'binarize', threshold: thr }, true);
    }
  });

  test('bit-plane inputs on the integer grid: exact (sparse rows too)', () => {
    const rng = createRng(1202);
    for (let t = 0; t < 30; t++) {
      const sizes = randomSizes(rng, 200);
      if (t % 2 === 0) sizes[1] = 1 + rng.int(7);
      const layers = randomTernaryLayers(rng, sizes, { thresholds: t % 3 === 0, zeroRows: t % 4 === 0 });
      const rows = randomRows(rng, 1 + rng.int(9), sizes[0], t % 2 ? 'byte' : 'sparse-byte');
      rows.push(Array(sizes[0]).fill(0));
      const input = { type: 'bitplanes' as const, bits: 8, scale: 1, offset: 0 };
      check(build(layers, input), layers, rows, input, true);
      const three = { type: 'bitplanes' as const, bits: 3, scale: 2, offset: -5 }; // integer grid, clamping, offset
      check(build(layers, three), layers, randomRows(rng, 4, sizes[0], 'int').map((r) => r.map((v) => 4 * v)), three, true);
    }
  });

  test('bit-plane inputs, scale 1/255 with an offset: within 1e-9 relative', () => {
    const rng = createRng(1303);
    for (let t = 0; t < 15; t++) {
      const sizes = randomSizes(rng);
      const layers = randomTernaryLayers(rng, sizes, { integerBias: 0 });
      const rows = randomRows(rng, 1 + rng.int(6), sizes[0], 'unit').map((r) => r.map((v) => v - 0.5));
      const input = { type: 'bitplanes' as const, bits: 8, scale: 1 / 255, offset: -0.5 };
      check(build(layers, input), layers, rows, input, false);
    }
  });

  test('real integer inputs: exact, direct sums and byte tables, zeros included', () => {
    const rng = createRng(1404);
    for (let t = 0; t < 30; t++) {
      const sizes = randomSizes(rng, t % 2 ? 150 : 40);
      if (t % 3 === 0) sizes[1] = 1 + rng.int(7);
      const layers = randomTernaryLayers(rng, sizes, { thresholds: t % 2 === 0, zeroRows: t % 5 === 0 });
      const rows = randomRows(rng, 1 + rng.int(7), sizes[0], t % 2 ? 'int' : 'sparse-byte');
      check(build(layers, { type: 'real' }, t % 2 === 1), layers, rows, { type: 'real' }, true);
    }
  });

  test('real Gaussian inputs: within 1e-9 relative, classes identical', () => {
    const rng = createRng(1505);
    for (let t = 0; t < 30; t++) {
      const sizes = randomSizes(rng);
      if (t % 3 === 0) sizes[1] = 1 + rng.int(7);
      if (t % 3 === 1) sizes[1] = 8 + rng.int(90);
      const layers = randomTernaryLayers(rng, sizes, { integerBias: 0 });
      const rows = randomRows(rng, 1 + rng.int(7), sizes[0], t % 2 ? 'gauss' : 'sparse-gauss');
      check(build(layers, { type: 'real' }), layers, rows, { type: 'real' }, false);
    }
  });

  test('single layers, word boundaries, batches larger than one chunk, mixed binary and ternary layers', () => {
    const rng = createRng(1606);
    for (const K of [1, 31, 32, 33, 63, 64, 65, 100]) {
      for (const N of [1, 5, 40]) {
        const layers = randomTernaryLayers(rng, [K, N], { zeroRows: true });
        const ints = randomRows(rng, 3, K, 'int');
        check(build(layers, { type: 'real' }), layers, ints, { type: 'real' }, true);
        check(build(layers, { type: 'binarize', threshold: 0 }), layers, ints, { type: 'binarize', threshold: Array(K).fill(0) }, true);
        const planes = { type: 'bitplanes' as const, bits: 8, scale: 1, offset: 0 };
        check(build(layers, planes), layers, randomRows(rng, 3, K, 'byte'), planes, true);
      }
    }
    for (const sizes of [[64, 64, 64, 3], [65, 129, 31, 2], [784, 200, 10], [3, 300, 70, 1]]) {
      const tern = randomTernaryLayers(rng, sizes, { thresholds: true });
      const bin = randomLayers(rng, sizes);
      const mixed = tern.map((L, l) => (l % 2 === 1 ? bin[l] : L));
      const rows = randomRows(rng, sizes[0] === 784 ? 5 : 300, sizes[0], 'int');
      check(build(tern, { type: 'real' }), tern, rows, { type: 'real' }, true);
      check(build(mixed, { type: 'real' }, false, [1, 3]), mixed, rows, { type: 'real' }, true);
    }
  });
});

describe('ternary kernels: TypeScript and WebAssembly give identical results', () => {
  const encodings: [string, (K: number) => InputEncoding, RowKind][] = [
    ['real, sparse Gaussian rows', () => ({ type: 'real' }), 'sparse-gauss'],
    ['real, Gaussian rows', () => ({ type: 'real' }), 'gauss'],
    ['bit planes, 8 bits, scale 1/255', () => ({ type: 'bitplanes' }), 'unit'],
    ['bit planes, sparse 8-bit rows', () => ({ type: 'bitplanes', bits: 8, scale: 1 }), 'sparse-byte'],
    ['bit planes, 3 bits, offset and scale, clamping', () => ({ type: 'bitplanes', bits: 3, scale: 0.7, offset: -1.3 }), 'gauss'],
    ['binarised at per-input thresholds', (K) => ({ type: 'binarize', threshold: Array.from({ length: K }, (_, j) => ((j % 5) - 2) / 3) }), 'gauss'],
  ];

  test.each(encodings)('%s, bit for bit', (_name, enc, kind) => {
    const rng = createRng(21);
    for (let t = 0; t < 20; t++) {
      const sizes = randomSizes(rng, t % 4 === 0 ? 300 : 120);
      if (t % 3 === 0) sizes[1] = 1 + rng.int(7);
      const layers = randomTernaryLayers(rng, sizes, { thresholds: t % 2 === 0, zeroRows: t % 3 === 1 });
      const X = randomRows(rng, 1 + rng.int(t % 5 === 0 ? 400 : 9), sizes[0], kind);
      const js = XnorNetwork.fromLayers(specs(layers), { input: enc(sizes[0]), backend: 'js' });
      const wasm = js.withBackend('wasm');
      expect(wasm.backend).toBe('wasm');
      expect(bits(wasm.scores(X).data)).toEqual(bits(js.scores(X).data));
    }
  });

  test('784-300-300-10 with 80% zeros, a batch of 300 MNIST-like rows, every input mode', () => {
    const rng = createRng(22);
    const layers = randomTernaryLayers(rng, [784, 300, 300, 10], { zeroFraction: 0.8 });
    const X = randomRows(rng, 300, 784, 'unit');
    for (const input of [{ type: 'real' }, { type: 'bitplanes' }, { type: 'binarize', threshold: 0.5 }] as InputEncoding[]) {
      const js = XnorNetwork.fromLayers(specs(layers), { input, backend: 'js' });
      expect(bits(js.withBackend('wasm').scores(X).data)).toEqual(bits(js.scores(X).data));
    }
  });

  test("backend 'auto' selects WebAssembly here", () => {
    const layers = randomTernaryLayers(createRng(23), [5, 4, 2]);
    expect(XnorNetwork.fromLayers(specs(layers)).backend).toBe('wasm');
  });
});

describe('ternary layers from fromLayers', () => {
  test('layer fields: type, masks (weights = the −1 mask), unpacked back to the weights', () => {
    const w = [1, 0, -1, 0.5, -0, -2];
    const net = XnorNetwork.fromLayers([{ type: 'ternaryDense', weights: w, inputs: 3, outputs: 2, bias: [0, 1] }]);
    const L = net.layers[0];
    expect(L.type).toBe('ternaryDense');
    expect(L.weights).toBe(L.minus);
    expect(Array.from(unpackTernary({ plus: L.plus!, minus: L.minus! }))).toEqual([1, 0, -1, 1, 0, -1]);
    expect(Array.from(net.scores([[2, 3, 5]]).data)).toEqual([2 - 5, 2 - 5 + 1]);
    const bin = XnorNetwork.fromLayers([{ weights: w, inputs: 3, outputs: 2 }]).layers[0];
    expect(bin.type).toBe('binaryDense');
    expect(bin.plus).toBeNull();
    expect(Array.from(unpackSigns(bin.weights))).toEqual([1, 1, -1, 1, 1, -1]);
  });

  test('invalid masks and specs are refused', () => {
    const t = packTernary([1, 0, -1, 1], 2, 2);
    const overlap = { plus: t.plus, minus: { ...t.minus, data: Int32Array.from([1, 2]) } };
    expect(() => XnorNetwork.fromLayers([{ weights: overlap }])).toThrow(/row 0 has a weight in both the \+1 and the −1 mask/);
    const dirty = { plus: { ...t.plus, data: Int32Array.from([1 | 8, 1]) }, minus: t.minus };
    expect(() => XnorNetwork.fromLayers([{ weights: dirty }])).toThrow(/layers\[0\]\.plus row 0 has non-zero padding bits past column 2/);
    const other = packTernary([1, 0, -1], 1, 3);
    expect(() => XnorNetwork.fromLayers([{ weights: { plus: t.plus, minus: other.minus } }])).toThrow(ShapeError);
    expect(() => XnorNetwork.fromLayers([{ weights: t, type: 'binaryDense' }])).toThrow(/is 'binaryDense' but its weights are ternary masks/);
    expect(() => XnorNetwork.fromLayers([{ weights: [1, 0], type: 'ternaryDense', inputs: 3, outputs: 1 }])).toThrow(ShapeError);
    expect(() => XnorNetwork.fromLayers([{ weights: [1, NaN], type: 'ternaryDense', inputs: 2, outputs: 1 }])).toThrow(ArgumentError);
    expect(() => XnorNetwork.fromLayers([{ weights: [1, 0], type: 'conv' as 'ternaryDense', inputs: 2, outputs: 1 }])).toThrow(/must be 'binaryDense' or 'ternaryDense'/);
  });
});

function ternaryStore(sizes: number[], seed: number, zeroPrior: number, opts: { integerBias?: boolean; scale?: number } = {}): PosteriorStore {
  const s = PosteriorStore.init(sizes, { seed, weights: ternary(zeroPrior), backend: 'js' });
  const rng = createRng(seed + 1);
  s.layers.forEach((L, l) => {
    for (let i = 0; i < L.h.length; i++) L.h[i] = i % 11 === 0 ? 0 : (opts.scale ?? 2) * rng.normal();
    for (let k = 0; k < L.outputs; k++) L.b[k] = opts.integerBias ? rng.int(5) - 2 : rng.normal() * 2;
    s.refresh(l);
  });
  return s;
}

function rowsOf(rng: ReturnType<typeof createRng>, n: number, K: number, ints: boolean) {
  return ndarray(Float64Array.from({ length: n * K }, () => (ints ? rng.int(5) - 2 : rng.normal())), [n, K]);
}

describe('XnorNetwork.fromPosterior with ternary weights is EBP-D', () => {
  test.each([
    [[20, 13, 3], 0.5],
    [[33, 65, 31, 10], 1 / 3],
    [[70, 5, 40, 40, 1], 0.8],
    [[784, 200, 10], 0.5],
  ])('scores equal predict(store, X, "deterministic").scores for sizes %j, π(0) = %d', (sizes, p0) => {
    const rng = createRng(5);
    for (const ints of [true, false]) {
      const s = ternaryStore(sizes, 3, p0, { integerBias: ints });
      const X = rowsOf(rng, 40, sizes[0], ints);
      const ref = predict(s, X, 'deterministic');
      for (const backend of BACKENDS) {
        const net = XnorNetwork.fromPosterior(s, { backend });
        expect(net.layers.every((L) => L.type === 'ternaryDense')).toBe(true);
        const got = net.scores(X).data;
        ref.scores.data.forEach((e, i) => {
          if (ints) expect(got[i]).toBe(e); // every sum is an exact integer sum
          else if (!(Math.abs(got[i] - e) <= 1e-9 * (Math.abs(e) + sizes[sizes.length - 2]))) throw new Error(`${i}: ${got[i]} vs ${e}`);
        });
        expect(Array.from(net.predict(X))).toEqual(Array.from(ref.classes));
      }
    }
  });

  test('the packed weights are the most probable levels and the biases are kept', () => {
    const s = ternaryStore([9, 4, 2], 8, 0.5);
    const net = XnorNetwork.fromPosterior(s);
    s.layers.forEach((L, l) => {
      const T = net.layers[l];
      expect(Array.from(unpackTernary({ plus: T.plus!, minus: T.minus! }))).toEqual(Array.from(L.map));
      expect(Array.from(T.bias)).toEqual(Array.from(L.b));
    });
    expect(Array.from(s.layers[0].map)).toContain(0);
  });

  test('bit-plane inputs reproduce EBP-D on 8-bit features (x = p/255); binarised inputs are exact on ±1 rows', () => {
    const s = ternaryStore([50, 30, 4], 9, 0.5);
    const rng = createRng(10);
    const X = ndarray(Float64Array.from({ length: 64 * 50 }, () => rng.int(256) / 255), [64, 50]);
    const ref = predict(s, X, 'deterministic');
    const got = XnorNetwork.fromPosterior(s, { input: { type: 'bitplanes', bits: 8 } }).scores(X).data;
    ref.scores.data.forEach((e, i) => expect(Math.abs(got[i] - e)).toBeLessThanOrEqual(1e-9 * (Math.abs(e) + 30)));
    const S = ndarray(Float64Array.from({ length: 64 * 50 }, () => (rng.next() < 0.5 ? -1 : 1)), [64, 50]);
    const refS = predict(s, S, 'deterministic').scores.data;
    const gotS = XnorNetwork.fromPosterior(s, { input: { type: 'binarize' } }).scores(S).data;
    expect(Array.from(gotS)).toEqual(Array.from(refS));
  });

  test('level sets within {−1, 0, +1} are packed ternary; [−1, 1] stays binary; other levels and Gaussian weights are refused', () => {
    for (const levels of [[0, 1], [-1, 0]]) {
      const s = PosteriorStore.fromParameters({ weights: { levels }, h: [[[0.3, -2, 1.5, 0]], [[1], [-1]]], b: [[0.5], [0, 0.25]], backend: 'js' });
      const net = XnorNetwork.fromPosterior(s);
      expect(net.layers[0].type).toBe('ternaryDense');
      const X = [[1, 2, 3, -4], [0, -1, 2, 5]];
      expect(Array.from(net.scores(X).data)).toEqual(Array.from(predict(s, ndarray(Float64Array.from(X.flat()), [2, 4]), 'deterministic').scores.data));
      expect(XnorNetwork.sampleEnsemble(s, { members: 3 }).members[0].layers[0].type).toBe('ternaryDense');
    }
    const b = PosteriorStore.fromParameters({ weights: { levels: [-1, 1], prior: [0.3, 0.7] }, h: [[[0.3, -2]]], b: [[0]], backend: 'js' });
    expect(XnorNetwork.fromPosterior(b).layers[0].type).toBe('binaryDense');
    const four = PosteriorStore.init([4, 3, 2], { weights: { levels: [-1.5, -0.5, 0.5, 1.5] }, seed: 1, backend: 'js' });
    for (const f of [() => XnorNetwork.fromPosterior(four), () => XnorNetwork.sampleEnsemble(four, { members: 2 })]) {
      expect(f).toThrow(ArgumentError);
      expect(f).toThrow(/ternary weights \(discrete levels within \{−1, 0, \+1\}.*levels.*-1\.5.*predict\(store, X, 'deterministic'\)/);
    }
    const g = PosteriorStore.init([4, 3, 2], { weights: 'gaussian', seed: 1, backend: 'js' });
    expect(() => XnorNetwork.sampleEnsemble(g, { members: 2 })).toThrow(ArgumentError);
  });
});

describe('XnorNetwork.sampleEnsemble with ternary weights', () => {
  const s = ternaryStore([30, 20, 20, 5], 21, 0.5, { scale: 1 });
  const X = rowsOf(createRng(22), 50, 30, false);

  test('same seed, same members (any backend); another seed, other members; ternary members', () => {
    const a = XnorNetwork.sampleEnsemble(s, { members: 4, seed: 7 });
    const b = XnorNetwork.sampleEnsemble(s, { members: 4, seed: 7, backend: 'js' });
    const c = XnorNetwork.sampleEnsemble(s, { members: 4, seed: 8 });
    expect(a).toBeInstanceOf(XnorEnsemble);
    a.members.forEach((m, i) =>
      m.layers.forEach((L, l) => {
        expect(L.type).toBe('ternaryDense');
        expect(Array.from(L.plus!.data)).toEqual(Array.from(b.members[i].layers[l].plus!.data));
        expect(Array.from(L.minus!.data)).toEqual(Array.from(b.members[i].layers[l].minus!.data));
      }),
    );
    expect(Array.from(c.members[0].layers[0].plus!.data)).not.toEqual(Array.from(a.members[0].layers[0].plus!.data));
    expect(Array.from(a.scores(X).data)).toEqual(Array.from(b.scores(X).data));
  });

  test('prediction = argmax of the mean sign output; vote shares sum to 1 and agree with it', () => {
    const ens = XnorNetwork.sampleEnsemble(s, { members: 9, seed: 1 });
    const mean = new Float64Array(50 * 5);
    for (const m of ens.members) m.scores(X).data.forEach((v, i) => (mean[i] += v < 0 ? -1 : 1));
    for (let i = 0; i < mean.length; i++) mean[i] /= 9;
    const sc = ens.scores(X).data;
    mean.forEach((v, i) => expect(sc[i]).toBeCloseTo(v, 12));
    const pred = ens.predict(X);
    const p = ens.probabilities(X);
    for (let n = 0; n < 50; n++) {
      let total = 0;
      let best = 0;
      for (let k = 0; k < 5; k++) {
        total += p.get(n, k);
        if (mean[n * 5 + k] > mean[n * 5 + best]) best = k;
      }
      expect(total).toBeCloseTo(1, 12);
      expect(pred[n]).toBe(best);
      for (let k = 0; k < 5; k++) expect(p.get(n, k)).toBeCloseTo((1 + mean[n * 5 + k]) / (5 + mean.subarray(n * 5, n * 5 + 5).reduce((a, x) => a + x, 0)), 12);
    }
  });

  test('each weight is drawn from q(s) ∝ π(s) e^{h s}', () => {
    const hs = [-2, -0.4, 0, 0.7, 3];
    const prior = [0.2, 0.5, 0.3];
    const t = PosteriorStore.fromParameters({ weights: { levels: [-1, 0, 1], prior }, h: [hs.map((h) => [h]), [hs.map(() => 1)]], b: [hs.map(() => 0), [0]], backend: 'js' });
    const M = 4000;
    const ens = XnorNetwork.sampleEnsemble(t, { members: M, seed: 3, backend: 'js' });
    const counts = hs.map(() => [0, 0, 0]);
    for (const m of ens.members) {
      const L = m.layers[0];
      unpackTernary({ plus: L.plus!, minus: L.minus! }).forEach((w, k) => counts[k][w + 1]++);
    }
    hs.forEach((h, k) => {
      const q = [-1, 0, 1].map((s, i) => prior[i] * Math.exp(h * s));
      const Z = q[0] + q[1] + q[2];
      for (let i = 0; i < 3; i++) expect(Math.abs(counts[k][i] / M - q[i] / Z)).toBeLessThan(0.03); // > 4 standard errors
    });
  });
});

describe('summary of ternary networks', () => {
  test('zero-weight fraction, 2-bit parameters, packed bytes at 2 bits per weight', () => {
    const w0 = Array.from({ length: 40 * 70 }, (_, i) => (i % 4 === 0 ? 1 : i % 4 === 1 ? -1 : 0)); // half zero
    const w1 = Array.from({ length: 3 * 40 }, (_, i) => (i % 5 === 0 ? 0 : 1)); // 20% zero
    const net = XnorNetwork.fromLayers([
      { type: 'ternaryDense', weights: w0, inputs: 70, outputs: 40 },
      { type: 'ternaryDense', weights: w1, inputs: 40, outputs: 3 },
    ]);
    const s = net.summary();
    expect(s.layers[0]).toMatchObject({ type: 'ternaryDense', binaryParams: 0, ternaryParams: 2800, zeroFraction: 0.5, realParams: 40 });
    expect(s.layers[0].packedBytes).toBe(2 * 40 * 3 * 4 + 40 * 8);
    expect(s.layers[1]).toMatchObject({ ternaryParams: 120, zeroFraction: 0.2, packedBytes: 2 * 3 * 2 * 4 + 3 * 8, float32Bytes: 123 * 4 });
    expect(s.ternaryParams).toBe(2920);
    expect(s.zeroWeights).toBe(1400 + 24);
    expect(s.zeroFraction).toBeCloseTo(1424 / 2920, 15);
    expect(s.totalParams).toBe(2920 + 43);
    const text = formatSummary(s);
    expect(text).toContain('# 2-bit');
    expect(text).toContain('Zeros');
    expect(text).toMatch(/0 ternaryDense\/sign +real +70→40 +0 +2800 +50\.0%/);
    expect(text).toMatch(/Total +0 +2920 +48\.8%/);
  });

  test('ensembles: the zero fraction is over all members', () => {
    const s = ternaryStore([30, 20, 5], 4, 0.5, { scale: 0.3 });
    const ens = XnorNetwork.sampleEnsemble(s, { members: 3, seed: 2 });
    let zeros = 0;
    for (const m of ens.members) for (const L of m.layers) zeros += Array.from(unpackTernary({ plus: L.plus!, minus: L.minus! })).filter((w) => w === 0).length;
    const sum = ens.summary();
    expect(sum.zeroWeights).toBe(zeros);
    expect(sum.zeroFraction).toBeCloseTo(zeros / (3 * (600 + 100)), 15);
    expect(sum.packedBytes).toBe(3 * (2 * 20 * 1 * 4 + 160 + 2 * 5 * 1 * 4 + 40));
  });
});
