// Adam as PyTorch computes it (see src/ste/adam.ts), against values computed by hand (50-digit decimal arithmetic
// of the formula m ← β1 m + (1−β1) g, v ← β2 v + (1−β2) g², p ← p − lr/(1−β1^t) · m / (√v/√(1−β2^t) + ε)).
import { adamCoefficients, adamStep, ADAM_DEFAULTS } from '../../../src/ste/adam';
import { expectClose } from '../../helpers/close';

describe('adamStep', () => {
  test('three steps from p = 0.5 with g = 0.2, −0.1, 0.05 at lr 0.01 match the hand-computed values', () => {
    const p = Float64Array.of(0.5);
    const m = new Float64Array(1);
    const v = new Float64Array(1);
    const expected = [
      { p: 0.490000000499999975, m: 0.02, v: 0.00004 },
      { p: 0.487336630271867558, m: 0.008, v: 0.00004996 },
      { p: 0.483932339047207667, m: 0.0122, v: 0.00005241004 },
    ];
    [0.2, -0.1, 0.05].forEach((g, i) => {
      adamStep(p, [g], m, v, adamCoefficients(0.01, i + 1, ADAM_DEFAULTS));
      expectClose(p[0], expected[i].p, { rtol: 1e-14, label: `p after step ${i + 1}` });
      expectClose(m[0], expected[i].m, { rtol: 1e-14, label: `m after step ${i + 1}` });
      expectClose(v[0], expected[i].v, { rtol: 1e-14, label: `v after step ${i + 1}` });
    });
  });

  test('the first step moves every parameter by lr·sign(g) (up to ε), whatever the gradient scale', () => {
    const p = Float64Array.of(0, 0, 0, 0);
    adamStep(p, [1e-3, -5, 1e4, 0], new Float64Array(4), new Float64Array(4), adamCoefficients(0.1, 1, ADAM_DEFAULTS));
    expectClose(p[0], -0.1, { rtol: 1e-4 });
    expectClose(p[1], 0.1, { rtol: 1e-8 });
    expectClose(p[2], -0.1, { rtol: 1e-8 });
    expect(p[3]).toBe(0);
  });

  test('coefficients: step = lr/(1−β1^t), ibc2 = 1/√(1−β2^t)', () => {
    const c = adamCoefficients(0.01, 2, { beta1: 0.9, beta2: 0.999, epsilon: 1e-8 });
    expectClose(c.step, 0.01 / 0.19, { rtol: 1e-15 });
    expectClose(c.ibc2, 1 / Math.sqrt(1 - 0.998001), { rtol: 1e-12 });
    expect(c.c1).toBeCloseTo(0.1, 15);
    expect(c.eps).toBe(1e-8);
  });
});
