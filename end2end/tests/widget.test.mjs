// The widget on a real site of another origin: the armed exit flow, exit intent, mobile, opt-out
// (button and GPC) with a queued answer flushed, offline delivery, duplicates, a blocked popup,
// keyboard-only answering and right-to-left rendering.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { createHmac } from 'node:crypto';
import { join } from 'node:path';
import { devices } from 'playwright-core';
import { startFarewell, startSite, launchBrowser, watchErrors, eventually, assertScaleOnOneRow, screenshots, signIn } from './support.mjs';

let farewell;
let shop;
let elsewhere;
let browser;

const ARM = "Give feedback when you're done";
const ARMED = 'Thank you! A survey will open when you exit the site.';
const ARMED_TOUCH = 'Thank you! A short survey will open when you come back to this site.';

function shopPage(lang, title, link, { attributes = '', script = '' } = {}) {
  return () => `<!DOCTYPE html><html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${title}</title></head>
<body><h1>${title}</h1><p><a id="next" href="${link}">Next page</a></p>
<script src="${farewell.base}/w.js" data-site="${farewell.demo.site_key}" ${attributes} async></script>${script}</body></html>`;
}

before(async () => {
  shop = await startSite('localhost', {
    // The shop says which plan its visitor is on (an attribute the demo site declares).
    '/': shopPage('en', 'Demo shop', '/page2', { attributes: `data-attributes='{"plan":"free"}'` }),
    '/page2': shopPage('en', 'Page two', '/', { attributes: `data-attributes='{"plan":"free"}'` }),
    // A signed-in page of the shop: it names its user and account (sent only with consent).
    '/me': shopPage('en', 'My account', '/', {
      script: '<script>addEventListener("load", () => { farewell.identify("u-77"); farewell.set({ account: "acme", plan: "pro" }); });</script>',
    }),
    // A page that sets attributes from the tag and from its own script, one of them undeclared.
    '/account': shopPage('en', 'Account', '/', {
      attributes: `data-attributes='{"plan":"team","colour":"red"}'`,
      script: '<script>addEventListener("load", () => { window.farewell && farewell.set({ plan: "pro", tier: "gold", seats: 5 }); });</script>',
    }),
    '/ar': shopPage('ar', 'متجر', '/'),
    // A page whose own scripts fail twice, after the loader has started.
    '/broken': shopPage('en', 'Broken page', '/page2', {
      script: '<script>setTimeout(() => { Promise.reject(new Error("secret order 42")); null.boom; }, 300);</script>',
    }),
    '/layer': shopPage('en', 'Tag manager page', '/', { attributes: 'data-datalayer' }),
    // Pages for URL targeting.
    '/checkout': shopPage('en', 'Checkout', '/'),
    '/checkout/pay/card': shopPage('en', 'Card', '/'),
    '/checkout/legal/terms': shopPage('en', 'Terms', '/'),
  });
  elsewhere = await startSite('127.0.0.1', { '/': '<!DOCTYPE html><title>Elsewhere</title><h1>Another site</h1>' });
  farewell = await startFarewell({ origins: [shop.origin] });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await farewell?.stop();
  await shop?.stop();
  await elsewhere?.stop();
});

const DEFAULTS = { triggers: { armed_exit: true } };

/// A person reads the question before answering; the server ignores answers given faster than
/// 800 ms after the survey appeared (a bot check), so the tests read too.
const READ = 1_000;

async function queueOf(page) {
  return page.evaluate((key) => JSON.parse(localStorage.getItem(`farewell:${key}:q`) || '[]'), farewell.demo.site_key);
}

function stored(where) {
  return farewell.rows(`SELECT r.score, r.comment, r.trigger, r.page_path, r.device_class, r.browser_family,
      r.consent_choices, r.contact_email, r.respondent_id, r.pages_viewed, r.errors_seen, r.attributes, n.version AS notice_version
    FROM responses r JOIN privacy_notices n ON n.id = r.notice_id WHERE ${where}`);
}

/// Rows stored under one answer id (ids are 16-byte blobs in SQLite).
function storedWithId(id) {
  return stored(`r.id = X'${id.replaceAll('-', '')}'`);
}

/// Whether the respondent's opt-out is recorded on the server.
function optedOut(rid) {
  return farewell.rows(`SELECT opted_out FROM opt_outs WHERE respondent_id = X'${rid.replaceAll('-', '')}'`)[0]?.opted_out === 1;
}

async function openShop(options = {}, path = '/') {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  const errors = watchErrors(page);
  const config = page.waitForResponse((r) => r.url().includes('/config'));
  await page.goto(shop.origin + path);
  await config;
  await page.waitForFunction(() => window.farewell);
  return { context, page, errors };
}

/// The bytes a response body takes on the wire for this Accept-Encoding (no decoding).
function wireBytes(url, acceptEncoding) {
  return new Promise((ok, fail) => {
    request(url, { headers: { 'Accept-Encoding': acceptEncoding } }, (res) => {
      let n = 0;
      res.on('data', (chunk) => { n += chunk.length; });
      res.on('end', () => ok({ bytes: n, encoding: res.headers['content-encoding'] }));
    }).on('error', fail).end();
  });
}

