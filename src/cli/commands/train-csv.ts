import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { ArgumentError, EXIT_CODES, IoError, NumericError } from '../../errors';
import { subset, type Dataset } from '../../data/dataset';
import { featureWidth, fitPreprocess, type PreprocessSpec } from '../../data/preprocess';
import { readCsvTable } from '../../node/csv-stream';
import { missingCounts } from '../../data/csv-table';
import { readEncodedCsv } from '../../node/csv-dataset';
import { checkWritable } from '../../node/atomic';
import { loadTrainedModel, saveTrainedModel } from '../../node/model-file';
import { checkLabelColumn, splitRows, toDataset, trainingRecord } from '../../train/csv-data';
import type { EpochRunResult } from '../../train/epochs';
import { encodeRngState, type TrainingConfig, type TrainingRecord, type TrainingResult, type TrainingState, type ValidationSource } from '../../train/record';
import { adoptCheckpoint, checkResumedData, dataHash, resumable, type Resumed } from '../../train/resume';
import { adoptPrior, priorOf, type Prior } from '../../train/prior';
import { posteriorHash } from '../../ebp/merge';
import { createSession, epochState, type SessionEpoch, type TrainingSession } from '../../train/session';
import '../../node/ebp-threads'; // the worker threads of --threads
import { defaultThreads } from '../../node/xnor-threads';
import {
  bestMode, checkMode, keptRecord, modeErrorsOf, replacesKept, resultOf, resumedKept, validatedModes, VALIDATION_ENSEMBLE, type Kept,
} from '../../train/kept';
import type { PredictorMode, PredictorSource } from '../../model/predictor';
import { withDeterminised } from '../../train/determinised';
import { determiniseRun } from '../determinise';
import { checkpointPath, resolveTrainer, scalingOf, type CsvTrainSettings, type ResolvedSettings } from '../../train/settings';
import type { CliIo } from '../io';
import { TrainProgress } from '../progress';
import { refuseInputAsOutput, type InputFile } from '../paths';
import { csvSource, refuseStdinTwice, shownName } from '../stdin';
import {
  divergedError, divergenceWarning, ebpDNote, epochJson, imputationNote, servedModeLine, formatEpoch, formatSteEpoch, negLogZDetail, plural, progressErrors, resultPct, steEpochJson,
} from '../format';

export type TrainCsvArgs = CsvTrainSettings;

/** Where a run writes: the model, its checkpoint, and the file it resumes (resolved; `given` keeps the names as typed). */
interface Outputs {
  given: TrainCsvArgs;
  out: string;
  ckpt: string;
  /** The checkpoint as shown in messages. */
  ckptShown: string;
  resumeFile?: string;
  /** The model `--prior` starts from (resolved). */
  priorFile?: string;
}

/** The data of a run, read and encoded. */
interface RunData {
  spec: PreprocessSpec;
  train: Dataset;
  validation?: Dataset;
  validationSource: ValidationSource;
  sizes: number[];
  columns: number;
}

