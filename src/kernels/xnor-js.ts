/**
 * The pure TypeScript packed-network engine (works in every JS runtime). 32-bit words; weights in
 * panels of 4 rows interleaved one word at a time (word k of row 4p + r at wp[(p·KW + k)·4 + r]); four
 * output rows per pass over the input row; panels tiled across the batch. Popcount: SWAR with the
 * reduction deferred (a carry-save adder over 3 words, nibble counts, then byte counts over up to 30
 * words), which measured faster in V8 than a 16-bit lookup table, a full SWAR popcount per word,
 * Harley–Seal over 8 words, or two samples per pass.
 *
 * Ternary layers (sign words and non-zero masks in panels of 8 words per input word) have their own
 * counts (maskedCounts4) and first-layer sums (realPreTernary).
 *
 * Mirrors wasm/xnor_kernels.c: integer results are the same, and the floating-point steps of the
 * real-input and bit-plane layers are the same operations in the same order. One difference in method,
 * not in result: the exact integer dot Σ w_j q_j of bit-plane inputs is computed here with the byte
 * tables of the real-input path (exact on integers), which is faster in JS than popcounts of 8 planes.
 */
import {
  LUT_MIN_ROWS, chunkRowsFor, panelTile, planRowSums, popcountCut, ternaryRowCounts, type PlanInput, type XnorEngine, type XnorPlan,
} from './xnor-plan';
import { firstNonFinite } from '../tensor/matrix';

const M1 = 0x55555555;
const M2 = 0x33333333;
const M4 = 0x0f0f0f0f;

function nib(v: number): number {
  v = v - ((v >>> 1) & M1);
  return (v & M2) + ((v >>> 2) & M2);
}

/*
 * The hot loops call no Math.* builtins: under test runners that run code in a separate VM context
 * (jest) a call to a builtin of the outer context is not inlined and costs ~100× more.
 */

/** SWAR popcount with shifts only (see above). */
function popcount32(v: number): number {
  v = v - ((v >>> 1) & M1);
  v = (v & M2) + ((v >>> 2) & M2);
  v = (v + (v >>> 4)) & M4;
  v = v + (v >>> 8);
  return (v + (v >>> 16)) & 63;
}

/** Index of the lowest set bit of 1..255. */
const CTZ8 = (() => {
  const t = new Uint8Array(256);
  for (let m = 1; m < 256; m++) {
    let c = 0;
    while (((m >>> c) & 1) === 0) c++;
    t[m] = c;
  }
  return t;
})();

function byteSum(c: number): number {
  c = (c & 0x00ff00ff) + ((c >>> 8) & 0x00ff00ff);
  return (c & 0xffff) + (c >>> 16);
}

/**
 * cnt[r] = Σ_k popcount(X[xo + k] ⊕ W[wo + 4k + r]) for the 4 rows of a panel. Three words at a time go
 * through a carry-save adder (a + b + c = 2·hi + lo bitwise), whose two outputs are counted per nibble
 * (2·nib(hi) + nib(lo) ≤ 12) and folded into byte counters, flushed every 30 words.
 */
export function xorCounts4(X: Int32Array, xo: number, W: Int32Array, wo: number, KW: number, cnt: Int32Array): void {
  let r0 = 0;
  let r1 = 0;
  let r2 = 0;
  let r3 = 0;
  let k = 0;
  const full = KW - (KW % 3);
  while (k < full) {
    const lim = k + 30 < full ? k + 30 : full;
    let c0 = 0;
    let c1 = 0;
    let c2 = 0;
    let c3 = 0;
    for (; k < lim; k += 3, wo += 12) {
      const x0 = X[xo + k];
      const x1 = X[xo + k + 1];
      const x2 = X[xo + k + 2];
      let a = x0 ^ W[wo];
      let b = x1 ^ W[wo + 4];
      let c = x2 ^ W[wo + 8];
      let u = a ^ b;
      let s = ((nib((a & b) | (u & c)) << 1) + nib(u ^ c)) | 0;
      c0 = (c0 + (s & M4) + ((s >>> 4) & M4)) | 0;
      a = x0 ^ W[wo + 1];
      b = x1 ^ W[wo + 5];
      c = x2 ^ W[wo + 9];
      u = a ^ b;
      s = ((nib((a & b) | (u & c)) << 1) + nib(u ^ c)) | 0;
      c1 = (c1 + (s & M4) + ((s >>> 4) & M4)) | 0;
      a = x0 ^ W[wo + 2];
      b = x1 ^ W[wo + 6];
      c = x2 ^ W[wo + 10];
      u = a ^ b;
      s = ((nib((a & b) | (u & c)) << 1) + nib(u ^ c)) | 0;
      c2 = (c2 + (s & M4) + ((s >>> 4) & M4)) | 0;
      a = x0 ^ W[wo + 3];
      b = x1 ^ W[wo + 7];
      c = x2 ^ W[wo + 11];
      u = a ^ b;
      s = ((nib((a & b) | (u & c)) << 1) + nib(u ^ c)) | 0;
      c3 = (c3 + (s & M4) + ((s >>> 4) & M4)) | 0;
    }
    r0 += byteSum(c0);
    r1 += byteSum(c1);
    r2 += byteSum(c2);
    r3 += byteSum(c3);
  }
  for (; k < KW; k++, wo += 4) {
    const x = X[xo + k];
    r0 += popcount32(x ^ W[wo]);
    r1 += popcount32(x ^ W[wo + 1]);
    r2 += popcount32(x ^ W[wo + 2]);
    r3 += popcount32(x ^ W[wo + 3]);
  }
  cnt[0] = r0;
  cnt[1] = r1;
  cnt[2] = r2;
  cnt[3] = r3;
}