test('the loader is at most 3 KB on the wire, in brotli and in gzip', async (t) => {
  for (const accept of ['gzip, deflate, br, zstd', 'gzip, deflate']) {
    const { bytes, encoding } = await wireBytes(`${farewell.base}/w.js`, accept);
    t.diagnostic(`loader: ${bytes} bytes as ${encoding} (budget 3072)`);
    assert.ok(encoding === 'br' || encoding === 'gzip', `sent as ${encoding}`);
    assert.ok(bytes <= 3072, `the loader is ${bytes} bytes as ${encoding}`);
  }
});

test('on a phone the armed survey opens no tab and shows in the page when the visitor comes back', async () => {
  farewell.configure(DEFAULTS);
  const { context, page, errors } = await openShop({ ...devices['iPhone 13'] });
  let tabs = 0;
  context.on('page', () => { tabs += 1; });
  await page.getByRole('button', { name: ARM }).tap();
  await page.getByText(ARMED_TOUCH).waitFor();
  await page.screenshot({ path: join(screenshots, 'widget-armed-phone.png') });
  // Browsing on: nothing opens.
  await page.click('#next');
  await page.waitForURL(/page2/);
  await page.getByText(ARMED_TOUCH).waitFor();
  await page.waitForTimeout(1_500);
  assert.equal(await page.getByRole('dialog').count(), 0, 'opened while the visitor was still browsing');
  // Away to another app and back: the promised survey, in the page.
  await page.evaluate(() => {
    const hide = (h) => { Object.defineProperty(document, 'hidden', { configurable: true, get: () => h }); document.dispatchEvent(new Event('visibilitychange')); };
    hide(true);
    setTimeout(() => hide(false), 1_700);
  });
  const dialog = page.getByRole('dialog');
  await dialog.waitFor();
  await assertScaleOnOneRow(page, dialog.getByRole('radio'), 'widget on a phone');
  await page.screenshot({ path: join(screenshots, 'widget-armed-phone-survey.png') });
  await page.waitForTimeout(READ);
  await dialog.getByRole('radio', { name: '7', exact: true }).tap();
  await eventually(() => stored("r.trigger = 'armed_exit' AND r.score = 7 AND r.device_class = 'mobile'").length === 1, 15_000, 'the phone answer');
  assert.equal(tabs, 0, 'no window or tab was opened');
  assert.deepEqual(errors, []);
  await context.close();
});

test('on a phone the armed survey also waits for the next visit to the site', async () => {
  farewell.configure(DEFAULTS);
  const { context, page } = await openShop({ ...devices['iPhone 13'] });
  await page.getByRole('button', { name: ARM }).tap();
  await page.getByText(ARMED_TOUCH).waitFor();
  await page.goto(elsewhere.origin + '/');
  await page.waitForTimeout(3_100);
  await page.goto(shop.origin + '/page2');
  await page.getByRole('dialog').waitFor();
  await context.close();
});

test('the armed pill can be dismissed, which un-arms the survey and closes the waiting window', async () => {
  farewell.configure(DEFAULTS);
  const { context, page, errors } = await openShop({ viewport: { width: 1100, height: 800 } });
  const [exitWindow] = await Promise.all([context.waitForEvent('page'), page.getByRole('button', { name: ARM }).click()]);
  await exitWindow.waitForLoadState();
  const pill = page.getByRole('status').filter({ hasText: ARMED });
  await pill.waitFor();
  const closed = exitWindow.waitForEvent('close', { timeout: 10_000 });
  await pill.getByRole('button', { name: 'Cancel' }).click();
  await closed;
  assert.equal(await page.getByText(ARMED).count(), 0);
  // Leaving now asks nothing.
  assert.equal(await page.evaluate((k) => localStorage.getItem(`farewell:${k}:armed`), farewell.demo.site_key), null);
  assert.deepEqual(errors, []);
  await context.close();
});

test('the waiting window is small, names the site, and Cancel un-arms and closes it', async () => {
  farewell.configure(DEFAULTS);
  const { context, page } = await openShop({ viewport: { width: 1100, height: 800 } });
  const [exitWindow] = await Promise.all([context.waitForEvent('page'), page.getByRole('button', { name: ARM }).click()]);
  await exitWindow.waitForLoadState();
  await exitWindow.getByText('Demo shop', { exact: true }).waitFor();
  const size = await exitWindow.evaluate(() => ({ w: outerWidth, h: outerHeight }));
  assert.ok(size.w <= 480 && size.h <= 400, `the waiting window is ${size.w}×${size.h}`);
  await exitWindow.screenshot({ path: join(screenshots, 'widget-exit-waiting.png') });
  const closed = exitWindow.waitForEvent('close');
  await exitWindow.getByRole('button', { name: 'Cancel' }).click();
  await closed;
  await page.getByText(ARMED).waitFor({ state: 'detached' });
  assert.equal(await page.evaluate((k) => localStorage.getItem(`farewell:${k}:armed`), farewell.demo.site_key), null, 'un-armed');
  await context.close();
});

test('the widget scale stays on one row at 320, 390 and 1440 px, left to right and right to left', async () => {
  farewell.configure(DEFAULTS);
  for (const path of ['/', '/ar']) {
    for (const width of [320, 390, 1440]) {
      const { context, page } = await openShop({ viewport: { width, height: 800 }, hasTouch: width < 800 }, path);
      await page.evaluate(() => window.farewell.show());
      const dialog = page.getByRole('dialog');
      await dialog.waitFor();
      await assertScaleOnOneRow(page, dialog.getByRole('radio'), `widget ${path}`);
      await page.screenshot({ path: join(screenshots, `widget-${path === '/' ? 'en' : 'ar'}-${width}.png`) });
      await context.close();
    }
  }
});

