/**
 * The STE trainer's complete training state for checkpoints (SteTrainer.state()/setState()): the network's
 * parameters and Adam moments (serialise.ts), the Adam step count, the schedule position and horizon, and the
 * data-order generator.
 */
import { argumentError, check } from '../util/validate';
import type { SteLayerMoments, SteLayerParameters } from './layers';
import type { SteNetwork } from './network';

/**
 * Everything training depends on, for checkpoints: with {@link SteTrainer.setState} on a trainer created with
 * the same configuration, training continues exactly as it would have without the interruption.
 */
export interface SteTrainerState {
  /** Completed epochs: the position in the learning-rate schedule. */
  epoch: number;
  /** T of the schedule (null while not fixed: no lrEpochs and no fit call yet). */
  lrEpochs: number | null;
  /** Adam steps taken (t of the bias corrections). */
  step: number;
  /** The data-order generator's state. */
  rngState: number[];
  /** Per layer: latent weights, batch-norm parameters and running statistics (or biases), and their Adam moments. */
  layers: (SteLayerParameters & SteLayerMoments)[];
}

/** The state of a trainer at schedule position `epoch` with horizon `horizon` and data-order state `rngState`. */
export function captureState(network: SteNetwork, epoch: number, horizon: number | undefined, rngState: number[]): SteTrainerState {
  const params = network.parameters();
  const moments = network.moments();
  return {
    epoch,
    lrEpochs: horizon ?? null,
    step: network.step,
    rngState,
    layers: params.map((p, l) => ({ ...p, ...moments[l] })),
  };
}

/**
 * Checks `state` against `network` and writes its moments, step and parameters into the network (the arrays are
 * fully checked before anything changes). The caller adopts epoch, lrEpochs and rngState.
 *
 * @throws {ArgumentError} layer count or shapes that do not fit, missing arrays, a bad epoch/step/horizon
 * @throws {NumericError} non-finite values (or negative second moments / running variances)
 */
export function restoreNetworkState(network: SteNetwork, state: SteTrainerState): void {
  if (typeof state !== 'object' || state === null || !Array.isArray(state.layers)) {
    throw argumentError('setState expects an SteTrainerState { epoch, lrEpochs, step, rngState, layers }.');
  }
  const { epoch, lrEpochs, rngState, layers } = state;
  check(Number.isSafeInteger(epoch) && epoch >= 0, 'epoch', 'a non-negative integer', epoch);
  check(lrEpochs === null || (Number.isSafeInteger(lrEpochs) && lrEpochs >= 1), 'lrEpochs', 'a positive integer or null', lrEpochs);
  if (!Array.isArray(rngState) || rngState.length < 4) throw argumentError('`rngState` must be a generator state (Rng.getState()).');
  const bn = network.settings.batchNorm;
  layers.forEach((p, l) => {
    const shape = network.shapes[l];
    if (!shape || p.inputs !== shape.K || p.outputs !== shape.N) {
      throw argumentError(`state layer ${l} is ${p.inputs}→${p.outputs}, the network's ${shape ? `${shape.K}→${shape.N}` : 'has no such layer'}.`);
    }
    const need = bn ? (['gamma', 'beta', 'runningMean', 'runningVar'] as const) : (['bias'] as const);
    for (const k of ['weights', ...need] as const) {
      if (!(p[k] instanceof Float64Array)) throw argumentError(`state layer ${l} has no ${k} (the network ${bn ? 'uses' : 'does not use'} batch normalisation).`);
    }
  });
  network.setMoments(layers, state.step);
  network.setParameters(layers);
}
