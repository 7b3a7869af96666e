/**
 * A bit-packed binary network (XNOR/popcount inference) that computes exactly what the float sign
 * network with the same ±1 weights computes:
 *
 *   first layer   pre = Σ_j w_j x_j (real inputs, bit planes, or binarised inputs, see ./input.ts)
 *   hidden layers v = sign(pre + b) with sign(0) = +1, or against a per-neuron threshold (STE batch-norm
 *                 folding): v = +1 iff pre ≥ threshold (pre ≤ threshold where flip is set)
 *   hidden binary pre = K − 2·popcount(v ⊕ w)
 *   output layer  scores = pre + b (the field, no 1/√(K+1) scale), or pre·scale + b with a per-output
 *                 scale (STE: the folded batch norm, one rounded product and one rounded sum); class =
 *                 argmax (first maximum), or with one output 1 if score ≥ 0 else 0.
 *
 * From an EBP posterior (`fromPosterior`) this is EBP-D (spec §8): the most probable weights sign(h)
 * with sign(0) = +1 and the real biases; `scores` equals `predict(store, X, 'deterministic').scores`.
 * From an STE trainer (`fromSte`) it is the folded sign network of `SteTrainer.toSignNetwork()`;
 * `scores` equals `SteTrainer.predict(X).scores` (see {@link XnorNetwork.fromSte} for when exactly).
 *
 * Ternary layers (`'ternaryDense'`, weights in {−1, 0, +1}, e.g. from a `ternary(π₀)` posterior) hold
 * two masks, +1 and −1 (see ./bitpack.ts), and compute the same dot products with the zero weights
 * left out: with binary inputs pre = n − 2·popcount((v ⊕ S) ∧ NZ), n the row's non-zero count
 * (src/kernels/xnor-plan.ts), with real inputs Σ_{w=+1} x − Σ_{w=−1} x.
 */
import { decideRows } from '../util/decide';
import ndarray from 'ndarray';
import { ArgumentError, NumericError, ShapeError } from '../errors';
import type { PosteriorStore } from '../ebp/posterior';
import { createXnorEngine, type XnorBackend, type XnorEngine, type XnorPlan } from '../kernels/xnor';
import { matrix, rowMajor, isNdArray, type Matrix, type MatrixLike } from '../tensor/matrix';
import { summarize, type ModelSummary } from '../model/summary';
import { firstDirtyPaddingRow, firstOverlapRow, packSigns, packTernary, packedWords, type PackedMatrix, type TernaryMasks } from './bitpack';
import { resolveInput, type InputEncoding, type ResolvedInput } from './input';
import { sampleEnsemble, type EnsembleOptions, type XnorEnsemble } from './ensemble';
import type { SignNetwork } from '../ste/fold';

/** `'binaryDense'`: ±1 weights, 1 bit each; `'ternaryDense'`: weights in {−1, 0, +1}, 2 bits each (two masks). */
export type XnorLayerType = 'binaryDense' | 'ternaryDense';

/** One binary or ternary dense layer. */
export interface XnorLayer {
  readonly type: XnorLayerType;
  readonly inputs: number;
  readonly outputs: number;
  /**
   * Binary: [outputs, inputs] ±1 weights, bit 1 = −1 (LCE conventions, see ./bitpack.ts). Ternary: the
   * −1 mask (the same object as `minus`), i.e. the sign bits with zero weights packed as +1.
   */
  readonly weights: PackedMatrix;
  /** Ternary layers: the +1 mask (bit 1 where w = +1); null for binary layers. */
  readonly plus: PackedMatrix | null;
  /** Ternary layers: the −1 mask (bit 1 where w = −1), disjoint from `plus`; null for binary layers. */
  readonly minus: PackedMatrix | null;
  /** Real bias per output (EBP's b). */
  readonly bias: Float64Array;
  /** Hidden layers only: sign taken against this threshold instead of −bias (null: −bias). */
  readonly threshold: Float64Array | null;
  /** Hidden layers only: 1 where the comparison is reversed (v = +1 iff pre ≤ threshold); null: none. */
  readonly flip: Uint8Array | null;
  /** Output layer only: scores = pre·scale + bias (one rounding each); null: scale 1 (scores = pre + bias). */
  readonly scale: Float64Array | null;
}