/** `ebp train data.csv ...`: read, preprocess, train with EBP (or STE), checkpoint, write the model. */
export async function trainCsv(typed: TrainCsvArgs, io: CliIo): Promise<number> {
  const o = outputs(typed, io);
  const resumed = o.resumeFile ? resumable(loadTrainedModel(o.resumeFile, o.given.resume), o.given.resume!) : null;
  const prior = o.priorFile ? priorOf(loadTrainedModel(o.priorFile, o.given.prior), o.given.prior!, Boolean(o.given.allowUnfinishedPrior)) : null;
  const given = prior ? adoptPrior(o.given, prior, o.given.prior!) : o.given;
  const args = resolveTrainer(resumed ? adoptCheckpoint(given, resumed.meta.training!.config, o.given.resume!) : given);
  if (args.split !== undefined && args.test !== undefined) throw new ArgumentError('--test and --split are alternatives; give one.');
  const t0 = performance.now();
  const data = prior ? await readPriorData(args, prior, io) : await readData(args, resumed, io);
  if (data === null) return interruptedWhileReading(args, o, resumed, io);
  const config = trainingConfig(args, data, resumed);
  const hash = dataHash(data.train, data.validation, args.batch, createHash('sha256'));
  if (resumed) checkResumedData(resumed, hash, data.sizes, { file: args.file, test: args.test, resume: o.given.resume }, config);
  const session = createSession({ ...args, threads: args.threads ?? defaultThreads() }, data.sizes, resumed, o.given.resume, prior?.store);
  // A run from a prior records the prior's hash (ebp merge checks it); a resumed one keeps its checkpoint's.
  const lineage = prior ? { prior: posteriorHash(prior.store) } : resumed?.meta.lineage;
  const batchesDone = resumed ? resumed.state.batchesDone : 0;
  if (resumed && (session.epoch > args.epochs || (session.epoch === args.epochs && batchesDone > 0))) {
    throw new ArgumentError(`the checkpoint has ${session.epoch} epochs done, more than --epochs ${args.epochs}; pass a larger --epochs.`);
  }
  if (!args.quiet && !args.json) io.stderr(headerLines(args, data, session, Boolean(resumed), batchesDone, performance.now() - t0));
  const record = (state: TrainingState | undefined, epochsDone: number, result: Partial<TrainingResult>): TrainingRecord => ({
    ...trainingRecord(data.spec, config, { rows: data.train.labels.length, validationRows: data.validation ? data.validation.labels.length : 0, epochsDone }, result, state),
    ...(lineage ? { lineage } : {}),
  });
  const c: RunContext = { args, io, o, data, session, resumed, hash, batchesDone, record, writeCheckpoint: () => undefined, kept: resumedKept(session, resumed, o.given.resume) };
  c.writeCheckpoint = (state: TrainingState) =>
    saveTrainedModel(o.ckpt, session.model, { ...record(state, state.epochsDone, session.noResult), ...session.checkpointExtra(), ...keptRecord(c.session, c.kept, state) }, { force: true, what: 'checkpoint', shownAs: o.ckptShown });
  const run = await trainEpochs(c);
  if (run.interrupted) {
    c.writeCheckpoint(epochState(session, hash, run.batchesDone, run.epochStartRng));
    return reportInterrupted(c, run.batchesDone);
  }
  return writeModel(c, run.epochTimes);
}

/** Output names; resuming `<out>.ckpt` finishes its own model file `<out>` (and removes the checkpoint) unless --out says otherwise. */
function outputs(typed: TrainCsvArgs, io: CliIo): Outputs {
  const ownOut = typed.resume !== undefined && !typed.explicit.has('out') && /.\.ckpt$/.test(typed.resume) ? typed.resume.slice(0, -'.ckpt'.length) : undefined;
  const given = ownOut !== undefined ? { ...typed, out: ownOut } : typed;
  const out = path.resolve(io.cwd, given.out);
  const ckpt = checkpointPath(out);
  const resumeFile = given.resume !== undefined ? path.resolve(io.cwd, given.resume) : undefined;
  const priorFile = given.prior !== undefined ? path.resolve(io.cwd, given.prior) : undefined;
  const ckptShown = checkpointPath(given.out);
  // Refuse to clobber before spending any time; an input is never overwritten, even with --force.
  const inputs: InputFile[] = [{ path: path.resolve(io.cwd, given.file), shown: given.file, what: 'the training file' }];
  if (given.test !== undefined) inputs.push({ path: path.resolve(io.cwd, given.test), shown: given.test, what: 'the --test file' });
  refuseStdinTwice([{ flag: 'the training file', file: given.file }, { flag: '--test', file: given.test }]);
  refuseInputAsOutput({ path: out, shown: given.out, flag: '--out' }, [...inputs, resumeFile ? { path: resumeFile, shown: given.resume!, what: 'the --resume file' } : undefined]);
  refuseInputAsOutput({ path: ckpt, shown: ckptShown, flag: 'the checkpoint' }, inputs);
  checkWritable(out, given.force, 'output file', given.out);
  if (fs.existsSync(ckpt) && ckpt !== resumeFile && !given.force) {
    throw new IoError(`a checkpoint of an earlier run exists: ${ckptShown}. Continue it with --resume ${ckptShown}, or pass --force to start over.`, EXIT_CODES.usage);
  }
  return { given, out, ckpt, ckptShown, resumeFile, priorFile };
}

