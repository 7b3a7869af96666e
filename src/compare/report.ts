/**
 * Outputs of the comparison: bench/results/compare-<dataset>.json, SVG plots in bench/results/plots/, and the
 * section of docs/benchmarks.md between `<!-- compare:start -->` and `<!-- compare:end -->` (regenerated from
 * every full-run compare-*.json in the results folder; the rest of the file is left as it is).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'fs';
import * as path from 'path';
import { writeFileAtomic } from '../node/atomic';
import type { ComparisonResult } from './compare';
import { comparisonPlots } from './plots';
import { lrLabel } from './runs';
import type { MeanStd } from './stats';
import { bestSte, summarizeRuns, type SummaryRow } from './summary';

/** The marker opening the generated comparison section of the docs file. */
export const SECTION_START = '<!-- compare:start -->';
/** The marker closing the generated comparison section of the docs file. */
export const SECTION_END = '<!-- compare:end -->';

/** The PyTorch reference numbers quoted in the issue: STE on MNIST-10k 784-200-10 with BN, 20 epochs. */
export const EXPECTED_PYTORCH_STE_BN: Readonly<Record<string, string>> = Object.freeze({ '0.0001': '57%', '0.001': '17%', '0.01': '8%', '0.1': '5.2–5.4%' });
export const EXPECTED_EBP_P = '4.9%';

/** {@link writeComparison} options: where the JSON, the plots and the docs section go. */
export interface WriteOptions {
  /** Folder of the JSON results (default bench/results under the current directory). */
  resultsDir?: string;
  /** Folder of the SVG plots (default <resultsDir>/plots). */
  plotsDir?: string;
  /** The Markdown file whose comparison section is regenerated; null: leave docs alone (default docs/benchmarks.md). */
  docsFile?: string | null;
  /** Where links in the Markdown point from (default: the docs file's folder). */
}

/** The files {@link writeComparison} wrote: the JSON result, the SVG plots and the docs file (null when left alone). */
export interface Written {
  json: string;
  plots: string[];
  docs: string | null;
}

/** File stem of a result: compare-<dataset>, with -quick for smoke runs. */
export function resultStem(res: ComparisonResult): string {
  return `compare-${res.dataset.name}${res.settings.quick ? '-quick' : ''}`;
}

/** Results replace earlier ones: the folder is made if needed and the file written atomically. */
function atomicWrite(file: string, text: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileAtomic(file, text, { force: true });
}

/** JSON text with NaN and ±∞ written as null. */
export function toJson(v: unknown): string {
  return JSON.stringify(v, (_k, x) => (typeof x === 'number' && !Number.isFinite(x) ? null : x), 1) + '\n';
}

/** Write the JSON result, its plots and (for full runs, unless docsFile is null) the docs section. */
export function writeComparison(res: ComparisonResult, opts: WriteOptions = {}): Written {
  const resultsDir = opts.resultsDir ?? path.join(process.cwd(), 'bench', 'results');
  const plotsDir = opts.plotsDir ?? path.join(resultsDir, 'plots');
  const stem = resultStem(res);
  const json = path.join(resultsDir, `${stem}.json`);
  atomicWrite(json, toJson(res));
  const plots: string[] = [];
  for (const [suffix, svg] of Object.entries(comparisonPlots(res))) {
    const f = path.join(plotsDir, `${stem}-${suffix}.svg`);
    atomicWrite(f, svg);
    plots.push(f);
  }
  let docs: string | null = null;
  const docsFile = opts.docsFile === undefined ? path.join(process.cwd(), 'docs', 'benchmarks.md') : opts.docsFile;
  if (docsFile && !res.settings.quick && !res.interrupted) {
    const all = loadResults(resultsDir);
    updateDocsSection(docsFile, comparisonMarkdown(all, { docsDir: path.dirname(docsFile), plotsDir }));
    docs = docsFile;
  }
  return { json, plots, docs };
}

