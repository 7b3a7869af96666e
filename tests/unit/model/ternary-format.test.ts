// The `ternaryDense` layer type of the .ebpb format: round trips and every decode error.
import ndarray from 'ndarray';
import { PosteriorStore } from '../../../src/ebp/posterior';
import { ternary } from '../../../src/ebp/weights';
import { ModelFormatError } from '../../../src/errors';
import { encodeModel } from '../../../src/model/encode';
import { decodeModel, decodeCheckpoint } from '../../../src/model/decode';
import { XnorNetwork } from '../../../src/xnor/network';
import { XnorEnsemble } from '../../../src/xnor/network';
import { unpackTernary } from '../../../src/xnor/bitpack';
import { createRng } from '../../../src/util/random';
import { edit, join, split } from './helpers';

function ternaryStore(sizes: number[], seed: number, zeroPrior = 0.5): PosteriorStore {
  const s = PosteriorStore.init(sizes, { seed, weights: ternary(zeroPrior), backend: 'js' });
  const rng = createRng(seed);
  s.layers.forEach((L, l) => {
    for (let i = 0; i < L.h.length; i++) L.h[i] = 1.5 * rng.normal();
    for (let k = 0; k < L.outputs; k++) L.b[k] = rng.normal();
    s.refresh(l);
  });
  return s;
}

function rows(n: number, K: number, seed = 1) {
  const rng = createRng(seed);
  return ndarray(Float64Array.from({ length: n * K }, () => rng.int(256) / 255), [n, K]);
}

const expectFormatError = (f: () => unknown, msg: RegExp | string) => {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(ModelFormatError);
  expect((err as ModelFormatError).code).toBe('ebp.modelFormat');
  expect((err as ModelFormatError).exitCode).toBe(3);
  if (typeof msg === 'string') expect((err as Error).message).toBe(msg);
  else expect((err as Error).message).toMatch(msg);
};

