/**
 * Folding a trained STE network into the sign network the packed (XNOR/popcount) engine runs.
 *
 * Inference of the STE network (SteTrainer.predict), layer l with input v (the real input row for l = 0, ±1
 * values after) and a = sign(W)·v:
 *   y = fl(fl(a·scale) + shift)        (batch norm: scale = γ/√(running var + ε), shift = β − running mean·scale;
 *                                        no batch norm: scale = 1/√(K+1), shift = bias·scale)
 *   hidden layers: v' = +1 if y ≥ 0 else −1 (sign(0) = +1);  last layer: scores = y, class = argmax (first maximum).
 *
 * Folded form. For a hidden neuron, y ≥ 0 is a monotone condition on a (non-decreasing in a when scale > 0,
 * non-increasing when scale < 0), so it is exactly
 *   fires  ⇔  (flip ? −1 : 1)·(a − threshold) ≥ 0,
 * with threshold the smallest double a at which y ≥ 0 holds (scale > 0, flip = 0), or the largest (scale < 0,
 * flip = 1: fires ⇔ a ≤ threshold). The threshold is found by bisection over the doubles with the very
 * expression predict evaluates, so the folded rule reproduces predict bit for bit for every finite a, including
 * ties: a = threshold fires (+1), consistent with sign(0) = +1. (Mathematically threshold = mean − β·√(var+ε)/γ,
 * i.e. −shift/scale, up to the rounding of that formula.) Degenerate cases: scale = 0 (γ = 0) gives a constant
 * neuron, threshold −∞ (always +1, when shift ≥ 0) or +∞ (always −1), flip 0; a neuron that fires for every
 * finite a gets −∞ (flip 0) or +∞ (flip 1), one that never fires +∞ (flip 0) or −∞ (flip 1).
 *
 * Last layer: scores_k = fl(fl(a_k·scale_k) + shift_k), the exact affine map predict uses (its argmax is
 * predict's class); threshold/flip describe score ≥ 0 as for hidden neurons (for a single-output network,
 * class 1 ⇔ score ≥ 0).
 *
 * The comparison needs a itself: for hidden layers a is an integer (K − 2·popcount(v ⊕ w) in the packed
 * encoding), exact in any order; for the first layer with real inputs, a must be the float64 sum in input order
 * (k = 0, 1, …) to match predict bit for bit. Thresholds are float64; rounding them to float32 loses the
 * exactness.
 */
import type { SteNetwork } from './network';
import { steSign } from './quantizer';

/** One layer of a {@link SignNetwork}: sign weights and, per neuron, the folded threshold and direction. */
export interface SignLayer {
  inputs: number;
  outputs: number;
  /** sign(W) ∈ {−1, +1} (sign(0) = +1), row-major [outputs, inputs]. */
  weights: Float64Array;
  /** Per output: the firing threshold on a = W·v (see flip). */
  threshold: Float64Array;
  /** Per output: 0 → fires iff a ≥ threshold; 1 → fires iff a ≤ threshold (negative batch-norm scale). */
  flip: Uint8Array;
  /** Per output: score = a·scale + shift (one rounding each); present on the last layer. */
  scale?: Float64Array;
  shift?: Float64Array;
}

/** A trained STE network folded into pure sign neurons ({@link SteTrainer.toSignNetwork}). */
export interface SignNetwork {
  /** Layer widths [inputs, ...hidden, outputs]. */
  sizes: number[];
  layers: SignLayer[];
}

/** The neuron's decision in predict's form: fl(fl(a·scale) + shift) ≥ 0. */
export function firesAffine(a: number, scale: number, shift: number): boolean {
  return a * scale + shift >= 0;
}

const view = new DataView(new ArrayBuffer(8));
const SIGN = 1n << 63n;

/** Order-preserving map of finite doubles to integers (−0 and +0 both map to 0). */
function key(x: number): bigint {
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  return bits & SIGN ? -(bits & ~SIGN) : bits;
}

function unkey(k: bigint): number {
  view.setBigUint64(0, k < 0n ? -k | SIGN : k);
  return view.getFloat64(0);
}

/**
 * The smallest finite double a with holds(a), for a predicate that is false at −MAX and true at MAX and changes
 * once in between: bisection over the ordered doubles, invariant !holds(lo), holds(hi).
 */
function firstHolding(holds: (a: number) => boolean): bigint {
  let lo = key(-Number.MAX_VALUE);
  let hi = key(Number.MAX_VALUE);
  while (hi - lo > 1n) {
    const mid = (lo + hi) >> 1n;
    if (holds(unkey(mid))) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** The folded rule of one neuron (see the module comment). */
export function foldNeuron(scale: number, shift: number): { threshold: number; flip: 0 | 1 } {
  if (Number.isNaN(scale) || Number.isNaN(shift)) throw new RangeError(`foldNeuron: scale ${scale} and shift ${shift} must not be NaN.`);
  if (scale === 0) return { threshold: firesAffine(0, scale, shift) ? -Infinity : Infinity, flip: 0 };
  const MAX = Number.MAX_VALUE;
  const fires = (a: number) => firesAffine(a, scale, shift);
  if (scale > 0) {
    if (fires(-MAX)) return { threshold: -Infinity, flip: 0 };
    if (!fires(MAX)) return { threshold: Infinity, flip: 0 };
    // Smallest a with fires(a).
    return { threshold: unkey(firstHolding(fires)), flip: 0 };
  }
  if (fires(MAX)) return { threshold: Infinity, flip: 1 };
  if (!fires(-MAX)) return { threshold: -Infinity, flip: 1 };
  // Largest a with fires(a): the double just below the smallest a that does not fire.
  return { threshold: unkey(firstHolding((a) => !fires(a)) - 1n), flip: 1 };
}

/** The folded decision: (flip ? −1 : 1)·(a − threshold) ≥ 0. */
export function firesFolded(a: number, threshold: number, flip: number): boolean {
  const d = a - threshold;
  return (flip ? -d : d) >= 0;
}

/**
 * The folded sign network of a trained STE network (SteTrainer.toSignNetwork): per layer sign(W) (the
 * quantizer's sign, row-major), each neuron's threshold and flip from {@link foldNeuron} on the inference affine
 * map, and on the last layer that map's scale and shift.
 */
export function foldNetwork(net: SteNetwork): SignNetwork {
  const params = net.parameters();
  const L = params.length;
  const layers: SignLayer[] = params.map((p, l) => {
    const { inputs, outputs } = p;
    const weights = new Float64Array(inputs * outputs);
    for (let i = 0; i < weights.length; i++) weights[i] = steSign(p.weights[i]);
    const { scale, shift } = net.inferenceAffine(l);
    const threshold = new Float64Array(outputs);
    const flip = new Uint8Array(outputs);
    for (let n = 0; n < outputs; n++) {
      const f = foldNeuron(scale[n], shift[n]);
      threshold[n] = f.threshold;
      flip[n] = f.flip;
    }
    const layer: SignLayer = { inputs, outputs, weights, threshold, flip };
    if (l === L - 1) {
      layer.scale = scale.slice();
      layer.shift = shift.slice();
    }
    return layer;
  });
  return { sizes: net.sizes.slice(), layers };
}
