import { ArgumentError, EXIT_CODES, IoError } from '../errors';
import type { Dataset } from '../data/dataset';
import type { LoadedModel } from './trained-model';
import type { TrainingConfig, TrainingRecord, TrainingState, ValidationSource } from './record';
import { scalingOf, type CsvTrainSettings } from './settings';

/** A model or checkpoint a run continues from, checked to hold what training needs. */
export interface Resumed {
  model: LoadedModel;
  meta: TrainingRecord;
  state: TrainingState;
}

/** The training state of a model read for `--resume`, or an IoError saying why it cannot be resumed. */
export function resumable(model: LoadedModel, shown: string): Resumed {
  const t = model.meta.training;
  if (t?.config.trainer === 'ste' && !model.meta.ste) {
    throw new IoError(
      `${shown} is a finished STE model: it holds the folded network only, not the latent weights and Adam state training needs. ` +
        `STE training resumes from its checkpoint (<out>.ckpt), which is removed once the model is written.`,
      EXIT_CODES.model,
    );
  }
  if (!(model.store || model.meta.ste) || !t || !model.meta.state) {
    throw new IoError(`${shown} holds no training state (posterior, settings and data order), so training cannot resume from it.`, EXIT_CODES.model);
  }
  return { model, meta: model.meta, state: model.meta.state };
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** A resumed run takes its settings from the checkpoint; flags given again must agree with it. */
export function adoptCheckpoint(args: CsvTrainSettings, cfg: TrainingConfig, file: string): CsvTrainSettings {
  const a = { ...args };
  const conflict = (flag: string, given: unknown, saved: unknown) =>
    new ArgumentError(`${flag} ${JSON.stringify(given)} differs from the checkpoint's ${JSON.stringify(saved)} (${file}); a resumed run keeps the checkpoint's settings, so drop the flag or start over without --resume.`);
  const check = <K extends keyof CsvTrainSettings>(key: K, flag: string, saved: CsvTrainSettings[K]) => {
    if (args.explicit.has(key as string) && !same(args[key], saved)) throw conflict(flag, args[key], saved);
    a[key] = saved;
  };
  check('trainer', '--trainer', cfg.trainer);
  if (cfg.trainer === 'ste') {
    check('lrStart', '--lr-start', cfg.lrStart);
    check('lrEnd', '--lr-end', cfg.lrEnd);
    check('batchNorm', 'batch normalisation (--no-batch-norm)', cfg.batchNorm ?? true);
    check('loss', '--loss', cfg.loss);
  }
  check('hidden', '--hidden', cfg.hidden);
  check('weights', '--weights', cfg.weights);
  check('batch', '--batch', cfg.batch);
  check('seed', '--seed', cfg.seed);
  check('categorical', '--categorical', cfg.categorical);
  check('drop', '--drop', cfg.drop ?? []);
  check('impute', '--impute', cfg.impute);
  if (args.explicit.has('label') && args.label !== cfg.label && !/^-?\d+$/.test(args.label ?? '')) throw conflict('--label', args.label, cfg.label);
  a.label = cfg.label;
  const scaling = scalingOf(args);
  if ((args.explicit.has('standardize') || args.explicit.has('binarize')) && !same(scaling, cfg.scaling)) {
    throw conflict('the scaling', scaling, cfg.scaling);
  }
  a.standardize = cfg.scaling.kind === 'standardize';
  a.binarize = cfg.scaling.kind === 'binarize' ? cfg.scaling.threshold : undefined;
  if (!args.explicit.has('epochs')) a.epochs = cfg.epochs;
  adoptValidation(args, a, cfg.validation, file, conflict);
  // File names are not compared: the hash of the encoded rows decides whether the data is the same (checkResumedData).
  return a;
}

function adoptValidation(args: CsvTrainSettings, a: CsvTrainSettings, v: ValidationSource, file: string, conflict: (flag: string, given: unknown, saved: unknown) => Error): void {
  if (v.kind === 'split') {
    if (args.test !== undefined) throw conflict('--test', args.test, `--split ${v.fraction}`);
    if (args.explicit.has('split') && args.split !== v.fraction) throw conflict('--split', args.split, v.fraction);
    a.split = v.fraction;
  } else if (v.kind === 'file') {
    if (args.test === undefined) throw new ArgumentError(`the checkpoint ${file} was trained with --test ${v.file}; pass --test again to resume.`);
  } else if (args.test !== undefined || args.split !== undefined) {
    throw conflict(args.test !== undefined ? '--test' : '--split', args.test ?? args.split, 'no validation data');
  }
}

/** A sha256 the caller provides (Node: `crypto.createHash('sha256')`), so that this room stays browser-safe. */
export interface Sha256 {
  update(data: string | Uint8Array): unknown;
  digest(encoding: 'hex'): string;
}

/** sha256 (`h`, fresh) of the encoded training (and validation) rows: a resumed run must see the same data. */
export function dataHash(train: Dataset, validation: Dataset | undefined, batch: number, h: Sha256): string {
  h.update(`batch=${batch};`);
  for (const ds of validation ? [train, validation] : [train]) {
    h.update(`${ds.X.shape[0]}x${ds.X.shape[1]};classes=${ds.numClasses};`);
    const X = ds.X.data.subarray(ds.X.offset, ds.X.offset + ds.X.shape[0] * ds.X.shape[1]);
    h.update(new Uint8Array(X.buffer, X.byteOffset, X.byteLength));
    h.update(new Uint8Array(ds.labels.buffer, ds.labels.byteOffset, ds.labels.byteLength));
  }
  return h.digest('hex');
}

/**
 * A resumed run must see the rows it was trained on (`hash`, see {@link dataHash}) and a network that fits
 * them; `args` and `config` name the files in the message.
 */
export function checkResumedData(
  resumed: Resumed,
  hash: string,
  sizes: readonly number[],
  args: Pick<CsvTrainSettings, 'file' | 'test' | 'resume'>,
  config: TrainingConfig,
): void {
  if (resumed.state.dataHash !== hash) {
    const v = config.validation;
    throw new IoError(
      `${args.file}${args.test !== undefined ? ` (with --test ${args.test})` : ''} does not hold the data the checkpoint ${args.resume} was trained on ` +
        `(${config.trainFile}${v.kind === 'file' ? ` with --test ${v.file}` : ''}): different rows, values or preprocessing; ` +
        `resume with the same rows (the file name may differ).`,
      EXIT_CODES.data,
    );
  }
  if (resumed.model.sizes.join(',') !== sizes.join(',')) {
    throw new IoError(`the checkpoint's network ${resumed.model.sizes.join('-')} does not fit the data (${sizes.join('-')}).`, EXIT_CODES.model);
  }
}
