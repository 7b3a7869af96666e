// The demo page in a real browser: Debian's Chromium driven by playwright-core, the page built into
// demo/dist/ and served on a localhost port with its strict Content-Security-Policy
// (script-src 'self' 'wasm-unsafe-eval', no 'unsafe-eval'). Checks the test contract (#predictions, then
// body[data-ready="true"]) against Node's predictions with the same model files, drawing with pointer
// events, training in the worker down to a downloaded .ebpb that decodeModel and the CLI read, Stop, the
// TypeScript kernels with WebAssembly disabled, and that the policy really refuses eval in page and worker.
// Skips with a message when Chromium is not installed (.ci/run installs it).
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { Browser, ConsoleMessage, Page } from 'playwright-core';

const ROOT = path.join(__dirname, '..', '..');
const DIST = path.join(ROOT, 'demo', 'dist');
const MODEL = path.join(ROOT, 'demo', 'model');
const CLI = path.join(ROOT, 'dist', 'cli', 'main.js');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { chromiumAvailable, launchChromium, serveDemo, CHROMIUM } = require('../../scripts/demo-browser.cjs');

const available: boolean = chromiumAvailable();
if (!available) console.warn(`tests/browser/demo.test.ts: skipped, no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM).`);
const describeBrowser = available ? describe : describe.skip;

// A script and a worker from the page's own origin that try to build code from a string: the policy must refuse.
const PROBES = {
  '/__probe.js': {
    type: 'text/javascript',
    body: `try { new Function('return 1')(); window.__evalInPage = 'allowed'; } catch (e) { window.__evalInPage = 'refused'; }
new Worker('/__probe-worker.js').onmessage = (e) => { window.__evalInWorker = e.data; };`,
  },
  '/__probe-worker.js': {
    type: 'text/javascript',
    body: `let r; try { new Function('return 1')(); r = 'allowed'; } catch (e) { r = 'refused'; } postMessage(r);`,
  },
};

interface Watch {
  errors: string[];
}

