// Arguments a library user can get wrong: views where contiguous matrices were assumed, non-finite inputs at
// inference, and options that used to be accepted silently. Each must work as documented or fail with a typed error.
import ndarray from 'ndarray';
import {
  ArgumentError, DataError, EbpTrainer, NumericError, PosteriorStore, ShapeError, SteTrainer, XnorNetwork, createRng, decodeModel,
  deterministicScores, encodeModel, fitPreprocess, makeDataset, matrix, meanFieldForward, parseCsvText, predict, signTargets,
  splitDataset, subset, toRows, validatePreprocessSpec, zeros, type Dataset, type Matrix,
} from '../../src';

/** A 4×3 matrix [[0,1,2],[10,11,12],[20,21,22],[30,31,32]] as a transposed view of its 3×4 transpose. */
function transposedView(): Matrix {
  const t = matrix([[0, 10, 20, 30], [1, 11, 21, 31], [2, 12, 22, 32]]);
  return t.transpose(1, 0);
}

/** The same values as a `.lo(1, 1)` slice of a padded 5×4 matrix (offset and row stride ≠ cols). */
function slicedView(): Matrix {
  const padded = zeros(5, 4);
  padded.data.fill(-9);
  for (let i = 0; i < 4; i++) for (let j = 0; j < 3; j++) padded.set(i + 1, j + 1, i * 10 + j);
  return padded.lo(1, 1);
}

const EXPECTED = [[0, 1, 2], [10, 11, 12], [20, 21, 22], [30, 31, 32]];

describe('ndarray views are accepted anywhere (api.md)', () => {
  test.each([['transposed', transposedView], ['sliced', slicedView]])('%s view: subset and splitDataset take the right rows', (_n, view) => {
    const X = view();
    expect(toRows(X)).toEqual(EXPECTED);
    const d = makeDataset({ X, labels: Int32Array.from([0, 1, 0, 1]), numClasses: 2 });
    const s = subset(d, [1, 3]);
    expect(toRows(s.X)).toEqual([EXPECTED[1], EXPECTED[3]]);
    expect(Array.from(s.labels)).toEqual([1, 1]);
    const { train, validation } = splitDataset(d, 0.5, createRng(1));
    const rows = [...toRows(train.X), ...toRows(validation.X)].sort((a, b) => a[0] - b[0]);
    expect(rows).toEqual(EXPECTED);
  });

  test('EbpTrainer.fit and evaluate on a view equal the same on a contiguous copy', () => {
    const rng = createRng(4);
    const n = 40;
    const K = 6;
    const T = zeros(K, n); // features stored column-major: X is its transpose
    T.data.forEach((_, i) => (T.data[i] = rng.normal()));
    const X = T.transpose(1, 0);
    const labels = Int32Array.from({ length: n }, (_, i) => (X.get(i, 0) + X.get(i, 1) > 0 ? 1 : 0));
    const copy = matrix(Float64Array.from(toRows(X).flat()), n, K);
    const run = (Xm: Matrix) => {
      const t = EbpTrainer.create({ inputs: K, hidden: [5], outputs: 2, seed: 2 });
      const r = t.fit(makeDataset({ X: Xm, labels, numClasses: 2 }), { epochs: 2, batchSize: 4, seed: 3 });
      return { store: t.store.toJSON(), last: r.epochs[1].meanNegLogZ, ev: t.evaluate(makeDataset({ X: Xm, labels, numClasses: 2 })) };
    };
    expect(run(X)).toEqual(run(copy));
  });
});