/** Every full-run comparison result in a folder (quick runs left out), MNIST-10k first; summaries recomputed from the runs. */
export function loadResults(resultsDir: string): ComparisonResult[] {
  if (!existsSync(resultsDir)) return [];
  const files = readdirSync(resultsDir).filter((f) => /^compare-.+\.json$/.test(f) && !/-quick\.json$/.test(f));
  const out = files.map((f) => JSON.parse(readFileSync(path.join(resultsDir, f), 'utf8')) as ComparisonResult).filter((r) => r.benchmark === 'compare');
  // Summaries from the runs with the current code (JSON turned NaN into null; the runs are the raw data).
  for (const r of out) r.summary = summarizeRuns(r.runs);
  const rank = (n: string) => (n === 'mnist10k' ? 0 : n === 'fashion-mnist' ? 1 : 2);
  return out.sort((a, b) => rank(a.dataset.name) - rank(b.dataset.name) || a.dataset.name.localeCompare(b.dataset.name));
}

/** Replace (or append) the comparison section of a Markdown file; creates the file with a title if missing. */
export function updateDocsSection(file: string, section: string): void {
  const block = `${SECTION_START}\n${section.trim()}\n${SECTION_END}`;
  let text = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n\nMeasured results of the benchmarks in `bench/`; each section names its command and machine.\n';
  const i = text.indexOf(SECTION_START);
  const j = text.indexOf(SECTION_END);
  if (i >= 0 && j > i) text = text.slice(0, i) + block + text.slice(j + SECTION_END.length);
  else text = text.replace(/\s*$/, '\n\n') + block + '\n';
  atomicWrite(file, text);
}

// ---------------------------------------------------------------------------------------------- formatting

const num = (v: number | null | undefined) => (v === null || v === undefined ? NaN : v);

function ms(m: MeanStd, scale: number, digits: number): string {
  const mean = num(m.mean);
  if (!Number.isFinite(mean)) return '—';
  const a = (mean * scale).toFixed(digits);
  if (m.n <= 1 || !Number.isFinite(num(m.std))) return a;
  return `${a} ± ${(num(m.std) * scale).toFixed(digits)}`;
}

function bytes(m: MeanStd): string {
  const v = num(m.mean);
  if (!Number.isFinite(v)) return '—';
  const s = Math.round(v).toLocaleString('en-US');
  return m.n > 1 && num(m.std) > 0 ? `${s} ± ${Math.round(num(m.std)).toLocaleString('en-US')}` : s;
}

function methodCell(r: SummaryRow): string {
  return r.method === 'ste' ? `STE ${r.batchNorm ? 'BN' : 'no BN'}, lr ${lrLabel(r.lr as number)}` : `**${r.label}**`;
}

function mainTable(res: ComparisonResult): string[] {
  const L: string[] = [];
  L.push('| method | batch | test error % | NLL | Brier | ECE % | train s/epoch | peak RSS MiB | model bytes |');
  L.push('|---|---|---|---|---|---|---|---|---|');
  for (const r of res.summary) {
    L.push(`| ${methodCell(r)} | ${r.batch} | ${ms(r.testError, 100, 2)} | ${ms(r.nll, 1, 3)} | ${ms(r.brier, 1, 4)} | ${ms(r.ece, 100, 2)} | ${ms(r.secondsPerEpoch, 1, 2)} | ${ms(r.peakRssMiB, 1, 0)} | ${bytes(r.modelBytes)} |`);
  }
  return L;
}

