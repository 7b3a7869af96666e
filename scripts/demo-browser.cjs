// Helpers shared by the demo's browser tests and `npm run demo:screenshot`: Debian's Chromium driven by
// playwright-core (no browser download), and the demo served on a free localhost port.
const fs = require('fs');

/** The system browser; CHROMIUM overrides the path. */
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

/**
 * Launch headless Chromium. Background networking, component updates and sync are off: the machine has no
 * network beyond the package registries and they would only fail. `wasm: false` removes the WebAssembly
 * global (V8 without its JIT, --jitless, has none), so the library falls back to its TypeScript kernels.
 */
async function launchChromium({ wasm = true } = {}) {
  const { chromium } = require('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage',
      ...(wasm ? [] : ['--js-flags=--jitless']),
    ],
  });
}

/** Serve `dir` (default demo/dist) on 127.0.0.1 at a free port: { url, close }. `opts` as createDemoServer's. */
async function serveDemo(dir, extra, opts) {
  const { createDemoServer } = require('./demo-serve.cjs');
  const server = createDemoServer(dir, extra, opts);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${server.address().port}/`, close: () => new Promise((resolve) => server.close(resolve)) };
}

module.exports = { CHROMIUM, chromiumAvailable: () => fs.existsSync(CHROMIUM), launchChromium, serveDemo };
