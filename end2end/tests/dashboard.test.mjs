// The product manager's dashboard in a real browser, on a year of generated demo answers:
// sign in, open a site, change range and bucket, filter a segment, search the comments, tag one,
// filter by the tag and export the view as CSV. Screenshots at desktop and phone widths.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { startFarewell, launchBrowser, watchErrors, eventually, screenshots, signIn as signInAs } from './support.mjs';

let app;
let browser;

before(async () => {
  app = await startFarewell({ responses: 4000 });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await app?.stop();
});

const signIn = (page) => signInAs(page, app);

const text = async (locator) => (await locator.textContent()).trim();

test('a member explores a site: range, bucket, segment, search, tag, export', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, timezoneId: 'Europe/Helsinki', acceptDownloads: true });
  const page = await context.newPage();
  const errors = watchErrors(page);
  await signIn(page);
  // The first page told the server the viewer's zone (a cookie), so the dashboard is rendered
  // in it the first time: its figures are fetched once, with no rewrite of the address.
  const reports = [];
  page.on('request', (r) => { if (r.url().includes('/fn/site_report')) reports.push(r.url()); });
  await page.locator('a.open-site').click();
  await page.waitForURL(new RegExp(`/dashboard/${app.demo.site_key}$`));
  await page.waitForSelector('body[data-hydrated="true"]');
  assert.equal(await page.locator('.filters input[name="tz"]').inputValue(), 'Europe/Helsinki');
  await page.waitForLoadState('networkidle');
  assert.equal(reports.length, 1, 'the figures were fetched once, in the viewer\'s zone');
  assert.ok(!page.url().includes('tz='), 'the address was not rewritten');
  const weeks = await page.locator('.trend-table tbody tr').count();
  assert.ok(weeks >= 13 && weeks <= 14, `90 days by week: ${weeks} buckets`);
  await page.screenshot({ path: join(screenshots, 'dashboard-site-desktop.png'), clip: { x: 0, y: 0, width: 1280, height: 1500 } });

  // Range and bucket: half a year by month.
  const to = await page.locator('.filters input[name="to"]').inputValue();
  const from = new Date(Date.parse(to) - 179 * 86400000).toISOString().slice(0, 10);
  await page.locator('.filters input[name="from"]').fill(from);
  await page.locator('select[name="bucket"]').selectOption('month');
  await page.getByRole('button', { name: 'Apply' }).click();
  await page.waitForURL(/bucket=month/);
  assert.match(page.url(), new RegExp(`from=${from}`));
  const labels = await page.locator('.trend-table tbody th').allTextContents();
  assert.ok(labels.length >= 6 && labels.length <= 7, labels.join());
  assert.ok(labels.every((l) => /^\d{4}-\d{2}$/.test(l)), labels.join());
  const total = Number(await text(page.locator('.headline .ci .n')));
  const perMonth = (await page.locator('.trend-table tbody td.n').allTextContents()).map(Number);
  assert.equal(perMonth.reduce((a, b) => a + b, 0), total);

  // Segments: NPS by device; filtering by "mobile" narrows the whole view to its answers.
  await page.locator('nav.tabs a', { hasText: 'Device' }).click();
  await page.waitForURL(/by=device/);
  // Links navigate in place: wait for the new view, not just the new address.
  await page.locator('th', { hasText: 'Device' }).first().waitFor();
  const mobileRow = page.locator('tr[data-segment="mobile"]');
  const mobileN = Number(await text(mobileRow.locator('td.n')));
  assert.ok(mobileN > 0 && mobileN < total);
  await mobileRow.locator('a.segment-filter').click();
  await page.waitForURL(/segment=device%3Amobile/);
  await page.locator('.active-filter').waitFor();
  assert.match(await text(page.locator('.active-filter')), /Device = mobile/);
  assert.equal(Number(await text(page.locator('.headline .ci .n'))), mobileN);

  // Full-text search in the comments.
  await page.locator('input[name="q"]').fill('slow');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.waitForURL(/q=slow/);
  await page.waitForSelector('body[data-hydrated="true"]');
  const comments = await page.locator('.verbatim .comment').allTextContents();
  assert.ok(comments.length > 0, 'some comments mention "slow"');
  assert.ok(comments.every((c) => /slow/i.test(c)), comments.join(' | '));

  // Tag the first comment, in place; then filter by the tag.
  const first = page.locator('.verbatim').first();
  const id = await first.getAttribute('data-id');
  assert.match(await text(page.locator('.result-count')), /comment/);
  await first.getByText('Add a tag').click();
  await first.locator('input[name="tag"]').fill('Speed');
  await first.getByRole('button', { name: 'Tag' }).click();
  await page.locator(`.verbatim[data-id="${id}"] .tag-chip .tag`, { hasText: 'speed' }).waitFor();
  await page.locator('a.tag-filter', { hasText: 'speed (1)' }).click();
  await page.waitForURL(/tag=speed/);
  await eventually(async () => (await page.locator('.verbatim').count()) === 1, 10_000, 'the tag filter');
  assert.equal(await page.locator('.verbatim').first().getAttribute('data-id'), id);

  // Export the view: exactly that one answer.
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Export CSV' }).click()]);
  const csv = readFileSync(await download.path(), 'utf8').trim().split('\r\n');
  assert.equal(csv.length, 2, csv.join('\n'));
  assert.match(csv[0], /^id,received_at,local_time,/);
  // Every field is quoted, so no separator (`,` or Excel's `;`) can split one.
  assert.ok(csv[1].startsWith(`"${id}"`), csv[1]);
  assert.match(csv[1], /,"speed"$/);
  assert.match(download.suggestedFilename(), /^farewell-st_[0-9a-f]+-.*\.csv$/);

  assert.deepEqual(errors, []);
  // The phone layout of the same account.
  const phone = await browser.newContext({
    viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, timezoneId: 'Europe/Helsinki',
    storageState: await context.storageState(),
  });
  const small = await phone.newPage();
  await small.goto(`${app.base}/dashboard/${app.demo.site_key}?tz=Europe%2FHelsinki&bucket=month`);
  await small.waitForSelector('body[data-hydrated="true"]');
  await small.screenshot({ path: join(screenshots, 'dashboard-site-phone.png'), clip: { x: 0, y: 0, width: 390, height: 2000 } });
  await phone.close();
  await context.close();
});

