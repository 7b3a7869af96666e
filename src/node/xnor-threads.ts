/**
 * Packed inference of large batches on several threads (Node): a pool of `worker_threads` workers, each
 * holding a copy of the networks it was sent, runs contiguous row ranges of one batch. Inputs and scores
 * travel through SharedArrayBuffers (no copy per worker). Each row's scores depend on that row alone
 * (XnorNetwork.forwardInto, XnorEnsemble.scoresInto), so any thread count gives the same bytes. Rows
 * already in a SharedArrayBuffer are read in place; others are copied once into scratch the pool keeps.
 *
 * Node-only (rank 7): the browser-safe main entry never reaches `worker_threads`; a page would run the
 * same row ranges in Web Workers (docs/threads.md).
 */
import { existsSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import ndarray from 'ndarray';
import { ArgumentError, EbpError, NumericError, ShapeError } from '../errors';
import type { Matrix } from '../tensor/matrix';
import { decideRows } from '../util/decide';
import { MAX_THREADS, requireThreads } from '../ebp/team';
import { voteShares } from '../eval/probability';
import { XnorEnsemble, XnorNetwork, type XnorInput, type XnorLayerSpec } from '../xnor/network';
import type { InputEncoding } from '../xnor/input';
import type { XnorLayer } from '../xnor/layers';

/** Threads used when none are given: the available cores, at most this many. */
export const DEFAULT_THREADS_CAP = 8;
/** The most threads a caller may ask for (one limit for training and inference: src/ebp/team.ts). */
export { MAX_THREADS };
/** Batches with fewer rows than this per thread run on fewer threads (a worker round trip costs ~0.1 ms). */
export const MIN_ROWS_PER_THREAD = 32;

/** The default thread count: os.availableParallelism() capped at {@link DEFAULT_THREADS_CAP}. */
export function defaultThreads(): number {
  const n = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return Math.max(1, Math.min(DEFAULT_THREADS_CAP, n));
}

/** A validated thread count: an integer from 1 to 256, or the default when undefined. */
export function resolveThreads(threads: unknown, name = 'threads'): number {
  if (threads === undefined) return defaultThreads();
  return requireThreads(threads, name);
}

/** @internal What a worker needs to rebuild a network or an ensemble. */
export interface ModelDescription {
  ensemble: boolean;
  members: { layers: XnorLayerSpec[]; input: InputEncoding; backend: 'wasm' | 'js' }[];
}

/** @internal Messages to a worker. */
export type PoolRequest =
  | { type: 'load'; id: number; model: ModelDescription }
  | { type: 'drop'; id: number }
  | { type: 'run'; job: number; id: number; x: SharedArrayBuffer; xAt: number; out: SharedArrayBuffer; K0: number; KL: number; start: number; end: number };

/** @internal Replies from a worker (one per run). */
export type PoolReply = { type: 'done'; job: number } | { type: 'error'; job: number; name: string; message: string };

function layerSpec(L: XnorLayer): XnorLayerSpec {
  const weights = L.plus && L.minus ? { plus: L.plus, minus: L.minus } : L.weights;
  return { type: L.type, weights, bias: L.bias, threshold: L.threshold, flip: L.flip, scale: L.scale };
}

function describe(model: XnorNetwork | XnorEnsemble): ModelDescription {
  const nets = model instanceof XnorEnsemble ? model.members : [model];
  return {
    ensemble: model instanceof XnorEnsemble,
    members: nets.map((n) => ({ layers: n.layers.map(layerSpec), input: n.input as InputEncoding, backend: n.backend })),
  };
}

/** The compiled worker next to this module, or dist's when this module runs from TypeScript sources (tests). */
export function xnorWorkerScript(): string {
  const own = path.join(__dirname, 'xnor-worker.js');
  if (__filename.endsWith('.js') && existsSync(own)) return own;
  const built = path.resolve(__dirname, '..', '..', 'dist', 'node', 'xnor-worker.js');
  if (existsSync(built)) return built;
  throw new ArgumentError('threaded inference needs the compiled worker (dist/node/xnor-worker.js); run `npm run build` first, or use threads: 1.');
}

interface Slot {
  worker: Worker;
  loaded: Set<number>;
  /** The first row of each job this worker runs (to report the first failing row of a batch). */
  starts: Map<number, number>;
}

interface Job {
  pending: number;
  failures: { start: number; name: string; message: string }[];
  resolve: () => void;
}

/** Options of {@link XnorThreadPool.create}. */
export interface ThreadPoolOptions {
  /** Worker threads, 1..256. Default {@link defaultThreads}. With 1, batches run on the calling thread. */
  threads?: number;
}

/**
 * A pool of worker threads for packed inference. Workers start on first use and do not keep the process
 * alive while idle; `close()` ends them. One batch at a time is split; concurrent calls queue on the workers.
 */
export class XnorThreadPool {
  readonly threads: number;
  private slots: Slot[] = [];
  private ids = new WeakMap<XnorNetwork | XnorEnsemble, number>();
  private nextId = 1;
  private nextJob = 1;
  private jobs = new Map<number, Job>();
  private busy = 0;
  private queue: Promise<unknown> = Promise.resolve();
  private buffers: { x: SharedArrayBuffer | null; out: SharedArrayBuffer | null } = { x: null, out: null };
  private closed = false;
  private readonly dropper = new FinalizationRegistry<number>((id) => this.broadcast({ type: 'drop', id }));

  private constructor(threads: number) {
    this.threads = threads;
  }

  /** A pool of `opts.threads` workers (started on first use). @throws {ArgumentError} a thread count outside 1..256 */
  static create(opts: ThreadPoolOptions = {}): XnorThreadPool {
    return new XnorThreadPool(resolveThreads(opts.threads));
  }

  /**
   * Scores as `model.scores(X)`, byte for byte, computed on up to `threads` threads (or `opts.threads`,
   * at most the pool's).
   */
  async scores(model: XnorNetwork | XnorEnsemble, X: XnorInput, opts: ThreadPoolOptions = {}): Promise<Matrix> {
    const first = model instanceof XnorEnsemble ? model.members[0] : model;
    const { data, offset, rows } = first.rows(X);
    const K0 = model.sizes[0];
    const KL = model.sizes[model.sizes.length - 1];
    const want = opts.threads === undefined ? this.threads : Math.min(this.threads, resolveThreads(opts.threads));
    const T = Math.min(want, Math.floor(rows / MIN_ROWS_PER_THREAD));
    if (T <= 1) return model.scores(X);
    if (this.closed) throw new ArgumentError('invalid argument. This XnorThreadPool was closed.');
    // One batch at a time: the scratch buffers are the pool's.
    const run = this.queue.then(async () => {
      let x: SharedArrayBuffer;
      let xAt = data.byteOffset + offset * 8;
      if (data.buffer instanceof SharedArrayBuffer) x = data.buffer;
      else {
        // Fresh SharedArrayBuffers cost page faults (a 25 MB batch: ~90 ms of CPU, more than its forward pass),
        // so the input is copied into scratch kept between batches.
        x = this.scratch('x', rows * K0);
        new Float64Array(x, 0, rows * K0).set(data.subarray(offset, offset + rows * K0));
        xAt = 0;
      }
      const out = this.scratch('out', rows * KL);
      await this.runJob(model, x, xAt, out, K0, KL, rows, T);
      return ndarray(new Float64Array(out, 0, rows * KL).slice(), [rows, KL]);
    });
    this.queue = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /** A shared scratch buffer of at least n doubles (grown, never shrunk). */
  private scratch(which: 'x' | 'out', n: number): SharedArrayBuffer {
    const have = this.buffers[which];
    if (have !== null && have.byteLength >= n * 8) return have;
    const buf = new SharedArrayBuffer(Math.max(n * 8, (have?.byteLength ?? 0) * 2));
    this.buffers[which] = buf;
    return buf;
  }

  /** Classes as `model.predict(X)`. */
  async predict(model: XnorNetwork | XnorEnsemble, X: XnorInput, opts: ThreadPoolOptions = {}): Promise<Int32Array> {
    const s = await this.scores(model, X, opts);
    return decideRows(s.data, s.shape[0], s.shape[1]);
  }

  /** Vote shares as `ensemble.probabilities(X)`. */
  async probabilities(ensemble: XnorEnsemble, X: XnorInput, opts: ThreadPoolOptions = {}): Promise<Matrix> {
    const s = await this.scores(ensemble, X, opts);
    const [rows, KL] = s.shape;
    return ndarray(voteShares(s.data, rows, KL), [rows, KL === 1 ? 2 : KL]);
  }

  /** End the workers (pending batches fail). Safe to call twice. */
  async close(): Promise<void> {
    this.closed = true;
    const slots = this.slots;
    this.slots = [];
    this.buffers = { x: null, out: null };
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }

  private runJob(model: XnorNetwork | XnorEnsemble, x: SharedArrayBuffer, xAt: number, out: SharedArrayBuffer, K0: number, KL: number, rows: number, T: number): Promise<void> {
    const id = this.idOf(model);
    const job = this.nextJob++;
    this.ensureWorkers(T);
    return new Promise<void>((resolve, reject) => {
      const state: Job = {
        pending: T,
        failures: [],
        resolve: () => {
          this.jobs.delete(job);
          if (--this.busy === 0) for (const s of this.slots) s.worker.unref();
          if (state.failures.length === 0) return resolve();
          state.failures.sort((a, b) => a.start - b.start);
          reject(rebuildError(state.failures[0]));
        },
      };
      this.jobs.set(job, state);
      if (this.busy++ === 0) for (const s of this.slots) s.worker.ref();
      const per = Math.ceil(rows / T);
      for (let t = 0; t < T; t++) {
        const slot = this.slots[t];
        if (!slot.loaded.has(id)) {
          slot.worker.postMessage({ type: 'load', id, model: describe(model) } satisfies PoolRequest);
          slot.loaded.add(id);
        }
        const start = t * per;
        const end = Math.min(rows, start + per);
        slot.starts.set(job, start);
        slot.worker.postMessage({ type: 'run', job, id, x, xAt, out, K0, KL, start, end } satisfies PoolRequest);
      }
    });
  }

  private idOf(model: XnorNetwork | XnorEnsemble): number {
    let id = this.ids.get(model);
    if (id === undefined) {
      id = this.nextId++;
      this.ids.set(model, id);
      this.dropper.register(model, id);
    }
    return id;
  }

  private ensureWorkers(T: number): void {
    while (this.slots.length < T) {
      const worker = new Worker(xnorWorkerScript());
      const slot: Slot = { worker, loaded: new Set(), starts: new Map() };
      worker.unref();
      worker.on('message', (m: PoolReply) => this.onReply(slot, m));
      worker.on('error', (e) => this.failAll(slot, e));
      worker.on('exit', (code) => {
        if (this.closed) return;
        this.failAll(slot, new Error(`xnor worker exited with code ${code}`));
      });
      this.slots.push(slot);
    }
  }

  private onReply(slot: Slot, m: PoolReply): void {
    const job = this.jobs.get(m.job);
    if (job === undefined) return;
    const start = slot.starts.get(m.job) ?? 0;
    slot.starts.delete(m.job);
    if (m.type === 'error') job.failures.push({ start, name: m.name, message: m.message });
    if (--job.pending === 0) job.resolve();
  }

  /** A worker died: its slot is removed and every pending job fails. */
  private failAll(slot: Slot, e: Error): void {
    this.slots = this.slots.filter((s) => s !== slot);
    for (const job of [...this.jobs.values()]) {
      job.failures.push({ start: -1, name: 'Error', message: e.message });
      job.pending = 0;
      job.resolve();
    }
  }

  private broadcast(req: PoolRequest): void {
    for (const s of this.slots) {
      if (req.type === 'drop' && s.loaded.delete(req.id)) s.worker.postMessage(req);
    }
  }
}

/** A worker's error as the typed error the calling thread would have thrown. */
function rebuildError(f: { name: string; message: string }): Error {
  const types: Record<string, new (m: string) => EbpError> = { NumericError, ShapeError, ArgumentError };
  const Ctor = types[f.name];
  return Ctor ? new Ctor(f.message) : new Error(f.message);
}

let shared: XnorThreadPool | null = null;

/** The pool behind {@link threadedScores}: workers start as calls need them, up to 256. */
function sharedPool(): XnorThreadPool {
  shared ??= XnorThreadPool.create({ threads: MAX_THREADS });
  return shared;
}

/**
 * `model.scores(X)` on `threads` threads (default {@link defaultThreads}), through one pool shared by
 * these helpers (its idle workers do not keep the process alive).
 */
export function threadedScores(model: XnorNetwork | XnorEnsemble, X: XnorInput, opts: ThreadPoolOptions = {}): Promise<Matrix> {
  return sharedPool().scores(model, X, { threads: resolveThreads(opts.threads) });
}

/** `model.predict(X)` on `threads` threads; see {@link threadedScores}. */
export function threadedPredict(model: XnorNetwork | XnorEnsemble, X: XnorInput, opts: ThreadPoolOptions = {}): Promise<Int32Array> {
  return sharedPool().predict(model, X, { threads: resolveThreads(opts.threads) });
}
