/**
 * Sharded rounds on MNIST-60k with the shards as separate processes (issue 16's benchmark):
 * node build/bench/shard60k.js [--data mnist60k|mnist10k] [--shards 1,2,4,8] [--combine average,damped:0.5,ep,product]
 *   [--rounds 20] [--hidden 200] [--valid 0] [--out-dir bench/results/shard60k]
 *
 * K shards (a fixed seeded split of the training rows; with --valid N the last N rows of a seeded order are a validation
 * split instead, never trained on). Every round each shard is a child process (node this-file --child) that reads the
 * current posterior from a .ebpb checkpoint, trains one epoch on its rows and writes its posterior as a .ebpb file; the
 * driver waits for all of them, merges and evaluates. All K children of a round run at once (on this 2-core machine,
 * 4 and 8 shards share 2 cores, so a round's wall time is about the sum of the shard CPU times / 2, not the slowest shard).
 * Combines (h stands for every field h and bias b; h_0 the round's starting posterior):
 *   product      h_0 + Σ_k (h_k − h_0)            (mergePosteriors 'product', Bayes' rule for disjoint data)
 *   average      h_0 + (1/K)·Σ_k (h_k − h_0)      (mergePosteriors 'average')
 *   damped:a     h_0 + a·Σ_k (h_k − h_0)          (a between 1/K and 1)
 *   ep           expectation-propagation sites: shard k keeps t_k; it trains from the cavity h − t_k, its new site is
 *                h_k − cavity_k, and h = h_init + Σ_k t_k (docs/algorithm.md, "Sites")
 * Resumable: every round's merged posterior, sites and result line are on disk under --out-dir/<config>/; a rerun
 * continues after the last finished round. Writes <out-dir>/<config>/results.json after every round.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cpus, loadavg } from 'node:os';
import { EbpTrainer, PosteriorStore, createRng, decodeCheckpoint, encodeCheckpoint, evaluateErrors, mergePosteriors, subset, type Dataset } from '../src';
import { loadMnist10k, loadMnist60k } from '../src/node';

const ROOT = join(__dirname, '..', '..');
const SEED = 1;

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : def;
}

function load(data: string): { train: Dataset; test: Dataset } {
  if (data === 'mnist60k') return loadMnist60k();
  if (data === 'mnist10k') return loadMnist10k();
  throw new Error(`--data ${data}: expected mnist60k or mnist10k`);
}

/** Row indices of shard k of K, and of the validation split (the last `valid` rows of one seeded order). */
function split(n: number, K: number, valid: number): { shards: Int32Array[]; valid: Int32Array } {
  const order = createRng(SEED + 500).permutation(n);
  const m = n - valid;
  const shards = Array.from({ length: K }, (_, k) => Int32Array.from(order.subarray(Math.floor((k * m) / K), Math.floor(((k + 1) * m) / K))));
  return { shards, valid: Int32Array.from(order.subarray(m)) };
}

const write = (file: string, bytes: Uint8Array) => {
  writeFileSync(file + '.tmp', bytes);
  renameSync(file + '.tmp', file);
};
const readStore = (file: string) => decodeCheckpoint(new Uint8Array(readFileSync(file))).posterior;
const saveStore = (file: string, s: PosteriorStore) => write(file, encodeCheckpoint(s));

/** Child: train one epoch of shard k from the posterior in --from, write it to --out, print seconds as JSON. */
function child(): void {
  const t0 = performance.now();
  const data = arg('--data', 'mnist60k');
  const K = Number(arg('--of', '1'));
  const k = Number(arg('--shard', '0'));
  const { train } = load(data);
  const rows = split(train.labels.length, K, Number(arg('--valid', '0'))).shards[k];
  const part = subset(train, rows);
  const start = readStore(arg('--from', ''));
  const t1 = performance.now();
  const t = EbpTrainer.fromPrior(start, Number(arg('--seed', '0')));
  t.fit(part, { epochs: 1, trainError: 'none' });
  const t2 = performance.now();
  saveStore(arg('--out', ''), t.store);
  const cpu = process.cpuUsage();
  console.log(JSON.stringify({ shard: k, rows: rows.length, loadSeconds: (t1 - t0) / 1000, trainSeconds: (t2 - t1) / 1000, cpuSeconds: (cpu.user + cpu.system) / 1e6 }));
}

