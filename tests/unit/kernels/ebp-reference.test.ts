// The EBP update kernels (src/kernels/ebp-js.ts and wasm/ebp_kernels.c: updateDense, updateSparse and the
// moment refresh inside them) against the slow reference `ebpGradients` (src/ebp/reference.ts), as the STE
// kernels are tested against naive loops: one ebpStep must add exactly the reference's gradients (times s2 for
// Gaussian weights) to h and b, and leave the cached moments equal to a fresh refresh of the new h, on both
// backends, every weight kind, dense and sparse first-layer rows. Then the forward and backward kernels of the
// two backends give the same reference to rounding.
import { PosteriorStore, ebpGradients, ebpStep, matrix, ternary, createRng, type Matrix, type WeightKind } from '../../../src';

type Backend = 'js' | 'wasm';
const BACKENDS: Backend[] = ['js', 'wasm'];
const KINDS: [string, WeightKind][] = [
  ['binary', 'binary'],
  ['gaussian', 'gaussian'],
  ['ternary(0.6)', ternary(0.6)],
  ['levels [-1, -0.5, 0.5, 1]', { levels: [-1, -0.5, 0.5, 1] }],
];
// [sizes, zero fraction of the inputs]: dense rows, sparse rows (at least half zeros: the sparse first-layer
// path), and very sparse rows (the moments refreshed column by column).
const PROBLEMS: [number[], number][] = [[[30, 17, 9, 4], 0], [[40, 7, 3], 0.6], [[784, 33, 10], 0.97]];
const BATCHES = [1, 3, 10];

function problem(seed: number, sizes: number[], B: number, zeroFraction: number): { X: Matrix; Y: Matrix } {
  const rng = createRng(seed);
  const K0 = sizes[0];
  const KL = sizes[sizes.length - 1];
  const X = new Float64Array(B * K0).map(() => (rng.next() < zeroFraction ? 0 : rng.normal() * 1.5));
  const Y = new Float64Array(B * KL).map(() => (rng.next() < 0.5 ? -1 : 1));
  return { X: matrix(X, B, K0), Y: matrix(Y, B, KL) };
}

function bitsEqual(a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) throw new Error(`${what}[${i}]: ${a[i]} vs ${b[i]}`);
}

let worst = 0;
afterAll(() => console.log(`update kernels vs ebpGradients: worst |Δh − s2·gradMean| / (|h| + s2·Σ|δμ|/√(K+1)) = ${worst.toExponential(2)}`));

describe.each(BACKENDS)('%s kernels against the slow reference ebpGradients', (backend) => {
  const cases: [string, WeightKind, number[], number, number][] = [];
  for (const [name, w] of KINDS) for (const [sizes, zf] of PROBLEMS) for (const B of BATCHES) cases.push([name, w, sizes, zf, B]);

  test.each(cases)('%s weights, %j, zero fraction %d, batch %i', (_name, weights, sizes, zf, B) => {
    const seed = sizes.reduce((a, s) => a * 31 + s, B);
    const store = PosteriorStore.init(sizes, { weights, seed, backend, sigmaW: 2 });
    expect(store.backend).toBe(backend);
    const { X, Y } = problem(seed + 1, sizes, B, zf);
    const before = store.layers.map((L) => ({ h: L.h.slice(), b: L.b.slice() }));
    const g = ebpGradients(store, X, Y);
    store.layers.forEach((L, l) => bitsEqual(L.h, before[l].h, `ebpGradients left h[${l}]`));
    // |δ| · |μ_in| per weight, for the rounding scale of the in-place additions.
    const absIn: Float64Array[] = [Float64Array.from(X.data, Math.abs)];
    const r = ebpStep(store, X, Y);
    expect(r.logMarginal).toBe(g.logMarginal);
    const scale = weights === 'gaussian' ? store.weightVariance : 1;
    store.layers.forEach((L, l) => {
      const { inputs: K, outputs: Kout } = L;
      const c = Math.sqrt(K + 1);
      for (let k = 0; k < Kout; k++) expect(L.b[k]).toBe(before[l].b[k] + g.gradBias[l][k]);
      const muIn = l === 0 ? absIn[0] : null; // hidden inputs: |⟨v⟩| ≤ 1
      for (let k = 0; k < Kout; k++) {
        for (let j = 0; j < K; j++) {
          const i = k * K + j;
          const expected = before[l].h[i] + scale * g.gradMean[l].data[i];
          let terms = 0;
          for (let n = 0; n < B; n++) terms += Math.abs(g.delta[l].data[n * Kout + k]) * (muIn ? muIn[n * K + j] : 1);
          const s = Math.abs(before[l].h[i]) + (scale * terms) / c;
          const err = Math.abs(L.h[i] - expected);
          if (!(err <= 1e-14 * s)) throw new Error(`layer ${l} h[${k}, ${j}]: ${L.h[i]} vs ${expected} (|diff| ${err} > 1e-14·${s})`);
          if (s > 0) worst = Math.max(worst, err / s);
        }
      }
    });
    // The moments the update kernels refreshed are those of the new h (a fresh store computes them from h alone).
    const ref = PosteriorStore.fromParameters({ ...store.toJSON(), backend: 'js' });
    store.layers.forEach((L, l) => {
      bitsEqual(L.mean, ref.layers[l].mean, `layer ${l} mean`);
      bitsEqual(L.variance, ref.layers[l].variance, `layer ${l} Var W`);
      bitsEqual(L.map, ref.layers[l].map, `layer ${l} map`);
    });
  });
});

describe('forward and backward kernels: WebAssembly and TypeScript give the same reference to rounding', () => {
  test.each(KINDS)('%s weights', (_name, weights) => {
    for (const [sizes, zf] of PROBLEMS) {
      const js = PosteriorStore.init(sizes, { weights, seed: 3, backend: 'js', sigmaW: 2 });
      const wa = js.clone('wasm');
      const { X, Y } = problem(4, sizes, 10, zf);
      const gj = ebpGradients(js, X, Y);
      const gw = ebpGradients(wa, X, Y);
      expect(Math.abs(gw.logMarginal - gj.logMarginal)).toBeLessThanOrEqual(1e-12 * Math.abs(gj.logMarginal));
      gj.delta.forEach((d, l) => {
        let scale = 0;
        for (const v of d.data) scale = Math.max(scale, Math.abs(v));
        d.data.forEach((v, i) => expect(Math.abs(gw.delta[l].data[i] - v)).toBeLessThanOrEqual(1e-11 * scale));
      });
    }
  });
});
