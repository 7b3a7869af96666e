/**
 * A slow float64 sign-network reference for the packed networks (test-only, independent of src/xnor and
 * src/kernels): plain nested loops over ±1 weights, inputs encoded as documented in src/xnor/input.ts.
 */
import { createRng, type Rng } from '../../../src/util/random';

export interface RefLayer {
  /** ±1 weights, [outputs][inputs]. */
  w: number[][];
  b: number[];
  threshold?: number[];
  flip?: boolean[];
}

export type RefInput =
  | { type: 'real' }
  | { type: 'binarize'; threshold: number[] }
  | { type: 'bitplanes'; bits: number; scale: number; offset: number };

/** The input the first layer sees (x̃ for bit planes, ±1 for binarised inputs). */
export function encodeRef(x: number[], input: RefInput): number[] {
  if (input.type === 'real') return x.slice();
  if (input.type === 'binarize') return x.map((v, j) => (v >= input.threshold[j] ? 1 : -1));
  const top = 2 ** input.bits - 1;
  return x.map((v) => {
    const u = (v - input.offset) / input.scale;
    const q = Number.isNaN(u) || u < 0.5 ? 0 : u >= top ? top : Math.floor(u + 0.5);
    return input.offset + input.scale * q;
  });
}

/** Scores of one row: hidden v = sign(W v + b) (sign(0) = +1) or against threshold/flip; output W v + b. */
export function refScores(layers: RefLayer[], x: number[], input: RefInput): number[] {
  let v = encodeRef(x, input);
  for (let l = 0; l < layers.length; l++) {
    const L = layers[l];
    const pre = L.w.map((row) => {
      let s = 0;
      for (let j = 0; j < row.length; j++) s += row[j] * v[j];
      return s;
    });
    if (l === layers.length - 1) return pre.map((s, k) => s + L.b[k]);
    v = pre.map((s, k) => {
      if (L.threshold) return (L.flip?.[k] ? s <= L.threshold[k] : s >= L.threshold[k]) ? 1 : -1;
      return s + L.b[k] >= 0 ? 1 : -1;
    });
  }
  throw new Error('no layers');
}

/** Σ_j |w_j v_j| + |b| of every output of the last layer: the scale of its rounding error. */
export function refMagnitudes(layers: RefLayer[], x: number[], input: RefInput): number[] {
  const last = layers[layers.length - 1];
  let v = encodeRef(x, input);
  if (layers.length > 1) {
    // the last hidden layer's ±1 outputs: run the reference on the network without its output layer,
    // whose new last layer's "scores" are the hidden pre-activations plus bias
    const hidden = layers.slice(0, -1);
    const top = hidden[hidden.length - 1];
    const s = refScores(hidden.map((L, l) => (l === hidden.length - 1 ? { ...L, b: L.b.map(() => 0) } : L)), x, input);
    v = s.map((pre, k) => {
      if (top.threshold) return (top.flip?.[k] ? pre <= top.threshold[k] : pre >= top.threshold[k]) ? 1 : -1;
      return pre + top.b[k] >= 0 ? 1 : -1;
    });
  }
  return last.w.map((row, k) => row.reduce((a, w, j) => a + Math.abs(w * v[j]), Math.abs(last.b[k])));
}

/** Random widths not multiples of 32 or 64 (mostly), 1..3 hidden layers. */
export function randomSizes(rng: Rng, maxWidth = 150): number[] {
  const hidden = 1 + rng.int(3);
  const pick = () => {
    let k = 1 + rng.int(maxWidth);
    if (k % 32 === 0) k += 1;
    return k;
  };
  return [pick(), ...Array.from({ length: hidden }, pick), 1 + rng.int(12)];
}

export interface RandomNetOptions {
  /** Fraction of biases that are integers (zero pre-activations with binary inputs). Default 0.5. */
  integerBias?: number;
  /** Give some hidden layers STE-style thresholds and flips. */
  thresholds?: boolean;
}

export function randomLayers(rng: Rng, sizes: number[], opts: RandomNetOptions = {}): RefLayer[] {
  const intFrac = opts.integerBias ?? 0.5;
  const layers: RefLayer[] = [];
  for (let l = 0; l + 1 < sizes.length; l++) {
    const K = sizes[l];
    const N = sizes[l + 1];
    const w = Array.from({ length: N }, () => Array.from({ length: K }, () => (rng.next() < 0.5 ? -1 : 1)));
    const b = Array.from({ length: N }, () => {
      if (rng.next() < intFrac) return rng.int(5) - 2;
      return (rng.next() - 0.5) * 2 * Math.sqrt(K);
    });
    const L: RefLayer = { w, b };
    if (opts.thresholds && l + 2 < sizes.length && rng.next() < 0.7) {
      L.threshold = Array.from({ length: N }, () => (rng.next() < 0.5 ? rng.int(7) - 3 : (rng.next() - 0.5) * Math.sqrt(K)));
      L.flip = Array.from({ length: N }, () => rng.next() < 0.3);
    }
    layers.push(L);
  }
  return layers;
}

export type RowKind = 'gauss' | 'int' | 'byte' | 'unit' | 'sparse-gauss' | 'sparse-byte';

/** Random rows; the sparse kinds are 85% zeros, with runs of zeros (whole empty bytes and words) like images. */
export function randomRows(rng: Rng, n: number, K: number, kind: RowKind): number[][] {
  if (kind === 'sparse-gauss' || kind === 'sparse-byte') {
    return Array.from({ length: n }, () => {
      const lo = rng.int(K);
      const hi = Math.min(K, lo + 1 + rng.int(Math.max(1, K >> 1)));
      return Array.from({ length: K }, (_, j) => (j < lo || j >= hi || rng.next() < 0.4 ? 0 : kind === 'sparse-gauss' ? rng.normal() : rng.int(256)));
    });
  }
  return Array.from({ length: n }, () =>
    Array.from({ length: K }, () => {
      switch (kind) {
        case 'gauss':
          return rng.normal();
        case 'int':
          return rng.int(7) - 3;
        case 'byte':
          return rng.int(256);
        case 'unit':
          return rng.int(256) / 255;
      }
    }),
  );
}

export { createRng };

export interface TernaryNetOptions extends RandomNetOptions {
  /** Probability of a zero weight (default: a random value in [0.1, 0.9] per layer). */
  zeroFraction?: number;
  /** Make some rows entirely zero (n = 0: the dot is 0 whatever the input). Default false. */
  zeroRows?: boolean;
}

/** Random ternary layers: weights in {−1, 0, +1}; integer biases (zero pre-activations) for half of the units by default. */
export function randomTernaryLayers(rng: Rng, sizes: number[], opts: TernaryNetOptions = {}): RefLayer[] {
  const layers = randomLayers(rng, sizes, opts);
  return layers.map((L) => {
    const z = opts.zeroFraction ?? 0.1 + 0.8 * rng.next();
    const w = L.w.map((row) => {
      if (opts.zeroRows && rng.next() < 0.1) return row.map(() => 0);
      return row.map((v) => (rng.next() < z ? 0 : v));
    });
    return { ...L, w };
  });
}