function altTable(res: ComparisonResult): string[] {
  const rows = res.summary.filter((r) => r.alternatives.length && (r.method !== 'ste' || r === bestSte(res.summary, true) || r === bestSte(res.summary, false)));
  if (!rows.length) return [];
  const L = ['| method | probability rule | NLL | Brier | ECE % |', '|---|---|---|---|---|'];
  for (const r of rows) {
    L.push(`| ${methodCell(r)} | ${r.rule} (primary) | ${ms(r.nll, 1, 3)} | ${ms(r.brier, 1, 4)} | ${ms(r.ece, 100, 2)} |`);
    for (const a of r.alternatives) L.push(`| ${methodCell(r)} | ${a.rule} | ${ms(a.nll, 1, 3)} | ${ms(a.brier, 1, 4)} | ${ms(a.ece, 100, 2)} |`);
  }
  return L;
}

function findings(res: ComparisonResult): string[] {
  const L: string[] = [];
  const get = (k: string) => res.summary.find((r) => r.key === k);
  const p = get('ebp-p');
  const d = get('ebp-d');
  const e = get('ebp-ensemble');
  const pc = (m: MeanStd) => `${(100 * m.mean).toFixed(2)}%`;
  const nats = (m: MeanStd) => m.mean.toFixed(3);
  if (!p) return L;
  const best = res.settings.batchNorm.map((bn) => ({ bn, b: bestSte(res.summary, bn) })).filter((x): x is { bn: boolean; b: SummaryRow } => !!x.b);
  for (const { bn, b } of best) {
    const ste = res.summary.filter((r) => r.method === 'ste' && r.batchNorm === bn);
    const within = ste.filter((r) => r.testError.mean <= p.testError.mean + 0.01).map((r) => lrLabel(r.lr as number));
    const worst = ste.reduce((a, c) => (c.testError.mean > a.testError.mean ? c : a));
    L.push(
      `- Accuracy, STE ${bn ? 'with' : 'without'} batch norm: ${pc(b.testError)} at its best lr ${lrLabel(b.lr as number)} (picked on the test set), ${pc(worst.testError)} at lr ${lrLabel(worst.lr as number)}; ` +
        `EBP-P ${pc(p.testError)} with no learning rate. ${within.length ? `STE is at most 1 point worse than EBP-P only at lr ${within.join(', ')}.` : 'At every learning rate of the sweep STE is more than 1 point worse than EBP-P.'}`,
    );
  }
  L.push(
    `- Calibration (ECE, NLL): EBP-P ${pc(p.ece)}, ${nats(p.nll)}` +
      (e ? `; ensemble of ${res.settings.members} ${pc(e.ece)}, ${nats(e.nll)}` : '') +
      (d ? `; EBP-D (one-hot) ${pc(d.ece)}, ${nats(d.nll)}` : '') +
      best.map(({ bn, b }) => `; STE ${bn ? 'BN' : 'no BN'} at lr ${lrLabel(b.lr as number)}: one-hot ${pc(b.ece)}, ${nats(b.nll)}${b.alternatives.length ? `, softmax of scores ${pc(b.alternatives[0].ece)}, ${nats(b.alternatives[0].nll)}` : ''}`).join('') +
      '. A one-hot network is as overconfident as it is wrong (ECE ≈ error − 0.9%); the softmax of STE\'s hinge-trained scores was never fitted as a likelihood (no temperature is tuned here).',
  );
  const ruleCheck = [p, e]
    .filter((r): r is SummaryRow => !!r && r.alternatives.length > 0)
    .map((r) => {
      const a = r.alternatives[0];
      const better = r.ece.mean <= a.ece.mean && r.nll.mean <= a.nll.mean ? 'better on both' : r.ece.mean > a.ece.mean && r.nll.mean > a.nll.mean ? 'worse on both' : 'mixed';
      return `${r.label} ECE ${pc(r.ece)} / NLL ${nats(r.nll)} with the code likelihood against ${pc(a.ece)} / ${nats(a.nll)} with ${r.method === 'ebp-p' ? 'normalised marginals' : 'vote shares'} (${better})`;
    });
  if (ruleCheck.length) L.push(`- Probability rule (chosen before the runs, see above): ${ruleCheck.join('; ')}.`);
  if (d && e) L.push(`- Binary networks as deployed: EBP-D ${pc(d.testError)}, ensemble of ${res.settings.members} packed networks ${pc(e.testError)} (EBP-P, the float mean-field pass, ${pc(p.testError)}).`);
  const steRows = res.summary.filter((r) => r.method === 'ste');
  if (steRows.length) {
    const steSec = steRows.reduce((a, r) => a + r.secondsPerEpoch.mean, 0) / steRows.length;
    L.push(
      `- Cost: EBP trains at ${p.secondsPerEpoch.mean.toFixed(2)} s/epoch (batch ${p.batch}), STE at ${steSec.toFixed(2)} s/epoch (batch ${steRows[0].batch}, mean over its configurations); ` +
        `one STE sweep of ${steRows.length} configurations costs ${((steSec * steRows.length) / p.secondsPerEpoch.mean).toFixed(1)}× one EBP training. ` +
        `Model bytes: EBP-D ${bytes(d?.modelBytes ?? p.modelBytes)}, STE ${bytes(steRows[0].modelBytes)}, ensemble ${bytes(e?.modelBytes ?? p.modelBytes)}, EBP-P's float64 posterior ${bytes(p.modelBytes)}.`,
    );
  }
  return L;
}

