// The two EBP kernel sets, plain JS (src/kernels/ebp-js.ts) and WebAssembly SIMD (wasm/ebp_kernels.c), called
// directly on random shapes and compared: sums to 1e-13 relative to the size of their terms (the SIMD loops add
// in a different order), the moment refresh bit for bit. Then the same at store level.
import {
  REFRESH_BINARY, REFRESH_NONE, REFRESH_TERNARY, createEbpHeap, jsKernels, wasmKernels, type EbpHeap, type EbpKernels, type Refresh,
} from '../../../src/kernels/ebp';
import { DiscreteFamily, ternary } from '../../../src/ebp/weights';
import { PosteriorStore, ebpStep, meanFieldForward, predict, ebpGradients, matrix, createRng, type Rng, type WeightKind } from '../../../src';

const REL = 1e-13;

/** Distance in units in the last place between two finite doubles of the same sign (or zeros). */
function ulps(a: number, b: number): number {
  if (a === b) return 0;
  const buf = new DataView(new ArrayBuffer(16));
  buf.setFloat64(0, a);
  buf.setFloat64(8, b);
  const ia = buf.getBigInt64(0);
  const ib = buf.getBigInt64(8);
  const d = ia > ib ? ia - ib : ib - ia;
  return Number(d);
}

function bitsEqual(a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) {
    if (!Object.is(a[i], b[i])) throw new Error(`${what}[${i}]: ${a[i]} vs ${b[i]} (not bit-identical)`);
  }
}

let worstRel = 0;
/** |a − e| ≤ REL·scale[i] for every entry (scale: the sum of |terms| that formed e, or |e|). */
function closeScaled(a: ArrayLike<number>, e: ArrayLike<number>, scale: ArrayLike<number>, what: string): void {
  expect(a.length).toBe(e.length);
  for (let i = 0; i < e.length; i++) {
    const err = Math.abs(a[i] - e[i]);
    const s = Math.max(scale[i], Math.abs(e[i]));
    if (!(err <= REL * s)) throw new Error(`${what}[${i}]: wasm ${a[i]} vs js ${e[i]}, |diff| ${err} > ${REL}·${s}`);
    if (s > 0) worstRel = Math.max(worstRel, err / s);
  }
}

/** A heap with `bytes` of room; the test fails (not skips) if WebAssembly SIMD is unavailable. */
function heap(bytes: number): EbpHeap {
  const h = createEbpHeap(bytes + (1 << 16));
  if (h === null) throw new Error('WebAssembly SIMD kernels are not available in this Node (createEbpHeap returned null)');
  return h;
}

/** Allocate a copy of `src` in the heap. */
function inHeap(hp: EbpHeap, src: Float64Array): Float64Array {
  const a = hp.f64(src.length);
  a.set(src);
  return a;
}
function inHeapI(hp: EbpHeap, src: Int32Array): Int32Array {
  const a = hp.i32(Math.max(1, src.length));
  a.set(src);
  return a;
}

const abs = (a: Float64Array) => a.map(Math.abs);

function rand(rng: Rng, n: number, scale = 1): Float64Array {
  const a = new Float64Array(n);
  for (let i = 0; i < n; i++) a[i] = scale * rng.normal();
  return a;
}

type Kind = 'binary' | 'ternary' | 'gaussian';
const KINDS: Kind[] = ['binary', 'ternary', 'gaussian'];
const TERNARY_PI0 = 0.6;

/** The update kernels' refresh argument for a weight kind, and the ternary prior constants (zeros otherwise). */
function refreshOf(kind: Kind): { refresh: Refresh; T: Float64Array } {
  if (kind === 'ternary') return { refresh: REFRESH_TERNARY, T: new DiscreteFamily(ternary(TERNARY_PI0)).ternaryConstants! };
  return { refresh: kind === 'binary' ? REFRESH_BINARY : REFRESH_NONE, T: new Float64Array(6) };
}

/** Random layer: h, and its moments from the JS kernel (binary moments for Gaussian weights too: any values do). */
function layer(rng: Rng, K: number, Kout: number, hScale = 1.5, kind: Kind = 'binary') {
  const h = rand(rng, K * Kout, hScale);
  const mean = new Float64Array(h.length);
  const variance = new Float64Array(h.length);
  const map = new Float64Array(h.length);
  if (kind === 'ternary') jsKernels.ternaryMoments(h, mean, variance, map, 0, h.length, refreshOf(kind).T);
  else jsKernels.moments(h, mean, variance, map, 0, h.length);
  const b = rand(rng, Kout, 0.5);
  return { h, mean, variance, map, b };
}

