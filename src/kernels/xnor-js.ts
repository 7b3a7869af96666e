/**
 * The pure TypeScript packed-network engine (works in every JS runtime): the plan compiled into 32-bit
 * weight panels and popcount cuts, and the forward pass that dispatches to the hot loops of
 * ./xnor-counts.ts (binary and ternary layers on packed inputs) and ./xnor-input.ts (the first layer on
 * real and bit-plane inputs, and the packing between layers).
 *
 * Mirrors wasm/xnor_kernels.c: integer results are the same, and the floating-point steps of the
 * real-input and bit-plane layers are the same operations in the same order. One difference in method,
 * not in result: the exact integer dot Σ w_j q_j of bit-plane inputs is computed here with the byte
 * tables of the real-input path (exact on integers), which is faster in JS than popcounts of 8 planes.
 */
import { LUT_MIN_ROWS, chunkRowsFor, panelGeometry, type PlanInput, type XnorEngine, type XnorPlan } from './xnor-plan';
import { maskedCounts4, toPanels32, toTernaryPanels32, xorCounts4 } from './xnor-counts';
import { addBias, packBinarize, quantizeRows, realPre, signPack, type FirstLayerBuffers, type PanelLayer } from './xnor-input';
import { firstNonFinite } from '../tensor/matrix';

interface JsLayer extends PanelLayer {
  /** Ternary: panels of 8 words per input word (sign bits, then non-zero masks). */
  tern: boolean;
  /** Per output: K (binary) or the number of non-zero weights (ternary); the length of its ±1 dot. */
  kc: Int32Array;
  cut: Int32Array;
  flip: Uint8Array;
  thr: Float64Array;
  /** Output layer: scores = pre·scale + bias (scale 1 when the plan has none). */
  scale: Float64Array;
  bias: Float64Array;
  rowc: Float64Array;
  tile: number;
}

/** The pure TypeScript engine for a plan. */
export class JsXnorEngine implements XnorEngine {
  readonly name = 'js' as const;
  readonly chunkRows: number;
  private readonly input: PlanInput;
  private readonly layers: JsLayer[];
  private readonly bitsA: Int32Array;
  private readonly bitsB: Int32Array;
  private readonly q: Float64Array;
  /** First-layer sums of real and bit-plane inputs. */
  private readonly buf: FirstLayerBuffers;
  private readonly cnt = new Int32Array(4);

  constructor(plan: XnorPlan) {
    this.input = plan.input;
    const K0 = plan.layers[0].K;
    const CH = chunkRowsFor(K0);
    this.chunkRows = CH;
    this.layers = plan.layers.map((L, l) => {
      const { KW, P, tern, cuts, tile } = panelGeometry(plan, l, 32);
      const panels = L.nz ? toTernaryPanels32(L.words, L.nz, L.K, L.N) : toPanels32(L.words, L.K, L.N);
      const scale = L.scale ? L.scale : new Float64Array(L.N).fill(1);
      const { counts: kc, cut, flip, rowc } = cuts;
      return { K: L.K, N: L.N, KW, P, tern, kc, panels, cut, flip, thr: L.thr, scale, bias: L.bias, rowc, tile };
    });
    let maxKW = 1;
    for (const L of this.layers) maxKW = Math.max(maxKW, L.KW, (L.N + 31) >>> 5);
    this.bitsA = new Int32Array(CH * maxKW);
    this.bitsB = new Int32Array(CH * maxKW);
    const N0 = plan.layers[0].N;
    this.q = new Float64Array(plan.input.kind === 'bitplanes' ? CH * K0 : 0);
    this.buf = {
      pre: new Float64Array(plan.input.kind === 'binarize' ? 0 : CH * N0),
      table: new Float64Array(plan.input.kind !== 'binarize' && N0 >= LUT_MIN_ROWS ? 256 * ((K0 + 7) >>> 3) : 0),
      list: new Int32Array(plan.input.kind === 'binarize' ? 0 : K0),
    };
  }