describe('inference rejects non-finite inputs with the row and column', () => {
  const store = PosteriorStore.init([3, 4, 2], { seed: 1 });
  const bad = [[1, 2, 3], [0.5, NaN, 1]];
  test.each([
    ['predict, probabilistic', () => predict(store, matrix(bad), 'probabilistic')],
    ['predict, deterministic', () => predict(store, matrix(bad), 'deterministic')],
    ['meanFieldForward', () => meanFieldForward(store, matrix(bad))],
    ['deterministicScores', () => deterministicScores(store, matrix(bad))],
    ['XnorNetwork.scores', () => XnorNetwork.fromPosterior(store).scores(bad)],
    ['XnorNetwork.predict (flat Float64Array)', () => XnorNetwork.fromPosterior(store).predict(Float64Array.from([1, 2, 3, 0.5, Infinity, 1]))],
    ['ensemble probabilities', () => XnorNetwork.sampleEnsemble(store, { members: 3, seed: 1 }).probabilities(bad)],
  ])('%s', (_n, fn) => {
    expect(fn).toThrow(NumericError);
    expect(fn).toThrow(/input row 1, column 1 is (NaN|Infinity)/);
  });

  test.each(['wasm', 'js'] as const)('packed %s engine: the exact row and column, in any chunk and at any position', (backend) => {
    const net = XnorNetwork.fromPosterior(PosteriorStore.init([7, 5, 3], { seed: 2 }), { backend });
    const rows = 3 * 256 + 5; // several engine chunks
    const X = new Float64Array(rows * 7).map((_, i) => Math.sin(i));
    expect(net.scores(X).shape).toEqual([rows, 3]);
    for (const [r, c, v] of [[0, 0, NaN], [0, 6, Infinity], [300, 3, -Infinity], [rows - 1, 6, NaN]] as const) {
      const Y = X.slice();
      Y[r * 7 + c] = v;
      expect(() => net.scores(Y)).toThrow(`packed network: input row ${r}, column ${c} is ${v}; inputs must be finite.`);
    }
  });

  test('arrays of rows are accepted where a matrix is expected; anything else is an ArgumentError', () => {
    const rows = [[1, 2, 3], [0.5, -1, 1]];
    expect(predict(store, rows as unknown as Matrix).scores.data).toEqual(predict(store, matrix(rows)).scores.data);
    expect(() => predict(store, Float64Array.from([1, 2, 3]) as unknown as Matrix)).toThrow(/wrap it with matrix\(data, rows, cols\)/);
    expect(() => meanFieldForward(store, null as unknown as Matrix)).toThrow(ArgumentError);
  });
});