/** A layer as given to {@link XnorNetwork.fromLayers}. */
export interface XnorLayerSpec {
  /**
   * Default `'binaryDense'`, or `'ternaryDense'` when `weights` are {@link TernaryMasks}. With
   * `'ternaryDense'` a row-major array is read as ternary weights: > 0 → +1, < 0 → −1, 0 → 0.
   */
  type?: XnorLayerType;
  /**
   * Binary: packed [outputs, inputs] weights, or a row-major ±1 (any real: sign, 0 → +1) array with
   * `inputs`/`outputs`. Ternary: `{ plus, minus }` packed masks (disjoint, zero padding bits), or a
   * row-major array with `type: 'ternaryDense'` and `inputs`/`outputs`.
   */
  weights: PackedMatrix | TernaryMasks | ArrayLike<number>;
  inputs?: number;
  outputs?: number;
  bias?: ArrayLike<number>;
  /** Hidden layers: v = +1 iff pre ≥ threshold (pre ≤ threshold where flip is set); ±∞ allowed (constant neurons). */
  threshold?: ArrayLike<number> | null;
  flip?: ArrayLike<number | boolean> | null;
  /** Output layer only: per-output scale, scores = pre·scale + bias (finite values; absent = 1). */
  scale?: ArrayLike<number> | null;
}

export interface XnorOptions {
  /** First-layer input encoding. Default `{ type: 'real' }`. */
  input?: InputEncoding;
  /** Kernel backend. Default `'auto'` (WebAssembly when available, else pure TypeScript). */
  backend?: XnorBackend;
}

/** Anything `scores`/`predict` accept: a matrix [batch, K_0], nested rows, or one flat row-major Float64Array. */
export type XnorInput = Matrix | MatrixLike | Float64Array;

export class XnorNetwork {
  /** Layer widths [K_0, ..., K_L]. */
  readonly sizes: readonly number[];
  readonly layers: readonly XnorLayer[];
  readonly input: ResolvedInput;
  private readonly engine: XnorEngine;

  private constructor(layers: XnorLayer[], input: ResolvedInput, backend: XnorBackend) {
    this.layers = Object.freeze(layers);
    this.sizes = Object.freeze([layers[0].inputs, ...layers.map((L) => L.outputs)]);
    this.input = input;
    this.engine = createXnorEngine(toPlan(layers, input), backend);
  }

  /** `'wasm'` or `'js'`: the kernels this network runs. */
  get backend(): 'wasm' | 'js' {
    return this.engine.name;
  }

  /**
   * EBP-D as a packed network (spec §8): the most probable weights (`store.layers[l].map`), real biases
   * kept. Binary weights (`'binary'`, or discrete levels [−1, 1]): sign(h) with sign(0) = +1, binary
   * layers. Discrete levels within {−1, 0, +1} (`ternary(π₀)`): argmax_s [log π(s) + h s], ternary layers.
   *
   * @throws {ArgumentError} Gaussian weights, or discrete levels outside {−1, 0, +1} (no packed form;
   *   use `predict(store, X, 'deterministic')`)
   */
  static fromPosterior(store: PosteriorStore, opts: XnorOptions = {}): XnorNetwork {
    const kind = packedWeightKind(store, 'XnorNetwork.fromPosterior');
    const layers = store.layers.map((L) => {
      const bias = Float64Array.from(L.b);
      if (kind === 'binary') return makeLayer(packSigns(L.map, L.outputs, L.inputs), bias, null, null, null);
      return makeTernaryLayer(packTernary(L.map, L.outputs, L.inputs), bias, null, null, null);
    });
    return new XnorNetwork(layers, resolveInput(opts.input, store.sizes[0]), opts.backend ?? 'auto');
  }

  /**
   * An ensemble of `members` networks with weights drawn from the posterior q, biases kept; it predicts
   * the argmax of the members' mean sign output (spec §8). Binary weights: W = +1 with probability
   * (1 + tanh h)/2. Discrete levels within {−1, 0, +1}: W = s with probability q(s) ∝ π(s)e^{h s},
   * ternary members. Other weights raise an ArgumentError (see {@link XnorNetwork.fromPosterior}).
   */
  static sampleEnsemble(store: PosteriorStore, opts: EnsembleOptions): XnorEnsemble {
    return sampleEnsemble(store, opts);
  }

