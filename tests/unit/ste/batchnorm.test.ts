// Batch normalisation (src/ste/batchnorm.ts): the training-mode forward against the textbook formula, the backward
// against central finite differences of J = Σ r ⊙ z (r fixed random) with respect to every input a, every γ and
// every β, the running statistics (unbiased variance, momentum), and the inference affine map.
import { createRng } from '../../../src';
import { bnBackward, bnForwardTrain, bnInferenceAffine, bnUpdateRunning } from '../../../src/ste/batchnorm';
import { expectClose } from '../../helpers/close';

const B = 6;
const N = 4;
const LDA = 5; // a has a padded row stride, as in the trainer
const EPS = 1e-4;

function problem(seed: number) {
  const rng = createRng(seed);
  const a = new Float64Array(B * LDA).map(() => 3 * rng.normal() + 1);
  const gamma = new Float64Array(N).map(() => rng.normal());
  const beta = new Float64Array(N).map(() => rng.normal());
  const r = new Float64Array(B * N).map(() => rng.normal());
  return { a, gamma, beta, r };
}

function forward(a: Float64Array, gamma: Float64Array, beta: Float64Array) {
  const xhat = new Float64Array(B * N);
  const z = new Float64Array(B * N);
  const mean = new Float64Array(N);
  const varB = new Float64Array(N);
  const invStd = new Float64Array(N);
  bnForwardTrain(a, LDA, B, N, gamma, beta, EPS, xhat, z, mean, varB, invStd);
  return { xhat, z, mean, varB, invStd };
}

const J = (z: Float64Array, r: Float64Array) => z.reduce((s, zi, i) => s + zi * r[i], 0);

describe('batch normalisation', () => {
  test('forward: z = γ (a − μ)/√(σ²_biased + ε) + β per column', () => {
    const { a, gamma, beta } = problem(1);
    const f = forward(a, gamma, beta);
    for (let n = 0; n < N; n++) {
      const col = Array.from({ length: B }, (_, m) => a[m * LDA + n]);
      const mu = col.reduce((s, x) => s + x, 0) / B;
      const v = col.reduce((s, x) => s + (x - mu) ** 2, 0) / B;
      expectClose(f.mean[n], mu, { rtol: 1e-14 });
      expectClose(f.varB[n], v, { rtol: 1e-13 });
      for (let m = 0; m < B; m++) expectClose(f.z[m * N + n], (gamma[n] * (col[m] - mu)) / Math.sqrt(v + EPS) + beta[n], { rtol: 1e-12, atol: 1e-14 });
    }
  });

  test('backward equals central finite differences for every a, γ and β', () => {
    for (const seed of [2, 3, 4]) {
      const { a, gamma, beta, r } = problem(seed);
      const f = forward(a, gamma, beta);
      const da = new Float64Array(B * N);
      const dg = new Float64Array(N);
      const db = new Float64Array(N);
      bnBackward(r, f.xhat, gamma, f.invStd, B, N, da, dg, db);
      const h = 1e-6;
      const fd = (arr: Float64Array, i: number) => {
        const keep = arr[i];
        arr[i] = keep + h;
        const up = J(forward(a, gamma, beta).z, r);
        arr[i] = keep - h;
        const down = J(forward(a, gamma, beta).z, r);
        arr[i] = keep;
        return (up - down) / (2 * h);
      };
      for (let m = 0; m < B; m++) for (let n = 0; n < N; n++) expectClose(da[m * N + n], fd(a, m * LDA + n), { rtol: 1e-6, atol: 1e-8, label: `da[${m},${n}]` });
      for (let n = 0; n < N; n++) {
        expectClose(dg[n], fd(gamma, n), { rtol: 1e-6, atol: 1e-8, label: `dγ[${n}]` });
        expectClose(db[n], fd(beta, n), { rtol: 1e-6, atol: 1e-8, label: `dβ[${n}]` });
      }
    }
  });

  test('running statistics: (1 − momentum)·old + momentum·batch, variance unbiased (×B/(B−1))', () => {
    const { a, gamma, beta } = problem(5);
    const f = forward(a, gamma, beta);
    const rm = Float64Array.of(1, 2, 3, 4);
    const rv = Float64Array.of(1, 1, 2, 2);
    bnUpdateRunning(rm, rv, f.mean, f.varB, B, 0.1);
    for (let n = 0; n < N; n++) {
      expectClose(rm[n], 0.9 * (n + 1) + 0.1 * f.mean[n], { rtol: 1e-15 });
      expectClose(rv[n], 0.9 * [1, 1, 2, 2][n] + (0.1 * f.varB[n] * B) / (B - 1), { rtol: 1e-14 });
    }
  });

  test('inference affine map: scale = γ/√(var + ε), shift = β − mean·scale', () => {
    const gamma = Float64Array.of(2, -1, 0);
    const beta = Float64Array.of(0.5, 0.25, -1);
    const mean = Float64Array.of(1, -2, 3);
    const variance = Float64Array.of(4, 0, 1);
    const scale = new Float64Array(3);
    const shift = new Float64Array(3);
    bnInferenceAffine(gamma, beta, mean, variance, EPS, scale, shift);
    expectClose(scale[0], 2 / Math.sqrt(4 + EPS), { rtol: 1e-15 });
    expectClose(scale[1], -1 / Math.sqrt(EPS), { rtol: 1e-15 });
    expect(scale[2]).toBe(0);
    expectClose(shift[0], 0.5 - scale[0], { rtol: 1e-15 });
    expectClose(shift[1], 0.25 - -2 * scale[1], { rtol: 1e-15 });
    expect(shift[2]).toBe(-1);
  });
});
