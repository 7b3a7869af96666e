import * as fc from 'fast-check';
import * as fs from 'fs';
import * as path from 'path';
import { EbpError } from '../../src/errors';
import { parseCsvText } from '../../src/data/csv';
import { fitPreprocess, encodeTable } from '../../src/data/preprocess';
import { readCsvTable } from '../../src/node/csv-stream';
import { cli, CSV, BC_TRAIN, tempDir } from '../cli/helpers';
import { mutate, mutation } from './helpers';

/**
 * Random bytes and random mutations of valid CSV files, fed to the readers and to the commands: the
 * outcome is a table or a typed EbpError, never another exception, and a failed command leaves no output
 * file and no temporary file behind.
 */
const T = tempDir('ebp-prop-csv-');
afterAll(() => T.cleanup());

const VALID = fs.readFileSync(path.join(CSV, 'wdbc_test.csv'), 'utf8');
const SEMI = fs.readFileSync(path.join(CSV, 'wdbc_semicolon.csv'), 'utf8').split('\r\n').slice(0, 30).join('\r\n') + '\r\n';

/** Run a reader; return 'ok' or the typed error; rethrow anything else (the property fails). */
function typed<T>(f: () => T): T | EbpError {
  try {
    return f();
  } catch (e) {
    if (e instanceof EbpError) return e;
    throw e;
  }
}

async function typedAsync<T>(f: () => Promise<T>): Promise<T | EbpError> {
  try {
    return await f();
  } catch (e) {
    if (e instanceof EbpError) return e;
    throw e;
  }
}

let k = 0;
function write(content: string | Uint8Array): string {
  const f = path.join(T.dir, `in${k++}.csv`);
  fs.writeFileSync(f, content);
  return f;
}

test('random bytes: the text and the streaming reader give a table or a typed error, and agree', async () => {
  await fc.assert(
    fc.asyncProperty(fc.uint8Array({ maxLength: 400 }), async (bytes) => {
      const text = Buffer.from(bytes).toString('utf8');
      const a = typed(() => parseCsvText(text, { file: 'r.csv', allowMissing: true }));
      const f = write(bytes);
      const b = await typedAsync(() => readCsvTable(f, { file: 'r.csv', allowMissing: true }));
      if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) return; // gzip magic: the file reader gunzips
      expect(b instanceof EbpError).toBe(a instanceof EbpError);
      if (a instanceof EbpError) expect((b as EbpError).message).toBe(a.message);
    }),
    { numRuns: 300, seed: 4242 },
  );
});

test('random token soup: typed errors only, through preprocessing too', () => {
  const token = fc.constantFrom('"', ',', ';', '\t', '\n', '\r\n', 'a', 'label', '1', '-2.5', 'NaN', '', 'NA', ' ', 'x"y');
  fc.assert(
    fc.property(fc.array(token, { maxLength: 60 }), fc.boolean(), (tokens, impute) => {
      const r = typed(() => parseCsvText(tokens.join(''), { allowMissing: impute }));
      if (r instanceof EbpError) return;
      const spec = typed(() => fitPreprocess(r, { impute: impute ? 'mean' : 'none', scaling: { kind: 'standardize' } }));
      if (spec instanceof EbpError) return;
      const enc = typed(() => encodeTable(spec, r));
      if (!(enc instanceof EbpError)) for (const v of enc.X) expect(Number.isFinite(v)).toBe(true);
    }),
    { numRuns: 1000, seed: 7 },
  );
});

test('mutations of a valid CSV: typed errors only; both readers agree', async () => {
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(VALID, SEMI), fc.array(mutation, { minLength: 1, maxLength: 4 }), async (src, ms) => {
      const text = mutate(src, ms);
      const a = typed(() => parseCsvText(text, { file: 'm.csv', categorical: ['size class'], label: 'diagnosis' }));
      const b = await typedAsync(() => readCsvTable(write(text), { file: 'm.csv', categorical: ['size class'], label: 'diagnosis' }));
      expect(b instanceof EbpError).toBe(a instanceof EbpError);
      if (a instanceof EbpError) expect((b as EbpError).message).toBe(a.message);
      else expect((b as typeof a).rows).toBe(a.rows);
    }),
    { numRuns: 300, seed: 99 },
  );
});

describe('commands on damaged input', () => {
  let model: string;
  beforeAll(async () => {
    const r = await cli(
      ['train', path.join(CSV, 'wdbc_semicolon.csv'), '--label', 'diagnosis', '--categorical', 'size class', '--impute', 'median', '--standardize', '--hidden', '8', '--epochs', '1', '--quiet', '--out', 'w.ebpb'],
      { cwd: T.dir },
    );
    expect(r.code).toBe(0);
    model = 'w.ebpb';
  });

  const exits = new Set([0, 1, 2, 3, 4]);

  test('predict and eval on mutated CSV: a known exit code; either a complete output file or none, and no temporary file', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 3 }), fc.constantFrom('predict', 'eval'), async (ms, cmd) => {
        const f = write(mutate(VALID, ms));
        const out = path.join(T.dir, 'pred.csv');
        fs.rmSync(out, { force: true });
        const argv = cmd === 'predict' ? ['predict', model, f, '--out', 'pred.csv', '--proba'] : ['eval', model, f, '--mode', 'ensemble', '--members', '2'];
        const r = await cli(argv, { cwd: T.dir });
        expect(exits.has(r.code)).toBe(true);
        expect(r.stderr).not.toContain('internal error');
        if (r.code !== 0) expect(r.stderr).toMatch(/^error: /);
        if (cmd === 'predict') {
          if (r.code === 0) {
            const lines = fs.readFileSync(out, 'utf8').trimEnd().split('\n');
            expect(lines[0]).toBe('prediction,p_benign,p_malignant');
            expect(r.stderr).toContain(`${lines.length - 1} predictions`);
          } else expect(fs.existsSync(out)).toBe(false);
        }
        expect(fs.readdirSync(T.dir).filter((x) => x.endsWith('.tmp'))).toEqual([]);
      }),
      { numRuns: 120, seed: 5 },
    );
  });

  test('train on mutated CSV: a known exit code; a model file only on success', async () => {
    const src = fs.readFileSync(BC_TRAIN, 'utf8').split('\n').slice(0, 60).join('\n');
    await fc.assert(
      fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 3 }), async (ms) => {
        const f = write(mutate(src, ms));
        const out = path.join(T.dir, 'm.ebpb');
        fs.rmSync(out, { force: true });
        const r = await cli(['train', f, '--hidden', '4', '--epochs', '1', '--out', 'm.ebpb', '--quiet', '--force'], { cwd: T.dir });
        expect(exits.has(r.code)).toBe(true);
        expect(r.stderr).not.toContain('internal error');
        expect(fs.existsSync(out)).toBe(r.code === 0);
        expect(fs.existsSync(out + '.ckpt')).toBe(false);
        expect(fs.readdirSync(T.dir).filter((x) => x.endsWith('.tmp'))).toEqual([]);
      }),
      { numRuns: 60, seed: 11 },
    );
  });
});
