/**
 * The EBP kernel interface: the plain TypeScript loops of ebp-js.ts, or the same loops compiled to
 * WebAssembly SIMD (wasm/ebp_kernels.c) bound to one store's heap. Callers pass typed arrays; the
 * WebAssembly set passes their byte offsets, so every array must be a view on that heap. src/ebp
 * imports the EBP kernels and their constants through this file only (never ebp-js.ts). The update
 * kernels are tested against the slow reference `ebpGradients` (src/ebp/reference.ts,
 * tests/unit/kernels/ebp-reference.test.ts), and WebAssembly against TypeScript (ebp-kernels.test.ts).
 */
import * as js from './ebp-js';
import { EBP_WASM_BASE64 } from './ebp-wasm.generated';
import { EBP_SHARED_WASM_BASE64 } from './ebp-shared-wasm.generated';
import { compileModule, WasmHeap } from './wasm-heap';

export { REFRESH_BINARY, REFRESH_NONE, REFRESH_TERNARY, type Refresh } from './ebp-constants';

/**
 * Ternary moments on JS-heap arrays (the closed form of the update kernels' refresh), for the discrete
 * family's own refresh: all entries of a range, or the entries at listed columns.
 */
export const jsTernaryMoments = { range: js.ternaryMoments, at: js.ternaryMomentsAt } as const;

export type EbpKernels = {
  readonly name: 'js' | 'wasm';
  moments: typeof js.moments;
  ternaryMoments: typeof js.ternaryMoments;
  inputSparse: typeof js.inputSparse;
  denseLayer: typeof js.denseLayer;
  signDense: typeof js.signDense;
  signSparse: typeof js.signSparse;
  backwardHidden: typeof js.backwardHidden;
  updateDense: typeof js.updateDense;
  updateSparse: typeof js.updateSparse;
};

export const jsKernels: EbpKernels = {
  name: 'js',
  moments: js.moments,
  ternaryMoments: js.ternaryMoments,
  inputSparse: js.inputSparse,
  denseLayer: js.denseLayer,
  signDense: js.signDense,
  signSparse: js.signSparse,
  backwardHidden: js.backwardHidden,
  updateDense: js.updateDense,
  updateSparse: js.updateSparse,
};

type P = number;
/**
 * The C exports. Row kernels take the output units [k0, k1) they compute; backward_hidden the input units
 * [j0, j1); a unit's result does not depend on the range it was computed in (wasm/ebp_kernels.c).
 */
export interface EbpWasmExports extends WebAssembly.Exports {
  moments(h: P, mean: P, v: P, map: P, n: number): void;
  ternary_moments(h: P, mean: P, v: P, map: P, n: number, prior: P): void;
  input_sparse(mean: P, wvar: P, b: P, K: number, Kout: number, nzStart: P, nzIdx: P, nzVal: P, nzVal2: P, B: number, ubar: P, sigma2: P, c: number, k1: number, k0: number, kEnd: number): void;
  dense_layer(mean: P, wvar: P, b: P, K: number, Kout: number, mu: P, second: P, hidden: number, B: number, ubar: P, sigma2: P, c: number, k1: number, k0: number, kEnd: number): void;
  sign_dense(w: P, b: P, K: number, Kout: number, x: P, B: number, out: P, last: number, k0: number, kEnd: number): void;
  sign_sparse(w: P, b: P, K: number, Kout: number, nzStart: P, nzIdx: P, nzVal: P, B: number, out: P, last: number, k0: number, kEnd: number): void;
  backward_hidden(mean: P, K: number, Kout: number, delta: P, dmu: P, below: P, B: number, c: number, j0: number, j1: number): void;
  update_dense(h: P, mean: P, v: P, map: P, K: number, Kout: number, delta: P, muIn: P, B: number, c: number, scale: number, refresh: number, prior: P, k0: number, kEnd: number): void;
  update_sparse(h: P, mean: P, v: P, map: P, K: number, Kout: number, delta: P, nzStart: P, nzIdx: P, nzVal: P, B: number, uni: P, count: number, c: number, scale: number, refresh: number, prior: P, k0: number, kEnd: number): void;
}

