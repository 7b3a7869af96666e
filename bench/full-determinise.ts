/**
 * The `determinise` column of the full-size ladder (issue 11): applies progressive determinisation
 * (src/deterministic) to the final posteriors that bench/full.ts leaves in <runs>/<data>/<net>/ (ckpt.json +
 * ckpt-<epoch>.bin), with the ladder's own 6,000-row holdout (`splitDataset(train60k, 0.1, createRng(1))`)
 * for every choice and the test set only for reporting. Results (beside the ladder's EBP-P, EBP-D and
 * ensemble) go to bench/results/full-determinise.json after every run.
 *
 *   node build/bench/full-determinise.js [--runs bench/results/full-runs] [--pairs mnist60k/784-200-10,...]
 *        [--max-epochs N] [--method auto|decimate|progressive] [--out bench/results/full-determinise.json] [--docs-only]
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PosteriorStore, createRng, splitDataset, type Dataset } from '../src';
import { determinise, type DeterminiseMethod } from '../src/deterministic';
import { fashionMnistAvailable, loadFashionMnist, loadMnist60k } from '../src/node';
import { machineInfo } from '../src/compare/machine';
import { evaluateErrors } from '../src/ebp/trainer';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : dflt;
}

const runs = arg('runs', 'bench/results/full-runs'); // bench/full.ts's default; gitignored
const pairs = arg('pairs', 'mnist60k/784-200-10,mnist60k/784-500-500-10,fashion-mnist/784-200-10,fashion-mnist/784-500-500-10').split(',');
// --max-epochs: per stage (progressive; this benchmark's old runs used 10) or per round (decimate); default determinise's.
const maxEpochs = arg('max-epochs', '') === '' ? undefined : Number(arg('max-epochs', ''));
const method = arg('method', 'auto') as DeterminiseMethod;
const out = arg('out', 'bench/results/full-determinise.json');
const docs = arg('docs', 'docs/benchmarks.md');
const BEGIN = '<!-- full-determinise:begin (bench/full-determinise.ts writes this table) -->';
const END = '<!-- full-determinise:end -->';

/** The table of determinised ladder networks between the markers of docs/benchmarks.md (appended when absent). */
function writeDocs(rows: Record<string, any>[]): void {
  if (!existsSync(docs)) return;
  const pct = (x: number): string => `${(100 * x).toFixed(2)}%`;
  const lines = [
    BEGIN,
    '| data | net | method | ladder epochs | EBP-P test | EBP-D test | 16-member ensemble test | **determinised test** | ratio to EBP-P | determinised holdout | chosen | packed bytes | seconds |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.data} | ${r.net} | ${methodText(r)} | ${r.ladder.epoch} | ${pct(r.ladder.testErrorP)} | ${pct(r.ladder.testErrorD)} | ${pct(r.ladder.testErrorEnsemble16)} | **${pct(r.testErrorDeterminised)}** | ${(r.testErrorDeterminised / r.ladder.testErrorP).toFixed(2)}× | ${pct(r.holdoutErrorDeterminised)} | ${chosenText(r)} | ${r.packedBytes} | ${r.seconds.toFixed(0)} |`),
    END,
  ];
  const text = readFileSync(docs, 'utf8');
  const i = text.indexOf(BEGIN);
  const j = text.indexOf(END);
  writeFileSync(docs, i >= 0 && j > i ? text.slice(0, i) + lines.join('\n') + text.slice(j + END.length) : `${text.trimEnd()}\n\n${lines.join('\n')}\n`);
}

/** The method and its epoch cap (per stage for progressive, per round for decimate; null: determinise's default). */
function methodText(r: Record<string, any>): string {
  const m = r.method ?? 'progressive';
  const cap = r.maxEpochs ?? (m === 'decimate' ? 3 : 20);
  return m === 'decimate' ? `decimate, ≤ ${cap} epoch${cap === 1 ? '' : 's'}/round` : `progressive, ≤ ${cap} epochs/stage`;
}

/** The candidate kept, in words: layers fixed (and the share of the last one's weights), epoch or round. */
function chosenText(r: Record<string, any>): string {
  const c = r.chosen;
  const step = r.method === 'decimate' ? 'round' : 'epoch';
  return c.share !== undefined && c.share < 1 ? `layer ${c.fixed} at ${(100 * c.share).toFixed(1)}%, ${step} ${c.epoch}` : `fixed ${c.fixed}, ${step} ${c.epoch}`;
}

