import * as fs from 'fs';
import * as path from 'path';
import { cli, BC_TRAIN, DIGITS_TEST, DIGITS_TRAIN, jsonLines, tempDir } from './helpers';
import { loadTrainedModel } from '../../src/node/model-file';
import { readEncodedCsv } from '../../src/node/csv-dataset';
import { EbpTrainer } from '../../src/ebp/trainer';
import { mergePosteriors, posteriorHash } from '../../src/ebp/merge';

/** `ebp train --prior` and `ebp merge` (issue 16; docs/scaling.md). */
const T = tempDir('ebp-prior-');
afterAll(() => T.cleanup());
const at = (f: string) => path.join(T.dir, f);
const run = (argv: string[], opts: { interrupted?: () => boolean } = {}) => cli(argv, { cwd: T.dir, ...opts });
const load = (f: string) => loadTrainedModel(at(f), f);

beforeAll(async () => {
  expect((await run(['train', DIGITS_TRAIN, '--hidden', '16', '--epochs', '1', '--seed', '3', '--standardize', '--quiet', '--out', 'base.ebpb'])).code).toBe(0);
  for (const k of [1, 2, 3]) {
    const r = await run(['train', DIGITS_TRAIN, '--prior', 'base.ebpb', '--epochs', '1', '--seed', String(k), '--quiet', '--out', `s${k}.ebpb`]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  }
});

test('--prior trains from exactly the prior’s posterior, with its network, preprocessing and classes, and records its hash', async () => {
  const base = load('base.ebpb');
  const s1 = load('s1.ebpb');
  expect(s1.sizes).toEqual([64, 16, 10]);
  expect(s1.meta.preprocess).toEqual(base.meta.preprocess);
  expect(s1.meta.lineage).toEqual({ prior: posteriorHash(base.store!) });
  expect(s1.meta.training!.config.hidden).toEqual([16]);
  // The same rows, encoded by the prior's preprocessing, one epoch from a copy of the prior (data order seed + 1).
  const data = (await readEncodedCsv(base.meta.preprocess, DIGITS_TRAIN, 'train', undefined)).ds;
  const t = EbpTrainer.fromPrior(base.store!, 1 + 1);
  t.fit(data, { epochs: 1, batchSize: 10 });
  expect(posteriorHash(s1.store!)).toBe(posteriorHash(t.store));
});

test('merge: the formula, byte-identical in any shard order, one shard gives its posterior back; the merged model evaluates', async () => {
  expect((await run(['merge', 's1.ebpb', 's2.ebpb', 's3.ebpb', '--base', 'base.ebpb', '--out', 'm.ebpb'])).code).toBe(0);
  expect((await run(['merge', 's3.ebpb', 's1.ebpb', 's2.ebpb', '--base', 'base.ebpb', '--out', 'm2.ebpb', '--json'])).code).toBe(0);
  expect(fs.readFileSync(at('m.ebpb')).equals(fs.readFileSync(at('m2.ebpb')))).toBe(true);
  const m = load('m.ebpb');
  const want = mergePosteriors(load('base.ebpb').store!, [1, 2, 3].map((k) => load(`s${k}.ebpb`).store!));
  expect(posteriorHash(m.store!)).toBe(posteriorHash(want));
  expect(m.meta.lineage?.merge?.base).toBe(posteriorHash(load('base.ebpb').store!));
  expect(m.meta.lineage?.merge?.combine).toBe('product');
  expect((await run(['merge', 's2.ebpb', '--base', 'base.ebpb', '--out', 'one.ebpb'])).code).toBe(0);
  expect(posteriorHash(load('one.ebpb').store!)).toBe(posteriorHash(load('s2.ebpb').store!));
  const avg = await run(['merge', 's1.ebpb', 's2.ebpb', '--base', 'base.ebpb', '--combine', 'average', '--out', 'avg.ebpb', '--json']);
  expect(jsonLines(avg.stdout)[0]).toMatchObject({ summary: true, out: 'avg.ebpb', shards: 2, combine: 'average', sizes: [64, 16, 10] });
  const ev = await run(['eval', 'avg.ebpb', DIGITS_TEST, '--json']);
  expect(ev.code).toBe(0);
  // The next round: shards from the merged model, merged with it as the base.
  expect((await run(['train', DIGITS_TRAIN, '--prior', 'avg.ebpb', '--epochs', '1', '--quiet', '--out', 'r2.ebpb'])).code).toBe(0);
  expect((await run(['merge', 'r2.ebpb', '--base', 'avg.ebpb', '--out', 'm3.ebpb'])).code).toBe(0);
});

test('merge refuses shards that do not fit the base: exit 3 naming what differs; an existing output needs --force', async () => {
  // Another base of the same architecture; one with other preprocessing; one of other widths.
  expect((await run(['train', DIGITS_TRAIN, '--hidden', '16', '--epochs', '1', '--seed', '4', '--standardize', '--quiet', '--out', 'other.ebpb'])).code).toBe(0);
  expect((await run(['train', DIGITS_TRAIN, '--prior', 'other.ebpb', '--epochs', '1', '--quiet', '--out', 'o1.ebpb'])).code).toBe(0);
  expect((await run(['train', DIGITS_TRAIN, '--hidden', '16', '--epochs', '1', '--seed', '3', '--no-standardize', '--quiet', '--out', 'raw.ebpb'])).code).toBe(0);
  expect((await run(['train', DIGITS_TRAIN, '--hidden', '8', '--epochs', '1', '--seed', '3', '--standardize', '--quiet', '--out', 'narrow.ebpb'])).code).toBe(0);
  const base = await run(['merge', 's1.ebpb', 'o1.ebpb', '--base', 'base.ebpb', '--out', 'x.ebpb', '--json']);
  expect(base.code).toBe(3);
  expect(base.stderr).toMatch(/^error: o1\.ebpb was trained from the prior [0-9a-f]{12}…, not from the base base\.ebpb \([0-9a-f]{12}…\)/);
  expect(jsonLines(base.stdout)[0]).toMatchObject({ error: { code: 'ebp.mismatch', exitCode: 3 } });
  const pre = await run(['merge', 'raw.ebpb', '--base', 'base.ebpb', '--out', 'x.ebpb']);
  expect(pre.code).toBe(3);
  expect(pre.stderr).toMatch(/^error: raw\.ebpb was preprocessed differently from base\.ebpb \(preprocess\.columns\[0\]\.mean differs\)/);
  const arch = await run(['merge', 'narrow.ebpb', '--base', 'base.ebpb', '--out', 'x.ebpb']);
  expect(arch.code).toBe(3);
  expect(arch.stderr).toBe('error: narrow.ebpb has layer widths 64-8-10, but base.ebpb has 64-16-10; they must share the architecture.\n');
  const none = await run(['merge', 'other.ebpb', '--base', 'base.ebpb', '--out', 'x.ebpb']);
  expect(none.code).toBe(3);
  expect(none.stderr).toMatch(/other\.ebpb records no prior/);
  expect(fs.existsSync(at('x.ebpb'))).toBe(false);
  const exists = await run(['merge', 's1.ebpb', '--base', 'base.ebpb', '--out', 'm.ebpb']);
  expect(exists.code).toBe(1);
  expect(exists.stderr).toMatch(/output file m\.ebpb already exists; pass --force/);
  expect((await run(['merge', 's1.ebpb', '--base', 'base.ebpb', '--out', 'm.ebpb', '--force'])).code).toBe(0);
  // An input is never the output, even with --force: the shard and the base stay as they were.
  const shardBytes = fs.readFileSync(at('s1.ebpb'));
  const baseBytes = fs.readFileSync(at('base.ebpb'));
  const onShard = await run(['merge', 's1.ebpb', 's2.ebpb', '--base', 'base.ebpb', '--out', 's1.ebpb', '--force']);
  expect(onShard.code).toBe(1);
  expect(onShard.stderr).toMatch(/--out s1\.ebpb is a shard s1\.ebpb; .*refused even with --force/);
  const onBase = await run(['merge', 's1.ebpb', '--base', 'base.ebpb', '--out', './base.ebpb', '--force']);
  expect(onBase.code).toBe(1);
  expect(onBase.stderr).toMatch(/--out \.\/base\.ebpb is the base base\.ebpb \(the same file\)/);
  expect(fs.readFileSync(at('s1.ebpb')).equals(shardBytes)).toBe(true);
  expect(fs.readFileSync(at('base.ebpb')).equals(baseBytes)).toBe(true);
});

test('--prior refuses what it cannot continue: the prior’s own settings, new classes, an STE model, an unfinished checkpoint', async () => {
  const hidden = await run(['train', DIGITS_TRAIN, '--prior', 'base.ebpb', '--hidden', '32', '--out', 'y.ebpb']);
  expect(hidden.code).toBe(1);
  expect(hidden.stderr).toBe('error: --hidden cannot be used with --prior: the network and the preprocessing come from the prior base.ebpb (64-16-10, binary weights).\n');
  // A label the prior does not know would need a wider output layer.
  const lines = fs.readFileSync(DIGITS_TRAIN, 'utf8').split('\n');
  lines[5] = lines[5].replace(/,[^,]*$/, ',11');
  T.file('newclass.csv', lines.join('\n'));
  const nc = await run(['train', 'newclass.csv', '--prior', 'base.ebpb', '--out', 'y.ebpb']);
  expect(nc.code).toBe(2);
  expect(nc.stderr).toMatch(/newclass\.csv, line 6, column 65: label "11" in column "label" is not one of the model's 10 classes/);
  const other = await run(['train', BC_TRAIN, '--prior', 'base.ebpb', '--out', 'y.ebpb']);
  expect(other.code).toBe(2);
  expect(other.stderr).toMatch(/columnMismatch|expects 64 feature columns/);
  expect((await run(['train', DIGITS_TRAIN, '--trainer', 'ste', '--hidden', '16', '--epochs', '1', '--quiet', '--out', 'ste.ebpb'])).code).toBe(0);
  const ste = await run(['train', DIGITS_TRAIN, '--prior', 'ste.ebpb', '--out', 'y.ebpb']);
  expect(ste.code).toBe(3);
  expect(ste.stderr).toMatch(/ste\.ebpb holds no posterior \(an STE model/);
  // Ctrl-C in epoch 2 of 3 leaves a checkpoint of an unfinished run.
  let calls = 0;
  const stop = await run(['train', DIGITS_TRAIN, '--hidden', '16', '--epochs', '3', '--quiet', '--out', 'half.ebpb'], { interrupted: () => calls++ >= 150 });
  expect(stop.code).toBe(130);
  const un = await run(['train', DIGITS_TRAIN, '--prior', 'half.ebpb.ckpt', '--out', 'y.ebpb']);
  expect(un.code).toBe(3);
  expect(un.stderr).toMatch(/^error: half\.ebpb\.ckpt is a checkpoint of an unfinished run \(1 of 3 epochs and \d+ minibatches of the next done\); finish it with --resume half\.ebpb\.ckpt, or pass --allow-unfinished-prior/);
  const ok = await run(['train', DIGITS_TRAIN, '--prior', 'half.ebpb.ckpt', '--allow-unfinished-prior', '--epochs', '1', '--quiet', '--out', 'y.ebpb']);
  expect(ok.code).toBe(0);
  expect((await run(['train', DIGITS_TRAIN, '--prior', 'base.ebpb', '--resume', 'half.ebpb.ckpt', '--out', 'z.ebpb'])).code).toBe(1);
});
