/**
 * Threaded EBP training in browsers: the Web Worker launcher of the EBP thread team (./team.ts), the browser's
 * counterpart of `ebp-bnn/node`'s `worker_threads` one. Browser-safe: it touches `Worker`, `navigator` and
 * `crossOriginIsolated` only when called, so Node can load it.
 *
 * A browser gives threads only to a cross-origin isolated page (served with `Cross-Origin-Opener-Policy:
 * same-origin` and `Cross-Origin-Embedder-Policy: require-corp`): only there are `SharedArrayBuffer` and a
 * shared `WebAssembly.Memory` available. The team's calling thread blocks on `Atomics.wait`, which a page's own
 * thread may not do, so the trainer runs in a dedicated Worker, which starts the team's workers (nested
 * workers) and trains with `fitAsync` (it lets them start: ./team.ts `started`). Elsewhere training runs on one
 * thread; the bytes are the same either way (docs/threads.md).
 */
import { ArgumentError } from '../errors';
import { sharedEbpModule } from '../kernels/ebp';
import { setEbpWorkerLauncher, workerLoop, type EbpWorkerData, type EbpWorkerLauncher } from './team';

/** The most threads {@link installWebWorkerThreads} reports when the page does not ask for a cap. */
export const WEB_THREADS_CAP = 8;

/** Options of {@link installWebWorkerThreads}. */
export interface WebWorkerThreadsOptions {
  /** `'module'` when the worker script is an ES module, else `'classic'` (default). */
  type?: 'classic' | 'module';
  /** The most threads to report; default {@link WEB_THREADS_CAP}. */
  maxThreads?: number;
}

/** What {@link installWebWorkerThreads} found: how many threads training may use here, and if 1, why. */
export interface WebWorkerThreads {
  threads: number;
  /** Why threads are unavailable (threads is then 1). */
  reason?: string;
}

interface WebGlobals {
  Worker?: new (url: string | URL, opts?: { type?: 'classic' | 'module'; name?: string }) => WebWorker;
  crossOriginIsolated?: boolean;
  navigator?: { hardwareConcurrency?: number };
  document?: unknown;
}

interface WebWorker {
  postMessage(message: unknown): void;
  terminate(): void;
}

/** Why threaded training cannot run in this realm, or null when it can. */
function unavailable(g: WebGlobals): string | null {
  if (typeof g.Worker !== 'function') return 'this realm has no Web Workers';
  if (g.crossOriginIsolated !== true) return 'the page is not cross-origin isolated (serve it with COOP: same-origin and COEP: require-corp)';
  if (typeof SharedArrayBuffer !== 'function' || typeof Atomics !== 'object') return 'SharedArrayBuffer is unavailable';
  if (g.document !== undefined) return "a page's own thread may not block (Atomics.wait): train in a dedicated Worker";
  if (sharedEbpModule() === null) return 'shared WebAssembly memory is unavailable';
  return null;
}

/**
 * Let `EbpTrainer`s of this Worker train on several threads: installs a launcher that starts the team's workers
 * from `workerUrl`, a script that calls {@link serveEbpTeamWorker}. Returns the threads available (the cores
 * the browser reports, at most `maxThreads`), or 1 with the reason where threads cannot run (not cross-origin
 * isolated, a page's own thread, no shared memory); then nothing is installed and `threads` above 1 is refused
 * by the trainer as anywhere without threads. Train with `fitAsync` (a blocking `fit` would not let the
 * workers start).
 * @throws {ArgumentError} an empty `workerUrl` or a `maxThreads` that is not a positive integer
 */
export function installWebWorkerThreads(workerUrl: string | URL, opts: WebWorkerThreadsOptions = {}): WebWorkerThreads {
  if (!(workerUrl instanceof URL) && !(typeof workerUrl === 'string' && workerUrl.length > 0)) {
    throw new ArgumentError(`invalid argument. \`workerUrl\` must be a non-empty string or a URL. Value: \`${String(workerUrl)}\`.`);
  }
  const cap = opts.maxThreads ?? WEB_THREADS_CAP;
  if (!Number.isInteger(cap) || cap < 1) throw new ArgumentError(`invalid argument. \`maxThreads\` must be a positive integer. Value: \`${cap}\`.`);
  const g = globalThis as unknown as WebGlobals;
  const why = unavailable(g);
  if (why !== null) return { threads: 1, reason: why };
  const Ctor = g.Worker!;
  const launcher: EbpWorkerLauncher = (data) => {
    const workers: WebWorker[] = [];
    for (let part = 1; part < data.parts; part++) {
      const w = new Ctor(workerUrl, { type: opts.type ?? 'classic', name: `ebp-team-${part}` });
      // The shared memory and the compiled module travel by reference (structured clone of shared objects).
      w.postMessage({ ...data, part } satisfies EbpWorkerData);
      workers.push(w);
    }
    return {
      close: () => {
        for (const w of workers) w.terminate();
      },
    };
  };
  setEbpWorkerLauncher(launcher);
  const cores = Math.max(1, Math.floor(g.navigator?.hardwareConcurrency ?? 1));
  return { threads: Math.min(cap, cores) };
}

/**
 * The body of the team's worker script (the `workerUrl` of {@link installWebWorkerThreads}): waits for its part
 * of the team and runs it until the team stops.
 */
export function serveEbpTeamWorker(): void {
  const scope = globalThis as unknown as { onmessage: ((ev: { data: EbpWorkerData }) => void) | null; close?: () => void };
  scope.onmessage = (ev) => {
    scope.onmessage = null;
    workerLoop(ev.data);
    scope.close?.();
  };
}
