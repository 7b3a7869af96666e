// The packed engine's hot loops against their slow twins (src/kernels/xnor-popcount.ts): xorCounts4 and
// maskedCounts4 (carry-save adder, deferred byte counts) equal one popcount per word, on random words at every
// word count up to 100 (the 3-word groups and the 30-word flushes) and at the word-boundary widths; then both
// engines (TypeScript and WebAssembly i64.popcnt), whose output and hidden layers run those loops, against
// the slow twins through a plan, at the same widths.
import { createRng, type Rng } from '../../../src/util/random';
import { maskedCounts4, toPanels32, toTernaryPanels32, xorCounts4 } from '../../../src/kernels/xnor-counts';
import { maskedCounts4Slow, popcount32, xnorDot, xorCounts4Slow } from '../../../src/kernels/xnor-popcount';
import { createXnorEngine, type XnorBackend, type XnorPlan, type PlanLayer } from '../../../src/kernels/xnor';

const BOUNDARY_WIDTHS = [1, 31, 32, 33, 63, 64, 65, 95, 96, 97, 127, 128, 129, 959, 960, 961];

function randomWords(rng: Rng, n: number): Int32Array {
  const a = new Int32Array(n);
  for (let i = 0; i < n; i++) a[i] = (rng.next() * 4294967296) | 0;
  return a;
}

/** N canonical rows of K bits (⌈K/32⌉ words each), padding bits zero; `density` = P(bit = 1). */
function randomRows(rng: Rng, K: number, N: number, density = 0.5): Int32Array {
  const KW = (K + 31) >>> 5;
  const out = new Int32Array(N * KW);
  for (let k = 0; k < N; k++) for (let j = 0; j < K; j++) if (rng.next() < density) out[k * KW + (j >>> 5)] |= 1 << (j & 31);
  return out;
}

function counts(fn: typeof xorCounts4, X: Int32Array, xo: number, W: Int32Array, wo: number, KW: number): number[] {
  const cnt = new Int32Array(4).fill(-7);
  fn(X, xo, W, wo, KW, cnt);
  return Array.from(cnt);
}

describe('xorCounts4 and maskedCounts4 equal their slow twins', () => {
  test('random words, every word count 1..100, at offsets', () => {
    const rng = createRng(1);
    for (let KW = 1; KW <= 100; KW++) {
      const xo = rng.int(5);
      const wo = rng.int(9);
      const X = randomWords(rng, xo + KW);
      const W = randomWords(rng, wo + 8 * KW);
      expect(counts(xorCounts4, X, xo, W, wo, KW)).toEqual(counts(xorCounts4Slow, X, xo, W, wo, KW));
      expect(counts(maskedCounts4, X, xo, W, wo, KW)).toEqual(counts(maskedCounts4Slow, X, xo, W, wo, KW));
    }
  });

  test('all-ones words: the byte counters at their largest (30 words of 32 set bits)', () => {
    for (const KW of [29, 30, 31, 60, 61, 90, 93]) {
      const X = new Int32Array(KW);
      const W = new Int32Array(8 * KW).fill(-1);
      expect(counts(xorCounts4, X, 0, W, 0, KW)).toEqual([32 * KW, 32 * KW, 32 * KW, 32 * KW]);
      expect(counts(maskedCounts4, X, 0, W, 0, KW)).toEqual(counts(maskedCounts4Slow, X, 0, W, 0, KW));
    }
  });

  test.each(BOUNDARY_WIDTHS)('K = %i bits: panels of canonical rows, against xnorDot', (K) => {
    const rng = createRng(K);
    const KW = (K + 31) >>> 5;
    const N = 6; // two panels, the second one partial
    const x = randomRows(rng, K, 3);
    const w = randomRows(rng, K, N);
    const nz = randomRows(rng, K, N, 0.7);
    const S = w.map((v, i) => v & nz[i]); // the −1 mask lies inside the non-zero mask
    const panels = toPanels32(w, K, N);
    const tern = toTernaryPanels32(S, nz, K, N);
    for (let n = 0; n < 3; n++) {
      for (let p = 0; p < 2; p++) {
        const fast = counts(xorCounts4, x, n * KW, panels, p * KW * 4, KW);
        expect(fast).toEqual(counts(xorCounts4Slow, x, n * KW, panels, p * KW * 4, KW));
        const fastT = counts(maskedCounts4, x, n * KW, tern, p * KW * 8, KW);
        expect(fastT).toEqual(counts(maskedCounts4Slow, x, n * KW, tern, p * KW * 8, KW));
        for (let r = 0; r < 4; r++) {
          const k = 4 * p + r;
          if (k >= N) continue;
          expect(K - 2 * fast[r]).toBe(xnorDot(x, n * KW, w, k * KW, K));
          let m = 0;
          for (let v = 0; v < KW; v++) m += popcount32((x[n * KW + v] ^ S[k * KW + v]) & nz[k * KW + v]);
          expect(fastT[r]).toBe(m);
        }
      }
    }
  });
});

