import ndarray from 'ndarray';
import { PosteriorStore } from '../../../src/ebp/posterior';
import { ModelFormatError, ArgumentError } from '../../../src/errors';
import { encodeModel, encodeCheckpoint } from '../../../src/model/encode';
import { decodeModel, decodeCheckpoint } from '../../../src/model/decode';
import { readModelContainer } from '../../../src/model/container';
import { crc32 } from '../../../src/model/crc32';
import { XnorNetwork } from '../../../src/xnor/network';
import { XnorEnsemble } from '../../../src/xnor/network';
import { createRng } from '../../../src/util/random';
import { edit, join, reseal, split } from './helpers';

function trainedLikeStore(sizes: number[], seed: number): PosteriorStore {
  const s = PosteriorStore.init(sizes, { seed, backend: 'js' });
  const rng = createRng(seed);
  s.layers.forEach((L, l) => {
    for (let k = 0; k < L.outputs; k++) L.b[k] = rng.normal();
    s.refresh(l);
  });
  return s;
}

function rows(n: number, K: number, seed = 1) {
  const rng = createRng(seed);
  return ndarray(Float64Array.from({ length: n * K }, () => rng.int(256) / 255), [n, K]);
}

const expectFormatError = (f: () => unknown, msg: RegExp | string, code = 'ebp.modelFormat') => {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(ModelFormatError);
  expect((err as ModelFormatError).code).toBe(code);
  expect((err as Error).message).toMatch(msg);
  expect((err as ModelFormatError).exitCode).toBe(3);
};