/** Read the training file (null on Ctrl-C while reading), split or read the validation rows, fit and encode. */
async function readData(args: ResolvedSettings, resumed: Resumed | null, io: CliIo): Promise<RunData | null> {
  let stoppedReading = false;
  const raw = await readCsvTable(csvSource(io, args.file), {
    label: args.label,
    categorical: args.categorical,
    drop: args.drop,
    allowMissing: args.impute !== 'none',
    delimiter: args.delimiter,
    file: shownName(args.file), // the file name in messages is as given on the command line
    shouldStop: () => (stoppedReading = Boolean(io.interrupted?.())),
  });
  if (stoppedReading) return null;
  const { singletons } = checkLabelColumn(raw);
  if (singletons.length > 0 && !args.json) {
    const list = singletons.slice(0, 8).map((c) => JSON.stringify(c)).join(', ') + (singletons.length > 8 ? ', ...' : '');
    io.stderr(`warning: ${singletons.length} class${singletons.length === 1 ? '' : 'es'} of ${args.file} ${singletons.length === 1 ? 'has' : 'have'} a single row (${list}): too few to learn${args.split !== undefined ? ' (kept in training by --split)' : ''}.\n`);
  }
  const split = args.split !== undefined ? splitRows(raw.rows, args.split, args.seed, raw.labels) : undefined;
  const spec = fitPreprocess(raw, { scaling: scalingOf(args), impute: args.impute, rows: split?.train });
  const imputed = imputationNote(missingCounts(raw), args.impute, shownName(args.file));
  if (imputed && !args.quiet && !args.json) io.stderr(imputed + '\n');
  const base = path.basename(shownName(args.file)).replace(/\.gz$/i, '').replace(/\.(csv|tsv|txt)$/i, '');
  const train = toDataset(spec, raw, split?.train, base).ds;
  let validation: Dataset | undefined;
  let validationSource: ValidationSource = { kind: 'none' };
  if (split) {
    validation = toDataset(spec, raw, split.validation, `${base} (split)`).ds;
    validationSource = { kind: 'split', fraction: args.split! };
  } else if (args.test !== undefined) {
    const t = await readEncodedCsv(spec, csvSource(io, args.test), shownName(args.test), args.delimiter);
    validation = t.ds;
    // A resumed run keeps the names the checkpoint recorded (same rows under another name: same model bytes).
    const saved = resumed?.meta.training?.config.validation;
    validationSource = { kind: 'file', file: saved?.kind === 'file' ? saved.file : path.basename(args.test) };
    if (t.unknown > 0 && !args.quiet && !args.json) io.stderr(`warning: ${t.unknown} cells of ${args.test} hold categories not seen in training (encoded as no category).\n`);
  }
  const sizes = [featureWidth(spec), ...args.hidden, spec.label.classes.length];
  return { spec, train, validation, validationSource, sizes, columns: raw.plan.features.length };
}

/**
 * `--prior`: the training (and validation) rows encoded by the prior's preprocessing, as `eval` reads a file:
 * columns matched by name, the prior's classes (a label it does not know is an error: a new class would need a
 * wider output layer), its statistics and categories. `--split` draws from the encoded rows with `--seed`.
 */
async function readPriorData(args: ResolvedSettings, prior: Prior, io: CliIo): Promise<RunData> {
  const spec = prior.model.meta.preprocess;
  const all = await readEncodedCsv(spec, csvSource(io, args.file), shownName(args.file), args.delimiter);
  const warn = (n: number, file: string) => {
    if (n > 0 && !args.quiet && !args.json) io.stderr(`warning: ${n} cells of ${file} hold categories the prior's preprocessing does not know (encoded as no category).\n`);
  };
  warn(all.unknown, args.file);
  let train = all.ds;
  let validation: Dataset | undefined;
  let validationSource: ValidationSource = { kind: 'none' };
  if (args.split !== undefined) {
    const split = splitRows(train.labels.length, args.split, args.seed);
    validation = subset(train, split.validation);
    train = subset(train, split.train);
    validationSource = { kind: 'split', fraction: args.split };
  } else if (args.test !== undefined) {
    const t = await readEncodedCsv(spec, csvSource(io, args.test), shownName(args.test), args.delimiter);
    warn(t.unknown, args.test);
    validation = t.ds;
    validationSource = { kind: 'file', file: path.basename(args.test) };
  }
  return { spec, train, validation, validationSource, sizes: prior.store.sizes.slice(), columns: spec.columns.length };
}

/** Ctrl-C while the data was read: nothing trained, so nothing to save (a checkpoint would only block the next run). */
function interruptedWhileReading(args: ResolvedSettings, o: Outputs, resumed: Resumed | null, io: CliIo): number {
  const done = { epochs: resumed?.state.epochsDone ?? 0, batchesDone: resumed?.state.batchesDone ?? 0 };
  if (args.json) io.stdout(JSON.stringify({ summary: true, interrupted: true, ...done, checkpoint: null }) + '\n');
  else io.stderr(`interrupted before training started; nothing written${resumed ? ` (${o.given.resume} is unchanged)` : ''}.\n`);
  return 130;
}

