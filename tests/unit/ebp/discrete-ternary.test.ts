// The closed form of DiscreteFamily for levels [−1, 0, 1] (one exp per weight) against the general
// log-sum-exp moments of q(s) ∝ π(s)e^{h s}.
import { DiscreteFamily, ternary } from '../../../src/ebp/weights';
import { createRng } from '../../../src/util/random';

function reference(h: number, levels: number[], prior: number[]): { mean: number; variance: number; map: number } {
  const a = levels.map((s, i) => Math.log(prior[i]) + h * s);
  let best = 0;
  for (let i = 1; i < a.length; i++) if (a[i] >= a[best]) best = i;
  const amax = a[best];
  const w = a.map((x) => Math.exp(x - amax));
  const Z = w.reduce((x, y) => x + y, 0);
  const mean = w.reduce((acc, wi, i) => acc + wi * levels[i], 0) / Z;
  const variance = w.reduce((acc, wi, i) => acc + wi * (levels[i] - mean) ** 2, 0) / Z;
  return { mean, variance, map: levels[best] };
}

describe('DiscreteFamily, levels [−1, 0, 1]', () => {
  test('the closed form is taken for exactly these levels, any prior', () => {
    expect(new DiscreteFamily(ternary(0.8)).ternary).toBe(true);
    expect(new DiscreteFamily({ levels: [-1, 0, 1], prior: [0.1, 0.3, 0.6] }).ternary).toBe(true);
    expect(new DiscreteFamily({ levels: [-1, 0, 2] }).ternary).toBe(false);
    expect(new DiscreteFamily({ levels: [-1, 1] }).ternary).toBe(false);
  });

  test.each([
    ['ternary(1/3)', [1 / 3, 1 / 3, 1 / 3]],
    ['ternary(0.5)', [0.25, 0.5, 0.25]],
    ['ternary(0.8)', [0.1, 0.8, 0.1]],
    ['asymmetric', [0.05, 0.25, 0.7]],
  ])('%s: mean and variance to 1e-12 relative, the same most probable level', (_n, prior) => {
    const fam = new DiscreteFamily({ levels: [-1, 0, 1], prior });
    const rng = createRng(3);
    const hs: number[] = [0, -0, 1e-300, -1e-12, 30, -30, 300, -300, 800, -800, 1e300, -1e300];
    // the ties of the most probable level: h = log(π₀/π₊), h = −log(π₀/π₋), h = log(π₋/π₊)/2
    hs.push(Math.log(prior[1] / prior[2]), -Math.log(prior[1] / prior[0]), Math.log(prior[0] / prior[2]) / 2);
    for (let i = 0; i < 2000; i++) hs.push((rng.next() - 0.5) * (i < 1000 ? 8 : 60));
    const h = Float64Array.from(hs);
    const mean = new Float64Array(h.length);
    const variance = new Float64Array(h.length);
    const map = new Float64Array(h.length);
    fam.moments(h, mean, variance, map, 0, h.length);
    const cols = Int32Array.from({ length: 50 }, (_, t) => 3 * t);
    const m2 = new Float64Array(h.length);
    const v2 = new Float64Array(h.length);
    const map2 = new Float64Array(h.length);
    fam.momentsAt(h, m2, v2, map2, 0, cols, cols.length);
    for (let i = 0; i < h.length; i++) {
      const r = reference(h[i], [-1, 0, 1], prior);
      if (!(Math.abs(mean[i] - r.mean) <= 1e-12 * Math.abs(r.mean) + 1e-15)) throw new Error(`h=${h[i]}: mean ${mean[i]} vs ${r.mean}`);
      if (!(Math.abs(variance[i] - r.variance) <= 1e-12 * r.variance + 1e-15)) throw new Error(`h=${h[i]}: variance ${variance[i]} vs ${r.variance}`);
      expect(variance[i]).toBeGreaterThanOrEqual(0);
      expect(Math.abs(mean[i])).toBeLessThanOrEqual(1);
      expect(map[i]).toBe(r.map);
    }
    for (const c of cols) expect([m2[c], v2[c], map2[c]]).toEqual([mean[c], variance[c], map[c]]);
  });
});
