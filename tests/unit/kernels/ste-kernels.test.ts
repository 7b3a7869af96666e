// The STE kernels: the WebAssembly SIMD set (wasm/ste_kernels.c) and the TypeScript set (src/kernels/ste-js.ts)
// give the same bits, and both equal a slow twin: a naive loop in the documented order (float32 sums through
// Math.fround for gemmF32, float64 for gemmF64; batch norm column by column; panel packing element by element),
// adamStep (the same formula) plus the quantizer's clip and sign for adamUpdate, and the quantizer's scalar
// sign and straight-through gradient (src/ste/quantizer.ts) for the sign outputs and htanhGrad.
import { createRng } from '../../../src';
import { createSteHeap, heapAlloc, jsSteKernels, wasmSteKernels, type SteAlloc, type SteKernels } from '../../../src/kernels/ste';
import { adamCoefficients, adamStep } from '../../../src/ste/adam';
import { clipLatent, steSign, steSignGradient } from '../../../src/ste/quantizer';

const heap = createSteHeap(8 << 20);
const wasm = heap ? wasmSteKernels(heap) : null;
const halloc: SteAlloc | null = heap ? heapAlloc(heap) : null;

test('WebAssembly SIMD is available in this Node (the fast path is exercised)', () => {
  expect(heap).not.toBeNull();
});

function naiveF32(A: Float32Array, ais: number, aps: number, B: Float32Array, bqs: number, rows: number, panels: number, depth: number): Float32Array {
  const out = new Float32Array(rows * panels * 8);
  for (let i = 0; i < rows; i++) {
    for (let q = 0; q < panels; q++) {
      for (let l = 0; l < 8; l++) {
        let s = 0;
        for (let p = 0; p < depth; p++) s = Math.fround(s + Math.fround(A[i * ais + p * aps] * B[q * bqs + p * 8 + l]));
        out[(i * panels + q) * 8 + l] = s;
      }
    }
  }
  return out;
}

function naiveF64(A: Float64Array, ais: number, aps: number, B: Float64Array, bqs: number, rows: number, panels: number, depth: number): Float64Array {
  const out = new Float64Array(rows * panels * 8);
  for (let i = 0; i < rows; i++) {
    for (let q = 0; q < panels; q++) {
      for (let l = 0; l < 8; l++) {
        let s = 0;
        for (let p = 0; p < depth; p++) s += A[i * ais + p * aps] * B[q * bqs + p * 8 + l];
        out[(i * panels + q) * 8 + l] = s;
      }
    }
  }
  return out;
}

const SHAPES: [number, number, number][] = [[1, 1, 1], [3, 2, 5], [4, 1, 7], [5, 3, 9], [9, 2, 17], [13, 4, 33], [100, 3, 64]];

describe.each(SHAPES)('gemm rows %i, panels %i, depth %i', (rows, panels, depth) => {
  const rng = createRng(rows * 1000 + panels * 100 + depth);
  for (const transposedA of [false, true]) {
    test(`float32, A ${transposedA ? 'column' : 'row'}-major: JS = WebAssembly = naive order, bit for bit`, () => {
      const ais = transposedA ? 1 : depth + 3;
      const aps = transposedA ? rows + 2 : 1;
      const bqs = depth * 8 + 8;
      const lenA = (rows - 1) * ais + (depth - 1) * aps + 1;
      const lenB = (panels - 1) * bqs + depth * 8;
      const fill = (a: Float32Array, pm1: boolean) => {
        for (let i = 0; i < a.length; i++) a[i] = pm1 ? (rng.next() < 0.5 ? -1 : 1) : rng.normal();
      };
      const A = new Float32Array(lenA);
      const B = new Float32Array(lenB);
      fill(A, false);
      fill(B, depth % 2 === 0);
      const expected = naiveF32(A, ais, aps, B, bqs, rows, panels, depth);
      // Output in row-major order [rows, panels*8]: cis = panels*8, cqs = 8.
      const cj = new Float32Array(rows * panels * 8);
      jsSteKernels.gemmF32(A, ais, aps, B, bqs, cj, panels * 8, 8, rows, panels, depth);
      expect(Array.from(cj)).toEqual(Array.from(expected));
      if (wasm && halloc) {
        const Aw = halloc.f32(lenA);
        Aw.set(A);
        const Bw = halloc.f32(lenB);
        Bw.set(B);
        const cw = halloc.f32(rows * panels * 8);
        wasm.gemmF32(Aw, ais, aps, Bw, bqs, cw, panels * 8, 8, rows, panels, depth);
        expect(Buffer.from(cw.buffer, cw.byteOffset, cw.byteLength).equals(Buffer.from(cj.buffer))).toBe(true);
      }
    });
  }

  test('float64: JS = WebAssembly = naive sequential sum, bit for bit (panel-layout output)', () => {
    const ais = depth;
    const aps = 1;
    const bqs = depth * 8;
    const A = new Float64Array(rows * depth).map(() => rng.normal());
    const B = new Float64Array(panels * bqs).map(() => (rng.next() < 0.5 ? -1 : 1));
    const expected = naiveF64(A, ais, aps, B, bqs, rows, panels, depth);
    // Output in panel layout [panels][rows][8]: cis = 8, cqs = rows*8.
    const cj = new Float64Array(rows * panels * 8);
    jsSteKernels.gemmF64(A, ais, aps, B, bqs, cj, 8, rows * 8, rows, panels, depth);
    for (let i = 0; i < rows; i++) for (let q = 0; q < panels; q++) for (let l = 0; l < 8; l++) {
      expect(cj[(q * rows + i) * 8 + l]).toBe(expected[(i * panels + q) * 8 + l]);
    }
    if (wasm && halloc) {
      const Aw = halloc.f64(A.length);
      Aw.set(A);
      const Bw = halloc.f64(B.length);
      Bw.set(B);
      const cw = halloc.f64(cj.length);
      wasm.gemmF64(Aw, ais, aps, Bw, bqs, cw, 8, rows * 8, rows, panels, depth);
      expect(Array.from(cw)).toEqual(Array.from(cj));
    }
  });
});

