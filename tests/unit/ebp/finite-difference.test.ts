// Finite-difference check of the EBP backward pass (spec §5, §14 "Suggested tests" 2), in the form of the
// reference's `finite_difference_check` (../shared/anchors/ebp_ref.py): log Z is recomputed here along the
// mean path with every σ̄² frozen at the value of the forward pass,
//   μ̄_l = (μ_{l−1}·m_lᵀ + b_l)/√(K_{l−1}+1),  μ_l = erf(μ̄_l/σ̄_l/√2),  log Z = Σ log Φ(y μ̄_L/σ̄_L),
// and differentiated numerically with respect to every weight mean, every bias and every μ̄ of every
// layer and sample. ebpGradients must agree with all of them.
import { PosteriorStore, meanFieldForward, ebpGradients, ebpStep, matrix, createRng, toRows, type Matrix, type WeightKind } from '../../../src';
import { erf, logNormCdf } from '../../../src/special';

const SIZES = [7, 5, 4, 3];
const BATCH = 3;
const REL_TOL = 1e-6;

interface Problem {
  h: number[][][];
  b: number[][];
  X: number[][];
  Y: number[][];
}

/** Random 7-5-4-3 problem: h ~ U(±√(3σ_w/K_in)) with σ_w = 3 (as PosteriorStore.init), b ~ 0.3·N(0,1) ≠ 0, x ~ N(0,1), y = ±1. */
function makeProblem(seed: number): Problem {
  const rng = createRng(seed);
  const h: number[][][] = [];
  const b: number[][] = [];
  for (let l = 0; l + 1 < SIZES.length; l++) {
    const K = SIZES[l];
    const scale = Math.sqrt((12 * 3) / K);
    h.push(Array.from({ length: SIZES[l + 1] }, () => Array.from({ length: K }, () => (rng.next() - 0.5) * scale)));
    b.push(
      Array.from({ length: SIZES[l + 1] }, () => {
        let v = 0;
        while (Math.abs(v) < 0.01) v = 0.3 * rng.normal();
        return v;
      }),
    );
  }
  const X = Array.from({ length: BATCH }, () => Array.from({ length: SIZES[0] }, () => rng.normal()));
  const Y = Array.from({ length: BATCH }, () => Array.from({ length: SIZES[SIZES.length - 1] }, () => (rng.next() < 0.5 ? -1 : 1)));
  return { h, b, X, Y };
}

/** The frozen-σ̄ mean path of the test (independent of the library's kernels). */
class FrozenPath {
  constructor(
    readonly X: number[][],
    readonly Y: number[][],
    /** σ̄²[l][n][k] from the forward pass, held fixed. */
    readonly frozenVar: number[][][],
  ) {}

  /** μ̄ of every layer; `override(l, ubar)` may replace a layer's μ̄ before the activation. */
  ubars(means: number[][][], bs: number[][], override?: (l: number, ubar: number[][]) => void): number[][][] {
    let mu = this.X;
    const out: number[][][] = [];
    for (let l = 0; l < means.length; l++) {
      const m = means[l];
      const K = m[0].length;
      const c = Math.sqrt(K + 1);
      const ubar = mu.map((row) => m.map((mk, k) => (mk.reduce((s, w, j) => s + w * row[j], 0) + bs[l][k]) / c));
      override?.(l, ubar);
      out.push(ubar);
      mu = ubar.map((row, n) => row.map((u, k) => erf(u / Math.sqrt(this.frozenVar[l][n][k]) / Math.SQRT2)));
    }
    return out;
  }

  logZ(means: number[][][], bs: number[][], override?: (l: number, ubar: number[][]) => void): number {
    const ubars = this.ubars(means, bs, override);
    const L = ubars.length - 1;
    let s = 0;
    ubars[L].forEach((row, n) => row.forEach((u, k) => (s += logNormCdf((this.Y[n][k] * u) / Math.sqrt(this.frozenVar[L][n][k])))));
    return s;
  }
}

