// The walking skeleton in a real browser: answer the survey with JavaScript on (hydrated, in
// place) and off (plain form post), then sign in and see both answers on the dashboard.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startFarewell, launchBrowser, watchErrors, watchTransfer, summary, eventually, assertScaleOnOneRow, signIn, screenshots, PASSWORD } from './support.mjs';

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

test('the survey ships no wasm, stores the score on the first choice and submits in place', async () => {
  const context = await browser.newContext({ viewport: { width: 800, height: 900 } });
  const page = await context.newPage();
  const errors = watchErrors(page);
  const transfer = await watchTransfer(page);
  const url = `${app.base}/s/${app.demo.site_key}`;
  await page.goto(url);
  await page.waitForSelector('body[data-enhanced="true"]');
  await page.waitForLoadState('networkidle');
  await page.evaluate(() => { window.__sameDocument = true; });
  // The budget of a cold visit to the hosted survey: every file, compressed, on the wire.
  assert.equal(transfer.of(/\.wasm/).length, 0, 'no wasm is downloaded');
  assert.ok(transfer.total() <= 30 * 1024, `hosted survey: ${transfer.total()} bytes > 30 KB: ${JSON.stringify(transfer.files)}`);
  await page.screenshot({ path: join(screenshots, 'survey-js.png'), fullPage: true });
  // The notice link opens the exact version the answer was stored under.
  const [notice] = await Promise.all([context.waitForEvent('page'), page.getByRole('link', { name: /privacy notice/i }).click()]);
  await notice.waitForLoadState();
  await notice.getByRole('heading', { name: 'Privacy notice, version 1' }).waitFor();
  await notice.screenshot({ path: join(screenshots, 'notice.png'), fullPage: true });
  await notice.close();

  assert.equal(await page.locator('.follow-up').textContent(), 'What would make it better for you?');
  // A person takes longer than the server's bot threshold (800 ms) to choose.
  await page.waitForTimeout(900);
  await page.getByRole('radio', { name: '10 — Extremely likely' }).check();
  // The follow-up question follows the score's band.
  assert.equal(await page.locator('.follow-up').textContent(), 'Great! What did you like most?');
  // The score is stored the moment it is chosen, so leaving now loses nothing.
  const stored = await eventually(() => app.rows('SELECT score, comment, edit_secret_hash FROM responses').find((r) => r.score === 10), 10_000, 'the score to be stored');
  assert.equal(stored.comment, null);
  assert.ok(stored.edit_secret_hash, 'the answer can be amended only by its secret');
  await page.getByRole('radio', { name: '9' }).check();
  await page.getByLabel('Great! What did you like most? (optional)').fill('Fast and friendly');
  assert.equal(await page.locator('.comment-count').textContent(), '17');
  await page.getByRole('button', { name: 'Send' }).click();
  await page.getByRole('heading', { name: 'Thank you!' }).waitFor();
  await page.screenshot({ path: join(screenshots, 'survey-thanks-js.png'), fullPage: true });

  assert.equal(page.url(), url, 'thanks are shown in place');
  assert.equal(await page.evaluate(() => window.__sameDocument), true, 'no page load happened');
  const rows = app.rows('SELECT score, comment FROM responses');
  assert.deepEqual(rows, [{ score: 9, comment: 'Fast and friendly' }], 'one answer, amended');
  const figures = await eventually(async () => { const f = await summary(app); return f.n === 1 && f; }, 10_000, 'the answer to be counted');
  assert.equal(figures.promoters, 1);
  assert.deepEqual(errors, []);
  await context.close();
});

test('the scale stays on one row from 320 px up, left to right and right to left', async () => {
  for (const lang of ['en', 'ar']) {
    for (const width of [320, 390, 1440]) {
      const context = await browser.newContext({ viewport: { width, height: 800 }, hasTouch: width < 800, locale: lang });
      const page = await context.newPage();
      await page.goto(`${app.base}/s/${app.demo.site_key}?lang=${lang}`);
      assert.equal(await page.getAttribute('html', 'lang'), lang);
      assert.equal(await page.getAttribute('html', 'dir'), lang === 'ar' ? 'rtl' : 'ltr');
      await assertScaleOnOneRow(page, page.locator('.scale-option span'), `hosted ${lang}`);
      await page.screenshot({ path: join(screenshots, `survey-${lang}-${width}.png`) });
      await context.close();
    }
  }
});

