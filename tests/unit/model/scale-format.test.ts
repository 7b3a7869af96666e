// The output layer's `scale` in .ebpb files (format version 2): STE networks round-trip with identical scores;
// files without a scale stay version 1 with unchanged bytes; every decode error of the new field.
import { ModelFormatError } from '../../../src/errors';
import { encodeModel } from '../../../src/model/encode';
import { decodeModel } from '../../../src/model/decode';
import { XnorNetwork, type XnorLayerSpec } from '../../../src/xnor/network';
import { XnorEnsemble } from '../../../src/xnor/network';
import { SteTrainer } from '../../../src/ste';
import { createRng } from '../../../src/util/random';
import { edit, split } from './helpers';

const expectFormatError = (f: () => unknown, msg: RegExp | string) => {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(ModelFormatError);
  expect((err as ModelFormatError).code).toBe('ebp.modelFormat');
  if (typeof msg === 'string') expect((err as Error).message).toBe(msg);
  else expect((err as Error).message).toMatch(msg);
};

function steNet(seed: number): XnorNetwork {
  const rng = createRng(seed);
  const t = SteTrainer.create({ inputs: 37, hidden: [6], outputs: 3, lrStart: 0.01, lrEnd: 0.001, seed, backend: 'js' });
  const p = t.parameters();
  t.setParameters(p.map((L) => ({
    gamma: L.gamma!.map(() => (rng.next() < 0.3 ? -1 : 1) * (0.5 + rng.next())),
    beta: L.beta!.map(() => rng.normal()),
    runningMean: L.runningMean!.map(() => 3 * rng.normal()),
    runningVar: L.runningVar!.map(() => 1 + 10 * rng.next()),
  })));
  return XnorNetwork.fromSte(t);
}

const base: XnorLayerSpec[] = [
  { weights: Array.from({ length: 6 * 37 }, (_, i) => ((i * 7) % 5) - 2), inputs: 37, outputs: 6, threshold: [0.5, -2, 3, 0, 1, 7], flip: [1, 0, 1, 0, 0, 1] },
  { weights: [1, -1, 1, 1, -1, -1, 1, 1, 1, -1, -1, 1], inputs: 6, outputs: 2, bias: [0.25, -1] },
];

