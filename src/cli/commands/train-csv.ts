import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { ArgumentError, EXIT_CODES, IoError, NumericError } from '../../errors';
import type { Delimiter, RawTable } from '../../data/csv';
import { makeDataset, type Dataset } from '../../data/dataset';
import { encodedFeatureNames, encodeTable, featureWidth, fitPreprocess, RowEncoder, type ImputeMethod, type PreprocessSpec, type Scaling } from '../../data/preprocess';
import { EbpTrainer, evaluateErrors, type EpochReport } from '../../ebp/trainer';
import { ternary, type WeightKind } from '../../ebp/weights';
import { ModelFormatError } from '../../errors';
import { SteTrainer, type SteEpochReport } from '../../ste/trainer';
import type { SteLoss } from '../../ste/loss';
import { readCsvTable, streamCsv } from '../../node/csv-stream';
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
  type TrainingResult,
  type TrainingState,
  type ValidationSource,
} from '../model-io';
import { runEpochs, type EpochRunOptions, type EpochRunResult } from '../epochs';
import type { PosteriorStore } from '../../ebp/posterior';
import { TrainProgress } from '../progress';
import { divergedError, divergenceWarning, ebpDNote, epochJson, formatEpoch, negLogZDetail } from './train';
import { formatLoss, plural } from '../format';

export interface TrainCsvArgs {
  file: string;
  test?: string;
  split?: number;
  label?: string;
  hidden: number[];
  weights: CliWeights;
  epochs: number;
  /** Minibatch size; undefined: the trainer's default (EBP 10, STE 100). */
  batch: number | undefined;
  seed: number;
  out: string;
  trainer: 'ebp' | 'ste';
  /** STE: lr of the first epoch (default {@link STE_DEFAULTS}), lr after `epochs` epochs (default lrStart/100). */
  lrStart?: number;
  lrEnd?: number;
  /** STE: batch normalisation (default on; `--no-batch-norm`). */
  batchNorm: boolean;
  /** STE: the loss (default squared hinge). */
  loss?: SteLoss;
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

/**
 * STE defaults of the CLI: the recipe of docs/ste.md (the PyTorch reference's Adam + exponential decay to
 * lr/100 over the run, batch 100, batch norm, squared hinge); lr 0.1 was its best start on MNIST and digits.
 */
export const STE_DEFAULTS = Object.freeze({ lrStart: 0.1, lrEndRatio: 0.01, batch: 100, loss: 'squared-hinge' as SteLoss });
export const EBP_DEFAULT_BATCH = 10;

/** Flags that only apply to `--trainer ste`, by attribute name. */
const STE_ONLY: readonly [keyof TrainCsvArgs, string][] = [['lrStart', '--lr-start'], ['lrEnd', '--lr-end'], ['batchNorm', '--no-batch-norm'], ['loss', '--loss']];

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
  } else if (args.test !== undefined || args.split !== undefined) {
    throw conflict(args.test !== undefined ? '--test' : '--split', args.test ?? args.split, 'no validation data');
  }
  // File names are not compared: the hash of the encoded rows decides whether the data is the same (trainCsv).
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

/**
 * A `--test` file read as `eval` reads it (RowEncoder): columns matched to the model's by name, extra columns
 * ignored, missing cells filled as in training, labels required.
 */
async function readTestFile(spec: PreprocessSpec, file: string, shown: string, delimiter: Delimiter | undefined): Promise<{ ds: Dataset; unknown: number }> {
  const width = featureWidth(spec);
  let encoder: RowEncoder | null = null;
  let X = new Float64Array(256 * width);
  let labels = new Int32Array(256);
  let n = 0;
  await streamCsv(file, { delimiter, displayName: shown }, {
    header: (names) => {
      encoder = new RowEncoder(spec, names, { file: shown, requireLabel: true, training: true });
    },
    row: (cells, line) => {
      if (n === labels.length) {
        const X2 = new Float64Array(2 * X.length);
        X2.set(X);
        X = X2;
        const L2 = new Int32Array(2 * labels.length);
        L2.set(labels);
        labels = L2;
      }
      labels[n] = encoder!.encode(cells, line, X, n * width);
      n++;
    },
  });
  const ds = makeDataset({
    X: matrix(X.slice(0, n * width), n, width),
    labels: labels.slice(0, n),
    numClasses: spec.label.classes.length,
    classNames: spec.label.classes,
    featureNames: encodedFeatureNames(spec),
    name: path.basename(shown),
  });
  return { ds, unknown: encoder ? (encoder as RowEncoder).unknownCategories : 0 };
}