describe('options that used to be accepted silently', () => {
  const rng = createRng(5);
  const X = zeros(30, 4);
  X.data.forEach((_, i) => (X.data[i] = rng.normal()));
  const labels = Int32Array.from({ length: 30 }, (_, i) => i % 3);
  const data: Dataset = makeDataset({ X, labels, numClasses: 3 });
  const trainer = () => EbpTrainer.create({ inputs: 4, hidden: [5], outputs: 3, seed: 1 });

  test('EbpTrainer options', () => {
    expect(() => trainer().fit(data, { trainError: 'bogus' as 'none' })).toThrow(/`trainError` must be 'online' or 'none'/);
    expect(() => trainer().fit(data, { batchSize: 10, startBatch: 3 })).toThrow(/`startBatch` must be below the 3 minibatches/);
    expect(() => EbpTrainer.create({ inputs: 4, hidden: 5 as unknown as number[], outputs: 3 })).toThrow(/`hidden` must be an array/);
    const empty = makeDataset({ X: zeros(0, 4), labels: new Int32Array(0), numClasses: 3 });
    expect(() => trainer().fit(empty)).toThrow(DataError);
    expect(() => trainer().fit({ ...data, labels: labels.subarray(0, 29) })).toThrow(ShapeError);
    expect(() => trainer().fit({ ...data, labels: Int32Array.from(labels, (c) => (c === 2 ? 7 : c)) })).toThrow(/label 7 of row 2/);
  });

  test('fitAsync: sliceMs must be a non-negative number', async () => {
    await expect(trainer().fitAsync(data, { sliceMs: -5 })).rejects.toThrow(/`sliceMs` must be a non-negative number/);
  });

  test('seeds, generator states and backends', () => {
    for (const seed of [NaN, 1.5, 'abc' as unknown as number]) {
      expect(() => PosteriorStore.init([3, 2], { seed })).toThrow(/`seed` must be a finite integer/);
      expect(() => createRng(seed)).toThrow(ArgumentError);
    }
    const r = createRng(1);
    expect(() => r.setState([0, 0, 0, 0, 0, 0])).toThrow(/not all 0/);
    expect(() => r.setState([1, 2])).toThrow(ArgumentError);
    expect(() => r.int(-3)).toThrow(/`n` must be a positive integer/);
    const s = createRng(2);
    s.setState(r.getState());
    expect(s.next()).toBe(r.next());
    expect(() => PosteriorStore.init([3, 2], { backend: 'gpu' as 'js' })).toThrow(/`backend` must be 'auto', 'wasm' or 'js'/);
    expect(() => PosteriorStore.init([3, 2]).clone('gpu' as 'js')).toThrow(ArgumentError);
    const bytes = encodeModel(XnorNetwork.fromPosterior(PosteriorStore.init([3, 2], { seed: 1 })));
    expect(() => decodeModel(bytes, { backend: 'gpu' as 'js' })).toThrow(ArgumentError);
  });

  test('data helpers', () => {
    expect(() => subset(data, [0, 30])).toThrow(/index 1 is 30/);
    expect(() => subset(data, [1.5])).toThrow(ArgumentError);
    for (const f of [-0.5, 1.5, NaN]) expect(() => splitDataset(data, f, createRng(1))).toThrow(/`fraction` must be in \[0, 1\]/);
    expect(() => signTargets(Int32Array.from([0, 3]), 3)).toThrow(/label 3 of row 1/);
    expect(() => signTargets(labels, 3, 2)).toThrow(ShapeError);
    expect(Array.from(signTargets(Int32Array.from([1, 0]), 2, 1).data)).toEqual([1, -1]);
    expect(() => matrix(new Float64Array(6), -2, -3)).toThrow(ArgumentError);
    expect(() => matrix(new Float64Array(6), 1.5, 4)).toThrow(ArgumentError);
    expect(() => zeros(-1, 2)).toThrow(ArgumentError);
    expect(() => matrix([['1', 'a'] as unknown as number[]])).toThrow(/row 0, column 0 is "1", not a number/);
    expect(() => makeDataset({ X: ndarray(new Float64Array(4), [2, 2]) as Matrix, labels: [0, 1] as unknown as Int32Array, numClasses: 2 })).toThrow(/Int32Array/);
  });

  test('fitPreprocess options', () => {
    const raw = parseCsvText('a,b,label\n1,2,x\n3,4,y\n');
    expect(() => fitPreprocess(raw, { scaling: 'standardize' as unknown as { kind: 'standardize' } })).toThrow(/`scaling` must be/);
    expect(() => fitPreprocess(raw, { scaling: { kind: 'minmax' } as unknown as { kind: 'none' } })).toThrow(ArgumentError);
    expect(() => fitPreprocess(raw, { scaling: { kind: 'binarize', threshold: NaN } })).toThrow(/threshold/);
    expect(() => fitPreprocess(raw, { impute: 'mode' as 'mean' })).toThrow(/`impute` must be/);
    const spec = fitPreprocess(raw, { scaling: { kind: 'standardize' }, impute: 'median' });
    expect(spec.scaling.kind).toBe('standardize');
    // A spec read back from a file is checked with messages that say what was expected.
    const broken = JSON.parse(JSON.stringify(spec));
    broken.columns[0].std = -1;
    expect(() => validatePreprocessSpec(broken)).toThrow(/statistics of column "a": expected finite fill and mean and a positive std, found .*std -1/);
    expect(() => validatePreprocessSpec({ ...spec, impute: 'mode' })).toThrow(/unknown imputation method "mode": expected "none", "mean" or "median"/);
  });

  test('STE: batch norm needs two rows per minibatch; labels in range', () => {
    const ste = SteTrainer.create({ inputs: 4, hidden: [5], outputs: 3, lrStart: 0.01, lrEnd: 0.001, seed: 1 });
    expect(() => ste.fit(data, { batchSize: 1 })).toThrow(/batchSize` must be at least 2/);
    expect(() => ste.gradients(matrix([[1, 2, 3, 4], [0, 1, 0, 1]]), Int32Array.from([0, 3]))).toThrow(/label 3 of row 1/);
    const noBn = SteTrainer.create({ inputs: 4, hidden: [5], outputs: 3, lrStart: 0.01, lrEnd: 0.001, seed: 1, batchNorm: false });
    expect(noBn.fit(data, { batchSize: 1, epochs: 1 }).epochs).toHaveLength(1);
  });
});