/** The settings the model file records (everything a resumed run must share). */
function trainingConfig(args: ResolvedSettings, data: RunData, resumed: Resumed | null): TrainingConfig {
  return {
    trainer: args.trainer,
    weights: args.weights,
    hidden: args.hidden.slice(),
    batch: args.batch,
    seed: args.seed,
    epochs: args.epochs,
    label: data.spec.label.name,
    categorical: args.categorical.slice(),
    ...(args.drop.length > 0 ? { drop: args.drop.slice() } : {}),
    impute: args.impute,
    scaling: data.spec.scaling,
    validation: data.validationSource,
    trainFile: resumed?.meta.training?.config.trainFile ?? path.basename(shownName(args.file)),
    ...(args.trainer === 'ste' ? { lrStart: args.lrStart, lrEnd: args.lrEnd, batchNorm: args.batchNorm, loss: args.loss } : {}),
  };
}

/** The one-line description of a run's trainer for the header line. */
function trainerLine(a: ResolvedSettings): string {
  if (a.trainer !== 'ste') return `${a.weights} weights`;
  return `STE (binary weights, ${a.batchNorm ? 'batch norm' : 'no batch norm'}, ${a.loss} loss, lr ${a.lrStart} -> ${a.lrEnd})`;
}

function headerLines(args: ResolvedSettings, data: RunData, session: TrainingSession, resumed: boolean, batchesDone: number, readMs: number): string {
  const vdesc = data.validation ? `, ${plural(data.validation.labels.length, 'validation row')}` : '';
  const K = data.spec.label.classes.length;
  return (
    `${shownName(args.file)}: ${plural(data.train.labels.length, 'training row')}${vdesc}, ${plural(data.columns, 'column')} -> ${plural(data.sizes[0], 'input')}, ${K} classes (read in ${(readMs / 1000).toFixed(1)} s)\n` +
    `network ${data.sizes.join('-')}, ${trainerLine(args)}, batch ${args.batch}, ${plural(args.epochs, 'epoch')}, seed ${args.seed}` +
    (resumed ? `, resuming after epoch ${session.epoch}${batchesDone ? ` and ${batchesDone} minibatch${batchesDone === 1 ? '' : 'es'}` : ''}` : '') +
    (args.prior !== undefined ? `, from the prior ${args.prior}` : '') +
    '\n'
  );
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

function epochView(e: SessionEpoch, epochs: number, unscaled: boolean): EpochView {
  const r = e.report;
  const common = { epoch: r.epoch, progressVal: progressErrors(r), seconds: r.seconds, samples: r.samplesPerSecond * r.seconds };
  if (e.trainer === 'ste') return { ...common, loss: e.report.meanLoss, json: steEpochJson(e.report, epochs), line: formatSteEpoch(e.report, epochs) };
  const b = e.report;
  return {
    ...common,
    loss: b.meanNegLogZ,
    json: epochJson(b, epochs),
    line: formatEpoch(b, epochs),
    warning: b.diverged && Number.isFinite(b.meanNegLogZ) ? divergenceWarning(b, unscaled) : undefined,
    divergedDetail: Number.isFinite(b.meanNegLogZ) ? undefined : negLogZDetail(b),
  };
}

/** A run once its data is read and its trainer is set up. */
interface RunContext {
  args: ResolvedSettings;
  io: CliIo;
  o: Outputs;
  data: RunData;
  session: TrainingSession;
  resumed: Resumed | null;
  /** The data hash a checkpoint records. */
  hash: string;
  /** Minibatches of the next epoch a resumed checkpoint had done. */
  batchesDone: number;
  record: (state: TrainingState | undefined, epochsDone: number, result: Partial<TrainingResult>) => TrainingRecord;
  writeCheckpoint: (state: TrainingState) => void;
  /** With validation data: the epoch of lowest validation error so far (what the model file will hold). */
  kept: Kept | null;
}

/**
 * Run the epochs (in slices, so that Ctrl-C is seen between minibatches): progress, a line per epoch, a
 * checkpoint every `--checkpoint-every` epochs; a posterior that ran away stops the run (exit 4, no model).
 */
async function trainEpochs(c: RunContext): Promise<EpochRunResult & { epochTimes: { seconds: number; samples: number }[] }> {
  const { args, io, session } = c;
  const ste = args.trainer === 'ste';
  const unscaled = c.data.spec.scaling.kind === 'none';
  const progress = new TrainProgress(io, args.epochs, ste ? 'loss' : '-logZ');
  const batches = Math.ceil(c.data.train.labels.length / args.batch);
  const epochTimes: { seconds: number; samples: number }[] = [];
  let checkpointEpoch: number | null = null; // epochs done in the checkpoint this run wrote last
  const diverged = (epoch: number, detail: string) => {
    const kept =
      checkpointEpoch !== null
        ? `the checkpoint ${c.o.ckptShown} of epoch ${checkpointEpoch} is kept`
        : c.resumed && c.o.resumeFile === c.o.ckpt
          ? `the checkpoint ${c.o.ckptShown} is kept as it was`
          : undefined;
    return divergedError(epoch, detail, { kept, suggestStandardize: unscaled });
  };
  const onEpoch = (se: SessionEpoch) => {
    const e = epochView(se, args.epochs, unscaled);
    epochTimes.push({ seconds: e.seconds, samples: e.samples });
    progress.epochDone(e.epoch, e.loss, e.progressVal);
    const errors = session.epochErrors(se);
    if (errors && !e.divergedDetail && replacesKept(errors, c.kept?.errors ?? null)) c.kept = { epoch: e.epoch, errors, snap: session.snapshot() };
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
      checkpointEpoch = session.epoch;
      c.writeCheckpoint(epochState(session, c.hash));
    }
  };
  if (!args.json && !args.quiet) progress.start(batches, session.epoch + 1, c.batchesDone);
  try {
    const run = await session.run(c.data.train, {
      epochs: args.epochs,
      batchSize: args.batch,
      validation: c.data.validation,
      startBatch: c.batchesDone,
      shouldStop: () => Boolean(io.interrupted?.()),
      onBatch: (info) => progress.batch(info, args.batch),
      onEpoch,
    });
    return { ...run, epochTimes };
  } catch (e) {
    // EbpTrainer's posterior check after an epoch ("after epoch N: h of layer ... is NaN").
    if (!ste && e instanceof NumericError && /^after epoch \d+: /.test(e.message)) throw diverged(session.epoch + 1, e.message.replace(/^after epoch \d+: /, '').replace(/\.$/, ''));
    throw e;
  } finally {
    progress.stop();
  }
}

