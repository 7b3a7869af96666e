/**
 * What a packed-network engine runs: a backend-neutral description built by src/xnor/network.ts from
 * the network's layers, and the small integer helpers both engines share.
 */
import { rowPopcounts } from './xnor-popcount';

/** How the first layer sees the real input rows. */
export type PlanInput =
  | { readonly kind: 'real' }
  /** x_j ≥ threshold_j → +1 (bit 0), else −1 (bit 1). */
  | { readonly kind: 'binarize'; readonly threshold: Float64Array }
  /** q_j = quantize((x_j − offset) / scale) in 0..2^bits − 1, split into bit planes. */
  | { readonly kind: 'bitplanes'; readonly bits: number; readonly scale: number; readonly offset: number };

export interface PlanLayer {
  /** Inputs K and outputs N. */
  readonly K: number;
  readonly N: number;
  /**
   * Canonical packed rows: N rows of ⌈K/32⌉ 32-bit words, bit 1 = −1, padding zero. Ternary layers:
   * the −1 mask (bit 1 where w = −1).
   */
  readonly words: Int32Array;
  /**
   * Ternary layers: the non-zero mask (bit 1 where w ≠ 0, i.e. the +1 mask OR the −1 mask), same
   * layout; `words` ⊆ `nz`. null: a binary layer (every weight ±1).
   */
  readonly nz: Int32Array | null;
  /**
   * Hidden layers: the output is +1 iff pre ≥ thr[k] (or pre ≤ thr[k] when flip[k] = 1), where pre is
   * the layer's pre-activation without bias. EBP: thr = −b, flip = 0 (sign(Wv + b), sign(0) = +1).
   */
  readonly thr: Float64Array;
  readonly flip: Uint8Array;
  /**
   * Last layer: scores = pre·scale + bias, one rounded product and one rounded sum (STE: the folded
   * batch-norm scale and shift); null: scale 1, i.e. scores = pre + bias (EBP).
   */
  readonly scale: Float64Array | null;
  readonly bias: Float64Array;
}

export interface XnorPlan {
  readonly input: PlanInput;
  readonly layers: readonly PlanLayer[];
}

/** A compiled packed network on one backend. */
export interface XnorEngine {
  readonly name: 'js' | 'wasm';
  /** Rows per forward() call at most. */
  readonly chunkRows: number;
  /**
   * Scores of rows X[xo + n·K0 ...] for n < B (B ≤ chunkRows), written to out[oo + n·N_L + k]; returns −1.
   * If an input value is NaN or infinite, nothing is computed and its index relative to xo is returned
   * (the check rides on the engine's own pass over the inputs). Shapes are the caller's to validate.
   */
  forward(X: Float64Array, xo: number, B: number, out: Float64Array, oo: number): number;
}

/**
 * Ternary rows with binary inputs (x_j = ±1, bit 1 = −1; masks P and M, S = M the sign bits, NZ = P | M):
 *   dot = Σ_P x − Σ_M x = (|P| − 2·popcount(X ∧ P)) − (|M| − 2·popcount(X ∧ M)) = n − 2·popcount((X ⊕ S) ∧ NZ)
 * with n = |NZ| the row's non-zero count, because (X ∧ P) and (¬X ∧ M) are disjoint and
 * (X ⊕ S) ∧ NZ = (X ∧ P) ∨ (¬X ∧ M). So a ternary row is a binary row of length n whose zero
 * positions are masked out: one XOR, one AND and one popcount per word, and the cuts of
 * {@link popcountCut} apply with K = n.
 */
export function ternaryRowCounts(words: Int32Array, nz: Int32Array, K: number, N: number): Int32Array {
  return rowPopcounts(nz, N, (K + 31) >>> 5);
}

/** Σ_j w_kj of every row (an integer): K − 2·popcount(row) for binary rows, n_k − 2·popcount(−1 mask) for ternary rows. */
export function planRowSums(L: PlanLayer): Float64Array {
  const KW = (L.K + 31) >>> 5;
  const n = L.nz ? ternaryRowCounts(L.words, L.nz, L.K, L.N) : null;
  const out = new Float64Array(L.N);
  for (let k = 0; k < L.N; k++) {
    let p = 0;
    for (let w = 0; w < KW; w++) {
      let v = L.words[k * KW + w];
      v = v - ((v >>> 1) & 0x55555555);
      v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
      v = (v + (v >>> 4)) & 0x0f0f0f0f;
      p += Math.imul(v, 0x01010101) >>> 24;
    }
    out[k] = (n ? n[k] : L.K) - 2 * p;
  }
  return out;
}