/** Input rows with a fraction of exact zeros, and their sparse index (as Workspace.indexInput builds it). */
function rows(rng: Rng, B: number, K: number, zeroFraction: number) {
  const x = new Float64Array(B * K);
  for (let i = 0; i < x.length; i++) x[i] = rng.next() < zeroFraction ? 0 : rng.normal() * 2;
  const nzStart = new Int32Array(B + 1);
  const idx: number[] = [];
  const val: number[] = [];
  for (let n = 0; n < B; n++) {
    nzStart[n] = idx.length;
    for (let j = 0; j < K; j++) {
      if (x[n * K + j] !== 0) {
        idx.push(j);
        val.push(x[n * K + j]);
      }
    }
  }
  nzStart[B] = idx.length;
  const nzIdx = Int32Array.from(idx);
  const nzVal = Float64Array.from(val);
  const nzVal2 = nzVal.map((v) => v * v);
  const x2 = x.map((v) => v * v);
  const seen = new Set<number>(idx);
  const union = Int32Array.from(seen);
  return { x, x2, nzStart, nzIdx, nzVal, nzVal2, union };
}

/** Which moment-refresh branch of updateSparse the binary cases took. */
const unionBranches = new Set<string>();

const WIDTHS = [1, 3, 7, 33, 784];
const OUTS = [1, 3, 7];
const BATCHES = [1, 3, 10];
const SHAPES: [number, number, number][] = [];
for (const K of WIDTHS) for (const Kout of OUTS) for (const B of BATCHES) SHAPES.push([K, Kout, B]);

afterAll(() => console.log(`JS vs WebAssembly kernels: worst |diff| / Σ|terms| = ${worstRel.toExponential(2)} over ${SHAPES.length} shapes`));

// ---------------------------------------------------------------- exp and moments

describe('moments accuracy (JS kernel; the WebAssembly kernel gives the same bits, below)', () => {
  test('tanh within 1e-15 absolute of Math.tanh, sech² within 2e-15 relative of 4e/(1+e)², e = Math.exp(−2|h|)', () => {
    const rng = createRng(1);
    const hs: number[] = [0, -0, 1e-300, -5e-324, 1e-20, -1e-10, 0.5 * Math.LN2, -Math.LN2, 1, -2, 10, -19, 25, 50, -300, 354];
    for (let i = 0; i < 100000; i++) hs.push((rng.next() - 0.5) * 60);
    for (let i = 0; i < 20000; i++) hs.push((rng.next() < 0.5 ? -1 : 1) * Math.pow(10, -20 + 22.5 * rng.next()));
    for (let k = 0; k <= 1021; k++) hs.push(((k + 0.5) * Math.LN2) / 2, (k * Math.LN2) / 2); // reduction boundaries of exp(−2|h|)
    const h = Float64Array.from(hs);
    const mean = new Float64Array(h.length);
    const variance = new Float64Array(h.length);
    const map = new Float64Array(h.length);
    jsKernels.moments(h, mean, variance, map, 0, h.length);
    let worstT = 0;
    let worstV = 0;
    for (let i = 0; i < h.length; i++) {
      const e = Math.exp(-2 * Math.abs(h[i]));
      const v = (4 * e) / ((1 + e) * (1 + e));
      worstT = Math.max(worstT, Math.abs(mean[i] - Math.tanh(h[i])));
      if (Math.abs(h[i]) <= 354) worstV = Math.max(worstV, Math.abs(variance[i] - v) / v); // flushed beyond (next test)
      expect(map[i]).toBe(h[i] < 0 ? -1 : 1);
    }
    console.log(`moments: worst |tanh error| ${worstT.toExponential(2)}, worst sech² relative error ${worstV.toExponential(2)} over ${h.length} fields`);
    expect(worstT).toBeLessThanOrEqual(1e-15);
    expect(worstV).toBeLessThanOrEqual(2e-15);
  });

  test('sech² is flushed to exactly 0 only below e^−708 (|h| > 354), where tanh is exactly ±1', () => {
    const h = Float64Array.from([354.1, -400, 1e3, -1e300, Infinity, 353.9]);
    const mean = new Float64Array(h.length);
    const variance = new Float64Array(h.length);
    const map = new Float64Array(h.length);
    jsKernels.moments(h, mean, variance, map, 0, h.length);
    expect(Array.from(variance.subarray(0, 5))).toEqual([0, 0, 0, 0, 0]);
    expect(Array.from(mean.subarray(0, 5))).toEqual([1, -1, 1, -1, 1]);
    expect(variance[5]).toBeGreaterThan(0);
  });
});

