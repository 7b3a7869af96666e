/**
 * The WebAssembly packed-network engine: wasm/xnor_kernels.c (i64.popcnt on 64-bit words) bound to one
 * network's heap. The heap holds the weights, pre-packed in panels of 4 rows interleaved 64 bits at a
 * time (ternary layers: the 4 rows' sign words, then their non-zero masks), and a workspace for
 * `chunkRows` input rows; it never grows, so views stay valid.
 */
import { XNOR_WASM_BASE64 } from './xnor-wasm.generated';
import { compileModule, heapBytes, WasmHeap } from './wasm-heap';
import { LUT_MIN_ROWS, chunkRowsFor, panelGeometry, type PlanInput, type XnorEngine, type XnorPlan } from './xnor-plan';

type P = number;
interface XnorWasmExports extends WebAssembly.Exports {
  first_nonfinite(x: P, n: number): number;
  pack_binarize(x: P, B: number, K: number, thr: P, out: P, KW: number): void;
  pack_planes(x: P, B: number, K: number, scale: number, offset: number, bits: number, planes: P, KW: number, qsum: P, nz: P): void;
  xnor_sign(x: P, B: number, KW: number, wp: P, Pn: number, cut: P, flip: P, out: P, KWout: number, tile: number): void;
  xnor_scores(x: P, B: number, KW: number, K: number, wp: P, N: number, scale: P, bias: P, out: P): void;
  planes_pre(planes: P, qsum: P, nz: P, B: number, KW: number, bits: number, wp: P, N: number, scale: number, rowc: P, pre: P): void;
  real_pre(x: P, B: number, K: number, wp: P, N: number, KW: number, table: P, list: P, pre: P): void;
  sign_pack(pre: P, B: number, N: number, thr: P, flip: P, out: P, KWout: number): void;
  tern_sign(x: P, B: number, KW: number, wp: P, Pn: number, cut: P, flip: P, out: P, KWout: number, tile: number): void;
  tern_scores(x: P, B: number, KW: number, nnz: P, wp: P, N: number, scale: P, bias: P, out: P): void;
  tern_planes_pre(planes: P, nz: P, B: number, KW: number, bits: number, wp: P, N: number, scale: number, rowc: P, pre: P): void;
  tern_real_pre(x: P, B: number, K: number, wp: P, N: number, KW: number, table: P, list: P, pre: P): void;
}

/** The compiled module, or null when WebAssembly is unavailable (or EBP_BNN_WASM=0 / setWasmEnabled(false)). */
export function xnorWasmModule(): WebAssembly.Module | null {
  return compileModule('xnor', XNOR_WASM_BASE64);
}

interface WasmLayer {
  K: number;
  N: number;
  KW: number;
  P: number;
  /** Ternary: panels of 8 64-bit words per input word (sign bits, then non-zero masks) and `nnz`. */
  tern: boolean;
  nnz: Int32Array;
  panels: Int32Array;
  cut: Int32Array;
  flip: Int32Array;
  thr: Float64Array;
  /** Output layer: scores = pre·scale + bias (scale 1 when the plan has none). */
  scale: Float64Array;
  bias: Float64Array;
  rowc: Float64Array;
  tile: number;
}

/**
 * Canonical 32-bit rows → 64-bit words (pairs of 32-bit halves, little-endian) in panels: 64-bit word w of
 * row 4p + r at 64-bit index (p·KW + w)·per + at + r (binary panels: per 4, at 0; ternary: per 8, the sign
 * words at 0 and the non-zero masks at 4).
 */
function interleave64(words: Int32Array, K: number, N: number, out: Int32Array, per: number, at: number): void {
  const KW32 = (K + 31) >>> 5;
  const KW = (K + 63) >>> 6;
  for (let k = 0; k < N; k++) {
    const base = (k >>> 2) * KW * per + at + (k & 3);
    for (let w = 0; w < KW; w++) {
      const o = 2 * (base + w * per);
      out[o] = words[k * KW32 + 2 * w];
      out[o + 1] = 2 * w + 1 < KW32 ? words[k * KW32 + 2 * w + 1] : 0;
    }
  }
}

