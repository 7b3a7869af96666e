// Sharded rounds on the digits fixture (docs/scaling.md, docs/benchmarks.md): each of 4 shards trains one
// epoch on its quarter of the rows from the merged posterior, 3 rounds. The measured behaviour the docs
// describe, kept by a test: the product of the shards (the Bayes formula) over-counts the corrections every
// shard makes to the shared posterior and collapses; their average converges.
import * as path from 'path';
import { EbpTrainer, createRng, evaluateErrors, matrix, mergePosteriors, subset, type Dataset, type MergeCombine, type PosteriorStore } from '../../src';
import { readNumericCsv } from '../../src/node';

const DIGITS = path.join(__dirname, '..', 'fixtures', 'digits');
function digits(file: string): Dataset {
  const d = readNumericCsv(path.join(DIGITS, file));
  return { ...d, X: matrix(d.X.data.map((v) => v / 16), d.X.shape[0], d.X.shape[1]) };
}
const train = digits('digits_train.csv');
const testSet = digits('digits_test.csv');

function rounds(K: number, combine: MergeCombine, R = 3): number {
  const n = train.labels.length;
  const order = createRng(501).permutation(n);
  const parts = Array.from({ length: K }, (_, k) => subset(train, order.subarray(Math.floor((k * n) / K), Math.floor(((k + 1) * n) / K))));
  let merged: PosteriorStore = EbpTrainer.create({ inputs: 64, hidden: [32], outputs: 10, seed: 1 }).store;
  for (let r = 0; r < R; r++) {
    const shards = parts.map((p, k) => {
      const t = EbpTrainer.fromPrior(merged, 1000 * (r + 1) + k);
      t.fit(p, { epochs: 1, trainError: 'none' });
      return t.store;
    });
    merged = mergePosteriors(merged, shards, { combine });
  }
  return evaluateErrors(merged, testSet).errorP;
}

test('4 shards, 3 rounds: the average stays within 2.5× of one process; the product collapses', () => {
  const one = rounds(1, 'product');
  const average = rounds(4, 'average');
  const product = rounds(4, 'product');
  expect(one).toBeLessThan(0.12);
  expect(average).toBeLessThan(2.5 * one);
  expect(product).toBeGreaterThan(0.5);
});
