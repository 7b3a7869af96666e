/**
 * The packed forms of an EBP posterior (spec §8): which weight kinds have one, the EBP-D layers (the most
 * probable weights) and the layers of ensemble members drawn from the posterior by the one sampler of the
 * library (src/ebp/sample.ts), packed: ±1 draws as binary layers, {−1, 0, +1} draws as ternary layers.
 */
import { ArgumentError } from '../errors';
import type { PosteriorStore } from '../ebp/posterior';
import { PosteriorSampler, sampleStream, type SampleOptions } from '../ebp/sample';
import { packSigns, packTernary } from './bitpack';
import { makeLayer, makeTernaryLayer, type XnorLayer, type XnorLayerSpec } from './layers';

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

/** EBP-D layers: the most probable weights (`store.layers[l].map`) packed, real biases copied. */
export function mostProbableLayers(store: PosteriorStore, fn: string): XnorLayer[] {
  const kind = packedWeightKind(store, fn);
  return store.layers.map((L) => {
    const bias = Float64Array.from(L.b);
    if (kind === 'binary') return makeLayer(packSigns(L.map, L.outputs, L.inputs), bias, null, null, null);
    return makeTernaryLayer(packTernary(L.map, L.outputs, L.inputs), bias, null, null, null);
  });
}

/** The layers of `members` networks drawn from the posterior (createRng(seed)), biases kept. */
export function sampledMemberLayers(store: PosteriorStore, opts: SampleOptions, fn: string): XnorLayerSpec[][] {
  const kind = packedWeightKind(store, fn);
  const { members, rng } = sampleStream(opts);
  const sampler = new PosteriorSampler(store);
  const out: XnorLayerSpec[][] = [];
  for (let m = 0; m < members; m++) {
    const w = sampler.draw(rng);
    out.push(
      store.layers.map((L, l): XnorLayerSpec => ({
        weights: kind === 'binary' ? packSigns(w[l], L.outputs, L.inputs) : packTernary(w[l], L.outputs, L.inputs),
        bias: L.b,
      })),
    );
  }
  return out;
}
