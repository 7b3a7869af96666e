// Numerical stability of EBP (spec §11) and exact invariants (spec §14 "Suggested tests" 3), on both kernel sets.
import {
  PosteriorStore, meanFieldForward, ebpGradients, ebpStep, matrix, createRng, toRows, type Matrix, type WeightKind,
} from '../../../src';

type Backend = 'js' | 'wasm';
const BACKENDS: Backend[] = ['js', 'wasm'];

// ---------------------------------------------------------------- helpers

/** v is neither NaN nor ±∞ (inline test: Number.isFinite is slow inside the jest sandbox on 10⁶-element loops). */
const fin = (v: number) => v - v === 0;

/** Index of the first non-finite entry, or −1. */
function firstNonFinite(a: ArrayLike<number>): number {
  for (let i = 0; i < a.length; i++) if (!(a[i] - a[i] === 0)) return i;
  return -1;
}

/** Every h, b finite; every forward quantity finite; σ̄² ≥ 1/(K+1); |μ| ≤ 1; P(v=+1) in [0, 1]. */
function expectHealthy(store: PosteriorStore, X: Matrix | Matrix[], what: string): void {
  for (let l = 0; l < store.layers.length; l++) {
    const L = store.layers[l];
    for (const [name, a] of [['h', L.h], ['b', L.b], ['mean', L.mean], ['variance', L.variance]] as const) {
      const i = firstNonFinite(a);
      if (i >= 0) throw new Error(`${what}: layer ${l} ${name}[${i}] = ${a[i]}`);
    }
    const { mean, variance } = L;
    const binary = store.weights === 'binary';
    for (let i = 0; i < mean.length; i++) {
      if (binary && !(mean[i] <= 1 && mean[i] >= -1)) throw new Error(`${what}: |⟨W⟩| > 1 at layer ${l}, ${i}`);
      if (!(variance[i] >= 0)) throw new Error(`${what}: Var W < 0 at layer ${l}, ${i}`);
    }
  }
  for (const x of Array.isArray(X) ? X : [X]) {
    const fw = meanFieldForward(store, x);
    fw.layers.forEach((f, l) => {
      const floor = 1 / (store.sizes[l] + 1);
      for (const [name, m] of [['ubar', f.ubar], ['sigma2', f.sigma2], ['pPlus', f.pPlus], ['muOut', f.muOut]] as const) {
        const i = firstNonFinite(m.data);
        if (i >= 0) throw new Error(`${what}: forward layer ${l} ${name}[${i}] = ${m.data[i]}`);
      }
      for (const v of f.sigma2.data) if (!(v >= floor)) throw new Error(`${what}: σ̄² = ${v} < 1/(K+1) = ${floor} at layer ${l}`);
      for (const v of f.muOut.data) if (!(v <= 1 && v >= -1)) throw new Error(`${what}: |μ| = ${Math.abs(v)} > 1 at layer ${l}`);
      for (const v of f.pPlus.data) if (!(v >= 0 && v <= 1)) throw new Error(`${what}: P(v=+1) = ${v} at layer ${l}`);
    });
  }
}

function expectFiniteGradients(store: PosteriorStore, X: Matrix, Y: Matrix, what: string): void {
  const g = ebpGradients(store, X, Y);
  if (!fin(g.logMarginal)) throw new Error(`${what}: log Z = ${g.logMarginal}`);
  const check = (a: ArrayLike<number>, name: string) => {
    const i = firstNonFinite(a);
    if (i >= 0) throw new Error(`${what}: ${name}[${i}] = ${a[i]}`);
  };
  g.delta.forEach((d, l) => check(d.data, `delta[${l}]`));
  g.gradMean.forEach((d, l) => check(d.data, `gradMean[${l}]`));
  g.gradBias.forEach((d, l) => check(d, `gradBias[${l}]`));
}

