// Shared by the browser tests: starts a real `farewell` server on a fresh SQLite file with a
// demo organisation, pages of a "shop" on another origin that embed the widget, and a headless
// Debian Chromium driven by playwright-core.
import { spawn, execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const binary = process.env.FAREWELL_BIN ?? join(repo, 'target', 'debug', 'farewell');
export const screenshots = join(repo, 'end2end', 'screenshots');
mkdirSync(screenshots, { recursive: true });

export const PASSWORD = 'end-to-end password';

/// Starts Farewell. `origins` are the origins allowed to embed the demo site's widget.
export async function startFarewell({ origins = [], responses = 0 } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'farewell-e2e-'));
  const db = join(dir, 'farewell.db');
  const env = {
    ...process.env,
    DATABASE_URL: `sqlite://${db}`,
    LEPTOS_SITE_ROOT: join(repo, 'target', 'site'),
    FAREWELL_LOG_FORMAT: 'json',
    RUST_LOG: 'info',
    // configure() writes the database from another process: read it back at once (the
    // integration tests prove the cache itself).
    FAREWELL_VISITOR_CACHE_MS: '0',
    // Every browser of these tests is one client (127.0.0.1), where real visitors each have
    // their own address: at the default 1 request a second, a test's pages were refused by
    // what the tests before them spent. The per-client limit itself is proven by the
    // integration tests (visitor::clients_over_their_rate_get_429_with_retry_after_*).
    FAREWELL_CLIENT_RATE: '20',
  };
  const originArgs = origins.flatMap((o) => ['--origin', o]);
  const demo = JSON.parse(
    execFileSync(binary, ['demo', '--json', '--password', PASSWORD, '--responses', String(responses), ...originArgs], { env, encoding: 'utf8' }),
  );
  const server = spawn(binary, ['serve', '--addr', '127.0.0.1:0'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  const port = await new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error('farewell did not start in 30 s')), 30_000);
    server.on('exit', (code) => fail(new Error(`farewell exited with ${code}`)));
    createInterface({ input: server.stderr }).on('line', (line) => {
      if (process.env.TEST_LOG) console.error(line);
      try {
        const entry = JSON.parse(line);
        if (entry.fields?.port) {
          clearTimeout(timer);
          ok(entry.fields.port);
        }
      } catch { /* not a log line */ }
    });
  });
  return {
    demo,
    db,
    base: `http://127.0.0.1:${port}`,
    /// Replaces the demo survey's settings (the CLI, on the same database file).
    configure(settings) {
      execFileSync(binary, ['configure-survey', '--site-key', demo.site_key, '--settings', JSON.stringify(settings)], { env });
    },
    /// Rows from the real SQLite file, ids as UUID strings.
    rows(sql) {
      return JSON.parse(execFileSync('python3', ['-c', ROWS_PY, db, sql], { encoding: 'utf8' }));
    },
    async stop() {
      server.kill('SIGTERM');
      await new Promise((ok) => server.once('exit', ok));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const ROWS_PY = `
import json, sqlite3, sys, uuid
conn = sqlite3.connect(sys.argv[1])
conn.row_factory = sqlite3.Row
def plain(v):
    return str(uuid.UUID(bytes=v)) if isinstance(v, bytes) and len(v) == 16 else v
print(json.dumps([{k: plain(r[k]) for k in r.keys()} for r in conn.execute(sys.argv[2])]))
`;

/// A tiny web server for another origin. `pages` maps a path to HTML (or a function of the
/// request URL returning HTML).
export async function startSite(host, pages) {
  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    const page = pages[url.pathname];
    if (url.pathname === '/favicon.ico') { res.writeHead(204); res.end(); return; }
    if (!page) { res.writeHead(404); res.end('not found'); return; }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(typeof page === 'function' ? page(url) : page);
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    origin: `http://${host}:${server.address().port}`,
    stop: () => new Promise((ok) => server.close(ok)),
  };
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic',
    ],
  });
}