describe('output scale in model files', () => {
  test('an STE network round-trips with bit-identical scores; the file is version 2 with a float64 scale tensor', () => {
    const net = steNet(3);
    const bytes = encodeModel(net);
    const p = split(bytes);
    expect(p.version).toBe(2);
    expect(p.header.version).toBe(2);
    expect(p.header.layers[1].scale).toBe('layer1/scale');
    expect(p.header.layers[0].scale).toBeUndefined();
    expect(p.header.tensors.find((t: { name: string }) => t.name === 'layer1/scale')).toMatchObject({ dtype: 'float64', shape: [3], byteLength: 24, group: 'network' });
    const d = decodeModel(bytes);
    expect(d.formatVersion).toBe(2);
    const back = d.network as XnorNetwork;
    expect(Array.from(back.layers[1].scale!)).toEqual(Array.from(net.layers[1].scale!));
    const rng = createRng(1);
    const X = new Float64Array(80 * 37).map(() => rng.normal());
    expect(Buffer.from((back.scores(X).data as Float64Array).buffer).equals(Buffer.from((net.scores(X).data as Float64Array).buffer))).toBe(true);
    // Deterministic encoding, and re-encoding the decoded network gives the same bytes.
    expect(Buffer.from(encodeModel(back)).equals(Buffer.from(bytes))).toBe(true);
  });

  test('without a scale the file stays version 1 and its bytes do not change (no scale member)', () => {
    const bytes = encodeModel(XnorNetwork.fromLayers(base));
    const p = split(bytes);
    expect(p.version).toBe(1);
    expect(p.header.version).toBe(1);
    expect(JSON.stringify(p.header)).not.toContain('scale');
    expect((decodeModel(bytes).network as XnorNetwork).layers[1].scale).toBeNull();
  });

  test('infinite thresholds (constant neurons) round-trip; NaN thresholds are rejected', () => {
    const net = XnorNetwork.fromLayers([{ ...base[0], threshold: [Infinity, -Infinity, 3, 0, 1, 7] }, base[1]]);
    const bytes = encodeModel(net);
    expect(Array.from((decodeModel(bytes).network as XnorNetwork).layers[0].threshold!.subarray(0, 2))).toEqual([Infinity, -Infinity]);
    const tab = split(bytes).header.tensors.find((t: { name: string }) => t.name === 'layer0/threshold');
    const bad = bytes.slice();
    const start = Math.ceil((24 + new DataView(bytes.buffer).getUint32(12, true)) / 8) * 8;
    new DataView(bad.buffer).setFloat64(start + tab.byteOffset + 8, NaN, true);
    const { reseal } = jest.requireActual('./helpers') as typeof import('./helpers');
    expectFormatError(() => decodeModel(reseal(bad)), "tensor 'layer0/threshold' (layer 0 threshold) holds NaN at index 1; thresholds must be numbers (±Infinity allowed).");
  });

  test('ensembles: members with and without a scale are stacked with scale 1 filled in', () => {
    const a = XnorNetwork.fromLayers([base[0], { ...base[1], scale: [2, -0.5] }]);
    const b = XnorNetwork.fromLayers(base);
    const ens = new XnorEnsemble([a, b]);
    const bytes = encodeModel(ens);
    const p = split(bytes);
    expect(p.version).toBe(2);
    expect(p.header.tensors.find((t: { name: string }) => t.name === 'ensemble/layer1/scale')).toMatchObject({ shape: [2, 2] });
    const back = decodeModel(bytes).network as XnorEnsemble;
    expect(Array.from(back.members[0].layers[1].scale!)).toEqual([2, -0.5]);
    expect(Array.from(back.members[1].layers[1].scale!)).toEqual([1, 1]);
    const rng = createRng(2);
    const X = new Float64Array(30 * 37).map(() => rng.normal());
    expect(Array.from(back.scores(X).data)).toEqual(Array.from(ens.scores(X).data));
  });

  describe('decode errors', () => {
    const scaled = encodeModel(steNet(4));
    test('a scale in a version-1 file', () => {
      expectFormatError(
        () => decodeModel(edit(scaled, (q) => {
          q.version = 1;
          q.header.version = 1;
        })),
        'layer 1 has a "scale", which format version 1 does not define (output scales need version 2, so that older readers refuse the file).',
      );
    });
    test('a scale on a hidden layer', () => {
      expectFormatError(() => decodeModel(edit(scaled, (q) => (q.header.layers[0].scale = 'layer1/scale'))), 'layer 0 is a hidden layer; only the output layer can have a scale.');
    });
    test('wrong tensor: missing, dtype, shape, non-finite', () => {
      expectFormatError(() => decodeModel(edit(scaled, (q) => (q.header.layers[1].scale = 'nope'))), "layer 1 scale refers to tensor 'nope', which is not in the tensor table.");
      expectFormatError(() => decodeModel(edit(scaled, (q) => (q.header.layers[1].scale = 'layer0/flip'))), "tensor 'layer0/flip' (layer 1 scale) has dtype uint8, expected float64 or float32.");
      expectFormatError(() => decodeModel(edit(scaled, (q) => (q.header.layers[1].scale = 'layer0/threshold'))), "tensor 'layer0/threshold' (layer 1 scale) has shape [6], expected [3].");
      expectFormatError(
        () => decodeModel(edit(scaled, (q) => {
          const t = q.header.tensors.find((x: { name: string }) => x.name === 'layer1/scale');
          new DataView(q.payload.buffer, q.payload.byteOffset).setFloat64(t.byteOffset, Infinity, true);
        })),
        "tensor 'layer1/scale' (layer 1 scale) holds Infinity at index 0; values must be finite.",
      );
    });
  });
});