/**
 * Reference φ(z)/Φ(z) for z ≤ −30 from the asymptotic series Φ(z) = φ(z)/|z|·Σ_k (−1)^k (2k−1)!!/z^{2k},
 * summed while the terms shrink (the error is below the first omitted term, < 1e-40 here).
 */
function millsRatioTail(z: number): number {
  const s = 1 / (z * z);
  let term = 1;
  let sum = 1;
  for (let k = 1; k < 60; k++) {
    const next = -term * (2 * k - 1) * s;
    if (Math.abs(next) >= Math.abs(term) || Math.abs(next) < 1e-40) break;
    term = next;
    sum += term;
  }
  return -z / sum;
}

/** Reference log Φ(z) for z ≤ −30: −z²/2 − log(−z) − log √(2π) + log Σ_k (−1)^k (2k−1)!!/z^{2k}. */
function logPhiTail(z: number): number {
  return -0.5 * z * z - Math.log(-z) - 0.5 * Math.log(2 * Math.PI) - Math.log(millsRatioTail(z) / -z);
}

function snapshot(store: PosteriorStore): { h: Float64Array[]; b: Float64Array[] } {
  return { h: store.layers.map((L) => L.h.slice()), b: store.layers.map((L) => L.b.slice()) };
}

function paramsOf(store: PosteriorStore): { h: number[][][]; b: number[][] } {
  const j = store.toJSON();
  return { h: j.h, b: j.b };
}

function randomStore(sizes: number[], weights: WeightKind, backend: Backend, seed: number, bScale = 0.3, sigmaW = 1): PosteriorStore {
  const s = PosteriorStore.init(sizes, { weights, seed, backend, sigmaW });
  const rng = createRng(seed + 1000);
  for (const L of s.layers) for (let k = 0; k < L.b.length; k++) L.b[k] = bScale * rng.normal();
  return s;
}

function randomBatch(rng: ReturnType<typeof createRng>, B: number, K: number, scale = 1, zeroFraction = 0): Matrix {
  const X = new Float64Array(B * K);
  for (let i = 0; i < X.length; i++) X[i] = rng.next() < zeroFraction ? 0 : scale * rng.normal();
  return matrix(X, B, K);
}

function randomTargets(rng: ReturnType<typeof createRng>, B: number, K: number): Matrix {
  const Y = new Float64Array(B * K);
  for (let i = 0; i < Y.length; i++) Y[i] = rng.next() < 0.5 ? -1 : 1;
  return matrix(Y, B, K);
}

const measured: string[] = [];
afterAll(() => console.log(`stability measurements:\n  ${measured.join('\n  ')}`));

// ---------------------------------------------------------------- the output ratio far in the tail (spec §11.1)