describe('moments: JS and WebAssembly bit-identical', () => {
  const special = [0, -0, 1e-20, -1e-20, 1e-300, -5e-324, 0.5, -0.5, 1, -1, 18.5, -19, 25, -25, 354, -354, 354.5, 800, -800, 1e6, -1e300, Infinity, -Infinity, Number.MAX_VALUE];
  const rng = createRng(2);
  const h = new Float64Array(4099);
  special.forEach((v, i) => (h[i] = v));
  for (let i = special.length; i < h.length; i++) {
    // |h| log-uniform in 1e-20..800, random sign
    h[i] = (rng.next() < 0.5 ? -1 : 1) * Math.pow(10, -20 + (20 + Math.log10(800)) * rng.next());
  }

  test.each([[0, h.length], [0, 1], [1, 1], [3, 7], [5, 2], [17, 4000]])('offset %i, count %i', (off, n) => {
    const hp = heap(h.length * 8 * 4);
    const wk = wasmKernels(hp);
    const H = inHeap(hp, h);
    const mW = hp.f64(h.length).fill(7);
    const vW = hp.f64(h.length).fill(7);
    const pW = hp.f64(h.length).fill(7);
    const mJ = new Float64Array(h.length).fill(7);
    const vJ = new Float64Array(h.length).fill(7);
    const pJ = new Float64Array(h.length).fill(7);
    wk.moments(H, mW, vW, pW, off, n);
    jsKernels.moments(h, mJ, vJ, pJ, off, n);
    bitsEqual(mW, mJ, 'mean');
    bitsEqual(vW, vJ, 'variance');
    bitsEqual(pW, pJ, 'map');
    // Outside [off, off+n) nothing is written.
    for (let i = 0; i < h.length; i++) if (i < off || i >= off + n) expect(mW[i]).toBe(7);
  });

  test('values: tanh, sech², sign with sign(±0) = +1', () => {
    const mean = new Float64Array(h.length);
    const variance = new Float64Array(h.length);
    const map = new Float64Array(h.length);
    jsKernels.moments(h, mean, variance, map, 0, h.length);
    for (let i = 0; i < h.length; i++) {
      const x = h[i];
      expect(map[i]).toBe(x < 0 ? -1 : 1);
      if (Math.abs(x) < 18) {
        // tanh = (1 − e)/(1 + e), e = exp(−2|h|) (spec §11.4): absolutely accurate; for |h| ≲ 1e-8 the
        // cancellation in 1 − e costs relative accuracy (h = 1e-20 gives mean 0), which the spec's formula accepts.
        expect(Math.abs(mean[i] - Math.tanh(x))).toBeLessThanOrEqual(4e-16 * Math.max(Math.abs(Math.tanh(x)), 0.5));
        if (Math.abs(x) > 1) expect(Math.abs(mean[i] - Math.tanh(x))).toBeLessThanOrEqual(4e-16 * Math.abs(Math.tanh(x)));
        const c = Math.cosh(x);
        expect(Math.abs(variance[i] - 1 / (c * c))).toBeLessThanOrEqual(2e-15 / (c * c));
      } else {
        expect(Math.abs(mean[i] - Math.tanh(x))).toBeLessThanOrEqual(4e-16);
        if (Math.abs(x) >= 20) expect(mean[i]).toBe(x < 0 ? -1 : 1);
        expect(variance[i]).toBeGreaterThanOrEqual(0);
        expect(variance[i]).toBeLessThan(1e-15);
      }
    }
  });
});

describe('ternary moments: JS and WebAssembly bit-identical', () => {
  const special = [0, -0, 1e-20, -1e-20, 1e-300, -5e-324, 0.5, -0.5, 1, -1, 18.5, -19, 25, -25, 354, -354, 708.5, -709.5, 800, -800, 1e6, -1e300, Infinity, -Infinity, Number.MAX_VALUE];
  const rng = createRng(5);
  const h = new Float64Array(4099);
  special.forEach((v, i) => (h[i] = v));
  for (let i = special.length; i < h.length; i++) h[i] = (rng.next() < 0.5 ? -1 : 1) * Math.pow(10, -20 + (20 + Math.log10(800)) * rng.next());

  test.each([
    ['ternary(1/3)', 1 / 3, 0, h.length],
    ['ternary(0.5)', 0.5, 3, 7],
    ['ternary(0.8)', 0.8, 17, 4000],
    ['ternary(0.8), one entry', 0.8, 5, 1],
  ] as [string, number, number, number][])('%s, offset %i, count %i', (_n, pi0, off, n) => {
    const T = new DiscreteFamily(ternary(pi0)).ternaryConstants!;
    const hp = heap(h.length * 8 * 4);
    const wk = wasmKernels(hp);
    const H = inHeap(hp, h);
    const [mW, vW, pW] = [0, 1, 2].map(() => hp.f64(h.length).fill(7));
    const [mJ, vJ, pJ] = [0, 1, 2].map(() => new Float64Array(h.length).fill(7));
    wk.ternaryMoments(H, mW, vW, pW, off, n, inHeap(hp, T));
    jsKernels.ternaryMoments(h, mJ, vJ, pJ, off, n, T);
    bitsEqual(mW, mJ, 'mean');
    bitsEqual(vW, vJ, 'variance');
    bitsEqual(pW, pJ, 'map');
    for (let i = 0; i < h.length; i++) if (i < off || i >= off + n) expect(mW[i]).toBe(7);
    for (let i = off; i < off + n; i++) {
      expect(Number.isFinite(mJ[i]) && Number.isFinite(vJ[i])).toBe(true);
      expect(vJ[i]).toBeGreaterThanOrEqual(0);
    }
  });
});

// ---------------------------------------------------------------- forward, EBP-D, backward, update kernels