export type EbpHeap = WasmHeap<EbpWasmExports>;

/** A heap for the EBP kernels with `bytes` of room, or null when WebAssembly is unavailable or disabled. */
export function createEbpHeap(bytes: number): EbpHeap | null {
  return WasmHeap.create<EbpWasmExports>(compileModule('ebp', EBP_WASM_BASE64), bytes);
}

/** The EBP kernels built for a shared memory (null where WebAssembly threads or SIMD are unavailable). */
export function sharedEbpModule(): WebAssembly.Module | null {
  return compileModule('ebp-shared', EBP_SHARED_WASM_BASE64);
}

/**
 * A heap for the EBP kernels on a shared WebAssembly memory (threaded training: other threads instantiate
 * {@link sharedEbpModule} on the same memory), or null where shared memory is unavailable or WebAssembly disabled.
 */
export function createSharedEbpHeap(bytes: number): EbpHeap | null {
  return WasmHeap.createShared<EbpWasmExports>(sharedEbpModule(), bytes);
}

/** The WebAssembly kernel set bound to `heap`. */
export function wasmKernels(heap: EbpHeap): EbpKernels {
  const x = heap.exports;
  const o = (a: ArrayBufferView) => a.byteOffset;
  return {
    name: 'wasm',
    moments: (h, mean, v, map, off, n) => x.moments(o(h) + off * 8, o(mean) + off * 8, o(v) + off * 8, o(map) + off * 8, n),
    ternaryMoments: (h, mean, v, map, off, n, t) =>
      x.ternary_moments(o(h) + off * 8, o(mean) + off * 8, o(v) + off * 8, o(map) + off * 8, n, o(t)),
    inputSparse: (mean, wvar, b, K, Kout, nzStart, nzIdx, nzVal, nzVal2, B, ubar, sigma2, c, k1) =>
      x.input_sparse(o(mean), o(wvar), o(b), K, Kout, o(nzStart), o(nzIdx), o(nzVal), o(nzVal2), B, o(ubar), o(sigma2), c, k1, 0, Kout),
    denseLayer: (mean, wvar, b, K, Kout, mu, second, hidden, B, ubar, sigma2, c, k1) =>
      x.dense_layer(o(mean), o(wvar), o(b), K, Kout, o(mu), o(second), hidden ? 1 : 0, B, o(ubar), o(sigma2), c, k1, 0, Kout),
    signDense: (w, b, K, Kout, xx, B, out, last) => x.sign_dense(o(w), o(b), K, Kout, o(xx), B, o(out), last ? 1 : 0, 0, Kout),
    signSparse: (w, b, K, Kout, nzStart, nzIdx, nzVal, B, out, last) =>
      x.sign_sparse(o(w), o(b), K, Kout, o(nzStart), o(nzIdx), o(nzVal), B, o(out), last ? 1 : 0, 0, Kout),
    backwardHidden: (mean, K, Kout, delta, dmu, below, B, c) => x.backward_hidden(o(mean), K, Kout, o(delta), o(dmu), o(below), B, c, 0, K),
    // The WebAssembly update keeps its column sums in registers: the scratch row g is the JS twin's.
    updateDense: (h, mean, v, map, K, Kout, delta, muIn, B, _g, c, scale, refresh, t) =>
      x.update_dense(o(h), o(mean), o(v), o(map), K, Kout, o(delta), o(muIn), B, c, scale, refresh, o(t), 0, Kout),
    updateSparse: (h, mean, v, map, K, Kout, delta, nzStart, nzIdx, nzVal, B, uni, count, c, scale, refresh, t) =>
      x.update_sparse(o(h), o(mean), o(v), o(map), K, Kout, o(delta), o(nzStart), o(nzIdx), o(nzVal), B, o(uni), count, c, scale, refresh, o(t), 0, Kout),
  };
}