function pct(x: number | null): string {
  return x === null || Number.isNaN(x) ? '-' : `${(100 * x).toFixed(2)}%`;
}

/** Settings that follow from the trainer: its flags checked, its defaults filled in. */
function resolveTrainer(args: TrainCsvArgs): TrainCsvArgs & { batch: number } {
  if (args.trainer === 'ste') {
    if (args.explicit.has('weights') && args.weights !== 'binary') {
      throw new ArgumentError(`--trainer ste trains binary (±1) weights; --weights ${args.weights} is for --trainer ebp.`);
    }
    const lrStart = args.lrStart ?? STE_DEFAULTS.lrStart;
    const lrEnd = args.lrEnd ?? lrStart * STE_DEFAULTS.lrEndRatio;
    return { ...args, weights: 'binary', batch: args.batch ?? STE_DEFAULTS.batch, lrStart, lrEnd, loss: args.loss ?? STE_DEFAULTS.loss };
  }
  const stray = STE_ONLY.filter(([k]) => args.explicit.has(k as string)).map(([, flag]) => flag);
  if (stray.length > 0) throw new ArgumentError(`${stray.join(', ')} only appl${stray.length === 1 ? 'ies' : 'y'} to --trainer ste.`);
  return { ...args, batch: args.batch ?? EBP_DEFAULT_BATCH };
}

/** The one-line description of a run's trainer for the header line. */
function trainerLine(a: TrainCsvArgs): string {
  if (a.trainer !== 'ste') return `${a.weights} weights`;
  return `STE (binary weights, ${a.batchNorm ? 'batch norm' : 'no batch norm'}, ${a.loss} loss, lr ${a.lrStart} -> ${a.lrEnd})`;
}

