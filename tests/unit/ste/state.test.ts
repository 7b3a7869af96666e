// SteTrainer.state()/setState(): the full training state (latent weights, batch-norm parameters and running
// statistics or biases, Adam moments and step count, epoch, schedule horizon, data-order generator), so that an
// interrupted run continued on a fresh trainer ends with the bytes of an uninterrupted one — at an epoch boundary
// and inside an epoch (startBatch + epochStartRng). fitAsync trains exactly what fit trains.
import { SteTrainer, createRng, makeDataset, matrix, type Dataset, type SteTrainerConfig, type SteTrainerState } from '../../../src';

function data(seed: number, n = 230, K = 13, classes = 3): Dataset {
  const rng = createRng(seed);
  const labels = Int32Array.from({ length: n }, () => rng.int(classes));
  const X = new Float64Array(n * K).map((_, i) => rng.normal() + 0.8 * ((labels[Math.floor(i / K)] + (i % K)) % classes));
  return makeDataset({ X: matrix(X, n, K), labels, numClasses: classes });
}

/** Every number of a state as bytes (typed arrays and scalars), to compare runs exactly. */
function fingerprint(s: SteTrainerState): Buffer {
  const parts: Buffer[] = [Buffer.from(JSON.stringify({ epoch: s.epoch, lrEpochs: s.lrEpochs, step: s.step, rng: s.rngState.map(String) }))];
  for (const L of s.layers) {
    for (const k of Object.keys(L).sort()) {
      const v = (L as unknown as Record<string, unknown>)[k];
      if (v instanceof Float64Array) parts.push(Buffer.from(k), Buffer.from(v.buffer, v.byteOffset, v.byteLength));
    }
  }
  return Buffer.concat(parts);
}

/** A deep copy through plain arrays, as a checkpoint file would give it back. */
function roundTrip(s: SteTrainerState): SteTrainerState {
  const copy = (a: unknown) => (a instanceof Float64Array ? Float64Array.from(Array.from(a)) : a);
  return {
    ...s,
    rngState: s.rngState.slice(),
    layers: s.layers.map((L) => Object.fromEntries(Object.entries(L).map(([k, v]) => [k, copy(v)])) as unknown as SteTrainerState['layers'][number]),
  };
}

const train = data(1);
const validation = data(2, 60);

