#!/usr/bin/env node
// `npm run demo:screenshot`: docs/images/demo.png, the demo page in Debian's Chromium after drawing a digit
// and training the digits sample for a few epochs (run `npm run demo:build` first; the npm script does).
const fs = require('fs');
const path = require('path');
const { launchChromium, serveDemo } = require('./demo-browser.cjs');

const ROOT = path.join(__dirname, '..');
const OUT = path.join(ROOT, 'docs', 'images', 'demo.png');

(async () => {
  const server = await serveDemo(path.join(ROOT, 'demo', 'dist'));
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 960, height: 1200 }, deviceScaleFactor: 1 });
    await page.goto(server.url);
    await page.waitForSelector('body[data-ready="true"]');
    const box = await page.locator('#pad').boundingBox();
    const at = (fx, fy) => [box.x + fx * box.width, box.y + fy * box.height];
    // A seven: the bar, then the stem.
    await page.mouse.move(...at(0.28, 0.22));
    await page.mouse.down();
    await page.mouse.move(...at(0.72, 0.2), { steps: 8 });
    await page.mouse.move(...at(0.45, 0.85), { steps: 12 });
    await page.mouse.up();
    await page.fill('#epochs', '4');
    await page.click('#train');
    await page.waitForSelector('#download:not([hidden])', { timeout: 120000 });
    await page.waitForTimeout(200);
    fs.mkdirSync(path.dirname(OUT), { recursive: true });
    await page.screenshot({ path: OUT, fullPage: true });
    console.log(`wrote ${path.relative(ROOT, OUT)}`);
  } finally {
    await browser.close();
    await server.close();
  }
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