function runChild(args: string[]): Promise<Record<string, number>> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [__filename, '--child', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`shard ${args.join(' ')} exited ${code}`))));
  });
}

/** a·Σ_k (x_k − x_0) added to x_0, per array (the shards' differences summed in index order of k). */
function linear(base: PosteriorStore, terms: { store: PosteriorStore; minus?: PosteriorStore }[], a: number, into: PosteriorStore): PosteriorStore {
  into.layers.forEach((L, l) => {
    for (const key of ['h', 'b'] as const) {
      const out = L[key];
      const b0 = base.layers[l][key];
      for (let i = 0; i < out.length; i++) {
        let s = 0;
        for (const t of terms) s += t.store.layers[l][key][i] - (t.minus ? t.minus.layers[l][key][i] : 0);
        out[i] = b0[i] + a * s;
      }
    }
  });
  into.refresh();
  into.assertFinite('combined posterior');
  return into;
}

/** One driver per configuration: a lock file with the driver's pid (a stale lock of a dead pid is taken over). */
function lock(cdir: string): boolean {
  const f = join(cdir, 'lock');
  if (existsSync(f)) {
    const pid = Number(readFileSync(f, 'utf8'));
    try {
      if (pid !== process.pid) {
        process.kill(pid, 0);
        return false;
      }
    } catch {
      // no such process: stale
    }
  }
  writeFileSync(f, String(process.pid));
  process.on('exit', () => {
    try {
      if (readFileSync(f, 'utf8') === String(process.pid)) unlinkSync(f);
    } catch {
      // gone already
    }
  });
  return true;
}

const pct = (x: number) => Math.round(x * 10000) / 100;
const r3 = (x: number) => Math.round(x * 1000) / 1000;

