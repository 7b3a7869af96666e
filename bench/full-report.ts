/**
 * Tables and plots of the full-size ladder (bench/full.ts): reads bench/results/full.json, prints the Markdown
 * table of docs/benchmarks.md and writes one test-error-per-epoch SVG per run to bench/results/plots/.
 *
 * The "new deterministic" column is the determinised network of bench/full-determinise.ts (its results file)
 * of lowest holdout error over the procedures run, i.e. the one determinise's default ('auto') keeps.
 *
 *   node build/bench/full-report.js [--in bench/results/full.json] [--determinised bench/results/full-determinise.json]
 *                                   [--plots bench/results/plots]
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunResult } from './full';
import { legend, niceTicks, panel, svgDocument, type Axis, type LineSeries } from '../src/compare/svg';

type Run = RunResult;

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : dflt;
}

const pct = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '–' : `${(100 * x).toFixed(2)}%`);
const median = (xs: number[]) => {
  const s = xs.slice().sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
};

/** Per data/net, the determinised row of lowest holdout error (test error, bytes, method). */
type Determinised = Map<string, { testError: number; bytes: number; method: string }>;
function determinised(file: string): Determinised {
  const out: Determinised = new Map();
  if (!existsSync(file)) return out;
  const rows = (JSON.parse(readFileSync(file, 'utf8')) as { rows: Record<string, any>[] }).rows;
  const best = new Map<string, Record<string, any>>();
  for (const r of rows) {
    const k = `${r.data}/${r.net}`;
    const b = best.get(k);
    if (!b || r.holdoutErrorDeterminised < b.holdoutErrorDeterminised) best.set(k, r);
  }
  for (const [k, r] of best) out.set(k, { testError: r.testErrorDeterminised, bytes: r.packedBytes, method: r.method ?? 'progressive' });
  return out;
}

function table(runs: Run[], det: Determinised): string {
  const lines = [
    '| data | net | epochs | EBP-P | EBP-D | new deterministic | 16-member ensemble | s/epoch (median) | wall | bytes: deterministic / ensemble |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of runs) {
    const last = r.epochs[r.epochs.length - 1];
    const f = r.final?.epoch === last?.epoch ? r.final : undefined;
    const d = f ? det.get(`${r.data}/${r.net}`) : undefined;
    lines.push(
      `| ${r.data} | ${r.net} | ${r.epochs.length}${f ? '' : ' (unfinished)'} | ${pct(last?.testErrorP)} | ${pct(last?.testErrorD)} | ${d ? `${pct(d.testError)} (${d.method})` : '–'} | ${pct(f?.testErrorEnsemble16)} | ${median(r.epochs.map((e) => e.seconds)).toFixed(0)} | ${(r.wallSeconds / 60).toFixed(0)} min | ${f ? `${(d?.bytes ?? f.packedBytes).toLocaleString('en-US')} / ${f.ensembleBytes.toLocaleString('en-US')}` : '–'} |`,
    );
  }
  return lines.join('\n');
}

function plot(r: Run): string {
  const E = r.epochs.length;
  const series: LineSeries[] = [
    { label: 'EBP-P, test', color: '#1f77b4', width: 2.2, points: r.epochs.map((e) => [e.epoch, e.testErrorP]) },
    { label: 'EBP-D, test', color: '#d62728', width: 2.2, points: r.epochs.map((e) => [e.epoch, e.testErrorD]) },
    { label: 'EBP-P, holdout', color: '#1f77b4', dash: '5 4', width: 1.4, points: r.epochs.map((e) => [e.epoch, e.holdoutErrorP]) },
    { label: 'EBP-D, holdout', color: '#d62728', dash: '5 4', width: 1.4, points: r.epochs.map((e) => [e.epoch, e.holdoutErrorD]) },
  ];
  const all = r.epochs.flatMap((e) => [e.testErrorP, e.testErrorD, e.holdoutErrorP, e.holdoutErrorD]);
  const lo = Math.max(1e-3, Math.min(...all) * 0.8);
  const hi = Math.min(1, Math.max(...all) * 1.25);
  const ticks = [0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1].filter((t) => t >= lo && t <= hi);
  const yAxis: Axis = { label: 'error (log scale)', min: lo, max: hi, log: true, ticks, format: (v) => `${+(100 * v).toFixed(1)}%` };
  const xTicks = niceTicks(1, Math.max(2, E), 5).filter((t) => Number.isInteger(t) && t >= 1);
  const xAxis: Axis = { label: 'epoch', min: 1, max: Math.max(2, E), ticks: xTicks, format: (v) => String(v) };
  const body = [
    panel({ box: { x: 80, y: 90, w: 480, h: 320 }, title: `${r.data}, ${r.net} binary EBP, batch 10`, xAxis, yAxis, series }),
    legend(series.map((s) => ({ label: s.label, color: s.color, width: s.width, dash: s.dash })), 600, 90, 'plain EBP (spec)'),
  ];
  return svgDocument(860, 470, `${r.data} ${r.net}: error per epoch`, body, '54,000 training rows, 6,000 held out (seed 1), official 10,000 test rows');
}

function main(): void {
  const input = arg('in', join('bench', 'results', 'full.json'));
  const plots = arg('plots', join('bench', 'results', 'plots'));
  const doc = JSON.parse(readFileSync(input, 'utf8')) as { runs: Run[] };
  const determined = determinised(arg('determinised', join('bench', 'results', 'full-determinise.json')));
  mkdirSync(plots, { recursive: true });
  for (const r of doc.runs) {
    if (r.epochs.length < 2) continue;
    const file = join(plots, `full-${r.data}-${r.net}.svg`);
    writeFileSync(file, plot(r));
    console.error(`wrote ${file}`);
  }
  console.log(table(doc.runs, determined));
}

main();
