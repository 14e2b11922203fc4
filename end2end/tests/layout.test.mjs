// Every page a member (or a respondent following a link) reads fits a phone: nothing scrolls
// sideways at 390 px, wide tables scroll inside their own box. Screenshots in end2end/screenshots.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startFarewell, launchBrowser, signIn, watchErrors, screenshots, sideways } from './support.mjs';

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

test('no member page scrolls sideways at 390 px, nor at 1440 px', async () => {
  const notice = app.rows('SELECT id FROM privacy_notices')[0].id;
  const answer = app.rows('SELECT id FROM responses ORDER BY received_at DESC LIMIT 1')[0].id;
  const pages = {
    overview: '/dashboard',
    site: `/dashboard/${app.demo.site_key}`,
    'site-by-page': `/dashboard/${app.demo.site_key}?by=page`,
    admin: '/admin',
    account: '/account',
    consent: `/consent/${answer}?site=${app.demo.site_key}`,
    setup: '/admin/setup',
    notice: `/notice/${notice}`,
    survey: `/s/${app.demo.site_key}`,
  };
  for (const [width, height, phone] of [[390, 844, true], [1440, 900, false]]) {
    const context = await browser.newContext({ viewport: { width, height }, isMobile: phone, hasTouch: phone });
    const page = await context.newPage();
    const errors = watchErrors(page);
    await signIn(page, app);
    if (!pages.rules) {
      // A webhook (to an address never reached here), so that its rules page is seen too.
      const org = app.rows('SELECT id FROM organisations')[0].id;
      const made = await page.request.post(`${app.base}/fn/create_webhook`, {
        form: { org, url: 'https://93.184.215.14/hook', response_created: 'on' },
        headers: { Origin: app.base },
      });
      assert.equal(made.status(), 200);
      pages.rules = `/admin/${org}/webhooks/${app.rows('SELECT id FROM webhooks')[0].id}`;
      // A survey's pages, with the demo's answered pages listed and patterns being tried.
      const survey = app.rows('SELECT id FROM surveys ORDER BY created_at LIMIT 1')[0].id;
      pages['survey-pages'] = `/admin/${org}/surveys/${survey}/pages?try=%2Fpricing%2F**%0A!%2Faccount%2F**`;
      // The follow-up inbox, one answer of it, and the member's digest.
      pages.inbox = `/admin/${org}/inbox`;
      const asked = app.rows('SELECT id FROM responses WHERE contact_email IS NOT NULL LIMIT 1')[0].id;
      pages['follow-up'] = `/admin/${org}/inbox/${asked}`;
      pages.digest = `/admin/${org}/digest`;
      // The site's attributes, with the demo's plans listed.
      pages.attributes = `/admin/${org}/sites/${app.rows('SELECT id FROM sites')[0].id}/attributes`;
    }
    const wider = [];
    for (const [name, path] of Object.entries(pages)) {
      const response = await page.goto(`${app.base}${path}`);
      assert.equal(response.status(), 200, path);
      await page.waitForLoadState('networkidle');
      // What a click opens counts too (the trend's figures table, questions before deleting).
      await page.$$eval('details', (all) => all.forEach((d) => { d.open = true; }));
      const overflow = await sideways(page);
      await page.screenshot({ path: join(screenshots, `layout-${name}-${width}.png`), fullPage: true });
      if (overflow > 0) wider.push(`${path} by ${overflow} px`);
    }
    assert.deepEqual(wider, [], `wider than ${width} px: ${wider.join(', ')}`);
    assert.deepEqual(errors, []);
    await context.close();
  }
});
