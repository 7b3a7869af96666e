/**
 * How a trainer runs the passes of a minibatch: on the calling thread (the functions of forward.ts and
 * update.ts), or split over an {@link EbpTeam} (./parallel.ts). Both give the same bytes.
 */
import { deterministicBatch, forwardBatch } from './forward';
import { FLAG_DERIVATIVE, FLAG_SPARSE, PHASE } from './parallel';
import type { PosteriorStore } from './posterior';
import type { EbpTeam } from './team';
import { outputDeltas, stepBatch } from './update';
import type { Workspace } from './workspace';

/**
 * Layers with at most this many weights run their forward, sign and backward passes on the calling thread
 * alone (e.g. the 10 outputs of a 200-unit layer): a barrier costs more than their work.
 */
export const LOCAL_LAYER_WEIGHTS = 8192;

/**
 * A fit runs on a team only when a minibatch's rows times the weights of the layers the team splits reach this
 * (about 0.1 ms of work): below it the barriers cost more than they save, and the calling thread runs it alone.
 */
export const MIN_TEAM_WORK = 100_000;

/** Whether minibatches of `batch` rows of `store` have enough work to split over threads ({@link MIN_TEAM_WORK}). */
export function teamWorthwhile(store: PosteriorStore, batch: number): boolean {
  const split = store.layers.reduce((a, W) => a + (W.inputs * W.outputs > LOCAL_LAYER_WEIGHTS ? W.inputs * W.outputs : 0), 0);
  return split * batch >= MIN_TEAM_WORK;
}

/** The passes of a minibatch in the first B rows of a workspace. */
export interface StepRunner {
  /** Threads the passes run on. */
  readonly threads: number;
  /** §3 (forwardBatch). */
  forward(ws: Workspace, B: number, backward: boolean): void;
  /** §8 (deterministicBatch). */
  deterministic(ws: Workspace, B: number, indexed: boolean): void;
  /** The EBP step (stepBatch): returns log Z; `observe` runs after the forward pass. */
  step(ws: Workspace, B: number, observe?: (ws: Workspace, B: number) => void): number;
}

/** The passes on the calling thread. */
export function serialRunner(store: PosteriorStore): StepRunner {
  return {
    threads: 1,
    forward: (ws, B, backward) => forwardBatch(store, ws, B, backward),
    deterministic: (ws, B, indexed) => deterministicBatch(store, ws, B, indexed),
    step: (ws, B, observe) => stepBatch(store, ws, B, observe),
  };
}

/**
 * The passes split over `team`, which runs on `store` and `home` (the store's own workspace); other workspaces
 * (a batch larger than it) run on the calling thread.
 */
export function teamRunner(store: PosteriorStore, home: Workspace, team: EbpTeam): StepRunner {
  const serial = serialRunner(store);
  const L = store.layers.length;
  const local = store.layers.map((W) => W.inputs * W.outputs <= LOCAL_LAYER_WEIGHTS);
  const forward = (ws: Workspace, B: number, backward: boolean): void => {
    if (ws !== home) return serial.forward(ws, B, backward);
    ws.indexInput(B);
    const flags = (ws.sparse ? FLAG_SPARSE : 0) | (backward ? FLAG_DERIVATIVE : 0);
    for (let l = 0; l < L; l++) team.run(PHASE.forward, l, B, flags, 0, local[l]);
  };
  const deterministic = (ws: Workspace, B: number, indexed: boolean): void => {
    if (ws !== home) return serial.deterministic(ws, B, indexed);
    if (!indexed) ws.indexInput(B);
    const flags = ws.sparse ? FLAG_SPARSE : 0;
    for (let l = 0; l < L; l++) team.run(PHASE.sign, l, B, flags, 0, local[l]);
  };
  return {
    threads: team.threads,
    forward,
    deterministic,
    step: (ws, B, observe) => {
      if (ws !== home) return serial.step(ws, B, observe);
      forward(ws, B, true);
      observe?.(ws, B);
      const logZ = outputDeltas(store, ws, B);
      for (let l = L - 1; l >= 1; l--) team.run(PHASE.backward, l, B, 0, 0, local[l]);
      const count = ws.sparse ? ws.unionOfColumns(B) : 0;
      team.run(PHASE.update, 0, B, ws.sparse ? FLAG_SPARSE : 0, count);
      return logZ;
    },
  };
}
