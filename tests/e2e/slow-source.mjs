//! A slow loopback data source for the learned scan order (issue 9): daily
//! CSV bars for `symbols` symbols (`L000`, `L001`, …) answered after
//! `delayMs` each, where only the last `late` symbols of the list match
//! `rsi(14) < 30` (their last weeks fall steadily; every other series rises).
//! So in universe order the first match waits for almost every request.
//! Bars end on the last weekday before today (a closed session), so a cached
//! entry is fresh. Counts requests per symbol; CORS and CORP headers let an
//! isolated page on another origin read it.
//!
//! As a module: `startSlowSource({symbols, late, delayMs, bars})` resolves to
//! `{url, template, universe, matching, requests(), arrivals(), reset(), close()}`.

import http from 'node:http';

const DAY = 86_400_000;

/** The weekday dates (YYYY-MM-DD) of `n` sessions ending before today (UTC). */
function sessions(n) {
  const out = [];
  let t = Math.floor(Date.now() / DAY) * DAY - DAY;
  while (out.length < n) {
    const wd = new Date(t).getUTCDay();
    if (wd !== 0 && wd !== 6) out.push(new Date(t).toISOString().slice(0, 10));
    t -= DAY;
  }
  return out.reverse();
}

/** A small deterministic generator (no Math.random: the same market every run). */
function lcg(seed) {
  let s = (seed * 2654435761) >>> 0 || 1;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function series(index, falls, dates) {
  const rnd = lcg(index + 1);
  let close = 50 + (index % 50);
  const rows = ['Date,Open,High,Low,Close,Volume'];
  const n = dates.length;
  for (let i = 0; i < n; i++) {
    const wiggle = (rnd() - 0.5) * 0.6;
    // Matching symbols fall 1.5% a day over their last 30 sessions; the rest
    // drift up with the same noise, so RSI(14) stays well above 30.
    const drift = falls && i >= n - 30 ? -0.015 : 0.004;
    const open = close;
    close = Math.max(1, close * (1 + drift) + wiggle);
    const high = Math.max(open, close) + 0.2;
    const low = Math.min(open, close) - 0.2;
    rows.push(`${dates[i]},${open.toFixed(4)},${high.toFixed(4)},${low.toFixed(4)},${close.toFixed(4)},${100000 + index}`);
  }
  return rows.join('\n') + '\n';
}

export function startSlowSource({ symbols = 300, late = 30, delayMs = 60, bars = 250, host = '127.0.0.1' } = {}) {
  const dates = sessions(bars);
  const universe = Array.from({ length: symbols }, (_, i) => `L${String(i).padStart(3, '0')}`);
  const matching = universe.slice(symbols - late);
  const bodies = new Map(universe.map((s, i) => [s, series(i, i >= symbols - late, dates)]));
  let log = new Map();
  let arrivals = [];
  const headers = {
    'Access-Control-Allow-Origin': '*',
    'Cross-Origin-Resource-Policy': 'cross-origin',
    'Cache-Control': 'no-store',
  };
  const server = http.createServer((req, res) => {
    const name = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname).replace(/^\//, '').replace(/\.csv$/, '');
    log.set(name, (log.get(name) ?? 0) + 1);
    arrivals.push(name);
    const body = bodies.get(name);
    setTimeout(() => {
      if (res.destroyed) return;
      if (body === undefined) {
        res.writeHead(404, { ...headers, 'Content-Type': 'text/plain' });
        res.end(`no such symbol: ${name}`);
        return;
      }
      res.writeHead(200, { ...headers, 'Content-Type': 'text/csv; charset=utf-8' });
      res.end(body);
    }, delayMs);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => {
      const url = `http://${host}:${server.address().port}/`;
      resolve({
        url,
        template: `${url}{symbol}.csv`,
        universe,
        matching,
        requests: () => Object.fromEntries(log),
        /** Symbols in the order their requests arrived. */
        arrivals: () => [...arrivals],
        reset: () => { log = new Map(); arrivals = []; },
        close: () => new Promise((done) => {
          server.closeAllConnections?.();
          server.close(() => done());
        }),
      });
    });
  });
}