/** Canonical rows (⌈K/32⌉ words each) → panels of 4 rows interleaved per word; missing rows are zero. */
export function toPanels32(words: Int32Array, K: number, N: number): Int32Array {
  const KW = (K + 31) >>> 5;
  const P = (N + 3) >>> 2;
  const out = new Int32Array(P * KW * 4);
  for (let k = 0; k < N; k++) {
    const p = k >>> 2;
    const r = k & 3;
    for (let w = 0; w < KW; w++) out[(p * KW + w) * 4 + r] = words[k * KW + w];
  }
  return out;
}

/**
 * Ternary rows (see ternaryRowCounts in ./xnor-plan.ts): cnt[r] = Σ_k popcount((X[xo + k] ⊕ S) ∧ NZ) for
 * the 4 rows of a ternary panel, whose word k holds S (sign bits = −1 mask) of rows 0..3 at
 * W[wo + 8k + r] and NZ (non-zero mask) at W[wo + 8k + 4 + r]. The same carry-save adder as xorCounts4.
 */
export function maskedCounts4(X: Int32Array, xo: number, W: Int32Array, wo: number, KW: number, cnt: Int32Array): void {
  let r0 = 0;
  let r1 = 0;
  let r2 = 0;
  let r3 = 0;
  let k = 0;
  const full = KW - (KW % 3);
  while (k < full) {
    const lim = k + 30 < full ? k + 30 : full;
    let c0 = 0;
    let c1 = 0;
    let c2 = 0;
    let c3 = 0;
    for (; k < lim; k += 3, wo += 24) {
      const x0 = X[xo + k];
      const x1 = X[xo + k + 1];
      const x2 = X[xo + k + 2];
      let a = (x0 ^ W[wo]) & W[wo + 4];
      let b = (x1 ^ W[wo + 8]) & W[wo + 12];
      let c = (x2 ^ W[wo + 16]) & W[wo + 20];
      let u = a ^ b;
      let s = ((nib((a & b) | (u & c)) << 1) + nib(u ^ c)) | 0;
      c0 = (c0 + (s & M4) + ((s >>> 4) & M4)) | 0;
      a = (x0 ^ W[wo + 1]) & W[wo + 5];
      b = (x1 ^ W[wo + 9]) & W[wo + 13];
      c = (x2 ^ W[wo + 17]) & W[wo + 21];
      u = a ^ b;
      s = ((nib((a & b) | (u & c)) << 1) + nib(u ^ c)) | 0;
      c1 = (c1 + (s & M4) + ((s >>> 4) & M4)) | 0;
      a = (x0 ^ W[wo + 2]) & W[wo + 6];
      b = (x1 ^ W[wo + 10]) & W[wo + 14];
      c = (x2 ^ W[wo + 18]) & W[wo + 22];
      u = a ^ b;
      s = ((nib((a & b) | (u & c)) << 1) + nib(u ^ c)) | 0;
      c2 = (c2 + (s & M4) + ((s >>> 4) & M4)) | 0;
      a = (x0 ^ W[wo + 3]) & W[wo + 7];
      b = (x1 ^ W[wo + 11]) & W[wo + 15];
      c = (x2 ^ W[wo + 19]) & W[wo + 23];
      u = a ^ b;
      s = ((nib((a & b) | (u & c)) << 1) + nib(u ^ c)) | 0;
      c3 = (c3 + (s & M4) + ((s >>> 4) & M4)) | 0;
    }
    r0 += byteSum(c0);
    r1 += byteSum(c1);
    r2 += byteSum(c2);
    r3 += byteSum(c3);
  }
  for (; k < KW; k++, wo += 8) {
    const x = X[xo + k];
    r0 += popcount32((x ^ W[wo]) & W[wo + 4]);
    r1 += popcount32((x ^ W[wo + 1]) & W[wo + 5]);
    r2 += popcount32((x ^ W[wo + 2]) & W[wo + 6]);
    r3 += popcount32((x ^ W[wo + 3]) & W[wo + 7]);
  }
  cnt[0] = r0;
  cnt[1] = r1;
  cnt[2] = r2;
  cnt[3] = r3;
}

