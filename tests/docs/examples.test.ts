// The `@example` blocks of the TSDoc comments (what `npm run docs:api` renders) must run: every ```ts block in
// a doc comment under src/ is transpiled and executed against the sources (`ebp-bnn` → src/index.ts,
// `ebp-bnn/node` → src/node/index.ts, `ebp-bnn/special` → src/special/index.ts), and the main entry points
// must have one.
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';

const SRC = path.join(__dirname, '..', '..', 'src');
/** Entry points whose doc comment must carry a runnable example. */
const REQUIRED = ['EbpTrainer', 'predict', 'SteTrainer', 'XnorNetwork', 'encodeModel', 'decodeModel'];

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sourceFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Each doc comment's ```ts examples, with the name declared right after the comment. */
function examples(): { name: string; file: string; code: string }[] {
  const out: { name: string; file: string; code: string }[] = [];
  for (const file of sourceFiles(SRC)) {
    const text = fs.readFileSync(file, 'utf8');
    for (const m of text.matchAll(/\/\*\*([\s\S]*?)\*\/\s*(?:export\s+)?(?:declare\s+)?(?:abstract\s+)?(?:class|function|const|interface|type)\s+(\w+)/g)) {
      const body = m[1].split('\n').map((l) => l.replace(/^\s*\* ?/, '')).join('\n');
      if (!body.includes('@example')) continue;
      for (const block of body.matchAll(/```ts\n([\s\S]*?)```/g)) out.push({ name: m[2], file: path.relative(SRC, file), code: block[1] });
    }
  }
  return out;
}

function run(code: string): unknown[][] {
  const js = ts.transpileModule(code, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } }).outputText;
  const logs: unknown[][] = [];
  const req = (name: string) => {
    if (name === 'ebp-bnn') return require('../../src');
    if (name.startsWith('ebp-bnn/')) return require(`../../src/${name.slice('ebp-bnn/'.length)}`);
    return require(name);
  };
  new Function('require', 'exports', 'console', js)(req, {}, { log: (...a: unknown[]) => logs.push(a) });
  return logs;
}

const found = examples();

test('the main entry points have @example blocks', () => {
  expect(REQUIRED.filter((n) => !found.some((e) => e.name === n))).toEqual([]);
});

test.each(found.map((e) => [`${e.name} (${e.file})`, e.code]))('the example of %s runs and prints', (_name, code) => {
  const logs = run(code);
  expect(logs.length).toBeGreaterThan(0);
});