function expectedTable(res: ComparisonResult): string[] {
  if (res.dataset.name !== 'mnist10k' || res.settings.sizes.join('-') !== '784-200-10') return [];
  const L = ['| | expected (issue, PyTorch, 20 epochs) | measured here (mean ± std) |', '|---|---|---|'];
  for (const r of res.summary.filter((x) => x.method === 'ste' && x.batchNorm)) {
    const exp = EXPECTED_PYTORCH_STE_BN[String(r.lr)];
    L.push(`| STE BN lr ${lrLabel(r.lr as number)} | ${exp ?? '—'} | ${ms(r.testError, 100, 2)}% |`);
  }
  const p = res.summary.find((x) => x.key === 'ebp-p');
  if (p) L.push(`| EBP-P (no learning rate) | ${EXPECTED_EBP_P} | ${ms(p.testError, 100, 2)}% |`);
  return L;
}

function machineLine(res: ComparisonResult): string {
  const m = res.machine;
  return `${m.cpu}${m.cpuMHz ? ` (${Math.round(m.cpuMHz)} MHz)` : ''}, ${m.cores} cores, ${m.memGiB} GiB, ${m.platform}, Node ${m.node} (V8 ${m.v8}); load average at the end ${m.loadAverage.join(', ')}; finished ${m.date}`;
}

function datasetTitle(res: ComparisonResult): string {
  return res.dataset.name === 'mnist10k' ? 'MNIST-10k' : res.dataset.name === 'fashion-mnist' ? 'Fashion-MNIST' : res.dataset.name;
}