export class WasmXnorEngine implements XnorEngine {
  readonly name = 'wasm' as const;
  readonly chunkRows: number;
  private readonly heap: WasmHeap<XnorWasmExports>;
  private readonly input: PlanInput;
  private readonly layers: WasmLayer[];
  private readonly x: Float64Array;
  private readonly bitsA: Int32Array;
  private readonly bitsB: Int32Array;
  private readonly planes: Int32Array;
  private readonly qsum: Float64Array;
  private readonly pre: Float64Array;
  private readonly table: Float64Array;
  private readonly nz: Int32Array;
  private readonly list: Int32Array;
  private readonly out: Float64Array;
  private readonly binThr: Float64Array;

  private constructor(heap: WasmHeap<XnorWasmExports>, plan: XnorPlan) {
    this.heap = heap;
    this.input = plan.input;
    const K0 = plan.layers[0].K;
    const CH = chunkRowsFor(K0);
    this.chunkRows = CH;
    this.layers = plan.layers.map((L, l) => {
      const { KW, P: Pn, tern, cuts: c, tile } = panelGeometry(plan, l, 64);
      const panels = heap.i32(Pn * KW * (tern ? 16 : 8));
      interleave64(L.words, L.K, L.N, panels, tern ? 8 : 4, 0);
      if (L.nz) interleave64(L.nz, L.K, L.N, panels, 8, 4);
      const nnz = heap.i32(tern ? L.N : 0);
      if (tern) nnz.set(c.counts);
      const cut = heap.i32(Pn * 4);
      cut.set(c.cut);
      const flip = heap.i32(Pn * 4);
      flip.set(c.flip);
      const thr = heap.f64(L.N);
      thr.set(L.thr);
      const scale = heap.f64(L.N);
      if (L.scale) scale.set(L.scale);
      else scale.fill(1);
      const bias = heap.f64(L.N);
      bias.set(L.bias);
      const rowc = heap.f64(L.N);
      rowc.set(c.rowc);
      return { K: L.K, N: L.N, KW, P: Pn, tern, nnz, panels, cut, flip, thr, scale, bias, rowc, tile };
    });
    const s = WasmXnorEngine.workspaceSizes(plan);
    this.x = heap.f64(s.x);
    this.bitsA = heap.i32(s.bits);
    this.bitsB = heap.i32(s.bits);
    this.planes = heap.i32(s.planes);
    this.qsum = heap.f64(s.qsum);
    this.pre = heap.f64(s.pre);
    this.table = heap.f64(s.table);
    this.nz = heap.i32(s.nz);
    this.list = heap.i32(s.list);
    this.out = heap.f64(s.out);
    this.binThr = heap.f64(plan.input.kind === 'binarize' ? K0 : 0);
    if (plan.input.kind === 'binarize') this.binThr.set(plan.input.threshold);
  }

  private static workspaceSizes(plan: XnorPlan) {
    const L0 = plan.layers[0];
    const K0 = L0.K;
    const CH = chunkRowsFor(K0);
    let maxKW = 1;
    for (const L of plan.layers) maxKW = Math.max(maxKW, (L.K + 63) >>> 6, (L.N + 63) >>> 6);
    const kind = plan.input.kind;
    const KW0 = (K0 + 63) >>> 6;
    return {
      x: CH * K0,
      bits: CH * maxKW * 2,
      planes: plan.input.kind === 'bitplanes' ? CH * plan.input.bits * KW0 * 2 : 0,
      qsum: kind === 'bitplanes' ? CH : 0,
      pre: kind === 'binarize' ? 0 : CH * L0.N,
      table: kind === 'real' && L0.N >= LUT_MIN_ROWS ? 256 * ((K0 + 7) >>> 3) : 0,
      out: CH * plan.layers[plan.layers.length - 1].N,
      nz: kind === 'bitplanes' ? CH * (KW0 + 1) : 0,
      list: kind === 'real' ? K0 : 0,
    };
  }