test('armed exit: the survey waits while the visitor browses and opens when they leave', async () => {
  farewell.configure(DEFAULTS);
  const { context, page, errors } = await openShop({ viewport: { width: 1100, height: 800 } });
  const [exitWindow] = await Promise.all([context.waitForEvent('page'), page.getByRole('button', { name: ARM }).click()]);
  await page.getByText(ARMED).waitFor();
  await exitWindow.waitForLoadState();
  await exitWindow.getByText('This window will show a short survey when you leave the site.').waitFor();
  await page.screenshot({ path: join(screenshots, 'widget-armed.png') });

  // Browsing within the site: arming survives the navigation and the survey stays closed.
  await page.click('#next');
  await page.waitForURL(/page2/);
  await page.getByText(ARMED).waitFor();
  await exitWindow.waitForTimeout(6_000);
  assert.equal(await exitWindow.locator('[role=radiogroup]').count(), 0, 'opened while the visitor was still on the site');

  // Leaving the site: the exit window comes forward with the questions.
  await page.goto(elsewhere.origin + '/');
  await exitWindow.getByRole('radiogroup').waitFor({ timeout: 15_000 });
  await assertScaleOnOneRow(exitWindow, exitWindow.getByRole('radio'), 'exit window');
  await exitWindow.waitForTimeout(READ);
  await exitWindow.getByRole('radio', { name: '9', exact: true }).click();
  await exitWindow.getByLabel('Great! What did you like most?').fill('Quick checkout');
  await exitWindow.screenshot({ path: join(screenshots, 'widget-exit-window.png'), fullPage: true });
  await exitWindow.getByRole('button', { name: 'Send' }).click().catch(() => {});

  const [row] = await eventually(() => {
    const rows = stored("r.trigger = 'armed_exit' AND r.comment IS NOT NULL");
    return rows.length ? rows : null;
  }, 15_000, 'the armed answer');
  assert.equal(row.score, 9);
  assert.equal(row.comment, 'Quick checkout');
  assert.equal(row.page_path, '/', 'the page where the survey was armed');
  // The visit as the site's last page told the exit window: two pages, no error.
  assert.equal(row.pages_viewed, 2);
  assert.equal(row.errors_seen, 0);
  // And the attributes the site's page set, through the same message.
  assert.equal(row.attributes, ',plan=free,');
  assert.equal(row.notice_version, 1);
  // The contact choice was shown with the comment and left unticked: recorded as declined
  // (by the amendment that carried the comment, with the answer's edit secret).
  assert.deepEqual(JSON.parse(row.consent_choices), { improvement_program: true, contact: false });
  const rid = await page.goto(shop.origin + '/').then(() => page.evaluate((k) => JSON.parse(localStorage.getItem(`farewell:${k}:rid`)), farewell.demo.site_key));
  assert.equal(row.respondent_id, rid, "stored under the site's respondent id");
  assert.deepEqual(errors.filter((e) => !e.includes('ERR_INTERNET_DISCONNECTED')), []);
  await context.close();
});

test('exit intent opens the survey, answered with the keyboard alone', async () => {
  farewell.configure({ triggers: { armed_exit: false, exit_intent: true, exit_intent_min_seconds: 0 } });
  const { context, page, errors } = await openShop({ viewport: { width: 1100, height: 800 } });
  assert.equal(await page.getByRole('button', { name: ARM }).count(), 0, 'no arm button when the trigger is off');
  await page.evaluate(() => document.documentElement.dispatchEvent(new MouseEvent('mouseout', { clientY: 0, bubbles: true })));
  const dialog = page.getByRole('dialog', { name: 'How was your experience?' });
  await dialog.waitFor();
  await page.waitForTimeout(READ);
  // Focus starts on the scale; arrows move and choose; Tab goes on to the comment.
  for (let i = 0; i < 6; i++) await page.keyboard.press('ArrowRight');
  assert.equal(await dialog.getByRole('radio', { checked: true }).getAttribute('aria-label'), '6');
  await dialog.getByText('We are sorry to hear that. What disappointed you?').waitFor();
  await page.keyboard.press('Tab');
  await page.keyboard.type('Search finds nothing');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Space'); // "you may contact me"
  await page.keyboard.press('Tab');
  await page.keyboard.type('ann@example.com');
  await page.keyboard.press('Tab');
  await page.screenshot({ path: join(screenshots, 'widget-exit-intent.png') });
  await page.keyboard.press('Enter');
  // The dialog is now named by its thank-you heading.
  await page.getByRole('dialog', { name: 'Thank you!' }).getByText('Your answer has been saved.').waitFor();

  const [row] = await eventually(() => {
    const rows = stored("r.trigger = 'exit_intent' AND r.comment IS NOT NULL");
    return rows.length ? rows : null;
  }, 15_000, 'the exit-intent answer');
  assert.equal(row.score, 6);
  assert.equal(row.comment, 'Search finds nothing');
  assert.equal(row.contact_email, 'ann@example.com');
  assert.deepEqual(JSON.parse(row.consent_choices), { improvement_program: true, contact: true });
  assert.equal(row.device_class, 'desktop');
  // The events of this survey carry the answer's context, so the funnel follows the filters.
  const events = await eventually(() => {
    const rows = farewell.rows(`SELECT kind, page_path, device_class, browser_family, language FROM impressions
      WHERE trigger = 'exit_intent' AND kind IN ('shown', 'answered') ORDER BY kind`);
    return rows.length >= 2 ? rows : null;
  }, 15_000, 'the exit-intent events');
  for (const event of events) {
    assert.ok(event.page_path, 'a page path');
    assert.equal(event.page_path, row.page_path, event.kind);
    assert.equal(event.device_class, row.device_class, event.kind);
    assert.equal(event.browser_family, row.browser_family, event.kind);
    assert.equal(event.language, 'en', event.kind);
  }
  assert.deepEqual(errors, []);
  await context.close();
});

