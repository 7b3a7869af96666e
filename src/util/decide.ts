/**
 * The class decision of spec §8, shared by every network in the library: argmax over the outputs (the
 * first maximum); with a single output, class 1 when the score is ≥ 0, else 0 (sign(0) = +1).
 */
export function decide(data: ArrayLike<number>, o: number, K: number): number {
  if (K === 1) return data[o] < 0 ? 0 : 1;
  return argmax(data, o, K);
}

/**
 * The first maximum of data[o..o+K): the top class of a row of class probabilities (no single-output sign
 * rule: a probability row always has one column per class).
 */
export function argmax(data: ArrayLike<number>, o: number, K: number): number {
  let best = 0;
  let bv = data[o];
  for (let k = 1; k < K; k++) {
    if (data[o + k] > bv) {
      bv = data[o + k];
      best = k;
    }
  }
  return best;
}

/** {@link decide} for `rows` rows of width K starting at `offset`, into `out`. */
export function decideRows(data: ArrayLike<number>, rows: number, K: number, offset = 0, out = new Int32Array(rows)): Int32Array {
  for (let n = 0; n < rows; n++) out[n] = decide(data, offset + n * K, K);
  return out;
}
