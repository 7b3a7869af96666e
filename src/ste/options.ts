/**
 * The STE trainer's options: the configuration of SteTrainer.create and the options of fit/fitAsync, with their
 * defaults and checks (the argument-error grammar of src/util/validate.ts), and the checks of a dataset against
 * the network's widths.
 */
import { DataError, ShapeError } from '../errors';
import type { Dataset } from '../data/dataset';
import { rowMajor } from '../tensor/matrix';
import {
  argumentError, check, requireFinite, requireInteger, requireNonNegativeInteger, requireOneOf, requirePositiveInteger,
} from '../util/validate';
import { ADAM_DEFAULTS } from './adam';
import type { SteBackend, SteNetworkSettings } from './layers';
import type { SteLoss } from './loss';
import type { SteEpochReport } from './fit';

/** {@link SteTrainer.create} settings: layer widths, batch normalisation, loss, learning-rate schedule, seed. */
export interface SteTrainerConfig {
  /** Input width. */
  inputs: number;
  /** Hidden layer widths (default none). */
  hidden?: number[];
  /** Output width: one per class, or 1 for two classes (squared hinge only). */
  outputs: number;
  /** Batch normalisation before every sign and on the output (default true). */
  batchNorm?: boolean;
  /** Default 'squared-hinge'. */
  loss?: SteLoss;
  /** Learning rate of the first epoch. */
  lrStart: number;
  /** Learning rate the exponential decay reaches after `lrEpochs` epochs. */
  lrEnd: number;
  /** T of the schedule lrStart·(lrEnd/lrStart)^(e/T). Default: the `epochs` of the first fit call. */
  lrEpochs?: number;
  /** Seed of the initial weights (the data order uses seed + 1 unless fit gets a seed). Default 0. */
  seed?: number;
  /** Batch-norm ε (default 1e-4) and running-statistics momentum (default 0.1). */
  bnEpsilon?: number;
  bnMomentum?: number;
  /** Adam β1, β2, ε (defaults 0.9, 0.999, 1e-8). */
  beta1?: number;
  beta2?: number;
  adamEpsilon?: number;
  /**
   * Learning-rate factor of the weight matrices: a number (default 1, plain Adam) or 'glorot', BNN's
   * 1/√(1.5/(fan_in + fan_out)) per layer.
   */
  weightLrScale?: number | 'glorot';
  /** 'auto' (WebAssembly SIMD when available, default), 'js' or 'wasm' (error when unavailable). */
  backend?: SteBackend;
}

/** {@link SteTrainer.fit} options. */
export interface SteFitOptions {
  /** Passes over the data. Default 1. */
  epochs?: number;
  /** Rows per minibatch. Default 100. */
  batchSize?: number;
  /** Seed of the data order. Default: continue the trainer's own stream (seeded at construction). */
  seed?: number;
  /** Shuffle the rows before every epoch (default true). */
  shuffle?: boolean;
  /** Evaluated (inference mode) after every epoch. */
  validation?: Dataset;
  /** Called after every epoch; return `false` to stop early. */
  onEpoch?: (report: SteEpochReport) => void | boolean;
  /** Called after every minibatch. */
  onBatch?: (info: { epoch: number; batch: number; batches: number; samples: number }) => void;
  /** 'online' (default): training error of each minibatch's training-mode forward pass, before its update; 'none': skip. */
  trainError?: 'online' | 'none';
  /** Checked before each minibatch; when it returns true the epoch stops. */
  shouldStop?: () => boolean;
  /**
   * Resume inside an epoch: skip the first `startBatch` minibatches of the first epoch. That epoch's order is
   * drawn from the trainer's current data-order state, so restore the state the interrupted epoch started from
   * (`SteTrainReport.epochStartRng`) first; the result is then identical to an uninterrupted run.
   */
  startBatch?: number;
}

/** {@link SteTrainer.fitAsync} options: as fit, plus how long to compute between yields to the event loop. */
export interface SteFitAsyncOptions extends SteFitOptions {
  /** Milliseconds of training between yields (default 50), so signal handlers and I/O can run. */
  sliceMs?: number;
}

const LOSSES: readonly SteLoss[] = ['squared-hinge', 'softmax-ce'];
const BACKENDS: readonly SteBackend[] = ['auto', 'js', 'wasm'];
const TRAIN_ERRORS = ['online', 'none'] as const;