/** Ctrl-C during training: the checkpoint is written; say how to continue. */
function reportInterrupted(c: RunContext, done: number): number {
  const { args, session, io } = c;
  const shown = c.o.ckptShown;
  // With --json the summary says it (nothing on stderr but errors).
  if (!args.json) {
    io.stderr(
      `interrupted after epoch ${session.epoch}${done ? ` and ${done} minibatch${done === 1 ? '' : 'es'} of the next` : ''}; checkpoint written to ${shown}.\n` +
        `Continue with the same command and --resume ${shown}.\n`,
    );
  }
  if (args.json) io.stdout(JSON.stringify({ summary: true, interrupted: true, epochs: session.epoch, batchesDone: done, checkpoint: shown }) + '\n');
  return 130;
}

/** Validate, write the model (removing the checkpoint), print the summary. */
function writeModel(c: RunContext, epochTimes: { seconds: number; samples: number }[]): number {
  const { args, o, data, session, io } = c;
  const ste = args.trainer === 'ste';
  // The file holds the kept epoch (lowest validation error), else the last one; its state resumes from there.
  const kept = data.validation ? c.kept : null;
  const model = kept ? session.snapshotModel(kept.snap) : session.model;
  const result = !data.validation ? null : kept ? resultOf(kept.errors, ste) : session.validate(data.validation);
  if (result && kept) result.keptEpoch = kept.epoch;
  if (result) Object.assign(result, validatedModes(session.predictorSource(model), modeErrorsOf(result, ste), data.validation!));
  // Binary EBP: the file's deterministic network is the determinised one (on the kept posterior; plain EBP-D is mode 'map').
  const det = determiniseRun(model, args.trainer, data, { seed: args.seed, skip: !args.determinise, io, json: args.json, quiet: args.quiet });
  const source = { ...session.predictorSource(model), ...(det ? { network: det.network } : {}) };
  const shipped = det ? withDeterminised(result ?? session.noResult, det, data.validation ? checkMode(source, 'deterministic', data.validation).error : null) : result;
  // EBP models keep the resume state (the posterior is in the file); STE models hold the folded network only.
  const finalState = ste
    ? undefined
    : kept && kept.snap.trainer === 'ebp'
      ? { epochsDone: kept.epoch, batchesDone: 0, rngState: encodeRngState(kept.snap.rngState), dataHash: c.hash }
      : epochState(session, c.hash);
  const bytes = saveTrainedModel(o.out, model, c.record(finalState, session.epoch, shipped ?? session.noResult), { force: args.force, shownAs: args.out, network: det?.network });
  try {
    if (fs.existsSync(o.ckpt)) fs.unlinkSync(o.ckpt);
  } catch {
    // a stale checkpoint is harmless
  }
  const totalSeconds = epochTimes.reduce((a, r) => a + r.seconds, 0);
  const samples = epochTimes.reduce((a, r) => a + r.samples, 0);
  const errors = ste
    ? { testError: result ? result.validationError : null }
    : { testErrorP: result ? result.validationErrorP : null, testErrorD: result ? result.validationErrorD : null };
  const summary = {
    summary: true,
    out: args.out,
    bytes,
    sizes: data.sizes,
    trainer: args.trainer,
    weights: args.weights,
    classes: data.spec.label.classes,
    epochs: session.epoch,
    batch: args.batch,
    seed: args.seed,
    ...(ste ? { lrStart: args.lrStart, lrEnd: args.lrEnd, batchNorm: args.batchNorm, loss: args.loss } : {}),
    rows: data.train.labels.length,
    validationRows: data.validation ? data.validation.labels.length : 0,
    ...errors,
    keptEpoch: kept ? kept.epoch : null,
    ...(shipped?.modes ? { modes: shipped.modes, bestMode: shipped.bestMode } : {}),
    ...(det ? { determinised: det.record } : {}),
    trainSeconds: Math.round(totalSeconds * 1000) / 1000,
    samplesPerSecond: Math.round((samples / Math.max(totalSeconds, 1e-9)) * 10) / 10,
    resumed: Boolean(c.resumed),
  };
  const text = !result ? '' : ste ? `STE ${resultPct(result.validationError)}` : `EBP-P ${resultPct(result.validationErrorP)}, EBP-D ${resultPct(result.validationErrorD)}`;
  if (args.json) io.stdout(JSON.stringify(summary) + '\n');
  else io.stdout(`model written to ${args.out} (${bytes} bytes)` + (result ? `; validation error: ${text}` : '') + '\n');
  const v = result && !ste ? (errors as { testErrorP: number; testErrorD: number }) : undefined;
  const note = args.json || args.quiet || v === undefined || det ? null : ebpDNote(v.testErrorP, v.testErrorD, result?.bestMode);
  if (note) io.stderr(note + '\n');
  if (!args.json && !args.quiet && kept) io.stderr(keptLine(kept, session.epoch) + '\n');
  if (!args.json && !args.quiet && shipped?.modes) io.stderr(servedModeLine(shipped.modes, shipped.bestMode) + '\n');
  const single = data.validation && shipped ? singleClassWarning(source, data, shipped) : null;
  if (single && !args.json) io.stderr(single + '\n');
  return 0;
}