function datasetSection(res: ComparisonResult, link: (f: string) => string): string[] {
  const s = res.settings;
  const L: string[] = [];
  L.push(`### ${datasetTitle(res)}: ${s.sizes.join('-')}, ${s.epochs} epochs, seeds ${s.seeds.join(', ')}`, '');
  L.push(`- Command: \`${res.command}\` (wall time ${(res.wallSeconds / 60).toFixed(1)} min)`);
  L.push(`- Machine: ${machineLine(res)}`);
  L.push(`- Data: ${res.dataset.description}; ${res.dataset.trainRows} training rows, ${res.dataset.testRows} test rows, ${res.dataset.features} features, ${res.dataset.classes} classes`);
  L.push(`- STE learning rates: ${s.lrs.map(lrLabel).join(', ')} (each decayed to lr × ${s.lrEndRatio} over the ${s.epochs} epochs); batch norm: ${s.batchNorm.map((b) => (b ? 'on' : 'off')).join(' and ')}`);
  L.push(`- Runs: ${res.runs.length} method × seed results from ${res.summary.length} configurations${res.failures.length ? `; **${res.failures.length} failed**: ${res.failures.map((f) => `${f.job} (${f.error})`).join('; ')}` : ''}; peak RSS ${s.isolate === 'process' ? 'per job (each job in its own process)' : 'of the whole process (jobs not isolated)'}`);
  L.push('');
  L.push(...mainTable(res), '');
  const f = findings(res);
  if (f.length) L.push(...f, '');
  const exp = expectedTable(res);
  if (exp.length) {
    L.push('Against the numbers quoted in the issue (PyTorch reference, same recipe):', '', ...exp, '');
    L.push('At lr 1e-4 STE barely moves in 20 epochs and scatters widely over seeds in both implementations (docs/ste.md: six seeds of the PyTorch reference gave 54.5–68.3%).', '');
  }
  const alt = altTable(res);
  if (alt.length) L.push('The same predictions under the other probability rules (STE at its best learning rates):', '', ...alt, '');
  const stem = resultStem(res);
  L.push(`Plots (mean over seeds; open the SVG files directly for full size):`, '');
  L.push(`![test error per epoch](${link(`${stem}-error-per-epoch.svg`)})`, '');
  L.push(`![STE learning-rate sweep against EBP](${link(`${stem}-lr-sweep.svg`)})`, '');
  L.push(`![reliability diagrams](${link(`${stem}-reliability.svg`)})`, '');
  L.push(`Raw numbers (every seed, per-epoch errors, reliability bins, confusion matrices): \`bench/results/${stem}.json\`.`, '');
  return L;
}

function speedSection(results: ComparisonResult[]): string[] {
  const withSpeed = results.filter((r) => r.speed && !('skipped' in r.speed && !('oursSamplesPerSecond' in r.speed))).sort((a, b) => a.machine.date.localeCompare(b.machine.date));
  const skipped = results.find((r) => r.speed && 'skipped' in r.speed && !('oursSamplesPerSecond' in r.speed));
  const L: string[] = ['### STE training speed against PyTorch', ''];
  if (!withSpeed.length) {
    L.push(skipped ? `Not measured: ${(skipped.speed as { skipped: string }).skipped}` : 'Not measured (run without --no-speed).', '');
    return L;
  }
  L.push(
    'One training epoch of 784-200-10 with batch norm at batch 100 on one thread (target: at most 2× PyTorch\'s time), on the reference\'s timing data ' +
      '(10,000 rows of uniform [0, 1) pixels, random labels; a 1,000-row warm-up epoch, best of 2 epochs per process); ours and PyTorch each in a fresh process, interleaved round by round.',
    '',
  );
  L.push('| run | ours samples/s (median) | ours s/epoch | PyTorch samples/s (median) | PyTorch s/epoch | time ratio ours/PyTorch (paired median) | rounds ours \\| PyTorch |');
  L.push('|---|---|---|---|---|---|---|');
  for (const r of withSpeed) {
    const sp = r.speed as Exclude<ComparisonResult['speed'], null | { skipped: string }>;
    L.push(
      `| ${r.dataset.name}, ${r.machine.date.slice(0, 16).replace('T', ' ')} | ${Math.round(sp.oursSamplesPerSecond)} (${sp.oursBackend}) | ${sp.oursSecondsPerEpoch.toFixed(2)} | ` +
        `${sp.pytorchSamplesPerSecond === null ? '—' : Math.round(sp.pytorchSamplesPerSecond)} | ${sp.pytorchSecondsPerEpoch === null ? '—' : sp.pytorchSecondsPerEpoch.toFixed(2)} | ` +
        `${sp.timeRatio === null ? `— (${sp.skipped ?? 'PyTorch not run'})` : `**${sp.timeRatio.toFixed(2)}×**`} | ${sp.oursRounds.map((x) => Math.round(x)).join(', ')} \\| ${(sp.pytorchRounds ?? []).map((x) => Math.round(x)).join(', ')} |`,
    );
  }
  const last = withSpeed[withSpeed.length - 1].speed as Exclude<ComparisonResult['speed'], null | { skipped: string }>;
  if (last.pytorch) L.push('', `PyTorch ${last.pytorch.torch} (${last.pytorch.cpuCapability}), BLAS ${last.pytorch.blasLibrary}; command \`${last.command}\`. Machine as in the runs above; other jobs were running on it, so absolute rates vary between rounds — the interleaving gives both sides the same load.`);
  L.push('');
  return L;
}

