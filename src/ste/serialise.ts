/**
 * Serialisation of the STE network's storage: its parameters (latent weights, batch-norm parameters and running
 * statistics, or biases) and its Adam moments as plain row-major copies, out and back in with validation. The
 * trainer's state()/setState() (trainer-state.ts) are built from these.
 */
import { NumericError } from '../errors';
import { argumentError, formatValue } from '../util/validate';
import { panelToRows, pidx, type SmallArrays, type SteLayerMoments, type SteLayerParameters, type SteStorage } from './layers';
import { clipLatent } from './quantizer';

/** Per-neuron arrays by their public name and their storage field: with batch norm, or with a bias. */
const BN_PARAMETERS = [['gamma', 'gamma'], ['beta', 'beta'], ['runningMean', 'runningMean'], ['runningVar', 'runningVar']] as const;
const BIAS_PARAMETERS = [['bias', 'bias']] as const;
const BN_MOMENTS = [['gammaM', 'mGamma'], ['gammaV', 'vGamma'], ['betaM', 'mBeta'], ['betaV', 'vBeta']] as const;
const BIAS_MOMENTS = [['biasM', 'mBias'], ['biasV', 'vBias']] as const;
type Fields<Name extends string> = readonly (readonly [Name, keyof SmallArrays])[];

/** Copies of the per-neuron arrays `fields` of a layer, under their public names (in the order listed). */
function copyFields<Name extends string>(sm: SmallArrays, fields: Fields<Name>): Partial<Record<Name, Float64Array>> {
  const out: Partial<Record<Name, Float64Array>> = {};
  for (const [name, field] of fields) out[name] = sm[field].slice();
  return out;
}

/** Latent parameters and batch-norm statistics (or biases) of every layer, row-major copies. */
export function readParameters(store: SteStorage): SteLayerParameters[] {
  return store.shapes.map(({ K, N }, l) => ({
    inputs: K,
    outputs: N,
    weights: panelToRows(store.big[l].w, N, K),
    ...copyFields(store.small[l], store.settings.batchNorm ? BN_PARAMETERS : BIAS_PARAMETERS),
  }));
}

/** Replace parameters (any subset per layer); weights pass the quantizer's clip to [−1, 1]. Adam state is kept. */
export function writeParameters(store: SteStorage, layers: readonly Partial<SteLayerParameters>[]): void {
  if (layers.length !== store.shapes.length) {
    throw argumentError(`setParameters expects ${store.shapes.length} layers, got ${layers.length}.`);
  }
  layers.forEach((p, l) => {
    const { N } = store.shapes[l];
    const sm = store.small[l];
    const put = (name: string, src: Float64Array | undefined, dst: Float64Array, len: number) => {
      if (src === undefined) return;
      if (src.length !== len) throw argumentError(`layer ${l} ${name} must have ${len} values, got ${src.length}.`);
      for (let i = 0; i < len; i++) {
        if (!Number.isFinite(src[i])) throw new NumericError(`layer ${l} ${name}[${i}] is ${src[i]}; parameters must be finite.`);
      }
      dst.set(src);
    };
    if (p.weights !== undefined) writeWeights(store, l, p.weights);
    for (const [name, field] of [...BN_PARAMETERS, ...BIAS_PARAMETERS]) put(name, p[name], sm[field], N);
    if (p.runningVar !== undefined && p.runningVar.some((v) => v < 0)) throw argumentError(`layer ${l} runningVar must be ≥ 0.`);
  });
}

/** Row-major latent weights of layer l into the panel store (clipped), and its signs. */
function writeWeights(store: SteStorage, l: number, weights: Float64Array): void {
  const { K, N } = store.shapes[l];
  if (weights.length !== N * K) throw argumentError(`layer ${l} weights must have ${N * K} values, got ${weights.length}.`);
  const w = store.big[l].w;
  for (let n = 0; n < N; n++) {
    for (let k = 0; k < K; k++) {
      const x = weights[n * K + k];
      if (!Number.isFinite(x)) throw new NumericError(`layer ${l} weights[${n * K + k}] is ${x}; parameters must be finite.`);
      w[pidx(n, k, K)] = clipLatent(x);
    }
  }
  store.refreshSigns(l);
}

/** The Adam moments of every layer (row-major copies). */
export function readMoments(store: SteStorage): SteLayerMoments[] {
  return store.shapes.map(({ K, N }, l) => {
    const b = store.big[l];
    return {
      weightsM: panelToRows(b.m, N, K),
      weightsV: panelToRows(b.v, N, K),
      ...copyFields(store.small[l], store.settings.batchNorm ? BN_MOMENTS : BIAS_MOMENTS),
    };
  });
}

/**
 * Replace the Adam moments (every array of every layer, as {@link readMoments} gives them; second moments ≥ 0),
 * after checking them and the step count `step` (which the caller then adopts). Nothing changes on an error.
 */
export function writeMoments(store: SteStorage, layers: readonly SteLayerMoments[], step: number): void {
  if (layers.length !== store.shapes.length) {
    throw argumentError(`setMoments expects ${store.shapes.length} layers, got ${layers.length}.`);
  }
  if (!Number.isSafeInteger(step) || step < 0) throw argumentError(`The Adam step count must be a non-negative integer. Value: \`${formatValue(step)}\`.`);
  const fields = store.settings.batchNorm ? BN_MOMENTS : BIAS_MOMENTS;
  // Validate everything before changing anything.
  layers.forEach((p, l) => {
    const { K, N } = store.shapes[l];
    checkMoment(l, 'weightsM', p.weightsM, N * K, false);
    checkMoment(l, 'weightsV', p.weightsV, N * K, true);
    for (const [name] of fields) checkMoment(l, name, p[name], N, name.endsWith('V'));
  });
  layers.forEach((p, l) => {
    const { K, N } = store.shapes[l];
    const b = store.big[l];
    for (let n = 0; n < N; n++) {
      for (let k = 0; k < K; k++) {
        b.m[pidx(n, k, K)] = p.weightsM[n * K + k];
        b.v[pidx(n, k, K)] = p.weightsV[n * K + k];
      }
    }
    const sm = store.small[l];
    for (const [name, field] of fields) sm[field].set(p[name] as Float64Array);
  });
}

function checkMoment(l: number, name: string, a: Float64Array | undefined, len: number, second: boolean): void {
  if (!(a instanceof Float64Array) || a.length !== len) {
    throw argumentError(`layer ${l} ${name} must be a Float64Array of ${len} values, got ${a === undefined ? 'none' : (a as { length?: unknown }).length}.`);
  }
  for (let i = 0; i < len; i++) {
    if (!Number.isFinite(a[i]) || (second && a[i] < 0)) throw new NumericError(`layer ${l} ${name}[${i}] is ${a[i]}; Adam moments must be finite${second ? ' and ≥ 0' : ''}.`);
  }
}

/** Throws a NumericError when a parameter is not finite. */
export function assertFinite(store: SteStorage, where: string): void {
  for (let l = 0; l < store.shapes.length; l++) {
    const sm = store.small[l];
    for (const [name, a] of [['weights', store.big[l].w], ['gamma', sm.gamma], ['beta', sm.beta], ['running mean', sm.runningMean], ['running var', sm.runningVar], ['bias', sm.bias]] as const) {
      for (let i = 0; i < a.length; i++) {
        if (!Number.isFinite(a[i])) throw new NumericError(`STE layer ${l} ${name} became ${a[i]} ${where}; try a smaller learning rate.`);
      }
    }
  }
}