describe('model file round trip', () => {
  const store = trainedLikeStore([40, 33, 20, 4], 5);
  const X = rows(60, 40);

  test.each([
    ['real', { type: 'real' }],
    ['bitplanes', { type: 'bitplanes', bits: 8 }],
    ['binarize (one threshold)', { type: 'binarize', threshold: 0.5 }],
    ['binarize (per input)', { type: 'binarize', threshold: Array.from({ length: 40 }, (_, j) => j / 40) }],
  ] as const)('an EBP-D network with %s inputs predicts identically after decode', (_n, input) => {
    const net = XnorNetwork.fromPosterior(store, { input });
    const bytes = encodeModel(net);
    const back = decodeModel(bytes);
    expect(back.network).toBeInstanceOf(XnorNetwork);
    expect(back.kind).toBe('inference');
    expect(back.posterior).toBeUndefined();
    expect(Array.from(back.network.scores(X).data)).toEqual(Array.from(net.scores(X).data));
    expect(Array.from(back.network.predict(X))).toEqual(Array.from(net.predict(X)));
    expect(back.network.input).toEqual(net.input);
    expect(encodeModel(back.network)).toEqual(bytes); // canonical: re-encoding gives the same bytes
  });

  test('thresholds and flips (STE batch-norm folding) survive', () => {
    const rng = createRng(3);
    const net = XnorNetwork.fromLayers([
      { weights: Array.from({ length: 6 * 70 }, () => rng.normal()), inputs: 70, outputs: 6, threshold: [0.5, -2, 3, 0, 1, 7], flip: [1, 0, 1, 0, 0, 1] },
      { weights: Array.from({ length: 18 }, () => rng.normal()), inputs: 6, outputs: 3, bias: [0.25, -0.5, 1] },
    ]);
    const back = decodeModel(encodeModel(net)).network as XnorNetwork;
    expect(Array.from(back.layers[0].threshold!)).toEqual([0.5, -2, 3, 0, 1, 7]);
    expect(Array.from(back.layers[0].flip!)).toEqual([1, 0, 1, 0, 0, 1]);
    const Y = rows(30, 70, 4);
    expect(Array.from(back.scores(Y).data)).toEqual(Array.from(net.scores(Y).data));
  });

  test('an ensemble round trips with the same votes, members in order, canonical bytes', () => {
    const ens = XnorNetwork.sampleEnsemble(store, { members: 5, seed: 2, input: { type: 'bitplanes' } });
    const bytes = encodeModel(ens);
    const back = decodeModel(bytes).network;
    (back as XnorEnsemble).members.forEach((m, i) =>
      m.layers.forEach((L, l) => expect(Array.from(L.weights.data)).toEqual(Array.from(ens.members[i].layers[l].weights.data))),
    );
    expect(encodeModel(back)).toEqual(bytes);
    expect(back).toBeInstanceOf(XnorEnsemble);
    expect((back as XnorEnsemble).members.length).toBe(5);
    expect(Array.from(back.scores(X).data)).toEqual(Array.from(ens.scores(X).data));
    expect(Array.from((back as XnorEnsemble).probabilities(X).data)).toEqual(Array.from(ens.probabilities(X).data));
  });

  test('metadata: class and feature names, preprocessing with typed arrays, training state with NaN, extra JSON', () => {
    const net = XnorNetwork.fromPosterior(store);
    const mean = Float64Array.from({ length: 40 }, (_, j) => j / 7);
    const meta = {
      classNames: ['a', 'b', 'c', 'd'],
      featureNames: Array.from({ length: 40 }, (_, j) => `f${j}`),
      preprocess: { standardize: { mean, std: new Float32Array(40).fill(2) }, impute: { values: [1, 2, 3] }, categorical: [{ column: 'color', categories: ['red', 'blue'] }] },
      training: { trainer: 'ebp' as const, epochs: 20, seed: 1, rngState: [1, 2, 3, 4, NaN] },
      extra: { note: 'hello', flags: new Uint8Array([1, 0, 1]), ids: new Int32Array([-5, 7]), inf: -Infinity },
    };
    const d = decodeModel(encodeModel(net, meta));
    expect(d.meta.classNames).toEqual(meta.classNames);
    expect(d.meta.featureNames).toEqual(meta.featureNames);
    const pre = d.meta.preprocess as any;
    expect(pre.standardize.mean).toBeInstanceOf(Float64Array);
    expect(Array.from(pre.standardize.mean)).toEqual(Array.from(mean));
    expect(pre.standardize.std).toBeInstanceOf(Float32Array);
    expect(pre.impute.values).toEqual([1, 2, 3]);
    expect(pre.categorical).toEqual(meta.preprocess.categorical);
    expect(d.meta.training!.rngState).toEqual([1, 2, 3, 4, NaN]);
    expect(d.meta.training!.epochs).toBe(20);
    expect(d.meta.extra!.flags).toEqual(new Uint8Array([1, 0, 1]));
    expect(d.meta.extra!.ids).toEqual(new Int32Array([-5, 7]));
    expect(d.meta.extra!.inf).toBe(-Infinity);
    expect(d.createdBy).toMatch(/^ebp-bnn@/);
  });

  test('a checkpoint carries the posterior (h, b) exactly, and resumes identically', () => {
    const net = XnorNetwork.fromPosterior(store);
    const bytes = encodeModel(net, { training: { trainer: 'ebp', epochs: 3 } }, { posterior: store });
    const d = decodeModel(bytes, { posteriorBackend: 'js' });
    expect(d.kind).toBe('checkpoint');
    expect(d.posterior!.sizes).toEqual(store.sizes);
    d.posterior!.layers.forEach((L, l) => {
      expect(Array.from(L.h)).toEqual(Array.from(store.layers[l].h));
      expect(Array.from(L.b)).toEqual(Array.from(store.layers[l].b));
      expect(Array.from(L.mean)).toEqual(Array.from(store.layers[l].mean));
    });
    expect(decodeCheckpoint(bytes).posterior.weights).toBe('binary');
    expect(() => decodeCheckpoint(encodeModel(net))).toThrow(/cannot resume training/);
  });

  test('a Gaussian posterior can be checkpointed without a packed network', () => {
    const g = PosteriorStore.init([5, 4, 2], { weights: 'gaussian', weightVariance: 0.5, seed: 3, backend: 'js' });
    const bytes = encodeCheckpoint(g, { classNames: ['no', 'yes'] });
    const d = decodeCheckpoint(bytes);
    expect(d.network).toBeNull();
    expect(d.posterior.weights).toBe('gaussian');
    expect(d.posterior.weightVariance).toBe(0.5);
    expect(Array.from(d.posterior.layers[1].h)).toEqual(Array.from(g.layers[1].h));
    expectFormatError(() => decodeModel(bytes), /checkpoint without a packed network/);
  });

  test('encoder argument checks', () => {
    const net = XnorNetwork.fromPosterior(store);
    expect(() => encodeModel(net, { classNames: ['a'] })).toThrow(ArgumentError);
    expect(() => encodeModel(net, { featureNames: ['a'] })).toThrow(ArgumentError);
    expect(() => encodeModel(net, { extra: { f: (() => 1) as any } })).toThrow(/must be JSON/);
    expect(() => encodeModel(net, { extra: { x: { $tensor: 'a' } } })).toThrow(/reserved/);
    expect(() => encodeModel(net, { training: { trainer: 'sgd' as any } })).toThrow(/trainer/);
    expect(() => encodeModel({} as any)).toThrow(ArgumentError);
    expect(() => encodeModel(net, {}, { posterior: trainedLikeStore([40, 2], 1) })).toThrow(/widths/);
  });
});