const RUNNING = [
  '**Running it.** `npm run build && npm run bench:compare` (that is `ebp bench --out-dir bench/results --docs docs/benchmarks.md`, docs/cli.md; MNIST-10k; tens of minutes on 2 cores), `-- --dataset fashion-mnist` or `-- --dataset all` (Fashion-MNIST needs Debian\'s `dataset-fashion-mnist`: without it `all` skips it with a note and `fashion-mnist` stops with exit code 2), `-- --train a.csv --test b.csv` for any numeric CSV pair (features z-scored with the training statistics unless `--no-standardize`), `-- --quick` for a smoke run (1 seed, 2 epochs, lr 1e-3 and 1e-1; writes `compare-<dataset>-quick.json` and leaves this file alone). Other flags: `--seeds N|a,b,c`, `--epochs`, `--lrs`, `--hidden`, `--members`, `--bn on|off|both`, `--jobs N`, `--in-process`, `--no-speed`, `--report-only` (redraw plots and this section from the JSON); `ebp bench` without `--docs` leaves this file alone.',
  '',
  'From code (`ebp-bnn/compare`, the harness in `src/compare/`): `const res = await runComparison({ dataset: { kind: \'mnist10k\' }, seeds: 3, epochs: 20 }, (p) => …)` runs every job (each in a fresh child process when the compiled `worker.js` is next to it, so peak RSS is per job; `isolate: \'none\'` keeps them in process) and reports progress events (`plan`, `job-start`, `epoch` with every method\'s test error, `job-end`, `speed`, `note`); `signal` (an AbortSignal) stops it. `writeComparison(res, { resultsDir, plotsDir, docsFile })` writes `compare-<dataset>.json`, the three SVG plots and regenerates this section from all `compare-*.json` in `resultsDir`.',
];