interface Pair {
  js: EbpKernels;
  wasm: EbpKernels;
  hp: EbpHeap;
}

function pair(bytes: number): Pair {
  const hp = heap(bytes);
  return { js: jsKernels, wasm: wasmKernels(hp), hp };
}

describe.each(SHAPES)('kernels on K = %i, Kout = %i, B = %i', (K, Kout, B) => {
  const bytes = 8 * (12 * K * Kout + 20 * B * K + 12 * B * Kout + 4 * K) + 4 * (3 * B * K + B + 8);
  const seed = K * 1000003 + Kout * 1009 + B;

  test.each([['dense', 0], ['sparse', 0.8]] as [string, number][])('first layer, %s rows: denseLayer(input) and inputSparse', (_, zf) => {
    const rng = createRng(seed + 1);
    const { hp, wasm } = pair(bytes);
    const L = layer(rng, K, Kout);
    const r = rows(rng, B, K, zf);
    const c = Math.sqrt(K + 1);
    const k1 = K + 1;
    // JS reference, and the same with |terms| for the scale.
    const uJ = new Float64Array(B * Kout);
    const sJ = new Float64Array(B * Kout);
    jsKernels.denseLayer(L.mean, L.variance, L.b, K, Kout, r.x, r.x2, false, B, uJ, sJ, c, k1);
    const uS = new Float64Array(B * Kout);
    const sS = new Float64Array(B * Kout);
    jsKernels.denseLayer(abs(L.mean), L.variance, abs(L.b), K, Kout, abs(r.x), r.x2, false, B, uS, sS, c, k1);
    // JS sparse equals JS dense exactly (same order, zeros skipped).
    const uJs = new Float64Array(B * Kout);
    const sJs = new Float64Array(B * Kout);
    jsKernels.inputSparse(L.mean, L.variance, L.b, K, Kout, r.nzStart, r.nzIdx, r.nzVal, r.nzVal2, B, uJs, sJs, c, k1);
    bitsEqual(uJs, uJ, 'js inputSparse ubar vs denseLayer');
    bitsEqual(sJs, sJ, 'js inputSparse variance vs denseLayer');
    // WebAssembly dense and sparse.
    const m = inHeap(hp, L.mean);
    const v = inHeap(hp, L.variance);
    const b = inHeap(hp, L.b);
    const uW = hp.f64(B * Kout);
    const sW = hp.f64(B * Kout);
    wasm.denseLayer(m, v, b, K, Kout, inHeap(hp, r.x), inHeap(hp, r.x2), false, B, uW, sW, c, k1);
    closeScaled(uW, uJ, uS, 'wasm denseLayer ubar');
    closeScaled(sW, sJ, sS, 'wasm denseLayer variance');
    const uWs = hp.f64(B * Kout);
    const sWs = hp.f64(B * Kout);
    wasm.inputSparse(m, v, b, K, Kout, inHeapI(hp, r.nzStart), inHeapI(hp, r.nzIdx), inHeap(hp, r.nzVal), inHeap(hp, r.nzVal2), B, uWs, sWs, c, k1);
    // The sparse loops are scalar in both: same order, same bits.
    bitsEqual(uWs, uJs, 'wasm inputSparse ubar');
    bitsEqual(sWs, sJs, 'wasm inputSparse variance');
    for (let i = 0; i < B * Kout; i++) expect(sW[i]).toBeGreaterThanOrEqual(1 / k1);
  });

  test('hidden layer: denseLayer(hidden)', () => {
    const rng = createRng(seed + 2);
    const { hp, wasm } = pair(bytes);
    const L = layer(rng, K, Kout);
    const mu = new Float64Array(B * K).map(() => 2 * rng.next() - 1);
    const nu = mu.map((x) => 1 - x * x);
    const c = Math.sqrt(K + 1);
    const uJ = new Float64Array(B * Kout);
    const sJ = new Float64Array(B * Kout);
    jsKernels.denseLayer(L.mean, L.variance, L.b, K, Kout, mu, nu, true, B, uJ, sJ, c, K + 1);
    const uS = new Float64Array(B * Kout);
    const sS = new Float64Array(B * Kout);
    jsKernels.denseLayer(abs(L.mean), L.variance, abs(L.b), K, Kout, abs(mu), nu, true, B, uS, sS, c, K + 1);
    const uW = hp.f64(B * Kout);
    const sW = hp.f64(B * Kout);
    wasm.denseLayer(inHeap(hp, L.mean), inHeap(hp, L.variance), inHeap(hp, L.b), K, Kout, inHeap(hp, mu), inHeap(hp, nu), true, B, uW, sW, c, K + 1);
    closeScaled(uW, uJ, uS, 'hidden ubar');
    closeScaled(sW, sJ, sS, 'hidden variance');
    // The WebAssembly order, emulated: two lanes (even and odd columns) summed, then the odd tail column; the
    // blocks of four samples must keep every unit's sum in that order (same bits as one sample at a time).
    const uE = new Float64Array(B * Kout);
    const sE = new Float64Array(B * Kout);
    for (let k = 0; k < Kout; k++) {
      const m = L.mean.subarray(k * K, (k + 1) * K);
      const v = L.variance.subarray(k * K, (k + 1) * K);
      const rv = [0, 0];
      let j = 0;
      for (; j + 2 <= K; j += 2) [rv[0], rv[1]] = [rv[0] + v[j], rv[1] + v[j + 1]];
      let rowVar = rv[0] + rv[1];
      for (; j < K; j++) rowVar += v[j];
      for (let n = 0; n < B; n++) {
        const s2 = [0, 0];
        const q2 = [0, 0];
        let jj = 0;
        for (; jj + 2 <= K; jj += 2) {
          for (const l of [0, 1]) {
            s2[l] += m[jj + l] * mu[n * K + jj + l];
            q2[l] += m[jj + l] * m[jj + l] * nu[n * K + jj + l];
          }
        }
        let sum = s2[0] + s2[1];
        let sv = q2[0] + q2[1];
        for (; jj < K; jj++) {
          sum += m[jj] * mu[n * K + jj];
          sv += m[jj] * m[jj] * nu[n * K + jj];
        }
        uE[n * Kout + k] = (sum + L.b[k]) / c;
        sE[n * Kout + k] = (sv + rowVar + 1) / (K + 1);
      }
    }
    bitsEqual(uW, uE, 'hidden ubar, WebAssembly order');
    bitsEqual(sW, sE, 'hidden variance, WebAssembly order');
    // Direct check of the formula on one entry: σ̄² = (Σ Var W + Σ m² Var v + 1)/(K+1).
    let sv = 0;
    let s = 0;
    for (let j = 0; j < K; j++) {
      sv += L.variance[j] + L.mean[j] * L.mean[j] * nu[j];
      s += L.mean[j] * mu[j];
    }
    expect(Math.abs(sJ[0] - (sv + 1) / (K + 1))).toBeLessThanOrEqual(1e-14 * sJ[0]);
    expect(Math.abs(uJ[0] - (s + L.b[0]) / c)).toBeLessThanOrEqual(1e-13 * uS[0]);
  });

  test.each([true, false])('signDense and signSparse (last = %s)', (last) => {
    const rng = createRng(seed + 3);
    const { hp, wasm } = pair(bytes);
    const L = layer(rng, K, Kout);
    const r = rows(rng, B, K, 0.7);
    const oJ = new Float64Array(B * Kout);
    jsKernels.signDense(L.map, L.b, K, Kout, r.x, B, oJ, true);
    const oS = new Float64Array(B * Kout);
    jsKernels.signDense(abs(L.map), abs(L.b), K, Kout, abs(r.x), B, oS, true);
    const oW = hp.f64(B * Kout);
    const w = inHeap(hp, L.map);
    const b = inHeap(hp, L.b);
    wasm.signDense(w, b, K, Kout, inHeap(hp, r.x), B, oW, last);
    const oWs = hp.f64(B * Kout);
    wasm.signSparse(w, b, K, Kout, inHeapI(hp, r.nzStart), inHeapI(hp, r.nzIdx), inHeap(hp, r.nzVal), B, oWs, last);
    const oJs = new Float64Array(B * Kout);
    jsKernels.signSparse(L.map, L.b, K, Kout, r.nzStart, r.nzIdx, r.nzVal, B, oJs, last);
    bitsEqual(oWs, oJs, 'signSparse');
    if (last) {
      closeScaled(oW, oJ, oS, 'signDense field');
      closeScaled(oJs, oJ, oS, 'js signSparse vs signDense');
    } else {
      for (let i = 0; i < B * Kout; i++) {
        // the sign agrees unless the field is within rounding of 0
        if (Math.abs(oJ[i]) > REL * oS[i]) expect(oW[i]).toBe(oJ[i] < 0 ? -1 : 1);
        expect(Math.abs(oW[i])).toBe(1);
      }
    }
  });

  test('signDense: an exactly zero field gives +1 in both (sign(0) = +1)', () => {
    const { hp, wasm } = pair(bytes);
    // w = ±1 alternating, x = 1: integer sums, exact in every order; b cancels the sum.
    const w = new Float64Array(K * Kout).map((_, i) => (i % 2 === 0 ? 1 : -1));
    const x = new Float64Array(B * K).fill(1);
    const b = new Float64Array(Kout);
    for (let k = 0; k < Kout; k++) {
      let s = 0;
      for (let j = 0; j < K; j++) s += w[k * K + j];
      b[k] = -s;
    }
    const oJ = new Float64Array(B * Kout);
    jsKernels.signDense(w, b, K, Kout, x, B, oJ, false);
    const oW = hp.f64(B * Kout);
    wasm.signDense(inHeap(hp, w), inHeap(hp, b), K, Kout, inHeap(hp, x), B, oW, false);
    expect(Array.from(oJ)).toEqual(new Array(B * Kout).fill(1));
    expect(Array.from(oW)).toEqual(new Array(B * Kout).fill(1));
  });

  test('backwardHidden', () => {
    const rng = createRng(seed + 4);
    const { hp, wasm } = pair(bytes);
    const L = layer(rng, K, Kout);
    const delta = rand(rng, B * Kout);
    delta[0] = 0; // the kernels skip zero deltas
    const dmu = new Float64Array(B * K).map(() => rng.next());
    const c = Math.sqrt(K + 1);
    const bJ = new Float64Array(B * K);
    jsKernels.backwardHidden(L.mean, K, Kout, delta, dmu, bJ, B, c);
    const bS = new Float64Array(B * K);
    jsKernels.backwardHidden(abs(L.mean), K, Kout, abs(delta), dmu, bS, B, c);
    const bW = hp.f64(B * K);
    wasm.backwardHidden(inHeap(hp, L.mean), K, Kout, inHeap(hp, delta), inHeap(hp, dmu), bW, B, c);
    closeScaled(bW, bJ, bS, 'backwardHidden');
    // Each below[n, j] sums over k in increasing order in both (the WebAssembly strips keep that order): same bits.
    bitsEqual(bW, bJ, 'backwardHidden bits');
  });

  test.each(KINDS)('updateDense (%s weights)', (kind) => {
    const rng = createRng(seed + 5);
    const { hp, wasm } = pair(bytes);
    const L = layer(rng, K, Kout, 1.5, kind);
    const { refresh, T } = refreshOf(kind);
    const binary = kind !== 'gaussian';
    const delta = rand(rng, B * Kout);
    if (B * Kout > 1) delta[1] = 0;
    const muIn = rand(rng, B * K);
    const c = Math.sqrt(K + 1);
    const scale = binary ? 1 : 0.7;
    const J = { h: L.h.slice(), mean: L.mean.slice(), variance: L.variance.slice(), map: L.map.slice() };
    jsKernels.updateDense(J.h, J.mean, J.variance, J.map, K, Kout, delta, muIn, B, new Float64Array(K), c, scale, refresh, T);
    const W = { h: inHeap(hp, L.h), mean: inHeap(hp, L.mean), variance: inHeap(hp, L.variance), map: inHeap(hp, L.map) };
    wasm.updateDense(W.h, W.mean, W.variance, W.map, K, Kout, inHeap(hp, delta), inHeap(hp, muIn), B, hp.f64(K), c, scale, refresh, inHeap(hp, T));
    // scale: |h| + Σ|δ x|/c
    const inc = new Float64Array(K * Kout);
    for (let k = 0; k < Kout; k++) for (let n = 0; n < B; n++) for (let j = 0; j < K; j++) inc[k * K + j] += Math.abs(delta[n * Kout + k] * muIn[n * K + j]) / c;
    closeScaled(W.h, J.h, L.h.map((v, i) => Math.abs(v) + scale * inc[i]), 'updateDense h');
    // g sums over n in increasing order in both (the WebAssembly blocks keep it), and the refresh is bit-identical.
    bitsEqual(W.h, J.h, 'updateDense h bits');
    bitsEqual(W.mean, J.mean, 'updateDense mean bits');
    bitsEqual(W.variance, J.variance, 'updateDense variance bits');
    bitsEqual(W.map, J.map, 'updateDense map bits');
    expectMomentsOf(W, kind, L, 'wasm updateDense');
    expectMomentsOf(J, kind, L, 'js updateDense');
  });

  test.each([
    ['small union (moments refreshed column by column)', 0.97, 'binary'],
    ['large union (moments refreshed over the row)', 0.5, 'binary'],
    ['ternary weights, small union', 0.97, 'ternary'],
    ['ternary weights, large union', 0.5, 'ternary'],
    ['gaussian weights', 0.8, 'gaussian'],
  ] as [string, number, Kind][])('updateSparse, %s', (_, zf, kind) => {
    const rng = createRng(seed + 6);
    const { hp, wasm } = pair(bytes);
    const L = layer(rng, K, Kout, 1.5, kind);
    const { refresh, T } = refreshOf(kind);
    const binary = kind !== 'gaussian';
    const r = rows(rng, B, K, zf);
    const delta = rand(rng, B * Kout);
    const c = Math.sqrt(K + 1);
    const scale = binary ? 1 : 0.7;
    const count = r.union.length;
    if (kind !== 'gaussian') unionBranches.add(`${kind} ${count * 4 >= K * 3 ? 'row' : 'columns'}`);
    const J = { h: L.h.slice(), mean: L.mean.slice(), variance: L.variance.slice(), map: L.map.slice() };
    jsKernels.updateSparse(J.h, J.mean, J.variance, J.map, K, Kout, delta, r.nzStart, r.nzIdx, r.nzVal, B, r.union, count, c, scale, refresh, T);
    const W = { h: inHeap(hp, L.h), mean: inHeap(hp, L.mean), variance: inHeap(hp, L.variance), map: inHeap(hp, L.map) };
    wasm.updateSparse(W.h, W.mean, W.variance, W.map, K, Kout, inHeap(hp, delta), inHeapI(hp, r.nzStart), inHeapI(hp, r.nzIdx), inHeap(hp, r.nzVal), B, inHeapI(hp, r.union), count, c, scale, refresh, inHeap(hp, T));
    // Same scalar loop: h bit-identical; moments bit-identical because the moment kernels are.
    bitsEqual(W.h, J.h, 'updateSparse h');
    bitsEqual(W.mean, J.mean, 'updateSparse mean');
    bitsEqual(W.variance, J.variance, 'updateSparse variance');
    bitsEqual(W.map, J.map, 'updateSparse map');
    expectMomentsOf(W, kind, L, 'wasm updateSparse');
    // Equal to the dense update up to the order of the additions.
    const D = { h: L.h.slice(), mean: L.mean.slice(), variance: L.variance.slice(), map: L.map.slice() };
    jsKernels.updateDense(D.h, D.mean, D.variance, D.map, K, Kout, delta, r.x, B, new Float64Array(K), c, scale, refresh, T);
    const inc = new Float64Array(K * Kout);
    for (let k = 0; k < Kout; k++) for (let n = 0; n < B; n++) for (let j = 0; j < K; j++) inc[k * K + j] += Math.abs(delta[n * Kout + k] * r.x[n * K + j]) / c;
    closeScaled(W.h, D.h, L.h.map((v, i) => Math.abs(v) + scale * inc[i]), 'updateSparse vs updateDense h');
    // Columns outside the union are untouched.
    const inUnion = new Set(r.union);
    for (let k = 0; k < Kout; k++) for (let j = 0; j < K; j++) if (!inUnion.has(j)) expect(W.h[k * K + j]).toBe(L.h[k * K + j]);
  });
});