  /**
   * The packed form of a trained STE network: `SteTrainer.toSignNetwork()` (or the trainer itself) as
   * binary layers, hidden layers with the folded per-neuron `threshold`/`flip`, the output layer with
   * scores = pre·scale + shift (`scale` per output, `shift` as the bias).
   *
   * The scores equal `SteTrainer.predict(X).scores` bit for bit whenever the first layer's dot products
   * are exact: binarised inputs (`input: { type: 'binarize' }` on rows predict sees as ±1), bit planes
   * whose grid values sum exactly in float64 (integer features, or a power-of-two `scale` such as 1/256
   * or digits' 1/16, offset 0), and every hidden layer anyway (integer popcount dots against thresholds
   * found on predict's own rounding). With real inputs the first layer sums in another order than
   * predict (byte tables), so scores agree to rounding (≈ 1e-15 relative); a hidden unit whose dot
   * lands within that rounding of its threshold could flip, which random data practically never hits.
   * Classes are the argmax of the same scores (one output: score ≥ 0 → 1).
   *
   * @throws {ArgumentError} a layer without thresholds, or a last layer without `scale`/`shift`
   */
  static fromSte(source: SignNetwork | { toSignNetwork(): SignNetwork }, opts: XnorOptions = {}): XnorNetwork {
    const net = typeof (source as { toSignNetwork?: unknown }).toSignNetwork === 'function'
      ? (source as { toSignNetwork(): SignNetwork }).toSignNetwork()
      : (source as SignNetwork);
    if (!net || !Array.isArray(net.layers) || net.layers.length === 0) {
      throw new ArgumentError('invalid argument. XnorNetwork.fromSte expects an SteTrainer or its toSignNetwork() result { sizes, layers }.');
    }
    const L = net.layers.length;
    const specs: XnorLayerSpec[] = net.layers.map((layer, l) => {
      const base = { weights: layer.weights, inputs: layer.inputs, outputs: layer.outputs };
      if (l < L - 1) return { ...base, threshold: layer.threshold, flip: layer.flip };
      if (!layer.scale || !layer.shift) {
        throw new ArgumentError(`invalid argument. XnorNetwork.fromSte: the last layer (${l}) needs \`scale\` and \`shift\` (scores = a·scale + shift).`);
      }
      return { ...base, scale: layer.scale, bias: layer.shift };
    });
    return XnorNetwork.fromLayers(specs, opts);
  }

  /** A network from explicit layers (model files, STE). Validates shapes, padding bits and finiteness. */
  static fromLayers(specs: readonly XnorLayerSpec[], opts: XnorOptions = {}): XnorNetwork {
    if (!Array.isArray(specs) || specs.length === 0) throw new ArgumentError('invalid argument. `layers` must be a non-empty array.');
    const layers: XnorLayer[] = [];
    for (let l = 0; l < specs.length; l++) {
      const s = specs[l];
      const tw = toTernary(s, l);
      const w = tw ? tw.minus : toPacked(s, l);
      if (l > 0 && w.cols !== layers[l - 1].outputs) {
        throw new ShapeError(
          `XnorNetwork.fromLayers: layer ${l} has ${w.cols} inputs but layer ${l - 1} has ${layers[l - 1].outputs} outputs.`,
          [w.rows, w.cols],
          [w.rows, layers[l - 1].outputs],
        );
      }
      if (w.rows < 1 || w.cols < 1) throw new ShapeError(`XnorNetwork.fromLayers: layer ${l} must have at least one input and one output.`, [w.rows, w.cols]);
      const bias = realVector(s.bias, w.rows, `layers[${l}].bias`, 0);
      const last = l === specs.length - 1;
      if (last && (s.threshold != null || s.flip != null)) {
        throw new ArgumentError(`invalid argument. layers[${l}] is the output layer (scores = pre·scale + bias); it takes no threshold or flip.`);
      }
      if (!last && s.scale != null) {
        throw new ArgumentError(`invalid argument. layers[${l}] is a hidden layer; only the output layer takes a \`scale\`.`);
      }
      const threshold = s.threshold == null ? null : realVector(s.threshold, w.rows, `layers[${l}].threshold`, 0, true);
      let flip: Uint8Array | null = null;
      if (s.flip != null) {
        if (s.flip.length !== w.rows) throw new ShapeError(`layers[${l}].flip has ${s.flip.length} values, expected ${w.rows}.`, [s.flip.length], [w.rows]);
        flip = Uint8Array.from(s.flip as ArrayLike<number>, (v) => (v ? 1 : 0));
      }
      const scale = s.scale == null ? null : realVector(s.scale, w.rows, `layers[${l}].scale`, 1);
      layers.push(tw ? makeTernaryLayer(tw, bias, threshold, flip, scale) : makeLayer(w, bias, threshold, flip, scale));
    }
    return new XnorNetwork(layers, resolveInput(opts.input, layers[0].inputs), opts.backend ?? 'auto');
  }