/** Central 5-point derivative of f at 0: (−f(2e) + 8f(e) − 8f(−e) + f(−2e)) / 12e (truncation O(e⁴)). */
function derivative(f: (d: number) => number, e = 1e-3): number {
  return (-f(2 * e) + 8 * f(e) - 8 * f(-e) + f(-2 * e)) / (12 * e);
}

function rel(a: number, num: number): number {
  return Math.abs(a - num) / Math.abs(num);
}

const clone3 = (a: number[][][]) => a.map((m) => m.map((r) => r.slice()));
const clone2 = (a: number[][]) => a.map((r) => r.slice());

const worst: Record<string, number> = {};

afterAll(() => {
  console.log(`finite-difference check, worst relative error per case:\n${Object.entries(worst).map(([k, v]) => `  ${k}: ${v.toExponential(2)}`).join('\n')}`);
});

describe.each([
  ['binary', 'js'],
  ['binary', 'wasm'],
  ['gaussian', 'js'],
  ['gaussian', 'wasm'],
] as [WeightKind, 'js' | 'wasm'][])('finite differences of log Z with σ̄² frozen (%s weights, %s kernels)', (weights, backend) => {
  const key = `${weights}/${backend}`;
  const note = (what: string, e: number) => {
    worst[`${key} ${what}`] = Math.max(worst[`${key} ${what}`] ?? 0, e);
  };

  describe.each([1, 2, 3])('seed %i', (seed) => {
    const p = makeProblem(seed * 7919 + (weights === 'binary' ? 0 : 1));
    const store = PosteriorStore.fromParameters({ weights, h: p.h, b: p.b, backend });
    const X = matrix(p.X);
    const Y = matrix(p.Y);
    const fw = meanFieldForward(store, X);
    const path = new FrozenPath(p.X, p.Y, fw.layers.map((f) => toRows(f.sigma2)));
    const means = store.layers.map((L) => {
      const rows: number[][] = [];
      for (let k = 0; k < L.outputs; k++) rows.push(Array.from(L.mean.subarray(k * L.inputs, (k + 1) * L.inputs)));
      return rows;
    });
    const bs = p.b;
    const g = ebpGradients(store, X, Y);

    test('setup: the store runs the requested kernels and the frozen path reproduces the forward pass', () => {
      expect(store.backend).toBe(backend);
      // Mean of a binary weight is tanh h, of a Gaussian weight h itself.
      means.forEach((m, l) =>
        m.forEach((row, k) => row.forEach((v, j) => expect(rel(v, weights === 'binary' ? Math.tanh(p.h[l][k][j]) : p.h[l][k][j])).toBeLessThan(1e-14))),
      );
      const ub = path.ubars(means, bs);
      ub.forEach((u, l) => {
        const got = toRows(fw.layers[l].ubar);
        u.forEach((row, n) => row.forEach((v, k) => expect(Math.abs(got[n][k] - v)).toBeLessThanOrEqual(1e-13 * Math.max(1, Math.abs(v)))));
      });
      const lz = path.logZ(means, bs);
      expect(Math.abs(g.logMarginal - lz)).toBeLessThanOrEqual(1e-12 * Math.abs(lz));
      // The problem is not degenerate: no output is saturated, so every gradient is informative.
      expect(g.logMarginal).toBeLessThan(-0.1);
    });

    test('gradMean: d log Z / d⟨W⟩ for every weight of every layer', () => {
      let checked = 0;
      for (let l = 0; l < means.length; l++) {
        const gm = g.gradMean[l];
        expect(gm.shape).toEqual([SIZES[l + 1], SIZES[l]]);
        for (let k = 0; k < SIZES[l + 1]; k++) {
          for (let j = 0; j < SIZES[l]; j++) {
            const num = derivative((d) => {
              const m = clone3(means);
              m[l][k][j] += d;
              return path.logZ(m, bs);
            });
            const e = rel(gm.get(k, j), num);
            note('gradMean', e);
            if (!(e <= REL_TOL)) throw new Error(`gradMean[${l}][${k}][${j}] = ${gm.get(k, j)}, numeric ${num}, rel err ${e}`);
            checked++;
          }
        }
      }
      expect(checked).toBe(7 * 5 + 5 * 4 + 4 * 3);
    });

    test('gradBias: d log Z / d b for every bias', () => {
      for (let l = 0; l < means.length; l++) {
        expect(g.gradBias[l].length).toBe(SIZES[l + 1]);
        for (let k = 0; k < SIZES[l + 1]; k++) {
          const num = derivative((d) => {
            const b = clone2(bs);
            b[l][k] += d;
            return path.logZ(means, b);
          });
          const e = rel(g.gradBias[l][k], num);
          note('gradBias', e);
          if (!(e <= REL_TOL)) throw new Error(`gradBias[${l}][${k}] = ${g.gradBias[l][k]}, numeric ${num}, rel err ${e}`);
        }
      }
    });

    test('delta: d log Z / dμ̄ for every layer, sample and unit (perturbing μ̄ inside the frozen path)', () => {
      let checked = 0;
      for (let l = 0; l < means.length; l++) {
        const dl: Matrix = g.delta[l];
        expect(dl.shape).toEqual([BATCH, SIZES[l + 1]]);
        for (let n = 0; n < BATCH; n++) {
          for (let k = 0; k < SIZES[l + 1]; k++) {
            const num = derivative((d) => path.logZ(means, bs, (ll, ubar) => {
              if (ll === l) ubar[n][k] += d;
            }));
            const e = rel(dl.get(n, k), num);
            note('delta', e);
            if (!(e <= REL_TOL)) throw new Error(`delta[${l}][${n}][${k}] = ${dl.get(n, k)}, numeric ${num}, rel err ${e}`);
            checked++;
          }
        }
      }
      expect(checked).toBe(BATCH * (5 + 4 + 3));
    });

    test('gradients are consistent with the deltas (gradMean = Σ_n δ μ_in / √(K+1), gradBias = Σ_n δ / √(K+1))', () => {
      let muIn = p.X;
      for (let l = 0; l < means.length; l++) {
        const c = Math.sqrt(SIZES[l] + 1);
        for (let k = 0; k < SIZES[l + 1]; k++) {
          let sb = 0;
          for (let n = 0; n < BATCH; n++) sb += g.delta[l].get(n, k);
          expect(Math.abs(g.gradBias[l][k] - sb / c)).toBeLessThanOrEqual(1e-14 * Math.abs(sb / c) + 1e-300);
          for (let j = 0; j < SIZES[l]; j++) {
            let s = 0;
            for (let n = 0; n < BATCH; n++) s += g.delta[l].get(n, k) * muIn[n][j];
            expect(Math.abs(g.gradMean[l].get(k, j) - s / c)).toBeLessThanOrEqual(1e-13 * Math.abs(s / c) + 1e-16);
          }
        }
        muIn = toRows(fw.layers[l].muOut);
      }
    });

    test('ebpStep adds exactly these gradients (times s2 = 1 for Gaussian weights) to h and b', () => {
      const s = PosteriorStore.fromParameters({ weights, h: p.h, b: p.b, backend });
      const r = ebpStep(s, X, Y);
      expect(r.logMarginal).toBe(g.logMarginal);
      for (let l = 0; l < means.length; l++) {
        const L = s.layers[l];
        for (let k = 0; k < L.outputs; k++) {
          expect(L.b[k]).toBe(p.b[l][k] + g.gradBias[l][k]);
          for (let j = 0; j < L.inputs; j++) {
            const expected = p.h[l][k][j] + g.gradMean[l].get(k, j);
            expect(Math.abs(L.h[k * L.inputs + j] - expected)).toBeLessThanOrEqual(1e-15 * Math.abs(expected) + 1e-16);
          }
        }
      }
    });
  });
});