async function config(data: string, K: number, combine: string, rounds: number, hidden: number, valid: number, dir: string, sets: { train: Dataset; test: Dataset }): Promise<void> {
  const name = `${data}-h${hidden}-K${K}-${combine.replace(':', '')}${valid ? `-v${valid}` : ''}`;
  const cdir = join(dir, name);
  mkdirSync(cdir, { recursive: true });
  if (!lock(cdir)) {
    console.error(`${name}: another driver is running it (${join(cdir, 'lock')}); skipped`);
    return;
  }
  const resFile = join(cdir, 'results.json');
  const res = existsSync(resFile) ? JSON.parse(readFileSync(resFile, 'utf8')) : { data, shards: K, combine, hidden, valid, rounds: [] as unknown[] };
  const init = join(cdir, 'round_0.ebpb');
  if (!existsSync(init)) saveStore(init, EbpTrainer.create({ inputs: sets.train.X.shape[1], hidden: [hidden], outputs: 10, seed: SEED }).store);
  const base0 = readStore(init);
  const validSet = valid ? subset(sets.train, split(sets.train.labels.length, K, valid).valid) : null;
  for (let r = res.rounds.length; r < rounds; r++) {
    const from = join(cdir, `round_${r}.ebpb`);
    const merged = readStore(from);
    const t0 = performance.now();
    const starts: string[] = [];
    if (combine.startsWith('ep')) {
      for (let k = 0; k < K; k++) {
        const site = join(cdir, `site_${k}.ebpb`); // site stored as base0 + t_k (a posterior-shaped file)
        const cav = r === 0 ? merged : linear(merged, [{ store: readStore(site), minus: base0 }], -1, merged.clone());
        const f = join(cdir, `cavity_${k}.ebpb`);
        saveStore(f, cav);
        starts.push(f);
      }
    }
    const outs = Array.from({ length: K }, (_, k) => join(cdir, `r${r + 1}_s${k}.ebpb`));
    const reports = await Promise.all(outs.map((out, k) => runChild([
      '--data', data, '--of', String(K), '--shard', String(k), '--valid', String(valid), '--from', combine.startsWith('ep') ? starts[k] : from,
      '--seed', String(SEED + 1000 * (r + 1) + k), '--out', out,
    ])));
    const wallShards = (performance.now() - t0) / 1000;
    const t1 = performance.now();
    const shards = outs.map(readStore);
    let next: PosteriorStore;
    let chosen: number | undefined;
    if (combine === 'product' || combine === 'average') next = mergePosteriors(merged, shards, { combine });
    else if (combine.startsWith('damped:')) next = linear(merged, shards.map((s) => ({ store: s, minus: merged })), Number(combine.slice(7)), merged.clone());
    else if (combine.startsWith('scaled:')) next = linear(merged, shards.map((s) => ({ store: s, minus: merged })), Math.min(1, Number(combine.slice(7)) / K), merged.clone());
    else if (combine === 'search') {
      if (!validSet) throw new Error('--combine search needs --valid N');
      // The step a·Σ_k (h_k − h_0), a from 1/K to 1, chosen by the validation split's EBP-P error (ties: the smaller step).
      let best: { err: number; a: number; s: PosteriorStore } | null = null;
      for (const c of [1, 1.5, 2, 3, 4, 6, 8].filter((c) => c <= K)) {
        const cand = linear(merged, shards.map((s) => ({ store: s, minus: merged })), c / K, merged.clone());
        const err = evaluateErrors(cand, validSet).errorP;
        if (!best || err < best.err) best = { err, a: c / K, s: cand };
      }
      next = best!.s;
      chosen = best!.a;
    } else if (combine === 'ep' || combine.startsWith('ep:')) {
      const damp = combine === 'ep' ? 1 : Number(combine.slice(3));
      // new site t_k = h_k − cavity_k; stored as base0 + t_k
      const sites = shards.map((s, k) => {
        const cav = readStore(starts[k]);
        // damped: t_k ← (1 − d)·t_k,old + d·(h_k − cavity_k)
        const old = r === 0 ? base0 : readStore(join(cdir, `site_${k}.ebpb`));
        const site = linear(old, [{ store: s, minus: cav }, { store: base0, minus: old }], damp, base0.clone());
        saveStore(join(cdir, `site_${k}.ebpb`), site);
        return site;
      });
      next = linear(base0, sites.map((s) => ({ store: s, minus: base0 })), 1, base0.clone());
    } else throw new Error(`--combine ${combine}: expected product, average, damped:a or ep`);
    const mergeSeconds = (performance.now() - t1) / 1000;
    const nextFile = join(cdir, `round_${r + 1}.ebpb`);
    saveStore(nextFile, next);
    const e = evaluateErrors(next, sets.test);
    const v = validSet ? evaluateErrors(next, validSet) : null;
    const shardBytes = outs.reduce((a, f) => a + statSync(f).size, 0);
    const line = {
      round: r + 1, ...(chosen !== undefined ? { step: chosen } : {}), errorP: pct(e.errorP), errorD: pct(e.errorD), ...(v ? { validP: pct(v.errorP), validD: pct(v.errorD) } : {}),
      wallSeconds: r3(wallShards + mergeSeconds), shardsWallSeconds: r3(wallShards), mergeSeconds: r3(mergeSeconds),
      shardTrainSeconds: reports.map((x) => r3(x.trainSeconds)), shardLoadSeconds: reports.map((x) => r3(x.loadSeconds)), shardCpuSeconds: reports.map((x) => r3(x.cpuSeconds)),
      bytesUp: shardBytes, bytesDown: K * statSync(from).size, loadavg: loadavg().map((x) => Math.round(x * 100) / 100), at: new Date().toISOString(),
    };
    res.rounds.push(line);
    write(resFile, new TextEncoder().encode(JSON.stringify(res, null, 2) + '\n'));
    console.error(`${name} round ${r + 1}/${rounds}: EBP-P ${line.errorP}% EBP-D ${line.errorD}%${v ? ` valid ${line.validP}%` : ''} wall ${line.wallSeconds}s`);
  }
}

async function main(): Promise<void> {
  if (process.argv.includes('--child')) return child();
  const data = arg('--data', 'mnist60k');
  const dir = arg('--out-dir', join(ROOT, 'bench', 'results', 'shard60k'));
  const rounds = Number(arg('--rounds', '20'));
  const hidden = Number(arg('--hidden', '200'));
  const valid = Number(arg('--valid', '0'));
  const sets = load(data);
  console.error(`shard60k: ${data}, ${cpus().length} cores, node ${process.version}`);
  for (const K of arg('--shards', '1,2,4,8').split(',').map(Number)) {
    for (const combine of arg('--combine', 'average').split(',')) {
      if (K === 1 && combine !== arg('--combine', 'average').split(',')[0]) continue; // one process: the combines coincide
      await config(data, K, combine, rounds, hidden, valid, dir, sets);
    }
  }
}

if (require.main === module) main().catch((e) => {
  console.error(e);
  process.exit(1);
});
