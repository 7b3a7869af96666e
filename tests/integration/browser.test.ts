// The main entry runs in a browser: the built `dist/index.js` and every module it pulls in are loaded into a
// fresh JavaScript realm that has only what browsers have (no require, Buffer, process, setImmediate or Node
// built-ins), resolving modules as a bundler does (package.json `browser` fields honoured). There it parses a
// CSV, trains (EBP and STE), predicts, packs, ensembles and round-trips a model file (with WebAssembly, without it, and with
// its compilation refused as a Content-Security-Policy does) and gets the numbers Node gets on the same kernels.
// The realm refuses `new Function` and `eval` throughout (a strict CSP), so ndarray there is the CSP-safe
// module the `browser` field maps it to, and Node's results come from the real ndarray.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import { builtinModules } from 'module';
import * as path from 'path';
import * as vm from 'vm';

const ROOT = path.join(__dirname, '..', '..');
const ENTRY = path.join(ROOT, 'dist', 'index.js');
const DIGITS = path.join(ROOT, 'tests', 'fixtures', 'digits');
const BUILTINS = new Set(builtinModules);

beforeAll(() => {
  // `npm test` builds first; a missing build is made here.
  if (!fs.existsSync(ENTRY)) execFileSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(ROOT, 'tsconfig.build.json')]);
});