test('a bad filter keeps the form and the figures, and the zone field searches the browser list', async () => {
  for (const width of [1440, 390]) {
    const context = await browser.newContext({ viewport: { width, height: 900 }, timezoneId: 'Europe/Helsinki' });
    const page = await context.newPage();
    const errors = watchErrors(page);
    await signIn(page);
    await page.goto(`${app.base}/dashboard/${app.demo.site_key}?tz=Mars%2FOlympus&bucket=week`);
    await page.waitForSelector('body[data-hydrated="true"]');
    const zone = page.locator('.filters input[name="tz"]');
    assert.equal(await zone.inputValue(), 'Mars/Olympus', 'what was typed stays in the field');
    const refusal = page.locator('.filters .field-error[data-field="tz"]');
    assert.match(await refusal.innerText(), /"Mars\/Olympus" is not a known time zone\. Showing the view without it\./);
    assert.ok(await page.locator('.nps-value').count(), 'the figures of the view without it are shown');
    assert.equal(await page.locator('.filters select[name="bucket"]').inputValue(), 'week', 'the good parameters are kept');
    // The browser's own list of IANA names backs the field once it is focused.
    await zone.focus();
    await page.waitForFunction(() => document.querySelectorAll('#time-zones option').length > 300);
    assert.equal(await page.locator('#time-zones option[value="Europe/Helsinki"]').count(), 1);
    assert.equal(await zone.getAttribute('list'), 'time-zones');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - innerWidth);
    await page.screenshot({ path: join(screenshots, `dashboard-bad-filter-${width}.png`) });
    if (width === 390) assert.ok(overflow <= 0, `the page is ${overflow} px wider than the phone`);
    assert.deepEqual(errors, []);
    await context.close();
  }
});

