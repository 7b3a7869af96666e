/**
 * One deterministic binary network from an EBP posterior, for deep nets (issue 11): a separate step on top of
 * plain EBP (the posterior given is never changed), by two procedures (decimate.ts and progressive.ts; by
 * default both, keeping the better on validation), every choice made on a validation split.
 *
 * Why EBP-D collapses with depth: the mean-field pass (spec §3) feeds layer l+1 the soft means
 * μ_{l} = 2Φ(μ̄/σ̄) − 1 of layer l, with the uncertainty of the layer below carried as variance. Layer l+1 is
 * trained on those inputs. The sign network of the most probable weights gives layer l+1 hard inputs
 * v_l = sign(Σ sign(h) v_{l−1} + b), which differ from sign(μ̄) wherever the posterior is wide (most weights
 * of a deep net have |tanh h| < 0.2), so the upper layers read features they never saw. Both procedures fix
 * the lower layers' weights first and let EBP adapt the rest to what the fixed layers really compute.
 */
import { ArgumentError } from '../errors';
import type { Dataset } from '../data/dataset';
import { check, requireNonNegativeInteger, requireOneOf, requirePositiveInteger, requireFinite } from '../util/validate';
import type { PosteriorStore } from '../ebp/posterior';
import { evaluateErrors } from '../ebp/trainer';
import { packedKindOf } from '../xnor/posterior';
import { XnorNetwork } from '../xnor/network';
import type { DeterminiseMethod, DeterminiseOptions, DeterminiseReport, DeterminiseResult, ProcedureResult, Resolved } from './options';
import { progressive } from './progressive';
import { decimate } from './decimate';

/**
 * One deterministic packed network from a binary-weight posterior (see the file comment and
 * docs/algorithm.md). `train` are the rows the posterior was trained on; only `train` and `opts.validation`
 * are read. The candidate returned is the one of lowest validation error, plain EBP-D included.
 *
 * @throws {ArgumentError} weights other than ±1, no validation split, bad options
 */
export function determinise(store: PosteriorStore, train: Dataset, opts: DeterminiseOptions): DeterminiseResult {
  const t0 = performance.now();
  if (packedKindOf(store) !== 'binary') {
    throw new ArgumentError('invalid argument. determinise needs a posterior with ±1 weights (weights: \'binary\').');
  }
  check(opts != null && opts.validation != null, 'validation', 'a Dataset (a split of the training data)', opts?.validation);
  const method = requireOneOf(opts.method ?? 'auto', 'method', ['auto', 'decimate', 'progressive'] as const);
  const L = store.numLayers;
  const mostFixed = method === 'progressive' ? L - 1 : L;
  // Each procedure has its own default epoch cap: 3 per round (decimate), 20 per stage (progressive).
  const maxEpochs = opts.maxEpochs === undefined ? undefined : requireNonNegativeInteger(opts.maxEpochs, 'maxEpochs');
  const o: Omit<Resolved, 'maxEpochs'> = {
    validation: opts.validation,
    seed: requireNonNegativeInteger(opts.seed ?? 0, 'seed'),
    batchSize: requirePositiveInteger(opts.batchSize ?? 10, 'batchSize'),
    maxFixed: Math.min(requireNonNegativeInteger(opts.maxFixed ?? L - 1, 'maxFixed'), mostFixed),
    rounds: requirePositiveInteger(opts.rounds ?? 5, 'rounds'),
    epochsPerRound: requirePositiveInteger(opts.epochsPerRound ?? 1, 'epochsPerRound'),
    patience: requirePositiveInteger(opts.patience ?? 3, 'patience'),
    upper: requireOneOf(opts.upper ?? 'continue', 'upper', ['continue', 'reinit'] as const),
    fix: requireOneOf(opts.fix ?? 'threshold', 'fix', ['map', 'threshold', 'distil', 'distil+threshold'] as const),
    sigmaW: requireFinite(opts.sigmaW ?? 1, 'sigmaW', 'positive'),
    onEpoch: opts.onEpoch,
  };
  const plain = evaluateErrors(store, o.validation);
  const tried: DeterminiseReport['tried'] = [];
  let r: ProcedureResult | null = null;
  let chosen: Exclude<DeterminiseMethod, 'auto'> = 'decimate';
  for (const m of method === 'auto' ? (['decimate', 'progressive'] as const) : [method]) {
    const t1 = performance.now();
    // Progressive fixes hidden layers only; progress says which procedure a candidate is of.
    const om: Resolved = {
      ...o,
      maxEpochs: maxEpochs ?? (m === 'decimate' ? 3 : 20),
      maxFixed: m === 'progressive' ? Math.min(o.maxFixed, L - 1) : o.maxFixed,
      onEpoch: opts.onEpoch ? (c) => opts.onEpoch!({ method: m, ...c }) : undefined,
    };
    const rm = (m === 'decimate' ? decimate : progressive)(store, train, om, plain.errorD);
    tried.push({ method: m, validationError: rm.chosen.validationError, seconds: (performance.now() - t1) / 1000 });
    if (r === null || rm.chosen.validationError < r.chosen.validationError) (r = rm), (chosen = m);
  }
  if (r === null) throw new Error('unreachable: no procedure ran');
  const network = XnorNetwork.fromLayers(r.layers.map((ly) => ({ weights: ly.weights, inputs: ly.inputs, outputs: ly.outputs, bias: ly.bias })), opts.xnor ?? {});
  return {
    network,
    layers: r.layers,
    report: {
      method: chosen,
      tried,
      plain: { validationErrorD: plain.errorD, validationErrorP: plain.errorP },
      candidates: r.candidates,
      stages: r.stages,
      chosen: r.chosen,
      seconds: (performance.now() - t0) / 1000,
    },
  };
}