/**
 * What both engines derive from layer l of a plan: per row the length of its ±1 dot (`counts`: K, or the
 * row's non-zero count for ternary rows), the popcount cuts of hidden layers with binary inputs and the
 * flips (padded to whole panels of 4 rows; the padding cut is one no count exceeds), and the bit-plane
 * offset term rowc[k] = offset·Σ_j w_kj of a first layer.
 */
export function layerCuts(plan: XnorPlan, l: number): { counts: Int32Array; cut: Int32Array; flip: Uint8Array; rowc: Float64Array } {
  const L = plan.layers[l];
  const P = (L.N + 3) >>> 2;
  const binaryIn = l > 0 || plan.input.kind === 'binarize';
  const counts = L.nz ? ternaryRowCounts(L.words, L.nz, L.K, L.N) : new Int32Array(L.N).fill(L.K);
  const cut = new Int32Array(P * 4).fill(0x7fffffff);
  const flip = new Uint8Array(P * 4);
  for (let k = 0; k < L.N; k++) {
    flip[k] = L.flip[k];
    if (binaryIn) cut[k] = popcountCut(counts[k], L.thr[k], L.flip[k] === 1);
  }
  const rowc = new Float64Array(L.N);
  if (l === 0 && plan.input.kind === 'bitplanes' && plan.input.offset !== 0) {
    const sums = planRowSums(L);
    for (let k = 0; k < L.N; k++) rowc[k] = plan.input.offset * sums[k];
  }
  return { counts, cut, flip, rowc };
}

/** Real-input layers with at least this many outputs use per-sample byte tables (see real_pre). */
export const LUT_MIN_ROWS = 8;

/**
 * The popcount cut c of a hidden unit with binary inputs: with p = popcount(x ⊕ w) and dot = K − 2p,
 * the output bit (1 = −1) is (p > c) XOR flip. Non-flipped: +1 iff dot ≥ thr ⟺ dot ≥ ⌈thr⌉ ⟺
 * p ≤ ⌊(K − ⌈thr⌉)/2⌋. Flipped: +1 iff dot ≤ thr ⟺ dot ≤ ⌊thr⌋ ⟺ p ≥ ⌈(K − ⌊thr⌋)/2⌉, so c is
 * that bound minus one and the comparison is inverted by the flip. Exact integer arithmetic: for an
 * integer dot and a double b, fl(dot + b) ≥ 0 ⟺ dot + b ≥ 0 ⟺ dot ≥ ⌈−b⌉.
 */
export function popcountCut(K: number, thr: number, flip: boolean): number {
  if (!flip) {
    const T = clamp(Math.ceil(thr), -K, K + 1);
    return Math.floor((K - T) / 2);
  }
  const F = clamp(Math.floor(thr), -K - 1, K);
  return Math.ceil((K - F) / 2) - 1;
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

/** Panels of 4 rows taken together by the binary kernels, sized so a tile of weights stays in cache. */
export function panelTile(bytesPerPanel: number): number {
  const t = Math.floor(131072 / Math.max(1, bytesPerPanel));
  return Math.max(16, t - (t % 16));
}

/**
 * What both engines derive for layer l before laying it out in their words of `wordBits` bits: words per row
 * (KW), panels of 4 rows (P), whether the rows are ternary, the cuts of {@link layerCuts}, and the panel tile
 * (a panel is 4 rows of KW words; a ternary panel twice that, the sign words and the non-zero masks).
 */
export function panelGeometry(plan: XnorPlan, l: number, wordBits: 32 | 64) {
  const L = plan.layers[l];
  const KW = wordBits === 32 ? (L.K + 31) >>> 5 : (L.K + 63) >>> 6;
  const tern = L.nz !== null;
  return { KW, P: (L.N + 3) >>> 2, tern, cuts: layerCuts(plan, l), tile: panelTile(KW * (wordBits >>> 3) * 4 * (tern ? 2 : 1)) };
}

/** Rows per engine call: up to 256, fewer for very wide inputs (about 2 MiB of input doubles). */
export function chunkRowsFor(K0: number): number {
  return Math.max(1, Math.min(256, Math.floor(2097152 / (8 * Math.max(1, K0)))));
}