  /** The same network on another backend (shares the layer arrays). */
  withBackend(backend: XnorBackend): XnorNetwork {
    return new XnorNetwork(this.layers.slice(), this.input, backend);
  }

  /** The same weights with another first-layer input encoding. */
  withInput(input: InputEncoding): XnorNetwork {
    return new XnorNetwork(this.layers.slice(), resolveInput(input, this.sizes[0]), this.backend);
  }

  /** Output scores [batch, K_L]: the sign network's output field W v + b, or (W v)·scale + b (float64). */
  scores(X: XnorInput): Matrix {
    const { data, offset, rows } = this.rows(X);
    const KL = this.sizes[this.sizes.length - 1];
    const out = new Float64Array(rows * KL);
    this.forwardInto(data, offset, rows, out);
    return ndarray(out, [rows, KL]);
  }

  /** Class per row: argmax of the scores (first maximum); with one output, 1 if the score is ≥ 0 else 0. */
  predict(X: XnorInput): Int32Array {
    const s = this.scores(X);
    return argmaxRows(s.data, s.shape[0], s.shape[1]);
  }

  /** Per-layer parameter and memory profile (as Larq's model summary). */
  summary(): ModelSummary {
    return summarize([this]);
  }

  /** @internal Forward rows of a row-major array into out (rows × K_L). */
  forwardInto(data: Float64Array, offset: number, rows: number, out: Float64Array): void {
    const K0 = this.sizes[0];
    const KL = this.sizes[this.sizes.length - 1];
    const CH = this.engine.chunkRows;
    for (let start = 0; start < rows; start += CH) {
      const nb = Math.min(CH, rows - start);
      const bad = this.engine.forward(data, offset + start * K0, nb, out, start * KL);
      if (bad >= 0) {
        const v = data[offset + start * K0 + bad];
        throw new NumericError(`packed network: input row ${start + Math.floor(bad / K0)}, column ${bad % K0} is ${v}; inputs must be finite.`);
      }
    }
  }

  /** @internal Validate and flatten an input batch. */
  rows(X: XnorInput): { data: Float64Array; offset: number; rows: number } {
    const K0 = this.sizes[0];
    let m: Matrix;
    if (X instanceof Float64Array) {
      if (X.length % K0 !== 0) {
        throw new ShapeError(`input has ${X.length} values, not a whole number of rows of ${K0} (the network's first layer).`, [X.length], [K0]);
      }
      return { data: X, offset: 0, rows: X.length / K0 };
    }
    if (isNdArray(X)) m = matrix(X as Matrix);
    else m = matrix(X as MatrixLike);
    if (m.shape.length !== 2 || m.shape[1] !== K0) {
      throw new ShapeError(
        `input has ${m.shape[1]} columns but the network's first layer expects ${K0} (X.shape=[${m.shape.join(', ')}]).`,
        m.shape,
        [m.shape[0], K0],
      );
    }
    const r = rowMajor(m);
    // NaN and infinite inputs are caught by the engines' own pass over the inputs (forwardInto).
    return { data: r.data, offset: r.offset, rows: r.rows };
  }
}

function makeLayer(weights: PackedMatrix, bias: Float64Array, threshold: Float64Array | null, flip: Uint8Array | null, scale: Float64Array | null): XnorLayer {
  return Object.freeze({ type: 'binaryDense', inputs: weights.cols, outputs: weights.rows, weights, plus: null, minus: null, bias, threshold, flip, scale });
}