/** Canonical sign and non-zero rows → ternary panels: word k of panel p holds S of rows 4p..4p+3, then their NZ. */
export function toTernaryPanels32(words: Int32Array, nz: Int32Array, K: number, N: number): Int32Array {
  const KW = (K + 31) >>> 5;
  const P = (N + 3) >>> 2;
  const out = new Int32Array(P * KW * 8);
  for (let k = 0; k < N; k++) {
    const p = k >>> 2;
    const r = k & 3;
    for (let w = 0; w < KW; w++) {
      out[(p * KW + w) * 8 + r] = words[k * KW + w];
      out[(p * KW + w) * 8 + 4 + r] = nz[k * KW + w];
    }
  }
  return out;
}

/** bits[n, :] = pack(x[n, j] < thr[j]). */
export function packBinarize(x: Float64Array, xo: number, B: number, K: number, thr: Float64Array, out: Int32Array, KW: number): void {
  for (let n = 0; n < B; n++) {
    const xr = xo + n * K;
    for (let w = 0; w < KW; w++) {
      const j0 = w << 5;
      const m = K - j0 < 32 ? K - j0 : 32;
      let word = 0;
      for (let b = 0; b < m; b++) if (x[xr + j0 + b] < thr[j0 + b]) word |= 1 << b;
      out[n * KW + w] = word;
    }
  }
}

/** q = quantize((x − offset)/scale): round half up into 0..top; NaN and values below 0.5 give 0. */
export function quantize(x: number, scale: number, offset: number, top: number): number {
  const v = (x - offset) / scale;
  return !(v >= 0.5) ? 0 : v >= top ? top : (v + 0.5) | 0; // v + 0.5 < 2^31: truncation = floor
}

/** q[n·K + j] = quantize(x[xo + n·K + j]) for the bit-plane encoding (exact small integers as doubles). */
export function quantizeRows(x: Float64Array, xo: number, B: number, K: number, scale: number, offset: number, bits: number, q: Float64Array): void {
  const top = 2 ** bits - 1;
  for (let i = 0; i < B * K; i++) q[i] = quantize(x[xo + i], scale, offset, top);
}

/** Sign and pack real pre-activations: d = pre − thr[k]; bit = flip[k] ? d > 0 : d < 0. */
export function signPack(pre: Float64Array, B: number, N: number, thr: Float64Array, flip: Uint8Array, out: Int32Array, KWout: number): void {
  for (let n = 0; n < B; n++) {
    for (let w = 0; w < KWout; w++) {
      const k0 = w << 5;
      const m = N - k0 < 32 ? N - k0 : 32;
      let word = 0;
      for (let b = 0; b < m; b++) {
        const k = k0 + b;
        const d = pre[n * N + k] - thr[k];
        if (flip[k] ? d > 0 : d < 0) word |= 1 << b;
      }
      out[n * KWout + w] = word;
    }
  }
}

interface JsLayer {
  K: number;
  N: number;
  KW: number;
  P: number;
  /** Ternary: panels of 8 words per input word (sign bits, then non-zero masks). */
  tern: boolean;
  /** Per output: K (binary) or the number of non-zero weights (ternary); the length of its ±1 dot. */
  kc: Int32Array;
  panels: Int32Array;
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
  private readonly pre: Float64Array;
  private readonly table: Float64Array;
  private readonly list: Int32Array;
  private readonly cnt = new Int32Array(4);