describe('file size', () => {
  test('784-200-10 binary: at most packed bits + biases + 1% + 4 KiB (about 22 KB vs 636 KB of float32)', () => {
    const s = trainedLikeStore([784, 200, 10], 1);
    const net = XnorNetwork.fromPosterior(s, { input: { type: 'bitplanes' } });
    const bytes = encodeModel(net, { classNames: Array.from({ length: 10 }, (_, i) => String(i)), training: { trainer: 'ebp', epochs: 20, seed: 1 } });
    const bits = 200 * 25 * 4 + 10 * 7 * 4;
    const biases = 210 * 8;
    expect(bytes.length).toBeLessThanOrEqual(Math.floor((bits + biases) * 1.01) + 4096);
    expect(bytes.length).toBeLessThan(24000);
    const sum = net.summary();
    expect(sum.float32Bytes).toBe((784 * 200 + 200 + 200 * 10 + 10) * 4);
    expect(sum.packedBytes).toBe(bits + biases);
  });

  test('deep nets and ensembles stay within the bound', () => {
    const s = trainedLikeStore([784, 500, 500, 10], 2);
    const net = XnorNetwork.fromPosterior(s);
    const bits = 500 * 25 * 4 + 500 * 16 * 4 + 10 * 16 * 4;
    const biases = 1010 * 8;
    expect(encodeModel(net).length).toBeLessThanOrEqual(Math.floor((bits + biases) * 1.01) + 4096);
    const ens = new XnorEnsemble([net, net.withBackend('js'), net.withBackend('js')]);
    expect(encodeModel(ens).length).toBeLessThanOrEqual(Math.floor(3 * (bits + biases) * 1.01) + 4096);
  });

  test('ensembles: one header for any number of members (tensors stacked over the members)', () => {
    const s = trainedLikeStore([784, 200, 10], 3);
    const bits = 200 * 25 * 4 + 10 * 7 * 4;
    const biases = 210 * 8;
    for (const M of [1, 16, 64]) {
      const ens = XnorNetwork.sampleEnsemble(s, { members: M, seed: 1, backend: 'js' });
      const bytes = encodeModel(ens);
      expect(bytes.length).toBeLessThanOrEqual(Math.floor(M * (bits + biases) * 1.01) + 4096);
      const h = split(bytes).header;
      expect(h.ensemble.members).toBe(M);
      expect(h.tensors.map((t: any) => t.shape)).toEqual([[M, 200, 784], [M, 200], [M, 10, 200], [M, 10]]);
    }
  });
});