describe.each(BACKENDS)('output ratio in the far tail (%s kernels)', (backend) => {
  // One-layer 2-1 nets (x, h as in the golden tail case); the bias is chosen so that y·μ̄/σ̄ = z.
  const x = [0.5, -0.5];
  const h = [0.2, -0.1];
  const cases: [number, 1 | -1, WeightKind][] = [];
  for (const z of [-40, -1e3, -1e6]) for (const y of [1, -1] as const) for (const w of ['binary', 'gaussian'] as WeightKind[]) cases.push([z, y, w]);

  test.each(cases)('z = %d, y = %d, %s weights', (z, y, weights) => {
    const m = weights === 'binary' ? h.map(Math.tanh) : h;
    const vw = weights === 'binary' ? h.map((v) => 1 - Math.tanh(v) ** 2) : [1, 1];
    const k1 = 3;
    const sigma = Math.sqrt((vw[0] * x[0] ** 2 + vw[1] * x[1] ** 2 + 1) / k1);
    // y μ̄ / σ̄ = z with μ̄ = (m·x + b)/√3.
    const b = (y * z * sigma) * Math.sqrt(k1) - (m[0] * x[0] + m[1] * x[1]);
    const store = PosteriorStore.fromParameters({ weights, h: [[h]], b: [[b]], backend });
    const X = matrix([x]);
    const Y = matrix([[y]]);
    const fw = meanFieldForward(store, X);
    const ubar = fw.layers[0].ubar.get(0, 0);
    const s = Math.sqrt(fw.layers[0].sigma2.get(0, 0));
    const zy = (y * ubar) / s;
    expect(Math.abs(zy - z)).toBeLessThanOrEqual(1e-9 * Math.abs(z)); // the construction hit the intended z
    const g = ebpGradients(store, X, Y);
    const delta = g.delta[0].get(0, 0);
    // δ = y φ(zy)/Φ(zy)/σ̄, which tends to −y·zy/σ̄ = −μ̄/σ̄² (the asymptote of spec §11.1).
    const expected = (y * millsRatioTail(zy)) / s;
    const e = Math.abs(delta - expected) / Math.abs(expected);
    measured.push(`${backend} ${weights} z=${z} y=${y}: delta rel err ${e.toExponential(2)}`);
    expect(e).toBeLessThanOrEqual(1e-12);
    expect(Math.sign(delta)).toBe(-Math.sign(ubar)); // pushes μ̄ towards y
    const asymptote = (-y * zy) / s;
    expect(Math.abs(delta / asymptote - 1)).toBeLessThanOrEqual(1.01 / (zy * zy));
    // log Z = log Φ(zy), finite and relatively accurate although Φ(zy) underflows for zy < −38.
    const lz = logPhiTail(zy);
    expect(Math.abs(g.logMarginal - lz)).toBeLessThanOrEqual(1e-12 * Math.abs(lz));

    const r = ebpStep(store, X, Y);
    expect(r.logMarginal).toBe(g.logMarginal);
    store.assertFinite();
    expectHealthy(store, X, `after the step at z=${z}`);
    // The bias moves by δ/√3 towards y; the new μ̄ has the sign of y (the step overshoots the tail by design).
    expect(store.layers[0].b[0]).toBe(b + g.gradBias[0][0]);
    expect(Math.sign(store.layers[0].b[0] - b)).toBe(y);
  });
});

// ---------------------------------------------------------------- saturated fields (spec §11.4)

