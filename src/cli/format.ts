/** Small text helpers shared by the commands' output lines. */

/** `n word` with an `s` unless n is 1 ("1 epoch", "3 epochs"). */
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** A loss for a progress line: 4 decimals, or 3 significant digits once large (a runaway −log Z like 2.18e+23). */
export function formatLoss(x: number): string {
  return Math.abs(x) < 1e4 ? x.toFixed(4) : x.toPrecision(3);
}
