#!/usr/bin/env node
// `npm run demo`: serve demo/dist/ on localhost (after `npm run demo:build`) and print the URL.
// Usage: node scripts/demo-serve.cjs [--port N] (default 8080; 0 picks a free port). The browser tests use
// createDemoServer. Every response carries the page's Content-Security-Policy as a header too, since a
// worker script obeys the policy of its own response, not the page's meta tag; and cross-origin isolation
// (COOP/COEP), which threaded training needs (SharedArrayBuffer) and which sharpens performance.now().
// `--no-isolation` serves without COOP/COEP (one thread).
const fs = require('fs');
const http = require('http');
const path = require('path');

const DIST = path.join(__dirname, '..', 'demo', 'dist');
const CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'; style-src 'self'; img-src 'self' blob: data:; object-src 'none'; base-uri 'none'; form-action 'none'";
const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.csv': 'text/csv; charset=utf-8',
  '.ebpb': 'application/octet-stream',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
};

/**
 * An http.Server for `dir` (not yet listening): static files only, GET and HEAD, nothing outside `dir`.
 * `extra` maps further paths to { type, body } (the browser tests' probes). `isolated: false` leaves out the
 * cross-origin isolation headers (COOP/COEP), as a plain static host would: the page then trains on one thread.
 */
function createDemoServer(dir = DIST, extra = {}, { isolated = true } = {}) {
  const root = path.resolve(dir);
  return http.createServer((req, res) => {
    const url = new URL(req.url || '/', 'http://localhost');
    let file = path.resolve(root, '.' + decodeURIComponent(url.pathname));
    if (file === root || url.pathname.endsWith('/')) file = path.join(file, 'index.html');
    const headers = {
      'Content-Security-Policy': CSP,
      ...(isolated ? { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' } : {}),
      'X-Content-Type-Options': 'nosniff',
      'Cache-Control': 'no-store',
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, headers).end();
      return;
    }
    const more = Object.prototype.hasOwnProperty.call(extra, url.pathname) ? extra[url.pathname] : null;
    if (more) {
      res.writeHead(200, { ...headers, 'Content-Type': more.type }).end(more.body);
      return;
    }
    if (!file.startsWith(root + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404, { ...headers, 'Content-Type': 'text/plain' }).end('not found\n');
      return;
    }
    const body = fs.readFileSync(file);
    res.writeHead(200, { ...headers, 'Content-Type': TYPES[path.extname(file)] || 'application/octet-stream', 'Content-Length': body.length });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
}

module.exports = { createDemoServer, CSP };

if (require.main === module) {
  const args = process.argv.slice(2);
  const port = args.includes('--port') ? Number(args[args.indexOf('--port') + 1]) : 8080;
  if (!fs.existsSync(path.join(DIST, 'index.html'))) {
    console.error('demo/dist/index.html is missing: run `npm run demo:build` first (or `npm run demo`).');
    process.exit(1);
  }
  const server = createDemoServer(DIST, {}, { isolated: !args.includes('--no-isolation') });
  server.listen(port, '127.0.0.1', () => {
    console.log(`ebp-bnn demo: http://127.0.0.1:${server.address().port}/  (Ctrl-C to stop)`);
  });
}