test('the comments are crossed by keyboard: one tag control a row, a skip link, a count even of none', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const errors = watchErrors(page);
  await signIn(page);
  await page.goto(`${app.base}/dashboard/${app.demo.site_key}`);
  await page.waitForSelector('body[data-hydrated="true"]');
  const stops = await page.evaluate(() => [...document.querySelectorAll('.verbatim')].map((row) =>
    // The consent link and the one "Add a tag" control; a contact address and a tag's remove
    // button are stops of their own, not counted here.
    [...row.querySelectorAll('a[href]:not([href^="mailto:"]), button:not(.tag-chip button), input:not([type=hidden]), summary, select, textarea')]
      .filter((e) => e.checkVisibility()).length));
  assert.ok(stops.length > 10, `a page of comments: ${stops.length}`);
  assert.ok(stops.every((n) => n <= 2), `tab stops per row: ${stops.join(',')}`);
  // The skip link is the first stop before the list and lands after it.
  await page.locator('a.skip-link').focus();
  assert.equal(await page.locator('a.skip-link').isVisible(), true, 'shown when focused');
  await page.keyboard.press('Enter');
  await page.keyboard.press('Tab');
  const landed = await page.evaluate(() => ({
    inList: !!document.activeElement?.closest('.verbatim-list'),
    what: document.activeElement?.outerHTML.slice(0, 80),
  }));
  assert.equal(landed.inList, false, `the next stop is past the list: ${landed.what}`);
  // A search with no match says so.
  await page.goto(`${app.base}/dashboard/${app.demo.site_key}?q=qqzzxxnothing`);
  await page.waitForSelector('body[data-hydrated="true"]');
  assert.equal(await page.locator('.result-count').getAttribute('data-count'), '0');
  assert.match(await text(page.locator('.result-count')), /No comment matches this view/);
  assert.equal(await page.locator('a.skip-link').count(), 0);
  assert.deepEqual(errors, []);
  await context.close();
});

test('the funnel follows a segment filter: answered matches the answers counted', async () => {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, timezoneId: 'Europe/Helsinki' });
  const page = await context.newPage();
  const errors = watchErrors(page);
  await signIn(page);
  const funnel = async (query) => {
    await page.goto(`${app.base}/dashboard/${app.demo.site_key}?${query}`);
    await page.waitForSelector('body[data-hydrated="true"]');
    return {
      n: Number(await text(page.locator('.n').first())),
      shown: Number(await text(page.locator('.funnel .shown'))),
      answered: Number(await text(page.locator('.funnel .answered'))),
    };
  };
  // The demo stores each answer's "answered" event in its context and at its time.
  const whole = await funnel('bucket=week');
  const finland = await funnel('bucket=week&segment=country%3AFI');
  const phones = await funnel('bucket=week&segment=device%3Amobile');
  for (const [name, view] of Object.entries({ whole, finland, phones })) {
    assert.ok(view.n > 0, `${name}: answers in the view`);
    assert.equal(view.answered, view.n, `${name}: answered events = answers`);
    assert.ok(view.shown >= view.answered, `${name}: shown at least answered`);
  }
  assert.ok(finland.shown < whole.shown && phones.shown < whole.shown, 'a filter narrows the funnel');
  // The trend's axis fits the data; "Full scale" shows -100 to +100 instead, with no script.
  const ticks = (chart) => page.locator(`.chart.trend.${chart} text.axis-label[text-anchor=end]`).allTextContents();
  assert.equal(await page.locator('.chart.trend.fitted').isVisible(), true);
  assert.equal(await page.locator('.chart.trend.full').isVisible(), false);
  const fitted = await ticks('fitted');
  assert.equal((await ticks('full')).length, 5);
  assert.notDeepEqual(fitted, await ticks('full'), `a fitted axis: ${fitted}`);
  await page.locator('.full-scale summary').click();
  assert.equal(await page.locator('.chart.trend.full').isVisible(), true);
  assert.equal(await page.locator('.chart.trend.fitted').isVisible(), false);
  await page.screenshot({ path: join(screenshots, 'dashboard-funnel-filtered-390.png'), fullPage: true });
  assert.deepEqual(errors, []);
  await context.close();
});