  constructor(plan: XnorPlan) {
    this.input = plan.input;
    const K0 = plan.layers[0].K;
    const CH = chunkRowsFor(K0);
    this.chunkRows = CH;
    this.layers = plan.layers.map((L, l) => {
      const KW = (L.K + 31) >>> 5;
      const P = (L.N + 3) >>> 2;
      const binaryIn = l > 0 || plan.input.kind === 'binarize';
      const tern = L.nz !== null;
      const kc = L.nz ? ternaryRowCounts(L.words, L.nz, L.K, L.N) : new Int32Array(L.N).fill(L.K);
      const cut = new Int32Array(P * 4).fill(0x7fffffff);
      const flip = new Uint8Array(P * 4);
      for (let k = 0; k < L.N; k++) {
        flip[k] = L.flip[k];
        if (binaryIn) cut[k] = popcountCut(kc[k], L.thr[k], L.flip[k] === 1);
      }
      const rowc = new Float64Array(L.N);
      if (l === 0 && plan.input.kind === 'bitplanes' && plan.input.offset !== 0) {
        const sums = planRowSums(L);
        for (let k = 0; k < L.N; k++) rowc[k] = plan.input.offset * sums[k];
      }
      const panels = L.nz ? toTernaryPanels32(L.words, L.nz, L.K, L.N) : toPanels32(L.words, L.K, L.N);
      const scale = L.scale ? L.scale : new Float64Array(L.N).fill(1);
      return { K: L.K, N: L.N, KW, P, tern, kc, panels, cut, flip, thr: L.thr, scale, bias: L.bias, rowc, tile: panelTile(KW * (tern ? 32 : 16)) };
    });
    let maxKW = 1;
    for (const L of this.layers) maxKW = Math.max(maxKW, L.KW, (L.N + 31) >>> 5);
    this.bitsA = new Int32Array(CH * maxKW);
    this.bitsB = new Int32Array(CH * maxKW);
    const N0 = plan.layers[0].N;
    this.q = new Float64Array(plan.input.kind === 'bitplanes' ? CH * K0 : 0);
    this.pre = new Float64Array(plan.input.kind === 'binarize' ? 0 : CH * N0);
    this.table = new Float64Array(plan.input.kind !== 'binarize' && N0 >= LUT_MIN_ROWS ? 256 * ((K0 + 7) >>> 3) : 0);
    this.list = new Int32Array(plan.input.kind === 'binarize' ? 0 : K0);
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
        if (L0.tern) this.realPreTernary(this.q, 0, L0, B);
        else this.realPre(this.q, 0, L0, B);
        const pre = this.pre;
        const { N, rowc } = L0;
        for (let n = 0; n < B; n++) for (let k = 0; k < N; k++) pre[n * N + k] = inp.scale * pre[n * N + k] + rowc[k];
      } else if (L0.tern) {
        this.realPreTernary(X, xo, L0, B);
      } else {
        this.realPre(X, xo, L0, B);
      }
      if (last === 0) {
        addBias(this.pre, B, L0.N, L0.scale, L0.bias, out, oo);
        return -1;
      }
      signPack(this.pre, B, L0.N, L0.thr, L0.flip, cur, (L0.N + 31) >>> 5);
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

  /**
   * Mirrors tern_real_pre in wasm/xnor_kernels.c: the first layer of a ternary network on real inputs,
   * Σ_{j ∈ P} x_j − Σ_{j ∈ M} x_j. Zero inputs and zero weights are skipped. With fewer than
   * LUT_MIN_ROWS outputs: direct sums in input order over the non-zero inputs. Otherwise per-sample
   * tables of the 256 subset sums of each group of 8 inputs with a non-zero input,
   * T[g][m] = T[g][m ∧ (m − 1)] + x_{8g + ctz m}, T[g][0] = 0, and s += T[g][P byte] − T[g][M byte] over
   * those groups in increasing g.
   */
  private realPreTernary(X: Float64Array, xo: number, L: JsLayer, B: number): void {
    const { K, KW, P, panels, N } = L;
    const pre = this.pre;
    const G = (K + 7) >>> 3;
    const T = this.table;
    const list = this.list;
    const xs = new Float64Array(8);
    const stride = KW * 8;
    for (let n = 0; n < B; n++) {
      const xr = xo + n * K;
      const o = n * N;
      if (N < LUT_MIN_ROWS) {
        let count = 0;
        for (let j = 0; j < K; j++) if (X[xr + j] !== 0) list[count++] = j;
        for (let k = 0; k < N; k++) {
          const wo = (k >>> 2) * stride + (k & 3);
          let s = 0;
          for (let i = 0; i < count; i++) {
            const j = list[i];
            const at = wo + (j >>> 5) * 8;
            const sh = j & 31;
            if ((panels[at + 4] >>> sh) & 1) {
              const v = X[xr + j];
              s += (panels[at] >>> sh) & 1 ? -v : v;
            }
          }
          pre[o + k] = s;
        }
        continue;
      }
      let count = 0;
      for (let g = 0; g < G; g++) {
        let any = false;
        for (let i = 0; i < 8; i++) {
          const v = 8 * g + i < K ? X[xr + 8 * g + i] : 0;
          xs[i] = v;
          if (v !== 0) any = true;
        }
        if (!any) continue;
        list[count++] = g;
        const t = g * 256;
        T[t] = 0;
        for (let m = 1; m < 256; m++) T[t + m] = T[t + (m & (m - 1))] + xs[CTZ8[m]];
      }
      for (let p = 0; p < P; p++) {
        const wo = p * stride;
        let s0 = 0;
        let s1 = 0;
        let s2 = 0;
        let s3 = 0;
        for (let i = 0; i < count; i++) {
          const g = list[i];
          const wk = wo + (g >>> 2) * 8;
          const sh = 8 * (g & 3);
          const t = g * 256;
          let m = (panels[wk] >>> sh) & 255;
          s0 += T[t + (((panels[wk + 4] >>> sh) & 255) & ~m)] - T[t + m];
          m = (panels[wk + 1] >>> sh) & 255;
          s1 += T[t + (((panels[wk + 5] >>> sh) & 255) & ~m)] - T[t + m];
          m = (panels[wk + 2] >>> sh) & 255;
          s2 += T[t + (((panels[wk + 6] >>> sh) & 255) & ~m)] - T[t + m];
          m = (panels[wk + 3] >>> sh) & 255;
          s3 += T[t + (((panels[wk + 7] >>> sh) & 255) & ~m)] - T[t + m];
        }
        const k = 4 * p;
        if (k < N) pre[o + k] = s0;
        if (k + 1 < N) pre[o + k + 1] = s1;
        if (k + 2 < N) pre[o + k + 2] = s2;
        if (k + 3 < N) pre[o + k + 3] = s3;
      }
    }
  }

