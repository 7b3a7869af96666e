/**
 * Serialisation of the STE network's storage: its parameters (latent weights, batch-norm parameters and running
 * statistics, or biases) and its Adam moments as plain row-major copies, out and back in with validation. The
 * trainer's state()/setState() (trainer-state.ts) are built from these.
 */
import { NumericError } from '../errors';
import { argumentError, formatValue } from '../util/validate';
import { panelToRows, pidx, type SteLayerMoments, type SteLayerParameters, type SteStorage } from './layers';
import { clipLatent } from './quantizer';

/** Latent parameters and batch-norm statistics (or biases) of every layer, row-major copies. */
export function readParameters(store: SteStorage): SteLayerParameters[] {
  return store.shapes.map(({ K, N }, l) => {
    const sm = store.small[l];
    const p: SteLayerParameters = { inputs: K, outputs: N, weights: panelToRows(store.big[l].w, N, K) };
    if (store.settings.batchNorm) {
      p.gamma = sm.gamma.slice();
      p.beta = sm.beta.slice();
      p.runningMean = sm.runningMean.slice();
      p.runningVar = sm.runningVar.slice();
    } else {
      p.bias = sm.bias.slice();
    }
    return p;
  });
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
    put('gamma', p.gamma, sm.gamma, N);
    put('beta', p.beta, sm.beta, N);
    put('runningMean', p.runningMean, sm.runningMean, N);
    put('runningVar', p.runningVar, sm.runningVar, N);
    put('bias', p.bias, sm.bias, N);
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
    const sm = store.small[l];
    const m: SteLayerMoments = { weightsM: panelToRows(b.m, N, K), weightsV: panelToRows(b.v, N, K) };
    if (store.settings.batchNorm) {
      m.gammaM = sm.mGamma.slice();
      m.gammaV = sm.vGamma.slice();
      m.betaM = sm.mBeta.slice();
      m.betaV = sm.vBeta.slice();
    } else {
      m.biasM = sm.mBias.slice();
      m.biasV = sm.vBias.slice();
    }
    return m;
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
  const bn = store.settings.batchNorm;
  const names = bn ? (['gammaM', 'gammaV', 'betaM', 'betaV'] as const) : (['biasM', 'biasV'] as const);
  // Validate everything before changing anything.
  layers.forEach((p, l) => {
    const { K, N } = store.shapes[l];
    checkMoment(l, 'weightsM', p.weightsM, N * K, false);
    checkMoment(l, 'weightsV', p.weightsV, N * K, true);
    for (const name of names) checkMoment(l, name, p[name], N, name.endsWith('V'));
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
    if (bn) {
      sm.mGamma.set(p.gammaM as Float64Array);
      sm.vGamma.set(p.gammaV as Float64Array);
      sm.mBeta.set(p.betaM as Float64Array);
      sm.vBeta.set(p.betaV as Float64Array);
    } else {
      sm.mBias.set(p.biasM as Float64Array);
      sm.vBias.set(p.biasV as Float64Array);
    }
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