describe('adamUpdate', () => {
  const K = 11;
  const N = 13; // 2 panels, the second one half padding
  const P = 2;
  const n = P * K * 8;

  function run(k: SteKernels, alloc: SteAlloc, steps: number) {
    const rng = createRng(7);
    const w = alloc.f64(n);
    const m = alloc.f64(n);
    const v = alloc.f64(n);
    const g = alloc.f32(n);
    const s = alloc.f32(n);
    const st = alloc.f32(16 * N);
    for (let e = 0; e < n; e++) w[e] = 2 * rng.next() - 1;
    w[3] = 0; // sign(0) = +1
    w[5] = -0;
    for (let t = 1; t <= steps; t++) {
      for (let e = 0; e < n; e++) g[e] = Math.fround(rng.normal() * (e % 3 === 0 ? 10 : 0.1));
      const c = adamCoefficients(t === 2 ? 0.5 : 0.003, t, { beta1: 0.9, beta2: 0.999, epsilon: 1e-8 });
      k.adamUpdate(w, m, v, g, s, st, K, N, P, c.b1, c.c1, c.b2, c.c2, c.step, c.ibc2, c.eps, 1);
    }
    return { w: Float64Array.from(w), m: Float64Array.from(m), v: Float64Array.from(v), s: Float32Array.from(s), st: Float32Array.from(st), g: Float32Array.from(g) };
  }

  test('one step equals adamStep (the scalar formula) followed by the clip, and s = sign(w), st its transpose', () => {
    const rng = createRng(7);
    const w0 = new Float64Array(n);
    for (let e = 0; e < n; e++) w0[e] = 2 * rng.next() - 1;
    w0[3] = 0;
    w0[5] = -0;
    const g = new Float64Array(n);
    for (let e = 0; e < n; e++) g[e] = Math.fround(rng.normal() * (e % 3 === 0 ? 10 : 0.1));
    const out = run(jsSteKernels, { f64: (k) => new Float64Array(k), f32: (k) => new Float32Array(k) }, 1);
    const p = w0.slice();
    const c = adamCoefficients(0.003, 1, { beta1: 0.9, beta2: 0.999, epsilon: 1e-8 });
    adamStep(p, g, new Float64Array(n), new Float64Array(n), c);
    for (let e = 0; e < n; e++) {
      expect(out.w[e]).toBe(Math.min(Math.max(p[e], -1), 1));
      expect(out.s[e]).toBe(out.w[e] >= 0 ? 1 : -1);
    }
    // Transposed buffer: element (n, k) of W at st[(k>>3)*N*8 + n*8 + (k&7)], n < N only.
    for (let nn = 0; nn < N; nn++) for (let k = 0; k < K; k++) {
      expect(out.st[(k >> 3) * N * 8 + nn * 8 + (k & 7)]).toBe(out.s[(nn >> 3) * K * 8 + k * 8 + (nn & 7)]);
    }
  });

  test('JS and WebAssembly give the same bits over several steps (clipping active)', () => {
    const a = run(jsSteKernels, { f64: (k) => new Float64Array(k), f32: (k) => new Float32Array(k) }, 4);
    expect(a.w.some((x) => x === 1) && a.w.some((x) => x === -1)).toBe(true);
    expect(a.w.every((x) => x >= -1 && x <= 1)).toBe(true);
    if (!wasm || !halloc) return;
    const b = run(wasm, halloc, 4);
    for (const key of ['w', 'm', 'v', 's', 'st'] as const) {
      expect(Buffer.from(b[key].buffer).equals(Buffer.from(a[key].buffer))).toBe(true);
    }
  });
});

