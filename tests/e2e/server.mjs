//! A static server for the built `dist/` in tests and the benchmark: COOP/COEP
//! headers (or none, with `--no-isolation`), `Cache-Control: no-store`, the MIME
//! types the app needs, and a request log the tests read to count bar requests.
//!
//! Usage: node tests/e2e/server.mjs [--dir dist] [--port 8090] [--host 127.0.0.1] [--no-isolation] [--cors]
//! Control endpoints (never files):
//!   GET  /__requests  → {"GET /data/AAPL.csv": 1, …} since the last reset (the
//!                       service worker's precache as "GET /data/AAPL.csv (precache)")
//!   POST /__reset     → clears the log
//! As a module: `startServer({dir, port, isolation, cors})` resolves to
//! `{url, port, close(), requests(), reset()}` (port 0 picks a free one).

import http from 'node:http';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.csv': 'text/csv; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.webmanifest': 'application/manifest+json',
  '.ico': 'image/x-icon',
  '.map': 'application/json; charset=utf-8',
};

function mimeOf(file) {
  return MIME[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

/** Starts the server; resolves once it listens. */
export function startServer({ dir = 'dist', port = 0, host = '127.0.0.1', isolation = true, cors = false, quiet = true } = {}) {
  const root = path.resolve(dir);
  // Counts per "METHOD /path" (query strings dropped: a bar is a bar).
  let log = new Map();

  const baseHeaders = () => {
    const h = { 'Cache-Control': 'no-store' };
    if (isolation) {
      h['Cross-Origin-Opener-Policy'] = 'same-origin';
      h['Cross-Origin-Embedder-Policy'] = 'require-corp';
      h['Cross-Origin-Resource-Policy'] = 'same-origin';
    }
    if (cors) {
      // A data host for another origin's page (the url source in the benchmark).
      h['Access-Control-Allow-Origin'] = '*';
      h['Cross-Origin-Resource-Policy'] = 'cross-origin';
    }
    return h;
  };

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const pathname = decodeURIComponent(url.pathname);

    if (pathname === '/__requests') {
      res.writeHead(200, { ...baseHeaders(), 'Content-Type': 'application/json' });
      res.end(JSON.stringify(Object.fromEntries(log)));
      return;
    }
    if (pathname === '/__reset') {
      log = new Map();
      res.writeHead(204, baseHeaders());
      res.end();
      return;
    }

    // The service worker's precache downloads (www/coi-sw.js adds `?__rev=`)
    // are logged apart: tests count what the app fetches.
    const key = `${req.method} ${pathname}${url.searchParams.has('__rev') ? ' (precache)' : ''}`;
    log.set(key, (log.get(key) ?? 0) + 1);
    if (!quiet) process.stderr.write(`${key}\n`);

    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { ...baseHeaders(), Allow: 'GET, HEAD' });
      res.end();
      return;
    }
    // Resolve inside root only (no `..` escapes).
    let file = path.join(root, pathname);
    if (file !== root && !file.startsWith(root + path.sep)) {
      res.writeHead(403, baseHeaders());
      res.end('forbidden');
      return;
    }
    try {
      let stat = await fs.stat(file);
      if (stat.isDirectory()) {
        file = path.join(file, 'index.html');
        stat = await fs.stat(file);
      }
      const body = await fs.readFile(file);
      res.writeHead(200, { ...baseHeaders(), 'Content-Type': mimeOf(file), 'Content-Length': body.length });
      res.end(req.method === 'HEAD' ? undefined : body);
    } catch {
      res.writeHead(404, { ...baseHeaders(), 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(`not found: ${pathname}`);
    }
  });

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const actual = server.address().port;
      resolve({
        url: `http://${host}:${actual}/`,
        port: actual,
        isolation,
        requests: () => Object.fromEntries(log),
        reset: () => { log = new Map(); },
        close: () => new Promise((done) => {
          server.closeAllConnections?.();
          server.close(() => done());
        }),
      });
    });
  });
}

function parseArgs(argv) {
  const opts = { dir: 'dist', port: 8090, host: '127.0.0.1', isolation: true, cors: false, quiet: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--no-isolation') opts.isolation = false;
    else if (a === '--cors') opts.cors = true;
    else if (a === '--quiet') opts.quiet = true;
    else if (a === '--dir') opts.dir = argv[++i];
    else if (a === '--port') opts.port = Number(argv[++i]);
    else if (a === '--host') opts.host = argv[++i];
    else throw new Error(`unknown argument ${a} (use --dir D, --port N, --host H, --no-isolation, --cors, --quiet)`);
  }
  return opts;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const opts = parseArgs(process.argv.slice(2));
  const s = await startServer(opts);
  console.log(`serving ${path.resolve(opts.dir)} at ${s.url} (${opts.isolation ? 'COOP/COEP' : 'no isolation headers'})`);
}
