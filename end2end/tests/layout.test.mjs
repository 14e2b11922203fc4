// Every page a member (or a respondent following a link) reads fits a phone: nothing scrolls
// sideways at 390 px, wide tables scroll inside their own box. Screenshots in end2end/screenshots.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startFarewell, launchBrowser, signIn, watchErrors, screenshots } from './support.mjs';

let app;
let browser;

before(async () => {
  app = await startFarewell({ responses: 3000 });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await app?.stop();
});

test('no member page scrolls sideways at 390 px', async () => {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const page = await context.newPage();
  const errors = watchErrors(page);
  await signIn(page, app);
  const notice = app.rows('SELECT id FROM privacy_notices')[0].id;
  const pages = {
    overview: '/dashboard',
    site: `/dashboard/${app.demo.site_key}`,
    'site-by-page': `/dashboard/${app.demo.site_key}?by=page`,
    admin: '/admin',
    account: '/account',
    notice: `/notice/${notice}`,
    survey: `/s/${app.demo.site_key}`,
  };
  const wider = [];
  for (const [name, path] of Object.entries(pages)) {
    await page.goto(`${app.base}${path}`);
    await page.waitForLoadState('networkidle');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - innerWidth);
    await page.screenshot({ path: join(screenshots, `layout-${name}-390.png`), fullPage: true });
    if (overflow > 0) wider.push(`${path} by ${overflow} px`);
  }
  assert.deepEqual(wider, [], `wider than the phone: ${wider.join(', ')}`);
  assert.deepEqual(errors, []);
  await context.close();
});
