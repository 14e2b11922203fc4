// The survey editor: a field per language and text, the default as its placeholder, and a
// preview drawn by the widget's own survey script that follows what is typed. Screenshots at
// 1440 and 390 px land in end2end/screenshots.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { startFarewell, launchBrowser, signIn, watchErrors, eventually, screenshots, sideways } from './support.mjs';

const axeSource = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

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

/// The administration page with the demo survey's editor open, hydrated.
async function openEditor(viewport, options = {}) {
  const context = await browser.newContext({ viewport, ...options });
  const page = await context.newPage();
  const errors = watchErrors(page);
  await signIn(page, app);
  await page.goto(`${app.base}/admin`);
  await page.waitForSelector('body[data-hydrated="true"]');
  await page.locator('details.survey-admin > summary').first().click();
  const editor = page.locator('form.survey-settings').first();
  const preview = page.frameLocator('.survey-preview iframe').first();
  return { context, page, errors, editor, preview };
}

test('the preview follows the texts as they are typed, in the language and on the device chosen', async () => {
  const { context, page, errors, editor, preview } = await openEditor({ width: 1440, height: 900 });
  const heading = preview.locator('#fw-title');
  await heading.waitFor();
  assert.equal(await heading.textContent(), 'How was your experience?');
  assert.match(await preview.locator('#fw-question').textContent(), /recommend Demo shop to a friend/);

  // Typing changes the preview at once; an empty field is the default again.
  const title = editor.locator('input[name="form[texts][en][title]"]');
  assert.equal(await title.getAttribute('placeholder'), 'How was your experience?');
  await title.pressSequentially('How did it go?');
  await eventually(async () => (await heading.textContent()) === 'How did it go?', 5000, 'the typed heading');
  assert.ok(await title.evaluate((el) => el === document.activeElement), 'the field keeps the focus');
  await editor.getByLabel('Product named in the question').fill('Acme store');
  await eventually(async () => /recommend Acme store to/.test(await preview.locator('#fw-question').textContent()), 5000, 'the product name');
  await title.fill('');
  await eventually(async () => (await heading.textContent()) === 'How was your experience?', 5000, 'the default heading');

  // A field of another language switches the preview to it; a follow-up field shows the survey
  // after a score in that band.
  const finnish = editor.locator('details.texts-of-language', { hasText: 'Suomi (Finnish)' });
  await finnish.locator('summary').click();
  const followUp = finnish.locator('input[name="form[texts][fi][follow_up_detractor]"]');
  await followUp.fill('Mikä meni pieleen?');
  await eventually(async () => (await preview.locator('label[for="fw-comment"]').textContent()) === 'Mikä meni pieleen?', 5000, 'the Finnish follow-up');
  assert.equal(await page.locator('select[data-preview="lang"]').first().inputValue(), 'fi');
  assert.equal(await preview.locator('.card').getAttribute('lang'), 'fi');
  assert.equal(await heading.textContent(), 'Millainen kokemuksesi oli?');

  // Arabic reads right to left in the preview too.
  await page.locator('select[data-preview="lang"]').first().selectOption('ar');
  await eventually(async () => (await preview.locator('.card').getAttribute('dir')) === 'rtl', 5000, 'the Arabic preview');

  // On a phone's width, the widget's own phone layout.
  await page.locator('select[data-preview="lang"]').first().selectOption('fi');
  await page.locator('select[data-preview="device"]').first().selectOption('phone');
  const frame = page.locator('.survey-preview iframe').first();
  await eventually(async () => Math.round((await frame.boundingBox()).width) === 390, 5000, 'a 390 px frame');
  await frame.scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(screenshots, 'survey-editor-1440.png') });

  // Saved, the texts are the survey's: the widget's configuration says so.
  await editor.getByRole('button', { name: 'Save survey' }).click();
  await eventually(async () => {
    const r = await fetch(`${app.base}/api/v1/sites/${app.demo.site_key}/config?lang=fi`);
    const config = await r.json();
    return JSON.stringify(config).includes('Mikä meni pieleen?');
  }, 10_000, 'the saved Finnish follow-up in the widget configuration');
  assert.deepEqual(errors, []);
  await context.close();
});

test('a mistyped placeholder is refused at its field, with everything typed kept', async () => {
  const { context, page, editor } = await openEditor({ width: 1440, height: 900 });
  const german = editor.locator('details.texts-of-language', { hasText: 'Deutsch (German)' });
  await german.locator('summary').click();
  const question = german.locator('input[name="form[texts][de][question]"]');
  await question.fill('Würden Sie {produkt} empfehlen?');
  const send = german.locator('input[name="form[texts][de][send]"]');
  await send.fill('Abschicken');
  await german.locator('summary').click(); // folded again: the refusal must open it
  await editor.getByRole('button', { name: 'Save survey' }).click();
  const refusal = editor.locator('.field-error[data-field="texts.de.question"]');
  await refusal.waitFor();
  assert.equal(await refusal.textContent(), "{produkt} is not filled in here: {product} stands for the product's name.");
  assert.ok(await german.evaluate((d) => d.open), 'the language with the refusal is open');
  assert.equal(await question.inputValue(), 'Würden Sie {produkt} empfehlen?');
  assert.equal(await send.inputValue(), 'Abschicken');
  await refusal.scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(screenshots, 'survey-editor-refused-1440.png') });

  await question.fill('Würden Sie {product} empfehlen?');
  await editor.getByRole('button', { name: 'Save survey' }).click();
  await eventually(async () => {
    const r = await fetch(`${app.base}/api/v1/sites/${app.demo.site_key}/config?lang=de`);
    return JSON.stringify(await r.json()).includes('Abschicken');
  }, 10_000, 'the saved German texts');
  await context.close();
});

test('on a phone the editor and its preview fit, and the open editor has no serious accessibility violation', async () => {
  const { context, page, preview } = await openEditor(
    { width: 390, height: 844 },
    { isMobile: true, hasTouch: true, bypassCSP: true },
  );
  await preview.locator('#fw-title').waitFor();
  await page.locator('details.texts-of-language').evaluateAll((all) => all.forEach((d) => { d.open = true; }));
  const overflow = await sideways(page);
  await page.locator('.survey-texts').first().scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(screenshots, 'survey-editor-390.png') });
  assert.ok(overflow <= 0, `the page is ${overflow} px wider than the phone`);
  await page.locator('select[data-preview="device"]').first().selectOption('phone');
  await page.locator('.survey-preview').first().scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(screenshots, 'survey-editor-preview-390.png') });

  await page.addScriptTag({ path: axeSource });
  const result = await page.evaluate(() => window.axe.run(document.querySelector('form.survey-settings'), {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] },
  }));
  const serious = result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
  assert.deepEqual(serious, []);
  await context.close();
});