/** A checked configuration: the network's settings, the configuration as the trainer keeps it, and the seed. */
export function resolveTrainerConfig(cfg: SteTrainerConfig): { settings: SteNetworkSettings; config: SteTrainerConfig; seed: number } {
  const inputs = requirePositiveInteger(cfg.inputs, 'inputs');
  const hidden = (cfg.hidden ?? []).map((h, i) => requirePositiveInteger(h, `hidden[${i}]`));
  const outputs = requirePositiveInteger(cfg.outputs, 'outputs');
  const loss = requireOneOf(cfg.loss ?? 'squared-hinge', 'loss', LOSSES);
  if (loss === 'softmax-ce' && outputs < 2) throw argumentError('`loss` softmax-ce needs at least 2 outputs.');
  requireFinite(cfg.lrStart, 'lrStart', 'positive');
  requireFinite(cfg.lrEnd, 'lrEnd', 'positive');
  if (cfg.lrEpochs !== undefined) requirePositiveInteger(cfg.lrEpochs, 'lrEpochs');
  const seed = requireInteger(cfg.seed ?? 0, 'seed');
  const bnEpsilon = requireFinite(cfg.bnEpsilon ?? 1e-4, 'bnEpsilon', 'positive');
  const bnMomentum = cfg.bnMomentum ?? 0.1;
  check(bnMomentum >= 0 && bnMomentum <= 1, 'bnMomentum', 'in [0, 1]', bnMomentum);
  const adam = { beta1: cfg.beta1 ?? ADAM_DEFAULTS.beta1, beta2: cfg.beta2 ?? ADAM_DEFAULTS.beta2, epsilon: cfg.adamEpsilon ?? ADAM_DEFAULTS.epsilon };
  check(adam.beta1 >= 0 && adam.beta1 < 1, 'beta1', 'in [0, 1)', adam.beta1);
  check(adam.beta2 >= 0 && adam.beta2 < 1, 'beta2', 'in [0, 1)', adam.beta2);
  requireFinite(adam.epsilon, 'adamEpsilon', 'positive');
  const sizes = [inputs, ...hidden, outputs];
  const wls = cfg.weightLrScale ?? 1;
  const weightLrScale = sizes.slice(0, -1).map((fi, l) => {
    if (wls === 'glorot') return 1 / Math.sqrt(1.5 / (fi + sizes[l + 1]));
    return requireFinite(wls, 'weightLrScale', 'positive');
  });
  const backend = requireOneOf(cfg.backend ?? 'auto', 'backend', BACKENDS);
  return {
    settings: { sizes, batchNorm: cfg.batchNorm ?? true, bnEpsilon, bnMomentum, loss, adam, weightLrScale, backend },
    config: { ...cfg, hidden: hidden.slice(), loss, seed },
    seed,
  };
}

/** The checked options of one fit call, defaults filled in. */
export interface FitPlan {
  epochs: number;
  batchSize: number;
  startBatch: number;
  online: boolean;
}

export function resolveFitOptions(opts: SteFitOptions, batchNorm: boolean): FitPlan {
  const epochs = requireNonNegativeInteger(opts.epochs ?? 1, 'epochs');
  const batchSize = requirePositiveInteger(opts.batchSize ?? 100, 'batchSize');
  const startBatch = requireNonNegativeInteger(opts.startBatch ?? 0, 'startBatch');
  if (batchNorm && batchSize < 2) {
    throw argumentError('With batch normalisation `batchSize` must be at least 2 (one row has no batch statistics); set batchNorm: false for batchSize 1.');
  }
  const trainError = requireOneOf(opts.trainError ?? 'online', 'trainError', TRAIN_ERRORS);
  return { epochs, batchSize, startBatch, online: trainError === 'online' };
}

/** Throws unless `data` fits a network of widths `sizes`: feature count, class count, rows = labels, finite features. */
export function checkDataset(data: Dataset, sizes: readonly number[], what: string): void {
  const K0 = sizes[0];
  const KL = sizes[sizes.length - 1];
  if (data.X.shape[1] !== K0) {
    throw new ShapeError(`${what} data has ${data.X.shape[1]} features but the network expects ${K0}.`, data.X.shape, [data.X.shape[0], K0]);
  }
  if (KL === 1 ? data.numClasses > 2 : data.numClasses !== KL) {
    throw new ShapeError(`${what} data has ${data.numClasses} classes but the network has ${KL} output${KL === 1 ? '' : 's'} (one output serves two classes, otherwise one per class).`);
  }
  if (data.X.shape[0] !== data.labels.length) throw new ShapeError(`${what} data has ${data.X.shape[0]} rows but ${data.labels.length} labels.`);
  const { data: d, offset } = rowMajor(data.X);
  for (let i = offset, e = i + data.labels.length * K0; i < e; i++) {
    if (!Number.isFinite(d[i])) {
      const r = Math.floor((i - offset) / K0);
      throw new DataError(`${what} data: row ${r}, feature ${(i - offset) % K0} is ${d[i]}; features must be finite.`);
    }
  }
}