describe('updateSparse coverage', () => {
  test('the cases above exercised both moment-refresh branches (whole row and union columns)', () => {
    expect([...unionBranches].sort()).toEqual(['binary columns', 'binary row', 'ternary columns', 'ternary row']);
  });
});

/** Binary, ternary: mean/variance/map are exactly the moments of h. Gaussian: the caches are untouched (`orig`). */
function expectMomentsOf(
  s: { h: Float64Array; mean: Float64Array; variance: Float64Array; map: Float64Array },
  kind: Kind,
  orig: { mean: Float64Array; variance: Float64Array; map: Float64Array },
  what: string,
): void {
  if (kind === 'ternary') {
    const m = new Float64Array(s.h.length);
    const v = new Float64Array(s.h.length);
    const p = new Float64Array(s.h.length);
    new DiscreteFamily(ternary(TERNARY_PI0)).moments(s.h, m, v, p, 0, s.h.length);
    bitsEqual(s.mean, m, `${what} ternary mean`);
    bitsEqual(s.variance, v, `${what} ternary variance`);
    bitsEqual(s.map, p, `${what} ternary map`);
    return;
  }
  if (kind === 'gaussian') {
    bitsEqual(s.mean, orig.mean, `${what} mean untouched`);
    bitsEqual(s.variance, orig.variance, `${what} variance untouched`);
    bitsEqual(s.map, orig.map, `${what} map untouched`);
    return;
  }
  const m = new Float64Array(s.h.length);
  const v = new Float64Array(s.h.length);
  const p = new Float64Array(s.h.length);
  jsKernels.moments(s.h, m, v, p, 0, s.h.length);
  bitsEqual(s.mean, m, `${what} mean = tanh h`);
  bitsEqual(s.variance, v, `${what} variance = sech² h`);
  bitsEqual(s.map, p, `${what} map = sign h`);
}

