/**
 * One thread's share of a threaded EBP step (docs/threads.md): the phases of spec §3–§6 over a range of
 * units, on a posterior store and workspace that live in one shared WebAssembly memory. The calling thread
 * and every worker run {@link runPart} on the same arrays (views built from one {@link TeamLayout}), each on
 * its own units:
 *
 * - forward (§3) and the EBP-D sign pass (§8) of layer l: output units k of layer l;
 * - backward (§5) into layer l−1: input units j of layer l (the sum over k of one j stays in one thread);
 * - update (§6) of every layer: output units k (its row of h, ⟨W⟩, Var W, the MAP weights, its bias).
 *
 * A unit's numbers are computed by the loop the one-thread kernels run, in the same order, and no sum over
 * units is split between threads, so the bytes do not depend on the thread count. The ranges are whole blocks
 * of {@link UNIT_BLOCK} units (block boundaries fixed by the layer width alone).
 */
import { REFRESH_NONE, type EbpWasmExports } from '../kernels/ebp';
import { activate } from './forward';
import type { PosteriorStore } from './posterior';
import type { LayerBuffers, Workspace } from './workspace';

/** Units per block: a thread's range is a run of whole blocks (8 doubles: one cache line per row). */
export const UNIT_BLOCK = 8;

/** The phases a team runs; STOP ends the workers. */
export const PHASE = { forward: 1, sign: 2, backward: 3, update: 4, stop: 99 } as const;

/** Flag bits of a task. */
export const FLAG_SPARSE = 1;
export const FLAG_DERIVATIVE = 2;

/** A typed array in the shared memory: byte offset and element count. */
type Span = readonly [offset: number, length: number];

const BUFFER_NAMES = ['ubar', 'sigma2', 'muOut', 'nuOut', 'pPlus', 'dmu', 'delta', 'signOut'] as const;

/** Where a store's arrays and its workspace's are in the shared memory: plain numbers, sent to every worker once. */
export interface TeamLayout {
  sizes: number[];
  refresh: number;
  /** Gaussian weights: the increments of the mean are scaled by s2 (spec §6.3); 1 otherwise. */
  scale: number;
  prior: Span;
  layers: { h: Span; b: Span; mean: Span; variance: Span; map: Span }[];
  ws: { x: Span; x2: Span; nzStart: Span; nzIdx: Span; nzVal: Span; nzVal2: Span; union: Span; layers: Record<(typeof BUFFER_NAMES)[number], Span>[] };
}

/** One thread's views of a {@link TeamLayout} and its instance of the shared kernels. */
export interface TeamContext {
  kernels: EbpWasmExports;
  sizes: number[];
  refresh: number;
  scale: number;
  prior: Float64Array;
  layers: { h: Float64Array; b: Float64Array; mean: Float64Array; variance: Float64Array; map: Float64Array }[];
  ws: { x: Float64Array; x2: Float64Array; nzStart: Int32Array; nzIdx: Int32Array; nzVal: Float64Array; nzVal2: Float64Array; union: Int32Array; layers: LayerBuffers[] };
}

const span = (a: Float64Array | Int32Array): Span => [a.byteOffset, a.length];

/** The layout of a store on a shared heap and its workspace (the store's own). */
export function teamLayout(store: PosteriorStore, ws: Workspace): TeamLayout {
  return {
    sizes: store.sizes.slice(),
    refresh: store.refreshKind,
    scale: store.weights === 'gaussian' ? store.weightVariance : 1,
    prior: span(store.ternaryPrior),
    layers: store.layers.map((L) => ({ h: span(L.h), b: span(L.b), mean: span(L.mean), variance: span(L.variance), map: span(L.map) })),
    ws: {
      x: span(ws.x),
      x2: span(ws.x2),
      nzStart: span(ws.nzStart),
      nzIdx: span(ws.nzIdx),
      nzVal: span(ws.nzVal),
      nzVal2: span(ws.nzVal2),
      union: span(ws.union),
      layers: ws.layers.map((buf) => Object.fromEntries(BUFFER_NAMES.map((n) => [n, span(buf[n])])) as TeamLayout['ws']['layers'][number]),
    },
  };
}

/** Views of `layout` on `buffer` (the shared memory's), run by `kernels` (an instance of the shared module on it). */
export function teamContext(layout: TeamLayout, buffer: ArrayBufferLike, kernels: EbpWasmExports): TeamContext {
  const f = ([o, n]: Span) => new Float64Array(buffer, o, n);
  const i = ([o, n]: Span) => new Int32Array(buffer, o, n);
  const w = layout.ws;
  return {
    kernels,
    sizes: layout.sizes,
    refresh: layout.refresh,
    scale: layout.scale,
    prior: f(layout.prior),
    layers: layout.layers.map((L) => ({ h: f(L.h), b: f(L.b), mean: f(L.mean), variance: f(L.variance), map: f(L.map) })),
    ws: {
      x: f(w.x),
      x2: f(w.x2),
      nzStart: i(w.nzStart),
      nzIdx: i(w.nzIdx),
      nzVal: f(w.nzVal),
      nzVal2: f(w.nzVal2),
      union: i(w.union),
      layers: w.layers.map((b) => Object.fromEntries(BUFFER_NAMES.map((n) => [n, f(b[n])])) as unknown as LayerBuffers),
    },
  };
}

/** Units [start, end) of part `part` of `parts` over `units` units: whole blocks of UNIT_BLOCK, contiguous, in order. */
export function unitRange(units: number, part: number, parts: number): [number, number] {
  const blocks = Math.ceil(units / UNIT_BLOCK);
  const b0 = Math.floor((blocks * part) / parts);
  const b1 = Math.floor((blocks * (part + 1)) / parts);
  return [Math.min(units, b0 * UNIT_BLOCK), Math.min(units, b1 * UNIT_BLOCK)];
}