  forward(X: Float64Array, xo: number, B: number, out: Float64Array, oo: number): number {
    const layers = this.layers;
    const L0 = layers[0];
    const bad = firstNonFinite(X, xo, B * L0.K);
    if (bad >= 0) return bad;
    const last = layers.length - 1;
    let cur = this.bitsA;
    let next = this.bitsB;
    const inp = this.input;
    let start = 0;
    if (inp.kind === 'binarize') {
      packBinarize(X, xo, B, L0.K, inp.threshold, cur, L0.KW);
    } else {
      if (inp.kind === 'bitplanes') {
        // The exact integer Σ_j w_j q_j, here with the byte tables of the real-input path (all entries and
        // sums are integers below 2^53, so exact): faster in JS than popcounts of 8 planes, and equal to the
        // WebAssembly bit-plane result, so the scale·dot + offset·Σw that follows is the same operation.
        quantizeRows(X, xo, B, L0.K, inp.scale, inp.offset, inp.bits, this.q);
        realPre(this.q, 0, L0, B, this.buf, L0.tern);
        const pre = this.buf.pre;
        const { N, rowc } = L0;
        for (let n = 0; n < B; n++) for (let k = 0; k < N; k++) pre[n * N + k] = inp.scale * pre[n * N + k] + rowc[k];
      } else {
        realPre(X, xo, L0, B, this.buf, L0.tern);
      }
      if (last === 0) {
        addBias(this.buf.pre, B, L0.N, L0.scale, L0.bias, out, oo);
        return -1;
      }
      signPack(this.buf.pre, B, L0.N, L0.thr, L0.flip, cur, (L0.N + 31) >>> 5);
      start = 1;
    }
    for (let l = start; l < last; l++) {
      this.xnorSign(layers[l], cur, B, next);
      const t = cur;
      cur = next;
      next = t;
    }
    this.xnorScores(layers[last], cur, B, out, oo);
    return -1;
  }

  private xnorSign(L: JsLayer, x: Int32Array, B: number, out: Int32Array): void {
    const { KW, P, panels, cut, flip, tile, tern } = L;
    const KWout = (L.N + 31) >>> 5;
    const cnt = this.cnt;
    const stride = tern ? KW * 8 : KW * 4;
    for (let p0 = 0; p0 < P; p0 += tile) {
      const p1 = p0 + tile < P ? p0 + tile : P;
      for (let n = 0; n < B; n++) {
        const xo = n * KW;
        let word = 0;
        for (let p = p0; p < p1; p++) {
          if (tern) maskedCounts4(x, xo, panels, p * stride, KW, cnt);
          else xorCounts4(x, xo, panels, p * stride, KW, cnt);
          const c = 4 * p;
          const bits =
            (+(cnt[0] > cut[c]) ^ flip[c]) |
            ((+(cnt[1] > cut[c + 1]) ^ flip[c + 1]) << 1) |
            ((+(cnt[2] > cut[c + 2]) ^ flip[c + 2]) << 2) |
            ((+(cnt[3] > cut[c + 3]) ^ flip[c + 3]) << 3);
          word |= bits << (4 * (p & 7));
          if ((p & 7) === 7 || p === P - 1) {
            out[n * KWout + (p >>> 3)] = word;
            word = 0;
          }
        }
      }
    }
  }

  private xnorScores(L: JsLayer, x: Int32Array, B: number, out: Float64Array, oo: number): void {
    const { KW, P, panels, scale, bias, N, kc, tern } = L;
    const cnt = this.cnt;
    const stride = tern ? KW * 8 : KW * 4;
    for (let n = 0; n < B; n++) {
      for (let p = 0; p < P; p++) {
        if (tern) maskedCounts4(x, n * KW, panels, p * stride, KW, cnt);
        else xorCounts4(x, n * KW, panels, p * stride, KW, cnt);
        for (let r = 0; r < 4; r++) {
          const k = 4 * p + r;
          if (k < N) out[oo + n * N + k] = (kc[k] - 2 * cnt[r]) * scale[k] + bias[k];
        }
      }
    }
  }
}
