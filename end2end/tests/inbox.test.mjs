// The follow-up inbox on a phone: from a detractor's comment on the dashboard to its follow-up,
// a refused reply keeps what was typed, a reply opened in the mail app is recorded (with its
// mailto: link, subject and body encoded), the answer is resolved and leaves the open list.
// Also the member's digest page. Screenshots in end2end/screenshots.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { createHmac } from 'node:crypto';
import { startFarewell, launchBrowser, signIn, watchErrors, screenshots, sideways } from './support.mjs';

let app;
let browser;

before(async () => {
  app = await startFarewell({ responses: 600 });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await app?.stop();
});

test('a detractor who asked to be contacted is followed up from a phone', async () => {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const page = await context.newPage();
  const errors = watchErrors(page);
  await signIn(page, app);
  const org = app.rows('SELECT id FROM organisations')[0].id;
  // The newest detractor who asked: the dashboard's first such comment links to it.
  const [asked] = app.rows(`SELECT id, contact_email, comment FROM responses
    WHERE contact_email IS NOT NULL ORDER BY received_at DESC LIMIT 1`);
  assert.ok(asked, 'the demo holds detractors who asked to be contacted');

  await page.goto(`${app.base}/dashboard/${app.demo.site_key}?band=detractor`);
  await page.locator(`a[href="/admin/${org}/inbox/${asked.id}"]`).first().click();
  await page.waitForURL(`${app.base}/admin/${org}/inbox/${asked.id}`);
  await page.getByText(asked.contact_email).waitFor();

  // No message: refused at the field, the subject as typed.
  await page.getByLabel('Subject').fill('We are sorry about checkout');
  await page.getByRole('button', { name: 'Write in my mail app' }).click();
  await page.locator('[data-field="message"]').waitFor();
  assert.equal(await page.getByLabel('Subject').inputValue(), 'We are sorry about checkout');
  assert.match(await page.locator('[data-field="message"]').innerText(), /empty/);

  await page.getByLabel('Message').fill('Hi,\nwe fixed the payment step & refunded you.');
  await page.getByRole('button', { name: 'Write in my mail app' }).click();
  const open = page.getByRole('link', { name: 'Open in my mail app' });
  await open.waitFor();
  const href = await open.getAttribute('href');
  assert.equal(
    href,
    `mailto:${asked.contact_email}?subject=We%20are%20sorry%20about%20checkout&body=Hi%2C%0D%0Awe%20fixed%20the%20payment%20step%20%26%20refunded%20you.`,
  );
  // Recorded, and the answer is contacted; the message field is empty again.
  assert.equal(await page.getByLabel('Message').inputValue(), '');
  assert.match(await page.locator('.now').innerText(), /^Contacted/);
  assert.equal(app.rows(`SELECT kind FROM follow_up_entries`).map((r) => r.kind).join(), 'mailto');

  await page.getByLabel('Note (seen by your team only)').fill('Refund confirmed by finance.');
  await page.getByRole('button', { name: 'Add note' }).click();
  await page.locator('.entry.note').waitFor();
  await page.locator('.follow-up-status select[name="status"]').selectOption('resolved');
  await page.locator('.follow-up-status').getByRole('button', { name: 'Save' }).click();
  await page.locator('.now').filter({ hasText: /^Resolved/ }).waitFor();
  assert.equal(await sideways(page), 0);
  await page.screenshot({ path: join(screenshots, 'inbox-answer-390.png'), fullPage: true });

  // The open list no longer holds it; the resolved one does.
  await page.goto(`${app.base}/admin/${org}/inbox`);
  assert.equal(await page.locator(`a[href="/admin/${org}/inbox/${asked.id}"]`).count(), 0);
  await page.locator('select[name="status"]').selectOption('resolved');
  await page.getByRole('button', { name: 'Show' }).click();
  await page.locator(`a[href="/admin/${org}/inbox/${asked.id}"]`).waitFor();
  assert.equal(await sideways(page), 0);
  await page.screenshot({ path: join(screenshots, 'inbox-list-390.png'), fullPage: true });

  // The dashboard counts the loop closed.
  await page.goto(`${app.base}/dashboard/${app.demo.site_key}`);
  const share = Number(await page.locator('.loop-closed').getAttribute('data-share'));
  assert.ok(share > 0, `loop closed ${share}`);
  // The one refusal was asked for: the page that showed it answered 422.
  assert.deepEqual(errors.filter((e) => !e.includes('422')), []);
  await context.close();
});

test('a member chooses a digest; without a relay, e-mail is refused at its field', async () => {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const page = await context.newPage();
  const errors = watchErrors(page);
  await signIn(page, app);
  const org = app.rows('SELECT id FROM organisations')[0].id;
  await page.goto(`${app.base}/admin/${org}/digest`);
  await page.locator('.warning').getByText('This server sends no e-mail').waitFor();
  // With no webhook yet, the page says where one is added; e-mail cannot be chosen.
  assert.equal(await page.locator('.warning a[href="/admin"]').count(), 1);
  assert.ok(await page.locator('#to option[value=""]').isDisabled());
  await page.getByRole('radio', { name: /^Daily/ }).check();
  await page.getByLabel('Time zone').fill('Europe/Helsinki');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.locator('[data-field="to"]').waitFor();
  // What was chosen is kept.
  assert.equal(await page.getByLabel('Time zone').inputValue(), 'Europe/Helsinki');
  assert.ok(await page.getByRole('radio', { name: /^Daily/ }).isChecked());
  assert.equal(await page.locator('#to').evaluate((s) => s.selectedIndex), 0, 'the disabled choice still shows, not an empty box');
  assert.equal(await sideways(page), 0);
  await page.screenshot({ path: join(screenshots, 'digest-390.png'), fullPage: true });
  assert.deepEqual(errors.filter((e) => !e.includes('422')), []);
  await context.close();
});

test("a digest's one-click link stops it from a browser, under the page's own policy", async () => {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const page = await context.newPage();
  const errors = watchErrors(page);
  const org = app.rows('SELECT id FROM organisations')[0].id;
  const user = app.rows(`SELECT id FROM users WHERE email = '${app.demo.email}'`)[0].id;
  // The link a digest carries: the server's key over the organisation and the member.
  const key = app.rows("SELECT value FROM server_secrets WHERE name = 'digest_unsubscribe'")[0].value;
  const token = createHmac('sha256', key).update(`${org}:${user}`).digest('hex');
  await page.goto(`${app.base}/digest/unsubscribe?o=${org}&u=${user}&t=${token}`);
  await page.getByRole('button', { name: 'Stop them' }).click();
  await page.getByText('You will get no more digests').waitFor();
  assert.equal(await sideways(page), 0);
  assert.deepEqual(errors, []);
  await context.close();
});