test('on a phone the survey opens when the visitor comes back, with 44 px targets', async () => {
  farewell.configure({ triggers: { armed_exit: false, mobile_return: true } });
  const { context, page, errors } = await openShop({ ...devices['Pixel 7'] });
  const setHidden = (hidden) => page.evaluate((h) => {
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => h });
    document.dispatchEvent(new Event('visibilitychange'));
  }, hidden);
  await setHidden(true);
  await page.waitForTimeout(1_700);
  await setHidden(false);
  const dialog = page.getByRole('dialog');
  await dialog.waitFor();
  for (const radio of await dialog.getByRole('radio').all()) {
    const box = await radio.boundingBox();
    assert.ok(box.height >= 44, `a target is ${box.height} px high`);
  }
  await page.screenshot({ path: join(screenshots, 'widget-phone.png') });
  await page.waitForTimeout(READ);
  await dialog.getByRole('radio', { name: '10 — Extremely likely' }).tap();
  const [row] = await eventually(() => {
    const rows = stored("r.trigger = 'mobile_return'");
    return rows.length ? rows : null;
  }, 15_000, 'the mobile answer');
  assert.equal(row.score, 10);
  assert.equal(row.device_class, 'mobile');
  assert.deepEqual(errors, []);
  await context.close();
});

test('an answer given offline is delivered when the network returns, then removed from the device', async () => {
  farewell.configure(DEFAULTS);
  const { context, page } = await openShop();
  await page.evaluate(() => window.farewell.show());
  const dialog = page.getByRole('dialog');
  await dialog.waitFor();
  await page.waitForTimeout(READ);
  await context.setOffline(true);
  await dialog.getByRole('radio', { name: '7', exact: true }).click();
  const [queued] = await queueOf(page);
  assert.equal(queued.t, 'responses');
  const id = queued.v.id;
  await page.waitForTimeout(1_000);
  assert.equal(storedWithId(id).length, 0, 'nothing can arrive while offline');

  await context.setOffline(false);
  await eventually(() => storedWithId(id).length === 1, 15_000, 'delivery after reconnecting');
  await eventually(async () => (await queueOf(page)).every((i) => i.t !== 'responses'), 10_000, 'the queue to empty');

  // A retry of something already acknowledged is stored once.
  await page.evaluate(([key, item]) => {
    localStorage.setItem(`farewell:${key}:q`, JSON.stringify([item, { ...item, k: 'again' }]));
    window.farewell.flush();
  }, [farewell.demo.site_key, queued]);
  await eventually(async () => (await queueOf(page)).length === 0, 10_000, 'the duplicates to be acknowledged');
  assert.equal(storedWithId(id).length, 1);
  await context.close();
});

test('opting out from the survey sends what was queued with the opt-out, then nothing more', async () => {
  farewell.configure(DEFAULTS);
  const { context, page } = await openShop();
  await page.evaluate(() => window.farewell.show());
  const dialog = page.getByRole('dialog');
  await dialog.waitFor();
  await page.waitForTimeout(READ);
  await context.setOffline(true);
  await dialog.getByRole('radio', { name: '3', exact: true }).click();
  const id = (await queueOf(page))[0].v.id;
  await dialog.getByRole('button', { name: "Don't ask me again (leave the improvement program)" }).click();
  await dialog.getByText('You have left the improvement program. Nothing more is collected.').waitFor();
  await context.setOffline(false);

  await eventually(() => storedWithId(id).length === 1, 15_000, 'the queued answer');
  const rid = await page.evaluate((k) => JSON.parse(localStorage.getItem(`farewell:${k}:rid`)), farewell.demo.site_key);
  await eventually(() => optedOut(rid), 10_000, 'the opt-out record');
  await eventually(async () => (await queueOf(page)).length === 0, 10_000, 'the queue to empty');

  await page.reload();
  await page.waitForFunction(() => window.farewell);
  await page.waitForTimeout(500);
  assert.equal(await page.getByRole('button', { name: ARM }).count(), 0);
  await page.evaluate(() => window.farewell.show());
  await page.waitForTimeout(1_000);
  assert.equal(await page.locator('#farewell-survey').count(), 0, 'no survey after the opt-out');
  await context.close();
});

