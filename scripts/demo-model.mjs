#!/usr/bin/env node
// `npm run demo:model`: train the model the browser demo ships, with a fixed seed, and write it to demo/model/.
//
//   demo/model/mnist-deterministic.ebpb  the one packed network the page shows as "the deterministic network"
//   demo/model/mnist-ensemble.ebpb       a posterior ensemble of packed networks (class bars, entropy, agreement)
//   demo/model/mnist-test10.json         the first ten images of the official MNIST test set (grey levels 0..255)
//
// Until the deterministic-deep-network issue (11) lands, the deterministic network is EBP-D (the posterior's
// most probable weights, XnorNetwork.fromPosterior) of a 784-100-10 binary network, the best the library
// has; switching means changing `deterministicNetwork` (and ARCH) below. Needs `npm run build` first.
// Usage: node scripts/demo-model.mjs [--epochs N] [--out DIR]
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const ROOT = path.join(path.dirname(new URL(import.meta.url).pathname), '..');
const lib = require(path.join(ROOT, 'dist', 'index.js'));
const { loadMnist60k } = require(path.join(ROOT, 'dist', 'node', 'index.js'));

const ARCH = { hidden: [100], weights: 'binary' };
const SEED = 14;
const MEMBERS = 16;
const BATCH = 10;
const args = process.argv.slice(2);
const flag = (name, dflt) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
const EPOCHS = Number(flag('--epochs', 10));
const OUT = path.resolve(flag('--out', path.join(ROOT, 'demo', 'model')));
// 8-bit pixels read exactly by the first layer (bit planes), as the page feeds them.
const INPUT = { type: 'bitplanes', bits: 8 };

/** The network the page labels "deterministic"; issue 11's deterministic network replaces this. */
function deterministicNetwork(store) {
  return lib.XnorNetwork.fromPosterior(store, { input: INPUT });
}

const { train, test } = loadMnist60k();
const trainer = lib.EbpTrainer.create({ inputs: 784, ...ARCH, outputs: 10, seed: SEED });
const started = Date.now();
trainer.fit(train, {
  epochs: EPOCHS,
  batchSize: BATCH,
  seed: SEED,
  trainError: 'none',
  onEpoch: (r) => console.error(`epoch ${r.epoch}: ${r.samplesPerSecond.toFixed(0)} samples/s, -logZ ${r.meanNegLogZ.toFixed(4)}`),
});
const seconds = (Date.now() - started) / 1000;

const det = deterministicNetwork(trainer.store);
const ens = lib.XnorNetwork.sampleEnsemble(trainer.store, { members: MEMBERS, seed: SEED, input: INPUT });
const errorOf = (pred) => pred.reduce((e, c, i) => e + (c !== test.labels[i] ? 1 : 0), 0) / test.labels.length;
const detError = errorOf(det.predict(test.X));
const ensError = errorOf(ens.predict(test.X));
const training = { trainer: 'ebp', dataset: train.name, epochs: EPOCHS, batchSize: BATCH, seed: SEED };
const extra = (testError, what) => ({
  description: what,
  testSet: 'MNIST official test set (10,000 images)',
  testError,
  command: EPOCHS === 10 ? "npm run demo:model" : `npm run demo:model -- --epochs ${EPOCHS}`,
});
const classNames = test.classNames;
const sizes = [784, ...ARCH.hidden, 10].join('-');
fs.mkdirSync(OUT, { recursive: true });
fs.writeFileSync(
  path.join(OUT, 'mnist-deterministic.ebpb'),
  lib.encodeModel(det, { classNames, training, extra: extra(detError, `${sizes} binary EBP, most probable weights (EBP-D)`) }),
);
fs.writeFileSync(
  path.join(OUT, 'mnist-ensemble.ebpb'),
  lib.encodeModel(ens, { classNames, training, extra: extra(ensError, `${sizes} binary EBP, ${MEMBERS} networks drawn from the posterior`) }),
);
const images = [];
for (let i = 0; i < 10; i++) images.push(Array.from(test.X.data.subarray(i * 784, (i + 1) * 784), (v) => Math.round(v * 255)));
const test10 = { source: 'MNIST official test set, images 0..9', labels: Array.from(test.labels.subarray(0, 10)), images };
fs.writeFileSync(path.join(OUT, 'mnist-test10.json'), JSON.stringify(test10) + '\n');
console.log(
  `${sizes} binary EBP, ${EPOCHS} epochs on ${train.name} in ${seconds.toFixed(0)} s: ` +
    `deterministic test error ${(100 * detError).toFixed(2)}%, ${MEMBERS}-member ensemble ${(100 * ensError).toFixed(2)}%; wrote ${OUT}`,
);