const METHOD_NOTES = [
  '- **Methods.** EBP-P: the mean-field pass over the posterior (float, no sampling). EBP-D: one sign network with the most probable weights sign(h), run by the packed XNOR engine as deployed (`XnorNetwork.fromPosterior`). EBP ensemble: `XnorNetwork.sampleEnsemble(store, { members: 16 })`, packed networks with weights drawn from the posterior, mean of their sign outputs. STE: the BNN recipe of `src/ste` (docs/ste.md): latent weights clipped to [−1, 1], sign forward, hard-tanh straight-through gradient, squared hinge, Adam, lr decayed exponentially per epoch to lr/100, with batch norm (ε 1e-4, momentum 0.1) before every sign and on the output, or without it (real bias, z = (sign(W)·v + b)/√(K+1), the EBP-matching architecture).',
  '- **Same data order.** For seed s every method trains with one `fitAsync` call (the same minibatches as `fit`, yielding to the event loop every 50 ms) with `seed: 1000 + s`: both trainers draw each epoch\'s permutation of the training rows from `createRng(1000 + s)` with one Fisher–Yates shuffle of the identity and no other draw, so every method sees the same permutation stream (a unit test checks that both trainers\' results equal training on the rows pre-permuted by that stream). Initial weights use seed s (EBP\'s fields, STE\'s latent weights), the ensemble\'s draws seed s.',
  '- **Batch sizes.** EBP uses minibatches of 10, its only setting in the paper (the summed increments of a larger batch overshoot; see docs/algorithm.md); STE uses 100, the recipe of the PyTorch reference whose numbers the issue quotes (BNN\'s Adam + batch-norm recipe is tuned for it, and batch norm needs batches). With the same permutation, each STE minibatch is the union of 10 consecutive EBP minibatches.',
  '- **Probabilities.** EBP-P and the ensemble give per-output probabilities p_k = P(v_k = +1) of their one-vs-rest sign outputs. Class probabilities use the **code likelihood**: the probability that the output vector is class c\'s code (output c the only +1), renormalised over the K codes; with independent outputs P(v = t_c) = p_c Π_{j≠c}(1 − p_j), so q_c ∝ p_c/(1 − p_c), a softmax of the per-output log-odds. This is the likelihood EBP itself maximises (Z = P(v_L = t) under the mean field), conditioned on the output being a valid code; unlike normalising the p_k directly (q_k ∝ p_k), it does not leak probability to classes whose outputs are confidently −1. EBP-P: p_k = Φ(z_k), z_k = μ̄_k/σ̄_k, log-odds computed in log space. Ensemble of M: p_k = (n_k + ½)/(M + 1) from the n_k members voting +1 on output k (Krichevsky–Trofimov; never 0 or 1). EBP-D and STE are single deterministic networks: one vote for the decided class (one-hot). Every method\'s q then gets the same floor, q_k ← max(q_k, 10⁻³)/Σ_j max(q_j, 10⁻³): NLL stays finite (at most ≈ 6.92 nats per row for 10 classes) and confidence is at most ≈ 0.991. For a one-hot method NLL and ECE therefore follow the error rate; the alternatives table adds STE\'s softmax of its output scores (common practice, though its scale is set by the hinge loss, not by a likelihood), EBP-P with normalised marginals q_k ∝ p_k (the rule of `ebp eval`) and the ensemble\'s vote shares (`XnorEnsemble.probabilities()`).',
  '- **Metrics** (test set, after the last epoch; mean ± sample std over seeds): error of the method\'s own decision; NLL = mean −ln q_true; Brier = mean Σ_k (q_k − y_k)²; ECE = Σ_b (n_b/n)|accuracy_b − confidence_b| over 15 equal-width bins of the top-class confidence (`MetricsAccumulator` of src/eval, the one `ebp eval` uses); training seconds per epoch = the training loop only (evaluation excluded), median over the epochs of a run (other jobs share the machine); peak RSS of the job\'s process (Node, the data and the model); model bytes of what the method deploys: EBP-P the float64 posterior (`encodeCheckpoint`), EBP-D one packed network and the ensemble 16 (`encodeModel`), STE its folded packed network (`encodeModel(XnorNetwork.fromSte(trainer))`: sign weights, batch norm folded into per-neuron thresholds, the output layer\'s scale and shift). STE\'s "best" learning rate is picked on the test set (there is no validation split), which flatters STE.',
];

/** The Markdown of the comparison section (without the markers). */
export function comparisonMarkdown(results: ComparisonResult[], where: { docsDir: string; plotsDir: string }): string {
  const link = (f: string) => path.relative(where.docsDir, path.join(where.plotsDir, f)).split(path.sep).join('/');
  const L: string[] = [];
  L.push('## EBP vs STE: accuracy, calibration, cost', '');
  L.push('Generated by `npm run bench:compare` (`runComparison` and `writeComparison` in `src/compare/`) from `bench/results/compare-*.json`; edit the generator, not this section.', '');
  L.push(...RUNNING, '');
  L.push(...METHOD_NOTES, '');
  if (!results.length) L.push('No results yet.', '');
  for (const r of results) L.push(...datasetSection(r, link));
  const fashion = results.some((r) => r.dataset.name === 'fashion-mnist');
  if (!fashion) L.push('Fashion-MNIST: not run here (needs Debian\'s `dataset-fashion-mnist`; `npm run bench:compare -- --dataset fashion-mnist`).', '');
  L.push(...speedSection(results));
  return L.join('\n');
}