function makeTernaryLayer(t: TernaryMasks, bias: Float64Array, threshold: Float64Array | null, flip: Uint8Array | null, scale: Float64Array | null): XnorLayer {
  const { plus, minus } = t;
  return Object.freeze({ type: 'ternaryDense', inputs: minus.cols, outputs: minus.rows, weights: minus, plus, minus, bias, threshold, flip, scale });
}

/** The backend-neutral plan the kernels run. */
export function toPlan(layers: readonly XnorLayer[], input: ResolvedInput): XnorPlan {
  return {
    input:
      input.type === 'real'
        ? { kind: 'real' }
        : input.type === 'binarize'
          ? { kind: 'binarize', threshold: input.threshold }
          : { kind: 'bitplanes', bits: input.bits, scale: input.scale, offset: input.offset },
    layers: layers.map((L) => {
      const thr = L.threshold ?? Float64Array.from(L.bias, (b) => -b);
      let nz: Int32Array | null = null;
      if (L.plus && L.minus) {
        nz = new Int32Array(L.minus.data.length);
        for (let i = 0; i < nz.length; i++) nz[i] = L.plus.data[i] | L.minus.data[i];
      }
      return { K: L.inputs, N: L.outputs, words: L.weights.data, nz, thr, flip: L.flip ?? new Uint8Array(L.outputs), scale: L.scale, bias: L.bias };
    }),
  };
}

/** Classes of score rows: the library's decision rule (argmax, first maximum; one output: ≥ 0 → 1). */
export function argmaxRows(data: ArrayLike<number>, rows: number, cols: number): Int32Array {
  return decideRows(data, rows, cols);
}

/**
 * The packed form of a store's weights: `'binary'` for ±1 weights (`'binary'`, or discrete levels exactly
 * [−1, 1]), `'ternary'` for discrete levels within {−1, 0, +1} that include 0, or null (Gaussian weights,
 * other levels).
 */
export function packedKindOf(store: PosteriorStore): 'binary' | 'ternary' | null {
  const w = store.weights as unknown;
  if (w === 'binary') return 'binary';
  if (typeof w === 'object' && w !== null) {
    const levels = (w as { levels?: readonly number[] }).levels;
    if (!levels) return null;
    if (levels.length === 2 && levels[0] === -1 && levels[1] === 1) return 'binary';
    if (levels.every((s) => s === -1 || s === 0 || s === 1) && levels.includes(0)) return 'ternary';
  }
  return null;
}

/** {@link packedKindOf}, throwing an ArgumentError for weights without a packed form. */
export function packedWeightKind(store: PosteriorStore, fn: string): 'binary' | 'ternary' {
  const kind = packedKindOf(store);
  if (kind) return kind;
  const w = store.weights as unknown;
  throw new ArgumentError(
    `invalid argument. ${fn} needs ±1 weights (weights: 'binary') or ternary weights (discrete levels within {−1, 0, +1}, e.g. ternary(0.5)); ` +
      `this posterior has ${JSON.stringify(w)} weights, which a packed network cannot hold. Use predict(store, X, 'deterministic') for the float EBP-D network.`,
  );
}

function isMasks(w: unknown): w is TernaryMasks {
  return typeof w === 'object' && w !== null && 'plus' in w && 'minus' in w;
}

