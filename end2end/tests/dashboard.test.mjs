// The product manager's dashboard in a real browser, on a year of generated demo answers:
// sign in, open a site, change range and bucket, filter a segment, search the comments, tag one,
// filter by the tag and export the view as CSV. Screenshots at desktop and phone widths.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { startFarewell, launchBrowser, watchErrors, eventually, screenshots, usable, signIn as signInAs, sideways } from './support.mjs';

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
// A count as the page writes it for an English-speaking viewer (1,539).
const count = async (locator) => Number((await text(locator)).replaceAll(',', ''));

test('a member explores a site: range, bucket, segment, search, tag, export', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, timezoneId: 'Europe/Helsinki', acceptDownloads: true });
  const page = await context.newPage();
  const errors = watchErrors(page);
  await signIn(page);
  // The first page told the server the viewer's zone (a cookie), so the dashboard is rendered
  // in it the first time, whole: no figures are fetched afterwards, no wasm is loaded, and the
  // address is not rewritten.
  const fetched = [];
  page.on('request', (r) => { if (/\/fn\/site_report|\.wasm$/.test(r.url())) fetched.push(r.url()); });
  await page.locator('a.open-site').click();
  await page.waitForURL(new RegExp(`/dashboard/${app.demo.site_key}$`));
  await usable(page);
  assert.equal(await page.locator('.filters input[name="tz"]').inputValue(), 'Europe/Helsinki');
  await page.waitForLoadState('networkidle');
  assert.deepEqual(fetched, [], 'the page came whole, in the viewer\'s zone');
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
  const total = await count(page.locator('.headline .ci .n'));
  const perMonth = (await page.locator('.trend-table tbody td.n').allTextContents()).map((t) => Number(t.replaceAll(',', '')));
  assert.equal(perMonth.reduce((a, b) => a + b, 0), total);

  // Segments: NPS by device; filtering by "mobile" narrows the whole view to its answers.
  await page.locator('nav.tabs a', { hasText: 'Device' }).click();
  await page.waitForURL(/by=device/);
  // Links navigate in place: wait for the new view, not just the new address.
  await page.locator('th', { hasText: 'Device' }).first().waitFor();
  const mobileRow = page.locator('tr[data-segment="mobile"]');
  const mobileN = await count(mobileRow.locator('td.n'));
  assert.ok(mobileN > 0 && mobileN < total);
  await mobileRow.locator('a.segment-filter').click();
  await page.waitForURL(/segment=device%3Amobile/);
  await page.locator('.active-filter').waitFor();
  assert.match(await text(page.locator('.active-filter')), /Device = mobile/);
  assert.equal(await count(page.locator('.headline .ci .n')), mobileN);

  // Full-text search in the comments.
  await page.locator('input[name="q"]').fill('slow');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.waitForURL(/q=slow/);
  await usable(page);
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
  // Its tag, then its saved themes (none here), the visit's pages, seconds and errors, and its
  // exit reason (none asked) and its plan (the demo site's attribute).
  assert.match(csv[0], /,tags,themes,pages_viewed,seconds_on_site,errors_seen,reason,attributes$/);
  assert.match(csv[1], /,"speed","","\d+","\d+","\d+","","plan=\w+"$/);
  assert.match(download.suggestedFilename(), /^farewell-st_[0-9a-f]+-.*\.csv$/);

  assert.deepEqual(errors, []);
  // The phone layout of the same account.
  const phone = await browser.newContext({
    viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, timezoneId: 'Europe/Helsinki',
    storageState: await context.storageState(),
  });
  const small = await phone.newPage();
  await small.goto(`${app.base}/dashboard/${app.demo.site_key}?tz=Europe%2FHelsinki&bucket=month`);
  await usable(small);
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
    await usable(page);
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
    const overflow = await sideways(page);
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
  await usable(page);
  const stops = await page.evaluate(() => [...document.querySelectorAll('.verbatim')].map((row) =>
    // The consent link and the one "Add a tag" control; the follow-up of a visitor who asked
    // to be contacted and a tag's remove button are stops of their own, not counted here.
    [...row.querySelectorAll('a[href]:not([href*="/inbox/"]), button:not(.tag-chip button), input:not([type=hidden]), summary, select, textarea')]
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
  await usable(page);
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
    await usable(page);
    return {
      n: await count(page.locator('.n').first()),
      shown: await count(page.locator('.funnel .shown')),
      answered: await count(page.locator('.funnel .answered')),
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

test('chart marks open their tooltips by keyboard and pointer, one tab stop a chart', async () => {
  for (const width of [1440, 390]) {
    const context = await browser.newContext({ viewport: { width, height: 900 }, timezoneId: 'Europe/Helsinki' });
    const page = await context.newPage();
    const errors = watchErrors(page);
    await signIn(page);
    await page.goto(`${app.base}/dashboard/${app.demo.site_key}?bucket=week`);
    await usable(page);
    const tip = page.locator('#chart-tip');
    const focused = () => page.evaluate(() => document.activeElement.getAttribute('aria-label'));
    // The trend is one stop: Tab from "Full scale" lands on its first mark, whose figures show.
    await page.locator('.full-scale summary').focus();
    await page.keyboard.press('Tab');
    const first = await focused();
    assert.match(first ?? '', /^\d{4}-W\d{2}: (NPS [+−]?\d+, likely between .+ and .+, n = [\d,]+|too few answers for an NPS, n = \d+)$/, String(first));
    assert.equal(await tip.isVisible(), true);
    assert.equal(await tip.textContent(), first);
    // The arrows walk the marks; the tooltip follows.
    await page.keyboard.press('ArrowRight');
    const second = await focused();
    assert.notEqual(second, first);
    assert.equal(await tip.textContent(), second);
    await page.keyboard.press('End');
    const last = await page.locator('.chart.trend.fitted [role=img][tabindex]').last().getAttribute('aria-label');
    assert.equal(await focused(), last);
    assert.equal(await page.locator('.chart.trend.fitted [tabindex="0"]').count(), 1, 'one stop');
    const box = await tip.boundingBox();
    assert.ok(box.x >= 0 && box.x + box.width <= width, `the tooltip stays on screen: ${JSON.stringify(box)}`);
    await page.screenshot({ path: join(screenshots, `dashboard-tooltip-${width}.png`) });
    // Escape dismisses it; the next Tab leaves the chart.
    await page.keyboard.press('Escape');
    assert.equal(await tip.isVisible(), false);
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => !!document.activeElement.closest('.chart.trend')), false);
    // A bar of the histogram by pointer.
    await page.locator('.chart.histogram .score-bar[data-score="10"]').hover();
    assert.match(await tip.textContent(), /^Score 10: [\d,]+ answers \(\d+%\)$/);
    assert.deepEqual(errors, []);
    await context.close();
  }
});

test('numbers are written as the viewer\'s locale writes them', async () => {
  const figures = async (locale) => {
    const context = await browser.newContext({ locale, timezoneId: 'Europe/Helsinki' });
    const page = await context.newPage();
    await signIn(page);
    await page.goto(`${app.base}/dashboard/${app.demo.site_key}?bucket=month&by=device`);
    await usable(page);
    const found = {
      lo: await text(page.locator('.headline .ci-lo')),
      share: await text(page.locator('.segment-table td.share').first()),
    };
    await context.close();
    return found;
  };
  const en = await figures('en-US');
  assert.match(en.lo, /^−?\d+\.\d$/);
  assert.match(en.share, /^\d+%$/);
  const de = await figures('de-DE');
  assert.match(de.lo, /^−?\d+,\d$/);
  assert.match(de.share, /^\d+\u00a0%$/);
  assert.equal(de.lo.replace(',', '.'), en.lo, 'the same figure');
});

test('an empty view says so instead of blank charts, and a view on its way is marked busy', async () => {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  const errors = watchErrors(page);
  await signIn(page);
  await page.goto(`${app.base}/dashboard/${app.demo.site_key}?from=2020-01-01&to=2020-01-31`);
  await usable(page);
  assert.equal(await page.locator('.chart').count(), 0, 'no blank charts');
  const empties = await page.locator('.panel .empty').allTextContents();
  assert.ok(empties.length >= 4, empties.join(' | '));
  assert.match(empties[0], /No answers in this view/);
  assert.match(await text(page.locator('.result-count')), /No comment matches this view/);
  await page.screenshot({ path: join(screenshots, 'dashboard-empty-390.png'), fullPage: true });
  // The next view is slow to come: the current one says it is loading until it does.
  await page.route(/\/dashboard\/st_[^/?]+\?/, async (route) => {
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await route.continue();
  });
  await page.locator('.filters input[name="from"]').fill('2020-01-02');
  // Pressed from the page (a click through Playwright would wait for the next page).
  // Pressed and read from inside the page: Playwright's own calls would wait for the next page.
  const busy = await page.getByRole('button', { name: 'Apply' }).evaluate((button) => {
    button.click();
    return new Promise((resolve) => setTimeout(() => {
      const main = document.querySelector('main');
      resolve({ busy: main.getAttribute('aria-busy'), note: getComputedStyle(main, '::before').content });
    }, 300));
  });
  assert.equal(busy.busy, 'true');
  assert.match(busy.note, /Loading the view/);
  await page.waitForURL(/from=2020-01-02/);
  assert.equal(await page.locator('main[aria-busy]').count(), 0, 'the new view is not busy');
  assert.deepEqual(errors, []);
  await context.close();
});

test('the themes panel says what detractors and promoters say, and a term opens its comments', async () => {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, timezoneId: 'Europe/Helsinki' });
  const page = await context.newPage();
  const errors = watchErrors(page);
  await signIn(page);
  await page.goto(`${app.base}/dashboard/${app.demo.site_key}`);
  await usable(page);
  const panel = page.locator('section.themes');
  assert.match(await text(panel.locator('.themes-read')), /^Read (all [\d,]+|the newest [\d,]+) comments/);
  const detractorTerms = await panel.locator('.detractor-terms .theme-term').allTextContents();
  const promoterTerms = await panel.locator('.promoter-terms .theme-term').allTextContents();
  assert.ok(detractorTerms.length > 0 && promoterTerms.length > 0, `${detractorTerms} | ${promoterTerms}`);
  assert.equal(detractorTerms.filter((t) => promoterTerms.includes(t)).length, 0, 'no term on both sides');
  await panel.screenshot({ path: join(screenshots, 'dashboard-themes-390.png') });
  // A term opens the comments that hold it: every one of them has its words.
  const term = detractorTerms[0];
  await panel.locator('.detractor-terms .theme-term').first().click();
  await page.waitForURL(/q=[^&]+.*#comments$/);
  const comments = await page.locator('.verbatim .comment').allTextContents();
  assert.ok(comments.length > 0, `comments holding "${term}"`);
  for (const word of term.split(' ')) {
    assert.ok(comments.every((c) => c.toLowerCase().includes(word)), `${word}: ${comments.join(' | ')}`);
  }
  assert.deepEqual(errors, []);
  await context.close();
});

