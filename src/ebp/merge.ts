/**
 * The posterior as the next prior (issue 16): shard posteriors trained from one base combined into one
 * posterior, and the base's identity. Derivations: docs/algorithm.md, "Merging shard posteriors".
 */
import { ArgumentError, MismatchError } from '../errors';
import { Sha256 } from '../util/sha256';
import { requireOneOf } from '../util/validate';
import { PosteriorStore, type Backend } from './posterior';
import { isDiscrete, weightKindName, type WeightKind } from './weights';

/** Options of {@link mergePosteriors}. */
export interface MergeOptions {
  /** Names of the base and of the shards in error messages (file names); default 'base', 'shard 1', .... */
  baseName?: string;
  shardNames?: readonly string[];
  /** Backend of the merged store (default 'auto'). */
  backend?: Backend;
  /**
   * `'product'` (default): base + Σ_k (shard_k − base), the product of the base and the shards' factors
   * (Bayes' rule for disjoint data). `'average'`: base + (1/K)·Σ_k (shard_k − base), the mean of the shards'
   * natural parameters; not Bayes, but stable where the product overshoots (docs/algorithm.md, docs/scaling.md).
   */
  combine?: MergeCombine;
}

/** How {@link mergePosteriors} combines the shards: their product (Bayes) or their average. */
export type MergeCombine = 'product' | 'average';

/**
 * Combine shard posteriors that each started from `base` (EBP tilts only, spec §2.6); with `combine: 'product'`
 * (the default) every natural parameter becomes base + Σ_k (shard_k − base). For binary and discrete weights that is
 * the field h; for Gaussian weights the mean (the variance s2 is shared and unchanged); for the biases
 * (Gaussians of variance 1) b. The per-weight sum runs over the shards' differences sorted by value, so
 * the result does not depend on the order of `shards`, bit for bit; one shard comes back unchanged.
 *
 * @throws {MismatchError} a shard of other layer widths (`architecture`) or weight kind / variance (`weights`)
 */
export function mergePosteriors(base: PosteriorStore, shards: readonly PosteriorStore[], opts: MergeOptions = {}): PosteriorStore {
  if (!(base instanceof PosteriorStore)) throw new ArgumentError('invalid argument. `base` must be a PosteriorStore.');
  if (!Array.isArray(shards) || shards.length === 0 || !shards.every((s) => s instanceof PosteriorStore)) {
    throw new ArgumentError('invalid argument. `shards` must be a non-empty array of PosteriorStore.');
  }
  const combineMode = requireOneOf(opts.combine ?? 'product', 'combine', ['product', 'average']);
  const baseName = opts.baseName ?? 'base';
  shards.forEach((s, k) => checkSameFamily(base, s, baseName, opts.shardNames?.[k] ?? `shard ${k + 1}`));
  // One shard: the formula is that shard itself (base + (h − base) may differ from h in the last bit).
  if (shards.length === 1) return shards[0].clone(opts.backend ?? 'auto');
  const out = base.clone(opts.backend ?? 'auto');
  const d = new Float64Array(shards.length);
  const scale = combineMode === 'average' ? 1 / shards.length : 1;
  base.layers.forEach((L, l) => {
    combine(L.h, shards.map((s) => s.layers[l].h), out.layers[l].h, d, scale);
    combine(L.b, shards.map((s) => s.layers[l].b), out.layers[l].b, d, scale);
  });
  out.refresh();
  out.assertFinite('merged posterior');
  return out;
}

/** out[i] = base[i] + scale·Σ_k (parts[k][i] − base[i]), the differences summed in ascending order. */
function combine(base: Float64Array, parts: Float64Array[], out: Float64Array, d: Float64Array, scale: number): void {
  const K = parts.length;
  for (let i = 0; i < base.length; i++) {
    const b0 = base[i];
    for (let k = 0; k < K; k++) {
      // Insertion sort: K is small (the number of shards).
      const v = parts[k][i] - b0;
      let j = k;
      while (j > 0 && d[j - 1] > v) {
        d[j] = d[j - 1];
        j--;
      }
      d[j] = v;
    }
    let s = 0;
    for (let k = 0; k < K; k++) s += d[k];
    out[i] = b0 + (scale === 1 ? s : s * scale);
  }
}

/**
 * `other` has the layer widths and weight family of `ref` (weight kind, levels and prior, Gaussian variance),
 * so that their parameters can be combined or one can continue the other.
 *
 * @throws {MismatchError} naming what differs: `architecture` or `weights`
 */
export function checkSameFamily(ref: PosteriorStore, other: PosteriorStore, refName: string, otherName: string): void {
  if (ref.sizes.join(',') !== other.sizes.join(',')) {
    throw new MismatchError(
      `${otherName} has layer widths ${other.sizes.join('-')}, but ${refName} has ${ref.sizes.join('-')}; they must share the architecture.`,
      'architecture',
    );
  }
  const a = familyKey(ref.weights, ref.weightVariance);
  const b = familyKey(other.weights, other.weightVariance);
  if (a !== b) {
    throw new MismatchError(`${otherName} has ${describe(other)} weights, but ${refName} has ${describe(ref)}; they must share the weight kind.`, 'weights');
  }
}

function familyKey(w: WeightKind, s2: number): string {
  if (w === 'gaussian') return `gaussian:${s2}`;
  if (isDiscrete(w)) return `levels:${w.levels.join(',')};prior:${(w.prior ?? []).join(',')}`;
  return w;
}

function describe(s: PosteriorStore): string {
  return s.weights === 'gaussian' ? `gaussian (variance ${s.weightVariance})` : weightKindName(s.weights);
}

/**
 * SHA-256 (hex) of a posterior: its weight kind (and Gaussian variance), layer widths, and every h and b as
 * little-endian float64 bytes. Two stores have the same hash exactly when they hold the same parameters, bit
 * for bit (caches and backend aside): a shard model records the hash of the prior it started from, so that
 * a merge can check that all shards share its base.
 */
export function posteriorHash(store: PosteriorStore): string {
  const h = new Sha256();
  h.update(`ebp-bnn posterior;weights=${familyKey(store.weights, store.weightVariance)};sizes=${store.sizes.join(',')};`);
  for (const L of store.layers) {
    h.update(littleEndian(L.h));
    h.update(littleEndian(L.b));
  }
  return h.digestHex();
}

function littleEndian(a: Float64Array): Uint8Array {
  const out = new Uint8Array(a.length * 8);
  const view = new DataView(out.buffer);
  for (let i = 0; i < a.length; i++) view.setFloat64(8 * i, a[i], true);
  return out;
}