/** `ebp train data.csv ...`: read, preprocess, train with EBP (or STE), checkpoint, write the model. */
export async function trainCsv(given: TrainCsvArgs, io: CliIo): Promise<number> {
  // Resuming `<out>.ckpt` finishes its own model file `<out>` (and removes the checkpoint) unless --out says otherwise.
  const ownOut = given.resume !== undefined && !given.explicit.has('out') && /.\.ckpt$/.test(given.resume) ? given.resume.slice(0, -'.ckpt'.length) : undefined;
  const argsIn = ownOut !== undefined ? { ...given, out: ownOut } : given;
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

  let args0 = argsIn;
  let resumed: { model: ReturnType<typeof loadModel>; meta: ModelMeta; state: TrainingState } | null = null;
  if (resumeFile) {
    const model = loadModel(resumeFile, argsIn.resume);
    const t = model.meta.training;
    if (t?.config.trainer === 'ste' && !model.meta.ste) {
      throw new IoError(
        `${argsIn.resume} is a finished STE model: it holds the folded network only, not the latent weights and Adam state training needs. ` +
          `STE training resumes from its checkpoint (<out>.ckpt), which is removed once the model is written.`,
        EXIT_CODES.model,
      );
    }
    if (!(model.store || model.meta.ste) || !t || !model.meta.state) {
      throw new IoError(`${argsIn.resume} holds no training state (posterior, settings and data order), so training cannot resume from it.`, EXIT_CODES.model);
    }
    args0 = adoptCheckpoint(argsIn, t.config, argsIn.resume!);
    resumed = { model, meta: model.meta, state: model.meta.state };
  }
  const args = resolveTrainer(args0);
  const ste = args.trainer === 'ste';
  if (args.split !== undefined && args.test !== undefined) throw new ArgumentError('--test and --split are alternatives; give one.');

  const t0 = performance.now();
  const trainPath = resolve(args.file);
  let stoppedReading = false;
  const raw = await readCsvTable(trainPath, {
    label: args.label,
    categorical: args.categorical,
    allowMissing: args.impute !== 'none',
    delimiter: args.delimiter,
    file: args.file,
    shouldStop: () => (stoppedReading = Boolean(io.interrupted?.())),
  });
  // Ctrl-C while the data was read: nothing trained, so nothing to save (a checkpoint would only block the next run).
  if (stoppedReading) {
    const done = { epochs: resumed?.state.epochsDone ?? 0, batchesDone: resumed?.state.batchesDone ?? 0 };
    if (args.json) io.stdout(JSON.stringify({ summary: true, interrupted: true, ...done, checkpoint: null }) + '\n');
    else io.stderr(`interrupted before training started; nothing written${resumed ? ` (${argsIn.resume} is unchanged)` : ''}.\n`);
    return 130;
  }
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
    const t = await readTestFile(spec, resolve(args.test), args.test, args.delimiter);
    validation = t.ds;
    // A resumed run keeps the names the checkpoint recorded (same rows under another name: same model bytes).
    const saved = resumed?.meta.training?.config.validation;
    validationSource = { kind: 'file', file: saved?.kind === 'file' ? saved.file : path.basename(args.test) };
    if (t.unknown > 0 && !args.quiet && !args.json) io.stderr(`warning: ${t.unknown} cells of ${args.test} hold categories not seen in training (encoded as no category).\n`);
  }

  const K = spec.label.classes.length;
  const width = featureWidth(spec);
  const sizes = [width, ...args.hidden, K];
  const hash = dataHash(train, validation, args.batch);
  const config: TrainingConfig = {
    trainer: args.trainer,
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
    trainFile: resumed?.meta.training?.config.trainFile ?? path.basename(args.file),
    ...(ste ? { lrStart: args.lrStart, lrEnd: args.lrEnd, batchNorm: args.batchNorm, loss: args.loss } : {}),
  };

  if (resumed) {
    if (resumed.state.dataHash !== hash) {
      throw new IoError(
        `${args.file}${args.test !== undefined ? ` (with --test ${args.test})` : ''} does not hold the data the checkpoint ${argsIn.resume} was trained on ` +
          `(${config.trainFile}${validationSource.kind === 'file' ? ` with --test ${validationSource.file}` : ''}): different rows, values or preprocessing; ` +
          `resume with the same rows (the file name may differ).`,
        EXIT_CODES.data,
      );
    }
    if (resumed.model.sizes.join(',') !== sizes.join(',')) {
      throw new IoError(`the checkpoint's network ${resumed.model.sizes.join('-')} does not fit the data (${sizes.join('-')}).`, EXIT_CODES.model);
    }
  }
  const unscaled = spec.scaling.kind === 'none';
  const session = ste ? steSession(args, sizes, resumed, argsIn.resume) : ebpSession(args, sizes, resumed, unscaled);
  const batchesDone = resumed ? resumed.state.batchesDone : 0;
  if (resumed && (session.epoch > args.epochs || (session.epoch === args.epochs && batchesDone > 0))) {
    throw new ArgumentError(`the checkpoint has ${session.epoch} epochs done, more than --epochs ${args.epochs}; pass a larger --epochs.`);
  }

  const verbose = !args.quiet && !args.json;
  if (verbose) {
    const vdesc = validation ? `, ${plural(validation.labels.length, 'validation row')}` : '';
    io.stderr(
      `${args.file}: ${plural(train.labels.length, 'training row')}${vdesc}, ${plural(raw.plan.features.length, 'column')} -> ${plural(width, 'input')}, ${K} classes (read in ${((performance.now() - t0) / 1000).toFixed(1)} s)\n` +
        `network ${sizes.join('-')}, ${trainerLine(args)}, batch ${args.batch}, ${plural(args.epochs, 'epoch')}, seed ${args.seed}` +
        (resumed ? `, resuming after epoch ${session.epoch}${batchesDone ? ` and ${batchesDone} minibatch${batchesDone === 1 ? '' : 'es'}` : ''}` : '') +
        '\n',
    );
  }

  // Run the epochs (in slices, so that Ctrl-C is seen between minibatches).
  const progress = new TrainProgress(io, args.epochs, ste ? 'loss' : '-logZ');
  const batches = Math.ceil(train.labels.length / args.batch);
  const epochTimes: { seconds: number; samples: number }[] = [];
  const meta = (state: TrainingState | undefined, resultEpochs: number, result: Partial<TrainingResult> | null): ModelMeta => {
    const m: ModelMeta = {
      preprocess: spec,
      training: {
        config,
        result: {
          rows: train.labels.length,
          validationRows: validation ? validation.labels.length : 0,
          epochsDone: resultEpochs,
          ...(result ?? session.noResult),
        },
      },
    };
    if (state) m.state = state;
    return m;
  };
  let checkpointEpoch: number | null = null; // epochs done in the checkpoint this run wrote last
  const writeCheckpoint = (state: TrainingState) => {
    checkpointEpoch = state.epochsDone;
    saveModel(ckpt, session.model, { ...meta(state, state.epochsDone, null), ...session.checkpointExtra() }, { force: true, what: 'checkpoint', shownAs: checkpointPath(argsIn.out) });
  };
  const onEpoch = (e: EpochView) => {
    epochTimes.push({ seconds: e.seconds, samples: e.samples });
    progress.epochDone(e.epoch, e.loss, e.progressVal);
    if (args.json) io.stdout(JSON.stringify(e.json) + '\n');
    else if (!args.quiet) {
      const line = e.line + (e.warning ? '\n' + e.warning : '');
      if (progress.active) {
        progress.stop();
        io.stderr(line + '\n');
        if (session.epoch < args.epochs) progress.start(batches, session.epoch + 1);
      } else io.stderr(line + '\n');
    }
    // Before the checkpoint: a diverged posterior must not replace the last good one.
    if (e.divergedDetail) throw diverged(e.epoch, e.divergedDetail);
    if (session.epoch < args.epochs && session.epoch % args.checkpointEvery === 0) {
      writeCheckpoint({ epochsDone: session.epoch, batchesDone: 0, rngState: encodeRngState(session.rngState()), dataHash: hash });
    }
  };

  // EBP whose posterior ran away (non-finite −log Z, or h or b overflowing): exit 4, no model.
  const diverged = (epoch: number, detail: string) => {
    const kept =
      checkpointEpoch !== null
        ? `the checkpoint ${checkpointPath(argsIn.out)} of epoch ${checkpointEpoch} is kept`
        : resumed && resumeFile === ckpt
          ? `the checkpoint ${checkpointPath(argsIn.out)} is kept as it was`
          : undefined;
    return divergedError(epoch, detail, { kept, suggestStandardize: unscaled });
  };

  if (!args.json && !args.quiet) progress.start(batches, session.epoch + 1, batchesDone);
  let run: EpochRunResult;
  try {
    run = await session.run(train, {
      epochs: args.epochs,
      batchSize: args.batch,
      validation,
      startBatch: batchesDone,
      shouldStop: () => Boolean(io.interrupted?.()),
      onBatch: (info) => progress.batch(info, args.batch),
      onEpoch,
    });
  } catch (e) {
    // EbpTrainer's posterior check after an epoch ("after epoch N: h of layer ... is NaN").
    if (!ste && e instanceof NumericError && /^after epoch \d+: /.test(e.message)) throw diverged(session.epoch + 1, e.message.replace(/^after epoch \d+: /, '').replace(/\.$/, ''));
    throw e;
  } finally {
    progress.stop();
  }

  if (run.interrupted) {
    const done = run.batchesDone;
    writeCheckpoint({ epochsDone: session.epoch, batchesDone: done, rngState: encodeRngState(run.epochStartRng), dataHash: hash });
    const shown = checkpointPath(argsIn.out);
    // With --json the summary below says it (nothing on stderr but errors).
    if (!args.json) {
      io.stderr(
        `interrupted after epoch ${session.epoch}${done ? ` and ${done} minibatch${done === 1 ? '' : 'es'} of the next` : ''}; checkpoint written to ${shown}.\n` +
          `Continue with the same command and --resume ${shown}.\n`,
      );
    }
    if (args.json) io.stdout(JSON.stringify({ summary: true, interrupted: true, epochs: session.epoch, batchesDone: done, checkpoint: shown }) + '\n');
    return 130;
  }

  const val = validation ? session.validate(validation) : null;
  // EBP models keep the resume state (the posterior is in the file); STE models hold the folded network only.
  const finalState: TrainingState | undefined = ste ? undefined : { epochsDone: session.epoch, batchesDone: 0, rngState: encodeRngState(session.rngState()), dataHash: hash };
  const bytes = saveModel(out, session.model, meta(finalState, session.epoch, val ? val.result : null), { force: args.force, shownAs: args.out });
  try {
    if (fs.existsSync(ckpt)) fs.unlinkSync(ckpt);
  } catch {
    // a stale checkpoint is harmless
  }
  const totalSeconds = epochTimes.reduce((a, r) => a + r.seconds, 0);
  const samples = epochTimes.reduce((a, r) => a + r.samples, 0);
  const summary = {
    summary: true,
    out: args.out,
    bytes,
    sizes,
    trainer: args.trainer,
    weights: args.weights,
    classes: spec.label.classes,
    epochs: session.epoch,
    batch: args.batch,
    seed: args.seed,
    ...(ste ? { lrStart: args.lrStart, lrEnd: args.lrEnd, batchNorm: args.batchNorm, loss: args.loss } : {}),
    rows: train.labels.length,
    validationRows: validation ? validation.labels.length : 0,
    ...(val ? val.summary : session.noSummary),
    trainSeconds: Math.round(totalSeconds * 1000) / 1000,
    samplesPerSecond: Math.round((samples / Math.max(totalSeconds, 1e-9)) * 10) / 10,
    resumed: Boolean(resumed),
  };
  if (args.json) io.stdout(JSON.stringify(summary) + '\n');
  else io.stdout(`model written to ${args.out} (${bytes} bytes)` + (val ? `; validation error: ${val.text}` : '') + '\n');
  const v = val?.summary as { testErrorP?: number; testErrorD?: number } | undefined;
  const note = args.json || args.quiet || v?.testErrorP === undefined ? null : ebpDNote(v.testErrorP, v.testErrorD!);
  if (note) io.stderr(note + '\n');
  return 0;
}

