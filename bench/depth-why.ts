/**
 * Why EBP-D of a deep binary net collapses, and why on Fashion-MNIST it rises with epochs (issue 11): per epoch
 * of plain EBP, per hidden layer, the share of weights with |tanh h| < 0.2, how often the sign unit of the most
 * probable weights agrees with the mean-field unit's most probable output sign(μ̄) when both see the same
 * (mean-field) inputs, and how often layer 2's sign unit, fed the sign network's inputs, agrees with sign(μ̄);
 * plus the ratio of the sign network's pre-activation spread to its bias spread. Written to
 * bench/results/depth-why.json.
 *
 *   node build/bench/depth-why.js [--data fashion|mnist] [--rows 5000] [--epochs 8] [--net 784-500-500-10]
 */
import { writeFileSync } from 'node:fs';
import { EbpTrainer, meanFieldForward, subset, type Dataset } from '../src';
import { fashionMnistAvailable, loadFashionMnist, loadMnist10k } from '../src/node';
import { evaluateErrors } from '../src/ebp/trainer';
import { machineInfo } from '../src/compare/machine';
import { rowMajor } from '../src/tensor/matrix';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : dflt;
}
const dataName = arg('data', 'fashion');
const rows = Number(arg('rows', '5000'));
const epochs = Number(arg('epochs', '8'));
const sizes = arg('net', '784-500-500-10').split('-').map(Number);
if (dataName === 'fashion' && !fashionMnistAvailable()) {
  console.error('fashion-mnist not installed; skipped');
  process.exit(0);
}
const full = dataName === 'fashion' ? loadFashionMnist() : loadMnist10k();
const first = (ds: Dataset, n: number): Dataset => subset(ds, Int32Array.from({ length: Math.min(n, ds.labels.length) }, (_, i) => i));
const train = first(full.train, rows);
const probe = first(full.test, 1000);
const test = full.test;
const trainer = EbpTrainer.create({ inputs: sizes[0], hidden: sizes.slice(1, -1), outputs: sizes[sizes.length - 1], weights: 'binary', seed: 1 });
const out: unknown[] = [];
for (let e = 1; e <= epochs; e++) {
  trainer.fit(train, { epochs: 1, batchSize: 10, trainError: 'none' });
  const store = trainer.store;
  const errs = evaluateErrors(store, test);
  const fw = meanFieldForward(store, probe.X);
  const { data: X, offset, rows: n } = rowMajor(probe.X);
  let vD = X.slice(offset, offset + n * sizes[0]); // the sign network's input to the layer
  const layers: unknown[] = [];
  for (let l = 0; l < store.numLayers - 1; l++) {
    const L = store.layers[l];
    let weak = 0;
    for (let i = 0; i < L.mean.length; i++) if (Math.abs(L.mean[i]) < 0.2) weak++;
    const muIn = l === 0 ? vD : (fw.layers[l - 1].muOut.data as Float64Array);
    const ubar = fw.layers[l].ubar.data as Float64Array;
    let agreeSameInput = 0;
    let agreeSignInput = 0;
    const next = new Float64Array(n * L.outputs);
    let preVar = 0;
    let biasVar = 0;
    for (let r = 0; r < n; r++) {
      for (let k = 0; k < L.outputs; k++) {
        let dMf = 0;
        let dD = 0;
        for (let j = 0; j < L.inputs; j++) {
          const w = L.map[k * L.inputs + j];
          dMf += w * muIn[r * L.inputs + j];
          dD += w * vD[r * L.inputs + j];
        }
        const t = ubar[r * L.outputs + k] >= 0;
        if (dMf + L.b[k] >= 0 === t) agreeSameInput++;
        const s = dD + L.b[k] >= 0;
        if (s === t) agreeSignInput++;
        next[r * L.outputs + k] = s ? 1 : -1;
        preVar += dD * dD;
      }
    }
    for (let k = 0; k < L.outputs; k++) biasVar += L.b[k] * L.b[k];
    layers.push({
      layer: l + 1,
      weakShare: weak / L.mean.length,
      agreeSameInput: agreeSameInput / (n * L.outputs),
      agreeSignInput: agreeSignInput / (n * L.outputs),
      rmsPre: Math.sqrt(preVar / (n * L.outputs)),
      rmsBias: Math.sqrt(biasVar / L.outputs),
    });
    vD = next;
  }
  const row = { epoch: e, testErrorP: errs.errorP, testErrorD: errs.errorD, layers };
  out.push(row);
  console.log(JSON.stringify(row));
  writeFileSync(`bench/results/depth-why-${dataName}.json`, JSON.stringify({ command: `node build/bench/depth-why.js ${process.argv.slice(2).join(' ')}`, machine: machineInfo(), rows: out }, null, 2) + '\n');
}
