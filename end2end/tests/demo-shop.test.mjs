// The demo shop scripts/serve.sh starts beside Farewell: its two pages embed the widget with the
// one line, from the origin the demo site allows, so a newcomer can arm the survey there.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startFarewell, launchBrowser, watchErrors, screenshots } from './support.mjs';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
let app;
let browser;
let shop;
let port;

const freePort = () => new Promise((ok) => {
  const s = createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => ok(p)); });
});

before(async () => {
  port = await freePort();
  app = await startFarewell({ origins: [`http://localhost:${port}`] });
  shop = spawn('node', [join(repo, 'scripts', 'demo-shop', 'serve.mjs'), String(port)], {
    env: { ...process.env, FAREWELL_URL: app.base, FAREWELL_SITE_KEY: app.demo.site_key },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  await new Promise((ok, fail) => {
    shop.stderr.on('data', (d) => { if (String(d).includes('demo shop on')) ok(); });
    shop.on('exit', (code) => fail(new Error(`the demo shop exited with ${code}`)));
  });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  shop?.kill();
  await app?.stop();
});

test('the demo shop embeds the survey on both its pages, and arming it promises the exit survey', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const errors = watchErrors(page);
  await page.goto(`http://localhost:${port}/`);
  const arm = page.getByRole('button', { name: "Give feedback when you're done" });
  await arm.waitFor();
  await arm.click();
  await page.getByText('A survey will open when you exit the site').first().waitFor();
  await page.screenshot({ path: join(screenshots, 'demo-shop-armed.png') });
  await page.getByRole('link', { name: 'Add to cart' }).click();
  await page.waitForURL(/\/cart$/);
  await page.getByText('A survey will open when you exit the site').first().waitFor();
  assert.equal((await fetch(`http://localhost:${port}/nothing`)).status, 404);
  assert.deepEqual(errors, []);
  await context.close();
});
