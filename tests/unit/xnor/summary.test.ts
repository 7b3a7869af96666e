import { PosteriorStore } from '../../../src/ebp/posterior';
import { formatSummary } from '../../../src/xnor/summary';
import { XnorNetwork } from '../../../src/xnor/network';

describe('summary (Larq-style profile)', () => {
  const store = PosteriorStore.init([784, 200, 10], { seed: 1, backend: 'js' });

  test('per-layer inputs, outputs, 1-bit and 64-bit parameters, packed vs float32 bytes', () => {
    const s = XnorNetwork.fromPosterior(store, { input: { type: 'bitplanes' } }).summary();
    expect(s.layers).toEqual([
      { index: 0, type: 'binaryDense', input: 'bitplanes', inputs: 784, outputs: 200, activation: 'sign', binaryParams: 156800, ternaryParams: 0, zeroFraction: 0, realParams: 200, packedBytes: 200 * 25 * 4 + 1600, float32Bytes: 157000 * 4 },
      { index: 1, type: 'binaryDense', input: 'binary', inputs: 200, outputs: 10, activation: 'scores', binaryParams: 2000, ternaryParams: 0, zeroFraction: 0, realParams: 10, packedBytes: 10 * 7 * 4 + 80, float32Bytes: 2010 * 4 },
    ]);
    expect(s.members).toBe(1);
    expect(s.binaryParams).toBe(158800);
    expect(s.realParams).toBe(210);
    expect(s.totalParams).toBe(159010);
    expect(s.packedBytes).toBe(21960);
    expect(s.float32Bytes).toBe(636040);
    expect(s.compression).toBeCloseTo(636040 / 21960, 10);
    const text = formatSummary(s);
    expect(text).toContain('# 1-bit');
    expect(text).toContain('784→200');
    expect(text).toMatch(/Compression vs float32: 29\.0×/);
  });

  test('ensembles count every member; binarised inputs make layer 0 binary', () => {
    const ens = XnorNetwork.sampleEnsemble(store, { members: 3, seed: 1, input: { type: 'binarize', threshold: 0.5 }, backend: 'js' });
    const s = ens.summary();
    expect(s.members).toBe(3);
    expect(s.packedBytes).toBe(3 * 21960);
    expect(s.layers[0].input).toBe('binary');
    expect(formatSummary(s)).toContain('× 3 members');
  });
});
