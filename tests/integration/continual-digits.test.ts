// The continual benchmark of bench/scaling.ts in its --quick form (digits fixture 64-32-10, 2 tasks: the pixels
// as they are, then a fixed permutation of them; 2 epochs each), as `node build/bench/scaling.js --quick --only
// continual` runs it. What holds on the digits fixture and is kept by this test: EBP with the posterior as prior
// keeps task 1 better than EBP retrained on task 2 alone, and learns task 2 as well. What the issue asked and does
// NOT hold here (docs/benchmarks.md): EBP forgetting visibly less than STE fine-tuned in sequence. On the
// digits fixture EBP learns task 1 far better (≈ 8% against STE's ≈ 25–40%), so its forgetting, measured from
// there, is the larger; on MNIST-10k (5 tasks, 784-100-10) EBP's forgetting is well below STE's.
import * as path from 'path';
import { continual, type ScalingConfig } from '../../bench/scaling';
import { matrix, type Dataset } from '../../src';
import { readNumericCsv } from '../../src/node';

const DIGITS = path.join(__dirname, '..', 'fixtures', 'digits');
function digits(file: string): Dataset {
  const d = readNumericCsv(path.join(DIGITS, file));
  return { ...d, X: matrix(d.X.data.map((v) => v / 16), d.X.shape[0], d.X.shape[1]) };
}

test('continual --quick (2 permuted tasks on digits): the prior keeps task 1 better than retraining from scratch', () => {
  const cfg: ScalingConfig = { hidden: 32, tasks: 2, epochs: 2, rounds: 3, shards: [1], seed: 1 };
  const r = continual(cfg, digits('digits_train.csv'), digits('digits_test.csv'), { joint: true });
  const [prior, scratch, ste] = [r.errors['ebp-prior'], r.errors['ebp-scratch'], r.errors['ste-seq']];
  expect(prior.map((row) => row.length)).toEqual([1, 2]);
  expect(ste.map((row) => row.length)).toEqual([1, 2]);
  // After task 1 both EBP runs are the same run.
  expect(prior[0]).toEqual(scratch[0]);
  expect(prior[0][0]).toBeLessThan(15);
  // After task 2: task 1 is kept better with the prior, task 2 learned about as well.
  expect(prior[1][0]).toBeLessThan(scratch[1][0] - 10);
  expect(prior[1][1]).toBeLessThan(scratch[1][1] + 5);
  expect(r.forgetting['ebp-prior']).toBeLessThan(r.forgetting['ebp-scratch']);
  expect(r.finalMean['ebp-prior']).toBeLessThan(r.finalMean['ebp-scratch']);
  // Training on both tasks together forgets nothing: the bound the sequential runs are measured against.
  expect(r.finalMean['ebp-joint']).toBeLessThan(r.finalMean['ebp-prior']);
});