describe.each(BACKENDS)('saturated fields (%s kernels)', (backend) => {
  test('moments at |h| = 25: tanh = ±1, sech² to relative accuracy', () => {
    const store = PosteriorStore.fromParameters({ weights: 'binary', h: [[[25, -25, 0, -0]]], b: [[0]], backend });
    const { mean, variance } = store.layers[0];
    expect(mean[0]).toBe(1);
    expect(mean[1]).toBe(-1);
    expect(mean[2]).toBe(0);
    expect(mean[3]).toBe(0);
    const e = Math.exp(-50);
    const ref = (4 * e) / (1 + e) ** 2;
    for (const i of [0, 1]) {
      const r = Math.abs(variance[i] - ref) / ref;
      expect(r).toBeLessThanOrEqual(1e-14);
    }
    expect(variance[2]).toBe(1);
    expect(variance[3]).toBe(1);
    expect(store.mostProbableWeights(0)).toEqual(Float64Array.from([1, -1, 1, 1]));
  });

  test('moments at |h| = 1e3 and beyond: tanh = ±1, sech² = 0 (flushed below 1e-307), map ±1', () => {
    const hs = [1e3, -1e3, 1e6, -1e300, 354, -354];
    const store = PosteriorStore.fromParameters({ weights: 'binary', h: [[hs]], b: [[0]], backend });
    const { mean, variance } = store.layers[0];
    hs.forEach((v, i) => {
      expect(mean[i]).toBe(Math.sign(v));
      if (Math.abs(v) > 354) expect(variance[i]).toBe(0);
    });
    // |h| = 354: e = exp(−708) ≈ 3.3e-308 is not flushed yet, sech² ≈ 1.3e-307 kept to relative accuracy.
    const ref = 4 * Math.exp(-708);
    expect(Math.abs(variance[4] - ref) / ref).toBeLessThanOrEqual(1e-14);
    expect(variance[5]).toBe(variance[4]);
  });

  test.each([25, 1e3])('a 6-8-5-3 net with every |h| = %d: forward, gradients and steps stay finite', (mag) => {
    const rng = createRng(mag);
    const sizes = [6, 8, 5, 3];
    const h = sizes.slice(1).map((K, l) => Array.from({ length: K }, () => Array.from({ length: sizes[l] }, () => (rng.next() < 0.5 ? -mag : mag))));
    const b = sizes.slice(1).map((K) => Array.from({ length: K }, () => rng.normal()));
    const store = PosteriorStore.fromParameters({ weights: 'binary', h, b, backend });
    const X = randomBatch(rng, 5, 6, 2);
    const Y = randomTargets(rng, 5, 3);
    for (let step = 0; step < 5; step++) {
      expectHealthy(store, X, `|h|=${mag}, before step ${step}`);
      expectFiniteGradients(store, X, Y, `|h|=${mag}, step ${step}`);
      const r = ebpStep(store, X, Y);
      expect(Number.isFinite(r.logMarginal)).toBe(true);
      store.assertFinite();
    }
    expectHealthy(store, X, `|h|=${mag}, after 5 steps`);
    // Hidden σ̄² with all weights saturated: (Σ_j ⟨W⟩² Var v + 1)/(K+1), never below the bias floor.
    const fw = meanFieldForward(store, X);
    for (const v of fw.layers[1].sigma2.data) expect(v).toBeGreaterThanOrEqual(1 / 9);
  });
});

// ---------------------------------------------------------------- degenerate and large inputs

