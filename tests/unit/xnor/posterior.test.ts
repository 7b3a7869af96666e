import ndarray from 'ndarray';
import { PosteriorStore } from '../../../src/ebp/posterior';
import { predict } from '../../../src/ebp/predict';
import { XnorNetwork } from '../../../src/xnor/network';
import { XnorEnsemble } from '../../../src/xnor/network';
import { ArgumentError } from '../../../src/errors';
import { createRng } from '../../../src/util/random';
import { unpackSigns } from '../../../src/xnor/bitpack';

function store(sizes: number[], seed: number, opts: { integerBias?: boolean; zeroH?: boolean } = {}): PosteriorStore {
  const s = PosteriorStore.init(sizes, { seed, backend: 'js' });
  const rng = createRng(seed + 1);
  s.layers.forEach((L, l) => {
    for (let k = 0; k < L.outputs; k++) L.b[k] = opts.integerBias ? rng.int(5) - 2 : rng.normal() * 2;
    if (opts.zeroH) for (let i = 0; i < L.h.length; i += 7) L.h[i] = 0;
    s.refresh(l);
  });
  return s;
}

function rows(rng: ReturnType<typeof createRng>, n: number, K: number, ints: boolean) {
  const d = new Float64Array(n * K);
  for (let i = 0; i < d.length; i++) d[i] = ints ? rng.int(5) - 2 : rng.normal();
  return ndarray(d, [n, K]);
}

describe('XnorNetwork.fromPosterior is EBP-D', () => {
  test.each([
    [[20, 13, 3]],
    [[33, 65, 31, 10]],
    [[70, 40, 40, 40, 1]],
    [[784, 200, 10]],
  ])('scores equal predict(store, X, "deterministic").scores for sizes %j', (sizes) => {
    const rng = createRng(5);
    for (const intInputs of [true, false]) {
      const s = store(sizes, 3, { integerBias: intInputs, zeroH: true });
      const X = rows(rng, 40, sizes[0], intInputs);
      const ref = predict(s, X, 'deterministic');
      for (const backend of ['js', 'wasm'] as const) {
        const net = XnorNetwork.fromPosterior(s, { backend });
        const got = net.scores(X);
        for (let i = 0; i < ref.scores.data.length; i++) {
          const a = got.data[i];
          const e = ref.scores.data[i];
          if (intInputs) expect(a).toBe(e); // integer inputs: every sum is exact, so equality is exact
          else expect(Math.abs(a - e)).toBeLessThanOrEqual(1e-9 * (Math.abs(e) + sizes[sizes.length - 2]));
        }
        expect(Array.from(net.predict(X))).toEqual(Array.from(ref.classes));
      }
    }
  });

  test('the packed weights are sign(h) with sign(0) = +1 and the biases are kept', () => {
    const s = store([9, 4, 2], 8, { zeroH: true });
    const net = XnorNetwork.fromPosterior(s);
    s.layers.forEach((L, l) => {
      expect(Array.from(unpackSigns(net.layers[l].weights))).toEqual(Array.from(L.h, (h) => (h < 0 ? -1 : 1)));
      expect(Array.from(net.layers[l].bias)).toEqual(Array.from(L.b));
    });
    expect(net.sizes).toEqual([9, 4, 2]);
  });

  test('bit-plane inputs reproduce EBP-D on 8-bit features (x = p/255)', () => {
    const sizes = [50, 30, 4];
    const s = store(sizes, 9);
    const rng = createRng(10);
    const X = ndarray(Float64Array.from({ length: 64 * 50 }, () => rng.int(256) / 255), [64, 50]);
    const ref = predict(s, X, 'deterministic');
    const net = XnorNetwork.fromPosterior(s, { input: { type: 'bitplanes', bits: 8 } });
    const got = net.scores(X).data;
    ref.scores.data.forEach((e, i) => expect(Math.abs(got[i] - e)).toBeLessThanOrEqual(1e-9 * (Math.abs(e) + 30)));
    expect(Array.from(net.predict(X))).toEqual(Array.from(ref.classes));
  });

  test('Gaussian weights are refused with an ArgumentError', () => {
    const s = PosteriorStore.init([4, 3, 2], { weights: 'gaussian', seed: 1, backend: 'js' });
    expect(() => XnorNetwork.fromPosterior(s)).toThrow(ArgumentError);
    expect(() => XnorNetwork.sampleEnsemble(s, { members: 2 })).toThrow(/needs ±1 weights/);
  });

  test('inputs of the wrong width raise a ShapeError; flat rows and nested arrays are accepted', () => {
    const net = XnorNetwork.fromPosterior(store([3, 2, 2], 1));
    expect(() => net.scores(ndarray(new Float64Array(8), [2, 4]))).toThrow(/expects 3/);
    expect(() => net.scores(new Float64Array(4))).toThrow(/whole number of rows/);
    const a = net.scores([[1, 2, 3], [-1, 0, 2]]).data;
    const b = net.scores(Float64Array.from([1, 2, 3, -1, 0, 2])).data;
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(net.scores(new Float64Array(0)).shape).toEqual([0, 2]);
  });
});

