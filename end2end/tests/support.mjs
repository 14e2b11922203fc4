// Shared by the browser tests: starts a real `farewell` server on a fresh SQLite file with a
// demo organisation, and a headless Debian Chromium driven by playwright-core.
import { spawn, execFileSync } from 'node:child_process';
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

export async function startFarewell() {
  const dir = mkdtempSync(join(tmpdir(), 'farewell-e2e-'));
  const env = {
    ...process.env,
    DATABASE_URL: `sqlite://${dir}/farewell.db`,
    LEPTOS_SITE_ROOT: join(repo, 'target', 'site'),
    FAREWELL_LOG_FORMAT: 'json',
    RUST_LOG: 'info',
  };
  const demo = JSON.parse(
    execFileSync(binary, ['demo', '--json', '--password', PASSWORD], { env, encoding: 'utf8' }),
  );
  const server = spawn(binary, ['--addr', '127.0.0.1:0', 'serve'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
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
    base: `http://127.0.0.1:${port}`,
    async stop() {
      server.kill('SIGTERM');
      await new Promise((ok) => server.once('exit', ok));
      rmSync(dir, { recursive: true, force: true });
    },
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
