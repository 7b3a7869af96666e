/**
 * The STE kernel set: the TypeScript loops of ste-js.ts, or the same loops compiled to WebAssembly SIMD
 * (wasm/ste_kernels.c, bytes in ste-wasm.generated.ts) bound to one network's heap. WebAssembly kernels take
 * byte offsets, so every array passed to them must be a view on that heap. Set EBP_BNN_WASM=0 (or
 * setWasmEnabled(false)) to force the JS kernels. The two sets give the same bits, and both equal a naive loop
 * in the documented order (tests/unit/kernels/ste-kernels.test.ts).
 */
import * as js from './ste-js';
import { STE_WASM_BASE64 } from './ste-wasm.generated';
import { compileModule, WasmHeap } from './wasm-heap';

export interface SteKernels {
  readonly name: 'js' | 'wasm';
  gemmF32: typeof js.gemmF32;
  gemmF64: typeof js.gemmF64;
  adamUpdate: typeof js.adamUpdate;
  bnForward: typeof js.bnForward;
  bnBackwardPanels: typeof js.bnBackwardPanels;
  toPanels: typeof js.toPanels;
  htanhGrad: typeof js.htanhGrad;
}

export const jsSteKernels: SteKernels = {
  name: 'js',
  gemmF32: js.gemmF32,
  gemmF64: js.gemmF64,
  adamUpdate: js.adamUpdate,
  bnForward: js.bnForward,
  bnBackwardPanels: js.bnBackwardPanels,
  toPanels: js.toPanels,
  htanhGrad: js.htanhGrad,
};

type P = number;
interface SteWasmExports extends WebAssembly.Exports {
  gemm_f32(A: P, ais: number, aps: number, B: P, bqs: number, C: P, cis: number, cqs: number, rows: number, panels: number, depth: number): void;
  gemm_f64(A: P, ais: number, aps: number, B: P, bqs: number, C: P, cis: number, cqs: number, rows: number, panels: number, depth: number): void;
  adam_update(w: P, m: P, v: P, g: P, s: P, st: P, K: number, N: number, panels: number,
    b1: number, c1: number, b2: number, c2: number, step: number, ibc2: number, eps: number, clip: number): void;
  bn_forward(a: P, lda: number, B: number, N: number, gamma: P, beta: P, eps: number, xhat: P, z: P, mean: P, varB: P, invStd: P, h: P, ldh: number): void;
  bn_backward(dz: P, xhat: P, gamma: P, invStd: P, B: number, N: number, da: P, dgamma: P, dbeta: P, dAp: P, C: number, dAr: P): void;
  to_panels(da: P, dAp: P, B: number, N: number, C: number, dAr: P): void;
  htanh_grad(z: P, dH: P, ldh: number, dz: P, B: number, K: number): void;
}

export type SteHeap = WasmHeap<SteWasmExports>;

/** Where a network's arrays live: the JS heap or a WebAssembly heap. */
export interface SteAlloc {
  f64(n: number): Float64Array;
  f32(n: number): Float32Array;
}

export const jsSteAlloc: SteAlloc = { f64: (n) => new Float64Array(n), f32: (n) => new Float32Array(n) };

/** An allocator on a WebAssembly heap (16-byte aligned arrays). */
export function heapAlloc(heap: SteHeap): SteAlloc {
  return {
    f64: (n) => heap.f64(n),
    f32: (n) => {
      const a = heap.f64(Math.ceil(n / 2));
      return new Float32Array(a.buffer, a.byteOffset, n);
    },
  };
}

/** A heap for the STE kernels with room for `bytes` bytes of arrays, or null when WebAssembly is unavailable or disabled. */
export function createSteHeap(bytes: number): SteHeap | null {
  return WasmHeap.create<SteWasmExports>(compileModule('ste', STE_WASM_BASE64), bytes);
}

/** The WebAssembly kernel set bound to `heap`. */
export function wasmSteKernels(heap: SteHeap): SteKernels {
  const x = heap.exports;
  const o = (a: ArrayBufferView) => a.byteOffset;
  return {
    name: 'wasm',
    gemmF32: (A, ais, aps, B, bqs, C, cis, cqs, rows, panels, depth) =>
      x.gemm_f32(o(A), ais, aps, o(B), bqs, o(C), cis, cqs, rows, panels, depth),
    gemmF64: (A, ais, aps, B, bqs, C, cis, cqs, rows, panels, depth) =>
      x.gemm_f64(o(A), ais, aps, o(B), bqs, o(C), cis, cqs, rows, panels, depth),
    adamUpdate: (w, m, v, g, s, st, K, N, panels, b1, c1, b2, c2, step, ibc2, eps, clip) =>
      x.adam_update(o(w), o(m), o(v), o(g), o(s), st === null ? 0 : o(st), K, N, panels, b1, c1, b2, c2, step, ibc2, eps, clip),
    bnForward: (a, lda, B, N, gamma, beta, eps, xhat, z, mean, varB, invStd, h, ldh) =>
      x.bn_forward(o(a), lda, B, N, o(gamma), o(beta), eps, o(xhat), o(z), o(mean), o(varB), o(invStd), h === null ? 0 : o(h), ldh),
    bnBackwardPanels: (dz, xhat, gamma, invStd, B, N, da, dgamma, dbeta, dAp, C, dAr) =>
      x.bn_backward(o(dz), o(xhat), o(gamma), o(invStd), B, N, o(da), o(dgamma), o(dbeta), o(dAp), C, dAr === null ? 0 : o(dAr)),
    toPanels: (da, dAp, B, N, C, dAr) => x.to_panels(o(da), o(dAp), B, N, C, dAr === null ? 0 : o(dAr)),
    htanhGrad: (z, dH, ldh, dz, B, K) => x.htanh_grad(o(z), o(dH), ldh, o(dz), B, K),
  };
}