  /** The engine for a plan, or null when WebAssembly is unavailable, disabled, or the heap would be too large. */
  static create(plan: XnorPlan): WasmXnorEngine | null {
    const mod = xnorWasmModule();
    if (mod === null) return null;
    const f64: number[] = [];
    const i32: number[] = [];
    plan.layers.forEach((L) => {
      const KW = (L.K + 63) >>> 6;
      const Pn = (L.N + 3) >>> 2;
      i32.push(Pn * KW * (L.nz ? 16 : 8), L.nz ? L.N : 0, Pn * 4, Pn * 4);
      f64.push(L.N, L.N, L.N, L.N);
    });
    const s = WasmXnorEngine.workspaceSizes(plan);
    f64.push(s.x, s.qsum, s.pre, s.table, s.out, plan.layers[0].K);
    i32.push(s.bits, s.bits, s.planes, s.nz, s.list);
    const heap = WasmHeap.create<XnorWasmExports>(mod, heapBytes(f64, i32));
    return heap === null ? null : new WasmXnorEngine(heap, plan);
  }

  forward(X: Float64Array, xo: number, B: number, out: Float64Array, oo: number): number {
    const e = this.heap.exports;
    const o = (a: ArrayBufferView) => a.byteOffset;
    const layers = this.layers;
    const L0 = layers[0];
    const last = layers.length - 1;
    const KL = layers[last].N;
    this.x.set(X.subarray(xo, xo + B * L0.K));
    const bad = e.first_nonfinite(o(this.x), B * L0.K);
    if (bad >= 0) return bad;
    let cur = this.bitsA;
    let next = this.bitsB;
    const inp = this.input;
    let start = 0;
    if (inp.kind === 'binarize') {
      e.pack_binarize(o(this.x), B, L0.K, o(this.binThr), o(cur), L0.KW);
    } else {
      if (inp.kind === 'bitplanes') {
        e.pack_planes(o(this.x), B, L0.K, inp.scale, inp.offset, inp.bits, o(this.planes), L0.KW, o(this.qsum), o(this.nz));
        if (L0.tern) e.tern_planes_pre(o(this.planes), o(this.nz), B, L0.KW, inp.bits, o(L0.panels), L0.N, inp.scale, o(L0.rowc), o(this.pre));
        else e.planes_pre(o(this.planes), o(this.qsum), o(this.nz), B, L0.KW, inp.bits, o(L0.panels), L0.N, inp.scale, o(L0.rowc), o(this.pre));
      } else if (L0.tern) {
        e.tern_real_pre(o(this.x), B, L0.K, o(L0.panels), L0.N, L0.KW, o(this.table), o(this.list), o(this.pre));
      } else {
        e.real_pre(o(this.x), B, L0.K, o(L0.panels), L0.N, L0.KW, o(this.table), o(this.list), o(this.pre));
      }
      if (last === 0) {
        const pre = this.pre;
        const { scale, bias } = L0;
        for (let n = 0; n < B; n++) for (let k = 0; k < KL; k++) out[oo + n * KL + k] = pre[n * KL + k] * scale[k] + bias[k];
        return -1;
      }
      e.sign_pack(o(this.pre), B, L0.N, o(L0.thr), o(L0.flip), o(cur), (L0.N + 63) >>> 6);
      start = 1;
    }
    for (let l = start; l < last; l++) {
      const L = layers[l];
      if (L.tern) e.tern_sign(o(cur), B, L.KW, o(L.panels), L.P, o(L.cut), o(L.flip), o(next), (L.N + 63) >>> 6, L.tile);
      else e.xnor_sign(o(cur), B, L.KW, o(L.panels), L.P, o(L.cut), o(L.flip), o(next), (L.N + 63) >>> 6, L.tile);
      const t = cur;
      cur = next;
      next = t;
    }
    const L = layers[last];
    if (L.tern) e.tern_scores(o(cur), B, L.KW, o(L.nnz), o(L.panels), L.N, o(L.scale), o(L.bias), o(this.out));
    else e.xnor_scores(o(cur), B, L.KW, L.K, o(L.panels), L.N, o(L.scale), o(L.bias), o(this.out));
    out.set(this.out.subarray(0, B * KL), oo);
    return -1;
  }

}