describe.each(BACKENDS)('degenerate and large inputs (%s kernels)', (backend) => {
  test.each(['binary', 'gaussian'] as WeightKind[])('an all-zero input row (%s weights)', (weights) => {
    const store = randomStore([5, 4, 2], weights, backend, 3);
    const before = snapshot(store);
    const X = matrix([[0, 0, 0, 0, 0]]);
    const Y = matrix([[1, -1]]);
    const fw = meanFieldForward(store, X);
    // First layer: μ̄ = b/√6 and σ̄² = 1/6 exactly (only the bias's unit variance).
    const c = Math.sqrt(6);
    for (let k = 0; k < 4; k++) {
      expect(fw.layers[0].ubar.get(0, k)).toBe(before.b[0][k] / c);
      expect(fw.layers[0].sigma2.get(0, k)).toBe(1 / 6);
    }
    expectFiniteGradients(store, X, Y, 'zero row');
    const g = ebpGradients(store, X, Y);
    for (const v of g.gradMean[0].data) expect(v).toBe(0);
    ebpStep(store, X, Y);
    expectHealthy(store, X, 'zero row, after the step');
    // The first layer's weights see x = 0: their fields do not move; its biases do.
    expect(store.layers[0].h).toEqual(before.h[0]);
    expect(store.layers[0].b).not.toEqual(before.b[0]);
    // Mixed with a non-zero row, the zero row still contributes nothing to the first-layer weights.
    const rng = createRng(9);
    const X2 = matrix([[0, 0, 0, 0, 0], Array.from({ length: 5 }, () => rng.normal())]);
    const Y2 = matrix([[1, -1], [-1, 1]]);
    const gz = ebpGradients(store, X2, Y2);
    const g1 = ebpGradients(store, matrix([toRows(X2)[1]]), matrix([[-1, 1]]));
    // (Equal up to summation order: two rows with 5 of 10 entries non-zero take the sparse input path,
    // one dense row the dense path, whose SIMD sums add in a different order.)
    g1.gradMean[0].data.forEach((v, i) => expect(Math.abs(gz.gradMean[0].data[i] - v)).toBeLessThanOrEqual(1e-14 * Math.abs(v)));
  });

  test.each(['binary', 'gaussian'] as WeightKind[])('a 10000-20-3 net with inputs up to 1e3, dense and sparse rows (%s weights)', (weights) => {
    const K = 10000;
    const store = randomStore([K, 20, 3], weights, backend, 11);
    const rng = createRng(12);
    const dense = new Float64Array(4 * K);
    for (let i = 0; i < dense.length; i++) dense[i] = (rng.next() * 2 - 1) * 1e3;
    dense[7] = 1e3;
    dense[K + 8] = -1e3;
    const sparse = new Float64Array(4 * K);
    for (let i = 0; i < sparse.length; i++) if (rng.next() < 0.05) sparse[i] = Math.round(rng.next() * 1e3);
    const batches = [matrix(dense, 4, K), matrix(sparse, 4, K)];
    const Y = randomTargets(rng, 4, 3);
    const h0 = store.layers[0].h.slice();
    let maxZ = 0;
    for (let step = 0; step < 6; step++) {
      const X = batches[step % 2];
      expectFiniteGradients(store, X, Y, `wide, step ${step}`);
      const r = ebpStep(store, X, Y);
      expect(fin(r.logMarginal)).toBe(true);
      store.assertFinite();
      expectHealthy(store, batches, `wide, after step ${step}`);
      for (const X2 of batches) {
        for (const f of meanFieldForward(store, X2).layers) {
          f.ubar.data.forEach((u, i) => (maxZ = Math.max(maxZ, Math.abs(u) / Math.sqrt(f.sigma2.data[i]))));
        }
      }
    }
    let maxDh = 0;
    store.layers[0].h.forEach((v, i) => (maxDh = Math.max(maxDh, Math.abs(v - h0[i]))));
    measured.push(`${backend} ${weights} 10000-20-3, inputs ±1e3: max |Δh| (layer 1) ${maxDh.toExponential(2)}, max |z| ${maxZ.toFixed(1)}`);
    expect(maxDh).toBeGreaterThan(1e-3); // the steps did move the first layer
  });
});

// ---------------------------------------------------------------- exact invariants (spec §14)