test('Global Privacy Control opts out, and an answer queued before it is still delivered', async () => {
  farewell.configure(DEFAULTS);
  const context = await browser.newContext();
  const id = crypto.randomUUID();
  const rid = crypto.randomUUID();
  await context.addInitScript(([key, id, rid]) => {
    Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true });
    if (location.pathname === '/' && !sessionStorage.getItem('seeded')) {
      sessionStorage.setItem('seeded', '1');
      localStorage.setItem(`farewell:${key}:rid`, JSON.stringify(rid));
      localStorage.setItem(`farewell:${key}:q`, JSON.stringify([{ k: 'a', t: 'responses', v: { id, score: 8 } }]));
    }
  }, [farewell.demo.site_key, id, rid]);
  const page = await context.newPage();
  await page.goto(shop.origin + '/');
  await eventually(() => storedWithId(id).length === 1, 15_000, 'the answer queued before GPC');
  await eventually(() => optedOut(rid), 10_000, 'the opt-out');
  await page.waitForTimeout(500);
  assert.equal(await page.getByRole('button', { name: ARM }).count(), 0, 'nothing is offered under GPC');
  await context.close();
});

test('a blocked popup falls back to the survey in the page', async () => {
  farewell.configure(DEFAULTS);
  const context = await browser.newContext();
  await context.addInitScript(() => { window.open = () => null; });
  const page = await context.newPage();
  await page.goto(shop.origin + '/');
  await page.getByRole('button', { name: ARM }).click();
  await page.getByText(ARMED).waitFor();
  await page.evaluate(() => document.documentElement.dispatchEvent(new MouseEvent('mouseout', { clientY: 0, bubbles: true })));
  const dialog = page.getByRole('dialog');
  await dialog.waitFor();
  await page.waitForTimeout(READ);
  await dialog.getByRole('radio', { name: '8', exact: true }).click();
  const rid = await page.evaluate((k) => JSON.parse(localStorage.getItem(`farewell:${k}:rid`)), farewell.demo.site_key);
  await eventually(() => stored(`r.trigger = 'armed_exit' AND r.respondent_id = X'${rid.replaceAll('-', '')}'`).length === 1, 15_000, 'the in-page armed answer');
  await context.close();
});

test('right-to-left languages render right to left', async () => {
  farewell.configure(DEFAULTS);
  const { context, page } = await openShop({ viewport: { width: 900, height: 800 } }, '/ar');
  await page.evaluate(() => window.farewell.show());
  const dialog = page.getByRole('dialog', { name: 'كيف كانت تجربتك؟' });
  await dialog.waitFor();
  assert.equal(await dialog.getAttribute('dir'), 'rtl');
  assert.equal(await dialog.getAttribute('lang'), 'ar');
  // In RTL the left arrow moves forward along the scale.
  await page.keyboard.press('ArrowLeft');
  assert.equal(await dialog.getByRole('radio', { checked: true }).getAttribute('aria-label'), '1');
  const first = await dialog.getByRole('radio').first().boundingBox();
  const last = await dialog.getByRole('radio').last().boundingBox();
  assert.ok(first.x > last.x, '0 sits on the right, 10 on the left');
  await page.screenshot({ path: join(screenshots, 'widget-rtl.png') });
  await context.close();
});

test('pages viewed and time on site open the survey once; a dismissal holds it back', async () => {
  farewell.configure({ triggers: { armed_exit: false, pages_viewed: 2 }, cooldown_after_dismiss_days: 30 });
  const { context, page } = await openShop();
  await page.waitForTimeout(800);
  assert.equal(await page.locator('#farewell-survey').count(), 0, 'not on the first page');
  await page.click('#next');
  const dialog = page.getByRole('dialog');
  await dialog.waitFor();
  await dialog.getByRole('button', { name: 'Close' }).click();
  assert.equal(await page.locator('#farewell-survey').count(), 0);
  const rid = await page.evaluate((k) => JSON.parse(localStorage.getItem(`farewell:${k}:rid`)), farewell.demo.site_key);
  await eventually(() => farewell.rows(`SELECT kind FROM impressions WHERE kind = 'dismissed'`).length >= 1, 10_000, 'the dismissal');
  // The third page would qualify too, but the visitor just closed this survey.
  await page.click('#next');
  await page.waitForTimeout(1_000);
  assert.equal(await page.locator('#farewell-survey').count(), 0, 'asked again right after a dismissal');
  assert.ok(rid);
  await context.close();

  farewell.configure({ triggers: { armed_exit: false, time_on_site_seconds: 2 } });
  const second = await openShop();
  const started = Date.now();
  await second.page.getByRole('dialog').waitFor({ timeout: 10_000 });
  assert.ok(Date.now() - started >= 1_500, 'opened before the time on site');
  await second.context.close();

  farewell.configure({ triggers: { armed_exit: true }, sample_rate: 0 });
  const unsampled = await openShop();
  await unsampled.page.waitForTimeout(800);
  assert.equal(await unsampled.page.getByRole('button', { name: ARM }).count(), 0, 'a visitor outside the sample is never asked');
  await unsampled.page.reload();
  await unsampled.page.waitForTimeout(800);
  assert.equal(await unsampled.page.getByRole('button', { name: ARM }).count(), 0, 'the sampling decision is kept');
  await unsampled.context.close();
});

