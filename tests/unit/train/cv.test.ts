import { parseCsvText } from '../../../src/data/csv';
import type { RawTable } from '../../../src/data/csv-table';
import type { PosteriorStore } from '../../../src/ebp/posterior';
import type { SteTrainer } from '../../../src/ste/trainer';
import { crossValidate, summarizeFolds, type CrossValidationSettings, type CvFoldData } from '../../../src/train/cv';
import { contiguousFolds, foldRows } from '../../../src/train/folds';
import { createRng } from '../../../src/util/random';

/** 80 rows: two numeric columns, one text column, a label that depends on them. */
function table(): RawTable {
  const rng = createRng(3);
  const lines = ['x,y,colour,label'];
  for (let i = 0; i < 80; i++) {
    const x = rng.normal() * 3 + 10;
    const y = rng.normal();
    const colour = ['red', 'green', 'blue'][i % 3];
    lines.push(`${x},${y},${colour},${x + y + (colour === 'red' ? 1 : 0) > 10.5 ? 1 : 0}`);
  }
  return parseCsvText(lines.join('\n') + '\n', { categorical: ['colour'] });
}

/** A copy of `raw` whose rows `rows` hold values no training row has: huge numbers and an unseen category. */
function poisoned(raw: RawTable, rows: ArrayLike<number>): RawTable {
  const numeric = raw.numeric.slice();
  const nn = raw.numericCols.length;
  const colour = raw.categorical[0].slice();
  for (const r of Array.from(rows)) {
    for (let j = 0; j < nn; j++) numeric[r * nn + j] = 1e6 + r;
    colour[r] = 'ultraviolet';
  }
  return { ...raw, numeric, categorical: [colour] };
}

const EBP: CrossValidationSettings = { trainer: 'ebp', weights: 'binary', hidden: [8], epochs: 2, seed: 5, folds: 4, batch: 10, scaling: { kind: 'standardize' } };
const STE: CrossValidationSettings = { ...EBP, trainer: 'ste', batch: 16, lrStart: 0.05, lrEnd: 0.005, batchNorm: true, loss: 'squared-hinge' };

/** Everything fold 2 was fitted and trained on, and what training produced. */
async function fold2(raw: RawTable, s: CrossValidationSettings) {
  let data: CvFoldData | undefined;
  let model: unknown;
  let det: { train: number[]; choices: number[]; network: string } | undefined;
  const r = await crossValidate(raw, s, {
    only: [2],
    onFoldData: (d) => (data = d),
    onFoldDone: (_f, m) => (model = m),
    onDeterminised: (d) => (det = { train: Array.from(d.train.X.data as Float64Array), choices: Array.from(d.choices.X.data as Float64Array), network: JSON.stringify(d.network.layers.map((l) => [Array.from(l.weights.data), Array.from(l.bias ?? [])])) }),
  });
  const trained = s.trainer === 'ebp' ? Array.from((model as PosteriorStore).layers.flatMap((l) => [...l.h, ...l.b])) : JSON.stringify((model as SteTrainer).parameters());
  return { data: data!, trained, fold: r.folds[0], det };
}

describe('no test row reaches the preprocessing or the training of its fold', () => {
  test.each([['ebp', EBP], ['ste', STE], ['ebp --determinise', { ...EBP, determinise: true }]] as const)('%s: poisoning the test rows changes only the test metrics', async (_name, s) => {
    const raw = table();
    const testRows = foldRows(contiguousFolds(raw.rows, 4), 1).test;
    const clean = await fold2(raw, s);
    const dirty = await fold2(poisoned(raw, testRows), s);
    expect(Array.from(clean.data.testRows)).toEqual(Array.from(testRows));
    expect(clean.data.trainRows.length + testRows.length).toBe(80);
    expect(Array.from(clean.data.trainRows).some((r) => testRows.includes(r))).toBe(false);
    // Preprocessing: same statistics, no unseen category; training data and the trained model bit-identical.
    expect(dirty.data.spec).toEqual(clean.data.spec);
    expect(JSON.stringify(dirty.data.spec)).not.toMatch(/ultraviolet|1000/);
    expect(Array.from(dirty.data.train.X.data as Float64Array)).toEqual(Array.from(clean.data.train.X.data as Float64Array));
    expect(dirty.trained).toEqual(clean.trained);
    // Determinise (its continued EBP's rows, its choice rows, the network it returns) never sees a test row.
    expect(dirty.det).toEqual(clean.det);
    if (clean.det) {
      expect(clean.det.train.length + clean.det.choices.length).toBe(clean.data.train.X.data.length);
      expect(dirty.fold.epochs[1].metrics.errorDeterminised).not.toBeUndefined();
    }
    // The test rows themselves were read (and differ).
    expect(Array.from(dirty.data.test.X.data as Float64Array)).not.toEqual(Array.from(clean.data.test.X.data as Float64Array));
  });
});

test('a run reports every fold and epoch, and the summary is the mean and sample std of the last epoch', async () => {
  const raw = table();
  const seen: string[] = [];
  const r = await crossValidate(raw, { ...EBP, folds: 3 }, { onEpoch: (e) => seen.push(`${e.fold}.${e.epoch}`) });
  expect(seen).toEqual(['1.1', '1.2', '2.1', '2.2', '3.1', '3.2']);
  expect(r.folds.map((f) => f.testRows)).toEqual([27, 26, 27]);
  const s = summarizeFolds(r.folds);
  const xs = r.folds.map((f) => f.epochs[1].metrics.errorP as number);
  const m = (xs[0] + xs[1] + xs[2]) / 3;
  expect(s.mean.errorP).toBeCloseTo(m, 15);
  expect(s.std.errorP).toBeCloseTo(Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / 2), 15);
  expect(Object.keys(s.mean)).toEqual(['errorP', 'errorD', 'errorEnsemble', 'nll', 'ece', 'nllEnsemble', 'eceEnsemble']);
  expect(s.epochs.map((e) => e.epoch)).toEqual([1, 2]);
  for (const f of s.folds) expect(f.errorP).toBeLessThan(0.35);
});

test('determinise adds the determinised error to the last epoch and leaves every other metric as it was', async () => {
  const raw = table();
  const plain = await crossValidate(raw, { ...EBP, folds: 3 }, { only: [1, 3] });
  const det = await crossValidate(raw, { ...EBP, folds: 3, determinise: true }, { only: [1, 3] });
  for (const [i, f] of det.folds.entries()) {
    expect(Object.keys(f.epochs[0].metrics)).not.toContain('errorDeterminised');
    const { errorDeterminised, ...rest } = f.epochs[1].metrics;
    expect(rest).toEqual(plain.folds[i].epochs[1].metrics);
    expect(f.epochs[0].metrics).toEqual(plain.folds[i].epochs[0].metrics);
    expect(errorDeterminised).toBeGreaterThanOrEqual(0);
    expect(errorDeterminised).toBeLessThan(0.5);
  }
  expect(Object.keys(summarizeFolds(det.folds).mean)).toContain('errorDeterminised');
  // Gaussian weights have no determinised network: the option changes nothing.
  const g = await crossValidate(raw, { ...EBP, weights: 'gaussian', folds: 3, determinise: true }, { only: [1] });
  expect(Object.keys(g.folds[0].epochs[1].metrics)).not.toContain('errorDeterminised');
});