describe('batch-norm, panel and hard-tanh kernels', () => {
  const jsAlloc: SteAlloc = { f64: (k) => new Float64Array(k), f32: (k) => new Float32Array(k) };

  function run(k: SteKernels, alloc: SteAlloc, B: number, N: number, lda: number, C: number) {
    const rng = createRng(B * 100 + N);
    const a = alloc.f32(B * lda);
    for (let i = 0; i < a.length; i++) a[i] = Math.fround(3 * rng.normal() + 0.5);
    const gamma = alloc.f64(N);
    const beta = alloc.f64(N);
    for (let n = 0; n < N; n++) {
      gamma[n] = rng.normal();
      beta[n] = rng.normal();
    }
    const xhat = alloc.f64(B * N);
    const z = alloc.f64(B * N);
    const mean = alloc.f64(N);
    const varB = alloc.f64(N);
    const invStd = alloc.f64(N);
    const h = alloc.f32(B * lda);
    k.bnForward(a, lda, B, N, gamma, beta, 1e-4, xhat, z, mean, varB, invStd, h, lda);
    const dz = alloc.f64(B * N);
    for (let i = 0; i < dz.length; i++) dz[i] = rng.normal();
    const da = alloc.f64(B * N);
    const dg = alloc.f64(N);
    const db = alloc.f64(N);
    const P = Math.ceil(N / 8);
    const dAp = alloc.f32(P * C * 8);
    dAp.fill(7); // padded lanes must be overwritten with 0
    const dAr = alloc.f32(B * N);
    k.bnBackwardPanels(dz, xhat, gamma, invStd, B, N, da, dg, db, dAp, C, dAr);
    const dAp2 = alloc.f32(P * C * 8);
    k.toPanels(dz, dAp2, B, N, C, null);
    const dH = alloc.f32(B * lda);
    for (let i = 0; i < dH.length; i++) dH[i] = Math.fround(rng.normal());
    const dzBelow = alloc.f64(B * N);
    k.htanhGrad(z, dH, lda, dzBelow, B, N);
    const copy = (x: Float64Array | Float32Array) => Buffer.from(x.slice().buffer);
    return {
      xhat: copy(xhat), z: copy(z), mean: copy(mean), varB: copy(varB), invStd: copy(invStd), h: copy(h.subarray(0, B * lda)), da: copy(da), dg: copy(dg), db: copy(db), dAp: copy(dAp), dAr: copy(dAr), dAp2: copy(dAp2), dzBelow: copy(dzBelow),
      raw: { a, gamma, beta, xhat, z, mean, varB, invStd, h, dz, da, dg, db, dAp, dAr, dAp2, dzBelow, dH },
    };
  }

  test.each([[2, 1, 3, 4], [5, 7, 9, 6], [100, 200, 200, 100], [37, 10, 16, 40]])('B %i, N %i, lda %i, capacity %i: JS = WebAssembly bit for bit; layouts and masks as documented', (B, N, lda, C) => {
    const j = run(jsSteKernels, jsAlloc, B, N, lda, C);
    const { z, h, dAp, da, dzBelow, dH } = j.raw;
    for (let m = 0; m < B; m++) for (let n = 0; n < N; n++) {
      expect(h[m * lda + n]).toBe(z[m * N + n] >= 0 ? 1 : -1);
      expect(dAp[(Math.floor(n / 8) * C + m) * 8 + (n % 8)]).toBe(Math.fround(da[m * N + n]));
      const zz = z[m * N + n];
      expect(dzBelow[m * N + n]).toBe(Math.abs(zz) <= 1 ? dH[m * lda + n] : 0);
    }
    for (let n = N; n < 8 * Math.ceil(N / 8); n++) for (let m = 0; m < B; m++) expect(dAp[(Math.floor(n / 8) * C + m) * 8 + (n % 8)]).toBe(0);
    if (!wasm || !halloc) return;
    const w = run(wasm, halloc, B, N, lda, C);
    for (const key of ['xhat', 'z', 'mean', 'varB', 'invStd', 'h', 'da', 'dg', 'db', 'dAp', 'dAr', 'dAp2', 'dzBelow'] as const) {
      if (!w[key].equals(j[key])) throw new Error(`${key} differs between JS and WebAssembly`);
    }
  });
});

