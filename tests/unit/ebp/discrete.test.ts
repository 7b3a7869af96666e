// Discrete multi-level weights (spec §6.2): golden cases from the slow plain-loop reference in
// tests/fixtures/golden/generate_discrete.py, the binary golden vectors reproduced through the discrete
// code path, finite differences of the deltas, and the EBP-D most-probable level.
import ternaryGold from '../../fixtures/golden/golden_ternary.json';
import fourGold from '../../fixtures/golden/golden_4level.json';
import binaryGold from '../../fixtures/golden/golden_binary.json';
import { PosteriorStore, predict, matrix, ebpGradients, meanFieldForward, ternary, type DiscreteWeights } from '../../../src';
import { logNormCdf } from '../../../src/special';
import { checkStep, expectGolden, type StepRec } from '../../helpers/golden';

interface Gold {
  weights?: DiscreteWeights;
  initial: { h: number[][][]; b: number[][]; mean_w: number[][][] };
  X: number[][];
  Y: number[][];
  step1: StepRec;
  step2: StepRec;
  batch_of_2: StepRec;
  after_step2_predictions: { EBP_P: number[][]; EBP_D: number[][]; EBP_P_class: number[]; EBP_D_class: number[] };
}

const cases: [string, Gold, DiscreteWeights][] = [
  ['ternary π(0)=0.5', ternaryGold as unknown as Gold, (ternaryGold as unknown as Gold).weights as DiscreteWeights],
  ['4-level', fourGold as unknown as Gold, (fourGold as unknown as Gold).weights as DiscreteWeights],
  // levels [−1, 1] with a uniform prior must reproduce the binary golden vectors of the independent numpy reference
  ['levels [−1, 1] vs binary golden', binaryGold as unknown as Gold, { levels: [-1, 1] }],
];

describe.each(['wasm', 'js'] as const)('discrete weights, %s kernels', (backend) => {
  describe.each(cases)('%s', (_name, g, weights) => {
    const fresh = () => PosteriorStore.fromParameters({ weights, h: g.initial.h, b: g.initial.b, backend });

    test('initial means', () => {
      const store = fresh();
      g.initial.mean_w.forEach((m, l) => expectGolden(store.meanWeights(l), m, `initial.mean_w[${l}]`));
    });

    test('step1, step2 and predictions after step2', () => {
      const store = fresh();
      checkStep(store, [g.X[0]], [g.Y[0]], g.step1, 'step1');
      checkStep(store, [g.X[1]], [g.Y[1]], g.step2, 'step2');
      const pr = g.after_step2_predictions;
      const P = predict(store, matrix(g.X), 'probabilistic');
      const D = predict(store, matrix(g.X), 'deterministic');
      expectGolden(P.scores, pr.EBP_P, 'EBP_P');
      expectGolden(D.scores, pr.EBP_D, 'EBP_D');
      expect(Array.from(P.classes)).toEqual(pr.EBP_P_class);
      expect(Array.from(D.classes)).toEqual(pr.EBP_D_class);
    });

    test('batch_of_2', () => {
      checkStep(fresh(), g.X, g.Y, g.batch_of_2, 'batch_of_2');
    });
  });
});

describe('discrete moments', () => {
  test('variance is never negative and the mean stays inside the levels, for extreme fields', () => {
    const hs = [0, -0, 1e-300, 1e-8, 0.5, -3, 25, -25, 300, -300, 1e3, -1e3, 1e300, -1e300];
    const store = PosteriorStore.fromParameters({ weights: ternary(0.8), h: [[hs]], b: [[0]] });
    const L = store.layers[0];
    for (let i = 0; i < hs.length; i++) {
      expect(Number.isFinite(L.mean[i])).toBe(true);
      expect(L.variance[i]).toBeGreaterThanOrEqual(0);
      expect(Math.abs(L.mean[i])).toBeLessThanOrEqual(1);
    }
    // |h| large: all mass on an extreme level
    expect(L.mean[hs.indexOf(1e3)]).toBe(1);
    expect(L.mean[hs.indexOf(-1e3)]).toBe(-1);
    expect(L.variance[hs.indexOf(1e3)]).toBe(0);
  });

  test('EBP-D takes argmax_s [log π(s) + h s]: an interior level only while |h| is small', () => {
    // π = (0.1, 0.8, 0.1): 0 wins while |h| < log(8) ≈ 2.079
    const w = ternary(0.8);
    const hs = [0, 1, -2, 2.07, 2.09, -2.09, 5];
    const store = PosteriorStore.fromParameters({ weights: w, h: [[hs]], b: [[0]] });
    expect(Array.from(store.mostProbableWeights(0))).toEqual([0, 0, 0, 0, 1, -1, 1]);
    // uniform prior: always an extreme level; ties (h = 0) go to the larger level, like sign(0) = +1
    const u = PosteriorStore.fromParameters({ weights: { levels: [-1, 0, 1] }, h: [[[0, 1e-9, -1e-9]]], b: [[0]] });
    expect(Array.from(u.mostProbableWeights(0))).toEqual([1, 1, -1]);
  });

  test('toJSON keeps the levels and the normalised prior', () => {
    const store = PosteriorStore.fromParameters({ weights: { levels: [1, -1, 0], prior: [1, 1, 2] }, h: [[[0.1, 0.2]]], b: [[0]] });
    expect(store.toJSON().weights).toEqual({ levels: [-1, 0, 1], prior: [0.25, 0.5, 0.25] });
    const back = PosteriorStore.fromJSON(JSON.parse(JSON.stringify(store.toJSON())));
    expect(back.toJSON()).toEqual(store.toJSON());
  });

  test('invalid level sets are rejected with a typed error', () => {
    const bad: unknown[] = [{ levels: [1] }, { levels: [0, 0] }, { levels: [0, 1], prior: [1] }, { levels: [0, 1], prior: [0, 1] }, { levels: [0, NaN] }, 'ternary'];
    for (const weights of bad) {
      expect(() => PosteriorStore.fromParameters({ weights: weights as DiscreteWeights, h: [[[0.1, 0.2]]], b: [[0]] })).toThrow(
        expect.objectContaining({ code: 'ebp.invalidArgument' }),
      );
    }
  });
});

