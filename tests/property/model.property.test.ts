import * as fc from 'fast-check';
import * as fs from 'fs';
import * as path from 'path';
import { EbpError, ModelFormatError } from '../../src/errors';
import { decodeTrainedModel as decodeModelFile } from '../../src/train/trained-model';
import { modelPredictor } from '../../src/cli/predictor';
import { modelSummary } from '../../src/cli/commands/inspect';
import { crc32 } from '../../src/model/crc32';
import { cli, CSV, tempDir } from '../cli/helpers';
import { byteMutation, mutateBytes } from './helpers';

/**
 * Random bytes and random mutations of valid model files: decoding raises ModelFormatError (exit 3) or
 * gives a model that inspect and every predictor mode handle (typed errors only). Mutations are tried with
 * the CRC-32 left as it is (caught by the checksum) and recomputed (so the header and tensor checks run).
 */
const T = tempDir('ebp-prop-model-');
afterAll(() => T.cleanup());

const files: Record<string, Uint8Array> = {};
beforeAll(async () => {
  const base = [path.join(CSV, 'wdbc_semicolon.csv'), '--label', 'diagnosis', '--categorical', 'size class', '--standardize', '--hidden', '6', '--epochs', '1', '--quiet'];
  for (const w of ['binary', 'gaussian', 'ternary']) {
    const r = await cli(['train', ...base, '--weights', w, '--out', `${w}.ebpb`], { cwd: T.dir });
    expect(r.code).toBe(0);
    files[w] = new Uint8Array(fs.readFileSync(path.join(T.dir, `${w}.ebpb`)));
  }
});

function fixCrc(b: Uint8Array): Uint8Array {
  if (b.length < 28) return b;
  const out = Uint8Array.from(b);
  const end = out.length - 4;
  new DataView(out.buffer).setUint32(end, crc32(out, 0, end), true);
  return out;
}

/** Decode and, when that works, use the model every way the CLI does. Anything but an EbpError fails. */
function exercise(bytes: Uint8Array): 'ok' | EbpError {
  try {
    const m = decodeModelFile(bytes, 'p.ebpb');
    modelSummary(m, 'p.ebpb');
    const X = new Float64Array(3 * m.sizes[0]).map((_, i) => Math.sin(i));
    for (const mode of ['deterministic', 'probabilistic', 'ensemble'] as const) {
      try {
        const p = modelPredictor(m, mode, { members: 2, seed: 1 });
        const r = p.run(X, 3);
        expect(r.classes.every((c) => c >= 0 && c < p.numClasses)).toBe(true);
        if (r.proba) for (const v of r.proba) expect(v >= 0 && v <= 1).toBe(true);
      } catch (e) {
        if (!(e instanceof EbpError)) throw e;
      }
    }
    return 'ok';
  } catch (e) {
    if (e instanceof EbpError) {
      expect(e.exitCode).toBe(3);
      return e;
    }
    throw e;
  }
}

test('the valid files decode', () => {
  for (const b of Object.values(files)) expect(exercise(b)).toBe('ok');
});

test('random bytes: ModelFormatError', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), fc.boolean(), (bytes, magic) => {
      const b = magic ? Uint8Array.from([0x45, 0x42, 0x50, 0x42, 0x4e, 0x4e, 0, 0, 1, 0, 0, 0, ...bytes]) : bytes;
      const r = exercise(b);
      expect(r).toBeInstanceOf(ModelFormatError);
    }),
    { numRuns: 500, seed: 1 },
  );
});

test('mutations of valid files, with the checksum kept or recomputed: typed errors only', () => {
  fc.assert(
    fc.property(fc.constantFrom('binary', 'gaussian', 'ternary'), fc.array(byteMutation, { minLength: 1, maxLength: 3 }), fc.boolean(), (w, ms, fix) => {
      const mutated = mutateBytes(files[w], ms);
      const b = fix ? fixCrc(mutated) : mutated;
      const r = exercise(b);
      if (!fix && r !== 'ok') expect(r).toBeInstanceOf(ModelFormatError);
    }),
    { numRuns: 400, seed: 2 },
  );
});

test('header mutations that keep valid JSON (values changed, CRC recomputed)', () => {
  const b = files.binary;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const H = dv.getUint32(12, true);
  const header = Buffer.from(b.subarray(24, 24 + H)).toString('utf8');
  const numbers = [...header.matchAll(/-?\d+(\.\d+)?(e[+-]?\d+)?/g)].map((m) => m.index!);
  const strings = [...header.matchAll(/"[^"\\]*"/g)].map((m) => ({ at: m.index!, len: m[0].length }));
  fc.assert(
    fc.property(
      fc.oneof(
        fc.record({ kind: fc.constant('num' as const), i: fc.nat(numbers.length - 1), v: fc.constantFrom('0', '-1', '1e308', '3', '99999999', '0.5') }),
        fc.record({ kind: fc.constant('str' as const), i: fc.nat(strings.length - 1), v: fc.constantFrom('"x"', '""', 'null', '1', '[]', '{}', 'true') }),
      ),
      (m) => {
        let text: string;
        if (m.kind === 'num') {
          const at = numbers[m.i];
          const len = /^-?\d+(\.\d+)?(e[+-]?\d+)?/.exec(header.slice(at))![0].length;
          text = header.slice(0, at) + m.v + header.slice(at + len);
        } else {
          const s = strings[m.i];
          if (header[s.at + s.len] === ':') return; // keys stay keys
          text = header.slice(0, s.at) + m.v + header.slice(s.at + s.len);
        }
        // Rebuild the container around the new header (same payload).
        const json = Buffer.from(text, 'utf8');
        const start = Math.ceil((24 + json.length) / 8) * 8;
        const oldStart = Math.ceil((24 + H) / 8) * 8;
        const P = dv.getUint32(16, true);
        const out = new Uint8Array(start + P + 4);
        out.set(b.subarray(0, 24));
        new DataView(out.buffer).setUint32(12, json.length, true);
        out.set(json, 24);
        out.set(b.subarray(oldStart, oldStart + P), start);
        exercise(fixCrc(out));
      },
    ),
    { numRuns: 400, seed: 3 },
  );
});

test('inspect / eval / predict on damaged model files: exit 3, no output file', async () => {
  const test = fs.readFileSync(path.join(CSV, 'wdbc_test.csv'));
  fs.writeFileSync(path.join(T.dir, 't.csv'), test);
  await fc.assert(
    fc.asyncProperty(fc.array(byteMutation, { minLength: 1, maxLength: 2 }), fc.constantFrom('inspect', 'eval', 'predict'), async (ms, cmd) => {
      const b = mutateBytes(files.binary, ms);
      fs.writeFileSync(path.join(T.dir, 'bad.ebpb'), b);
      fs.rmSync(path.join(T.dir, 'o.csv'), { force: true });
      const argv = cmd === 'inspect' ? ['inspect', 'bad.ebpb'] : cmd === 'eval' ? ['eval', 'bad.ebpb', 't.csv'] : ['predict', 'bad.ebpb', 't.csv', '--out', 'o.csv'];
      const r = await cli(argv, { cwd: T.dir });
      if (r.code === 0) return; // a mutation the format cannot see (none expected: the CRC covers every byte)
      expect(r.code).toBe(3);
      expect(r.stderr).toMatch(/^error: bad\.ebpb: /);
      expect(fs.existsSync(path.join(T.dir, 'o.csv'))).toBe(false);
    }),
    { numRuns: 60, seed: 4 },
  );
});
