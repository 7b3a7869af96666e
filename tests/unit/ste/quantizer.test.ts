// The ste_sign quantizer (src/ste/quantizer.ts): sign forward with sign(0) = +1, the hard-tanh straight-through
// gradient 1[|x| ≤ 1], the latent clip to [−1, 1], and the quantizer object that names them together. The
// kernels are checked against these scalar functions in tests/unit/kernels/ste-kernels.test.ts.
import { clipLatent, STE_CLIP_VALUE, steSign, steSignGradient, steSignQuantizer } from '../../../src/ste/quantizer';
import { SteTrainer, makeDataset, matrix, createRng } from '../../../src';

describe('ste_sign', () => {
  test('forward: −1 below 0, +1 at and above 0 (also −0)', () => {
    expect([-2, -1e-300, -0, 0, 1e-300, 3].map(steSign)).toEqual([-1, -1, 1, 1, 1, 1]);
  });

  test('backward: the upstream gradient where |x| ≤ 1 (edges included), else 0', () => {
    const xs = [-1.5, -1, -0.25, 0, 0.999, 1, 1.0000001, Infinity, NaN];
    expect(xs.map((x) => steSignGradient(x, 2.5))).toEqual([0, 2.5, 2.5, 2.5, 2.5, 2.5, 0, 0, 0]);
    expect(steSignGradient(1.5, 3, 2)).toBe(3);
  });

  test('latent clip: values limited to [−1, 1], inside unchanged', () => {
    expect([-7, -1, -0.5, 0, 0.75, 1, 1e9].map((w) => clipLatent(w))).toEqual([-1, -1, -0.5, 0, 0.75, 1, 1]);
  });

  test('the quantizer object names the same functions, clip value 1, frozen', () => {
    expect(steSignQuantizer.name).toBe('ste_sign');
    expect(steSignQuantizer.clipValue).toBe(STE_CLIP_VALUE);
    expect(STE_CLIP_VALUE).toBe(1);
    for (const x of [-2, -1, -0.5, 0, 0.5, 1, 2]) {
      expect(steSignQuantizer.forward(x)).toBe(steSign(x));
      expect(steSignQuantizer.gradient(x, 1.25)).toBe(steSignGradient(x, 1.25));
      expect(steSignQuantizer.clip(x)).toBe(clipLatent(x));
    }
    expect(Object.isFrozen(steSignQuantizer)).toBe(true);
  });

  test('latent weights stay inside the clip during training, so the weight STE is the identity (mask 1 everywhere)', () => {
    const rng = createRng(3);
    const X = Array.from({ length: 40 }, () => Array.from({ length: 5 }, () => rng.normal()));
    const labels = Int32Array.from(X.map((r) => (r[0] + r[1] > 0 ? 1 : 0)));
    const t = SteTrainer.create({ inputs: 5, hidden: [6], outputs: 2, lrStart: 0.5, lrEnd: 0.5, seed: 1 });
    t.fit(makeDataset({ X: matrix(X), labels, numClasses: 2 }), { epochs: 3, batchSize: 8 });
    for (const p of t.parameters()) {
      expect(p.weights.every((w) => steSignGradient(w, 1) === 1)).toBe(true);
      expect(p.weights.some((w) => Math.abs(w) === 1)).toBe(true); // the clip was active
    }
  });
});
