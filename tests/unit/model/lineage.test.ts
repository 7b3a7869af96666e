import {
  EbpTrainer, MismatchError, PosteriorStore, XnorNetwork, decodeCheckpoint, encodeCheckpoint, encodeModel, makeDataset, matrix, createRng,
  type ModelMeta,
} from '../../../src';
import { mergePosteriors, posteriorHash } from '../../../src/ebp/merge';
import { firstDifference, lineageOf, mergeCheckpoints, withPrior } from '../../../src/model/lineage';

const rng = createRng(11);
const X = Float64Array.from({ length: 200 * 12 }, () => rng.next() * 2 - 1);
const labels = Int32Array.from({ length: 200 }, (_, i) => (X[i * 12] + X[i * 12 + 1] > 0 ? 1 : 0) + (X[i * 12 + 2] > 0 ? 1 : 0));
const data = makeDataset({ X: matrix(X, 200, 12), labels, numClasses: 3 });
const meta: ModelMeta = {
  classNames: ['a', 'b', 'c'],
  featureNames: Array.from({ length: 12 }, (_, j) => `f${j}`),
  preprocess: { version: 1, scaling: { kind: 'standardize', mean: [0.5, 0.25], std: [1, 2] } },
};

function shardFile(base: PosteriorStore, seed: number, m: ModelMeta = meta, from: PosteriorStore = base): Uint8Array {
  const t = EbpTrainer.fromPrior(from, seed);
  t.fit(data, { epochs: 1 });
  return encodeModel(XnorNetwork.fromPosterior(t.store), withPrior(m, from), { posterior: t.store });
}
const decoded = (name: string, bytes: Uint8Array) => ({ name, ...decodeCheckpoint(bytes) });

describe('lineage in model files', () => {
  const base = PosteriorStore.init([12, 8, 3], { seed: 5 });
  const baseFile = decoded('base.ebpb', encodeCheckpoint(base, meta));
  const files = [1, 2, 3].map((s) => decoded(`s${s}.ebpb`, shardFile(base, s)));

  test('a model trained from a prior records the prior’s hash; merged files hold the formula and are independent of shard order', () => {
    expect(lineageOf(files[0].meta.training).prior).toBe(posteriorHash(base));
    const m = mergeCheckpoints(baseFile, files);
    expect(posteriorHash(m.posterior)).toBe(posteriorHash(mergePosteriors(base, files.map((f) => f.posterior))));
    expect(m.meta.classNames).toEqual(meta.classNames);
    expect(m.meta.preprocess).toEqual(meta.preprocess);
    const lin = lineageOf(m.meta.training);
    expect(lin.merge?.base).toBe(posteriorHash(base));
    expect(lin.merge?.shards).toEqual(files.map((f) => posteriorHash(f.posterior)).sort());
    const bytes = (ms: typeof m) => encodeModel(XnorNetwork.fromPosterior(ms.posterior), ms.meta, { posterior: ms.posterior });
    const reversed = mergeCheckpoints(baseFile, files.slice().reverse());
    expect(Buffer.from(bytes(reversed)).equals(Buffer.from(bytes(m)))).toBe(true);
    // Through a file and back: the merged lineage survives decoding.
    expect(lineageOf(decodeCheckpoint(bytes(m)).meta.training)).toEqual(lin);
  });

  test('one shard merged with its own base gives that shard’s posterior back, byte for byte', () => {
    const m = mergeCheckpoints(baseFile, [files[1]]);
    expect(posteriorHash(m.posterior)).toBe(posteriorHash(files[1].posterior));
  });

  const mismatch = (shard: ReturnType<typeof decoded>): MismatchError => {
    try {
      mergeCheckpoints(baseFile, [files[0], shard]);
    } catch (e) {
      if (e instanceof MismatchError) return e;
      throw e;
    }
    throw new Error('merged');
  };

  test('a shard of another base, with no recorded prior, other preprocessing, classes or features: a MismatchError naming it', () => {
    const other = PosteriorStore.init([12, 8, 3], { seed: 6 });
    const e1 = mismatch(decoded('o.ebpb', shardFile(base, 4, meta, other)));
    expect(e1.differs).toBe('base');
    expect(e1.exitCode).toBe(3);
    expect(e1.message).toMatch(/^o\.ebpb was trained from the prior [0-9a-f]{12}…, not from the base base\.ebpb \([0-9a-f]{12}…\)/);
    const plain = EbpTrainer.fromPrior(base, 4);
    plain.fit(data, { epochs: 1 });
    const e2 = mismatch(decoded('p.ebpb', encodeCheckpoint(plain.store, meta)));
    expect(e2.differs).toBe('base');
    expect(e2.message).toMatch(/p\.ebpb records no prior/);
    const pre = { ...meta, preprocess: { version: 1, scaling: { kind: 'standardize', mean: [0.5, 0.3], std: [1, 2] } } };
    const e3 = mismatch(decoded('q.ebpb', shardFile(base, 4, pre)));
    expect(e3.differs).toBe('preprocessing');
    expect(e3.message).toBe(
      "q.ebpb was preprocessed differently from base.ebpb (preprocess.scaling.mean[1] differs); shards must use the base's preprocessing, fitted once.",
    );
    const e4 = mismatch(decoded('r.ebpb', shardFile(base, 4, { ...meta, classNames: ['a', 'b', 'd'] })));
    expect(e4.differs).toBe('classes');
    expect(e4.message).toBe('r.ebpb has other classes than base.ebpb (classNames[2] differs).');
    const e5 = mismatch(decoded('t.ebpb', shardFile(base, 4, { ...meta, featureNames: meta.featureNames!.map((f, j) => (j === 3 ? 'g3' : f)) })));
    expect(e5.differs).toBe('preprocessing');
    expect(e5.message).toBe('t.ebpb has other input features than base.ebpb (featureNames[3] differs).');
    const wide = PosteriorStore.init([12, 9, 3], { seed: 5 });
    const e6 = mismatch(decoded('w.ebpb', shardFile(wide, 4)));
    expect(e6.differs).toBe('architecture');
  });

  test('firstDifference compares JSON-like values with keys in any order', () => {
    expect(firstDifference({ a: 1, b: [1, 2] }, { b: [1, 2], a: 1 }, 'x')).toBeNull();
    expect(firstDifference({ a: 1 }, { a: 1, b: 0 }, 'x')).toBe('x.b');
    expect(firstDifference([1, 2], [1], 'x')).toBe('x (length 2 vs 1)');
    expect(firstDifference(Float64Array.of(1, NaN), Float64Array.of(1, NaN), 'x')).toBeNull();
  });
});
