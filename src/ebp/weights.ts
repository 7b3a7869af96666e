import { ArgumentError } from '../errors';

/**
 * Kinds of weight posterior (spec §3):
 * - `'binary'`: W ∈ {−1, +1}, q(W) ∝ exp(h·W); mean tanh h, variance sech² h.
 * - `'gaussian'`: W ~ N(h, s2) with fixed s2 = `weightVariance`; mean h, variance s2.
 */
export type WeightKind = 'binary' | 'gaussian';

export function assertWeightKind(w: unknown): asserts w is WeightKind {
  if (w !== 'binary' && w !== 'gaussian') {
    throw new ArgumentError(`invalid argument. \`weights\` must be 'binary' or 'gaussian'. Value: \`${JSON.stringify(w)}\`.`);
  }
}
