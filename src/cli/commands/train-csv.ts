import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { ArgumentError, EXIT_CODES, IoError } from '../../errors';
import type { Delimiter, RawTable } from '../../data/csv';
import { makeDataset, type Dataset } from '../../data/dataset';
import { encodedFeatureNames, encodeTable, featureWidth, fitPreprocess, type ImputeMethod, type PreprocessSpec, type Scaling } from '../../data/preprocess';
import { EbpTrainer, evaluateErrors, type EpochReport } from '../../ebp/trainer';
import { ternary, type WeightKind } from '../../ebp/weights';
import { readCsvTable } from '../../node/csv-stream';
import { matrix } from '../../tensor/matrix';
import { createRng } from '../../util/random';
import { checkWritable } from '../atomic';
import type { CliIo } from '../io';
import {
  decodeRngState,
  encodeRngState,
  loadModel,
  saveModel,
  type CliWeights,
  type ModelMeta,
  type TrainingConfig,
  type TrainingState,
  type ValidationSource,
} from '../model-io';
import { runEpochs } from '../epochs';
import { TrainProgress } from '../progress';
import { divergenceWarning, epochJson, formatEpoch } from './train';

export interface TrainCsvArgs {
  file: string;
  test?: string;
  split?: number;
  label?: string;
  hidden: number[];
  weights: CliWeights;
  epochs: number;
  batch: number;
  seed: number;
  out: string;
  trainer: 'ebp' | 'ste';
  standardize: boolean;
  binarize?: number;
  categorical: string[];
  impute: ImputeMethod;
  delimiter?: Delimiter;
  checkpointEvery: number;
  resume?: string;
  force: boolean;
  quiet: boolean;
  json: boolean;
  /** Options given on the command line (not defaults), by attribute name: a resumed run rejects conflicting ones. */
  explicit: ReadonlySet<string>;
}

/** The weight kind of a `--weights` name. */
export function weightKind(name: CliWeights): WeightKind {
  if (name === 'ternary') return ternary();
  return name;
}

/** Checkpoint file of a model output. */
export function checkpointPath(out: string): string {
  return `${out}.ckpt`;
}

