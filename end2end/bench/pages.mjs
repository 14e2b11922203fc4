// The page benchmark (scripts/bench-pages.sh runs it): for each page, bytes over the wire and
// time to usable in Chromium, cold (empty cache) and warm (the same browser again), on the slow
// mobile link of issue 12 (150 ms, 1.6 Mbps down, 750 kbps up) and unthrottled. "Usable" is the
// page's own signal: a member's page hydrated (body[data-hydrated]), a visitor page enhanced
// (body[data-enhanced]), a site's dashboard (rendered whole, no bundle) loaded. It prints figures; it asserts nothing (the budgets are in the suite).
import { startFarewell, launchBrowser, watchTransfer, signIn } from '../tests/support.mjs';

const links = {
  slow: { offline: false, latency: 150, downloadThroughput: 1.6e6 / 8, uploadThroughput: 750e3 / 8 },
  fast: null,
};

const app = await startFarewell({ responses: Number(process.env.BENCH_RESPONSES ?? 300) });
const browser = await launchBrowser();
try {
  const session = await browser.newContext();
  const login = await session.newPage();
  await signIn(login, app);
  const member = await session.storageState();
  await session.close();

  const pages = [
    { name: 'hosted survey', path: `/s/${app.demo.site_key}`, ready: 'body[data-enhanced="true"]' },
    { name: 'login', path: '/login', ready: 'body[data-hydrated="true"]' },
    { name: 'overview', path: '/dashboard', ready: 'body[data-hydrated="true"]', member: true },
    { name: 'site dashboard', path: `/dashboard/${app.demo.site_key}`, ready: 'load', member: true },
    { name: 'admin', path: '/admin', ready: 'body[data-hydrated="true"]', member: true },
  ];

  console.log(['link', 'page', 'visit', 'KB on wire', 'wasm KB', 'requests', 'usable s', 'first paint s'].map((h, i) => i < 3 ? h.padEnd(15) : h.padStart(13)).join(''));
  for (const [link, conditions] of Object.entries(links)) {
    for (const page of pages) {
      const context = await browser.newContext(page.member ? { storageState: member } : {});
      const tab = await context.newPage();
      for (const visit of ['cold', 'warm']) {
        const transfer = await watchTransfer(tab);
        if (conditions) await transfer.cdp.send('Network.emulateNetworkConditions', conditions);
        // A warm visit may use the cache, as a browser returning to the page would.
        await transfer.cdp.send('Network.setCacheDisabled', { cacheDisabled: false });
        const started = Date.now();
        await tab.goto(`${app.base}${page.path}`, { waitUntil: 'commit' });
        if (page.ready === 'load') await tab.waitForLoadState('load', { timeout: 120_000 });
        else await tab.waitForSelector(page.ready, { timeout: 120_000 });
        const usable = (Date.now() - started) / 1000;
        await tab.waitForLoadState('networkidle');
        const paint = await tab.evaluate(() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN);
        const kb = (n) => (n / 1024).toFixed(1);
        console.log([link, page.name, visit].map((c) => c.padEnd(15)).join('') + [
          kb(transfer.total()), kb(transfer.of(/\.wasm/).reduce((s, f) => s + f.bytes, 0)), String(transfer.files.length),
          usable.toFixed(2), (paint / 1000).toFixed(2),
        ].map((c) => c.padStart(13)).join(''));
        await transfer.cdp.detach();
      }
      await context.close();
    }
  }
} finally {
  await browser.close();
  await app.stop();
}