/** The ternary masks of a spec (validated), or null for a binary layer. */
function toTernary(s: XnorLayerSpec, l: number): TernaryMasks | null {
  const w = s.weights as unknown;
  if (s.type !== undefined && s.type !== 'binaryDense' && s.type !== 'ternaryDense') {
    throw new ArgumentError(`invalid argument. layers[${l}].type must be 'binaryDense' or 'ternaryDense'. Value: \`${JSON.stringify(s.type)}\`.`);
  }
  if (isMasks(w)) {
    if (s.type === 'binaryDense') throw new ArgumentError(`invalid argument. layers[${l}] is 'binaryDense' but its weights are ternary masks { plus, minus }.`);
    const plus = toPacked({ weights: w.plus }, l, 'plus');
    const minus = toPacked({ weights: w.minus }, l, 'minus');
    if (plus.rows !== minus.rows || plus.cols !== minus.cols) {
      throw new ShapeError(`layers[${l}]: the +1 mask is ${plus.rows}×${plus.cols} but the −1 mask is ${minus.rows}×${minus.cols}.`, [minus.rows, minus.cols], [plus.rows, plus.cols]);
    }
    const both = firstOverlapRow(plus.data, minus.data, plus.rows, plus.cols);
    if (both >= 0) throw new ArgumentError(`invalid argument. layers[${l}] row ${both} has a weight in both the +1 and the −1 mask (the masks must be disjoint).`);
    return { plus, minus };
  }
  if (s.type !== 'ternaryDense') return null;
  const a = w as ArrayLike<number>;
  const rows = s.outputs;
  const cols = s.inputs;
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || (rows as number) < 0 || (cols as number) < 0) {
    throw new ArgumentError(`invalid argument. layers[${l}]: unpacked ternary weights need integer \`inputs\` and \`outputs\`.`);
  }
  if (!a || typeof a.length !== 'number' || a.length !== (rows as number) * (cols as number)) {
    throw new ShapeError(`layers[${l}].weights has ${a?.length} values, ${rows}×${cols} needs ${(rows as number) * (cols as number)}.`);
  }
  return packTernary(a, rows as number, cols as number);
}

function toPacked(s: Pick<XnorLayerSpec, 'weights' | 'inputs' | 'outputs'>, l: number, field = 'weights'): PackedMatrix {
  const w = s.weights as PackedMatrix | ArrayLike<number>;
  if (w && typeof w === 'object' && 'wordsPerRow' in w && (w as PackedMatrix).data instanceof Int32Array) {
    const p = w as PackedMatrix;
    if (!Number.isInteger(p.rows) || !Number.isInteger(p.cols) || p.rows < 0 || p.cols < 0 || p.wordsPerRow !== packedWords(p.cols)) {
      throw new ShapeError(`layers[${l}].${field}: a packed matrix of ${p.rows}×${p.cols} needs ${packedWords(p.cols)} words per row, has ${p.wordsPerRow}.`);
    }
    if (p.data.length !== p.rows * p.wordsPerRow) {
      throw new ShapeError(`layers[${l}].${field} has ${p.data.length} words, ${p.rows}×${p.cols} needs ${p.rows * p.wordsPerRow}.`, [p.data.length], [p.rows * p.wordsPerRow]);
    }
    const dirty = firstDirtyPaddingRow(p.data, p.rows, p.cols);
    if (dirty >= 0) throw new ArgumentError(`invalid argument. layers[${l}].${field} row ${dirty} has non-zero padding bits past column ${p.cols}.`);
    return p;
  }
  if (field !== 'weights') throw new ArgumentError(`invalid argument. layers[${l}].weights.${field} must be a packed matrix { rows, cols, wordsPerRow, data: Int32Array }.`);
  const a = w as ArrayLike<number>;
  const rows = s.outputs;
  const cols = s.inputs;
  if (!Number.isInteger(rows) || !Number.isInteger(cols)) {
    throw new ArgumentError(`invalid argument. layers[${l}]: unpacked weights need integer \`inputs\` and \`outputs\`.`);
  }
  if (a.length !== (rows as number) * (cols as number)) {
    throw new ShapeError(`layers[${l}].weights has ${a.length} values, ${rows}×${cols} needs ${(rows as number) * (cols as number)}.`);
  }
  return packSigns(a, rows as number, cols as number);
}

/** A float64 copy of n values, finite (or, with `infinite`, anything but NaN). */
function realVector(v: ArrayLike<number> | undefined | null, n: number, name: string, fill: number, infinite = false): Float64Array {
  if (v == null) return new Float64Array(n).fill(fill);
  if (v.length !== n) throw new ShapeError(`${name} has ${v.length} values, expected ${n}.`, [v.length], [n]);
  const out = Float64Array.from(v);
  for (let i = 0; i < n; i++) {
    if (infinite ? Number.isNaN(out[i]) : !Number.isFinite(out[i])) {
      throw new ArgumentError(`invalid argument. ${name}[${i}] must be ${infinite ? 'a number (±∞ allowed), not NaN' : 'finite'}. Value: \`${out[i]}\`.`);
    }
  }
  return out;
}