function keptLine(kept: Kept, epochs: number): string {
  const b = bestMode(kept.errors);
  return `kept epoch ${kept.epoch} of ${epochs}${kept.epoch === epochs ? '' : ` (the lowest validation error${b ? `, ${resultPct(b.error)} ${b.mode}` : ''}; later epochs validated worse)`}.`;
}

/**
 * A model that gives every validation row one class has learnt the majority rate at best: say so (unscaled
 * columns of very different ranges, a label that is not the target, or too few epochs are the usual causes).
 */
function singleClassWarning(source: PredictorSource, data: RunData, result: Partial<TrainingResult>): string | null {
  const mode = (result.bestMode ?? 'deterministic') as PredictorMode;
  const check = checkMode(source, mode, data.validation!, VALIDATION_ENSEMBLE);
  const used = [...check.predicted].map((n, k) => [n, k]).filter(([n]) => n > 0);
  if (used.length !== 1) return null;
  const cls = data.spec.label.classes[used[0][1]];
  return (
    `warning: the model predicts one class ("${cls}") for all ${data.validation!.labels.length} validation rows (${mode} mode, ${resultPct(check.error)} error): it has learnt nothing beyond the majority class. ` +
    `Check that --label is the target, scale the inputs (the default; not --no-standardize), or train longer.`
  );
}
