/**
 * The `worker_threads` launcher of threaded EBP training (src/ebp/team.ts), installed when this module is
 * loaded (`ebp-bnn/node` loads it): `EbpTrainer` with `threads` above 1 starts its workers through it. Workers
 * are `unref`'d, so they never keep a process alive: they end with it (normal exit, an uncaught error, Ctrl-C),
 * or when the trainer is closed.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { ArgumentError } from '../errors';
import { setEbpWorkerLauncher, type EbpWorkerLauncher } from '../ebp/team';

/** The compiled worker next to this module, or dist's when this module runs from TypeScript sources (tests). */
export function ebpWorkerScript(): string {
  const own = path.join(__dirname, 'ebp-worker.js');
  if (__filename.endsWith('.js') && existsSync(own)) return own;
  const built = path.resolve(__dirname, '..', '..', 'dist', 'node', 'ebp-worker.js');
  if (existsSync(built)) return built;
  throw new ArgumentError('threaded EBP training needs the compiled worker (dist/node/ebp-worker.js); run `npm run build` first, or use threads: 1.');
}

/** Starts parts − 1 workers on the team's shared memory. */
export const launchEbpWorkers: EbpWorkerLauncher = (data) => {
  const script = ebpWorkerScript();
  const workers: Worker[] = [];
  for (let part = 1; part < data.parts; part++) {
    const w = new Worker(script, { workerData: { ...data, part } });
    w.unref();
    // A worker's failures reach the calling thread through the team's control block; keep 'error' from
    // becoming an uncaught exception of the process once the team is gone.
    w.on('error', () => undefined);
    workers.push(w);
  }
  return {
    close: () => {
      for (const w of workers) void w.terminate();
    },
  };
};

setEbpWorkerLauncher(launchEbpWorkers);
