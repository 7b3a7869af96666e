/**
 * A team of threads that runs EBP steps on one shared WebAssembly memory (docs/threads.md). The calling thread
 * is part 0; workers (started by a launcher the environment provides: `ebp-bnn/node` registers one built on
 * `worker_threads`) are parts 1..T−1. Each phase of a step is one task: the calling thread writes it into a
 * shared control block, wakes the workers (Atomics.notify), runs its own part, and waits until every worker has
 * run its part (Atomics.wait): one barrier per phase. Browser-safe: nothing here imports a Node module.
 */
import { ArgumentError, EbpError, NumericError } from '../errors';
import { requireInteger } from '../util/validate';
import { sharedEbpModule, type EbpWasmExports } from '../kernels/ebp';
import { runPart, teamContext, teamLayout, type Task, type TeamContext, type TeamLayout, PHASE } from './parallel';
import type { PosteriorStore } from './posterior';
import type { Workspace } from './workspace';

/** The most threads a caller may ask for (training and packed inference). */
export const MAX_THREADS = 256;

/** A validated thread count: an integer from 1 to {@link MAX_THREADS}. @throws {ArgumentError} otherwise */
export function requireThreads(threads: unknown, name = 'threads'): number {
  return requireInteger(threads, name, { min: 1, max: MAX_THREADS });
}

/** Slots of the control block (an Int32Array on a SharedArrayBuffer). */
const GEN = 0;
const DONE = 1;
const PHASE_AT = 2;
const LAYER = 3;
const ROWS = 4;
const FLAGS = 5;
const COUNT = 6;
const ERR = 7;
const READY = 8;
const ERR_LEN = 9;
const CONTROL_SLOTS = 16;
const ERROR_BYTES = 4096;

/** What a worker receives: the shared memory, the shared module, where the arrays are, the control block. */
export interface EbpWorkerData {
  memory: WebAssembly.Memory;
  module: WebAssembly.Module;
  layout: TeamLayout;
  control: SharedArrayBuffer;
  errors: SharedArrayBuffer;
  part: number;
  parts: number;
}

/** Starts `parts − 1` workers, worker i running {@link workerLoop} with `{ ...data, part: i }`; `close` ends them. */
export type EbpWorkerLauncher = (data: Omit<EbpWorkerData, 'part'>) => { close(): void };

let launcher: EbpWorkerLauncher | null = null;

/** @internal Install the environment's worker launcher (`ebp-bnn/node` installs the `worker_threads` one). */
export function setEbpWorkerLauncher(l: EbpWorkerLauncher | null): void {
  launcher = l;
}

/** Whether threads beyond the calling one can be started here. */
export function ebpThreadsAvailable(): boolean {
  return launcher !== null && typeof SharedArrayBuffer === 'function' && typeof Atomics === 'object' && sharedEbpModule() !== null;
}

/** How long the calling thread waits for a worker to start before giving up (a worker that cannot load). */
const START_TIMEOUT_MS = 60_000;

/** The calling thread's side of a team: dispatches tasks and runs part 0. */
export class EbpTeam {
  readonly threads: number;
  private readonly ctl: Int32Array;
  private readonly errors: Uint8Array;
  private readonly ctx: TeamContext;
  private readonly handle: { close(): void };
  private closed = false;
  private ready = false;

  private constructor(threads: number, ctl: Int32Array, errors: Uint8Array, ctx: TeamContext, handle: { close(): void }) {
    this.threads = threads;
    this.ctl = ctl;
    this.errors = errors;
    this.ctx = ctx;
    this.handle = handle;
  }

  /** A team of `threads` threads on `store` (on a shared heap) and its workspace. */
  static start(store: PosteriorStore, ws: Workspace, threads: number): EbpTeam {
    const heap = store.wasmHeap;
    const module = sharedEbpModule();
    if (launcher === null || heap === null || module === null || !store.shared) {
      throw new ArgumentError(`invalid argument. \`threads\` is ${threads}, but worker threads are unavailable here (Node: import 'ebp-bnn/node'; browsers: threads 1).`);
    }
    const control = new SharedArrayBuffer(CONTROL_SLOTS * 4);
    const errors = new SharedArrayBuffer(ERROR_BYTES);
    const layout = teamLayout(store, ws);
    const ctx = teamContext(layout, heap.memory.buffer, heap.exports as EbpWasmExports);
    const handle = launcher({ memory: heap.memory, module, layout, control, errors, parts: threads });
    return new EbpTeam(threads, new Int32Array(control), new Uint8Array(errors), ctx, handle);
  }

  /**
   * Run one task on every thread; returns when all are done. With `local` set the calling thread runs all of
   * it alone (a small layer: cheaper than a barrier; the same bytes). @throws the first failure of a thread
   */
  run(phase: number, layer: number, rows: number, flags: number, count = 0, local = false): void {
    if (this.closed) throw new ArgumentError('invalid argument. This EBP thread team was closed.');
    if (local) return runPart(this.ctx, { phase, layer, rows, flags, count }, 0, 1);
    const ctl = this.ctl;
    ctl[PHASE_AT] = phase;
    ctl[LAYER] = layer;
    ctl[ROWS] = rows;
    ctl[FLAGS] = flags;
    ctl[COUNT] = count;
    Atomics.store(ctl, DONE, 0);
    Atomics.add(ctl, GEN, 1);
    Atomics.notify(ctl, GEN);
    let mine: unknown = null;
    try {
      runPart(this.ctx, { phase, layer, rows, flags, count }, 0, this.threads);
    } catch (e) {
      mine = e;
    }
    this.await();
    if (mine !== null) throw mine;
    if (Atomics.load(ctl, ERR) !== 0) throw this.failure();
  }