test('the survey works with JavaScript off', async () => {
  const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  await page.goto(`${app.base}/s/${app.demo.site_key}`);
  assert.equal(await page.locator('body[data-enhanced]').count(), 0, 'nothing ran in the page');
  await page.screenshot({ path: join(screenshots, 'survey-nojs-phone.png'), fullPage: true });
  await page.locator('label.scale-option', { hasText: /^3$/ }).click();
  await page.locator('#comment').fill('The cart forgot my <items> & more');
  await page.locator('#contact_email').fill('ann@example.com');
  // A person takes longer than the server's bot threshold (800 ms) to answer; a script need not.
  await page.waitForTimeout(1000);
  await page.getByRole('button', { name: 'Send' }).click();
  // An address without the box ticked comes back with the reason at the address, and nothing
  // typed is lost: the score, the comment and the address are as they were.
  const reason = page.locator('#contact_email-error');
  await reason.waitFor();
  assert.match(await reason.textContent(), /Tick the box to let us contact you, or clear the address/);
  assert.equal(await page.locator('input[name=score][value="3"]').isChecked(), true);
  assert.equal(await page.locator('#comment').inputValue(), 'The cart forgot my <items> & more');
  assert.equal(await page.locator('#contact_email').inputValue(), 'ann@example.com');
  assert.equal(await page.locator('#contact_email').getAttribute('aria-invalid'), 'true');
  assert.ok(!page.url().includes('ann') && !page.url().includes('cart'), `nothing typed in the address: ${page.url()}`);
  await page.screenshot({ path: join(screenshots, 'survey-nojs-refused-phone.png'), fullPage: true });
  await page.locator('#contact_email').fill('');
  await page.waitForTimeout(1000);
  await page.getByRole('button', { name: 'Send' }).click();
  await page.waitForURL(new RegExp(`/s/${app.demo.site_key}/thanks`));
  await page.getByRole('heading', { name: 'Thank you!' }).waitFor();
  await page.screenshot({ path: join(screenshots, 'survey-thanks-nojs.png'), fullPage: true });
  const figures = await summary(app);
  assert.equal(figures.n, 2);
  assert.equal(figures.detractors, 1);
  await context.close();
});

