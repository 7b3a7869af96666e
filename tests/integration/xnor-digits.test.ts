/**
 * End to end on the digits fixture (8×8 images, integer pixels 0..16): EBP training, the packed EBP-D
 * network equal to the float EBP-D forward, posterior ensembles, and the model file round trip.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { EbpTrainer } from '../../src/ebp/trainer';
import { predict } from '../../src/ebp/predict';
import { readNumericCsv } from '../../src/node/csv-numeric';
import { XnorNetwork } from '../../src/xnor/network';
import { encodeModel } from '../../src/model/encode';
import { decodeCheckpoint, decodeModel } from '../../src/model/decode';
import { loadModel, saveModel } from '../../src/node/model-file';

const FIX = path.join(__dirname, '..', 'fixtures', 'digits');
const train = readNumericCsv(path.join(FIX, 'digits_train.csv'));
const testSet = readNumericCsv(path.join(FIX, 'digits_test.csv'));

function errorOf(pred: Int32Array): number {
  let e = 0;
  for (let i = 0; i < pred.length; i++) if (pred[i] !== testSet.labels[i]) e++;
  return e / pred.length;
}

describe.each([[[100]], [[60, 60]]])('digits, 64-%j-10, binary EBP', (hidden) => {
  const trainer = EbpTrainer.create({ inputs: 64, hidden, outputs: 10, weights: 'binary', seed: 3 });
  trainer.fit(train, { epochs: 3, seed: 3, trainError: 'none' });
  const store = trainer.store;
  const ref = predict(store, testSet.X, 'deterministic');

  test('packed EBP-D equals the float64 EBP-D forward exactly (integer pixels), on both backends and three input modes', () => {
    for (const backend of ['js', 'wasm'] as const) {
      for (const input of [{ type: 'real' }, { type: 'bitplanes', bits: 5, scale: 1 }] as const) {
        const net = XnorNetwork.fromPosterior(store, { input, backend });
        expect(Array.from(net.scores(testSet.X).data)).toEqual(Array.from(ref.scores.data));
        expect(Array.from(net.predict(testSet.X))).toEqual(Array.from(ref.classes));
      }
    }
    expect(errorOf(ref.classes)).toBeLessThan(0.3);
  });

  test('a 16-member posterior ensemble is a working classifier, reproducible by seed', () => {
    const ens = XnorNetwork.sampleEnsemble(store, { members: 16, seed: 1 });
    const p = ens.predict(testSet.X);
    expect(errorOf(p)).toBeLessThan(0.3);
    expect(Array.from(XnorNetwork.sampleEnsemble(store, { members: 16, seed: 1, backend: 'js' }).predict(testSet.X))).toEqual(Array.from(p));
  });

  test('model file: inference and checkpoint round trips, via the file system too', () => {
    const net = XnorNetwork.fromPosterior(store);
    const meta = { classNames: train.classNames, featureNames: train.featureNames, training: { trainer: 'ebp' as const, epochs: 3, seed: 3, rngState: trainer.rngState() } };
    const bytes = encodeModel(net, meta);
    expect(Array.from(decodeModel(bytes).network.predict(testSet.X))).toEqual(Array.from(ref.classes));
    const ck = decodeCheckpoint(encodeModel(net, meta, { posterior: store }));
    expect(Array.from(predict(ck.posterior, testSet.X, 'deterministic').scores.data)).toEqual(Array.from(ref.scores.data));
    expect(ck.meta.training!.rngState).toEqual(trainer.rngState());
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xnor-digits-'));
    try {
      const file = path.join(dir, 'digits.ebpb');
      saveModel(file, bytes);
      const back = loadModel(file);
      expect(back.meta.classNames).toEqual(train.classNames);
      expect(Array.from(back.network.predict(testSet.X))).toEqual(Array.from(ref.classes));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
