// threadedPredictor (src/node/threaded-predictor.ts) against createPredictor: the same classes and
// probability bytes for 1, 2 and 3 threads, in every mode, for packed and float posteriors.
import { createPredictor } from '../../../src/model/predictor';
import { PosteriorStore } from '../../../src/ebp/posterior';
import { XnorNetwork } from '../../../src/xnor/network';
import { threadedPredictor } from '../../../src/node/threaded-predictor';
import { createRng } from '../../../src/util/random';

const bytes = (a: Float64Array | null) => (a === null ? null : Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex'));

describe('threaded predictor', () => {
  const rng = createRng(5);
  const rows = 200;
  const X = Float64Array.from({ length: rows * 30 }, () => rng.normal());
  const cases: [string, PosteriorStore][] = [
    ['binary', PosteriorStore.init([30, 40, 20, 4], { seed: 3 })],
    ['gaussian', PosteriorStore.init([30, 40, 4], { seed: 3, weights: 'gaussian' })],
  ];

  test.each(cases)('%s posterior: every mode, 1, 2 and 3 threads', async (kind, store) => {
    const network = kind === 'binary' ? XnorNetwork.fromPosterior(store) : null;
    const source = { sizes: store.sizes, store, network };
    for (const mode of ['deterministic', 'probabilistic', 'ensemble'] as const) {
      const want = createPredictor(source, mode, { members: 5, seed: 2 }).run(X, rows);
      for (const threads of [1, 2, 3]) {
        const p = threadedPredictor(source, mode, { members: 5, seed: 2, threads });
        expect(p.threads).toBe(threads);
        const got = await p.run(X, rows);
        expect(Array.from(got.classes)).toEqual(Array.from(want.classes));
        expect(bytes(got.proba)).toEqual(bytes(want.proba));
      }
    }
  });

  test('its errors are createPredictor\'s (no posterior) and the thread count is validated', () => {
    const store = PosteriorStore.init([4, 3, 2], { seed: 1 });
    const network = XnorNetwork.fromPosterior(store);
    expect(() => threadedPredictor({ sizes: store.sizes, network }, 'ensemble', { threads: 2 })).toThrow("needs the weight posterior");
    expect(() => threadedPredictor({ sizes: store.sizes, network }, 'deterministic', { threads: 0 })).toThrow('`threads` must be');
  });
});