// ---------------------------------------------------------------- store level

describe('stores: backend js vs wasm', () => {
  function problem(seed: number, sizes: number[], n: number, zeroFraction: number) {
    const rng = createRng(seed);
    const X = new Float64Array(n * sizes[0]);
    for (let i = 0; i < X.length; i++) X[i] = rng.next() < zeroFraction ? 0 : rng.next() * 2;
    const KL = sizes[sizes.length - 1];
    const Y = new Float64Array(n * KL);
    for (let i = 0; i < Y.length; i++) Y[i] = rng.next() < 0.5 ? -1 : 1;
    return { X, Y };
  }

  function maxRelDiff(a: PosteriorStore, b: PosteriorStore): number {
    let worst = 0;
    a.layers.forEach((L, l) => {
      const M = b.layers[l];
      for (const [x, y] of [[L.h, M.h], [L.b, M.b]] as const) {
        let scale = 0;
        for (const v of x) scale = Math.max(scale, Math.abs(v));
        for (let i = 0; i < x.length; i++) {
          const d = Math.abs(x[i] - y[i]);
          if (d !== 0 || x[i] !== y[i]) worst = Math.max(worst, d / Math.max(Math.abs(x[i]), 1e-3 * scale));
        }
      }
    });
    return worst;
  }

  test.each([
    ['binary', [30, 17, 9, 4], 0],
    ['binary', [784, 33, 10], 0.8],
    ['gaussian', [30, 17, 9, 4], 0],
    ['gaussian', [784, 33, 10], 0.8],
    [ternary(0.5), [30, 17, 9, 4], 0],
    [ternary(0.8), [784, 33, 10], 0.8],
    [{ levels: [-1, -0.5, 0.5, 1] }, [784, 33, 10], 0.8],
  ] as [WeightKind, number[], number][])('%j %j (zero fraction %d): a few training steps agree to 1e-10', (weights, sizes, zf) => {
    const js = PosteriorStore.init(sizes, { weights, seed: 5, backend: 'js' });
    const wa = PosteriorStore.init(sizes, { weights, seed: 5, backend: 'wasm' });
    expect(js.backend).toBe('js');
    expect(wa.backend).toBe('wasm');
    expect(js.kernels.name).toBe('js');
    expect(wa.kernels.name).toBe('wasm');
    expect(wa.heapWorkspace).not.toBeNull();
    expect(maxRelDiff(js, wa)).toBe(0);
    const { X, Y } = problem(6, sizes, 60, zf);
    const K0 = sizes[0];
    const KL = sizes[sizes.length - 1];
    for (let s = 0; s < 6; s++) {
      const xb = matrix(X.slice(s * 10 * K0, (s + 1) * 10 * K0), 10, K0);
      const yb = matrix(Y.slice(s * 10 * KL, (s + 1) * 10 * KL), 10, KL);
      const rj = ebpStep(js, xb, yb);
      const rw = ebpStep(wa, xb, yb);
      expect(Math.abs(rj.logMarginal - rw.logMarginal)).toBeLessThanOrEqual(1e-10 * Math.abs(rj.logMarginal));
    }
    const d = maxRelDiff(js, wa);
    console.log(`store ${JSON.stringify(weights)} ${sizes.join('-')}: max relative h/b difference js vs wasm after 6 steps ${d.toExponential(2)}`);
    expect(d).toBeLessThanOrEqual(1e-10);
    const all = matrix(X, 60, K0);
    const pj = predict(js, all, 'probabilistic');
    const pw = predict(wa, all, 'probabilistic');
    pj.scores.data.forEach((v, i) => expect(Math.abs(pw.scores.data[i] - v)).toBeLessThanOrEqual(1e-10));
  });

  test('a batch larger than the wasm workspace falls back to the JS workspace and matches', () => {
    const sizes = [20, 9, 3];
    const wa = PosteriorStore.init(sizes, { seed: 8, backend: 'wasm' });
    const js = PosteriorStore.init(sizes, { seed: 8, backend: 'js' });
    const cap = wa.heapWorkspace!.capacity;
    const n = cap + 37;
    const { X, Y } = problem(9, sizes, n, 0.3);
    const Xm = matrix(X, n, sizes[0]);
    const Ym = matrix(Y, n, 3);
    // Forward over > capacity rows is chunked through the wasm workspace.
    const fj = meanFieldForward(js, Xm);
    const fw = meanFieldForward(wa, Xm);
    fj.layers.forEach((f, l) => f.muOut.data.forEach((v, i) => expect(Math.abs(fw.layers[l].muOut.data[i] - v)).toBeLessThanOrEqual(1e-13)));
    const gj = ebpGradients(js, Xm, Ym);
    const gw = ebpGradients(wa, Xm, Ym);
    expect(Math.abs(gw.logMarginal - gj.logMarginal)).toBeLessThanOrEqual(1e-12 * Math.abs(gj.logMarginal));
    // One big step (falls back), then small steps (back on the wasm workspace), then another big one.
    ebpStep(js, Xm, Ym);
    ebpStep(wa, Xm, Ym);
    expect(maxRelDiff(js, wa)).toBeLessThanOrEqual(1e-10);
    for (let s = 0; s < 3; s++) {
      const xb = matrix(X.slice(s * 5 * 20, (s + 1) * 5 * 20), 5, 20);
      const yb = matrix(Y.slice(s * 5 * 3, (s + 1) * 5 * 3), 5, 3);
      ebpStep(js, xb, yb);
      ebpStep(wa, xb, yb);
    }
    ebpStep(js, Xm, Ym);
    ebpStep(wa, Xm, Ym);
    const d = maxRelDiff(js, wa);
    console.log(`batch of ${n} > wasm capacity ${cap}: max relative h/b difference ${d.toExponential(2)}`);
    expect(d).toBeLessThanOrEqual(1e-10);
    // The store's caches still describe its h after the JS-workspace update.
    const L = wa.layers[0];
    const m = new Float64Array(L.h.length);
    jsKernels.moments(L.h, m, new Float64Array(L.h.length), new Float64Array(L.h.length), 0, L.h.length);
    bitsEqual(L.mean, m, 'wasm store mean after fallback');
  });
});
