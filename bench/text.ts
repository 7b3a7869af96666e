/**
 * The EBP paper's text-task protocol (npm run bench:text; issue 15).
 *
 * The `ebp_paper` sets (the authors' processed data; no licence, so never committed here): the folder
 * $EBP_PAPER_DATA, else ../shared/data/ebp_paper beside the repository; without it the run is skipped with
 * a message. Each CSV pair is fold 1 of 8 of the authors' .mat file (test = its first round(T/8)
 * rows), so test rows followed by train rows restore the original order. On that order: 8 contiguous folds
 * by the official rule, one hidden layer of 120, batch 10, 3 epochs, inputs standardized on each fold's
 * training rows (the .mat files hold z-scored columns), binary and Gaussian weights, seed 1 (fold f: seed f).
 *
 * Every finished fold is written at once to bench/results/text/<set>-<weights>.json, and a run skips the
 * folds already there, so it can be stopped and continued. `--report` gathers them into
 * bench/results/text.json and prints the Markdown table of docs/benchmarks.md.
 *
 * Options: --sets a,b (default the two Reuters sets; 20News_comp is ~100 MB decompressed and slow),
 * --weights binary,gaussian, --no-determinise (binary runs also score the determinised network, src/train/cv.ts), --folds 1,2 (a subset, run in this order), --tag NAME (a second process on the
 * same set writes its own file; --report merges them), --report.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RawTable } from '../src/data/csv-table';
import { readCsvTable } from '../src/node/csv-stream';
import { crossValidate, summarizeFolds, type CvFold } from '../src/train/cv';
import { machineInfo } from '../src/compare/machine';

const ROOT = join(__dirname, '..', '..');
const OUT_DIR = join(ROOT, 'bench', 'results', 'text');
const DATA = process.env.EBP_PAPER_DATA ?? join(ROOT, '..', 'shared', 'data', 'ebp_paper');
const args = process.argv.slice(2);
const opt = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const SETS = (opt('--sets') ?? 'reuters_I81_I83,reuters_I654_I65').split(',');
const WEIGHTS = (opt('--weights') ?? 'binary,gaussian').split(',') as ('binary' | 'gaussian')[];
const ONLY = opt('--folds')?.split(',').map(Number);
/** A second process on the same set and weights writes its own file (`--tag b`: <set>-<weights>.b.json). */
const TAG = opt('--tag');
/** Binary weights: also the determinised network's test error after epoch 3 (`--no-determinise`: not). */
const DETERMINISE = !args.includes('--no-determinise');
const PROTOCOL = { folds: 8, hidden: [120], batch: 10, epochs: 3, seed: 1, scaling: 'standardize' };

/** The official table of issue 15: mean test error after epoch 3, %. */
const OFFICIAL: Record<string, Record<string, [number, number]>> = {
  reuters_I81_I83: { binary: [17.2, 23.4], gaussian: [15.9, 16.2] },
  reuters_I654_I65: { binary: [11.7, 21.6], gaussian: [11.6, 14.6] },
  '20News_comp': { binary: [5.0, 7.3], gaussian: [5.0, 5.5] },
};

/** The official per-pass means (spec §13, full cross-validation table): [EBP-P, EBP-D] after passes 1, 2, 3. */
const PER_PASS: Record<string, Record<string, [number[], number[]]>> = {
  reuters_I81_I83: { binary: [[31.1, 18.5, 17.2], [29.8, 24.1, 23.4]], gaussian: [[30.0, 18.0, 15.9], [25.9, 17.4, 16.2]] },
  reuters_I654_I65: { binary: [[23.3, 13.9, 11.7], [25.4, 21.4, 21.6]], gaussian: [[22.6, 12.6, 11.6], [21.6, 15.4, 14.6]] },
  '20News_comp': { binary: [[21.0, 6.5, 5.0], [9.4, 7.9, 7.3]], gaussian: [[20.7, 5.3, 5.0], [8.0, 6.2, 5.5]] },
};

/** Rows of `b` after the rows of `a` (same columns). */
function concatTables(a: RawTable, b: RawTable): RawTable {
  const numeric = new Float64Array(a.numeric.length + b.numeric.length);
  numeric.set(a.numeric, 0);
  numeric.set(b.numeric, a.numeric.length);
  const lines = new Int32Array(a.rows + b.rows);
  lines.set(a.lines, 0);
  lines.set(b.lines, a.rows);
  return {
    ...a,
    rows: a.rows + b.rows,
    numeric,
    categorical: a.categorical.map((c, i) => [...c, ...b.categorical[i]]),
    labels: [...a.labels, ...b.labels],
    lines,
  };
}

async function readSet(set: string): Promise<RawTable> {
  const read = (part: string) => readCsvTable(join(DATA, `${set}_${part}.csv.gz`), { file: `${set}_${part}.csv.gz` });
  const test = await read('test');
  const train = await read('train');
  if (test.plan.header.join(',') !== train.plan.header.join(',')) throw new Error(`${set}: the test and train headers differ`);
  return concatTables(test, train);
}

function resultFile(set: string, weights: string): string {
  return join(OUT_DIR, `${set}-${weights}${TAG ? '.' + TAG : ''}.json`);
}

