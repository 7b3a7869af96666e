/**
 * `createPredictor` (src/model/predictor.ts) with its packed work on worker threads: what `ebp eval` and
 * `ebp predict --threads N` run. The packed deterministic network and the packed posterior ensemble score
 * their batches through the shared pool of ./xnor-threads.ts (the same bytes for any thread count); the
 * other modes (EBP-P, float ensembles, float EBP-D) run createPredictor's own code on the calling thread.
 * The ensemble's draw and its probability rule are createPredictor's (`XnorNetwork.sampleEnsemble`,
 * `smoothedVoteShares`); tests/unit/node/threaded-predictor.test.ts holds the two to the same bytes.
 */
import { smoothedVoteShares } from '../eval/probability';
import { createPredictor, type BatchResult, type PredictorMode, type PredictorOptions, type PredictorSource } from '../model/predictor';
import type { PosteriorStore } from '../ebp/posterior';
import { decideRows } from '../util/decide';
import { requirePositiveInteger } from '../util/validate';
import { XnorNetwork, packedKindOf } from '../xnor/network';
import { resolveThreads, threadedScores } from './xnor-threads';

export interface ThreadedPredictorOptions extends PredictorOptions {
  /** Threads, 1..256 (default: the available cores, at most 8). */
  threads?: number;
}

/** A predictor whose batches may run on several threads. */
export interface AsyncPredictor {
  readonly mode: PredictorMode;
  readonly numClasses: number;
  readonly inputs: number;
  readonly threads: number;
  /** Decide (and give probabilities for) the first `rows` rows of the row-major inputs X. */
  run(X: Float64Array, rows: number): Promise<BatchResult>;
}

/**
 * The predictor of a mode for a model, as `createPredictor(source, mode, opts)`, with the packed work on
 * `opts.threads` threads (the same classes and probabilities for any count).
 */
export function threadedPredictor(source: PredictorSource, mode: PredictorMode, opts: ThreadedPredictorOptions = {}): AsyncPredictor {
  const threads = resolveThreads(opts.threads);
  const store = source.store;
  const packedNet = threads > 1 && mode === 'deterministic' ? source.network ?? null : null;
  const packedEnsemble = threads > 1 && mode === 'ensemble' && store != null && packedKindOf(store) !== null;
  if (packedNet === null && !packedEnsemble) {
    const base = createPredictor(source, mode, opts);
    return { mode, numClasses: base.numClasses, inputs: base.inputs, threads, run: (X, rows) => Promise.resolve(base.run(X, rows)) };
  }
  // The widths' class count and input width as createPredictor states them (its deterministic predictor is free to build).
  const { numClasses, inputs } = createPredictor(source, 'deterministic');
  const shape = { mode, numClasses, inputs, threads };
  if (packedNet !== null) {
    return {
      ...shape,
      run: async (X, rows) => {
        const s = await threadedScores(packedNet, X.subarray(0, rows * inputs), { threads });
        return { classes: decideRows(s.data, rows, s.shape[1]), proba: null };
      },
    };
  }
  const members = requirePositiveInteger(opts.members ?? 16, 'members');
  const ens = XnorNetwork.sampleEnsemble(store as PosteriorStore, { members, seed: opts.seed ?? 1 });
  const KL = source.sizes[source.sizes.length - 1];
  return {
    ...shape,
    run: async (X, rows) => {
      const s = await threadedScores(ens, X.subarray(0, rows * inputs), { threads });
      return { classes: decideRows(s.data, rows, KL), proba: smoothedVoteShares(s.data, rows, KL, members) };
    },
  };
}
