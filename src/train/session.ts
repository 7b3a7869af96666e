import { ModelFormatError } from '../errors';
import type { Dataset } from '../data/dataset';
import type { PosteriorStore } from '../ebp/posterior';
import { EbpTrainer, evaluateErrors, type EpochReport } from '../ebp/trainer';
import { SteTrainer, type SteEpochReport, type SteTrainerState } from '../ste/trainer';
import type { PredictorSource } from '../model/predictor';
import { XnorNetwork } from '../xnor/network';
import type { SteLoss } from '../ste/loss';
import { runEpochs, type EpochRunOptions, type EpochRunResult } from './epochs';
import { decodeRngState, encodeRngState, weightKind, type KeptSoFar, type ModeErrors, type TrainingRecord, type TrainingResult, type TrainingState, type WeightsName } from './record';
import type { Resumed } from './resume';

/** One finished epoch of either trainer. */
export type SessionEpoch = { trainer: 'ebp'; report: EpochReport } | { trainer: 'ste'; report: SteEpochReport };

/** A copy of a session's network after an epoch (and, EBP, the generator state after it): the epoch a run keeps. */
export type Snapshot = { trainer: 'ebp'; store: PosteriorStore; rngState: number[] } | { trainer: 'ste'; state: SteTrainerState };

/** A trainer (EBP: the posterior; STE: the SteTrainer) behind one face, new or resumed from a checkpoint. */
export interface TrainingSession {
  readonly trainer: 'ebp' | 'ste';
  /** Epochs done. */
  readonly epoch: number;
  /** What a model file holds: the posterior or the STE trainer. */
  readonly model: PosteriorStore | SteTrainer;
  /** The trainer's kernel backend (EBP: the store's). */
  readonly backend: string;
  rngState(): number[];
  run(data: Dataset, opts: Omit<EpochRunOptions<SessionEpoch>, 'onEpoch'> & { onEpoch: (e: SessionEpoch) => void }): Promise<EpochRunResult>;
  /** The validation errors after the last epoch, as the training result records them. */
  validate(validation: Dataset): Partial<TrainingResult>;
  /** The result fields without validation data. */
  readonly noResult: Partial<TrainingResult>;
  /** Checkpoint metadata beyond the training state (STE: the trainer state). */
  checkpointExtra(): Partial<TrainingRecord>;
  /** An epoch's validation error by prediction mode (null without validation data). */
  epochErrors(e: SessionEpoch): ModeErrors | null;
  /** A copy of the network as it is now. */
  snapshot(): Snapshot;
  /** What a model file of a snapshot holds. */
  snapshotModel(s: Snapshot): PosteriorStore | SteTrainer;
  /** The network of a snapshot, as a checkpoint records it (see {@link KeptSoFar}). */
  keptTensors(s: Snapshot): Pick<KeptSoFar, 'rngState' | 'posterior' | 'ste'>;
  /** A snapshot from a checkpoint's record of the kept epoch (null when it holds no network). */
  fromKept(k: KeptSoFar): Snapshot | null;
  /** What the prediction modes of a model of this session run. */
  predictorSource(model: PosteriorStore | SteTrainer): PredictorSource;
}

/** What a session is built from: the network's widths and the trainer's settings. */
export interface SessionSettings {
  trainer: 'ebp' | 'ste';
  hidden: number[];
  weights: WeightsName;
  seed: number;
  epochs: number;
  /** STE only. */
  batchNorm?: boolean;
  loss?: SteLoss;
  lrStart?: number;
  lrEnd?: number;
  /** EBP: threads a minibatch is split over (default 1; the same bytes for any count). */
  threads?: number;
}

/**
 * A session for `settings` on a network of widths `sizes`, continuing `resumed` when given (`resumeShown` in
 * messages), or (EBP) starting from a copy of the posterior `prior` (`--prior`; data order from seed + 1, as a
 * new run's).
 */
export function createSession(settings: SessionSettings, sizes: number[], resumed: Resumed | null, resumeShown?: string, prior?: PosteriorStore): TrainingSession {
  return settings.trainer === 'ste' ? steSession(settings, sizes, resumed, resumeShown) : ebpSession(settings, sizes, resumed, prior);
}

/** The state a checkpoint (or a finished EBP model) records after `session`'s last complete epoch. */
export function epochState(session: TrainingSession, hash: string, batchesDone = 0, rng: number[] = session.rngState()): TrainingState {
  return { epochsDone: session.epoch, batchesDone, rngState: encodeRngState(rng), dataHash: hash };
}