describe.each(BACKENDS)('invariants (%s kernels)', (backend) => {
  const kinds: WeightKind[] = ['binary', 'gaussian'];

  test.each(kinds)('a minibatch of two identical samples gives twice the single-sample increment (%s)', (weights) => {
    for (const [sizes, zeroFraction] of [[[9, 6, 4, 2], 0], [[40, 7, 3], 0.8]] as [number[], number][]) {
      const rng = createRng(21);
      const base = randomStore(sizes, weights, backend, 22);
      const x = randomBatch(rng, 1, sizes[0], 1, zeroFraction);
      const y = randomTargets(rng, 1, sizes[sizes.length - 1]);
      const xr = toRows(x)[0];
      const yr = toRows(y)[0];
      const X2 = matrix([xr, xr]);
      const Y2 = matrix([yr, yr]);
      // Gradients: exactly twice (the sum of two equal terms is an exact doubling).
      const g1 = ebpGradients(base, x, y);
      const g2 = ebpGradients(base, X2, Y2);
      // log Z sums over outputs and samples, ((a + b) + a) + b, which need not round to exactly 2(a + b).
      expect(Math.abs(g2.logMarginal - 2 * g1.logMarginal)).toBeLessThanOrEqual(4 * Number.EPSILON * Math.abs(g1.logMarginal));
      g1.gradMean.forEach((m, l) => m.data.forEach((v, i) => expect(g2.gradMean[l].data[i]).toBe(2 * v)));
      g1.gradBias.forEach((m, l) => m.forEach((v, i) => expect(g2.gradBias[l][i]).toBe(2 * v)));
      // Steps: Δ(batch of two) = 2 Δ(single) up to the rounding of the additions to h and b.
      const s1 = PosteriorStore.fromParameters({ weights, ...paramsOf(base), backend });
      const s2 = PosteriorStore.fromParameters({ weights, ...paramsOf(base), backend });
      const h0 = snapshot(base);
      ebpStep(s1, x, y);
      ebpStep(s2, X2, Y2);
      let worst = 0;
      for (let l = 0; l < base.layers.length; l++) {
        const pairs: [Float64Array, Float64Array, Float64Array][] = [
          [h0.h[l], s1.layers[l].h, s2.layers[l].h],
          [h0.b[l], s1.layers[l].b, s2.layers[l].b],
        ];
        for (const [p0, p1, p2] of pairs) {
          for (let i = 0; i < p0.length; i++) {
            const d1 = p1[i] - p0[i];
            const d2 = p2[i] - p0[i];
            const tol = 1e-12 * Math.abs(d2) + 4 * Number.EPSILON * Math.abs(p2[i]);
            if (!(Math.abs(d2 - 2 * d1) <= tol)) throw new Error(`layer ${l} [${i}]: Δ2 = ${d2}, 2Δ1 = ${2 * d1}`);
            if (d2 !== 0) worst = Math.max(worst, Math.abs(d2 - 2 * d1) / Math.abs(d2));
          }
        }
      }
      measured.push(`${backend} ${weights} ${sizes.join('-')}: two identical samples, max |Δ2 − 2Δ1|/|Δ2| = ${worst.toExponential(2)}`);
    }
  });

  test.each(kinds)('flipping the signs of x and of every first-layer field is an exact symmetry (%s)', (weights) => {
    for (const zeroFraction of [0, 0.7]) {
      const sizes = [12, 6, 4, 3];
      const a = randomStore(sizes, weights, backend, 31, 0.5, 2);
      const p = paramsOf(a);
      p.h[0] = p.h[0].map((row) => row.map((v) => -v));
      const bFlip = PosteriorStore.fromParameters({ weights, ...p, backend });
      const rng = createRng(32);
      for (let step = 0; step < 4; step++) {
        const X = randomBatch(rng, 3, sizes[0], 1, zeroFraction);
        const Y = randomTargets(rng, 3, 3);
        const Xn = matrix(X.data.map((v) => -v), 3, sizes[0]);
        const fa = meanFieldForward(a, X);
        const fb = meanFieldForward(bFlip, Xn);
        fa.layers.forEach((f, l) => {
          expect(fb.layers[l].ubar.data).toEqual(f.ubar.data);
          expect(fb.layers[l].sigma2.data).toEqual(f.sigma2.data);
          expect(fb.layers[l].muOut.data).toEqual(f.muOut.data);
        });
        const ga = ebpGradients(a, X, Y);
        const gb = ebpGradients(bFlip, Xn, Y);
        expect(gb.logMarginal).toBe(ga.logMarginal);
        ga.delta.forEach((d, l) => expect(gb.delta[l].data).toEqual(d.data));
        const ra = ebpStep(a, X, Y);
        const rb = ebpStep(bFlip, Xn, Y);
        expect(rb.logMarginal).toBe(ra.logMarginal);
        expect(bFlip.layers[0].h).toEqual(a.layers[0].h.map((v) => -v));
        expect(bFlip.layers[0].mean).toEqual(a.layers[0].mean.map((v) => -v));
        expect(bFlip.layers[0].variance).toEqual(a.layers[0].variance);
        for (let l = 0; l < sizes.length - 1; l++) {
          expect(bFlip.layers[l].b).toEqual(a.layers[l].b);
          if (l > 0) expect(bFlip.layers[l].h).toEqual(a.layers[l].h);
        }
      }
    }
  });

  test.each(kinds)('flipping a hidden unit (its row and bias, and its outgoing column) is an exact symmetry (%s)', (weights) => {
    const sizes = [10, 7, 5, 3];
    const a = randomStore(sizes, weights, backend, 41, 0.5, 2);
    const p = paramsOf(a);
    const flips: [number, number][] = [[0, 2], [1, 4], [0, 6]]; // (layer, unit): units of hidden layers 1 and 2
    for (const [l, k] of flips) {
      p.h[l][k] = p.h[l][k].map((v) => -v);
      p.b[l][k] = -p.b[l][k];
      p.h[l + 1] = p.h[l + 1].map((row) => row.map((v, j) => (j === k ? -v : v)));
    }
    const bFlip = PosteriorStore.fromParameters({ weights, ...p, backend });
    const sign = (l: number, k: number) => (flips.some(([fl, fk]) => fl === l && fk === k) ? -1 : 1);
    const rng = createRng(42);
    for (let step = 0; step < 4; step++) {
      const X = randomBatch(rng, 3, sizes[0]);
      const Y = randomTargets(rng, 3, 3);
      const fa = meanFieldForward(a, X);
      const fb = meanFieldForward(bFlip, X);
      fa.layers.forEach((f, l) => {
        const K = sizes[l + 1];
        f.ubar.data.forEach((v, i) => expect(fb.layers[l].ubar.data[i]).toBe(sign(l, i % K) * v));
        f.muOut.data.forEach((v, i) => expect(fb.layers[l].muOut.data[i]).toBe(sign(l, i % K) * v));
        expect(fb.layers[l].sigma2.data).toEqual(f.sigma2.data);
      });
      const ga = ebpGradients(a, X, Y);
      const gb = ebpGradients(bFlip, X, Y);
      expect(gb.logMarginal).toBe(ga.logMarginal);
      ga.delta.forEach((d, l) => d.data.forEach((v, i) => expect(gb.delta[l].data[i]).toBe(sign(l, i % sizes[l + 1]) * v)));
      ebpStep(a, X, Y);
      ebpStep(bFlip, X, Y);
      for (let l = 0; l < sizes.length - 1; l++) {
        const K = sizes[l];
        a.layers[l].h.forEach((v, i) => {
          const s = sign(l, Math.floor(i / K)) * (l > 0 ? sign(l - 1, i % K) : 1);
          expect(bFlip.layers[l].h[i]).toBe(s * v);
        });
        a.layers[l].b.forEach((v, k) => expect(bFlip.layers[l].b[k]).toBe(sign(l, k) * v));
      }
    }
  });

  test.each(kinds)('flipping an output unit (row, bias) together with its target is an exact symmetry (%s)', (weights) => {
    const sizes = [8, 6, 4];
    const a = randomStore(sizes, weights, backend, 51, 0.5, 2);
    const p = paramsOf(a);
    p.h[1][2] = p.h[1][2].map((v) => -v);
    p.b[1][2] = -p.b[1][2];
    const bFlip = PosteriorStore.fromParameters({ weights, ...p, backend });
    const rng = createRng(52);
    for (let step = 0; step < 4; step++) {
      const X = randomBatch(rng, 4, sizes[0]);
      const Y = randomTargets(rng, 4, 4);
      const Yf = matrix(Y.data.map((v, i) => (i % 4 === 2 ? -v : v)), 4, 4);
      const ra = ebpStep(a, X, Y);
      const rb = ebpStep(bFlip, X, Yf);
      expect(rb.logMarginal).toBe(ra.logMarginal);
      expect(bFlip.layers[0].h).toEqual(a.layers[0].h);
      expect(bFlip.layers[0].b).toEqual(a.layers[0].b);
      a.layers[1].h.forEach((v, i) => expect(bFlip.layers[1].h[i]).toBe(Math.floor(i / 6) === 2 ? -v : v));
      a.layers[1].b.forEach((v, k) => expect(bFlip.layers[1].b[k]).toBe(k === 2 ? -v : v));
    }
  });
});