async function runSet(set: string): Promise<void> {
  const t0 = Date.now();
  const raw = await readSet(set);
  console.error(`${set}: ${raw.rows} rows, ${raw.plan.features.length} features (read in ${((Date.now() - t0) / 1000).toFixed(0)} s)`);
  for (const weights of WEIGHTS) {
    const file = resultFile(set, weights);
    const saved: { folds: CvFold[] } = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : { folds: [] };
    const todo = (ONLY ?? [1, 2, 3, 4, 5, 6, 7, 8]).filter((f) => !saved.folds.some((d) => d.fold === f));
    for (const f of todo) {
      const started = Date.now();
      const r = await crossValidate(
        raw,
        { trainer: 'ebp', weights, hidden: PROTOCOL.hidden, epochs: PROTOCOL.epochs, seed: PROTOCOL.seed, folds: PROTOCOL.folds, batch: PROTOCOL.batch, scaling: { kind: 'standardize' }, determinise: DETERMINISE && weights === 'binary' },
        { only: [f], onEpoch: (e) => console.error(`${set} ${weights} fold ${e.fold} epoch ${e.epoch}: ${JSON.stringify(e.metrics)} (${e.seconds.toFixed(0)} s)`) },
      );
      saved.folds.push(...r.folds);
      saved.folds.sort((a, b) => a.fold - b.fold);
      mkdirSync(OUT_DIR, { recursive: true });
      writeFileSync(file, JSON.stringify({ set, weights, protocol: PROTOCOL, folds: saved.folds }, null, 1) + '\n');
      console.error(`${set} ${weights} fold ${f} done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    }
  }
}

const pct = (x: number | null | undefined) => (x === null || x === undefined ? '—' : (100 * x).toFixed(1));

function report(): void {
  const files = existsSync(OUT_DIR) ? readdirSync(OUT_DIR).filter((f) => f.endsWith('.json')).sort() : [];
  const runs: { set: string; weights: string; folds: CvFold[] }[] = [];
  for (const f of files) {
    const r = JSON.parse(readFileSync(join(OUT_DIR, f), 'utf8')) as { set: string; weights: string; folds: CvFold[] };
    const same = runs.find((x) => x.set === r.set && x.weights === r.weights);
    if (!same) runs.push(r);
    else for (const fold of r.folds) if (!same.folds.some((d) => d.fold === fold.fold)) same.folds.push(fold);
  }
  for (const r of runs) r.folds.sort((a, b) => a.fold - b.fold);
  const results = runs.map((r) => ({ set: r.set, weights: r.weights, foldsDone: r.folds.length, ...summarizeFolds(r.folds), perFold: r.folds }));
  const out = { command: 'npm run bench:text', protocol: PROTOCOL, machine: machineInfo(), official: OFFICIAL, results };
  writeFileSync(join(ROOT, 'bench', 'results', 'text.json'), JSON.stringify(out, null, 1) + '\n');
  const lines = [
    '| set | weights | folds | EBP-P (ours) | EBP-P (official) | EBP-D (ours) | EBP-D (official) | determinised (ours) | ensemble-16 (ours) | EBP-P NLL | EBP-P ECE |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of results) {
    const o = OFFICIAL[r.set]?.[r.weights];
    const ms = (k: string) => `${pct(r.mean[k])}${r.std[k] !== null && r.std[k] !== undefined ? ' ± ' + pct(r.std[k]) : ''}`;
    const nll = r.mean.nll === null || r.mean.nll === undefined ? '—' : (r.mean.nll as number).toFixed(3);
    lines.push(`| ${r.set} | ${r.weights} | ${r.foldsDone}/8 | ${ms('errorP')} | ${o ? o[0].toFixed(1) : '—'} | ${ms('errorD')} | ${o ? o[1].toFixed(1) : '—'} | ${r.perFold.some((f) => 'errorDeterminised' in f.epochs[f.epochs.length - 1].metrics) ? ms('errorDeterminised') + ` (${r.perFold.filter((f) => 'errorDeterminised' in f.epochs[f.epochs.length - 1].metrics).length} folds)` : '—'} | ${ms('errorEnsemble')} | ${nll} | ${pct(r.mean.ece)} |`);
  }
  lines.push('', 'Per pass (mean over the folds done), ours | official (spec §13):', '', '| set | weights | EBP-P pass 1 / 2 / 3 | official | EBP-D pass 1 / 2 / 3 | official |', '|---|---|---|---|---|---|');
  for (const r of results) {
    const o = PER_PASS[r.set]?.[r.weights];
    const passes = (k: string) => r.epochs.map((e) => pct(e.mean[k])).join(' / ');
    lines.push(`| ${r.set} | ${r.weights} | ${passes('errorP')} | ${o ? o[0].map((x) => x.toFixed(1)).join(' / ') : '—'} | ${passes('errorD')} | ${o ? o[1].map((x) => x.toFixed(1)).join(' / ') : '—'} |`);
  }
  console.log(lines.join('\n'));
}

async function main(): Promise<void> {
  if (args.includes('--report')) return report();
  const missing = SETS.filter((set) => !existsSync(join(DATA, `${set}_train.csv.gz`)));
  if (missing.length > 0) {
    console.error(`bench:text skipped: ${missing.join(', ')} not found in ${DATA} (set EBP_PAPER_DATA to the folder of the ebp_paper CSVs).`);
    return;
  }
  for (const set of SETS) await runSet(set);
  report();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