/** Batch-norm forward, one column at a time, in the documented order (the slow twin of bnForward). */
function naiveBnForward(a: ArrayLike<number>, lda: number, B: number, N: number, gamma: ArrayLike<number>, beta: ArrayLike<number>, eps: number) {
  const xhat = new Float64Array(B * N);
  const z = new Float64Array(B * N);
  const mean = new Float64Array(N);
  const varB = new Float64Array(N);
  const invStd = new Float64Array(N);
  for (let n = 0; n < N; n++) {
    let s = 0;
    for (let m = 0; m < B; m++) s += a[m * lda + n];
    const mu = s / B;
    let q = 0;
    for (let m = 0; m < B; m++) q += (a[m * lda + n] - mu) * (a[m * lda + n] - mu);
    const v = q / B;
    const r = 1 / Math.sqrt(v + eps);
    mean[n] = mu;
    varB[n] = v;
    invStd[n] = r;
    for (let m = 0; m < B; m++) {
      xhat[m * N + n] = (a[m * lda + n] - mu) * r;
      z[m * N + n] = gamma[n] * xhat[m * N + n] + beta[n];
    }
  }
  return { xhat, z, mean, varB, invStd };
}

/** Batch-norm backward, one column at a time (the slow twin of bnBackward). */
function naiveBnBackward(dz: ArrayLike<number>, xhat: ArrayLike<number>, gamma: ArrayLike<number>, invStd: ArrayLike<number>, B: number, N: number) {
  const da = new Float64Array(B * N);
  const dg = new Float64Array(N);
  const db = new Float64Array(N);
  for (let n = 0; n < N; n++) {
    let sb = 0;
    let sg = 0;
    for (let m = 0; m < B; m++) {
      sb += dz[m * N + n];
      sg += dz[m * N + n] * xhat[m * N + n];
    }
    db[n] = sb;
    dg[n] = sg;
    for (let m = 0; m < B; m++) da[m * N + n] = ((gamma[n] * invStd[n]) / B) * (B * dz[m * N + n] - sb - xhat[m * N + n] * sg);
  }
  return { da, dg, db };
}

/**
 * Panel packing element by element (the slow twin of toPanels): float32 values, padded lanes 0; rows m ≥ B of
 * the capacity-C buffer are not written (they keep `untouched`).
 */
function naivePanels(da: ArrayLike<number>, B: number, N: number, C: number, untouched: number) {
  const P = Math.ceil(N / 8);
  const dAp = new Float32Array(P * C * 8).fill(untouched);
  const dAr = new Float32Array(B * N);
  for (let m = 0; m < B; m++) {
    for (let n = 0; n < 8 * P; n++) dAp[(Math.floor(n / 8) * C + m) * 8 + (n % 8)] = n < N ? Math.fround(da[m * N + n]) : 0;
    for (let n = 0; n < N; n++) dAr[m * N + n] = Math.fround(da[m * N + n]);
  }
  return { dAp, dAr };
}

