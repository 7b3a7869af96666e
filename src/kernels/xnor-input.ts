/**
 * The first layer of the TypeScript packed engine on non-binary inputs (real values, or bit-plane codes
 * as exact small integers), and the packing of its real pre-activations into sign bits; also the
 * binarisation of inputs. Mirrors real_pre, tern_real_pre, pack_binarize and sign_pack in
 * wasm/xnor_kernels.c: the same floating-point operations in the same order.
 */
import { LUT_MIN_ROWS } from './xnor-plan';

/** The part of a layer the first-layer sums read: sizes and the 32-bit weight panels. */
export interface PanelLayer {
  K: number;
  N: number;
  KW: number;
  P: number;
  panels: Int32Array;
}

/** Buffers of the first-layer sums: pre [chunk, N] (written), byte tables and an index list (scratch). */
export interface FirstLayerBuffers {
  pre: Float64Array;
  table: Float64Array;
  list: Int32Array;
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

/** Indices of the non-zero inputs of the row at X[xr .. xr + K) into `list`; returns their count. */
function nonZeroInputs(X: Float64Array, xr: number, K: number, list: Int32Array): number {
  let count = 0;
  for (let j = 0; j < K; j++) if (X[xr + j] !== 0) list[count++] = j;
  return count;
}

const XS = new Float64Array(8);

/**
 * Per-sample byte tables of the groups of 8 inputs of a row that hold a non-zero input (their indices
 * into `list`; returns their count), built bit by bit, T[g][m] from T[g][m ∧ (m − 1)] and x_{8g + ctz m}:
 * `subsetSums`: T[g][m] = Σ_{i ∈ m} x_{8g+i} (T[g][0] = 0); otherwise the ±1 dot with sign bits m,
 * T[g][m] = Σ_i x_{8g+i} − 2 Σ_{i ∈ m} x_{8g+i}.
 */
function groupTables(X: Float64Array, xr: number, K: number, T: Float64Array, list: Int32Array, subsetSums: boolean): number {
  const xs = XS;
  let count = 0;
  for (let g = 0, G = (K + 7) >>> 3; g < G; g++) {
    let any = false;
    for (let i = 0; i < 8; i++) {
      const v = 8 * g + i < K ? X[xr + 8 * g + i] : 0;
      xs[i] = v;
      if (v !== 0) any = true;
    }
    if (!any) continue;
    list[count++] = g;
    const t = g * 256;
    if (subsetSums) {
      T[t] = 0;
      for (let m = 1; m < 256; m++) T[t + m] = T[t + (m & (m - 1))] + xs[CTZ8[m]];
    } else {
      let s = xs[0];
      for (let i = 1; i < 8; i++) s += xs[i];
      T[t] = s;
      for (let m = 1; m < 256; m++) T[t + m] = T[t + (m & (m - 1))] - 2 * xs[CTZ8[m]];
    }
  }
  return count;
}

/** pre[o + 4p + r] = s_r for the rows r of panel p that exist (4p + r < N). */
function storePanel(pre: Float64Array, o: number, N: number, p: number, s0: number, s1: number, s2: number, s3: number): void {
  const k = 4 * p;
  if (k < N) pre[o + k] = s0;
  if (k + 1 < N) pre[o + k + 1] = s1;
  if (k + 2 < N) pre[o + k + 2] = s2;
  if (k + 3 < N) pre[o + k + 3] = s3;
}

/**
 * Mirrors real_pre and tern_real_pre in wasm/xnor_kernels.c: the first layer on real inputs, zero inputs
 * skipped. Binary rows: Σ_j w_j x_j with w = ±1 (bit 1 = −1); ternary rows: Σ_{j ∈ P} x_j − Σ_{j ∈ M} x_j,
 * zero weights skipped too. With fewer than LUT_MIN_ROWS outputs: direct sums in input order over the
 * non-zero inputs. Otherwise per-sample tables of each group of 8 inputs with a non-zero input
 * (groupTables: the ±1 sums for binary rows, the 256 subset sums for ternary rows), summed over those
 * groups in increasing g: s += T[g][sign byte], or s += T[g][P byte] − T[g][M byte].
 */
export function realPre(X: Float64Array, xo: number, L: PanelLayer, B: number, buf: FirstLayerBuffers, ternary: boolean): void {
  const { K, N, P } = L;
  const { pre, table, list } = buf;
  for (let n = 0; n < B; n++) {
    const xr = xo + n * K;
    const o = n * N;
    if (N < LUT_MIN_ROWS) {
      const count = nonZeroInputs(X, xr, K, list);
      for (let k = 0; k < N; k++) pre[o + k] = ternary ? directTernary(X, xr, L, list, count, k) : directBinary(X, xr, L, list, count, k);
    } else {
      const count = groupTables(X, xr, K, table, list, ternary);
      for (let p = 0; p < P; p++) {
        if (ternary) tablePanelTernary(L, table, list, count, p, pre, o);
        else tablePanelBinary(L, table, list, count, p, pre, o);
      }
    }
  }
}

/** Binary row k against the non-zero inputs list[0 .. count) of the row at X[xr ..]: Σ ±x_j in input order. */
function directBinary(X: Float64Array, xr: number, L: PanelLayer, list: Int32Array, count: number, k: number): number {
  const panels = L.panels;
  const wo = (k >>> 2) * L.KW * 4 + (k & 3);
  let s = 0;
  for (let i = 0; i < count; i++) {
    const j = list[i];
    const v = X[xr + j];
    s += (panels[wo + (j >>> 5) * 4] >>> (j & 31)) & 1 ? -v : v;
  }
  return s;
}

/** Ternary row k likewise: the inputs at its non-zero weights, negated at its −1 weights. */
function directTernary(X: Float64Array, xr: number, L: PanelLayer, list: Int32Array, count: number, k: number): number {
  const panels = L.panels;
  const wo = (k >>> 2) * L.KW * 8 + (k & 3);
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
  return s;
}

/** The 4 binary rows of panel p from the ±1 byte tables T of the groups list[0 .. count), into pre[o ..]. */
function tablePanelBinary(L: PanelLayer, T: Float64Array, list: Int32Array, count: number, p: number, pre: Float64Array, o: number): void {
  const panels = L.panels;
  const wo = p * L.KW * 4;
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
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
  storePanel(pre, o, L.N, p, s0, s1, s2, s3);
}

// Two table loops on purpose, as xorCounts4/maskedCounts4: a branch per group in one loop costs the hot path.
/** The 4 ternary rows of panel p from the subset-sum tables: T[P byte] − T[M byte], P = NZ ∧ ¬M. */
function tablePanelTernary(L: PanelLayer, T: Float64Array, list: Int32Array, count: number, p: number, pre: Float64Array, o: number): void {
  const panels = L.panels;
  const wo = p * L.KW * 8;
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
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
  storePanel(pre, o, L.N, p, s0, s1, s2, s3);
}

/** Output layer on real inputs: scores = pre·scale + bias. */
export function addBias(pre: Float64Array, B: number, N: number, scale: Float64Array, bias: Float64Array, out: Float64Array, oo: number): void {
  for (let n = 0; n < B; n++) for (let k = 0; k < N; k++) out[oo + n * N + k] = pre[n * N + k] * scale[k] + bias[k];
}