describe('XnorNetwork.sampleEnsemble', () => {
  const s = store([30, 20, 20, 5], 21);
  const X = rows(createRng(22), 50, 30, false);

  test('same seed, same members; another seed, other members', () => {
    const a = XnorNetwork.sampleEnsemble(s, { members: 4, seed: 7 });
    const b = XnorNetwork.sampleEnsemble(s, { members: 4, seed: 7, backend: 'js' });
    const c = XnorNetwork.sampleEnsemble(s, { members: 4, seed: 8 });
    expect(a).toBeInstanceOf(XnorEnsemble);
    a.members.forEach((m, i) => m.layers.forEach((L, l) => expect(Array.from(L.weights.data)).toEqual(Array.from(b.members[i].layers[l].weights.data))));
    expect(Array.from(c.members[0].layers[0].weights.data)).not.toEqual(Array.from(a.members[0].layers[0].weights.data));
    expect(Array.from(a.predict(X))).toEqual(Array.from(b.predict(X)));
  });

  test('prediction = argmax of the mean sign output; vote shares sum to 1 and agree with it', () => {
    const ens = XnorNetwork.sampleEnsemble(s, { members: 9, seed: 1 });
    const mean = new Float64Array(50 * 5);
    for (const m of ens.members) m.scores(X).data.forEach((v, i) => (mean[i] += v < 0 ? -1 : 1));
    for (let i = 0; i < mean.length; i++) mean[i] /= 9; // integer vote sums: ties stay exact ties
    const sc = ens.scores(X).data;
    mean.forEach((v, i) => expect(sc[i]).toBeCloseTo(v, 12));
    const pred = ens.predict(X);
    const p = ens.probabilities(X);
    expect(p.shape).toEqual([50, 5]);
    for (let n = 0; n < 50; n++) {
      let total = 0;
      let best = 0;
      for (let k = 0; k < 5; k++) {
        total += p.get(n, k);
        expect(p.get(n, k)).toBeGreaterThanOrEqual(0);
        if (mean[n * 5 + k] > mean[n * 5 + best]) best = k;
        if (p.get(n, k) > p.get(n, pred[n])) throw new Error(`row ${n}: class ${k} has a larger share than the prediction`);
      }
      expect(total).toBeCloseTo(1, 12);
      expect(pred[n]).toBe(best);
    }
  });

  test('weights are drawn with P(+1) = (1 + tanh h)/2', () => {
    const t = PosteriorStore.init([1, 3, 1], { seed: 2, backend: 'js' });
    t.layers[0].h.set([-1, 0, 2]);
    t.refresh(0);
    const ens = XnorNetwork.sampleEnsemble(t, { members: 4000, seed: 3, backend: 'js' });
    const plus = [0, 0, 0];
    for (const m of ens.members) unpackSigns(m.layers[0].weights).forEach((w, k) => (plus[k] += w > 0 ? 1 : 0));
    [-1, 0, 2].forEach((h, k) => expect(plus[k] / 4000).toBeCloseTo((1 + Math.tanh(h)) / 2, 1));
  });

  test('one output: two vote shares [−1, +1], class 1 when the mean sign is ≥ 0', () => {
    const t = store([6, 5, 1], 4);
    const ens = XnorNetwork.sampleEnsemble(t, { members: 4, seed: 5 });
    const Y = rows(createRng(6), 30, 6, false);
    const sc = ens.scores(Y).data;
    const p = ens.probabilities(Y);
    const pred = ens.predict(Y);
    expect(p.shape).toEqual([30, 2]);
    for (let n = 0; n < 30; n++) {
      expect(p.get(n, 0) + p.get(n, 1)).toBeCloseTo(1, 12);
      expect(p.get(n, 1)).toBeCloseTo((1 + sc[n]) / 2, 12);
      expect(pred[n]).toBe(sc[n] >= 0 ? 1 : 0);
    }
  });

  test('argument checks', () => {
    expect(() => XnorNetwork.sampleEnsemble(s, { members: 0 })).toThrow(ArgumentError);
    expect(() => XnorNetwork.sampleEnsemble(s, { members: 1.5 })).toThrow(ArgumentError);
    const one = XnorNetwork.fromPosterior(s);
    const other = XnorNetwork.fromPosterior(store([30, 20, 5], 1));
    expect(() => new XnorEnsemble([one, other])).toThrow(/widths/);
    expect(() => new XnorEnsemble([one, one.withInput({ type: 'binarize' })])).toThrow(/reads its inputs differently/);
  });
});
