/**
 * EBP vs STE comparison (npm run bench:compare): accuracy, calibration, time, memory, model size.
 * A thin command line over runComparison / writeComparison (src/bench). Writes bench/results/compare-<dataset>.json,
 * SVG plots in bench/results/plots/ and the comparison section of docs/benchmarks.md.
 *
 * Options:
 *   --dataset mnist10k|fashion-mnist|all   (default mnist10k; 'all' = MNIST-10k, then Fashion-MNIST when installed)
 *   --train FILE --test FILE [--name NAME] [--label COL] [--no-standardize]   a CSV pair instead
 *   --fashion-dir DIR     Fashion-MNIST IDX folder (default /usr/share/datasets/fashion-mnist)
 *   --quick               1 seed, 2 epochs, lr 1e-3 and 1e-1, one timing round (writes compare-<dataset>-quick.json, docs untouched)
 *   --seeds N | --seeds 0,1,2    --epochs N    --lrs 1e-4,1e-3,...    --hidden 200[,200]    --members 16
 *   --bn on|off|both      STE batch-norm settings (default both)
 *   --jobs N              jobs at once, each in its own process (default 1, keeps timings comparable)
 *   --in-process          no child processes (peak RSS is then the whole process's)
 *   --no-speed            skip the STE-vs-PyTorch epoch timing    --speed-rounds N (default 3)
 *   --no-docs             leave docs/benchmarks.md alone
 *   --report-only         no training: recompute the summary and rewrite plots and docs from compare-<dataset>[-quick].json
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { datasetAvailable, datasetName, runComparison, writeComparison, type ComparisonOptions, type ComparisonProgress, type ComparisonResult, type DatasetSpec, summarizeRuns } from '../src/compare';

const ROOT = path.join(__dirname, '..', '..');

function parseArgs(argv: string[]) {
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new Error(`unexpected argument '${a}'`);
    const eq = a.indexOf('=');
    if (eq > 0) flags.set(a.slice(2, eq), a.slice(eq + 1));
    else if (i + 1 < argv.length && !argv[i + 1].startsWith('--')) flags.set(a.slice(2), argv[++i]);
    else flags.set(a.slice(2), true);
  }
  return flags;
}

const list = (v: string) => v.split(',').map((s) => Number(s.trim()));

function progress(p: ComparisonProgress): void {
  const w = (s: string) => process.stderr.write(s + '\n');
  switch (p.type) {
    case 'plan':
      w(`${p.dataset}: ${p.jobs.length} jobs`);
      break;
    case 'job-start':
      w(`[${p.index + 1}/${p.total}] ${p.label}`);
      break;
    case 'epoch':
      w(`  epoch ${p.epoch}/${p.epochs} ${p.seconds.toFixed(2)}s: ${Object.entries(p.testErrors).map(([k, v]) => `${k} ${(100 * v).toFixed(2)}%`).join(', ')}`);
      break;
    case 'job-end':
      if (p.failed) w(`  FAILED: ${p.failed}`);
      break;
    case 'speed':
      w(`  speed round ${p.round}/${p.rounds}: ours ${Math.round(p.oursSamplesPerSecond)}/s${p.pytorchSamplesPerSecond === null ? '' : `, PyTorch ${Math.round(p.pytorchSamplesPerSecond)}/s`}`);
      break;
    case 'note':
      w(p.message);
      break;
  }
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const f = parseArgs(argv);
  const str = (k: string) => (typeof f.get(k) === 'string' ? (f.get(k) as string) : undefined);
  const specs: DatasetSpec[] = [];
  if (str('train') || str('test')) {
    if (!str('train') || !str('test')) throw new Error('--train and --test go together');
    const label = str('label');
    specs.push({ kind: 'csv', train: str('train') as string, test: str('test') as string, name: str('name'), label: label !== undefined && /^-?\d+$/.test(label) ? Number(label) : label, standardize: !f.has('no-standardize') });
  } else {
    const ds = str('dataset') ?? 'mnist10k';
    if (ds === 'mnist10k' || ds === 'all') specs.push({ kind: 'mnist10k' });
    if (ds === 'fashion-mnist' || ds === 'all') specs.push({ kind: 'fashion-mnist', dir: str('fashion-dir') });
    if (!specs.length) throw new Error(`unknown --dataset '${ds}' (mnist10k, fashion-mnist, all, or --train/--test)`);
  }
  const seedsArg = str('seeds');
  const bn = str('bn') ?? 'both';
  const base: Omit<ComparisonOptions, 'dataset'> = {
    quick: f.has('quick'),
    seeds: seedsArg === undefined ? undefined : seedsArg.includes(',') ? list(seedsArg) : Number(seedsArg),
    epochs: str('epochs') ? Number(str('epochs')) : undefined,
    lrs: str('lrs') ? list(str('lrs') as string) : undefined,
    hidden: str('hidden') ? list(str('hidden') as string) : undefined,
    members: str('members') ? Number(str('members')) : undefined,
    batchNorm: bn === 'on' ? [true] : bn === 'off' ? [false] : [true, false],
    jobs: str('jobs') ? Number(str('jobs')) : undefined,
    isolate: f.has('in-process') ? 'none' : 'auto',
    speed: !f.has('no-speed'),
    speedRounds: str('speed-rounds') ? Number(str('speed-rounds')) : undefined,
    command: `npm run bench:compare${argv.length ? ' -- ' + argv.join(' ') : ''}`,
  };
  const ac = new AbortController();
  process.once('SIGINT', () => {
    process.stderr.write('\ninterrupted: stopping the running jobs (nothing is written)\n');
    ac.abort();
  });
  const resultsDir = path.join(ROOT, 'bench', 'results');
  const docsFile = f.has('no-docs') ? null : path.join(ROOT, 'docs', 'benchmarks.md');
  if (f.has('report-only')) {
    for (const spec of specs) {
      const file = path.join(resultsDir, `compare-${datasetName(spec)}${f.has('quick') ? '-quick' : ''}.json`);
      const res = JSON.parse(readFileSync(file, 'utf8')) as ComparisonResult;
      res.summary = summarizeRuns(res.runs); // with the current summary code
      const out = writeComparison(res, { resultsDir, docsFile });
      process.stdout.write(`${file}\n${out.plots.map((p) => '  ' + p).join('\n')}\n${out.docs ? `  ${out.docs} (section compare)\n` : ''}`);
    }
    return;
  }
  let first = true;
  for (const spec of specs) {
    const ok = datasetAvailable(spec);
    if (!ok.ok) {
      process.stderr.write(`${ok.reason}\n`);
      continue;
    }
    // The PyTorch timing is the same for every dataset: measure it once per invocation.
    const res = await runComparison({ ...base, dataset: spec, speed: base.speed && first, signal: ac.signal }, progress);
    first = false;
    if (res.interrupted) {
      process.exitCode = 130;
      return;
    }
    const out = writeComparison(res, { resultsDir, docsFile });
    process.stdout.write(`${res.dataset.name}: ${out.json}\n${out.plots.map((p) => '  ' + p).join('\n')}\n${out.docs ? `  ${out.docs} (section compare)\n` : ''}`);
    for (const r of res.summary) {
      process.stdout.write(`  ${r.label.padEnd(24)} error ${(100 * r.testError.mean).toFixed(2)} ± ${(100 * (r.testError.std || 0)).toFixed(2)}%  NLL ${r.nll.mean.toFixed(3)}  ECE ${(100 * r.ece.mean).toFixed(2)}%  ${r.secondsPerEpoch.mean.toFixed(2)} s/epoch\n`);
    }
  }
}

main().catch((e: Error) => {
  process.stderr.write(`${e.name}: ${e.message}\n`);
  process.exitCode = 1;
});