describe('batch-norm, panel and hard-tanh kernels against their slow twins', () => {
  const jsAlloc: SteAlloc = { f64: (k) => new Float64Array(k), f32: (k) => new Float32Array(k) };
  const bits = (x: Float64Array | Float32Array) => Buffer.from(x.buffer, x.byteOffset, x.byteLength);

  test.each([[2, 1, 3, 4], [5, 7, 9, 6], [100, 200, 200, 100], [37, 10, 16, 40]])('B %i, N %i, lda %i, capacity %i: bit for bit', (B, N, lda, C) => {
    for (const [k, alloc] of [[jsSteKernels, jsAlloc], ...(wasm && halloc ? [[wasm, halloc]] : [])] as [SteKernels, SteAlloc][]) {
      const rng = createRng(B * 31 + N);
      const a = alloc.f32(B * lda);
      for (let i = 0; i < a.length; i++) a[i] = Math.fround(3 * rng.normal() + 0.5);
      a[0] = 0; // a zero pre-activation column entry
      const gamma = alloc.f64(N);
      const beta = alloc.f64(N);
      for (let n = 0; n < N; n++) {
        gamma[n] = rng.normal(); // (filled in place: .map() would leave the WebAssembly heap)
        beta[n] = rng.normal();
      }
      const xhat = alloc.f64(B * N);
      const z = alloc.f64(B * N);
      const mean = alloc.f64(N);
      const varB = alloc.f64(N);
      const invStd = alloc.f64(N);
      const h = alloc.f32(B * lda);
      k.bnForward(a, lda, B, N, gamma, beta, 1e-4, xhat, z, mean, varB, invStd, h, lda);
      const f = naiveBnForward(a, lda, B, N, gamma, beta, 1e-4);
      for (const key of ['xhat', 'z', 'mean', 'varB', 'invStd'] as const) {
        if (!bits({ xhat, z, mean, varB, invStd }[key]).equals(bits(f[key]))) throw new Error(`${k.name} bnForward ${key} differs from the naive loop`);
      }
      let badSigns = 0;
      for (let m = 0; m < B; m++) for (let n = 0; n < N; n++) if (h[m * lda + n] !== steSign(z[m * N + n])) badSigns++;
      expect(badSigns).toBe(0);

      const dz = alloc.f64(B * N);
      for (let i = 0; i < dz.length; i++) dz[i] = rng.normal();
      const da = alloc.f64(B * N);
      const dg = alloc.f64(N);
      const db = alloc.f64(N);
      const dAp = alloc.f32(Math.ceil(N / 8) * C * 8).fill(7);
      const dAr = alloc.f32(B * N);
      k.bnBackwardPanels(dz, xhat, gamma, invStd, B, N, da, dg, db, dAp, C, dAr);
      const g = naiveBnBackward(dz, xhat, gamma, invStd, B, N);
      for (const key of ['da', 'dg', 'db'] as const) {
        if (!bits({ da, dg, db }[key]).equals(bits(g[key]))) throw new Error(`${k.name} bnBackward ${key} differs from the naive loop`);
      }
      const p = naivePanels(da, B, N, C, 7);
      expect(bits(dAp).equals(bits(p.dAp))).toBe(true);
      expect(bits(dAr).equals(bits(p.dAr))).toBe(true);

      const dAp2 = alloc.f32(Math.ceil(N / 8) * C * 8).fill(7);
      const dAr2 = alloc.f32(B * N);
      k.toPanels(dz, dAp2, B, N, C, dAr2);
      const p2 = naivePanels(dz, B, N, C, 7);
      expect(bits(dAp2).equals(bits(p2.dAp))).toBe(true);
      expect(bits(dAr2).equals(bits(p2.dAr))).toBe(true);

      const dH = alloc.f32(B * lda);
      for (let i = 0; i < dH.length; i++) dH[i] = Math.fround(rng.normal());
      const zz = alloc.f64(B * N);
      const edges = [1, -1, Math.fround(1.0000001), -1.0000001, 0, -0, NaN, Infinity];
      for (let i = 0; i < zz.length; i++) zz[i] = i < edges.length ? edges[i] : 1.5 * rng.normal();
      const dzBelow = alloc.f64(B * N);
      k.htanhGrad(zz, dH, lda, dzBelow, B, N);
      let badGradients = 0;
      for (let m = 0; m < B; m++) for (let n = 0; n < N; n++) if (!Object.is(dzBelow[m * N + n], steSignGradient(zz[m * N + n], dH[m * lda + n]))) badGradients++;
      expect(badGradients).toBe(0);
    }
  });

  test('adamUpdate clips with the quantizer\'s clip and writes the quantizer\'s sign', () => {
    const K = 5;
    const N = 9;
    const P = 2;
    const n = P * K * 8;
    const rng = createRng(11);
    const w = new Float64Array(n).map(() => 3 * rng.normal());
    const g = new Float32Array(n).map(() => Math.fround(rng.normal()));
    const w0 = w.slice();
    const s = new Float32Array(n);
    const c = adamCoefficients(2, 1, { beta1: 0.9, beta2: 0.999, epsilon: 1e-8 });
    jsSteKernels.adamUpdate(w, new Float64Array(n), new Float64Array(n), g, s, null, K, N, P, c.b1, c.c1, c.b2, c.c2, c.step, c.ibc2, c.eps, 1);
    const p = w0.slice();
    adamStep(p, g, new Float64Array(n), new Float64Array(n), c);
    for (let e = 0; e < n; e++) {
      expect(w[e]).toBe(clipLatent(p[e]));
      expect(s[e]).toBe(steSign(w[e]));
    }
  });
});
