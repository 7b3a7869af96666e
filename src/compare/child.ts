/**
 * Process isolation of the comparison: the parent side of the worker protocol (./worker.ts is the child side).
 *   parent → child  { type: 'run', spec: DatasetSpec, job: BenchJob } | { type: 'speed', repeats, rows? }
 *   child → parent  { type: 'epoch', info } … then { type: 'result', result } or { type: 'error', name, message }
 */
import { fork, type ChildProcess } from 'child_process';
import { existsSync } from 'fs';
import * as path from 'path';
import type { DatasetSpec } from './datasets';
import type { BenchJob } from './runs';

/** What the parent sends: one job on a dataset the child loads itself, or one STE timing. */
export type WorkerRequest = { type: 'run'; spec: DatasetSpec; job: BenchJob } | { type: 'speed'; repeats: number; rows?: number };

/** The per-epoch report of a job. */
export interface EpochInfo {
  epoch: number;
  epochs: number;
  testErrors: Record<string, number>;
  seconds: number;
}

/** What the child sends back. */
export type WorkerMessage = { type: 'epoch'; info: EpochInfo } | { type: 'result'; result: unknown } | { type: 'error'; name: string; message: string };

/** The child-process entry next to this module (compiled builds only). */
export function workerScript(): string | null {
  if (!__filename.endsWith('.js')) return null;
  const p = path.join(__dirname, 'worker.js');
  return existsSync(p) ? p : null;
}

/** Run `req` in a fresh child process; epoch messages go to onEpoch; `signal` ends the child. */
export function inChild<T>(script: string, req: WorkerRequest, onEpoch: (info: EpochInfo) => void, signal?: AbortSignal): Promise<T> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = fork(script, [], { execArgv: [], stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    let stderr = '';
    let done = false;
    child.stderr?.on('data', (d) => {
      stderr += d;
      if (stderr.length > 20000) stderr = stderr.slice(-10000);
    });
    const onAbort = () => child.kill('SIGTERM');
    signal?.addEventListener('abort', onAbort, { once: true });
    child.on('message', (m: WorkerMessage) => {
      if (m.type === 'epoch') onEpoch(m.info);
      else if (m.type === 'result') {
        done = true;
        resolve(m.result as T);
      } else if (m.type === 'error') {
        done = true;
        const e = new Error(m.message);
        e.name = m.name;
        reject(e);
      }
    });
    child.on('error', (e) => {
      if (!done) reject(e);
      done = true;
    });
    child.on('exit', (code, sig) => {
      signal?.removeEventListener('abort', onAbort);
      if (!done) {
        done = true;
        reject(new Error(signal?.aborted ? 'interrupted' : `worker exited (${sig ?? code}) without a result${stderr ? ': ' + stderr.trim().split('\n').slice(-3).join(' | ') : ''}`));
      }
    });
    child.send(req);
  });
}