test('a member signs in and sees the answers counted on the dashboard', async () => {
  const context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
  const page = await context.newPage();
  const errors = watchErrors(page);
  await page.goto(`${app.base}/dashboard`);
  await page.waitForURL(`${app.base}/login`);
  await page.waitForSelector('body[data-hydrated="true"]');
  await page.screenshot({ path: join(screenshots, 'login.png') });

  await page.getByLabel('E-mail').fill(app.demo.email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${app.base}/dashboard`);
  const card = page.locator(`[data-site-key="${app.demo.site_key}"]`);
  await card.waitFor();
  assert.equal(await card.locator('.n').textContent(), '2');
  assert.equal(await card.locator('.promoters').textContent(), '1');
  assert.equal(await card.locator('.detractors').textContent(), '1');
  assert.equal(await card.locator('.nps-value').textContent(), '0');
  await page.screenshot({ path: join(screenshots, 'dashboard.png'), fullPage: true });

  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL(`${app.base}/login`);
  assert.deepEqual(errors, []);
  await context.close();
});

test('visitor forms work without wasm: leaving, erasing (asked first) and accepting an invitation', async () => {
  // A visitor with one answer under a known respondent id.
  const rid = 'f1e2d3c4-b5a6-4978-8a9b-0c1d2e3f4a5b';
  const answer = await fetch(`${app.base}/api/v1/responses`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ id: 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d', site: app.demo.site_key, score: 6, respondent: rid }),
  });
  assert.equal(answer.status, 201);
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = watchErrors(page);
  await page.goto(`${app.base}/preferences?site=${app.demo.site_key}&rid=${rid}`);
  assert.equal(await page.locator('script[src*=".wasm"], link[href*=".wasm"]').count(), 0);
  await page.getByRole('button', { name: "Don't ask me again (leave the improvement program)" }).click();
  await page.getByText('You have left the improvement program').waitFor();
  // Erasing asks first; saying no changes nothing.
  page.once('dialog', (d) => d.dismiss());
  await page.getByRole('button', { name: 'Delete my answers' }).click();
  await page.waitForTimeout(500);
  assert.equal(app.rows(`SELECT count(*) AS n FROM responses WHERE respondent_id = X'${rid.replaceAll('-', '')}'`)[0].n, 1);
  page.once('dialog', (d) => d.accept());
  await page.getByRole('button', { name: 'Delete my answers' }).click();
  await page.getByText('Your answers were deleted.').waitFor();
  assert.equal(app.rows(`SELECT count(*) AS n FROM responses WHERE respondent_id = X'${rid.replaceAll('-', '')}'`)[0].n, 0);
  // A link cannot claim a deletion that did not happen: a respondent who still has answers.
  const other = crypto.randomUUID();
  const kept = await fetch(`${app.base}/api/v1/responses`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ id: crypto.randomUUID(), site: app.demo.site_key, score: 8, respondent: other }),
  });
  assert.equal(kept.status, 201);
  await page.goto(`${app.base}/preferences?site=${app.demo.site_key}&rid=${other}&erased=1`);
  await page.getByText('You take part in the improvement program').waitFor();
  assert.equal(await page.getByText('Your answers were deleted.').count(), 0, 'a forged confirmation');

  // An invitation, accepted by someone new, on a page with no wasm.
  const owner = await browser.newContext();
  const ownerPage = await owner.newPage();
  await signIn(ownerPage, app);
  const invite = await ownerPage.evaluate(async (org) => {
    const r = await fetch('/fn/invite_member', { method: 'POST', headers: { Accept: 'application/json' }, body: new URLSearchParams({ org, role: 'viewer' }) });
    return r.json();
  }, app.demo.organisation_id);
  await owner.close();
  await page.goto(app.base + invite);
  await page.getByLabel('E-mail').fill('new.viewer@demo.example');
  await page.getByLabel('Password (at least 12 characters)').fill('violet kettle harbour 1987 drum');
  await page.getByRole('button', { name: 'Join' }).click();
  await page.waitForURL(`${app.base}/dashboard`);
  assert.deepEqual(errors, []);
  await context.close();
});

test('the hosted survey asks the exit reason of the score\'s band, and stores it as it is chosen', async () => {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const page = await context.newPage();
  const errors = watchErrors(page);
  await signIn(page, app);
  const org = app.rows('SELECT id FROM organisations')[0].id;
  const survey = app.rows('SELECT id FROM surveys ORDER BY created_at LIMIT 1')[0].id;
  const saved = await page.request.post(`${app.base}/fn/save_survey_reason`, {
    form: { org, id: survey, detractors: 'price: Too expensive\nbugs: Something broke', promoters: 'speed: It is fast' },
    headers: { Origin: app.base },
  });
  assert.equal(saved.status(), 200);
  await page.goto(`${app.base}/s/${app.demo.site_key}`);
  await page.waitForSelector('body[data-enhanced="true"]');
  assert.equal(await page.locator('fieldset.reason:visible').count(), 0, 'no reason before a score');
  await page.waitForTimeout(900);
  await page.getByRole('radio', { name: '2', exact: true }).check();
  assert.equal(await page.locator('fieldset.reason:visible').count(), 1);
  await page.getByRole('radio', { name: 'Too expensive' }).check();
  const id = await page.locator('input[name=id]').inputValue();
  await eventually(() => app.rows(`SELECT reason FROM responses WHERE hex(id) = '${id.replaceAll('-', '').toUpperCase()}'`)[0]?.reason === 'price', 10_000, 'the reason stored');
  // Another band: its own options, the other band's choice cleared.
  await page.getByRole('radio', { name: '9', exact: true }).check();
  assert.equal(await page.getByRole('radio', { name: 'Too expensive' }).isVisible(), false);
  await page.getByRole('radio', { name: 'It is fast' }).check();
  await page.screenshot({ path: join(screenshots, 'survey-reason-390.png'), fullPage: true });
  await page.getByRole('button', { name: 'Send' }).click();
  await page.getByRole('heading', { name: 'Thank you!' }).waitFor();
  const row = app.rows(`SELECT score, reason FROM responses WHERE hex(id) = '${id.replaceAll('-', '').toUpperCase()}'`)[0];
  assert.deepEqual(row, { score: 9, reason: 'speed' });
  assert.deepEqual(errors, []);
  await context.close();
});
