import * as path from 'node:path';
import { EbpTrainer, MismatchError, PosteriorStore, matrix, subset, ternary, type Dataset, type WeightKind } from '../../../src';
import { mergePosteriors, posteriorHash } from '../../../src/ebp/merge';
import { readNumericCsv } from '../../../src/node';

const DIGITS = path.join(__dirname, '..', '..', 'fixtures', 'digits');
function digits(file: string): Dataset {
  const d = readNumericCsv(path.join(DIGITS, file));
  return { ...d, X: matrix(d.X.data.map((v) => v / 16), d.X.shape[0], d.X.shape[1]) };
}
const bytesOf = (a: Float64Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
const train = digits('digits_train.csv');
const rows = (from: number, to: number) => Int32Array.from({ length: to - from }, (_, i) => from + i);

/** A base and K shards, each one epoch from the base on its own quarter of the digits. */
function shardsOf(weights: WeightKind, K: number, weightVariance?: number) {
  const base = PosteriorStore.init([64, 16, 10], { weights, seed: 3, weightVariance });
  const n = Math.floor(train.labels.length / K);
  const shards = Array.from({ length: K }, (_, k) => {
    const t = EbpTrainer.fromPrior(base, 10 + k);
    t.fit(subset(train, rows(k * n, (k + 1) * n)), { epochs: 1 });
    return t.store;
  });
  return { base, shards };
}

describe('mergePosteriors', () => {
  const kinds: [string, WeightKind, number | undefined][] = [['binary', 'binary', undefined], ['gaussian', 'gaussian', 0.5], ['ternary', ternary(0.5), undefined]];
  test.each(kinds)('%s: h = h_base + Σ_k (h_k − h_base), b likewise; moments refreshed; the variance of Gaussian weights unchanged', (_, w, s2) => {
    const { base, shards } = shardsOf(w, 3, s2);
    const m = mergePosteriors(base, shards);
    expect(m.weights).toEqual(base.weights);
    m.layers.forEach((L, l) => {
      const B = base.layers[l];
      for (let i = 0; i < L.h.length; i++) {
        const want = B.h[i] + shards.reduce((a, s) => a + (s.layers[l].h[i] - B.h[i]), 0);
        expect(Math.abs(L.h[i] - want)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(want)));
      }
      for (let k = 0; k < L.b.length; k++) {
        const want = B.b[k] + shards.reduce((a, s) => a + (s.layers[l].b[k] - B.b[k]), 0);
        expect(Math.abs(L.b[k] - want)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(want)));
      }
      // The caches follow the merged h (the same refresh as after an update).
      const again = PosteriorStore.fromJSON(m.toJSON());
      expect(bytesOf(L.mean).equals(bytesOf(again.layers[l].mean))).toBe(true);
      expect(bytesOf(L.variance).equals(bytesOf(again.layers[l].variance))).toBe(true);
      if (w === 'gaussian') expect(Array.from(new Set(L.variance))).toEqual([0.5]);
      // The shards moved away from the base, so the test is not vacuous.
      expect(bytesOf(L.h).equals(bytesOf(B.h))).toBe(false);
    });
  });

  test("combine 'average': h = h_base + (1/K)·Σ_k (h_k − h_base); an unknown combine is an ArgumentError", () => {
    const { base, shards } = shardsOf('binary', 4);
    const m = mergePosteriors(base, shards, { combine: 'average' });
    m.layers.forEach((L, l) => {
      const B = base.layers[l];
      for (let i = 0; i < L.h.length; i++) {
        const want = B.h[i] + shards.reduce((a, s) => a + (s.layers[l].h[i] - B.h[i]), 0) / 4;
        expect(Math.abs(L.h[i] - want)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(want)));
      }
    });
    expect(posteriorHash(mergePosteriors(base, shards.slice().reverse(), { combine: 'average' }))).toBe(posteriorHash(m));
    expect(() => mergePosteriors(base, shards, { combine: 'sum' as never })).toThrow("invalid argument. `combine` must be 'product' or 'average'. Value: `\"sum\"`.");
  });

  test('one shard with its own base gives that shard back, byte for byte', () => {
    for (const [, w] of kinds) {
      const { base, shards } = shardsOf(w, 1);
      const m = mergePosteriors(base, shards);
      expect(posteriorHash(m)).toBe(posteriorHash(shards[0]));
      m.layers.forEach((L, l) => expect(bytesOf(L.h).equals(bytesOf(shards[0].layers[l].h))).toBe(true));
    }
  });

  test('symmetric in the order of the shards, byte for byte', () => {
    const { base, shards } = shardsOf('binary', 4);
    const ref = posteriorHash(mergePosteriors(base, shards));
    for (const order of [[3, 2, 1, 0], [1, 3, 0, 2], [2, 0, 3, 1]]) {
      expect(posteriorHash(mergePosteriors(base, order.map((k) => shards[k])))).toBe(ref);
    }
  });

  test('a shard of another architecture or weight family is a MismatchError naming what differs', () => {
    const base = PosteriorStore.init([64, 16, 10], { seed: 1 });
    const err = (shard: PosteriorStore): MismatchError => {
      try {
        mergePosteriors(base, [base.clone(), shard], { baseName: 'base.ebpb', shardNames: ['a.ebpb', 'b.ebpb'] });
      } catch (e) {
        return e as MismatchError;
      }
      throw new Error('no error');
    };
    const arch = err(PosteriorStore.init([64, 32, 10], { seed: 1 }));
    expect(arch).toBeInstanceOf(MismatchError);
    expect(arch.differs).toBe('architecture');
    expect(arch.exitCode).toBe(3);
    expect(arch.message).toBe('b.ebpb has layer widths 64-32-10, but base.ebpb has 64-16-10; they must share the architecture.');
    const kind = err(PosteriorStore.init([64, 16, 10], { seed: 1, weights: 'gaussian' }));
    expect(kind.differs).toBe('weights');
    expect(kind.message).toMatch(/^b\.ebpb has gaussian \(variance 1\) weights, but base\.ebpb has binary/);
    const g = PosteriorStore.init([64, 16, 10], { seed: 1, weights: 'gaussian' });
    expect(() => mergePosteriors(g, [PosteriorStore.init([64, 16, 10], { weights: 'gaussian', weightVariance: 2 })])).toThrow(/variance 2/);
    const t = PosteriorStore.init([64, 16, 10], { seed: 1, weights: ternary(0.5) });
    const t2 = PosteriorStore.init([64, 16, 10], { seed: 1, weights: ternary(0.8) });
    expect(() => mergePosteriors(t, [t2])).toThrow(MismatchError);
  });
});