test('the visit so far travels with the answer as numbers, and the host page hears the survey', async () => {
  farewell.configure({ triggers: { armed_exit: false, exit_intent: true, exit_intent_min_seconds: 0 } });
  const context = await browser.newContext({ viewport: { width: 1100, height: 800 } });
  const page = await context.newPage();
  // The broken page's own errors are the point here: only the widget's would be a failure.
  const failures = [];
  page.on('console', (m) => { if (m.type() === 'error' && !/secret order|boom|null/.test(m.text())) failures.push(m.text()); });
  // Three pages of one visit: the first raises an error and an unhandled rejection.
  await page.goto(shop.origin + '/broken');
  await page.waitForFunction(() => window.farewell);
  await page.waitForTimeout(600);
  await page.click('#next');
  await page.waitForURL(/page2/);
  await page.goto(shop.origin + '/layer');
  await page.waitForFunction(() => window.farewell);
  await page.evaluate(() => {
    window.heard = [];
    for (const kind of ['shown', 'answered', 'dismissed']) {
      document.addEventListener(`farewell:${kind}`, (e) => window.heard.push([kind, e.detail]));
    }
  });
  await page.evaluate(() => document.documentElement.dispatchEvent(new MouseEvent('mouseout', { clientY: 0, bubbles: true })));
  const dialog = page.getByRole('dialog', { name: 'How was your experience?' });
  await dialog.waitFor();
  await page.waitForTimeout(READ);
  await dialog.getByRole('radio', { name: '3', exact: true }).click();
  const row = await eventually(() => farewell.rows(`SELECT pages_viewed, seconds_on_site, errors_seen, trigger FROM responses
      WHERE trigger = 'exit_intent' AND score = 3`)[0], 15_000, 'the answer');
  assert.equal(row.pages_viewed, 3);
  assert.equal(row.errors_seen, 2, 'the error and the rejection, counted, not described');
  assert.ok([0, 10].includes(row.seconds_on_site), `a bucket's start: ${row.seconds_on_site}`);
  const shown = await eventually(() => farewell.rows(`SELECT pages_viewed, errors_seen FROM impressions
      WHERE trigger = 'exit_intent' AND kind = 'shown' ORDER BY at DESC LIMIT 1`)[0], 15_000, 'the impression');
  assert.deepEqual(shown, { pages_viewed: 3, errors_seen: 2 });
  // Nothing of the errors but their count is stored anywhere.
  assert.equal(farewell.rows("SELECT COUNT(*) AS n FROM responses WHERE comment LIKE '%secret order%'")[0].n, 0);
  // The host page heard the survey open and the band answered; its dataLayer too. No text.
  const survey = farewell.rows('SELECT lower(hex(id)) AS id FROM surveys LIMIT 1')[0].id;
  const { heard, layer } = await page.evaluate(() => ({ heard: window.heard, layer: window.dataLayer }));
  assert.deepEqual(heard.map(([kind, d]) => [kind, d.band ?? null]), [['shown', null], ['answered', 'detractor']]);
  assert.equal(heard[0][1].survey.replaceAll('-', ''), survey);
  assert.deepEqual(layer.map((e) => [e.event, e.farewell_band ?? null]), [['farewell_shown', null], ['farewell_answered', 'detractor']]);
  assert.ok(layer.every((e) => Object.keys(e).every((k) => ['event', 'farewell_survey', 'farewell_band'].includes(k))));
  assert.deepEqual(failures, []);
  await context.close();
});

test('a survey closed unanswered is heard as dismissed; once opted out nothing is heard or counted', async () => {
  farewell.configure({ triggers: { armed_exit: false, exit_intent: true, exit_intent_min_seconds: 0 } });
  const { context, page, errors } = await openShop({ viewport: { width: 1100, height: 800 } });
  await page.evaluate(() => {
    window.heard = [];
    for (const kind of ['shown', 'answered', 'dismissed']) {
      document.addEventListener(`farewell:${kind}`, (e) => window.heard.push(kind));
    }
  });
  await page.evaluate(() => document.documentElement.dispatchEvent(new MouseEvent('mouseout', { clientY: 0, bubbles: true })));
  await page.getByRole('dialog', { name: 'How was your experience?' }).waitFor();
  await page.keyboard.press('Escape');
  await eventually(() => page.evaluate(() => window.heard.length === 2), 5_000, 'the dismissal');
  assert.deepEqual(await page.evaluate(() => window.heard), ['shown', 'dismissed']);
  // Opted out: the page's errors are no longer counted, and no survey is heard.
  const key = `farewell:${farewell.demo.site_key}:er`;
  await page.evaluate(() => window.farewell.optOut());
  const before = await page.evaluate((k) => sessionStorage.getItem(k), key);
  await page.evaluate(() => { setTimeout(() => { null.boom; }, 0); });
  await page.waitForTimeout(200);
  assert.equal(await page.evaluate((k) => sessionStorage.getItem(k), key), before);
  await page.evaluate(() => window.farewell.show());
  await page.waitForTimeout(500);
  assert.deepEqual(await page.evaluate(() => window.heard), ['shown', 'dismissed']);
  assert.deepEqual(errors.filter((e) => !/boom|null/.test(e)), []);
  await context.close();
});

