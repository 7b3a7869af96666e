import { ArgumentError, EXIT_CODES, IoError, ModelFormatError } from '../errors';
import type { PosteriorStore } from '../ebp/posterior';
import { isDiscrete } from '../ebp/weights';
import type { MergeCombine } from '../ebp/merge';
import { encodedFeatureNames } from '../data/preprocess';
import { mergeParts, type MergePart } from '../model/lineage';
import type { LoadedModel } from './trained-model';
import type { TrainingRecord, WeightsName } from './record';
import type { CsvTrainSettings } from './settings';

/**
 * The posterior as the next prior (issue 16) for model files: a model `ebp train --prior` may start from,
 * the settings such a run takes from it, and `ebp merge` of shard models (the posterior arithmetic is
 * src/ebp/merge.ts, the file-level checks src/model/lineage.ts).
 */

/** A model file `--prior` starts from: its posterior and training record. */
export interface Prior {
  model: LoadedModel;
  store: PosteriorStore;
}

/**
 * The prior in `model`, or an IoError (exit 3) saying why it cannot be one: no posterior (an STE or
 * inference-only model), or a checkpoint of an unfinished run unless `allowUnfinished`.
 */
export function priorOf(model: LoadedModel, shown: string, allowUnfinished: boolean): Prior {
  if (!model.store) {
    const ste = model.meta.training?.config.trainer === 'ste';
    throw new IoError(
      `${shown} holds no posterior (${ste ? 'an STE model: its weights have no distribution' : 'an inference-only model'}), so it cannot be a prior; --prior takes an EBP model file.`,
      EXIT_CODES.model,
    );
  }
  const t = model.meta.training;
  const s = model.meta.state;
  if (!allowUnfinished && t && s && (s.batchesDone > 0 || s.epochsDone < t.config.epochs)) {
    const done = `${s.epochsDone} of ${t.config.epochs} epochs${s.batchesDone > 0 ? ` and ${s.batchesDone} minibatches of the next` : ''}`;
    throw new IoError(
      `${shown} is a checkpoint of an unfinished run (${done} done); finish it with --resume ${shown}, ` +
        `or pass --allow-unfinished-prior to start from its posterior as it is.`,
      EXIT_CODES.model,
    );
  }
  return { model, store: model.store };
}

/** Flags a run from a prior takes from the prior's file, by attribute name: they cannot be given. */
const FROM_PRIOR: readonly [keyof CsvTrainSettings, string][] = [
  ['hidden', '--hidden'], ['weights', '--weights'], ['trainer', '--trainer'], ['standardize', '--standardize'], ['binarize', '--binarize'],
  ['categorical', '--categorical'], ['drop', '--drop'], ['impute', '--impute'], ['label', '--label'],
];

/**
 * The settings of a run from `prior`: the network (widths, weight kind) and the preprocessing (columns, label,
 * scaling, imputation, categories) are the prior's, so flags that would set them are refused; the data order
 * (`--seed`), `--epochs`, `--batch` and the validation data are the new run's.
 */
export function adoptPrior(args: CsvTrainSettings, prior: Prior, shown: string): CsvTrainSettings {
  const given = FROM_PRIOR.filter(([k]) => args.explicit.has(k as string)).map(([, flag]) => flag);
  if (given.length > 0) {
    throw new ArgumentError(
      `${given.join(', ')} cannot be used with --prior: the network and the preprocessing come from the prior ${shown} ` +
        `(${prior.store.sizes.join('-')}, ${weightsOf(prior.store)} weights).`,
    );
  }
  const spec = prior.model.meta.preprocess;
  const cfg = prior.model.meta.training?.config;
  return {
    ...args,
    trainer: 'ebp',
    hidden: prior.store.sizes.slice(1, -1),
    weights: weightsOf(prior.store),
    standardize: spec.scaling.kind === 'standardize',
    binarize: spec.scaling.kind === 'binarize' ? spec.scaling.threshold : undefined,
    categorical: spec.columns.filter((c) => c.kind === 'categorical').map((c) => c.name),
    impute: spec.impute,
    label: spec.label.name,
    batch: args.batch ?? cfg?.batch,
  };
}

function weightsOf(store: PosteriorStore): WeightsName {
  return isDiscrete(store.weights) ? 'ternary' : store.weights;
}

/** A model file as a part of a merge (its posterior, preprocessing, classes and recorded prior). */
function mergePart(m: LoadedModel, shown: string): MergePart {
  if (!m.store) throw new ModelFormatError(`${shown}: the model holds no posterior (an STE or inference-only model); ebp merge combines EBP model files.`);
  const spec = m.meta.preprocess;
  return {
    name: shown,
    posterior: m.store,
    preprocess: spec,
    featureNames: encodedFeatureNames(spec),
    classNames: spec.label.classes,
    prior: m.meta.lineage?.prior ?? null,
  };
}

/**
 * `ebp merge`: shard models trained from `base` combined into one posterior (src/ebp/merge.ts), with the base's
 * preprocessing and the lineage (base hash, shard hashes, combine) as its training record.
 *
 * @throws {MismatchError} a shard that does not fit the base (architecture, weights, preprocessing, classes, base)
 */
export function mergeTrainedModels(
  base: { model: LoadedModel; shown: string },
  shards: readonly { model: LoadedModel; shown: string }[],
  combine: MergeCombine,
): { store: PosteriorStore; record: TrainingRecord } {
  const { posterior, lineage } = mergeParts(mergePart(base.model, base.shown), shards.map((s) => mergePart(s.model, s.shown)), { combine });
  return { store: posterior, record: { preprocess: base.model.meta.preprocess, lineage } };
}
