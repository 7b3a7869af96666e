/**
 * Ablation of ways to get one deterministic binary network out of EBP for deep nets (issue 11), written to
 * bench/results/deterministic.json and the ablation table of docs/benchmarks.md.
 *
 * Protocol: 10% of the training rows (seeded, createRng(1)) are held out as the validation split; plain EBP
 * (spec, binary weights, batch 10, seed 1) trains on the rest for --epochs epochs; every candidate makes its
 * choices on the validation split only; the test rows are read only to report the final numbers.
 *
 *   node build/bench/deterministic.js --data digits|mnist10k [--net 64-50-50-10] [--epochs 20]
 *        [--variants plain,best16,prog,prog-thr,dec,dec-all,dec-r3,...] [--out bench/results/deterministic.json] [--docs docs/benchmarks.md]
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EbpTrainer, XnorNetwork, createRng, splitDataset, type Dataset, type PosteriorStore } from '../src';
import { determinise, type DeterminiseOptions } from '../src/deterministic';
import { loadMnist10k, readNumericCsv } from '../src/node';
import { evaluateErrors } from '../src/ebp/trainer';
import { machineInfo } from '../src/compare/machine';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : dflt;
}

interface Row {
  data: string;
  net: string;
  epochs: number;
  variant: string;
  description: string;
  validationError: number;
  testError: number;
  testErrorP: number;
  testErrorD: number;
  chosen?: string;
  seconds: number;
  command: string;
  date: string;
}

function loadData(name: string): { train: Dataset; validation: Dataset; test: Dataset } {
  let full: { train: Dataset; test: Dataset };
  if (name === 'digits') {
    const dir = join(__dirname, '..', '..', 'tests', 'fixtures', 'digits');
    full = { train: readNumericCsv(join(dir, 'digits_train.csv')), test: readNumericCsv(join(dir, 'digits_test.csv')) };
  } else if (name === 'mnist10k') full = loadMnist10k();
  else throw new Error(`unknown --data ${name} (digits | mnist10k)`);
  const { train, validation } = splitDataset(full.train, 0.1, createRng(1));
  return { train, validation, test: full.test };
}

function errorOf(net: { predict(X: Dataset['X']): Int32Array }, ds: Dataset): number {
  const p = net.predict(ds.X);
  let e = 0;
  for (let i = 0; i < p.length; i++) if (p[i] !== ds.labels[i]) e++;
  return e / p.length;
}

function trainPlain(sizes: number[], train: Dataset, epochs: number, sigmaW = 1): PosteriorStore {
  const t = EbpTrainer.create({ inputs: sizes[0], hidden: sizes.slice(1, -1), outputs: sizes[sizes.length - 1], weights: 'binary', seed: 1, sigmaW });
  t.fit(train, { epochs, batchSize: 10, trainError: 'none' });
  return t.store;
}

function main(): void {
  const dataName = arg('data', 'digits');
  const net = arg('net', dataName === 'digits' ? '64-50-50-10' : '784-500-500-10');
  const epochs = Number(arg('epochs', '20'));
  const variants = arg('variants', 'plain,best16,prog,prog-reinit').split(',');
  const out = arg('out', 'bench/results/deterministic.json');
  const docs = arg('docs', 'docs/benchmarks.md');
  const imports = arg('import', '');
  if (imports) {
    // Merge the rows of other runs' result files (e.g. runs made in parallel with --out elsewhere) and rewrite the docs.
    for (const f of imports.split(',')) mergeRows(out, (JSON.parse(readFileSync(f, 'utf8')) as { rows: Row[] }).rows, docs);
    return;
  }
  const sizes = net.split('-').map(Number);
  const command = `node build/bench/deterministic.js ${process.argv.slice(2).join(' ')}`;
  const { train, validation, test } = loadData(dataName);
  const rows: Row[] = [];
  const cache = new Map<string, { store: PosteriorStore; seconds: number }>();
  const plainStore = (e: number, sigmaW = 1): { store: PosteriorStore; seconds: number } => {
    const key = `${e}/${sigmaW}`;
    let c = cache.get(key);
    if (!c) {
      const t0 = performance.now();
      c = { store: trainPlain(sizes, train, e, sigmaW), seconds: (performance.now() - t0) / 1000 };
      cache.set(key, c);
    }
    return c;
  };
  const record = (variant: string, description: string, store: PosteriorStore, fn: () => { net: XnorNetwork; val: number; chosen?: string }, baseSeconds: number, plainEpochs: number): void => {
    const t0 = performance.now();
    const r = fn();
    const pd = evaluateErrors(store, test);
    const row: Row = {
      data: dataName, net, epochs: plainEpochs, variant, description, validationError: r.val, testError: errorOf(r.net, test),
      testErrorP: pd.errorP, testErrorD: pd.errorD, chosen: r.chosen, seconds: baseSeconds + (performance.now() - t0) / 1000,
      command, date: new Date().toISOString(),
    };
    rows.push(row);
    console.log(JSON.stringify({ variant, test: row.testError, P: row.testErrorP, D: row.testErrorD, val: row.validationError, chosen: row.chosen, s: row.seconds.toFixed(1) }));
  };
  const prog = (store: PosteriorStore, o: Partial<DeterminiseOptions>) => () => {
    const r = determinise(store, train, { validation, seed: 1, ...o });
    const c = r.report.chosen;
    const at = c.share !== undefined && c.share < 1 ? `layer ${c.fixed} at ${(100 * c.share).toFixed(1)}%, round ${c.epoch}` : `fixed ${c.fixed}, ${o.method === 'decimate' ? 'round' : 'epoch'} ${c.epoch}`;
    return { net: r.network, val: c.validationError, chosen: `${at}; stages ${r.report.stages.map((s) => `${s.fixed}:${s.bestEpoch}/${s.epochs}`).join(' ')}` };
  };

  for (const v of variants) {
    const m = /^(.*?)(?:@e(\d+))?$/.exec(v)!;
    const name = m[1];
    const e = m[2] ? Number(m[2]) : epochs;
    const sigmaW = name.includes('sigmaw4') ? 4 : 1;
    const { store, seconds } = plainStore(e, sigmaW);
    const tag = m[2] ? ` (plain EBP for ${e} epochs first)` : '';
    if (name === 'plain' || name === 'plain-sigmaw4') {
      record(v, `plain EBP-D (most probable weights)${sigmaW !== 1 ? `, sigmaW ${sigmaW}` : ''}${tag}`, store, () => ({ net: XnorNetwork.fromPosterior(store), val: evaluateErrors(store, validation).errorD }), seconds, e);
    } else if (name === 'best16') {
      record(v, `best of 16 posterior samples (chosen on validation)${tag}`, store, () => {
        const ens = XnorNetwork.sampleEnsemble(store, { members: 16, seed: 1 });
        let best = ens.members[0];
        let bv = Infinity;
        ens.members.forEach((mm, i) => {
          const ev = errorOf(mm, validation);
          if (ev < bv) (bv = ev), (best = ens.members[i]);
        });
        return { net: best, val: bv };
      }, seconds, e);
    } else if (name.startsWith('prog') || name.startsWith('fix1')) {
      // prog[-thr|-distil|-distilthr][-reinit][-p<patience>][-sigmaw4]; fix1: only layer 1 fixed
      const o: Partial<DeterminiseOptions> = { method: 'progressive', fix: 'map' };
      const words: string[] = [];
      for (const tok of name.split('-').slice(1)) {
        if (tok === 'thr') (o.fix = 'threshold'), words.push("each layer's thresholds re-fitted to agree with sign(μ̄)");
        else if (tok === 'distil') (o.fix = 'distil'), words.push('each layer distilled by a one-layer EBP perceptron towards sign(μ̄)');
        else if (tok === 'distilthr') (o.fix = 'distil+threshold' as DeterminiseOptions['fix']), words.push('distilled, then thresholds re-fitted');
        else if (tok === 'reinit') (o.upper = 'reinit'), words.push('upper layers re-initialised');
        else if (/^p\d+$/.test(tok)) (o.patience = Number(tok.slice(1))), words.push(`patience ${tok.slice(1)}`);
        else if (tok === 'sigmaw4') words.push('plain EBP with sigmaW 4');
        else throw new Error(`unknown token ${tok} in ${v}`);
      }
      if (name.startsWith('fix1')) o.maxFixed = 1;
      if (o.fix === 'map') words.push('layers fixed at sign(h), b');
      if (!o.upper) words.push('upper layers continue their posterior');
      const head = name.startsWith('fix1') ? 'layer 1 fixed, EBP on the layers above' : 'progressive determinisation';
      record(v, `${head}: ${words.join(', ')}${tag}`, store, prog(store, o), seconds, e);
    } else if (name.startsWith('dec')) {
      // dec[-all][-r<rounds>][-e<epochs per round>][-a<most epochs per round>]: decimation (dec-a3 is determinise's default)
      const o: Partial<DeterminiseOptions> = { method: 'decimate' };
      const words: string[] = [];
      for (const tok of name.split('-').slice(1)) {
        if (tok === 'all') (o.maxFixed = sizes.length - 1), words.push('the output layer decimated too');
        else if (/^r\d+$/.test(tok)) (o.rounds = Number(tok.slice(1))), words.push(`${tok.slice(1)} rounds per layer`);
        else if (/^e\d+$/.test(tok)) (o.epochsPerRound = Number(tok.slice(1))), words.push(`${tok.slice(1)} epochs per round`);
        else if (/^a\d+$/.test(tok)) (o.maxEpochs = Number(tok.slice(1))), words.push(`then more epochs while the validation error falls, up to ${tok.slice(1)} per round`);
        else throw new Error(`unknown token ${tok} in ${v}`);
      }
      if (!o.rounds) words.push('5 rounds per layer');
      if (!o.epochsPerRound) words.push('1 epoch per round');
      if (o.maxEpochs === undefined) (o.maxEpochs = 1), words.push('no more');
      if (o.maxFixed === undefined) words.push('hidden layers');
      record(v, `decimation: the most certain half of each layer's free weights fixed per round, EBP on the rest; ${words.join(', ')}${tag}`, store, prog(store, o), seconds, e);
    } else throw new Error(`unknown variant ${v}`);
  }

  mergeRows(out, rows, docs);
}

/** Rows into the results file (a row replaces the one of the same data, net, epochs and variant), then the docs table. */
function mergeRows(out: string, rows: Row[], docs: string): void {
  const prev: { machine?: unknown; rows: Row[] } = existsSync(out) ? JSON.parse(readFileSync(out, 'utf8')) : { rows: [] };
  const key = (r: Row) => `${r.data}|${r.net}|${r.epochs}|${r.variant}`;
  const merged = new Map(prev.rows.map((r) => [key(r), r]));
  for (const r of rows) merged.set(key(r), r);
  const all = [...merged.values()].sort((a, b) => (a.data === b.data ? 0 : a.data === 'digits' ? -1 : 1));
  writeFileSync(out, JSON.stringify({ machine: machineInfo(), rows: all }, null, 2) + '\n');
  writeDocs(docs, all);
}

