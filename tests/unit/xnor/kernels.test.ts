import { XnorNetwork, type XnorLayerSpec } from '../../../src/xnor/network';
import type { InputEncoding } from '../../../src/xnor/input';
import { popcountCut } from '../../../src/kernels/xnor-plan';
import { setWasmEnabled } from '../../../src/kernels/wasm-heap';
import { xnorWasmModule } from '../../../src/kernels/xnor-wasm';
import { ArgumentError } from '../../../src/errors';
import { createRng, randomLayers, randomRows, randomSizes, type RefLayer, type RowKind } from './reference';

function specs(layers: RefLayer[]): XnorLayerSpec[] {
  return layers.map((L) => ({ weights: L.w.flat(), inputs: L.w[0].length, outputs: L.w.length, bias: L.b, threshold: L.threshold, flip: L.flip }));
}

function bits(a: Float64Array): string[] {
  const v = new DataView(a.buffer, a.byteOffset, a.byteLength);
  return Array.from({ length: a.length }, (_, i) => v.getBigUint64(i * 8, true).toString(16));
}

describe('the TypeScript and WebAssembly kernels give identical results', () => {
  test('WebAssembly is available in this test environment', () => {
    expect(xnorWasmModule()).not.toBeNull();
  });

  const encodings: [string, (K: number) => InputEncoding, RowKind][] = [
    ['real (sparse Gaussian rows, bit for bit)', () => ({ type: 'real' }), 'sparse-gauss'],
    ['bit planes, sparse 8-bit rows', () => ({ type: 'bitplanes', bits: 8, scale: 1 }), 'sparse-byte'],
    ['real (Gaussian rows, bit for bit)', () => ({ type: 'real' }), 'gauss'],
    ['bit planes, 8 bits, scale 1/255', () => ({ type: 'bitplanes' }), 'unit'],
    ['bit planes, 3 bits, offset and scale, clamping', () => ({ type: 'bitplanes', bits: 3, scale: 0.7, offset: -1.3 }), 'gauss'],
    ['binarised at per-input thresholds', (K) => ({ type: 'binarize', threshold: Array.from({ length: K }, (_, j) => ((j % 5) - 2) / 3) }), 'gauss'],
  ];

  test.each(encodings)('%s', (_name, enc, kind) => {
    const rng = createRng(11);
    for (let t = 0; t < 20; t++) {
      const sizes = randomSizes(rng, t % 4 === 0 ? 300 : 120);
      const layers = specs(randomLayers(rng, sizes, { thresholds: t % 2 === 0 }));
      const X = randomRows(rng, 1 + rng.int(t % 5 === 0 ? 400 : 9), sizes[0], kind);
      const js = XnorNetwork.fromLayers(layers, { input: enc(sizes[0]), backend: 'js' });
      const wasm = js.withBackend('wasm');
      expect(wasm.backend).toBe('wasm');
      expect(bits(wasm.scores(X).data)).toEqual(bits(js.scores(X).data));
    }
  });

  test('a wide net (784-300-300-10) with a batch of 300 rows', () => {
    const rng = createRng(12);
    const layers = specs(randomLayers(rng, [784, 300, 300, 10]));
    const X = randomRows(rng, 300, 784, 'unit');
    for (const input of [{ type: 'real' }, { type: 'bitplanes' }, { type: 'binarize', threshold: 0.5 }] as InputEncoding[]) {
      const js = XnorNetwork.fromLayers(layers, { input, backend: 'js' });
      expect(bits(js.withBackend('wasm').scores(X).data)).toEqual(bits(js.scores(X).data));
    }
  });

  test('fallback: with WebAssembly disabled, auto selects the TypeScript kernels and wasm is refused', () => {
    const layers = specs(randomLayers(createRng(13), [5, 4, 2]));
    setWasmEnabled(false);
    try {
      expect(XnorNetwork.fromLayers(layers).backend).toBe('js');
      expect(() => XnorNetwork.fromLayers(layers, { backend: 'wasm' })).toThrow(ArgumentError);
    } finally {
      setWasmEnabled(true);
    }
    expect(XnorNetwork.fromLayers(layers).backend).toBe('wasm');
  });

  test('popcount cuts reproduce sign(dot + b) and the flipped comparison for every dot', () => {
    for (const K of [1, 2, 7, 64]) {
      for (const thr of [-K - 3, -K, -2.5, -1, -0, 0, 0.5, 1, 1e-300, -1e-300, 2.0000000001, K, K + 0.5, K + 9]) {
        for (const flip of [false, true]) {
          const c = popcountCut(K, thr, flip);
          for (let p = 0; p <= K; p++) {
            const dot = K - 2 * p;
            const plus = flip ? dot <= thr : dot >= thr;
            const neg = (p > c) !== flip;
            expect(neg).toBe(!plus);
          }
        }
      }
    }
  });
});