/** A task of the team: the phase, its layer, the rows of the batch, flags, and (update) the union's size. */
export interface Task {
  phase: number;
  layer: number;
  rows: number;
  flags: number;
  count: number;
}

/** Run part `part` of `parts` of `task` on this thread's views. */
export function runPart(ctx: TeamContext, task: Task, part: number, parts: number): void {
  const { phase, layer: l, rows: B, flags } = task;
  const sparse = (flags & FLAG_SPARSE) !== 0;
  const { kernels: x, ws } = ctx;
  const o = (a: ArrayBufferView) => a.byteOffset;
  const L = ctx.layers.length;
  if (phase === PHASE.update) {
    for (let m = 0; m < L; m++) updateLayer(ctx, m, B, sparse && m === 0, task.count, part, parts);
    return;
  }
  const K = ctx.sizes[l];
  const Kout = ctx.sizes[l + 1];
  const W = ctx.layers[l];
  const buf = ws.layers[l];
  if (phase === PHASE.backward) {
    // δ_{l−1} (§5) for the inputs j of layer l in this part; layer l ≥ 1.
    const [j0, j1] = unitRange(K, part, parts);
    if (j0 < j1) x.backward_hidden(o(W.mean), K, Kout, o(buf.delta), o(ws.layers[l - 1].dmu), o(ws.layers[l - 1].delta), B, Math.sqrt(K + 1), j0, j1);
    return;
  }
  const [k0, k1] = unitRange(Kout, part, parts);
  if (k0 >= k1) return;
  if (phase === PHASE.forward) {
    const c = Math.sqrt(K + 1);
    if (l === 0 && sparse) {
      x.input_sparse(o(W.mean), o(W.variance), o(W.b), K, Kout, o(ws.nzStart), o(ws.nzIdx), o(ws.nzVal), o(ws.nzVal2), B, o(buf.ubar), o(buf.sigma2), c, K + 1, k0, k1);
    } else if (l === 0) {
      x.dense_layer(o(W.mean), o(W.variance), o(W.b), K, Kout, o(ws.x), o(ws.x2), 0, B, o(buf.ubar), o(buf.sigma2), c, K + 1, k0, k1);
    } else {
      const prev = ws.layers[l - 1];
      x.dense_layer(o(W.mean), o(W.variance), o(W.b), K, Kout, o(prev.muOut), o(prev.nuOut), 1, B, o(buf.ubar), o(buf.sigma2), c, K + 1, k0, k1);
    }
    const derivative = (flags & FLAG_DERIVATIVE) !== 0 && l < L - 1;
    for (let n = 0; n < B; n++) activate(buf, n * Kout + k0, n * Kout + k1, derivative);
  } else if (phase === PHASE.sign) {
    const last = l === L - 1 ? 1 : 0;
    if (l === 0 && sparse) x.sign_sparse(o(W.map), o(W.b), K, Kout, o(ws.nzStart), o(ws.nzIdx), o(ws.nzVal), B, o(buf.signOut), last, k0, k1);
    else x.sign_dense(o(W.map), o(W.b), K, Kout, o(l === 0 ? ws.x : ws.layers[l - 1].signOut), B, o(buf.signOut), last, k0, k1);
  } else {
    throw new Error(`EBP team: unknown phase ${phase}.`);
  }
}

/** §6 for the output units of layer m in this part: the bias, then the row of h and its moments (as update.ts). */
function updateLayer(ctx: TeamContext, m: number, B: number, sparse: boolean, count: number, part: number, parts: number): void {
  const K = ctx.sizes[m];
  const Kout = ctx.sizes[m + 1];
  const [k0, k1] = unitRange(Kout, part, parts);
  if (k0 >= k1) return;
  const { kernels: x, ws } = ctx;
  const o = (a: ArrayBufferView) => a.byteOffset;
  const W = ctx.layers[m];
  const c = Math.sqrt(K + 1);
  const d = ws.layers[m].delta;
  biasUpdate(W.b, d, B, Kout, c, k0, k1);
  if (sparse) {
    x.update_sparse(o(W.h), o(W.mean), o(W.variance), o(W.map), K, Kout, o(d), o(ws.nzStart), o(ws.nzIdx), o(ws.nzVal), B, o(ws.union), count, c, ctx.scale, ctx.refresh, o(ctx.prior), k0, k1);
  } else {
    const muIn = m === 0 ? ws.x : ws.layers[m - 1].muOut;
    x.update_dense(o(W.h), o(W.mean), o(W.variance), o(W.map), K, Kout, o(d), o(muIn), B, c, ctx.scale, ctx.refresh, o(ctx.prior), k0, k1);
  }
}

/** b_k += Σ_n δ_nk / √(K+1) for k in [k0, k1) (bias variance 1, spec §6); the one bias rule of update.ts too. */
export function biasUpdate(b: Float64Array, d: Float64Array, B: number, Kout: number, c: number, k0: number, k1: number): void {
  for (let k = k0; k < k1; k++) {
    let s = 0;
    for (let n = 0; n < B; n++) s += d[n * Kout + k];
    b[k] += s / c;
  }
}

/** Whether a store's training can run on a team: WebAssembly on shared memory, and a refresh the kernels run. */
export function teamCapable(store: PosteriorStore): boolean {
  return store.shared && (store.refreshKind !== REFRESH_NONE || store.discrete === null);
}