  /** Mirrors real_pre in wasm/xnor_kernels.c: zero inputs skipped, byte tables for LUT_MIN_ROWS outputs or more. */
  private realPre(X: Float64Array, xo: number, L: JsLayer, B: number): void {
    const { K, KW, P, panels, N } = L;
    const pre = this.pre;
    const G = (K + 7) >>> 3;
    const T = this.table;
    const list = this.list;
    const xs = new Float64Array(8);
    for (let n = 0; n < B; n++) {
      const xr = xo + n * K;
      const o = n * N;
      if (N < LUT_MIN_ROWS) {
        let count = 0;
        for (let j = 0; j < K; j++) if (X[xr + j] !== 0) list[count++] = j;
        for (let k = 0; k < N; k++) {
          const wo = (k >>> 2) * KW * 4 + (k & 3);
          let s = 0;
          for (let i = 0; i < count; i++) {
            const j = list[i];
            const v = X[xr + j];
            s += (panels[wo + (j >>> 5) * 4] >>> (j & 31)) & 1 ? -v : v;
          }
          pre[o + k] = s;
        }
        continue;
      }
      let count = 0;
      for (let g = 0; g < G; g++) {
        let any = false;
        for (let i = 0; i < 8; i++) {
          const v = 8 * g + i < K ? X[xr + 8 * g + i] : 0;
          xs[i] = v;
          if (v !== 0) any = true;
        }
        if (!any) continue;
        list[count++] = g;
        const t = g * 256;
        let s = xs[0];
        for (let i = 1; i < 8; i++) s += xs[i];
        T[t] = s;
        for (let m = 1; m < 256; m++) T[t + m] = T[t + (m & (m - 1))] - 2 * xs[CTZ8[m]];
      }
      for (let p = 0; p < P; p++) {
        const wo = p * KW * 4;
        let s0 = 0;
        let s1 = 0;
        let s2 = 0;
        let s3 = 0;
        for (let i = 0; i < count; i++) {
          const g = list[i];
          const wk = wo + (g >>> 2) * 4;
          const sh = 8 * (g & 3);
          const t = g * 256;
          s0 += T[t + ((panels[wk] >>> sh) & 255)];
          s1 += T[t + ((panels[wk + 1] >>> sh) & 255)];
          s2 += T[t + ((panels[wk + 2] >>> sh) & 255)];
          s3 += T[t + ((panels[wk + 3] >>> sh) & 255)];
        }
        const k = 4 * p;
        if (k < N) pre[o + k] = s0;
        if (k + 1 < N) pre[o + k + 1] = s1;
        if (k + 2 < N) pre[o + k + 2] = s2;
        if (k + 3 < N) pre[o + k + 3] = s3;
      }
    }
  }
}

function addBias(pre: Float64Array, B: number, N: number, scale: Float64Array, bias: Float64Array, out: Float64Array, oo: number): void {
  for (let n = 0; n < B; n++) for (let k = 0; k < N; k++) out[oo + n * N + k] = pre[n * N + k] * scale[k] + bias[k];
}
