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
import ndarray from 'ndarray';
import { ArgumentError, NumericError, ShapeError } from '../errors';
import type { PosteriorStore } from '../ebp/posterior';
import type { SampleOptions } from '../ebp/sample';
import { createXnorEngine, type XnorBackend, type XnorEngine, type XnorPlan } from '../kernels/xnor';
import { matrix, rowMajor, isNdArray, type Matrix, type MatrixLike } from '../tensor/matrix';
import { voteShares } from '../eval/probability';
import { decideRows } from '../util/decide';
import type { SignNetwork } from '../ste/fold';
import { resolveInput, type InputEncoding, type ResolvedInput } from './input';
import { layersFromSpecs, type XnorLayer, type XnorLayerSpec } from './layers';
import { mostProbableLayers, sampledMemberLayers } from './posterior';
import { summarize, type ModelSummary } from './summary';

export type { XnorLayer, XnorLayerSpec, XnorLayerType } from './layers';
export { packedKindOf, packedWeightKind } from './posterior';

/** How a packed network reads its inputs and which kernels it runs ({@link XnorNetwork.fromPosterior}, {@link XnorNetwork.fromLayers} and friends). */
export interface XnorOptions {
  /** First-layer input encoding. Default `{ type: 'real' }`. */
  input?: InputEncoding;
  /** Kernel backend. Default `'auto'` (WebAssembly when available, else pure TypeScript). */
  backend?: XnorBackend;
}

/** Anything `scores`/`predict` accept: a matrix [batch, K_0], nested rows, or one flat row-major Float64Array. */
export type XnorInput = Matrix | MatrixLike | Float64Array;

