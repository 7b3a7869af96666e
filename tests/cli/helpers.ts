import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { memoryIo } from '../../src/cli/io';
import { run } from '../../src/cli/run';

export const FIXTURES = path.join(__dirname, '..', 'fixtures');
export const CSV = path.join(FIXTURES, 'csv');
export const BC_TRAIN = path.join(FIXTURES, 'breast_cancer', 'breast_cancer_train.csv');
export const BC_TEST = path.join(FIXTURES, 'breast_cancer', 'breast_cancer_test.csv');
export const DIGITS_TRAIN = path.join(FIXTURES, 'digits', 'digits_train.csv');
export const DIGITS_TEST = path.join(FIXTURES, 'digits', 'digits_test.csv');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run `ebp argv` in-process with cwd `cwd`; `interrupted` simulates Ctrl-C; `stdin` is what `-` reads. */
export async function cli(argv: string[], opts: { cwd: string; interrupted?: () => boolean; stdin?: NodeJS.ReadableStream }): Promise<CliResult> {
  const io = memoryIo({ cwd: opts.cwd, interrupted: opts.interrupted, stdin: opts.stdin });
  const code = await run(argv, io);
  return { code, stdout: io.stdoutText(), stderr: io.stderrText() };
}

/** A fresh temporary directory, removed after the test file. */
export function tempDir(prefix = 'ebp-cli-'): { dir: string; file(name: string, content?: string | Buffer): string; cleanup(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return {
    dir,
    file(name, content) {
      const f = path.join(dir, name);
      if (content !== undefined) fs.writeFileSync(f, content);
      return f;
    },
    cleanup() {
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Files in a directory other than those listed (no temp files may be left behind). */
export function strayFiles(dir: string, expected: string[] = []): string[] {
  return fs.readdirSync(dir).filter((f) => !expected.includes(f));
}

/** Parse JSON lines. */
export function jsonLines(s: string): Record<string, unknown>[] {
  return s
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}