/// Collects console errors and page crashes so a test can assert there were none.
export function watchErrors(page) {
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('response', (r) => { if (r.status() >= 400) errors.push(`${r.status()} ${new URL(r.url()).pathname}`); });
  return errors;
}

export async function summary(app) {
  const r = await fetch(`${app.base}/api/v1/sites/${app.demo.site_key}/summary`, {
    headers: { Authorization: `Bearer ${app.demo.api_token}` },
  });
  if (r.status !== 200) throw new Error(`summary answered ${r.status}`);
  return r.json();
}

/// Polls `check` until it returns something truthy, or fails after `ms`.
export async function eventually(check, ms = 15_000, what = 'condition') {
  const until = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((ok) => setTimeout(ok, 200));
  }
}

/// Counts what a page downloads, as the network saw it: compressed bytes per response (CDP's
/// encodedDataLength, headers included), so budgets are about the wire, not the files.
export async function watchTransfer(page) {
  const cdp = await page.context().newCDPSession(page);
  const urls = new Map();
  const files = [];
  cdp.on('Network.responseReceived', (e) => urls.set(e.requestId, e.response.url));
  cdp.on('Network.loadingFinished', (e) => files.push({ url: urls.get(e.requestId), bytes: e.encodedDataLength }));
  await cdp.send('Network.enable');
  return {
    files,
    cdp,
    total: () => files.reduce((sum, f) => sum + f.bytes, 0),
    of: (pattern) => files.filter((f) => pattern.test(f.url ?? '')),
  };
}

/// The 0–10 scale on one row: eleven targets sharing a top, each at least 24 px wide and 44 px
/// tall (WCAG 2.2 target size), none outside the viewport. `targets` locates the eleven.
export async function assertScaleOnOneRow(page, targets, what) {
  const boxes = await targets.evaluateAll((els) => els.map((el) => {
    const r = el.getBoundingClientRect();
    return { top: Math.round(r.top), left: r.left, right: r.right, width: r.width, height: r.height };
  }));
  const width = page.viewportSize()?.width ?? await page.evaluate(() => innerWidth);
  const overflow = await sideways(page);
  if (overflow > 0) throw new Error(`${what} at ${width} px: the page is ${overflow} px wider than the viewport`);
  if (boxes.length !== 11) throw new Error(`${what}: ${boxes.length} targets, not 11`);
  for (const [i, b] of boxes.entries()) {
    if (b.top !== boxes[0].top) throw new Error(`${what} at ${width} px: ${i} is on another row (${b.top} vs ${boxes[0].top})`);
    if (b.width < 24 || b.height < 44) throw new Error(`${what} at ${width} px: ${i} is ${b.width}×${b.height}`);
    if (b.left < 0 || b.right > width) throw new Error(`${what} at ${width} px: ${i} is outside the viewport`);
  }
}

/// Signs the demo owner in through the login page (hydrated) and waits for the dashboard.
export async function signIn(page, app) {
  await page.goto(`${app.base}/login`);
  await page.waitForSelector('body[data-hydrated="true"]');
  await page.getByLabel('E-mail').fill(app.demo.email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${app.base}/dashboard`);
}

/// A member's page is usable: hydrated by its bundle, or, for a site's dashboard or a
/// webhook's rules (which load none: the server renders them whole), loaded.
export async function usable(page) {
  await page.waitForLoadState('load');
  const path = new URL(page.url()).pathname;
  if (!path.startsWith('/dashboard/') && !path.startsWith('/admin/')) {
    await page.waitForSelector('body[data-hydrated="true"]');
  }
}

/// How many pixels the page is wider than the viewport as configured. Not `innerWidth`: a
/// mobile context (isMobile) widens its layout viewport to the content, so that would hide
/// exactly the overflow this measures.
export async function sideways(page) {
  const width = page.viewportSize().width;
  return page.evaluate((width) => document.documentElement.scrollWidth - width, width);
}