  /**
   * Resolves once every worker has started, waiting on the event loop (never blocking). A browser starts a
   * worker only while the thread that created it returns to its event loop, so `fitAsync` awaits this before
   * its first step; Node's workers start on their own. @throws {EbpError} (exit 70) none within `timeoutMs`
   */
  async started(timeoutMs = START_TIMEOUT_MS): Promise<void> {
    const workers = this.threads - 1;
    const t0 = Date.now();
    while (!this.closed && Atomics.load(this.ctl, READY) < workers) {
      if (Date.now() - t0 > timeoutMs) {
        const ready = Atomics.load(this.ctl, READY);
        this.close();
        throw new EbpError('ebp.usage', `EBP training threads did not start within ${timeoutMs / 1000} s (${ready} of ${workers} workers ready).`, 70);
      }
      await new Promise<void>((resolve) => setTimeout(resolve, 2));
    }
  }

  /** Whether every worker has started. */
  get isStarted(): boolean {
    return Atomics.load(this.ctl, READY) >= this.threads - 1;
  }

  /** Wait until the workers are done (the first time, also until they have started). */
  private await(): void {
    const ctl = this.ctl;
    const workers = this.threads - 1;
    const t0 = Date.now();
    for (;;) {
      const d = Atomics.load(ctl, DONE);
      if (d === workers) break;
      // A short spin first: a barrier costs tens of microseconds through the kernel's futex.
      let spun = 0;
      while (spun < 2000 && Atomics.load(ctl, DONE) === d) spun++;
      if (spun < 2000) continue;
      Atomics.wait(ctl, DONE, d, 1000);
      if (!this.ready && Atomics.load(ctl, READY) < workers && Date.now() - t0 > START_TIMEOUT_MS) {
        this.close();
        throw new EbpError('ebp.usage', `EBP training threads did not start within ${START_TIMEOUT_MS / 1000} s (${Atomics.load(ctl, READY)} of ${workers} workers ready).`, 70);
      }
    }
    this.ready = true;
  }

  /** The first worker failure as a typed error. */
  private failure(): Error {
    const n = Atomics.load(this.ctl, ERR_LEN);
    const text = new TextDecoder().decode(this.errors.slice(0, n));
    const [name, ...rest] = text.split('\n');
    const message = `EBP training thread ${Atomics.load(this.ctl, ERR)}: ${rest.join('\n')}`;
    this.close();
    return name === 'NumericError' ? new NumericError(message) : new Error(message);
  }

  /** End the workers. Safe to call twice. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    Atomics.store(this.ctl, PHASE_AT, PHASE.stop);
    Atomics.add(this.ctl, GEN, 1);
    Atomics.notify(this.ctl, GEN);
    this.handle.close();
  }
}

/**
 * A worker's loop: wait for a task, run this part of it, report; until the STOP phase. A failure is recorded
 * (the first one wins) and reported as done, so the calling thread never waits for a failed worker.
 */
export function workerLoop(data: EbpWorkerData): void {
  const instance = new WebAssembly.Instance(data.module, { env: { memory: data.memory } });
  const ctx = teamContext(data.layout, data.memory.buffer, instance.exports as EbpWasmExports);
  const ctl = new Int32Array(data.control);
  const workers = data.parts - 1;
  Atomics.add(ctl, READY, 1);
  let seen = 0;
  for (;;) {
    let spun = 0;
    while (spun < 2000 && Atomics.load(ctl, GEN) === seen) spun++;
    if (spun === 2000) Atomics.wait(ctl, GEN, seen);
    const gen = Atomics.load(ctl, GEN);
    if (gen === seen) continue;
    seen = gen;
    const task: Task = { phase: ctl[PHASE_AT], layer: ctl[LAYER], rows: ctl[ROWS], flags: ctl[FLAGS], count: ctl[COUNT] };
    if (task.phase === PHASE.stop) return;
    try {
      runPart(ctx, task, data.part, data.parts);
    } catch (e) {
      recordFailure(ctl, new Uint8Array(data.errors), data.part, e);
    }
    if (Atomics.add(ctl, DONE, 1) + 1 === workers) Atomics.notify(ctl, DONE);
  }
}

function recordFailure(ctl: Int32Array, errors: Uint8Array, part: number, e: unknown): void {
  if (Atomics.compareExchange(ctl, ERR, 0, part) !== 0) return;
  const err = e as Error;
  const bytes = new TextEncoder().encode(`${err?.name ?? 'Error'}\n${err?.message ?? String(e)}`).subarray(0, errors.length);
  errors.set(bytes);
  Atomics.store(ctl, ERR_LEN, bytes.length);
}
