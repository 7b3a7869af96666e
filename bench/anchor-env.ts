/**
 * How the benchmarks run their numpy anchors (bench/ebp.ts, bench/xnor.ts): on one thread, and by default
 * with OpenBLAS's best kernel for the CPU. Some environments pin OpenBLAS to an older kernel
 * (`OPENBLAS_CORETYPE=Haswell`, `OPENBLAS_L2_SIZE`); the anchor runs with both unset unless
 * `--numpy-kernel env` keeps the environment's choice. These variables are changed for the anchor's
 * process only, never for the project's own runs, tests or CI.
 */
import { spawnSync } from 'node:child_process';

/** Which OpenBLAS kernel the anchor may use: its best one for this CPU, or whatever the environment pins. */
export type NumpyKernel = 'best' | 'env';

/** `--numpy-kernel best|env` from the command line (default best). */
export function numpyKernelArg(args: readonly string[]): NumpyKernel {
  const i = args.indexOf('--numpy-kernel');
  const v = i >= 0 ? args[i + 1] : 'best';
  if (v !== 'best' && v !== 'env') throw new Error(`--numpy-kernel must be best or env, got ${v}`);
  return v;
}

/** The environment of an anchor process: one thread, and OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE unset for `best`. */
export function numpyEnv(kernel: NumpyKernel, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1', ...extra };
  if (kernel === 'best') {
    delete env.OPENBLAS_CORETYPE;
    delete env.OPENBLAS_L2_SIZE;
  }
  return env;
}

/**
 * Run a Python anchor script and return its last stdout line (JSON) and the OpenBLAS kernel it ran, read from
 * OpenBLAS's own report on its stderr (`OPENBLAS_VERBOSE=2` prints `Core: SkylakeX`).
 */
export function runAnchor(script: string, argv: string[], kernel: NumpyKernel, extra: Record<string, string> = {}): { json: Record<string, unknown>; openblasKernel: string } {
  const r = spawnSync('python3', [script, ...argv], { encoding: 'utf8', env: numpyEnv(kernel, { OPENBLAS_VERBOSE: '2', ...extra }) });
  if (r.status !== 0) throw new Error(`numpy anchor ${script} ${argv.join(' ')} failed: ${r.stderr || r.error}`);
  const openblasKernel = /Core:\s*(\S+)/.exec(r.stderr)?.[1] ?? 'unknown';
  return { json: JSON.parse(r.stdout.trim().split('\n').pop() as string) as Record<string, unknown>, openblasKernel };
}
