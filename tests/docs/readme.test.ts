// The README's code must run: its TypeScript blocks are transpiled and executed against the sources
// (`ebp-bnn` → src/index.ts, `ebp-bnn/node` → src/node/index.ts). The ten-line MNIST example trains for
// 20 epochs, so it runs with epochs: 1 here; blocks that go on from it (they use `trainer` without
// defining it) run after it, in one scope; everything else is executed as written.
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';

const README = fs.readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
const blocks = [...README.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);

function runBlock(code: string): { logs: unknown[][] } {
  const js = ts.transpileModule(code, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } }).outputText;
  const logs: unknown[][] = [];
  const req = (name: string) => {
    if (name === 'ebp-bnn') return require('../../src');
    if (name === 'ebp-bnn/node') return require('../../src/node');
    return require(name);
  };
  const fakeConsole = { log: (...a: unknown[]) => logs.push(a) };
  new Function('require', 'exports', 'console', js)(req, {}, fakeConsole);
  return { logs };
}

test('the README has its TypeScript examples', () => {
  expect(blocks.length).toBeGreaterThanOrEqual(2);
});

const continues = (b: string) => b.includes('trainer.') && !b.includes('const trainer');
const stripImports = (b: string) => b.replace(/^import .*$/gm, (line) => line.replace(/import \{([^}]*)\} from '([^']*)';/, 'const {$1} = require(\'$2\');'));

test('every README example that does not train MNIST runs as written', () => {
  const quick = blocks.filter((b) => !b.includes('loadMnist10k') && !continues(b));
  expect(quick.length).toBeGreaterThan(0);
  for (const b of quick) expect(() => runBlock(b)).not.toThrow();
});

test('the ten-line MNIST example runs (1 epoch instead of 20) and learns', () => {
  const mnist = blocks.find((b) => b.includes('loadMnist10k'));
  expect(mnist).toBeDefined();
  const rest = blocks.filter(continues).map(stripImports);
  expect(rest.length).toBeGreaterThan(0);
  const { logs } = runBlock([(mnist as string).replace('epochs: 20', 'epochs: 1'), ...rest].join('\n'));
  const epochLine = logs.find((l) => l[0] === 1) as number[];
  expect(epochLine).toBeDefined();
  expect(epochLine[1]).toBeLessThan(0.15); // EBP-P test error after one epoch (about 0.105)
});