/** The final posterior of a finished ladder run, or null (not there, or not finished). */
function loadFinal(dir: string): { store: PosteriorStore; ladder: Record<string, unknown> } | null {
  const file = join(dir, 'ckpt.json');
  if (!existsSync(file)) return null;
  const ck = JSON.parse(readFileSync(file, 'utf8')) as { epoch: number; sizes: number[]; bin: string; result: { final?: Record<string, unknown> } };
  if (!ck.result.final) return null;
  const buf = readFileSync(join(dir, ck.bin));
  const f64 = new Float64Array(buf.buffer, buf.byteOffset, buf.byteLength / 8);
  const L = ck.sizes.length - 1;
  const h: Float64Array[][] = [];
  const b: Float64Array[] = [];
  let o = 0;
  for (let l = 0; l < L; l++) {
    const rows: Float64Array[] = [];
    for (let k = 0; k < ck.sizes[l + 1]; k++, o += ck.sizes[l]) rows.push(f64.slice(o, o + ck.sizes[l]));
    h.push(rows);
  }
  for (let l = 0; l < L; o += ck.sizes[l + 1], l++) b.push(f64.slice(o, o + ck.sizes[l + 1]));
  return { store: PosteriorStore.fromParameters({ weights: 'binary', h, b }), ladder: { epoch: ck.epoch, ...ck.result.final } };
}

const cache = new Map<string, { train: Dataset; holdout: Dataset; test: Dataset }>();
function data(name: string): { train: Dataset; holdout: Dataset; test: Dataset } | null {
  if (name === 'fashion-mnist' && !fashionMnistAvailable()) return null;
  let d = cache.get(name);
  if (!d) {
    cache.clear(); // one data set in memory at a time
    const full = name === 'mnist60k' ? loadMnist60k() : loadFashionMnist();
    const { train, validation } = splitDataset(full.train, 0.1, createRng(1));
    d = { train, holdout: validation, test: full.test };
    cache.set(name, d);
  }
  return d;
}

const prev: { rows: Record<string, any>[] } = existsSync(out) ? JSON.parse(readFileSync(out, 'utf8')) : { rows: [] };
if (process.argv.includes('--docs-only')) writeDocs(prev.rows); // the table from the results file, no run
for (const pair of process.argv.includes('--docs-only') ? [] : pairs) {
  const [dataName, net] = pair.split('/');
  const final = loadFinal(join(runs, dataName, net)) as { store: PosteriorStore; ladder: Record<string, any> } | null;
  if (!final) {
    console.error(`${pair}: no finished ladder run in ${runs}; skipped`);
    continue;
  }
  const d = data(dataName);
  if (!d) {
    console.error(`${pair}: data not installed; skipped`);
    continue;
  }
  // The loaded posterior must be the ladder's: its test EBP-P/EBP-D equal the ladder's own numbers.
  const check = evaluateErrors(final.store, d.test);
  if (check.errorP !== final.ladder.testErrorP || check.errorD !== final.ladder.testErrorD) {
    throw new Error(`${pair}: loaded posterior gives test P ${check.errorP} D ${check.errorD}, the ladder says ${final.ladder.testErrorP} / ${final.ladder.testErrorD}`);
  }
  const t0 = performance.now();
  const r = determinise(final.store, d.train, {
    validation: d.holdout,
    seed: 1,
    method,
    ...(maxEpochs !== undefined ? { maxEpochs } : {}),
    onEpoch: (c) => console.error(`${pair} ${method} fixed ${c.fixed}${c.share !== undefined ? ` (${(100 * c.share).toFixed(1)}%)` : ''} epoch ${c.epoch}: holdout ${(100 * c.validationError).toFixed(2)}% (upper EBP-P ${(100 * c.validationErrorP).toFixed(2)}%) ${c.seconds.toFixed(0)} s`),
  });
  const pred = r.network.predict(d.test.X);
  let e = 0;
  for (let i = 0; i < pred.length; i++) if (pred[i] !== d.test.labels[i]) e++;
  const row = {
    data: dataName, net, method, ladder: final.ladder, testErrorDeterminised: e / pred.length, holdoutErrorDeterminised: r.report.chosen.validationError,
    chosen: r.report.chosen, stages: r.report.stages, plainHoldout: r.report.plain, packedBytes: r.network.summary().packedBytes,
    seconds: (performance.now() - t0) / 1000, maxEpochs: maxEpochs ?? null, command: `node build/bench/full-determinise.js ${process.argv.slice(2).join(' ')}`, date: new Date().toISOString(),
  };
  console.log(JSON.stringify(row));
  // Re-read: another run may have written rows since this one started.
  prev.rows = existsSync(out) ? (JSON.parse(readFileSync(out, 'utf8')) as typeof prev).rows : [];
  prev.rows = prev.rows.filter((x) => !(x.data === dataName && x.net === net && (x.method ?? 'progressive') === method && (x.maxEpochs ?? null) === (maxEpochs ?? null)));
  prev.rows.push(row);
  writeFileSync(out, JSON.stringify({ machine: machineInfo(), rows: prev.rows }, null, 2) + '\n');
  writeDocs(prev.rows);
}