/** A new page that records console errors, page errors and CSP violations (from the first script on). */
async function openPage(browser: Browser, url: string, viewport = { width: 1000, height: 1400 }): Promise<{ page: Page; watch: Watch }> {
  const context = await browser.newContext({ viewport, acceptDownloads: true });
  const page = await context.newPage();
  const watch: Watch = { errors: [] };
  page.on('console', (m: ConsoleMessage) => {
    if (m.type() === 'error') watch.errors.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e: Error) => watch.errors.push(`page error: ${e.message}`));
  page.on('worker', (w) => w.on('console', (m: ConsoleMessage) => {
    if (m.type() === 'error') watch.errors.push(`worker console: ${m.text()}`);
  }));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`));
  });
  await page.goto(url);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 60000 });
  return { page, watch };
}

/** Node's classes for the ten shipped test images with the shipped deterministic network. */
function nodePredictions(): { labels: number[]; predicted: number[] } {
  const lib = require(path.join(ROOT, 'dist', 'index.js'));
  const t = JSON.parse(fs.readFileSync(path.join(MODEL, 'mnist-test10.json'), 'utf8')) as { labels: number[]; images: number[][] };
  const X = lib.matrix(Float64Array.from(t.images.flat(), (v: number) => v / 255), 10, 784);
  const det = lib.decodeModel(fs.readFileSync(path.join(MODEL, 'mnist-deterministic.ebpb'))).network;
  return { labels: t.labels, predicted: Array.from(det.predict(X) as Int32Array) };
}

/** A stroke on the drawing pad through `points` (fractions of its size), by mouse or by pen pointer events. */
async function stroke(page: Page, points: [number, number][], by: 'mouse' | 'pen'): Promise<void> {
  const box = (await page.locator('#pad').boundingBox())!;
  const at = ([fx, fy]: [number, number]) => ({ x: box.x + fx * box.width, y: box.y + fy * box.height });
  if (by === 'mouse') {
    await page.mouse.move(at(points[0]).x, at(points[0]).y);
    await page.mouse.down();
    for (const p of points.slice(1)) await page.mouse.move(at(p).x, at(p).y, { steps: 3 });
    await page.mouse.up();
    return;
  }
  const send = (type: string, p: [number, number]) =>
    page.locator('#pad').dispatchEvent(type, { pointerId: 7, pointerType: 'pen', isPrimary: true, pressure: 0.5, buttons: type === 'pointerup' ? 0 : 1, clientX: at(p).x, clientY: at(p).y });
  await send('pointerdown', points[0]);
  for (const p of points.slice(1)) await send('pointermove', p);
  await send('pointerup', points[points.length - 1]);
}

async function drawnClass(page: Page): Promise<{ det: string; ens: string; agree: string; entropy: string; timing: string }> {
  await page.waitForSelector('#pad[data-pending="false"]'); // the classification of the last stroke is done
  return page.evaluate(() => {
    const t = (id: string) => document.getElementById(id)!.textContent!;
    return { det: t('det-class'), ens: t('ens-class'), agree: t('agree'), entropy: t('entropy'), timing: t('timing') };
  });
}

describeBrowser('the demo page in Chromium', () => {
  let browser: Browser;
  let server: { url: string; close(): Promise<void> };
  const node = nodePredictions();

  beforeAll(async () => {
    execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'demo-build.mjs')], { stdio: 'pipe' });
    server = await serveDemo(DIST, PROBES);
    browser = await launchChromium();
  }, 180000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  test('loads under the strict CSP with no error and classifies the ten test digits as Node does', async () => {
    const { page, watch } = await openPage(browser, server.url);
    const predicted = (await page.textContent('#predictions'))!.trim().split(' ').map(Number);
    expect(predicted).toEqual(node.predicted);
    expect(predicted.filter((p, i) => p === node.labels[i]).length).toBeGreaterThanOrEqual(9);
    expect(await page.getAttribute('meta[http-equiv="Content-Security-Policy"]', 'content')).toMatch(/script-src 'self' 'wasm-unsafe-eval';/);
    expect(await page.textContent('#model-facts')).toContain('WebAssembly SIMD');
    expect(watch.errors).toEqual([]);
    await page.context().close();
  });

  test('the policy refuses code built from strings, in the page and in a worker', async () => {
    const { page } = await openPage(browser, server.url);
    await page.evaluate(() => {
      const s = document.createElement('script');
      s.src = '/__probe.js';
      document.head.append(s);
    });
    await page.waitForFunction(() => (window as unknown as { __evalInWorker?: string }).__evalInWorker !== undefined);
    expect(await page.evaluate(() => [(window as unknown as { __evalInPage: string }).__evalInPage, (window as unknown as { __evalInWorker: string }).__evalInWorker])).toEqual(['refused', 'refused']);
    await page.context().close();
  });

  test('a drawn 1 (mouse) and a drawn 0 (pen) get the right class, with uncertainty and timing shown', async () => {
    const { page, watch } = await openPage(browser, server.url);
    await stroke(page, [[0.52, 0.15], [0.5, 0.5], [0.48, 0.85]], 'mouse');
    const one = await drawnClass(page);
    expect(one.det).toBe('1');
    expect(one.ens).toBe('1');
    expect(one.agree).toMatch(/^\d+ of 16 members agree$/);
    expect(one.entropy).toMatch(/^\d\.\d\d bits/);
    expect(one.timing).toMatch(/deterministic network, .* ensemble of 16/);
    await page.click('#clear');
    await page.waitForSelector('#pad[data-pending="false"]');
    expect(await page.textContent('#det-class')).toBe('–');
    const ring: [number, number][] = Array.from({ length: 25 }, (_, i) => {
      const a = (2 * Math.PI * i) / 24;
      return [0.5 + 0.22 * Math.sin(a), 0.5 - 0.32 * Math.cos(a)];
    });
    await stroke(page, ring, 'pen');
    const zero = await drawnClass(page);
    expect(zero.det).toBe('0');
    expect(zero.ens).toBe('0');
    expect(watch.errors).toEqual([]);
    await page.context().close();
  });

  test('trains the digits sample for one epoch in the worker; the download is a model decodeModel and the CLI read', async () => {
    const { page, watch } = await openPage(browser, server.url);
    await page.fill('#epochs', '1');
    await page.click('#train');
    await page.waitForSelector('#download:not([hidden])', { timeout: 120000 });
    expect(await page.textContent('#train-status')).toMatch(/^Done after 1 full epoch in/);
    expect(await page.evaluate(() => (document.getElementById('progress') as HTMLProgressElement).value)).toBe(1);
    // The live curve: the error before training, a few points in the epoch, and the end of the epoch.
    const points = await page.evaluate(() => document.querySelector('#curve .d')!.getAttribute('points')!.split(' ').length);
    expect(points).toBeGreaterThanOrEqual(3);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
    expect(download.suggestedFilename()).toBe('digits_train-ebp.ebpb');
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ebp-demo-')), download.suggestedFilename());
    await download.saveAs(file);
    const lib = require(path.join(ROOT, 'dist', 'index.js'));
    const decoded = lib.decodeModel(fs.readFileSync(file));
    expect(decoded.network.sizes).toEqual([64, 64, 10]);
    expect(decoded.meta.classNames).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    expect(decoded.meta.training).toMatchObject({ trainer: 'ebp', epochs: 1, seed: 1 });
    expect(decoded.posterior?.sizes).toEqual([64, 64, 10]);
    // The CLI reads it: inspect, and eval on the sample's test file (one epoch already learns the digits).
    expect(execFileSync(process.execPath, [CLI, 'inspect', file], { encoding: 'utf8' })).toMatch(/64/);
    const evalOut = JSON.parse(execFileSync(process.execPath, [CLI, 'eval', file, path.join(ROOT, 'tests', 'fixtures', 'digits', 'digits_test.csv'), '--json'], { encoding: 'utf8' }));
    expect(evalOut.error).toBeLessThan(0.25);
    expect(watch.errors).toEqual([]);
    await page.context().close();
  });

  /** Train the digits sample (hidden 200: a step large enough to split) on `threads`; the status and the model's bytes. */
  async function trainBytes(url: string, threads: string): Promise<{ status: string; bytes: Buffer; note: string; errors: string[] }> {
    const { page, watch } = await openPage(browser, url);
    await page.fill('#hidden', '200');
    await page.fill('#epochs', '1');
    await page.fill('#threads', threads);
    await page.click('#train');
    await page.waitForSelector('#download:not([hidden])', { timeout: 180000 });
    const status = (await page.textContent('#train-status'))!;
    const note = (await page.textContent('#threads-note'))!;
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
    const bytes = fs.readFileSync((await download.path())!);
    await page.context().close();
    return { status, bytes, note, errors: watch.errors };
  }

  test('trains on 2 threads in a cross-origin isolated page, with the bytes of 1 thread and of a page without isolation', async () => {
    const two = await trainBytes(server.url, '2');
    expect(two.status).toMatch(/^Done after 1 full epoch in [\d.]+ s on 2 threads:/);
    const one = await trainBytes(server.url, '1');
    expect(one.status).toMatch(/ on 1 thread:/);
    expect(two.bytes.equals(one.bytes)).toBe(true);
    // A host without COOP/COEP: no SharedArrayBuffer, so one thread whatever is asked, and the same model.
    const plain = await serveDemo(undefined, undefined, { isolated: false });
    try {
      const unisolated = await trainBytes(plain.url, '1');
      expect(unisolated.note).toMatch(/not cross-origin isolated/);
      expect(unisolated.status).toMatch(/ on 1 thread:/);
      expect(unisolated.bytes.equals(two.bytes)).toBe(true);
      expect(unisolated.errors).toEqual([]);
    } finally {
      await plain.close();
    }
    expect(two.errors).toEqual([]);
    expect(require(path.join(ROOT, "dist", "index.js")).decodeModel(two.bytes).posterior?.sizes).toEqual([64, 200, 10]);
  });

  test('trains on a picked CSV file (semicolons, quotes, text labels, a text column) that `ebp eval` then reads', async () => {
    const { page, watch } = await openPage(browser, server.url);
    await page.setInputFiles('#csv-file', path.join(ROOT, 'tests', 'fixtures', 'csv', 'wdbc_semicolon.csv'));
    expect(await page.isChecked('input[name=source][value=file]')).toBe(true);
    await page.fill('#label-col', 'diagnosis');
    await page.fill('#hidden', '16');
    await page.fill('#epochs', '3');
    await page.click('#train');
    await page.waitForSelector('#download:not([hidden])', { timeout: 120000 });
    expect(await page.textContent('#train-status')).toMatch(/^Done after 3 full epochs in/);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
    expect(download.suggestedFilename()).toBe('wdbc_semicolon-ebp.ebpb');
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ebp-demo-')), download.suggestedFilename());
    await download.saveAs(file);
    const decoded = require(path.join(ROOT, 'dist', 'index.js')).decodeModel(fs.readFileSync(file));
    expect(decoded.meta.classNames).toEqual(['benign', 'malignant']);
    // The text column `size class` is one-hot encoded: 6 numeric inputs + 3 categories.
    expect(decoded.network.sizes).toEqual([9, 16, 2]);
    // wdbc_test.csv has the same columns in another order, comma-separated.
    const evalOut = JSON.parse(execFileSync(process.execPath, [CLI, 'eval', file, path.join(ROOT, 'tests', 'fixtures', 'csv', 'wdbc_test.csv'), '--json'], { encoding: 'utf8' }));
    expect(evalOut.error).toBeLessThan(0.25);
    expect(watch.errors).toEqual([]);
    await page.context().close();
  });

  test('a CSV the library rejects is reported on the page, and the page stays usable', async () => {
    const { page, watch } = await openPage(browser, server.url);
    await page.setInputFiles('#csv-file', { name: 'bad.csv', mimeType: 'text/csv', buffer: Buffer.from('a,b,label\n1,2,x\n3,"4,y\n') });
    await page.click('#train');
    await page.waitForFunction(() => /^Training failed: /.test(document.getElementById('train-status')!.textContent ?? ''));
    expect(await page.textContent('#train-status')).toContain('bad.csv');
    expect(await page.isEnabled('#train')).toBe(true);
    expect(watch.errors).toEqual([]);
    await page.context().close();
  });

  test('keyboard: a test digit copied to the pad with Enter is classified', async () => {
    const { page, watch } = await openPage(browser, server.url);
    await page.focus('#test-digits li:first-child button');
    await page.keyboard.press('Enter');
    const drawn = await drawnClass(page);
    expect(drawn.det).toBe(String(node.predicted[0]));
    await page.keyboard.press('Tab'); // focus moves on through the digits
    expect(await page.evaluate(() => document.activeElement?.closest('#test-digits li')?.previousElementSibling !== null)).toBe(true);
    expect(watch.errors).toEqual([]);
    await page.context().close();
  });

  test('Stop ends a long run early and still offers the model', async () => {
    const { page, watch } = await openPage(browser, server.url);
    await page.fill('#epochs', '100');
    await page.click('#train');
    await page.waitForFunction(() => (document.getElementById('progress') as HTMLProgressElement).value > 0);
    await page.click('#stop');
    await page.waitForSelector('#download:not([hidden])', { timeout: 60000 });
    expect(await page.textContent('#train-status')).toMatch(/^Stopped after \d+ full epochs? in/);
    expect(await page.isDisabled('#stop')).toBe(true);
    expect(await page.isEnabled('#train')).toBe(true);
    expect(watch.errors).toEqual([]);
    await page.context().close();
  });

  test('fits a phone-width screen, and every control has a label', async () => {
    const { page, watch } = await openPage(browser, server.url, { width: 360, height: 740 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    const unlabelled = await page.evaluate(() =>
      Array.from(document.querySelectorAll('input, button, canvas#pad'))
        .filter((el) => {
          const labels = (el as HTMLInputElement).labels;
          return !(labels && labels.length) && !el.getAttribute('aria-label') && !(el.textContent ?? '').trim();
        })
        .map((el) => el.outerHTML.slice(0, 80)),
    );
    expect(unlabelled).toEqual([]);
    expect(watch.errors).toEqual([]);
    await page.context().close();
  });

  test('with WebAssembly disabled the TypeScript kernels give the same predictions', async () => {
    const noWasm: Browser = await launchChromium({ wasm: false });
    try {
      const { page, watch } = await openPage(noWasm, server.url);
      expect(await page.evaluate(() => typeof WebAssembly)).toBe('undefined');
      expect(await page.textContent('#model-facts')).toContain('TypeScript (WebAssembly unavailable)');
      expect((await page.textContent('#predictions'))!.trim().split(' ').map(Number)).toEqual(node.predicted);
      await stroke(page, [[0.52, 0.15], [0.5, 0.5], [0.48, 0.85]], 'mouse');
      expect((await drawnClass(page)).det).toBe('1');
      expect(watch.errors).toEqual([]);
    } finally {
      await noWasm.close();
    }
  });
});
