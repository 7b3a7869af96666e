/**
 * `ebp train` ships the determinised network of a deep binary posterior (src/train/determinised.ts, issue 11):
 * the model's deterministic mode is it, plain EBP-D is mode `map`; eval/predict warn about an explicit mode
 * that validated much worse; `ebp export` writes the packed network alone and eval/predict/inspect read it.
 */
import * as fs from 'fs';
import * as path from 'path';
import { loadTrainedModel } from '../../src/node/model-file';
import { XnorNetwork } from '../../src/xnor/network';
import { XnorEnsemble } from '../../src/xnor/network';
import { cli, DIGITS_TEST, DIGITS_TRAIN, jsonLines, strayFiles, tempDir } from './helpers';

const T = tempDir('ebp-determinise-');
afterAll(() => T.cleanup());

const DEEP = ['train', DIGITS_TRAIN, '--hidden', '50,50', '--epochs', '3', '--seed', '1'];
const opts = { cwd: T.dir };
const file = (n: string) => path.join(T.dir, n);
const evalJson = async (args: string[]) => {
  const r = await cli(['eval', ...args, '--json'], opts);
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as { error: number; mode: string };
};

describe('a 64-50-50-10 binary model on digits (3 epochs, --split 0.1)', () => {
  let trainOut: { code: number; stderr: string; stdout: string };
  beforeAll(async () => {
    trainOut = await cli([...DEEP, '--split', '0.1', '--out', 'split.ebpb'], opts);
  }, 120000);

  test('its deterministic network is the determinised one, recorded with its validation error; plain EBP-D is mode map', async () => {
    expect(trainOut.code).toBe(0);
    expect(trainOut.stderr).toMatch(/^determinise: decimation, then progressive determinisation, the better kept; every choice on the validation rows/m);
    expect(trainOut.stderr).toMatch(/^ {2}decimate: layer 1 at 50\.0%, round 1: validation error \d+\.\d\d%/m);
    expect(trainOut.stderr).toMatch(/^ {2}progressive: 1 layer fixed, epoch 0: validation error \d+\.\d\d%/m);
    expect(trainOut.stderr).toMatch(/^determinised network: /m);
    const m = loadTrainedModel(file('split.ebpb'));
    const r = m.meta.training!.result;
    expect(r.determinised).toMatchObject({ choices: { kind: 'validation' } });
    expect(Object.keys(r.modes!)).toEqual(['deterministic', 'map', 'probabilistic', 'ensemble']);
    // map is plain EBP-D's per-epoch error; deterministic the shipped network's.
    expect(r.modes!.map).toBe(r.validationErrorD);
    expect(r.modes!.deterministic).toBe(r.determinised!.validationError);
    expect(r.modes!.deterministic).toBeLessThan(r.modes!.map);
    // The file's packed network is not the most probable weights of its posterior.
    const map = XnorNetwork.fromPosterior(m.store!);
    const net = m.network as XnorNetwork;
    expect(net.layers.some((L, l) => !L.weights.data.every((w, i) => w === map.layers[l].weights.data[i]) || L.bias.some((b, k) => b !== map.layers[l].bias[k]))).toBe(true);
    // eval's deterministic mode runs it and gives the recorded error on the validation rows' file (the test CSV here: lower than map's).
    const det = await evalJson(['split.ebpb', DIGITS_TEST, '--mode', 'deterministic']);
    const plain = await evalJson(['split.ebpb', DIGITS_TEST, '--mode', 'map']);
    const p = await evalJson(['split.ebpb', DIGITS_TEST, '--mode', 'probabilistic']);
    expect(det.error).toBeLessThan(0.8 * plain.error);
    expect(det.error).toBeLessThanOrEqual(1.3 * p.error);
  }, 120000);

  test('an explicit --mode that validated more than 1.3x worse than the best gets one warning line naming the better mode', async () => {
    const m = loadTrainedModel(file('split.ebpb'));
    const modes = m.meta.training!.result.modes!;
    const best = m.meta.training!.result.bestMode!;
    expect(modes.map).toBeGreaterThan(1.3 * modes[best]);
    const r = await cli(['eval', 'split.ebpb', DIGITS_TEST, '--mode', 'map'], opts);
    expect(r.code).toBe(0);
    const warnings = r.stderr.split('\n').filter((l) => l.startsWith('warning:'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`--mode map validated at`);
    expect(warnings[0]).toContain(`use --mode ${best}`);
    const p = await cli(['predict', 'split.ebpb', DIGITS_TEST, '--mode', 'map', '--quiet'], opts);
    expect(p.stderr.split('\n').filter((l) => l.startsWith('warning:'))).toHaveLength(1);
    // The best mode, given or not, is not warned about.
    for (const args of [['--mode', best], []]) {
      const q = await cli(['eval', 'split.ebpb', DIGITS_TEST, ...args], opts);
      expect(q.stderr).not.toContain('warning:');
    }
  }, 120000);

  test('export --mode deterministic: a small packed file that eval, predict and inspect read, predicting as the model does', async () => {
    const e = await cli(['export', 'split.ebpb', '--out', 'net.ebpb'], opts);
    expect(e.code).toBe(0);
    expect(fs.statSync(file('net.ebpb')).size).toBeLessThan(fs.statSync(file('split.ebpb')).size / 3);
    const a = await cli(['predict', 'split.ebpb', DIGITS_TEST, '--mode', 'deterministic', '--quiet'], opts);
    const b = await cli(['predict', 'net.ebpb', DIGITS_TEST, '--quiet'], opts);
    expect(b.code).toBe(0);
    expect(b.stdout).toBe(a.stdout);
    expect((await evalJson(['net.ebpb', DIGITS_TEST])).mode).toBe('deterministic');
    const i = await cli(['inspect', 'net.ebpb'], opts);
    expect(i.stdout).toContain('kind: packed deterministic network (determinised)');
    expect((await cli(['inspect', 'split.ebpb'], opts)).stdout).toContain('kind: posterior model');
    expect(JSON.parse((await cli(['inspect', 'net.ebpb', '--json'], opts)).stdout)).toMatchObject({ fileKind: 'packed-deterministic', posterior: null });
    // A mode it cannot serve is a model-file error (exit 3) that says what to use.
    const p = await cli(['eval', 'net.ebpb', DIGITS_TEST, '--mode', 'probabilistic'], opts);
    expect(p.code).toBe(3);
    expect(p.stderr).toContain('holds the determinised network only');
    expect((await cli(['export', 'net.ebpb', '--mode', 'ensemble', '--out', 'x.ebpb'], opts)).code).toBe(3);
  }, 120000);

  test('export --mode ensemble: the packed ensemble eval --mode ensemble draws, with its probabilities', async () => {
    expect((await cli(['export', 'split.ebpb', '--mode', 'ensemble', '--members', '8', '--seed', '2', '--out', 'ens.ebpb'], opts)).code).toBe(0);
    const a = await cli(['predict', 'split.ebpb', DIGITS_TEST, '--mode', 'ensemble', '--members', '8', '--seed', '2', '--proba', '--quiet'], opts);
    const b = await cli(['predict', 'ens.ebpb', DIGITS_TEST, '--proba', '--quiet'], opts);
    expect(b.code).toBe(0);
    expect(b.stdout).toBe(a.stdout);
    const m = loadTrainedModel(file('ens.ebpb'));
    expect(m.network).toBeInstanceOf(XnorEnsemble);
    expect((await cli(['inspect', 'ens.ebpb'], opts)).stdout).toContain('kind: packed ensemble of 8 members');
  }, 120000);

  test('export refuses an existing output without --force, and its own input even with --force (exit 1, nothing written)', async () => {
    T.file('taken.ebpb', 'old');
    const r = await cli(['export', 'split.ebpb', '--out', 'taken.ebpb'], opts);
    expect(r.code).toBe(1);
    expect(fs.readFileSync(file('taken.ebpb'), 'utf8')).toBe('old');
    const before = fs.readFileSync(file('split.ebpb'));
    const s = await cli(['export', 'split.ebpb', '--out', 'split.ebpb', '--force'], opts);
    expect(s.code).toBe(1);
    expect(s.stderr).toContain('writing it would destroy the input');
    expect(fs.readFileSync(file('split.ebpb')).equals(before)).toBe(true);
    expect((await cli(['export', 'split.ebpb', '--out', 'taken.ebpb', '--force'], opts)).code).toBe(0);
    expect(strayFiles(T.dir).filter((f) => f.includes('.tmp'))).toEqual([]);
  }, 120000);
});

describe('more runs', () => {
  test('a run resumed to the same epochs gives the same bytes, the determinised network included', async () => {
    expect((await cli([...DEEP, '--split', '0.1', '--epochs', '2', '--out', 'two.ebpb'], opts)).code).toBe(0);
    const r = await cli([...DEEP, '--split', '0.1', '--out', 'resumed.ebpb', '--resume', 'two.ebpb'], opts);
    expect(r.code).toBe(0);
    if (!fs.existsSync(file('split.ebpb'))) expect((await cli([...DEEP, '--split', '0.1', '--out', 'split.ebpb'], opts)).code).toBe(0);
    expect(fs.readFileSync(file('resumed.ebpb')).equals(fs.readFileSync(file('split.ebpb')))).toBe(true);
    const again = await cli([...DEEP, '--split', '0.1', '--out', 'again.ebpb', '--resume', 'resumed.ebpb'], opts);
    expect(again.code).toBe(0);
    expect(fs.readFileSync(file('again.ebpb')).equals(fs.readFileSync(file('split.ebpb')))).toBe(true);
  }, 120000);

  test('--no-determinise ships plain EBP-D, as before; so does a CSV run without validation rows, and says why', async () => {
    const r = await cli([...DEEP, '--split', '0.1', '--out', 'plain.ebpb', '--no-determinise', '--json'], opts);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    for (const line of jsonLines(r.stdout)) expect(line).not.toHaveProperty('determinised');
    const m = loadTrainedModel(file('plain.ebpb'));
    expect(m.meta.training!.result.determinised).toBeUndefined();
    expect(Object.keys(m.meta.training!.result.modes!)).toEqual(['deterministic', 'probabilistic', 'ensemble']);
    const map = XnorNetwork.fromPosterior(m.store!);
    (m.network as XnorNetwork).layers.forEach((L, l) => expect(Array.from(L.weights.data)).toEqual(Array.from(map.layers[l].weights.data)));
    const det = await evalJson(['plain.ebpb', DIGITS_TEST, '--mode', 'deterministic']);
    expect(det.error).toBe((await evalJson(['plain.ebpb', DIGITS_TEST, '--mode', 'map'])).error);
    const nv = await cli([...DEEP, '--out', 'noval.ebpb'], opts);
    expect(nv.code).toBe(0);
    expect(nv.stderr).toContain('no determinised network: its choices need validation rows EBP did not train on (--split 0.1 or --test FILE)');
    expect(loadTrainedModel(file('noval.ebpb')).meta.training!.result.determinised).toBeUndefined();
  }, 120000);

  test('--json: stdout stays one JSON object per line, the summary says what was determinised; Gaussian weights say there is none', async () => {
    const r = await cli([...DEEP, '--split', '0.1', '--out', 'json.ebpb', '--json', '--force'], opts);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const lines = jsonLines(r.stdout);
    expect(lines[lines.length - 1]).toMatchObject({ summary: true, determinised: { choices: { kind: 'validation' } } });
    const g = await cli([...DEEP, '--split', '0.1', '--weights', 'gaussian', '--epochs', '1', '--out', 'gauss.ebpb'], opts);
    expect(g.code).toBe(0);
    expect(g.stderr).toContain('no determinised network: Gaussian weights have no determinised network');
    expect(loadTrainedModel(file('gauss.ebpb')).meta.training!.result.determinised).toBeUndefined();
  }, 120000);
});
