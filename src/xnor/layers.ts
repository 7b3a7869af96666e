/**
 * The layers of a packed network: their types, how they are built, and the validation of explicit layers
 * (`XnorNetwork.fromLayers`: shapes, padding bits, disjoint ternary masks, finite reals).
 */
import { ArgumentError, ShapeError } from '../errors';
import { firstDirtyPaddingRow, firstOverlapRow, packSigns, packTernary, packedWords, type PackedMatrix, type TernaryMasks } from './bitpack';

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

/** Validated layers from specs (the body of `XnorNetwork.fromLayers`). */
export function layersFromSpecs(specs: readonly XnorLayerSpec[]): XnorLayer[] {
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
  return layers;
}

export function makeLayer(weights: PackedMatrix, bias: Float64Array, threshold: Float64Array | null, flip: Uint8Array | null, scale: Float64Array | null): XnorLayer {
  return Object.freeze({ type: 'binaryDense', inputs: weights.cols, outputs: weights.rows, weights, plus: null, minus: null, bias, threshold, flip, scale });
}

export function makeTernaryLayer(t: TernaryMasks, bias: Float64Array, threshold: Float64Array | null, flip: Uint8Array | null, scale: Float64Array | null): XnorLayer {
  const { plus, minus } = t;
  return Object.freeze({ type: 'ternaryDense', inputs: minus.cols, outputs: minus.rows, weights: minus, plus, minus, bias, threshold, flip, scale });
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
