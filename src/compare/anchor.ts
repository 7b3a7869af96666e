/**
 * The STE speed comparison with the PyTorch reference (../shared/anchors/ste_anchor.py, one thread): one
 * training epoch of 784-200-10 with batch norm at batch 100 on the reference's timing data (10,000 rows of
 * uniform [0, 1) pixels, random labels; warm-up epoch on 1,000 rows; best of 2 epochs per process), ours and
 * PyTorch's each in a fresh process, interleaved round by round so both see the same background load.
 */
import { spawn, spawnSync } from 'child_process';
import { existsSync, readFileSync } from 'fs';
import * as path from 'path';

export const DEFAULT_PYTHON = '/usr/bin/python3';

/** The reference script: $EBP_BNN_STE_ANCHOR, else ../shared/anchors/ste_anchor.py next to the repository root. */
export function defaultAnchorScript(): string | null {
  const env = process.env.EBP_BNN_STE_ANCHOR;
  if (env) return env;
  let dir = __dirname;
  for (let i = 0; i < 8; i++) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'ebp-bnn') {
          return path.join(dir, '..', 'shared', 'anchors', 'ste_anchor.py');
        }
      } catch {
        // not ours
      }
    }
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return null;
}

/** The PyTorch build the reference ran with: version, BLAS library and CPU capability. */
export interface TorchInfo {
  torch: string;
  blasLibrary: string;
  cpuCapability: string;
}

/** PyTorch's version and BLAS when the reference can run here; otherwise the reason it cannot. */
export function torchAvailable(
  python: string,
  script: string | null,
  given = true,
): { ok: true; info: TorchInfo } | { ok: false; reason: string } {
  if (!script || !existsSync(script)) {
    // The default script is a developer's anchor beside the repository that no user has: name no path for it.
    if (!given) return { ok: false, reason: 'the optional PyTorch reference is not set up (set EBP_BNN_STE_ANCHOR to its script to compare); our STE timing runs alone.' };
    return { ok: false, reason: `the PyTorch reference script was not found (${script ?? 'none given'}); set EBP_BNN_STE_ANCHOR or pass anchorScript.` };
  }
  if (!existsSync(python)) return { ok: false, reason: `${python} not found.` };
  const r = spawnSync(python, ['-c', 'import torch, json; print(json.dumps({"torch": torch.__version__, "config": torch.__config__.show()}))'], { encoding: 'utf8' });
  if (r.status !== 0) return { ok: false, reason: `PyTorch is not importable by ${python} (${(r.stderr || '').trim().split('\n').pop() ?? 'error'}).` };
  const info = JSON.parse(r.stdout.trim().split('\n').pop() as string) as { torch: string; config: string };
  let blas = 'unknown';
  const b = spawnSync('readlink', ['-f', '/usr/lib/x86_64-linux-gnu/libblas.so.3'], { encoding: 'utf8' });
  if (b.status === 0 && b.stdout.trim()) blas = b.stdout.trim();
  return { ok: true, info: { torch: info.torch, blasLibrary: blas, cpuCapability: /CPU capability usage: (\w+)/.exec(info.config)?.[1] ?? 'unknown' } };
}

/** One PyTorch timing process; resolves samples/s. */
export function torchEpochSpeed(python: string, script: string, repeats: number, signal?: AbortSignal, rows = 10000): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(python, [script, '--threads', '1', '_time_child', '--sizes', '784-200-10', '--batch', '100', '--n-train', String(rows), '--repeats', String(repeats)], {
      env: { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const onAbort = () => child.kill('SIGTERM');
    signal?.addEventListener('abort', onAbort, { once: true });
    child.on('error', reject);
    child.on('close', (code) => {
      signal?.removeEventListener('abort', onAbort);
      if (code !== 0) return reject(new Error(`${script} _time_child exited with ${code}: ${err.trim().split('\n').slice(-2).join(' ')}`));
      try {
        resolve(Number(JSON.parse(out.trim().split('\n').pop() as string).train_samples_per_s));
      } catch (e) {
        reject(e as Error);
      }
    });
  });
}

/** Training speed of this library against the PyTorch reference on the same network, batch and data, one thread each. */
export interface SpeedComparison {
  net: '784-200-10';
  batch: 100;
  threads: 1;
  data: string;
  rounds: number;
  /** Rows of the timing data (10,000 in the reference's timing mode). */
  rows?: number;
  /** Our STE (WebAssembly kernels unless unavailable): median samples/s over rounds, and per round. */
  oursSamplesPerSecond: number;
  oursRounds: number[];
  oursSecondsPerEpoch: number;
  oursBackend: string;
  /** PyTorch reference, null when skipped. */
  pytorchSamplesPerSecond: number | null;
  pytorchRounds: number[] | null;
  pytorchSecondsPerEpoch: number | null;
  /** Our epoch time / PyTorch's, paired median over rounds (target ≤ 2). */
  timeRatio: number | null;
  pytorch: TorchInfo | null;
  /** Why PyTorch was not run. */
  skipped?: string;
  command: string;
}