describe.each([
  ['batch norm, squared hinge', { batchNorm: true, loss: 'squared-hinge' }],
  ['no batch norm, softmax CE', { batchNorm: false, loss: 'softmax-ce' }],
] as const)('%s', (_name, extra) => {
  const cfg: SteTrainerConfig = { inputs: 13, hidden: [11, 7], outputs: 3, lrStart: 0.05, lrEnd: 0.001, lrEpochs: 4, seed: 9, ...extra };
  let reference: Buffer;
  beforeAll(() => {
    const t = SteTrainer.create(cfg);
    t.fit(train, { epochs: 4, batchSize: 32, validation });
    reference = fingerprint(t.state());
  });

  test('state() has every array, Adam step and schedule position', () => {
    const t = SteTrainer.create(cfg);
    t.fit(train, { epochs: 1, batchSize: 32 });
    const s = t.state();
    expect(s.epoch).toBe(1);
    expect(s.lrEpochs).toBe(4);
    expect(s.step).toBe(Math.ceil(230 / 32));
    expect(s.layers.map((L) => [L.inputs, L.outputs])).toEqual([[13, 11], [11, 7], [7, 3]]);
    for (const L of s.layers) {
      expect(L.weightsM.length).toBe(L.inputs * L.outputs);
      expect(L.weightsV.some((v) => v > 0)).toBe(true);
      if (extra.batchNorm) expect([L.gammaM, L.gammaV, L.betaM, L.betaV, L.runningMean, L.runningVar].every((a) => a instanceof Float64Array)).toBe(true);
      else expect([L.bias, L.biasM, L.biasV].every((a) => a instanceof Float64Array)).toBe(true);
    }
  });

  test('2 epochs, state → fresh trainer → 2 more epochs: the bytes of an uninterrupted 4-epoch run', () => {
    const a = SteTrainer.create(cfg);
    a.fit(train, { epochs: 2, batchSize: 32, validation });
    const b = SteTrainer.create({ ...cfg, seed: 123 }); // other initial weights and data order: all replaced
    b.setState(roundTrip(a.state()));
    b.fit(train, { epochs: 2, batchSize: 32, validation });
    expect(fingerprint(b.state()).equals(reference)).toBe(true);
  });

  test('interrupted inside an epoch (twice): startBatch + epochStartRng resume to identical bytes', () => {
    let calls = 0;
    const a = SteTrainer.create(cfg);
    const r1 = a.fit(train, { epochs: 4, batchSize: 32, shouldStop: () => ++calls > 11 });
    expect(r1.interrupted).toBe(true);
    expect(r1.batchesDone).toBe(11 - 8);
    expect(a.epoch).toBe(1);
    const s1 = { ...a.state(), rngState: r1.epochStartRng };
    const b = SteTrainer.create(cfg);
    b.setState(roundTrip(s1));
    calls = 0;
    const r2 = b.fit(train, { epochs: 3, batchSize: 32, startBatch: r1.batchesDone, shouldStop: () => ++calls > 2 });
    expect(r2.interrupted).toBe(true);
    expect(r2.batchesDone).toBe(5);
    const c = SteTrainer.create(cfg);
    c.setState(roundTrip({ ...b.state(), rngState: r2.epochStartRng }));
    const r3 = c.fit(train, { epochs: 3, batchSize: 32, startBatch: r2.batchesDone });
    expect(r3.interrupted).toBe(false);
    expect(c.epoch).toBe(4);
    expect(fingerprint(c.state()).equals(reference)).toBe(true);
  });

  test('fitAsync (yielding every minibatch) trains exactly what fit trains', async () => {
    const t = SteTrainer.create(cfg);
    let yields = 0;
    const r = await t.fitAsync(train, { epochs: 4, batchSize: 32, validation, sliceMs: 0, onBatch: () => yields++ });
    expect(r.interrupted).toBe(false);
    expect(r.epochs.map((e) => e.epoch)).toEqual([1, 2, 3, 4]);
    expect(yields).toBe(4 * 8);
    expect(fingerprint(t.state()).equals(reference)).toBe(true);
  });
});

test('JS and WebAssembly kernels: a state moves between backends', () => {
  const cfg: SteTrainerConfig = { inputs: 13, hidden: [9], outputs: 3, lrStart: 0.05, lrEnd: 0.001, lrEpochs: 3, seed: 4 };
  const ref = SteTrainer.create({ ...cfg, backend: 'js' });
  ref.fit(train, { epochs: 3, batchSize: 50 });
  const a = SteTrainer.create({ ...cfg, backend: 'wasm' });
  a.fit(train, { epochs: 1, batchSize: 50 });
  const b = SteTrainer.create({ ...cfg, backend: 'js' });
  b.setState(a.state());
  b.fit(train, { epochs: 2, batchSize: 50 });
  expect(fingerprint(b.state()).equals(fingerprint(ref.state()))).toBe(true);
});

test('setState errors', () => {
  const t = SteTrainer.create({ inputs: 13, hidden: [5], outputs: 3, lrStart: 0.1, lrEnd: 0.01, seed: 1 });
  const s = t.state();
  const other = SteTrainer.create({ inputs: 13, hidden: [6], outputs: 3, lrStart: 0.1, lrEnd: 0.01, seed: 1 });
  expect(() => other.setState(s)).toThrow('invalid argument. state layer 0 is 13→5, the network\'s 13→6.');
  const noBn = SteTrainer.create({ inputs: 13, hidden: [5], outputs: 3, batchNorm: false, lrStart: 0.1, lrEnd: 0.01, seed: 1 });
  expect(() => noBn.setState(s)).toThrow('invalid argument. state layer 0 has no bias (the network does not use batch normalisation).');
  expect(() => t.setState({ ...s, step: -1 })).toThrow(/step count must be a non-negative integer/);
  expect(() => t.setState({ ...s, epoch: 1.5 })).toThrow(/`epoch` must be a non-negative integer/);
  const bad = roundTrip(s);
  bad.layers[1].weightsV[0] = -1;
  expect(() => t.setState(bad)).toThrow('layer 1 weightsV[0] is -1; Adam moments must be finite and ≥ 0.');
  // Nothing was changed by the failed calls.
  expect(fingerprint(t.state()).equals(fingerprint(s))).toBe(true);
});
