// Ternary models in the CLI: the file holds the packed ternary network (EBP-D) and the posterior;
// deterministic mode runs the packed network; inspect reports 2-bit weights and the zero fraction.
import * as path from 'path';
import ndarray from 'ndarray';
import { cli, BC_TRAIN, tempDir } from './helpers';
import { loadTrainedModel as loadModel } from '../../src/node/model-file';
import { predict } from '../../src/ebp/predict';
import { XnorNetwork } from '../../src/xnor/network';
import { createRng } from '../../src/util/random';

const T = tempDir('ebp-ternary-');
afterAll(() => T.cleanup());
const opts = { cwd: T.dir };

beforeAll(async () => {
  const r = await cli(['train', BC_TRAIN, '--split', '0.25', '--weights', 'ternary', '--hidden', '40,8', '--epochs', '2', '--standardize', '--quiet', '--out', 't.ebpb'], opts);
  expect(r.code).toBe(0);
});

test('the model file holds the packed ternary network, equal to the float EBP-D network', () => {
  const m = loadModel(path.join(T.dir, 't.ebpb'));
  expect(m.weights).toMatchObject({ levels: [-1, 0, 1] });
  expect(m.network).toBeInstanceOf(XnorNetwork);
  const net = m.network as XnorNetwork;
  expect(net.layers.map((L) => L.type)).toEqual(['ternaryDense', 'ternaryDense', 'ternaryDense']);
  const rng = createRng(1);
  const X = ndarray(Float64Array.from({ length: 200 * 30 }, () => rng.normal()), [200, 30]);
  const ref = predict(m.store!, X, 'deterministic');
  expect(Array.from(net.predict(X))).toEqual(Array.from(ref.classes));
  const got = net.scores(X).data;
  ref.scores.data.forEach((e, i) => expect(Math.abs(got[i] - e)).toBeLessThanOrEqual(1e-9 * (Math.abs(e) + 8)));
});

test('inspect: 2-bit weights, zero fraction, packed bytes at 2 bits per weight', async () => {
  const r = await cli(['inspect', 't.ebpb'], opts);
  expect(r.code).toBe(0);
  expect(r.stdout).toContain('network 30-40-8-2, ternary weights, sign activations');
  expect(r.stdout).toContain('layer  inputs  outputs  1-bit weights  2-bit weights  zero weights  real params  packed bytes  float32 bytes');
  // packed: 2 masks × rows × ⌈inputs/32⌉ words × 4 bytes + 8 bytes per bias
  expect(r.stdout).toMatch(/^0 +30 +40 +0 +1200 +\d+\.\d\d% +40 +640 +4960$/m);
  expect(r.stdout).toMatch(/^2 +8 +2 +0 +16 +\d+\.\d\d% +2 +32 +72$/m);
  expect(r.stdout).toMatch(/packed network: 864 bytes vs 6344 bytes as float32: 7\.34x smaller \(ternary: 2 bits per weight, \d+\.\d\d% of the weights are zero\)/);
  const j = JSON.parse((await cli(['inspect', 't.ebpb', '--json'], opts)).stdout);
  expect(j.weights).toBe('ternary');
  expect(j.layers[0]).toMatchObject({ layer: 0, binaryParams: 0, ternaryParams: 1200, packedBytes: 640 });
  expect(j.packed.zeroFraction).toBeGreaterThanOrEqual(0);
  expect(j.packed.zeroFraction).toBeLessThanOrEqual(1);
  const zeros = loadModel(path.join(T.dir, 't.ebpb')).store!.layers.reduce((a, L) => a + L.map.filter((w) => w === 0).length, 0);
  expect(j.packed.zeroFraction).toBeCloseTo(zeros / (1200 + 320 + 16), 12);
});

test('eval: deterministic (packed), probabilistic and ensemble modes run', async () => {
  for (const mode of ['deterministic', 'probabilistic', 'ensemble']) {
    const r = await cli(['eval', 't.ebpb', BC_TRAIN, '--mode', mode], opts);
    expect(r.code).toBe(0);
  }
});

test('ensemble mode draws packed ternary members (XnorNetwork.sampleEnsemble with --members and --seed)', async () => {
  const { createPredictor } = await import('../../src/model/predictor');
  const m = loadModel(path.join(T.dir, 't.ebpb'));
  const rng = createRng(2);
  const rows = 150;
  const X = Float64Array.from({ length: rows * 30 }, () => rng.normal());
  const p = createPredictor(m, 'ensemble', { members: 7, seed: 3 }).run(X, rows);
  const ens = XnorNetwork.sampleEnsemble(m.store!, { members: 7, seed: 3 });
  expect(ens.members[0].layers.map((L) => L.type)).toEqual(['ternaryDense', 'ternaryDense', 'ternaryDense']);
  expect(Array.from(p.classes)).toEqual(Array.from(ens.predict(X)));
  // Smoothed vote shares of the same mean sign outputs: p_k = (M q_k + 1/K)/(M + 1).
  const q = ens.probabilities(X).data;
  for (let i = 0; i < rows * 2; i++) expect(p.proba![i]).toBeCloseTo((7 * q[i] + 0.5) / 8, 12);
});
