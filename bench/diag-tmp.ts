// diagnostic only (not recorded): stage-wise errors with the TEST set as "validation" to see the ceiling
import { EbpTrainer, createRng, splitDataset } from '../src';
import { determinise } from '../src/deterministic';
import { readNumericCsv } from '../src/node';
const dir = 'tests/fixtures/digits';
const full = { train: readNumericCsv(`${dir}/digits_train.csv`), test: readNumericCsv(`${dir}/digits_test.csv`) };
const { train } = splitDataset(full.train, 0.1, createRng(1));
const net = (process.argv[2] ?? '64-50-50-10').split('-').map(Number);
const t = EbpTrainer.create({ inputs: 64, hidden: net.slice(1, -1), outputs: 10, weights: 'binary', seed: 1 });
t.fit(train, { epochs: 20, trainError: 'none' });
for (const fix of ['map', 'threshold'] as const) {
  const r = determinise(t.store, train, { validation: full.test, seed: 1, fix, patience: 20, maxEpochs: 20 });
  console.log(fix, JSON.stringify(r.report.plain));
  for (const c of r.report.candidates) if (c.epoch % 2 === 0) console.log(`  fixed ${c.fixed} ep ${c.epoch}: D ${(100 * c.validationError).toFixed(2)} P ${(100 * c.validationErrorP).toFixed(2)}`);
}
