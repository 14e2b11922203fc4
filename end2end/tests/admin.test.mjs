// Administration: each section loads its own data, and an action reloads only the section it
// belongs to. Screenshots at 390 and 1440 px land in end2end/screenshots.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startFarewell, launchBrowser, signIn, watchErrors, screenshots, PASSWORD, sideways } from './support.mjs';

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

/// A signed-in administration page, hydrated, at `viewport`; its console and failed requests.
async function openAdmin(viewport, options = {}) {
  const context = await browser.newContext({ viewport, ...options });
  const page = await context.newPage();
  const errors = watchErrors(page);
  await signIn(page, app);
  await page.goto(`${app.base}/admin`);
  await page.waitForSelector('body[data-hydrated="true"]');
  return { context, page, errors };
}

test('a new API token shows once and joins the list, and only the tokens section is read again', async () => {
  const { context, page, errors } = await openAdmin({ width: 1440, height: 900 });
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
  const overflow = await sideways(page);
  await page.screenshot({ path: join(screenshots, 'admin-390.png'), fullPage: true });
  assert.ok(overflow <= 0, `the page is ${overflow} px wider than the phone`);
  await context.close();
});

test('a refused form says why at its field, keeps what was typed, and a saved one says so', async () => {
  const { context, page, errors } = await openAdmin({ width: 1440, height: 900 });
  await page.waitForSelector('article.site-admin');
  const form = page.locator('form.new-site');
  await form.getByLabel('New site name').fill('Blog');
  await form.getByLabel('Allowed origins').fill('https://blog.example/posts');
  await page.evaluate(() => window.scrollTo(0, 600));
  const scrolled = await page.evaluate(() => scrollY);
  await form.getByRole('button', { name: 'Add site' }).click();
  const refusal = form.locator('.field-error[data-field="origins"]');
  await refusal.waitFor();
  assert.match(await refusal.innerText(), /^https:\/\/blog\.example\/posts is not an origin/);
  assert.equal(await form.getByLabel('New site name').inputValue(), 'Blog', 'the name typed is kept');
  assert.equal(await form.getByLabel('Allowed origins').inputValue(), 'https://blog.example/posts');
  assert.equal(await page.evaluate(() => scrollY), scrolled, 'the page stays where it was');
  assert.equal(await form.getByRole('alert').count(), 1, 'one refusal, at its field');

  await form.getByLabel('Allowed origins').fill('https://blog.example');
  await form.getByRole('button', { name: 'Add site' }).click();
  await page.waitForSelector('article.site-admin h4:text("Blog")');
  assert.match(await form.getByRole('status').innerText(), /Site added/);
  assert.equal(await form.locator('.field-error').count(), 0);
  assert.deepEqual(errors.filter((e) => !/422/.test(e)), [], 'nothing failed but the refusal');
  await context.close();
});

test('removing, revoking and rotating ask first; rotating takes the site name typed out', async () => {
  const { context, page, errors } = await openAdmin({ width: 390, height: 844 }, { isMobile: true, hasTouch: true });
  const tokens = page.locator('section.panel', { has: page.getByRole('heading', { name: 'API tokens' }) });
  await tokens.getByLabel('Name').fill('to-revoke');
  await tokens.getByRole('button', { name: 'Create token' }).click();
  const row = page.locator('li[data-token="to-revoke"]');
  await row.waitFor();
  // The first press only asks; Cancel leaves the token as it was.
  await row.getByText('Revoke', { exact: true }).click();
  assert.match(await row.locator('.question').innerText(), /Revoke "to-revoke"\?/);
  await page.screenshot({ path: join(screenshots, 'admin-confirm-390.png'), fullPage: false });
  await row.getByRole('button', { name: 'Cancel' }).click();
  assert.equal(await row.locator('details.confirm[open]').count(), 0);
  assert.doesNotMatch(await row.innerText(), /revoked/);
  await row.getByText('Revoke', { exact: true }).click();
  await row.getByRole('button', { name: 'Yes, revoke' }).click();
  await page.waitForSelector('li[data-token="to-revoke"]:has-text("(revoked)")');

  const site = page.locator('article.site-admin').first();
  const key = await site.getAttribute('data-site-key');
  const name = await site.locator('h4').innerText();
  await site.getByText('Rotate site key…').click();
  assert.match(await site.locator('.rotate-key .question').innerText(), /must then be given the new snippet/);
  await site.getByLabel('Site name').fill('not the name');
  await site.getByRole('button', { name: 'Rotate the key' }).click();
  const refusal = site.locator('.field-error[data-field="confirm_name"]');
  await refusal.waitFor();
  assert.match(await refusal.innerText(), new RegExp(`type the site's name, ${name}`, 'i'));
  assert.equal(await site.getByLabel('Site name').inputValue(), 'not the name', 'what was typed stays');
  assert.equal(app.rows(`SELECT site_key FROM sites WHERE site_key = '${key}'`).length, 1, 'the key is unchanged');
  await site.getByLabel('Site name').fill(name);
  await site.getByRole('button', { name: 'Rotate the key' }).click();
  await page.waitForFunction((old) => !document.querySelector(`article.site-admin[data-site-key="${old}"]`), key);
  assert.equal(app.rows(`SELECT site_key FROM sites WHERE site_key = '${key}'`).length, 0, 'the key changed');
  const overflow = await sideways(page);
  assert.ok(overflow <= 0, `the page is ${overflow} px wider than the phone`);
  assert.deepEqual(errors.filter((e) => !/422/.test(e)), [], 'nothing failed but the refusal');
  await context.close();
});

test('with JavaScript off, a refused form comes back with what was typed and the reason at its field', async () => {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, javaScriptEnabled: false });
  const page = await context.newPage();
  // Signing in is a plain form too: a wrong password keeps the address, then the right one works.
  await page.goto(`${app.base}/login?next=/admin`);
  await page.getByLabel('E-mail').fill(app.demo.email);
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  assert.equal(await page.getByLabel('E-mail').inputValue(), app.demo.email);
  assert.equal(await page.getByLabel('Password').inputValue(), '', 'a password is never put back');
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${app.base}/admin`);

  const form = page.locator('form.new-site');
  await form.getByLabel('New site name').fill('Blog');
  await form.getByLabel('Allowed origins').fill('https://blog.example/posts');
  await form.getByRole('button', { name: 'Add site' }).click();
  assert.ok(page.url().endsWith('/admin#sent-form'), page.url());
  const refused = page.locator('form.new-site');
  const reason = refused.locator('.field-error[data-field="origins"]');
  assert.match(await reason.textContent(), /https:\/\/blog\.example\/posts is not an origin/);
  assert.equal(await refused.getByLabel('New site name').inputValue(), 'Blog');
  assert.equal(await refused.getByLabel('Allowed origins').inputValue(), 'https://blog.example/posts');
  assert.equal(await refused.getByLabel('Allowed origins').getAttribute('aria-invalid'), 'true');
  // The page jumps to the form that was sent.
  const top = await refused.evaluate((f) => f.getBoundingClientRect().top);
  assert.ok(top >= -10 && top < 844, `the form is in view: ${top}`);
  await page.screenshot({ path: join(screenshots, 'admin-nojs-refused-390.png'), fullPage: false });

  await refused.getByLabel('Allowed origins').fill('https://blog.example');
  await refused.getByRole('button', { name: 'Add site' }).click();
  assert.match(await page.locator('form.new-site [role=status]').textContent(), /Saved/);
  assert.ok(await page.locator('article.site-admin', { hasText: 'Blog' }).count(), 'the new site is listed');
  await context.close();
});
