/**
 * The comparison's "same data order" claim (src/compare/compare.ts, docs/benchmarks.md): with fit's seed d, both
 * trainers visit the rows in the permutations of createRng(d) (one shuffle of the identity per epoch), and the
 * harness's fitAsync gives the same result as fit (and so does one fit call per epoch, seeded on the first).
 */
import { EbpTrainer } from '../../../src/ebp/trainer';
import { SteTrainer } from '../../../src/ste/trainer';
import { makeDataset, subset, type Dataset } from '../../../src/data/dataset';
import { matrix } from '../../../src/tensor/matrix';
import { createRng } from '../../../src/util/random';

function blobs(n: number, F: number, K: number, seed: number): Dataset {
  const rng = createRng(seed);
  const X = new Float64Array(n * F);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = rng.int(K);
    for (let j = 0; j < F; j++) X[i * F + j] = rng.normal() + (j % K === labels[i] ? 1.5 : 0);
  }
  return makeDataset({ X: matrix(X, n, F), labels, numClasses: K });
}

/** The permutations the comparison documents: createRng(seed), per epoch one Fisher–Yates shuffle of 0..n−1. */
function permutations(n: number, seed: number, epochs: number): Int32Array[] {
  const rng = createRng(seed);
  const out: Int32Array[] = [];
  for (let e = 0; e < epochs; e++) {
    const order = Int32Array.from({ length: n }, (_, i) => i);
    rng.shuffle(order);
    out.push(order);
  }
  return out;
}

const data = blobs(230, 12, 3, 5);
const EPOCHS = 3;
const DATA_SEED = 1007;

test('EBP: fit(seed) = fitAsync(seed) = one epoch at a time = training on the pre-permuted rows without shuffling', async () => {
  const mk = () => EbpTrainer.create({ inputs: 12, hidden: [9], outputs: 3, seed: 7 });
  const a = mk();
  a.fit(data, { epochs: EPOCHS, batchSize: 10, seed: DATA_SEED, trainError: 'none' });
  const b = mk();
  for (let e = 0; e < EPOCHS; e++) b.fit(data, { epochs: 1, batchSize: 10, seed: e === 0 ? DATA_SEED : undefined, trainError: 'none' });
  const c = mk();
  for (const perm of permutations(230, DATA_SEED, EPOCHS)) c.fit(subset(data, perm), { epochs: 1, batchSize: 10, shuffle: false, trainError: 'none' });
  const d = mk();
  await d.fitAsync(data, { epochs: EPOCHS, batchSize: 10, seed: DATA_SEED, trainError: 'none', sliceMs: 0 });
  const h = (t: EbpTrainer) => t.store.layers.flatMap((L) => [Array.from(L.h), Array.from(L.b)]);
  expect(h(b)).toEqual(h(a));
  expect(h(c)).toEqual(h(a));
  expect(h(d)).toEqual(h(a));
});

test('STE: the same permutation stream, at its own batch size and with its schedule', async () => {
  const mk = () => SteTrainer.create({ inputs: 12, hidden: [9], outputs: 3, lrStart: 0.03, lrEnd: 0.0003, lrEpochs: EPOCHS, seed: 7 });
  const a = mk();
  a.fit(data, { epochs: EPOCHS, batchSize: 50, seed: DATA_SEED, trainError: 'none' });
  const b = mk();
  for (let e = 0; e < EPOCHS; e++) b.fit(data, { epochs: 1, batchSize: 50, seed: e === 0 ? DATA_SEED : undefined, trainError: 'none' });
  const c = mk();
  for (const perm of permutations(230, DATA_SEED, EPOCHS)) c.fit(subset(data, perm), { epochs: 1, batchSize: 50, shuffle: false, trainError: 'none' });
  const d = mk();
  await d.fitAsync(data, { epochs: EPOCHS, batchSize: 50, seed: DATA_SEED, trainError: 'none', sliceMs: 0 });
  expect(b.parameters()).toEqual(a.parameters());
  expect(c.parameters()).toEqual(a.parameters());
  expect(d.parameters()).toEqual(a.parameters());
});
