#!/usr/bin/env node
// `npm run demo:build`: the static demo page in demo/dist/, self-contained (no CDN, nothing from another origin).
// Bundles demo/src/main.ts and demo/src/worker.ts with esbuild from the built library (dist/, so run
// `npm run build` first; the npm script does), which resolves through package.json's `browser` field as any
// bundler would: csv-parse's browser build, and the CSP-safe ndarray. The WebAssembly kernels travel inside the
// bundle as the library ships them (base64 in its JavaScript). Copies index.html, style.css, the model files
// of demo/model/ (see scripts/demo-model.mjs) and the digits sample. Type-checks demo/src first.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as esbuild from 'esbuild';

const ROOT = path.join(path.dirname(new URL(import.meta.url).pathname), '..');
const DEMO = path.join(ROOT, 'demo');
const OUT = path.join(DEMO, 'dist');

execFileSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(DEMO, 'tsconfig.json')], { stdio: 'inherit' });

fs.rmSync(OUT, { recursive: true, force: true });
fs.mkdirSync(path.join(OUT, 'model'), { recursive: true });
fs.mkdirSync(path.join(OUT, 'data'), { recursive: true });
await esbuild.build({
  entryPoints: { main: path.join(DEMO, 'src', 'main.ts'), worker: path.join(DEMO, 'src', 'worker.ts'), 'team-worker': path.join(DEMO, 'src', 'team-worker.ts') },
  outdir: OUT,
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: 'es2022',
  minify: true,
  legalComments: 'linked',
  logLevel: 'warning',
});
const bundle = ['main.js', 'worker.js', 'team-worker.js'].map((f) => fs.readFileSync(path.join(OUT, f), 'utf8')).join('');
// A strict CSP refuses code built from strings: the bundle must not do it.
for (const pattern of [/new Function\b/, /\beval\(/]) {
  if (pattern.test(bundle)) throw new Error(`demo bundle contains ${pattern}: it would fail under the page's Content-Security-Policy`);
}
for (const f of ['index.html', 'style.css']) fs.copyFileSync(path.join(DEMO, f), path.join(OUT, f));
for (const f of ['mnist-deterministic.ebpb', 'mnist-ensemble.ebpb', 'mnist-test10.json']) fs.copyFileSync(path.join(DEMO, 'model', f), path.join(OUT, 'model', f));
for (const f of ['digits_train.csv', 'digits_test.csv']) fs.copyFileSync(path.join(ROOT, 'tests', 'fixtures', 'digits', f), path.join(OUT, 'data', f));
const size = (f) => fs.statSync(path.join(OUT, f)).size.toLocaleString('en-US');
console.log(`demo/dist: main.js ${size('main.js')} bytes, worker.js ${size('worker.js')} bytes, team-worker.js ${size('team-worker.js')} bytes`);
