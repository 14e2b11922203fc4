// Administration: each section loads its own data, and an action reloads only the section it
// belongs to. Screenshots at 390 and 1440 px land in end2end/screenshots.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startFarewell, launchBrowser, signIn, watchErrors, screenshots } from './support.mjs';

let app;
let browser;

before(async () => {
  app = await startFarewell();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await app?.stop();
});

test('a new API token shows once and joins the list, and only the tokens section is read again', async () => {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  const errors = watchErrors(page);
  await signIn(page, app);
  await page.goto(`${app.base}/admin`);
  await page.waitForSelector('body[data-hydrated="true"]');
  await page.waitForSelector('table.members tr[data-member]');
  for (const heading of ['Members', 'API tokens', 'Sites', 'Privacy notice', 'Retention', 'Share links', 'Webhooks', 'Data-subject requests', 'Audit log']) {
    assert.ok(await page.getByRole('heading', { name: heading, exact: true }).count(), `${heading} is shown`);
  }
  await page.screenshot({ path: join(screenshots, 'admin-1440.png'), fullPage: true });

  const loaders = [];
  page.on('request', (r) => { const p = new URL(r.url()).pathname; if (p.startsWith('/fn/')) loaders.push(p); });
  const tokens = page.locator('section.panel', { has: page.getByRole('heading', { name: 'API tokens' }) });
  await tokens.getByLabel('Name').fill('ci-deploy');
  await tokens.getByRole('button', { name: 'Create token' }).click();
  const shown = await page.locator('input.new-token').inputValue();
  assert.match(shown, /^fw_/, 'the token is shown once');
  await page.waitForSelector('li[data-token="ci-deploy"]');
  assert.deepEqual(
    loaders.filter((p) => p.endsWith('_section')),
    ['/fn/tokens_section'],
    `only the tokens section reloads: ${loaders.join(', ')}`,
  );
  assert.deepEqual(errors, []);
  await context.close();
});

test('the administration reads on a phone', async () => {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const page = await context.newPage();
  await signIn(page, app);
  await page.goto(`${app.base}/admin`);
  await page.waitForSelector('body[data-hydrated="true"]');
  await page.waitForSelector('table.members tr[data-member]');
  await page.waitForSelector('pre.snippet');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - innerWidth);
  await page.screenshot({ path: join(screenshots, 'admin-390.png'), fullPage: true });
  assert.ok(overflow <= 0, `the page is ${overflow} px wider than the phone`);
  await context.close();
});
