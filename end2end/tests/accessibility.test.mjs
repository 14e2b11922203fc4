// axe-core on every visitor page (in English and Arabic) and on the members' pages: no serious
// or critical violation of WCAG 2.2 A/AA. Also: lang and dir follow the negotiated language.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { startFarewell, launchBrowser, signIn, usable } from './support.mjs';

const axeSource = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

let app;
let browser;
let member;
let links;

before(async () => {
  app = await startFarewell({ responses: 40 });
  browser = await launchBrowser();
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, app);
  // A share link and an invitation, made by the signed-in owner through their server functions.
  const call = (path, fields) => page.evaluate(async ([path, fields]) => {
    const r = await fetch(path, { method: 'POST', headers: { Accept: 'application/json' }, body: new URLSearchParams(fields) });
    return r.json();
  }, [path, fields]);
  links = {
    share: await call('/fn/create_share_link', { org: app.demo.organisation_id, site: app.demo.site_id, days: '84' }),
    invite: await call('/fn/invite_member', { org: app.demo.organisation_id, role: 'viewer' }),
  };
  member = await context.storageState();
  await context.close();
});

after(async () => {
  await browser?.close();
  await app?.stop();
});

/// Serious and critical violations on the page, as readable lines.
async function violations(page) {
  await page.addScriptTag({ path: axeSource });
  const result = await page.evaluate(() => window.axe.run(document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] },
  }));
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
}

const rid = '3f0c1b2a-4d5e-4f60-8a7b-9c0d1e2f3a4b';

for (const lang of ['en', 'ar']) {
  test(`visitor pages in ${lang} have no serious accessibility violations, and say their language`, async () => {
    // axe is injected as a script, which the pages' CSP would refuse.
    const context = await browser.newContext({ bypassCSP: true, locale: lang, extraHTTPHeaders: { 'Accept-Language': lang } });
    const page = await context.newPage();
    const noticeId = app.rows('SELECT id FROM privacy_notices')[0].id;
    const pages = [
      `/s/${app.demo.site_key}`,
      `/s/${app.demo.site_key}/thanks`,
      `/notice/${noticeId}?site=${app.demo.site_key}&rid=${rid}`,
      `/preferences?site=${app.demo.site_key}&rid=${rid}`,
      links.share,
      links.invite,
      `/w/exit?site=${app.demo.site_key}&lang=${lang}`,
    ];
    const found = [];
    for (const path of pages) {
      const response = await page.goto(app.base + path);
      assert.equal(response.status(), 200, path);
      await page.waitForLoadState('networkidle');
      assert.equal(await page.getAttribute('html', 'lang'), lang, `${path}: html lang`);
      assert.equal(await page.getAttribute('html', 'dir'), lang === 'ar' ? 'rtl' : 'ltr', `${path}: html dir`);
      found.push(...(await violations(page)).map((v) => `${path}: ${v}`));
    }
    assert.deepEqual(found, []);
    await context.close();
  });
}

test('members pages have no serious accessibility violations', async () => {
  const context = await browser.newContext({ bypassCSP: true, storageState: member });
  const page = await context.newPage();
  const found = [];
  // Every member's page: a consent record is opened from a comment on the dashboard.
  const answer = app.rows('SELECT id FROM responses ORDER BY received_at DESC LIMIT 1')[0].id;
  const consent = `/consent/${answer}?site=${app.demo.site_key}`;
  // A saved theme, so that its list, its edit and delete controls and its segment are seen too.
  const saved = await page.request.post(`${app.base}/fn/save_theme`, {
    form: { site_key: app.demo.site_key, name: 'checkout', terms: 'checkout, payment' },
    headers: { Origin: app.base },
  });
  assert.equal(saved.status(), 200);
  const themed = `/dashboard/${app.demo.site_key}?segment=theme%3Acheckout&by=theme`;
  // A webhook (to an address never reached here), for its rules page.
  const org = app.rows('SELECT id FROM organisations')[0].id;
  const made = await page.request.post(`${app.base}/fn/create_webhook`, {
    form: { org, url: 'https://93.184.215.14/hook', response_created: 'on' },
    headers: { Origin: app.base },
  });
  assert.equal(made.status(), 200);
  const rules = `/admin/${org}/webhooks/${app.rows('SELECT id FROM webhooks')[0].id}`;
  const survey = app.rows('SELECT id FROM surveys ORDER BY created_at LIMIT 1')[0].id;
  const surveyPages = `/admin/${org}/surveys/${survey}/pages?try=%2Fpricing%2F**`;
  const asked = app.rows('SELECT id FROM responses WHERE contact_email IS NOT NULL LIMIT 1')[0].id;
  const inbox = [`/admin/${org}/inbox`, `/admin/${org}/inbox/${asked}`, `/admin/${org}/digest`,
    `/admin/${org}/sites/${app.rows('SELECT id FROM sites')[0].id}/attributes`];
  for (const path of ['/login', '/dashboard', `/dashboard/${app.demo.site_key}`, `/dashboard/${app.demo.site_key}?from=2020-01-01&to=2020-01-31`, themed, '/admin', '/admin/setup', '/account', consent, rules, surveyPages, ...inbox]) {
    await page.goto(app.base + path);
    await usable(page);
    await page.waitForLoadState('networkidle');
    found.push(...(await violations(page)).map((v) => `${path}: ${v}`));
  }
  assert.deepEqual(found, []);
  await context.close();
});

/// WCAG relative luminance contrast of two `rgb(…)` colours.
function contrast(a, b) {
  const lum = (rgb) => {
    const [r, g, bl] = rgb.match(/\d+(\.\d+)?/g).slice(0, 3).map(Number).map((c) => {
      const s = c / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

test('the focus ring has at least 3:1 contrast against the page', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${app.base}/s/${app.demo.site_key}`);
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  const { ring, background, focused } = await page.evaluate(() => {
    const el = document.activeElement;
    const shown = el.matches('.scale-option input') ? el.nextElementSibling : el;
    return {
      focused: el.outerHTML.slice(0, 80),
      ring: getComputedStyle(shown).outlineColor,
      background: getComputedStyle(document.documentElement).backgroundColor,
    };
  });
  const ratio = contrast(ring, background);
  assert.ok(ratio >= 3, `focus ring ${ring} on ${background} is ${ratio.toFixed(2)}:1 (${focused})`);
  await context.close();
});