/** One finished epoch, as every output needs it. */
interface EpochView {
  epoch: number;
  /** Mean −log Z (EBP) or mean training loss (STE): the progress bar's loss column. */
  loss: number;
  progressVal: string;
  json: Record<string, unknown>;
  line: string;
  warning?: string;
  /** Set when the epoch's loss is not finite: training stops with this as the reason. */
  divergedDetail?: string;
  seconds: number;
  samples: number;
}

/** What trainCsv needs from a trainer: EBP (the posterior) or STE (the SteTrainer), behind one face. */
interface Session {
  readonly epoch: number;
  /** What saveModel writes: the posterior or the STE trainer. */
  readonly model: PosteriorStore | SteTrainer;
  rngState(): number[];
  run(data: Dataset, opts: Omit<EpochRunOptions<EpochView>, 'onEpoch'> & { onEpoch: (e: EpochView) => void }): Promise<EpochRunResult>;
  /** The validation result: for the model file, the summary JSON and the final line. */
  validate(validation: Dataset): { result: Partial<TrainingResult>; summary: Record<string, unknown>; text: string };
  /** The result and summary fields without validation data. */
  readonly noResult: Partial<TrainingResult>;
  readonly noSummary: Record<string, unknown>;
  /** Checkpoint metadata beyond the training state (STE: the trainer state). */
  checkpointExtra(): Partial<ModelMeta>;
}

