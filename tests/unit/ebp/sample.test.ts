import { ArgumentError } from '../../../src/errors';
import { PosteriorStore } from '../../../src/ebp/posterior';
import { classify, predict } from '../../../src/ebp/predict';
import { FloatEnsemble, PosteriorSampler, samplePosterior } from '../../../src/ebp/sample';
import { ternary } from '../../../src/ebp/weights';
import { smoothedVoteShares } from '../../../src/eval/probability';
import { createPredictor } from '../../../src/model/predictor';
import { matrix } from '../../../src/tensor/matrix';
import { createRng } from '../../../src/util/random';
import { unpackSigns, unpackTernary } from '../../../src/xnor/bitpack';
import { XnorNetwork } from '../../../src/xnor/network';

/** The one posterior sampler (src/ebp/sample.ts) and the ensembles drawn through it. */

const X = matrix(Array.from({ length: 12 }, (_, n) => Array.from({ length: 7 }, (_, j) => Math.sin(1 + n * 7 + j))));

test('±1 weights: W = +1 exactly when u < (1 + ⟨W⟩)/2, one u per weight, layers then rows then inputs', () => {
  for (const weights of ['binary', { levels: [-1, 1], prior: [0.3, 0.7] }] as const) {
    const store = PosteriorStore.init([7, 5, 3], { seed: 2, weights, sigmaW: 2, backend: 'js' });
    const draw = new PosteriorSampler(store).draw(createRng(4));
    const rng = createRng(4);
    store.layers.forEach((L, l) => {
      const want = Array.from(L.mean, (m) => (rng.next() < 0.5 * (1 + m) ? 1 : -1));
      expect(Array.from(draw[l])).toEqual(want);
    });
  }
});

test('the packed ensemble holds the sampler\'s draws (binary and ternary members, same seed)', () => {
  for (const weights of ['binary', ternary(0.3)] as const) {
    const store = PosteriorStore.init([7, 40, 3], { seed: 5, weights, backend: 'js' });
    const draws = samplePosterior(store, { members: 4, seed: 9 });
    const ens = XnorNetwork.sampleEnsemble(store, { members: 4, seed: 9 });
    ens.members.forEach((m, i) =>
      m.layers.forEach((L, l) => {
        const w = L.plus && L.minus ? unpackTernary({ plus: L.plus, minus: L.minus }) : unpackSigns(L.weights);
        expect(Array.from(w)).toEqual(Array.from(draws[i][l]));
        expect(Array.from(L.bias)).toEqual(Array.from(store.layers[l].b));
      }),
    );
  }
});

test('discrete levels: each weight follows q(s) ∝ π(s)e^{h s}', () => {
  const kind = { levels: [-2, -0.5, 1, 3], prior: [0.1, 0.2, 0.3, 0.4] };
  const store = PosteriorStore.fromParameters({ weights: kind, h: [[[0.4, -1]]], b: [[0]], backend: 'js' });
  const sampler = new PosteriorSampler(store);
  const rng = createRng(1);
  const M = 40000;
  const counts = [new Map<number, number>(), new Map<number, number>()];
  for (let m = 0; m < M; m++) {
    const w = sampler.draw(rng)[0];
    for (let i = 0; i < 2; i++) counts[i].set(w[i], (counts[i].get(w[i]) ?? 0) + 1);
  }
  [0.4, -1].forEach((h, i) => {
    const a = kind.levels.map((s, k) => kind.prior[k] * Math.exp(h * s));
    const Z = a.reduce((x, y) => x + y, 0);
    kind.levels.forEach((s, k) => {
      const q = a[k] / Z;
      const f = (counts[i].get(s) ?? 0) / M;
      expect(Math.abs(f - q)).toBeLessThan(5 * Math.sqrt((q * (1 - q)) / M) + 1e-9);
    });
    expect([...counts[i].keys()].every((s) => kind.levels.includes(s))).toBe(true);
  });
});

test('Gaussian weights: W = h + √s2 · ε', () => {
  const store = PosteriorStore.fromParameters({ weights: 'gaussian', weightVariance: 0.25, h: [[[1.5, -0.5]]], b: [[0]], backend: 'js' });
  const draws = samplePosterior(store, { members: 20000, seed: 3 });
  [1.5, -0.5].forEach((h, i) => {
    const v = draws.map((d) => d[0][i]);
    const mean = v.reduce((a, b) => a + b, 0) / v.length;
    const variance = v.reduce((a, b) => a + (b - mean) ** 2, 0) / (v.length - 1);
    expect(Math.abs(mean - h)).toBeLessThan(0.02);
    expect(Math.abs(variance - 0.25)).toBeLessThan(0.02);
  });
});

test('FloatEnsemble: a member with the most probable weights is EBP-D; the mean of signs over members', () => {
  const store = PosteriorStore.init([7, 6, 3], { seed: 8, weights: 'gaussian', backend: 'js' });
  const d = predict(store, X, 'deterministic');
  const one = new FloatEnsemble(store, [store.layers.map((L) => Float64Array.from(L.map))]);
  expect(Array.from(one.scores(X).data)).toEqual(Array.from(d.scores.data as Float64Array, (s) => (s < 0 ? -1 : 1)));
  // One member's mean signs tie; the class is the first +1 (the library's decision rule on the signs).
  expect(Array.from(one.predict(X))).toEqual(Array.from(classify(one.scores(X))));
  const ens = FloatEnsemble.sample(store, { members: 5, seed: 2 });
  const s = ens.scores(X).data;
  for (const v of s) expect(Number.isInteger(((v + 1) / 2) * 5)).toBe(true);
  expect(FloatEnsemble.sample(store, { members: 5, seed: 2 }).scores(X).data).toEqual(s);
  // The store the ensemble was drawn from is left as it was.
  expect(Array.from(predict(store, X, 'deterministic').scores.data)).toEqual(Array.from(d.scores.data));
});

test('createPredictor: ensembles of Gaussian posteriors are FloatEnsembles with smoothed vote shares', () => {
  const store = PosteriorStore.init([7, 6, 3], { seed: 8, weights: 'gaussian', backend: 'js' });
  const Xf = X.data as Float64Array;
  const r = createPredictor({ sizes: store.sizes, store }, 'ensemble', { members: 6, seed: 3 }).run(Xf, 12);
  const ens = FloatEnsemble.sample(store, { members: 6, seed: 3 });
  expect(Array.from(r.classes)).toEqual(Array.from(ens.predict(X)));
  expect(Array.from(r.proba!)).toEqual(Array.from(smoothedVoteShares(ens.scores(X).data, 12, 3, 6)));
  expect(() => createPredictor({ sizes: store.sizes }, 'probabilistic')).toThrow(ArgumentError);
  expect(() => createPredictor({ sizes: store.sizes, store }, 'ensemble', { members: 0 })).toThrow(ArgumentError);
  expect(() => createPredictor({ sizes: store.sizes, store }, 'sampled' as never)).toThrow(ArgumentError);
  expect(() => samplePosterior(store, { members: 1.5 })).toThrow(ArgumentError);
});