test('a member saves a theme from the dashboard, follows it as a segment, and deletes it after a question', async () => {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, timezoneId: 'Europe/Helsinki' });
  const page = await context.newPage();
  const errors = watchErrors(page);
  await signIn(page);
  await page.goto(`${app.base}/dashboard/${app.demo.site_key}`);
  await usable(page);
  const form = page.locator('form.save-theme');
  // A name that is not one word is refused at its field, in words, and what was typed stays.
  await form.locator('input[name=name]').fill('slow checkout');
  await form.locator('input[name=terms]').fill('checkout, langsam');
  await form.locator('button[type=submit]').click();
  await usable(page);
  const refusal = page.locator('form.save-theme .field-error[data-field=name]');
  assert.match(await text(refusal), /letters, digits and -/);
  assert.equal(await page.locator('form.save-theme input[name=name]').inputValue(), 'slow checkout');
  assert.equal(await page.locator('form.save-theme input[name=terms]').inputValue(), 'checkout, langsam');
  await page.locator('form.save-theme input[name=name]').fill('checkout');
  await page.locator('form.save-theme button[type=submit]').click();
  await usable(page);
  const saved = page.locator('.saved-themes li[data-theme=checkout]');
  assert.equal(await text(saved.locator('.theme-counts')), 'checkout, langsam');
  // The demo's past answers are tagged in the background: the panel says so until done.
  await eventually(async () => {
    await page.reload();
    await usable(page);
    return (await text(page.locator('.saved-themes .tagging'))) === '';
  }, 30_000, 'the past answers to be tagged');
  assert.equal(await sideways(page), 0, 'the panel fits the phone');
  await page.locator('.saved-themes').screenshot({ path: join(screenshots, 'dashboard-saved-themes-390.png') });
  // The theme is a segment: its comments all hold a term, each marked with the theme.
  await saved.locator('a.saved-theme').click();
  await page.waitForURL(/segment=theme%3Acheckout/);
  await usable(page);
  const comments = await page.locator('.verbatim .comment').allTextContents();
  assert.ok(comments.length > 0, 'comments in the theme');
  assert.ok(comments.every((c) => /checkout|langsam/i.test(c)), comments.join(' | '));
  assert.equal(await page.locator('.verbatim .theme-chip').count(), comments.length);
  assert.match(await text(page.locator('.funnel-note')), /No funnel for a theme/);
  // Deleting asks first; only the second press deletes.
  const item = page.locator('.saved-themes li[data-theme=checkout]');
  await item.locator('details.confirm summary').click();
  assert.match(await text(item.locator('.question')), /Delete the theme checkout\?/);
  await item.locator('details.confirm button[type=submit]').click();
  await usable(page);
  assert.equal(await page.locator('.saved-themes li[data-theme=checkout]').count(), 0);
  assert.deepEqual(errors.filter((e) => !/422/.test(e)), [], 'nothing failed but the refusal');
  await context.close();
});