/** The package.json that governs `file` (the nearest one above it). */
function packageJsonOf(file: string): { dir: string; json: { browser?: unknown } } {
  for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
    const p = path.join(dir, 'package.json');
    if (fs.existsSync(p)) return { dir, json: JSON.parse(fs.readFileSync(p, 'utf8')) };
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${file}`);
  }
}

/** A self-contained ES module bundle whose only module syntax is one trailing `export { a, b as c };`. */
function esmBundleToCommonJs(src: string, file: string): string {
  const m = /\nexport\s*\{([^}]*)\};?\s*$/.exec(src);
  const body = m ? src.slice(0, m.index) : src;
  if (/^\s*(import|export)\b/m.test(body)) throw new Error(`${file}: ES module syntax this loader does not handle`);
  if (!m) return src;
  const names = m[1].split(',').map((s) => s.trim()).filter(Boolean).map((s) => {
    const [local, exported = local] = s.split(/\s+as\s+/);
    return `${JSON.stringify(exported)}: ${local}`;
  });
  return `${body}\nmodule.exports = { ${names.join(', ')} };`;
}

type WasmMode = 'available' | 'absent' | 'csp';

interface Realm {
  load(file: string): Record<string, unknown>;
  setGlobal(name: string, value: unknown): void;
  run<T>(fn: string, ...args: unknown[]): T;
  /** Every Node built-in the module graph asked for (must stay empty). */
  builtinRequests: string[];
}

/** A new realm with browser globals only, and a CommonJS loader that resolves modules as a bundler would. */
function browserRealm(webAssembly: WasmMode): Realm {
  // Every realm refuses code built from strings (`eval`, `new Function`), as the strict policy
  // `script-src 'self' 'wasm-unsafe-eval'` does; 'csp': WebAssembly exists but compiling it is refused too,
  // as under a policy without 'wasm-unsafe-eval'.
  const ctx = vm.createContext(
    { console, TextEncoder, TextDecoder, performance, setTimeout, clearTimeout, queueMicrotask },
    { codeGeneration: { strings: false, wasm: webAssembly !== 'csp' } },
  );
  if (webAssembly === 'absent') vm.runInContext('delete globalThis.WebAssembly', ctx);
  const cache = new Map<string, { exports: Record<string, unknown> }>();
  const builtinRequests: string[] = [];

  const resolve = (spec: string, from: string): string => {
    if (spec.startsWith('node:') || BUILTINS.has(spec) || BUILTINS.has(spec.split('/')[0])) {
      builtinRequests.push(`${path.relative(ROOT, from)} requires ${spec}`);
      throw new Error(`browser realm: ${path.relative(ROOT, from)} requires the Node built-in ${spec}`);
    }
    const pkg = packageJsonOf(from);
    const browser = pkg.json.browser;
    if (browser && typeof browser === 'object' && spec in browser) {
      const to = (browser as Record<string, unknown>)[spec];
      if (typeof to !== 'string') throw new Error(`browser realm: ${spec} is mapped to ${String(to)}`);
      // A relative target is a file of that package (as `ndarray` -> the CSP-safe ndarray of this one).
      if (to.startsWith('.')) return require.resolve(path.join(pkg.dir, to));
      spec = to;
    }
    return require.resolve(spec, { paths: [path.dirname(from)] });
  };

  const load = (file: string): Record<string, unknown> => {
    const hit = cache.get(file);
    if (hit) return hit.exports;
    const module = { exports: {} as Record<string, unknown> };
    cache.set(file, module);
    if (file.endsWith('.json')) {
      module.exports = JSON.parse(fs.readFileSync(file, 'utf8'));
      return module.exports;
    }
    let src = fs.readFileSync(file, 'utf8');
    if (/\.mjs$|[\\/]esm[\\/]/.test(file)) src = esmBundleToCommonJs(src, file);
    const wrapper = vm.runInContext(`(function (exports, require, module) {${src}\n})`, ctx, { filename: file });
    wrapper.call(module.exports, module.exports, (spec: string) => load(resolve(spec, file)), module);
    return module.exports;
  };

  return {
    load,
    builtinRequests,
    setGlobal: (name, value) => {
      (ctx as Record<string, unknown>)[name] = value;
    },
    run<T>(fn: string, ...args: unknown[]): T {
      // Arguments and results cross the realm boundary as JSON, as a worker's messages would.
      return JSON.parse(vm.runInContext(`JSON.stringify((${fn})(...${JSON.stringify(args)}))`, ctx)) as T;
    },
  };
}

/** What the scenario computes, from the library `lib` (typed loosely: it runs in two realms). */
interface Outcome {
  wasm: string;
  testErrorP: number;
  testErrorD: number;
  scoresP: number[];
  scoresD: number[];
  packedScores: number[];
  ensembleProbabilities: number[];
  decodedClasses: number[];
  modelBytes: number;
  modelCrc: number;
  storeJson: string;
  steScores: number[];
  steModelCrc: number;
}

// Plain JavaScript (no imports, no TypeScript-only syntax at run time): it is stringified into the realm.
const scenario = (lib: any, trainText: string, testText: string, backend: 'auto' | 'js'): Outcome => {
  const rawTrain = lib.parseCsvText(trainText, { file: 'digits_train.csv' });
  const rawTest = lib.parseCsvText(testText, { file: 'digits_test.csv' });
  const spec = lib.fitPreprocess(rawTrain, { scaling: { kind: 'standardize' } });
  const dataset = (raw: any) => {
    const e = lib.encodeTable(spec, raw);
    return lib.makeDataset({ X: lib.matrix(e.X, e.rows, e.X.length / e.rows), labels: e.labels, numClasses: spec.label.classes.length });
  };
  const train = dataset(rawTrain);
  const test = dataset(rawTest);
  const trainer = lib.EbpTrainer.create({ inputs: 64, hidden: [24], outputs: 10, weights: 'binary', seed: 3, backend });
  const report = trainer.fit(train, { epochs: 2, batchSize: 10, seed: 3, validation: test });
  const last = report.epochs[report.epochs.length - 1];
  const X = lib.matrix(test.X.data.slice(0, 5 * 64), 5, 64);
  const net = lib.XnorNetwork.fromPosterior(trainer.store);
  const ens = lib.XnorNetwork.sampleEnsemble(trainer.store, { members: 8, seed: 5 });
  const bytes = lib.encodeModel(net);
  const ste = lib.SteTrainer.create({ inputs: 64, hidden: [16], outputs: 10, lrStart: 0.03, lrEnd: 0.003, seed: 4, backend });
  ste.fit(train, { epochs: 1, batchSize: 32 });
  return {
    wasm: typeof WebAssembly,
    testErrorP: last.validationErrorP,
    testErrorD: last.validationErrorD,
    scoresP: Array.from(lib.predict(trainer.store, X, 'probabilistic').scores.data),
    scoresD: Array.from(lib.predict(trainer.store, X, 'deterministic').scores.data),
    packedScores: Array.from(net.scores(X).data),
    ensembleProbabilities: Array.from(ens.probabilities(X).data),
    decodedClasses: Array.from(lib.decodeModel(bytes).network.predict(test.X)),
    modelBytes: bytes.length,
    modelCrc: lib.crc32(bytes),
    storeJson: JSON.stringify(trainer.store.toJSON()),
    steScores: Array.from(ste.predict(X).scores.data),
    steModelCrc: lib.crc32(lib.encodeModel(lib.XnorNetwork.fromSte(ste))),
  };
};

describe('the main entry in a browser realm', () => {
  const trainText = fs.readFileSync(path.join(DIGITS, 'digits_train.csv'), 'utf8');
  const testText = fs.readFileSync(path.join(DIGITS, 'digits_test.csv'), 'utf8');
  // The same scenario in Node, through the compiled entry: the reference, on the WebAssembly kernels and on
  // the TypeScript ones (they agree to rounding, not bit for bit: different summation orders).
  const node: Record<string, Outcome> = {};
  beforeAll(() => {
    node.wasm = scenario(require(ENTRY), trainText, testText, 'auto');
    node.js = scenario(require(ENTRY), trainText, testText, 'js');
  });

  test.each<WasmMode>(['available', 'absent', 'csp'])('loads without Node built-ins and computes what Node computes (WebAssembly %s)', (webAssembly) => {
    const realm = browserRealm(webAssembly);
    expect(realm.run<string>('() => [typeof require, typeof Buffer, typeof process, typeof setImmediate].join()')).toBe('undefined,undefined,undefined,undefined');
    const lib = realm.load(ENTRY);
    expect(realm.builtinRequests).toEqual([]);
    expect(Object.keys(lib).sort()).toEqual(Object.keys(require(ENTRY)).sort());
    realm.setGlobal('__lib', lib);
    // 'auto': the realm picks WebAssembly when it has it, else falls back to the TypeScript kernels.
    const out = realm.run<Outcome>(`(t, s) => (${scenario.toString()})(globalThis.__lib, t, s, 'auto')`, trainText, testText);
    expect(out.wasm).toBe(webAssembly === 'absent' ? 'undefined' : 'object');
    expect(out.testErrorP).toBeLessThan(0.2);
    // Bit-identical to Node on the same kernels.
    const ref = node[webAssembly === 'available' ? 'wasm' : 'js'];
    expect({ ...out, wasm: '' }).toEqual({ ...ref, wasm: '' });
  });
});