function ebpSession(args: TrainCsvArgs, sizes: number[], resumed: { model: ReturnType<typeof loadModel>; state: TrainingState } | null, unscaled: boolean): Session {
  let trainer: EbpTrainer;
  if (resumed) {
    trainer = new EbpTrainer(resumed.model.store!, 0);
    trainer.epoch = resumed.state.epochsDone;
    trainer.setRngState(decodeRngState(resumed.state.rngState));
  } else {
    trainer = EbpTrainer.create({ inputs: sizes[0], hidden: args.hidden, outputs: sizes[sizes.length - 1], weights: weightKind(args.weights), seed: args.seed });
  }
  const view = (r: EpochReport): EpochView => ({
    epoch: r.epoch,
    loss: r.meanNegLogZ,
    progressVal: Number.isNaN(r.validationErrorP) ? '-' : `P ${(100 * r.validationErrorP).toFixed(2)}% D ${(100 * r.validationErrorD).toFixed(2)}%`,
    json: epochJson(r, args.epochs),
    line: formatEpoch(r, args.epochs),
    warning: r.diverged && Number.isFinite(r.meanNegLogZ) ? divergenceWarning(r, unscaled) : undefined,
    divergedDetail: Number.isFinite(r.meanNegLogZ) ? undefined : negLogZDetail(r),
    seconds: r.seconds,
    samples: r.samplesPerSecond * r.seconds,
  });
  return {
    get epoch() {
      return trainer.epoch;
    },
    model: trainer.store,
    rngState: () => trainer.rngState(),
    run: (data, opts) => runEpochs(trainer, data, { ...opts, onEpoch: (r) => opts.onEpoch(view(r)) }),
    validate: (validation) => {
      const v = evaluateErrors(trainer.store, validation);
      return {
        result: { validationErrorP: v.errorP, validationErrorD: v.errorD },
        summary: { testErrorP: v.errorP, testErrorD: v.errorD },
        text: `EBP-P ${pct(v.errorP)}, EBP-D ${pct(v.errorD)}`,
      };
    },
    noResult: { validationErrorP: null, validationErrorD: null },
    noSummary: { testErrorP: null, testErrorD: null },
    checkpointExtra: () => ({}),
  };
}