describe('decode errors: each a ModelFormatError with a precise message', () => {
  const store = trainedLikeStore([37, 9, 3], 7);
  const net = XnorNetwork.fromPosterior(store, { input: { type: 'binarize', threshold: Array.from({ length: 37 }, (_, j) => j % 3) } });
  const good = encodeModel(net, { classNames: ['x', 'y', 'z'], preprocess: { mean: new Float64Array(37) } }, { posterior: store });

  test('the good file decodes', () => {
    expect(decodeModel(good).network.sizes).toEqual([37, 9, 3]);
  });

  test('wrong magic', () => {
    const b = good.slice();
    b[0] = 0x50;
    expectFormatError(() => decodeModel(b), /not an ebp-bnn model file: it starts with 50 42 50 42 4e 4e 00 00/);
    expectFormatError(() => decodeModel(new TextEncoder().encode('{"format": "ebp-bnn"}')), /not an ebp-bnn model file/);
    expectFormatError(() => decodeModel(new Uint8Array([0x45, 0x42, 0x51])), /not an ebp-bnn model file: it starts with 45 42 51/);
  });

  test('a newer version: code ebp.unsupportedVersion', () => {
    const b = good.slice();
    new DataView(b.buffer).setUint32(8, 3, true);
    expectFormatError(() => decodeModel(b), 'model format version 3 is newer than this ebp-bnn reads (version 2); upgrade ebp-bnn.', 'ebp.unsupportedVersion');
    new DataView(b.buffer).setUint32(8, 0, true);
    expectFormatError(() => decodeModel(b), /invalid model format version 0/);
  });

  test('truncated at every cut point', () => {
    const cuts = new Set<number>();
    for (let c = 0; c < 40; c++) cuts.add(c);
    for (let c = 40; c < good.length; c += 17) cuts.add(c);
    for (let c = good.length - 12; c < good.length; c++) cuts.add(c);
    for (const c of cuts) {
      expectFormatError(() => decodeModel(good.subarray(0, c)), c < 24 ? `the file is truncated: it has ${c} bytes, fewer than the 24-byte preamble.` : new RegExp(`^the file is truncated: it has ${c} bytes, its preamble declares ${good.length} `));
    }
  });

  test('trailing bytes', () => {
    const b = new Uint8Array(good.length + 3);
    b.set(good);
    expectFormatError(() => decodeModel(b), 'the file has 3 unexpected bytes after its ' + good.length + ' declared bytes (concatenated or corrupt).');
  });

  test('checksum mismatch: a flipped bit anywhere in the header or the payload', () => {
    const rng = createRng(9);
    for (let t = 0; t < 40; t++) {
      const b = good.slice();
      const at = 24 + rng.int(good.length - 28);
      b[at] ^= 1 << rng.int(8);
      expectFormatError(() => decodeModel(b), /^checksum mismatch: the file records CRC-32 0x[0-9a-f]{8}, its bytes give 0x[0-9a-f]{8}; the file is corrupt\.$/);
    }
    const b = good.slice();
    b[b.length - 1] ^= 0x80;
    expectFormatError(() => decodeModel(b), /checksum mismatch/);
  });

  test('unknown preamble flags', () => {
    const p = split(good);
    p.flags = 4;
    expectFormatError(() => decodeModel(join(p)), 'the preamble has unknown flags 0x00000004 (format version 1 defines none).');
  });

  test('misaligned tensor offset', () => {
    const b = edit(good, (p) => {
      p.header.tensors[1].byteOffset += 4;
    });
    const name = split(good).header.tensors[1].name;
    expectFormatError(() => decodeModel(b), new RegExp(`tensor '${name}' is misaligned: byteOffset \\d+ is not a multiple of 8\\.`));
  });

  test('out-of-bounds tensor offset', () => {
    const b = edit(good, (p) => {
      const t = p.header.tensors[p.header.tensors.length - 1];
      t.byteOffset = p.payload.length;
    });
    expectFormatError(() => decodeModel(b), /is out of bounds: bytes \[\d+, \d+\) do not fit in the \d+-byte payload\./);
    const c = edit(good, (p) => {
      p.header.tensors[0].byteOffset = 2 ** 40;
    });
    expectFormatError(() => decodeModel(c), /out of bounds/);
  });

  test('byteLength that does not match dtype and shape', () => {
    const b = edit(good, (p) => {
      p.header.tensors.find((t: any) => t.name === 'layer0/weights').byteLength -= 4;
    });
    expectFormatError(() => decodeModel(b), "tensor 'layer0/weights' has byteLength 68, but bits [9, 37] takes 72 bytes.");
  });

  test('overlapping tensors', () => {
    const b = edit(good, (p) => {
      p.header.tensors[1].byteOffset = p.header.tensors[0].byteOffset;
    });
    expectFormatError(() => decodeModel(b), /overlap/);
  });

  test('non-zero padding bits in a weight row', () => {
    const p = split(good);
    const w = p.header.tensors.find((t: any) => t.name === 'layer0/weights');
    // 37 columns: word 1 of each row holds bits 32..36; set bit 5 of row 4's second word (column 37, padding)
    const at = w.byteOffset + (4 * 2 + 1) * 4;
    p.payload[at] |= 1 << 5;
    expectFormatError(() => decodeModel(join(p)), "tensor 'layer0/weights' (layer 0 weights): row 4 has non-zero padding bits past column 37.");
  });

  test('non-zero bytes between tensors or after the header', () => {
    const gaps = split(good);
    const last = gaps.header.tensors[gaps.header.tensors.length - 1];
    const grown = new Uint8Array(gaps.payload.length + 8);
    grown.set(gaps.payload);
    grown[grown.length - 3] = 9;
    gaps.payload = grown;
    expect(last.byteOffset + last.byteLength).toBe(gaps.payload.length - 8);
    expectFormatError(() => decodeModel(join(gaps)), `non-zero byte at payload offset ${grown.length - 3}, outside every tensor (padding must be zero).`);
    const h = split(good);
    const text = JSON.stringify(h.header);
    const bytes = join(h, text);
    const H = new TextEncoder().encode(text).length;
    if ((24 + H) % 8 !== 0) {
      const b = bytes.slice();
      b[24 + H] = 0x20;
      expectFormatError(() => decodeModel(reseal(b)), `non-zero padding byte at offset ${24 + H} after the header (padding must be zero).`);
    }
  });

  test('header problems', () => {
    const p = split(good);
    expectFormatError(() => decodeModel(join(p, '{"format": "ebp-bnn", ')), /the header is not valid JSON/);
    expectFormatError(() => decodeModel(join(p, '[1, 2]')), 'the header is not a JSON object.');
    expectFormatError(() => decodeModel(edit(good, (q) => (q.header.format = 'onnx'))), `the header's "format" is "onnx", expected "ebp-bnn".`);
    expectFormatError(() => decodeModel(edit(good, (q) => (q.header.version = 2))), `the header's "version" 2 differs from the preamble's version 1.`);
    expectFormatError(() => decodeModel(edit(good, (q) => (q.header.layers[0].type = 'conv2d'))), `layer 0 has unsupported type "conv2d" (format version 1 has 'binaryDense' and 'ternaryDense').`);
    expectFormatError(() => decodeModel(edit(good, (q) => (q.header.layers[0].type = 'ternaryDense'))), `layer 0 is 'ternaryDense': its weights are the masks "plus" and "minus", it has no "weights".`);
    expectFormatError(() => decodeModel(edit(good, (q) => (q.header.layers[1].inputs = 8))), /layer 1 has 8 inputs but layer 0 has 9 outputs/);
    expectFormatError(() => decodeModel(edit(good, (q) => (q.header.layers[0].activation = 'none'))), /expected "sign" for a hidden layer/);
    expectFormatError(() => decodeModel(edit(good, (q) => (q.header.layers[0].bias = 'nope'))), "layer 0 bias refers to tensor 'nope', which is not in the tensor table.");
    expectFormatError(() => decodeModel(edit(good, (q) => (q.header.tensors[0].dtype = 'int4'))), /unknown dtype "int4"/);
    expectFormatError(() => decodeModel(edit(good, (q) => (q.header.classNames = ['x']))), /"classNames" must be 3 strings/);
    expectFormatError(() => decodeModel(edit(good, (q) => (q.header.packing.bitOrder = 'msb-first'))), /unsupported bit packing/);
    expectFormatError(() => decodeModel(edit(good, (q) => (q.header.kind = 'inference'))), /kind is "inference" but the file has posterior group/);
    const bad = split(good);
    bad.payload = new Uint8Array(0);
    expectFormatError(() => decodeModel(join(bad, '{"format":"ebp-bnn","version":1,"kind":"inference","tensors":[]}')), /neither a network/);
  });

  test('non-finite biases and flags out of range', () => {
    const p = split(good);
    const bias = p.header.tensors.find((t: any) => t.name === 'layer1/bias');
    new DataView(p.payload.buffer).setFloat64(bias.byteOffset + 8, NaN, true);
    expectFormatError(() => decodeModel(join(p)), "tensor 'layer1/bias' (layer 1 bias) holds NaN at index 1; values must be finite.");
  });

  test('stacked ensemble tensors: padding bits name the member and row; thresholds and flips per member', () => {
    const rng = createRng(4);
    const mk = (thr: boolean) =>
      XnorNetwork.fromLayers([
        { weights: Array.from({ length: 5 * 37 }, () => rng.normal()), inputs: 37, outputs: 5, ...(thr ? { threshold: [1, 2, 3, 4, 5], flip: [1, 0, 0, 1, 0] } : { bias: [0.5, 1, -1, 2, 0] }) },
        { weights: Array.from({ length: 10 }, () => rng.normal()), inputs: 5, outputs: 2 },
      ]);
    const ens = new XnorEnsemble([mk(false), mk(true), mk(false)]);
    const bytes = encodeModel(ens);
    const back = decodeModel(bytes).network as XnorEnsemble;
    const Y = rows(20, 37, 5);
    expect(Array.from(back.scores(Y).data)).toEqual(Array.from(ens.scores(Y).data));
    expect(Array.from(back.members[1].layers[0].flip!)).toEqual([1, 0, 0, 1, 0]);
    expect(Array.from(back.members[0].layers[0].threshold!)).toEqual([-0.5, -1, 1, -2, -0]);
    const p = split(bytes);
    const w = p.header.tensors.find((t: any) => t.name === 'ensemble/layer0/weights');
    p.payload[w.byteOffset + ((5 + 3) * 2 + 1) * 4] |= 1 << 6; // member 1, row 3, column 38
    expectFormatError(() => decodeModel(join(p)), "tensor 'ensemble/layer0/weights' (layer 0 weights): member 1, row 3 has non-zero padding bits past column 37.");
  });

  test('readModelContainer exposes the header without building the network', () => {
    const c = readModelContainer(good);
    expect(c.header.kind).toBe('checkpoint');
    expect(c.tensors.get('layer0/weights')!.shape).toEqual([9, 37]);
  });

  test('CRC-32 check value', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
  });
});
