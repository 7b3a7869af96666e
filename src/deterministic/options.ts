/**
 * The options, report and result of {@link determinise} (src/deterministic/determinise.ts), shared by its two
 * procedures (progressive.ts, decimate.ts).
 */
import type { Dataset } from '../data/dataset';
import type { XnorNetwork, XnorOptions } from '../xnor/network';

/**
 * The procedure. `'decimate'`: each layer's weights fixed a share at a time (the most certain first) while
 * EBP goes on over the whole net (decimate.ts). `'progressive'`: one whole layer fixed at a time, EBP
 * continued on the layers above its ±1 outputs (progressive.ts). `'auto'` (default): both, and the network
 * of lower validation error (decimation on ties): neither wins everywhere (docs/benchmarks.md).
 */
export type DeterminiseMethod = 'auto' | 'decimate' | 'progressive';

/** How the layers above a fixed layer start their EBP on its ±1 outputs (`'progressive'` only). */
export type UpperStart = 'continue' | 'reinit';

/**
 * How a layer is fixed (`'progressive'` only). `'map'`: its most probable weights sign(h) and bias b.
 * `'threshold'`: sign(h), with each unit's threshold re-fitted on the training rows so that
 * sign(Σ sign(h) v − θ) agrees most often with the mean-field unit's most probable output sign(μ̄).
 * `'distil'`: each unit re-learnt by a one-layer EBP perceptron (starting from its posterior) whose targets
 * are sign(μ̄) of the mean-field unit; epochs chosen on the agreement with sign(μ̄) on the validation rows.
 * `'distil+threshold'`: distilled, then thresholds re-fitted. (Ablation: docs/benchmarks.md; distillation did
 * not help.)
 */
export type FixMethod = 'map' | 'threshold' | 'distil' | 'distil+threshold';

/** Options of {@link determinise}; every choice it makes is made on `validation`. */
export interface DeterminiseOptions {
  /** The validation split (rows of the training data not trained on): every choice is made on it. Required. */
  validation: Dataset;
  /** The procedure (default `'auto'`). */
  method?: DeterminiseMethod;
  /** Seed of the continued EBP's data order (and of re-initialised layers). Default 0. */
  seed?: number;
  /** Minibatch of the continued EBP (spec §6). Default 10, as plain EBP. */
  batchSize?: number;
  /**
   * How many layers to fix at most, bottom up. Default: all hidden layers, L − 1 (the output layer then
   * serves its most probable weights). `'decimate'` accepts L (the output layer decimated too); 0 returns
   * plain EBP-D.
   */
  maxFixed?: number;
  /** `'decimate'`: rounds per layer; round r fixes the share 1 − 2^−r of its weights, the last round all. Default 5. */
  rounds?: number;
  /** `'decimate'`: epochs of EBP after each round, at least. Default 1. */
  epochsPerRound?: number;
  /**
   * `'decimate'`: most epochs per round; past `epochsPerRound`, EBP goes on while each epoch lowers the
   * validation error. Default 3. `'progressive'`: most epochs of EBP per stage. Default 20.
   */
  maxEpochs?: number;
  /** `'progressive'`: a stage stops after this many epochs without a lower validation error. Default 3. */
  patience?: number;
  /**
   * `'progressive'`: `'continue'` (default), the upper layers start from their posterior (spec: the same
   * fields h, b); `'reinit'`: from a fresh prior (spec §7, `sigmaW`).
   */
  upper?: UpperStart;
  /** `'progressive'`: how each layer is fixed (default `'threshold'`). */
  fix?: FixMethod;
  /** `'progressive'`: initial field scale of re-initialised upper layers. Default 1. */
  sigmaW?: number;
  /**
   * Input encoding and backend of the packed network returned. The procedure computes the first layer on the
   * real inputs; an encoding that changes its dot products (`binarize`, bit planes that round) changes the
   * network's first layer from the one the upper layers were trained on.
   */
  xnor?: XnorOptions;
  /** Called after every epoch (`'progressive'`) or round (`'decimate'`) with the candidate measured. */
  onEpoch?: (e: DeterminiseEpoch) => void;
}

/**
 * One candidate. `'progressive'`: `fixed` layers fixed, the layers above after `epoch` epochs of EBP on their
 * ±1 inputs. `'decimate'`: layer `fixed` (1-based) is being decimated, `share` of its weights fixed (the layers
 * below it wholly), after round `epoch` and its EBP.
 */
export interface DeterminiseEpoch {
  /** The procedure (set in `onEpoch` calls; the report's candidates are all of `report.method`). */
  method?: Exclude<DeterminiseMethod, 'auto'>;
  fixed: number;
  /** `'decimate'` only: the share of layer `fixed`'s weights fixed. */
  share?: number;
  epoch: number;
  /** Validation error of the candidate's deterministic network (every layer at its most probable weights). */
  validationError: number;
  /** Validation error of the candidate posterior's mean-field prediction (EBP-P). */
  validationErrorP: number;
  seconds: number;
}

/** What {@link determinise} tried and chose (validation errors only). */
export interface DeterminiseReport {
  /** The procedure whose network is returned (with `'auto'`, the one of lower validation error). */
  method: Exclude<DeterminiseMethod, 'auto'>;
  /** Every procedure run and its network's validation error (one entry, or two with `'auto'`). */
  tried: { method: Exclude<DeterminiseMethod, 'auto'>; validationError: number; seconds: number }[];
  /** Plain EBP-D and EBP-P of the given posterior on the validation split. */
  plain: { validationErrorD: number; validationErrorP: number };
  /** Every candidate the returned procedure measured, in order. */
  candidates: DeterminiseEpoch[];
  /** Per stage (layer), the epoch or round of lowest validation error (the latest on ties) and how many ran. */
  stages: { fixed: number; bestEpoch: number; validationError: number; epochs: number }[];
  /** The candidate returned: the lowest validation error of all, plain EBP-D included (the latest on ties). */
  chosen: { fixed: number; epoch: number; validationError: number; share?: number };
  seconds: number;
}

/** One layer of the deterministic network: row-major ±1 weights and the real bias. */
export interface DeterministicLayer {
  weights: Float64Array;
  bias: Float64Array;
  inputs: number;
  outputs: number;
}

/** The deterministic packed network, its layers and the report of the choices. */
export interface DeterminiseResult {
  /** An ordinary packed network: ±1 weights, sign neurons against −b, the output layer scores W v + b. */
  network: XnorNetwork;
  /** The layers of `network` as plain specs (row-major ±1 weights and biases), e.g. for a float reference. */
  layers: DeterministicLayer[];
  report: DeterminiseReport;
}

/** @internal What a procedure returns to {@link determinise}: the chosen layers and its part of the report. */
export interface ProcedureResult {
  layers: DeterministicLayer[];
  candidates: DeterminiseEpoch[];
  stages: DeterminiseReport['stages'];
  chosen: DeterminiseReport['chosen'];
}

/** @internal The validated options a procedure runs with. */
export interface Resolved {
  validation: Dataset;
  seed: number;
  batchSize: number;
  maxFixed: number;
  rounds: number;
  epochsPerRound: number;
  maxEpochs: number;
  patience: number;
  upper: UpperStart;
  fix: FixMethod;
  sigmaW: number;
  onEpoch?: (e: DeterminiseEpoch) => void;
}