function steSession(
  args: TrainCsvArgs & { batch: number },
  sizes: number[],
  resumed: { model: ReturnType<typeof loadModel>; meta: ModelMeta; state: TrainingState } | null,
  resumeShown: string | undefined,
): Session {
  const trainer = SteTrainer.create({
    inputs: sizes[0],
    hidden: args.hidden,
    outputs: sizes[sizes.length - 1],
    batchNorm: args.batchNorm,
    loss: args.loss,
    lrStart: args.lrStart as number,
    lrEnd: args.lrEnd as number,
    lrEpochs: args.epochs,
    seed: args.seed,
  });
  if (resumed) {
    const st = resumed.meta.ste!;
    try {
      trainer.setState({ ...st, epoch: resumed.state.epochsDone, rngState: decodeRngState(resumed.state.rngState) });
    } catch (e) {
      throw new ModelFormatError(`${resumeShown}: the STE training state does not fit the network (${(e as Error).message}).`);
    }
  }
  const view = (r: SteEpochReport): EpochView => ({
    epoch: r.epoch,
    loss: r.meanLoss,
    progressVal: Number.isNaN(r.validationError) ? '-' : `${(100 * r.validationError).toFixed(2)}%`,
    json: steEpochJson(r, args.epochs),
    line: formatSteEpoch(r, args.epochs),
    seconds: r.seconds,
    samples: r.samplesPerSecond * r.seconds,
  });
  return {
    get epoch() {
      return trainer.epoch;
    },
    model: trainer,
    rngState: () => trainer.rngState(),
    run: (data, opts) => runEpochs(trainer, data, { ...opts, onEpoch: (r) => opts.onEpoch(view(r)) }),
    validate: (validation) => {
      const error = trainer.evaluate(validation).error;
      return { result: { validationError: error }, summary: { testError: error }, text: `STE ${pct(error)}` };
    },
    noResult: { validationError: null },
    noSummary: { testError: null },
    checkpointExtra: () => {
      const { step, lrEpochs, layers } = trainer.state();
      return { ste: { step, lrEpochs, layers } };
    },
  };
}

/** The `--json` line of an STE epoch (EBP's shape with STE's single error: `trainError`, `testError`). */
export function steEpochJson(r: SteEpochReport, epochs: number): Record<string, unknown> {
  const round = (x: number, d: number) => Math.round(x * 10 ** d) / 10 ** d;
  return {
    epoch: r.epoch,
    epochs,
    meanLoss: round(r.meanLoss, 6),
    lr: r.lr,
    trainError: r.trainError,
    testError: r.validationError,
    seconds: round(r.seconds, 3),
    evalSeconds: round(r.evalSeconds, 3),
    samplesPerSecond: round(r.samplesPerSecond, 1),
    ...(r.skippedRows ? { skippedRows: r.skippedRows } : {}),
  };
}

export function formatSteEpoch(r: SteEpochReport, epochs: number): string {
  const w = String(epochs).length;
  const p = (x: number) => (Number.isNaN(x) ? '  -  ' : `${(100 * x).toFixed(2)}%`);
  return (
    `epoch ${String(r.epoch).padStart(w)}/${epochs}  loss ${formatLoss(r.meanLoss)}  lr ${r.lr.toExponential(2)}  ` +
    `train ${p(r.trainError)}  test ${p(r.validationError)}  ${Math.round(r.samplesPerSecond)} samples/s  ${r.seconds.toFixed(1)} s`
  );
}
