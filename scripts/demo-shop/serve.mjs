// A two-page demo shop that embeds Farewell with its one line, for scripts/serve.sh: a newcomer
// arms the survey here, leaves, answers, and finds the answer on the dashboard.
// Usage: FAREWELL_URL=http://127.0.0.1:3000 FAREWELL_SITE_KEY=st_… node serve.mjs [port]
// Serve it as http://localhost:<port>: that is the origin the demo site allows.
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const farewell = (process.env.FAREWELL_URL ?? 'http://127.0.0.1:3000').replace(/\/$/, '');
const siteKey = process.env.FAREWELL_SITE_KEY ?? '';
const port = Number(process.argv[2] ?? process.env.FAREWELL_SHOP_PORT ?? 8080);
if (!/^st_[0-9a-f]{20}$/.test(siteKey)) {
  console.error('demo shop: FAREWELL_SITE_KEY must be the demo site key (st_ and 20 hex digits)');
  process.exit(2);
}
const pages = { '/': 'index.html', '/cart': 'cart.html' };
const escape = (s) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

const server = createServer((req, res) => {
  const path = new URL(req.url, 'http://shop').pathname;
  if (path === '/favicon.ico') {
    res.writeHead(204);
    res.end();
    return;
  }
  const file = pages[path];
  if (!file) {
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found');
    return;
  }
  const html = readFileSync(join(here, file), 'utf8')
    .replaceAll('{{FAREWELL}}', escape(farewell))
    .replaceAll('{{SITE_KEY}}', escape(siteKey));
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(html);
});
server.listen(port, '127.0.0.1', () => {
  console.error(`demo shop on http://localhost:${server.address().port}/`);
});