function scalingOf(a: TrainCsvArgs): Scaling {
  if (a.binarize !== undefined) return { kind: 'binarize', threshold: a.binarize };
  if (a.standardize) return { kind: 'standardize' };
  return { kind: 'none' };
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** A resumed run takes its settings from the checkpoint; flags given again must agree with it. */
function adoptCheckpoint(args: TrainCsvArgs, cfg: TrainingConfig, file: string): TrainCsvArgs {
  const a = { ...args };
  const conflict = (flag: string, given: unknown, saved: unknown) =>
    new ArgumentError(`${flag} ${JSON.stringify(given)} differs from the checkpoint's ${JSON.stringify(saved)} (${file}); a resumed run keeps the checkpoint's settings, so drop the flag or start over without --resume.`);
  const check = <K extends keyof TrainCsvArgs>(key: K, flag: string, saved: TrainCsvArgs[K]) => {
    if (args.explicit.has(key as string) && !same(args[key], saved)) throw conflict(flag, args[key], saved);
    a[key] = saved;
  };
  check('hidden', '--hidden', cfg.hidden);
  check('weights', '--weights', cfg.weights);
  check('batch', '--batch', cfg.batch);
  check('seed', '--seed', cfg.seed);
  check('categorical', '--categorical', cfg.categorical);
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
  const v = cfg.validation;
  if (v.kind === 'split') {
    if (args.test !== undefined) throw conflict('--test', args.test, `--split ${v.fraction}`);
    if (args.explicit.has('split') && args.split !== v.fraction) throw conflict('--split', args.split, v.fraction);
    a.split = v.fraction;
  } else if (v.kind === 'file') {
    if (args.test === undefined) throw new ArgumentError(`the checkpoint ${file} was trained with --test ${v.file}; pass --test again to resume.`);
    if (path.basename(args.test) !== v.file) throw conflict('--test', path.basename(args.test), v.file);
  } else if (args.test !== undefined || args.split !== undefined) {
    throw conflict(args.test !== undefined ? '--test' : '--split', args.test ?? args.split, 'no validation data');
  }
  if (path.basename(args.file) !== cfg.trainFile) {
    throw new ArgumentError(`the checkpoint ${file} was trained on ${cfg.trainFile}, not ${path.basename(args.file)}.`);
  }
  return a;
}

/** sha256 of the encoded training (and validation) rows: a resumed run must see the same data. */
function dataHash(train: Dataset, validation: Dataset | undefined, batch: number): string {
  const h = crypto.createHash('sha256');
  h.update(`batch=${batch};`);
  for (const ds of validation ? [train, validation] : [train]) {
    h.update(`${ds.X.shape[0]}x${ds.X.shape[1]};classes=${ds.numClasses};`);
    const X = ds.X.data.subarray(ds.X.offset, ds.X.offset + ds.X.shape[0] * ds.X.shape[1]);
    h.update(new Uint8Array(X.buffer, X.byteOffset, X.byteLength));
    h.update(new Uint8Array(ds.labels.buffer, ds.labels.byteOffset, ds.labels.byteLength));
  }
  return h.digest('hex');
}

function toDataset(spec: PreprocessSpec, raw: RawTable, rows: ArrayLike<number> | undefined, name: string): { ds: Dataset; unknown: number } {
  const enc = encodeTable(spec, raw, rows);
  const width = featureWidth(spec);
  const ds = makeDataset({
    X: matrix(enc.X, enc.rows, width),
    labels: enc.labels,
    numClasses: spec.label.classes.length,
    classNames: spec.label.classes,
    featureNames: encodedFeatureNames(spec),
    name,
  });
  return { ds, unknown: enc.unknownCategories };
}

function pct(x: number | null): string {
  return x === null || Number.isNaN(x) ? '-' : `${(100 * x).toFixed(2)}%`;
}

/** `ebp train data.csv ...`: read, preprocess, train with EBP, checkpoint, write the model. */
export async function trainCsv(argsIn: TrainCsvArgs, io: CliIo): Promise<number> {
  if (argsIn.trainer === 'ste') {
    throw new ArgumentError(
      '--trainer ste is not available yet: STE networks (batch-norm thresholds, a scaled output layer, Adam state) cannot be written to .ebpb model files and checkpoints yet. Use --trainer ebp.',
    );
  }
  const resolve = (p: string) => path.resolve(io.cwd, p);
  const show = (p: string) => p; // paths in messages as the user gave them
  const out = resolve(argsIn.out);
  const ckpt = checkpointPath(out);
  const resumeFile = argsIn.resume !== undefined ? resolve(argsIn.resume) : undefined;

  // Refuse to clobber before spending any time.
  checkWritable(out, argsIn.force, 'output file', argsIn.out);
  if (fs.existsSync(ckpt) && ckpt !== resumeFile && !argsIn.force) {
    throw new IoError(
      `a checkpoint of an earlier run exists: ${show(checkpointPath(argsIn.out))}. Continue it with --resume ${show(checkpointPath(argsIn.out))}, or pass --force to start over.`,
      EXIT_CODES.usage,
    );
  }

  let args = argsIn;
  let resumed: { store: NonNullable<ReturnType<typeof loadModel>['store']>; meta: ModelMeta; state: TrainingState } | null = null;
  if (resumeFile) {
    const model = loadModel(resumeFile, argsIn.resume);
    if (!model.store || !model.meta.training || !model.meta.state) {
      throw new IoError(`${argsIn.resume} holds no training state (posterior, settings and data order), so training cannot resume from it.`, EXIT_CODES.model);
    }
    args = adoptCheckpoint(argsIn, model.meta.training.config, argsIn.resume!);
    resumed = { store: model.store, meta: model.meta, state: model.meta.state };
  }
  if (args.split !== undefined && args.test !== undefined) throw new ArgumentError('--test and --split are alternatives; give one.');

  const t0 = performance.now();
  const trainPath = resolve(args.file);
  const raw = await readCsvTable(trainPath, {
    label: args.label,
    categorical: args.categorical,
    allowMissing: args.impute !== 'none',
    delimiter: args.delimiter,
    file: args.file,
  });
  // The file name in messages is as given on the command line.
  let trainRows: Int32Array | undefined;
  let valRows: Int32Array | undefined;
  if (args.split !== undefined) {
    const perm = createRng(args.seed).fork().permutation(raw.rows); // a stream of its own, apart from the initial field
    const nv = Math.round(raw.rows * args.split);
    if (nv < 1 || nv >= raw.rows) {
      throw new ArgumentError(`--split ${args.split} of ${raw.rows} rows leaves ${nv} validation and ${raw.rows - nv} training rows; both need at least one.`);
    }
    valRows = perm.slice(0, nv).sort();
    trainRows = perm.slice(nv).sort();
  }
  const spec = fitPreprocess(raw, { scaling: scalingOf(args), impute: args.impute, rows: trainRows });
  const base = path.basename(args.file).replace(/\.gz$/i, '').replace(/\.(csv|tsv|txt)$/i, '');
  const train = toDataset(spec, raw, trainRows, base).ds;
  let validation: Dataset | undefined;
  let validationSource: ValidationSource = { kind: 'none' };
  if (valRows) {
    validation = toDataset(spec, raw, valRows, `${base} (split)`).ds;
    validationSource = { kind: 'split', fraction: args.split! };
  } else if (args.test !== undefined) {
    const testRaw = await readCsvTable(resolve(args.test), {
      label: spec.label.name,
      categorical: spec.columns.filter((c) => c.kind === 'categorical').map((c) => c.name),
      allowMissing: args.impute !== 'none',
      delimiter: args.delimiter,
      file: args.test,
    });
    const t = toDataset(spec, testRaw, undefined, path.basename(args.test));
    validation = t.ds;
    validationSource = { kind: 'file', file: path.basename(args.test) };
    if (t.unknown > 0 && !args.quiet && !args.json) io.stderr(`warning: ${t.unknown} cells of ${args.test} hold categories not seen in training (encoded as no category).\n`);
  }

  const K = spec.label.classes.length;
  const width = featureWidth(spec);
  const sizes = [width, ...args.hidden, K];
  const hash = dataHash(train, validation, args.batch);
  const config: TrainingConfig = {
    trainer: 'ebp',
    weights: args.weights,
    hidden: args.hidden.slice(),
    batch: args.batch,
    seed: args.seed,
    epochs: args.epochs,
    label: spec.label.name,
    categorical: args.categorical.slice(),
    impute: args.impute,
    scaling: spec.scaling,
    validation: validationSource,
    trainFile: path.basename(args.file),
  };

  let trainer: EbpTrainer;
  let batchesDone = 0;
  if (resumed) {
    if (resumed.state.dataHash !== hash) {
      throw new IoError(
        `${args.file} does not hold the data the checkpoint ${argsIn.resume} was trained on (different rows, values or preprocessing); resume with the same file.`,
        EXIT_CODES.data,
      );
    }
    if (resumed.store.sizes.join(',') !== sizes.join(',')) {
      throw new IoError(`the checkpoint's network ${resumed.store.sizes.join('-')} does not fit the data (${sizes.join('-')}).`, EXIT_CODES.model);
    }
    trainer = new EbpTrainer(resumed.store, 0);
    trainer.epoch = resumed.state.epochsDone;
    trainer.setRngState(decodeRngState(resumed.state.rngState));
    batchesDone = resumed.state.batchesDone;
    if (trainer.epoch > args.epochs || (trainer.epoch === args.epochs && batchesDone > 0)) {
      throw new ArgumentError(`the checkpoint has ${trainer.epoch} epochs done, more than --epochs ${args.epochs}; pass a larger --epochs.`);
    }
  } else {
    trainer = EbpTrainer.create({ inputs: width, hidden: args.hidden, outputs: K, weights: weightKind(args.weights), seed: args.seed });
  }

  const verbose = !args.quiet && !args.json;
  if (verbose) {
    const vdesc = validation ? `, ${validation.labels.length} validation rows` : '';
    io.stderr(
      `${args.file}: ${train.labels.length} training rows${vdesc}, ${raw.plan.features.length} columns -> ${width} inputs, ${K} classes (read in ${((performance.now() - t0) / 1000).toFixed(1)} s)\n` +
        `network ${sizes.join('-')}, ${args.weights} weights, batch ${args.batch}, ${args.epochs} epochs, seed ${args.seed}` +
        (resumed ? `, resuming after epoch ${trainer.epoch}${batchesDone ? ` and ${batchesDone} minibatches` : ''}` : '') +
        '\n',
    );
  }

  // Run the epochs (in slices, so that Ctrl-C is seen between minibatches).
  const progress = new TrainProgress(io, args.epochs);
  const batches = Math.ceil(train.labels.length / args.batch);
  const reports: EpochReport[] = [];
  const meta = (state: TrainingState, resultEpochs: number, val: { errorP: number; errorD: number } | null): ModelMeta => ({
    preprocess: spec,
    training: {
      config,
      result: {
        rows: train.labels.length,
        validationRows: validation ? validation.labels.length : 0,
        epochsDone: resultEpochs,
        validationErrorP: val ? val.errorP : null,
        validationErrorD: val ? val.errorD : null,
      },
    },
    state,
  });
  const writeCheckpoint = (state: TrainingState) => {
    saveModel(ckpt, trainer.store, meta(state, state.epochsDone, null), { force: true, what: 'checkpoint', shownAs: checkpointPath(argsIn.out) });
  };
  const onEpoch = (r: EpochReport) => {
    reports.push(r);
    progress.epoch(r);
    if (args.json) io.stdout(JSON.stringify(epochJson(r, args.epochs)) + '\n');
    else if (!args.quiet) {
      const line = formatEpoch(r, args.epochs) + (r.diverged ? '\n' + divergenceWarning(r) : '');
      if (progress.active) {
        progress.stop();
        io.stderr(line + '\n');
        if (trainer.epoch < args.epochs) progress.start(batches, trainer.epoch + 1);
      } else io.stderr(line + '\n');
    }
    if (trainer.epoch < args.epochs && trainer.epoch % args.checkpointEvery === 0) {
      writeCheckpoint({ epochsDone: trainer.epoch, batchesDone: 0, rngState: encodeRngState(trainer.rngState()), dataHash: hash });
    }
  };

  if (!args.json && !args.quiet) progress.start(batches, trainer.epoch + 1, batchesDone);
  let run: Awaited<ReturnType<typeof runEpochs>>;
  try {
    run = await runEpochs(trainer, train, {
      epochs: args.epochs,
      batchSize: args.batch,
      validation,
      startBatch: batchesDone,
      shouldStop: () => Boolean(io.interrupted?.()),
      onBatch: (info) => progress.batch(info, args.batch),
      onEpoch,
    });
  } finally {
    progress.stop();
  }

  if (run.interrupted) {
    const done = run.batchesDone;
    writeCheckpoint({ epochsDone: trainer.epoch, batchesDone: done, rngState: encodeRngState(run.epochStartRng), dataHash: hash });
    const shown = checkpointPath(argsIn.out);
    io.stderr(
      `interrupted after epoch ${trainer.epoch}${done ? ` and ${done} minibatches of the next` : ''}; checkpoint written to ${shown}.\n` +
        `Continue with the same command and --resume ${shown}.\n`,
    );
    if (args.json) io.stdout(JSON.stringify({ summary: true, interrupted: true, epochs: trainer.epoch, batchesDone: done, checkpoint: shown }) + '\n');
    return 130;
  }

  const val = validation ? evaluateErrors(trainer.store, validation) : null;
  const finalState: TrainingState = { epochsDone: trainer.epoch, batchesDone: 0, rngState: encodeRngState(trainer.rngState()), dataHash: hash };
  const bytes = saveModel(out, trainer.store, meta(finalState, trainer.epoch, val), { force: args.force, shownAs: args.out });
  try {
    if (fs.existsSync(ckpt)) fs.unlinkSync(ckpt);
  } catch {
    // a stale checkpoint is harmless
  }
  const totalSeconds = reports.reduce((a, r) => a + r.seconds, 0);
  const samples = reports.reduce((a, r) => a + r.samplesPerSecond * r.seconds, 0);
  const summary = {
    summary: true,
    out: args.out,
    bytes,
    sizes,
    weights: args.weights,
    classes: spec.label.classes,
    epochs: trainer.epoch,
    batch: args.batch,
    seed: args.seed,
    rows: train.labels.length,
    validationRows: validation ? validation.labels.length : 0,
    testErrorP: val ? val.errorP : null,
    testErrorD: val ? val.errorD : null,
    trainSeconds: Math.round(totalSeconds * 1000) / 1000,
    samplesPerSecond: Math.round((samples / Math.max(totalSeconds, 1e-9)) * 10) / 10,
    resumed: Boolean(resumed),
  };
  if (args.json) io.stdout(JSON.stringify(summary) + '\n');
  else io.stdout(`model written to ${args.out} (${bytes} bytes)` + (val ? `; validation error: EBP-P ${pct(val.errorP)}, EBP-D ${pct(val.errorD)}` : '') + '\n');
  return 0;
}