const BEGIN = '<!-- deterministic:begin (bench/deterministic.ts writes this table) -->';
const END = '<!-- deterministic:end -->';

function pct(x: number): string {
  return `${(100 * x).toFixed(2)}%`;
}

function writeDocs(file: string, rows: Row[]): void {
  if (!existsSync(file)) return;
  const lines = [
    BEGIN,
    '| data | net | plain epochs | candidate | validation error | **test error** | EBP-P test | EBP-D test | ratio to EBP-P | chosen | seconds |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows.map((r) =>
      `| ${r.data} | ${r.net} | ${r.epochs} | \`${r.variant}\`: ${r.description} | ${pct(r.validationError)} | **${pct(r.testError)}** | ${pct(r.testErrorP)} | ${pct(r.testErrorD)} | ${(r.testError / r.testErrorP).toFixed(2)}× | ${r.chosen ?? ''} | ${r.seconds.toFixed(1)} |`,
    ),
    END,
  ];
  const text = readFileSync(file, 'utf8');
  const i = text.indexOf(BEGIN);
  const j = text.indexOf(END);
  const next = i >= 0 && j > i ? text.slice(0, i) + lines.join('\n') + text.slice(j + END.length) : `${text.trimEnd()}\n\n${lines.join('\n')}\n`;
  writeFileSync(file, next);
}

main();