describe('ternaryDense round trip', () => {
  const store = ternaryStore([37, 33, 20, 4], 5);
  const X = rows(60, 37);

  test.each([
    ['real', { type: 'real' }],
    ['bitplanes', { type: 'bitplanes', bits: 8 }],
    ['binarize', { type: 'binarize', threshold: 0.5 }],
  ] as const)('a ternary EBP-D network with %s inputs predicts identically after decode; canonical bytes', (_n, input) => {
    const net = XnorNetwork.fromPosterior(store, { input });
    const bytes = encodeModel(net);
    const back = decodeModel(bytes).network as XnorNetwork;
    expect(back.layers.map((L) => L.type)).toEqual(['ternaryDense', 'ternaryDense', 'ternaryDense']);
    back.layers.forEach((L, l) => {
      expect(Array.from(unpackTernary({ plus: L.plus!, minus: L.minus! }))).toEqual(Array.from(store.layers[l].map));
    });
    expect(Array.from(back.scores(X).data)).toEqual(Array.from(net.scores(X).data));
    expect(encodeModel(back)).toEqual(bytes);
  });

  test('header: type, masks "plus" and "minus" (bits [outputs, inputs]), no "weights"', () => {
    const h = split(encodeModel(XnorNetwork.fromPosterior(store))).header;
    expect(h.version).toBe(1);
    expect(h.layers[0]).toEqual({ type: 'ternaryDense', inputs: 37, outputs: 33, activation: 'sign', plus: 'layer0/plus', minus: 'layer0/minus', bias: 'layer0/bias' });
    expect(h.layers[2].activation).toBe('none');
    const t = (name: string) => h.tensors.find((x: { name: string }) => x.name === name);
    expect(t('layer0/plus')).toMatchObject({ dtype: 'bits', shape: [33, 37], byteLength: 33 * 2 * 4, group: 'network' });
    expect(t('layer0/minus')).toMatchObject({ dtype: 'bits', shape: [33, 37], byteLength: 33 * 2 * 4 });
  });

  test('a checkpoint keeps the ternary posterior and the packed network', () => {
    const net = XnorNetwork.fromPosterior(store);
    const d = decodeCheckpoint(encodeModel(net, {}, { posterior: store }));
    expect(d.posterior.weights).toEqual(store.weights);
    expect(Array.from(d.posterior.layers[1].map)).toEqual(Array.from(store.layers[1].map));
    expect(Array.from(d.network!.scores(X).data)).toEqual(Array.from(net.scores(X).data));
  });

  test('an ensemble of ternary members round trips with stacked masks', () => {
    const ens = XnorNetwork.sampleEnsemble(store, { members: 5, seed: 2 });
    const bytes = encodeModel(ens);
    const h = split(bytes).header;
    expect(h.ensemble.layers[0]).toMatchObject({ type: 'ternaryDense', plus: 'ensemble/layer0/plus', minus: 'ensemble/layer0/minus' });
    const back = decodeModel(bytes).network as XnorEnsemble;
    back.members.forEach((m, i) =>
      m.layers.forEach((L, l) => {
        expect(Array.from(L.plus!.data)).toEqual(Array.from(ens.members[i].layers[l].plus!.data));
        expect(Array.from(L.minus!.data)).toEqual(Array.from(ens.members[i].layers[l].minus!.data));
      }),
    );
    expect(Array.from(back.scores(X).data)).toEqual(Array.from(ens.scores(X).data));
    expect(encodeModel(back)).toEqual(bytes);
  });

  test('an ensemble mixing binary and ternary members in a layer is written as ternaryDense (same weights)', () => {
    const rng = createRng(8);
    const bin = XnorNetwork.fromLayers([
      { weights: Array.from({ length: 5 * 37 }, () => rng.normal()), inputs: 37, outputs: 5 },
      { weights: Array.from({ length: 10 }, () => rng.normal()), inputs: 5, outputs: 2 },
    ]);
    const tern = XnorNetwork.fromLayers([
      { type: 'ternaryDense', weights: Array.from({ length: 5 * 37 }, () => rng.int(3) - 1), inputs: 37, outputs: 5 },
      { weights: Array.from({ length: 10 }, () => rng.normal()), inputs: 5, outputs: 2 },
    ]);
    const ens = new XnorEnsemble([bin, tern]);
    const bytes = encodeModel(ens);
    const h = split(bytes).header;
    expect(h.ensemble.layers.map((L: { type: string }) => L.type)).toEqual(['ternaryDense', 'binaryDense']);
    const back = decodeModel(bytes).network as XnorEnsemble;
    expect(back.members[0].layers[0].type).toBe('ternaryDense');
    const w = Array.from(unpackTernary({ plus: back.members[0].layers[0].plus!, minus: back.members[0].layers[0].minus! }));
    expect(w.every((v) => v === 1 || v === -1)).toBe(true);
    const Y = rows(30, 37, 3);
    expect(Array.from(back.scores(Y).data)).toEqual(Array.from(ens.scores(Y).data));
  });

  test('size: 784-200-10 ternary inference file ≤ 2 bits per weight + biases + 1% + 4 KiB', () => {
    const s = ternaryStore([784, 200, 10], 1);
    const net = XnorNetwork.fromPosterior(s);
    const bytes = encodeModel(net);
    const masks = 2 * (200 * 25 + 10 * 7) * 4;
    const biases = 210 * 8;
    expect(bytes.length).toBeLessThanOrEqual((masks + biases) * 1.01 + 4096);
    expect(net.summary().packedBytes).toBe(masks + biases);
  });
});