/**
 * A bit-packed binary (or ternary) network: ±1 weights in 32-bit words, each layer's dot products by
 * XNOR and popcount, real-valued first-layer inputs read as they are, as bit planes or binarised. Built
 * from an EBP posterior (EBP-D), an STE network, explicit layers, or a model file ({@link decodeModel}).
 *
 * @example
 * ```ts
 * import { PosteriorStore, XnorNetwork, matrix, predict } from 'ebp-bnn';
 *
 * const store = PosteriorStore.init([4, 16, 3], { weights: 'binary', seed: 2 });
 * const net = XnorNetwork.fromPosterior(store); // EBP-D, packed
 * const X = matrix([[0.5, -1, 2, 0], [1, 1, -0.5, 0.3]]);
 * console.log(net.predict(X), predict(store, X, 'deterministic').classes); // the same classes
 * console.log(net.summary().packedBytes, 'bytes of packed weights and biases');
 * ```
 */
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
    const layers = mostProbableLayers(store, 'XnorNetwork.fromPosterior');
    return new XnorNetwork(layers, resolveInput(opts.input, store.sizes[0]), opts.backend ?? 'auto');
  }

  /**
   * An ensemble of `members` networks with weights drawn from the posterior q, biases kept; it predicts
   * the argmax of the members' mean sign output (spec §8). Binary weights: W = +1 with probability
   * (1 + tanh h)/2. Discrete levels within {−1, 0, +1}: W = s with probability q(s) ∝ π(s)e^{h s},
   * ternary members (drawn by src/ebp/sample.ts). Other weights raise an ArgumentError (see
   * {@link XnorNetwork.fromPosterior}).
   */
  static sampleEnsemble(store: PosteriorStore, opts: EnsembleOptions): XnorEnsemble {
    const members = sampledMemberLayers(store, opts, 'XnorNetwork.sampleEnsemble');
    return new XnorEnsemble(members.map((layers) => XnorNetwork.fromLayers(layers, { input: opts.input, backend: opts.backend })));
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
    const layers = layersFromSpecs(specs);
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
    return decideRows(s.data, s.shape[0], s.shape[1]);
  }

  /** Per-layer parameter and memory profile (as Larq's model summary). */
  summary(): ModelSummary {
    return summarize([this]);
  }

  /**
   * @internal Forward rows of a row-major array into out (rows × K_L). `firstRow` numbers the rows in
   * error messages (a worker thread runs rows firstRow.. of the caller's batch). Each row's scores
   * depend on that row alone, so any split of a batch into row ranges gives the same bytes.
   */
  forwardInto(data: Float64Array, offset: number, rows: number, out: Float64Array, firstRow = 0): void {
    const K0 = this.sizes[0];
    const KL = this.sizes[this.sizes.length - 1];
    const CH = this.engine.chunkRows;
    for (let start = 0; start < rows; start += CH) {
      const nb = Math.min(CH, rows - start);
      const bad = this.engine.forward(data, offset + start * K0, nb, out, start * KL);
      if (bad >= 0) {
        const v = data[offset + start * K0 + bad];
        throw new NumericError(`packed network: input row ${firstRow + start + Math.floor(bad / K0)}, column ${bad % K0} is ${v}; inputs must be finite.`);
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

/** {@link XnorNetwork.sampleEnsemble}'s options: the draws (`members`, `seed`, default 0) and the members' input and backend. */
export interface EnsembleOptions extends SampleOptions {
  input?: InputEncoding;
  backend?: XnorBackend;
}

/**
 * Posterior ensembles of packed networks (spec §8, "Ensembles"): members whose weights are drawn from the
 * EBP posterior ({@link XnorNetwork.sampleEnsemble}), combined by the mean of their sign outputs, as
 * `predict_sampled` of the reference implementation. For deep binary networks this is how an EBP network
 * should be deployed: on MNIST-10k the reference gets 5.1% test error with 16 members for 784-500-500-10,
 * where EBP-D (one network with the most probable weights) gets 15.8%. (It lives beside `XnorNetwork`
 * because `XnorNetwork.sampleEnsemble` builds it.)
 */
export class XnorEnsemble {
  readonly members: readonly XnorNetwork[];
  readonly sizes: readonly number[];
  readonly input: ResolvedInput;

  /** An ensemble of existing networks; they must have the same widths and input encoding. */
  constructor(members: readonly XnorNetwork[]) {
    if (!Array.isArray(members) || members.length === 0) throw new ArgumentError('invalid argument. An ensemble needs at least one member.');
    const first = members[0];
    for (let m = 1; m < members.length; m++) {
      if (members[m].sizes.join(',') !== first.sizes.join(',')) {
        throw new ShapeError(`ensemble member ${m} has widths [${members[m].sizes}] but member 0 has [${first.sizes}].`);
      }
      if (!sameInput(members[m].input, first.input)) {
        throw new ArgumentError(`invalid argument. Ensemble member ${m} reads its inputs differently from member 0 (${members[m].input.type} vs ${first.input.type}).`);
      }
    }
    this.members = Object.freeze(members.slice());
    this.sizes = first.sizes;
    this.input = first.input;
  }

  /** `'wasm'` or `'js'`: the kernels the members run. */
  get backend(): 'wasm' | 'js' {
    return this.members[0].backend;
  }

  /** The same members on another backend. */
  withBackend(backend: XnorBackend): XnorEnsemble {
    return new XnorEnsemble(this.members.map((m) => m.withBackend(backend)));
  }

  /** Mean over members of the sign of each output (sign(0) = +1): [batch, K_L], values in [−1, 1]. */
  scores(X: XnorInput): Matrix {
    const first = this.members[0];
    const { data, offset, rows } = first.rows(X);
    const KL = this.sizes[this.sizes.length - 1];
    const acc = new Float64Array(rows * KL);
    this.scoresInto(data, offset, rows, acc);
    return ndarray(acc, [rows, KL]);
  }

  /**
   * @internal The mean sign outputs of rows of a row-major array into acc (rows × K_L, overwritten);
   * per row, members in order, so any split of a batch into row ranges gives the same bytes.
   */
  scoresInto(data: Float64Array, offset: number, rows: number, acc: Float64Array, firstRow = 0): void {
    const n = rows * this.sizes[this.sizes.length - 1];
    const buf = new Float64Array(n);
    acc.fill(0, 0, n);
    for (const m of this.members) {
      m.forwardInto(data, offset, rows, buf, firstRow);
      for (let i = 0; i < n; i++) acc[i] += buf[i] < 0 ? -1 : 1;
    }
    const M = this.members.length;
    for (let i = 0; i < n; i++) acc[i] /= M;
  }

  /** Class per row: argmax of the mean sign output (first maximum); one output: 1 if the mean is ≥ 0. */
  predict(X: XnorInput): Int32Array {
    const s = this.scores(X);
    return decideRows(s.data, s.shape[0], s.shape[1]);
  }

  /**
   * Vote shares [batch, classes], each row summing to 1. With several outputs, class k's share of all
   * the members' +1 votes: (1 + s̄_k) / Σ_j (1 + s̄_j) (uniform when no member votes +1 anywhere), so the
   * argmax is the prediction. With one output, [share voting −1, share voting +1].
   */
  probabilities(X: XnorInput): Matrix {
    const s = this.scores(X);
    const [rows, KL] = s.shape;
    return ndarray(voteShares(s.data, rows, KL), [rows, KL === 1 ? 2 : KL]);
  }

  /** Parameter and memory profile of all members together. */
  summary(): ModelSummary {
    return summarize(this.members);
  }
}

function sameInput(a: ResolvedInput, b: ResolvedInput): boolean {
  if (a.type !== b.type) return false;
  if (a.type === 'bitplanes' && b.type === 'bitplanes') return a.bits === b.bits && a.scale === b.scale && a.offset === b.offset;
  if (a.type === 'binarize' && b.type === 'binarize') return a.threshold.every((t, j) => Object.is(t, b.threshold[j]));
  return true;
}