// ---------------------------------------------------------------- both engines

/** Binarised ±1 input rows (x ≥ 0 → +1, bit 0) and their canonical packing (bit 1 = −1). */
function signRows(rng: Rng, B: number, K: number): { X: Float64Array; bits: Int32Array } {
  const KW = (K + 31) >>> 5;
  const X = new Float64Array(B * K);
  const bits = new Int32Array(B * KW);
  for (let n = 0; n < B; n++) {
    for (let j = 0; j < K; j++) {
      const neg = rng.next() < 0.5;
      X[n * K + j] = neg ? -1 : 1;
      if (neg) bits[n * KW + (j >>> 5)] |= 1 << (j & 31);
    }
  }
  return { X, bits };
}

function planLayer(K: number, N: number, words: Int32Array, nz: Int32Array | null, thr = new Float64Array(N), flip = new Uint8Array(N)): PlanLayer {
  return { K, N, words, nz, thr, flip, scale: null, bias: new Float64Array(N) };
}

/** The slow twin's ±1 dot of input row n with weight row k: binary K − 2·popcount(x ⊕ w), ternary n_k − 2·popcount((x ⊕ S) ∧ NZ). */
function slowDot(bits: Int32Array, n: number, words: Int32Array, nz: Int32Array | null, k: number, K: number): number {
  const KW = (K + 31) >>> 5;
  if (nz === null) return xnorDot(bits, n * KW, words, k * KW, K);
  let nnz = 0;
  let m = 0;
  for (let v = 0; v < KW; v++) {
    nnz += popcount32(nz[k * KW + v]);
    m += popcount32((bits[n * KW + v] ^ words[k * KW + v]) & nz[k * KW + v]);
  }
  return nnz - 2 * m;
}

const BACKENDS: XnorBackend[] = ['js', 'wasm'];

describe.each(BACKENDS)('%s engine: output and hidden layers against the slow twins', (backend) => {
  test.each(BOUNDARY_WIDTHS)('K = %i bits', (K) => {
    const rng = createRng(1000 + K);
    const B = 5;
    const N = 7;
    const { X, bits } = signRows(rng, B, K);
    const input = { kind: 'binarize' as const, threshold: new Float64Array(K) };
    for (const ternary of [false, true]) {
      const nz = ternary ? randomRows(rng, K, N, 0.7) : null;
      const words = nz ? randomRows(rng, K, N).map((v, i) => v & nz[i]) : randomRows(rng, K, N);
      // Output layer: scores = the dot itself (scale 1, bias 0).
      const out = new Float64Array(B * N);
      const engine = createXnorEngine({ input, layers: [planLayer(K, N, words, nz)] }, backend);
      expect(engine.name).toBe(backend);
      expect(engine.forward(X, 0, B, out, 0)).toBe(-1);
      for (let n = 0; n < B; n++) for (let k = 0; k < N; k++) expect(out[n * N + k]).toBe(slowDot(bits, n, words, nz, k, K));
      // Hidden layer (+1 iff dot ≥ thr, or dot ≤ thr when flipped), read back through a ternary identity layer.
      const thr = Float64Array.from({ length: N }, () => Math.round((rng.next() - 0.5) * Math.sqrt(K) * 2) + (rng.next() < 0.3 ? 0.5 : 0));
      const flip = Uint8Array.from({ length: N }, () => (rng.next() < 0.3 ? 1 : 0));
      const eyeNz = new Int32Array(N);
      for (let k = 0; k < N; k++) eyeNz[k] |= 1 << k; // N ≤ 32: one word per row, bit k of row k
      const plan: XnorPlan = { input, layers: [planLayer(K, N, words, nz, thr, flip), planLayer(N, N, new Int32Array(N), eyeNz)] };
      const v = new Float64Array(B * N);
      expect(createXnorEngine(plan, backend).forward(X, 0, B, v, 0)).toBe(-1);
      for (let n = 0; n < B; n++) {
        for (let k = 0; k < N; k++) {
          const dot = slowDot(bits, n, words, nz, k, K);
          const plus = flip[k] ? dot <= thr[k] : dot >= thr[k];
          expect(v[n * N + k]).toBe(plus ? 1 : -1);
        }
      }
    }
  });
});