describe('posteriorHash', () => {
  test('the same parameters give the same hash on every backend; one ulp of one weight changes it', () => {
    const a = PosteriorStore.init([64, 16, 10], { seed: 4 });
    const h = posteriorHash(a);
    expect(h).toMatch(/^[0-9a-f]{64}$/);
    expect(posteriorHash(a.clone('js'))).toBe(h);
    const b = a.clone();
    b.layers[1].h[7] = b.layers[1].h[7] * (1 + Number.EPSILON);
    expect(posteriorHash(b)).not.toBe(h);
    const c = a.clone();
    c.layers[0].b[0] = 1e-300;
    expect(posteriorHash(c)).not.toBe(h);
    // The weight family is part of the identity: same numbers, Gaussian weights.
    expect(posteriorHash(PosteriorStore.fromParameters({ ...a.toJSON(), weights: 'gaussian' }))).not.toBe(h);
  });
});

describe('EbpTrainer.fromPrior', () => {
  const part = subset(train, rows(0, 400));

  test('zero epochs gives the prior back; training leaves the prior itself untouched', () => {
    const prior = PosteriorStore.init([64, 16, 10], { seed: 2 });
    const h = posteriorHash(prior);
    const t = EbpTrainer.fromPrior(prior, 5);
    t.fit(part, { epochs: 0 });
    expect(posteriorHash(t.store)).toBe(h);
    t.fit(part, { epochs: 1 });
    expect(posteriorHash(t.store)).not.toBe(h);
    expect(posteriorHash(prior)).toBe(h);
  });

  test('on the same rows in the same order, one epoch from a prior is one more epoch of the run that made it (bit for bit)', () => {
    // Fixed order: two epochs in one run = one epoch, then one epoch from that posterior as the prior.
    const run = EbpTrainer.create({ inputs: 64, hidden: [16], outputs: 10, seed: 7 });
    run.fit(part, { epochs: 2, shuffle: false });
    const first = EbpTrainer.create({ inputs: 64, hidden: [16], outputs: 10, seed: 7 });
    first.fit(part, { epochs: 1, shuffle: false });
    const next = EbpTrainer.fromPrior(first.store, 123);
    next.fit(part, { epochs: 1, shuffle: false });
    expect(posteriorHash(next.store)).toBe(posteriorHash(run.store));
    // Shuffled: the same holds when the prior's run hands on its data-order state.
    const run2 = EbpTrainer.create({ inputs: 64, hidden: [16], outputs: 10, seed: 8 });
    run2.fit(part, { epochs: 2 });
    const first2 = EbpTrainer.create({ inputs: 64, hidden: [16], outputs: 10, seed: 8 });
    first2.fit(part, { epochs: 1 });
    const next2 = EbpTrainer.fromPrior(first2.store);
    next2.setRngState(first2.rngState());
    next2.fit(part, { epochs: 1 });
    expect(posteriorHash(next2.store)).toBe(posteriorHash(run2.store));
  });
});