test('a survey opens only on the pages its patterns take, set on its admin page', async () => {
  // The admin writes the patterns on the survey's page; a refusal keeps what was typed.
  const admin = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const ap = await admin.newPage();
  const adminErrors = watchErrors(ap);
  await signIn(ap, farewell);
  const org = farewell.rows('SELECT id FROM organisations')[0].id;
  const survey = farewell.rows('SELECT id FROM surveys ORDER BY created_at LIMIT 1')[0].id;
  const pagesPage = `${farewell.base}/admin/${org}/surveys/${survey}/pages`;
  const save = async (patterns) => {
    await ap.goto(pagesPage);
    await ap.getByLabel('Patterns (saved)').fill(patterns);
    await ap.getByRole('button', { name: 'Save patterns' }).click();
    await ap.waitForLoadState('load');
  };
  await save('checkout/**');
  assert.match(await ap.locator('[data-field="pages"]').innerText(), /must start with \//);
  assert.equal(await ap.getByLabel('Patterns (saved)').inputValue(), 'checkout/**');
  await save('/checkout/**\n!/checkout/legal/**');
  await ap.getByText('Saved.').waitFor();
  await ap.screenshot({ path: join(screenshots, 'targeting-390.png'), fullPage: true });

  farewell.configure({ triggers: { armed_exit: false, pages_viewed: 1 } });
  for (const [path, opens] of [['/checkout', true], ['/checkout/pay/card', true], ['/checkout/legal/terms', false], ['/', false]]) {
    const { context, page, errors } = await openShop({}, path);
    if (opens) await page.getByRole('dialog').waitFor({ timeout: 5_000 });
    else {
      await page.waitForTimeout(800);
      assert.equal(await page.locator('#farewell-survey').count(), 0, `opened on ${path}`);
    }
    assert.deepEqual(errors, []);
    await context.close();
  }
  // The page lists where it was shown, and which pattern took each.
  await ap.goto(pagesPage);
  const row = ap.locator('tr', { hasText: '/checkout/pay/card' });
  assert.match(await row.innerText(), /shown: \/checkout\/\*\*/);
  // Every page again.
  await save('');
  await ap.getByText('Saved.').waitFor();
  assert.deepEqual(adminErrors.filter((e) => !/422/.test(e)), []);
  await admin.close();
});

test('the widget asks the exit reason of the score\'s band, from another origin, and stores it', async () => {
  const admin = await browser.newContext();
  const ap = await admin.newPage();
  await signIn(ap, farewell);
  const org = farewell.rows('SELECT id FROM organisations')[0].id;
  const survey = farewell.rows('SELECT id FROM surveys ORDER BY created_at LIMIT 1')[0].id;
  const saved = await ap.request.post(`${farewell.base}/fn/save_survey_reason`, {
    form: { org, id: survey, detractors: 'price: Too expensive\nbugs: Something broke', translations: 'fi price: Liian kallis' },
    headers: { Origin: farewell.base },
  });
  assert.equal(saved.status(), 200);
  farewell.configure({ triggers: { armed_exit: false, exit_intent: true, exit_intent_min_seconds: 0 } });
  const { context, page, errors } = await openShop({ viewport: { width: 1100, height: 800 } });
  await page.evaluate(() => document.documentElement.dispatchEvent(new MouseEvent('mouseout', { clientY: 0, bubbles: true })));
  const dialog = page.getByRole('dialog', { name: 'How was your experience?' });
  await dialog.waitFor();
  await page.waitForTimeout(READ);
  await dialog.getByRole('radio', { name: '3', exact: true }).click();
  const group = dialog.getByRole('group', { name: 'What is the main reason for your score?' });
  await group.waitFor();
  await group.getByRole('radio', { name: 'Something broke' }).check();
  await page.screenshot({ path: join(screenshots, 'widget-reason.png') });
  await eventually(() => farewell.rows(`SELECT reason FROM responses WHERE reason IS NOT NULL`).some((r) => r.reason === 'bugs'), 10_000, 'the reason stored');
  // A promoter has no question here: none is shown.
  await dialog.getByRole('radio', { name: '10 — Extremely likely' }).click();
  assert.equal(await group.isVisible(), false);
  assert.deepEqual(errors, []);
  await context.close();
  // Asked no more: the other tests' surveys go on without it.
  const cleared = await ap.request.post(`${farewell.base}/fn/save_survey_reason`, { form: { org, id: survey }, headers: { Origin: farewell.base } });
  assert.equal(cleared.status(), 200);
  await admin.close();
});

test('attributes the site sets travel with the answer and its events, declared keys only, from another origin', async () => {
  // The admin declares the keys on the site's page at 390 px; a refusal keeps what was typed.
  const admin = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const ap = await admin.newPage();
  const adminErrors = watchErrors(ap);
  await signIn(ap, farewell);
  const org = farewell.rows('SELECT id FROM organisations')[0].id;
  const site = farewell.rows('SELECT id FROM sites')[0].id;
  const attributesPage = `${farewell.base}/admin/${org}/sites/${site}/attributes`;
  const save = async (keys) => {
    await ap.goto(attributesPage);
    await ap.getByLabel('Keys').fill(keys);
    await ap.getByRole('button', { name: 'Save attributes' }).click();
    await ap.waitForLoadState('load');
  };
  await save('plan, Tier');
  assert.match(await ap.locator('[data-field="keys"]').innerText(), /lower-case letters/);
  assert.equal(await ap.getByLabel('Keys').inputValue(), 'plan, Tier');
  await save('plan, tier');
  await ap.getByText('Saved.').waitFor();
  await ap.screenshot({ path: join(screenshots, 'attributes-390.png'), fullPage: true });

  farewell.configure({ triggers: { armed_exit: false, exit_intent: true, exit_intent_min_seconds: 0 } });
  const { context, page, errors } = await openShop({ viewport: { width: 1100, height: 800 } }, '/account');
  await page.waitForFunction(() => document.readyState === 'complete');
  await page.evaluate(() => document.documentElement.dispatchEvent(new MouseEvent('mouseout', { clientY: 0, bubbles: true })));
  const dialog = page.getByRole('dialog', { name: 'How was your experience?' });
  await dialog.waitFor();
  await page.waitForTimeout(READ);
  await dialog.getByRole('radio', { name: '6', exact: true }).click();
  // farewell.set overrides the tag's plan; the undeclared colour and seats are dropped.
  const row = await eventually(() => farewell.rows(`SELECT attributes FROM responses
      WHERE trigger = 'exit_intent' AND score = 6 AND page_path = '/account'`)[0], 15_000, 'the answer');
  assert.equal(row.attributes, ',plan=pro,tier=gold,');
  const shown = await eventually(() => farewell.rows(`SELECT attributes FROM impressions
      WHERE kind = 'shown' AND page_path = '/account'`)[0], 15_000, 'the impression');
  assert.equal(shown.attributes, ',plan=pro,tier=gold,');
  assert.deepEqual(errors, []);
  await context.close();

  // The page lists what each key took.
  await ap.goto(attributesPage);
  assert.match(await ap.locator('table.attribute-values').first().innerText(), /pro/);
  assert.deepEqual(adminErrors.filter((e) => !/422/.test(e)), []);
  await admin.close();
});

test('identify takes effect only when the visitor ticks the choice, and keeps only keyed hashes', async () => {
  farewell.configure({ triggers: { armed_exit: false, exit_intent: true, exit_intent_min_seconds: 0 } });
  const answer = async (score, tick) => {
    const { context, page, errors } = await openShop({ viewport: { width: 390, height: 844 } }, '/me');
    await page.waitForFunction(() => document.readyState === 'complete');
    await page.evaluate(() => document.documentElement.dispatchEvent(new MouseEvent('mouseout', { clientY: 0, bubbles: true })));
    const dialog = page.getByRole('dialog', { name: 'How was your experience?' });
    await dialog.waitFor();
    await page.waitForTimeout(READ);
    await dialog.getByRole('radio', { name: String(score), exact: true }).click();
    const choice = dialog.getByLabel("Link this answer to my account (optional): the team sees it with my account's other answers");
    await choice.waitFor();
    assert.equal(await choice.isChecked(), false, 'never ticked for the visitor');
    if (tick) await choice.check();
    await page.screenshot({ path: join(screenshots, `identify-${tick ? 'ticked' : 'unticked'}-390.png`) });
    await dialog.getByRole('button', { name: 'Send' }).click();
    const row = await eventually(() => farewell.rows(`SELECT user_hash, account_hash, attributes, consent_choices FROM responses
        WHERE page_path = '/me' AND score = ${score} AND consent_choices LIKE '%identify%'`)[0], 15_000, 'the answer with its choice');
    assert.deepEqual(errors, []);
    await context.close();
    return row;
  };
  // Not ticked: the choice is recorded as declined, and nothing of either id is kept.
  const declined = await answer(5, false);
  assert.equal(JSON.parse(declined.consent_choices).identify, false);
  assert.equal(declined.user_hash, null);
  assert.equal(declined.account_hash, null);
  // Ticked: the ids' HMACs under the site's own secret, never the ids.
  const granted = await answer(3, true);
  assert.equal(JSON.parse(granted.consent_choices).identify, true);
  const secret = farewell.rows('SELECT identity_secret FROM sites')[0].identity_secret;
  const hmac = (kind, id) => createHmac('sha256', secret).update(`${kind}:${id}`).digest('hex');
  assert.equal(granted.user_hash, hmac('user', 'u-77'));
  assert.equal(granted.account_hash, hmac('account', 'acme'));
  assert.equal(granted.attributes, ',plan=pro,', 'the account is never an attribute');
  assert.equal(farewell.rows("SELECT COUNT(*) AS n FROM responses WHERE attributes LIKE '%acme%' OR comment LIKE '%u-77%'")[0].n, 0);

  // The dashboard lists the account by NPS; looked up by its id, it is marked.
  const member = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const mp = await member.newPage();
  await signIn(mp, farewell);
  await mp.goto(`${farewell.base}/dashboard/${farewell.demo.site_key}#accounts`);
  const panel = mp.locator('section.accounts');
  await panel.getByLabel('Find an account by its id').fill('acme');
  await panel.getByRole('button', { name: 'Find' }).click();
  await mp.waitForLoadState('load');
  await mp.locator('section.accounts tr.looked-up').waitFor();
  assert.match(await mp.locator('section.accounts tr.looked-up').innerText(), new RegExp(hmac('account', 'acme').slice(0, 10)));
  await mp.locator('section.accounts').screenshot({ path: join(screenshots, 'accounts-390.png') });
  await member.close();
});