function ebpSession(s: SessionSettings, sizes: number[], resumed: Resumed | null, prior: PosteriorStore | undefined): TrainingSession {
  let trainer: EbpTrainer;
  if (prior) {
    trainer = EbpTrainer.fromPrior(prior, s.seed + 1, undefined, { threads: s.threads });
  } else if (resumed) {
    trainer = new EbpTrainer(resumed.model.store!, 0, { threads: s.threads });
    trainer.epoch = resumed.state.epochsDone;
    trainer.setRngState(decodeRngState(resumed.state.rngState));
  } else {
    trainer = EbpTrainer.create({ inputs: sizes[0], hidden: s.hidden, outputs: sizes[sizes.length - 1], weights: weightKind(s.weights), seed: s.seed, threads: s.threads });
  }
  return {
    trainer: 'ebp',
    get epoch() {
      return trainer.epoch;
    },
    model: trainer.store,
    backend: trainer.store.backend,
    rngState: () => trainer.rngState(),
    run: (data, opts) => runEpochs(trainer, data, { ...opts, onEpoch: (report) => opts.onEpoch({ trainer: 'ebp', report }) }),
    validate: (validation) => {
      const v = evaluateErrors(trainer.store, validation);
      return { validationErrorP: v.errorP, validationErrorD: v.errorD };
    },
    noResult: { validationErrorP: null, validationErrorD: null },
    checkpointExtra: () => ({}),
    epochErrors: (e) => {
      const r = e.report as EpochReport;
      return Number.isNaN(r.validationErrorP) ? null : { deterministic: r.validationErrorD, probabilistic: r.validationErrorP };
    },
    snapshot: () => ({ trainer: 'ebp', store: trainer.store.clone(), rngState: trainer.rngState() }),
    snapshotModel: (snap) => (snap as { store: PosteriorStore }).store,
    keptTensors: (snap) => {
      const sn = snap as { store: PosteriorStore; rngState: number[] };
      return { rngState: sn.rngState.slice(), posterior: { h: sn.store.layers.map((L) => L.h.slice()), b: sn.store.layers.map((L) => L.b.slice()) } };
    },
    fromKept: (k) => {
      if (!k.posterior || !k.rngState) return null;
      const store = trainer.store.clone();
      store.layers.forEach((L, l) => {
        L.h.set(k.posterior!.h[l]);
        L.b.set(k.posterior!.b[l]);
      });
      store.refresh();
      return { trainer: 'ebp', store, rngState: k.rngState.slice() };
    },
    predictorSource: (model) => ({ sizes: (model as PosteriorStore).sizes, store: model as PosteriorStore }),
  };
}

function steSession(s: SessionSettings, sizes: number[], resumed: Resumed | null, resumeShown: string | undefined): TrainingSession {
  const create = () => SteTrainer.create({
    inputs: sizes[0],
    hidden: s.hidden,
    outputs: sizes[sizes.length - 1],
    batchNorm: s.batchNorm,
    loss: s.loss,
    lrStart: s.lrStart as number,
    lrEnd: s.lrEnd as number,
    lrEpochs: s.epochs,
    seed: s.seed,
  });
  const trainer = create();
  if (resumed) {
    const st = resumed.meta.ste!;
    try {
      trainer.setState({ ...st, epoch: resumed.state.epochsDone, rngState: decodeRngState(resumed.state.rngState) });
    } catch (e) {
      throw new ModelFormatError(`${resumeShown}: the STE training state does not fit the network (${(e as Error).message}).`);
    }
  }
  return {
    trainer: 'ste',
    get epoch() {
      return trainer.epoch;
    },
    model: trainer,
    get backend() {
      return trainer.backend;
    },
    rngState: () => trainer.rngState(),
    run: (data, opts) => runEpochs(trainer, data, { ...opts, onEpoch: (report) => opts.onEpoch({ trainer: 'ste', report }) }),
    validate: (validation) => ({ validationError: trainer.evaluate(validation).error }),
    noResult: { validationError: null },
    checkpointExtra: () => {
      const { step, lrEpochs, layers } = trainer.state();
      return { ste: { step, lrEpochs, layers } };
    },
    epochErrors: (e) => {
      const r = e.report as SteEpochReport;
      return Number.isNaN(r.validationError) ? null : { deterministic: r.validationError };
    },
    snapshot: () => ({ trainer: 'ste', state: trainer.state() }),
    snapshotModel: (snap) => {
      const t = create();
      t.setState((snap as { state: SteTrainerState }).state);
      return t;
    },
    keptTensors: (snap) => {
      const { step, lrEpochs, layers, rngState } = (snap as { state: SteTrainerState }).state;
      return { rngState: rngState.slice(), ste: { step, lrEpochs, layers } };
    },
    fromKept: (k) => (k.ste && k.rngState ? { trainer: 'ste', state: { ...k.ste, epoch: k.epoch, rngState: k.rngState.slice() } } : null),
    predictorSource: (model) => ({ sizes: (model as SteTrainer).sizes, network: XnorNetwork.fromSte(model as SteTrainer) }),
  };
}