describe('finite differences of the deltas, discrete weights', () => {
  // log Z along the mean path with σ̄² frozen (spec §5): perturb one weight mean or bias and recompute.
  test.each([
    ['ternary', ternary(0.5)],
    ['4-level', { levels: [-1.5, -0.5, 0.5, 1.5], prior: [0.1, 0.4, 0.3, 0.2] }],
  ] as const)('%s on a 6-5-4-3 network', (_n, weights) => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
    const sizes = [6, 5, 4, 3];
    const h = sizes.slice(1).map((out, l) => Array.from({ length: out }, () => Array.from({ length: sizes[l] }, () => 1.5 * rand())));
    const b = sizes.slice(1).map((out) => Array.from({ length: out }, () => 0.3 * rand()));
    const store = PosteriorStore.fromParameters({ weights, h, b });
    const X = Array.from({ length: 3 }, () => Array.from({ length: 6 }, () => rand()));
    const Y = Array.from({ length: 3 }, () => Array.from({ length: 3 }, () => (rand() < 0 ? -1 : 1)));
    const g = ebpGradients(store, matrix(X), matrix(Y));
    const frozen = meanFieldForward(store, matrix(X)).layers.map((L) => L.variance);
    const means = store.layers.map((L) => Array.from(L.mean));
    const biases = store.layers.map((L) => Array.from(L.b));
    const logZ = (m: number[][], bs: number[][]): number => {
      let total = 0;
      for (let n = 0; n < X.length; n++) {
        let mu = X[n];
        for (let l = 0; l < m.length; l++) {
          const K = sizes[l];
          const out: number[] = [];
          for (let k = 0; k < sizes[l + 1]; k++) {
            let s = bs[l][k];
            for (let j = 0; j < K; j++) s += m[l][k * K + j] * mu[j];
            const ubar = s / Math.sqrt(K + 1);
            const sigma = Math.sqrt(frozen[l].get(n, k));
            if (l === m.length - 1) total += logNormCdf((Y[n][k] * ubar) / sigma);
            out.push(erfLike(ubar / sigma));
          }
          mu = out;
        }
      }
      return total;
    };
    const eps = 1e-5;
    let worst = 0;
    for (let l = 0; l < means.length; l++) {
      for (let i = 0; i < means[l].length; i++) {
        const up = means.map((a) => a.slice());
        const dn = means.map((a) => a.slice());
        up[l][i] += eps;
        dn[l][i] -= eps;
        const num = (logZ(up, biases) - logZ(dn, biases)) / (2 * eps);
        worst = Math.max(worst, fdError(num, g.gradMean[l].data[i]));
      }
      for (let k = 0; k < biases[l].length; k++) {
        const up = biases.map((a) => a.slice());
        const dn = biases.map((a) => a.slice());
        up[l][k] += eps;
        dn[l][k] -= eps;
        const num = (logZ(means, up) - logZ(means, dn)) / (2 * eps);
        worst = Math.max(worst, fdError(num, g.gradBias[l][k]));
      }
    }
    expect(worst).toBeLessThan(1e-6);
  });
});

/**
 * Relative error of an analytic derivative against a central difference, with the difference's own
 * noise (|log Z|·1e-16/eps ≈ 1e-10 absolute here, plus O(eps²) truncation) allowed for small derivatives.
 */
function fdError(num: number, analytic: number): number {
  return Math.abs(num - analytic) / (Math.abs(num) + 1e-4);
}

/** 2Φ(z) − 1 = erf(z/√2), through the library's normal cdf. */
function erfLike(z: number): number {
  return 2 * normCdfLocal(z) - 1;
}

function normCdfLocal(z: number): number {
  return Math.exp(logNormCdf(z));
}