describe('ternaryDense decode errors', () => {
  const rng = createRng(4);
  const w0 = Array.from({ length: 6 * 37 }, () => rng.int(3) - 1);
  const single = encodeModel(
    XnorNetwork.fromLayers([
      { type: 'ternaryDense', weights: w0, inputs: 37, outputs: 6, bias: [0.5, 1, -1, 2, 0, 3] },
      { type: 'ternaryDense', weights: Array.from({ length: 12 }, () => rng.int(3) - 1), inputs: 6, outputs: 2 },
    ]),
  );
  const tensor = (bytes: Uint8Array, name: string) => split(bytes).header.tensors.find((t: { name: string }) => t.name === name);

  test('non-zero padding bits in either mask', () => {
    for (const [name, label] of [['layer0/plus', '+1 mask'], ['layer0/minus', '−1 mask']]) {
      const p = split(single);
      const t = tensor(single, name);
      p.payload[t.byteOffset + (4 * 2 + 1) * 4] |= 1 << 7; // row 4, word 1, bit 7 = column 39
      expectFormatError(() => decodeModel(join(p)), `tensor '${name}' (layer 0 ${label}): row 4 has non-zero padding bits past column 37.`);
    }
  });

  test('a weight in both masks', () => {
    const p = split(single);
    const plus = tensor(single, 'layer0/plus');
    const minus = tensor(single, 'layer0/minus');
    const v = new DataView(p.payload.buffer);
    const at = (t: { byteOffset: number }) => t.byteOffset + (2 * 2 + 1) * 4; // row 2, word 1 (columns 32..36)
    v.setInt32(at(plus), v.getInt32(at(plus), true) | 0b1000, true);
    v.setInt32(at(minus), v.getInt32(at(minus), true) | 0b1000, true); // column 35
    expectFormatError(
      () => decodeModel(join(p)),
      "tensors 'layer0/plus' and 'layer0/minus' (layer 0 masks): row 2 has column 35 in both the +1 and the −1 mask; the masks must be disjoint.",
    );
  });

  test('a weight in both masks of one ensemble member names the member', () => {
    const s = ternaryStore([37, 6, 2], 3);
    const bytes = encodeModel(XnorNetwork.sampleEnsemble(s, { members: 3, seed: 1 }));
    const p = split(bytes);
    const plus = tensor(bytes, 'ensemble/layer0/plus');
    const minus = tensor(bytes, 'ensemble/layer0/minus');
    const o = ((6 + 3) * 2) * 4; // member 1, row 3, word 0
    p.payload[plus.byteOffset + o] |= 1; // column 0 in both masks
    p.payload[minus.byteOffset + o] |= 1;
    expectFormatError(() => decodeModel(join(p)), /^tensors 'ensemble\/layer0\/plus' and 'ensemble\/layer0\/minus' \(layer 0 masks\): member 1, row 3 has column 0 in both/);
  });

  test('mask tensors: missing, unknown, wrong dtype, wrong shape', () => {
    expectFormatError(() => decodeModel(edit(single, (q) => delete q.header.layers[0].minus)), 'layer 0 −1 mask must name a tensor, got undefined.');
    expectFormatError(() => decodeModel(edit(single, (q) => (q.header.layers[0].plus = 'nope'))), "layer 0 +1 mask refers to tensor 'nope', which is not in the tensor table.");
    expectFormatError(() => decodeModel(edit(single, (q) => (q.header.layers[0].plus = 'layer0/bias'))), "tensor 'layer0/bias' (layer 0 +1 mask) has dtype float64, expected bits.");
    expectFormatError(
      () => decodeModel(edit(single, (q) => (q.header.layers[1].minus = 'layer0/minus'))),
      "tensor 'layer0/minus' (layer 1 −1 mask) has shape [6, 37], expected [2, 6].",
    );
  });

  test('mixing the fields of the two layer types', () => {
    expectFormatError(
      () => decodeModel(edit(single, (q) => (q.header.layers[0].weights = 'layer0/minus'))),
      `layer 0 is 'ternaryDense': its weights are the masks "plus" and "minus", it has no "weights".`,
    );
    const bin = encodeModel(XnorNetwork.fromLayers([{ weights: [1, -1, 1, 1], inputs: 2, outputs: 2 }]));
    expectFormatError(
      () => decodeModel(edit(bin, (q) => (q.header.layers[0].plus = 'layer0/weights'))),
      `layer 0 is 'binaryDense': its weights are "weights", it has no "plus" or "minus" mask.`,
    );
    expectFormatError(() => decodeModel(edit(single, (q) => (q.header.layers[1].threshold = 'layer1/bias'))), 'layer 1 is the output layer; it cannot have a threshold or flip.');
  });
});
