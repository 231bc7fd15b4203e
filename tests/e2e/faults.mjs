//! The loopback market-data server for the end-to-end tests: URL-template
//! files (CSV, Polygon- and Binance-shaped JSON), the Binance, Polygon, Twelve
//! Data and Coinbase endpoints in each service's documented shape (generated
//! daily bars, or the repo's fixtures under /fixtures/), and fault injection per
//! symbol: 5xx (optionally only the first N times), 429 with Retry-After, a
//! hang, a truncated body, invalid JSON, a bad row, an empty answer and a stall.
//! Every request is logged (path, query, Authorization header, symbol, fault,
//! time, and whether the client went away before the response ended).
//! No dependencies.
//!
//! Usage: node tests/e2e/faults.mjs [--port 8091] [--host 127.0.0.1] [--quiet]
//! As a module: `startFaultServer({port, host})` resolves to
//!   `{url, port, setFaults(obj), setConfig(obj), reset(), log(), close()}`.
//!
//! Data endpoints (SYMBOL = any symbol; bars are generated per symbol):
//!   GET /csv/{SYMBOL}.csv                     Date,Open,High,Low,Close,Volume (weekdays)
//!   GET /polygon/{SYMBOL}.json                Polygon aggregates v2 JSON (weekdays)
//!   GET /binance/{SYMBOL}.json                Binance klines JSON (every day)
//!   GET /api/v3/klines?symbol=&interval=1d[&startTime=][&endTime=][&limit=]
//!                                             Binance semantics: ascending, startTime/endTime
//!                                             filter, newest `limit` when no startTime (default 500, max 1000);
//!                                             interval 1m 5m 15m 1h 4h 1d (others: 400, code -1120)
//!   GET /api/v3/ticker/24hr                   the fixture's tickers + one USDT ticker per configured symbol
//!   GET /v2/aggs/ticker/{SYMBOL}/range/1/day/{from}/{to}?apiKey=   Polygon
//!   GET /time_series?symbol=&start_date=&end_date=&apikey=         Twelve Data (newest first)
//!   GET /products/{PRODUCT}/candles?granularity=86400&start=&end=  Coinbase (newest first, ≤300);
//!                                             granularity 60 300 900 3600 21600 86400 (others: 400)
//!   GET /fixtures/{service}/{file}            a file of tests/fixtures as it is
//! Bars end on the server's "today" (UTC day, default the real one; the last
//! bar is today's still-open session) and there are `bars` of them (default 300).
//! Intraday bars (every interval but 1d) are spaced by their interval and end
//! at the period holding the server's "now" (config `now` in epoch ms, else
//! the real time of day on "today"), the still-open one; `bars` of them too.
//! Each log entry names the interval asked for (`interval`: Binance's name,
//! or Coinbase's granularity as one: 3600 → `1h`; null for daily-only routes).
//!
//! Control API (never logged):
//!   POST /__faults  {"SYMBOL": spec, "*": spec}   adds faults (merged; null removes one)
//!   POST /__config  {"today": "2026-11-28" | dayNumber, "now": epochMs, "bars": 300, "barsBySymbol": {"X": 40}, "symbols": [..]}
//!   POST /__reset   clears faults, counters, config and the log
//!   GET  /__log     [{id, method, path, query, symbol, interval, fault, status, time, endTime, finished, aborted, abortedAt}]
//! A fault spec is a string or an object {type, times, retryAfter, line, ms}:
//!   "500", "503", "404", …   that status every time; "503x2": the first 2 requests, then normal
//!   "429"                    429 with Retry-After: 1 (object form: retryAfter seconds); "429x1" once
//!   "hang"                   never answers (the client's timeout or Stop ends it)
//!   "truncate"               Content-Length larger than the half body sent, then the socket is destroyed
//!   "badjson"                200 with a body that is not valid JSON
//!   "badrow"                 200 with one bad value (CSV: on line 5, or {line}; JSON: the 3rd bar)
//!   "empty"                  200 with no bars (JSON `[]` / no results; CSV: the header only)
//!   "stall"                  200, headers and a first chunk sent, then nothing (an in-flight stall)
//!   "slow"                   the normal answer after {ms} (default 1500) ms
//! Every response carries `Access-Control-Allow-Origin: *`,
//! `Access-Control-Expose-Headers: Retry-After` and
//! `Cross-Origin-Resource-Policy: cross-origin`, so a COOP/COEP page can read it.

import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const FIXTURES = path.resolve(HERE, '../fixtures');
export const DAY_MS = 86_400_000;
/** Bar lengths by Binance interval name. */
export const INTERVAL_MS = { '1m': 60_000, '5m': 300_000, '15m': 900_000, '1h': 3_600_000, '4h': 14_400_000, '1d': DAY_MS };
/** Coinbase granularities (seconds) by the interval name they stand for. */
const GRANULARITY_NAME = { 60: '1m', 300: '5m', 900: '15m', 3600: '1h', 21600: '6h', 86400: '1d' };

/** UTC day number of an ISO date or epoch ms. */
export function dayOf(value) {
  if (typeof value === 'number') return Math.floor(value / DAY_MS);
  const ms = Date.parse(`${value}T00:00:00Z`);
  if (!Number.isFinite(ms)) throw new Error(`not a date: ${value}`);
  return Math.floor(ms / DAY_MS);
}
export const isoDay = (day) => new Date(day * DAY_MS).toISOString().slice(0, 10);
const isWeekday = (day) => (day + 3) % 7 < 5; // 1970-01-01 was a Thursday

/** A small deterministic PRNG seeded by a string (a symbol), so every run serves the same prices (also live-server.mjs). */
export function rng(seed) {
  let h = 2166136261;
  for (const c of seed) h = Math.imul(h ^ c.charCodeAt(0), 16777619);
  let s = h >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * `count` daily bars of `symbol` ending on day `today` (inclusive), on every
 * day (crypto) or weekdays only (stocks). Prices depend on the symbol and the
 * day only, so a longer series extends a shorter one with the same values.
 */
export function makeBars(symbol, { today, count, weekdaysOnly }) {
  const days = [];
  for (let d = today; days.length < count && d > today - count * 2 - 10; d--) {
    if (!weekdaysOnly || isWeekday(d)) days.push(d);
  }
  days.reverse();
  return days.map((day) => {
    const r = rng(`${symbol}:${day}`);
    const base = 50 + (rng(symbol)() * 150) + 20 * Math.sin(day / 17);
    const open = base * (1 + (r() - 0.5) * 0.02);
    const close = base * (1 + (r() - 0.5) * 0.02);
    const high = Math.max(open, close) * (1 + r() * 0.01);
    const low = Math.min(open, close) * (1 - r() * 0.01);
    const volume = Math.round(100_000 + r() * 900_000);
    const f = (x) => Number(x.toFixed(4));
    return { day, time: day * DAY_MS, open: f(open), high: f(high), low: f(low), close: f(close), volume };
  });
}

/**
 * `count` intraday bars of `symbol`, `step` ms apart, the last opening at
 * `end` (a multiple of `step`). Prices depend on the symbol and the open
 * time only, so every request sees the same bar at the same time.
 */
export function makeIntraday(symbol, { step, end, count }) {
  const bars = [];
  for (let k = count - 1; k >= 0; k--) {
    const time = end - k * step;
    const r = rng(`${symbol}:${step}:${time}`);
    const base = 50 + (rng(symbol)() * 150) + 20 * Math.sin(time / step / 17);
    const open = base * (1 + (r() - 0.5) * 0.01);
    const close = base * (1 + (r() - 0.5) * 0.01);
    const high = Math.max(open, close) * (1 + r() * 0.005);
    const low = Math.min(open, close) * (1 - r() * 0.005);
    const volume = Math.round(1_000 + r() * 9_000);
    const f = (x) => Number(x.toFixed(4));
    bars.push({ day: Math.floor(time / DAY_MS), time, open: f(open), high: f(high), low: f(low), close: f(close), volume });
  }
  return bars;
}

// ---- response bodies in each service's shape --------------------------------

const csvBody = (bars) =>
  `Date,Open,High,Low,Close,Volume\n${bars.map((b) => `${isoDay(b.day)},${b.open},${b.high},${b.low},${b.close},${b.volume}`).join('\n')}\n`;

const binanceRows = (bars, step = DAY_MS) => bars.map((b) => [
  b.time, b.open.toFixed(8), b.high.toFixed(8), b.low.toFixed(8), b.close.toFixed(8), b.volume.toFixed(8),
  b.time + step - 1, (b.volume * b.close).toFixed(8), 1000, (b.volume / 2).toFixed(8), ((b.volume * b.close) / 2).toFixed(8), '0',
]);

// Polygon stamps a US session at midnight New York time (05:00 UTC in winter), as in the fixture.
const polygonBody = (symbol, bars) => ({
  ticker: symbol, queryCount: bars.length, resultsCount: bars.length, adjusted: true,
  ...(bars.length ? { results: bars.map((b) => ({ v: b.volume, vw: b.close, o: b.open, c: b.close, h: b.high, l: b.low, t: b.time + 5 * 3_600_000, n: 1000 })) } : {}),
  status: 'OK', request_id: 'loopback', count: bars.length,
});

const twelveBody = (symbol, bars) => ({
  meta: { symbol, interval: '1day', currency: 'USD', exchange_timezone: 'America/New_York', exchange: 'NASDAQ', mic_code: 'XNGS', type: 'Common Stock' },
  values: [...bars].reverse().map((b) => ({
    datetime: isoDay(b.day), open: String(b.open), high: String(b.high), low: String(b.low), close: String(b.close), volume: String(b.volume),
  })),
  status: 'ok',
});

// Coinbase: [time (s), low, high, open, close, volume], newest first.
const coinbaseBody = (bars) => [...bars].reverse().map((b) => [b.time / 1000, b.low, b.high, b.open, b.close, b.volume]);

/** A CSV whose line `line` (1 = the header) has a high that is not a number. */
function badCsv(bars, line) {
  const lines = csvBody(bars).trimEnd().split('\n');
  const i = Math.min(Math.max(line, 2), lines.length) - 1;
  const cells = lines[i].split(',');
  cells[2] = 'abc';
  lines[i] = cells.join(',');
  return `${lines.join('\n')}\n`;
}

// ---- the server --------------------------------------------------------------

function parseSpec(spec) {
  if (spec === null || spec === undefined) return null;
  if (typeof spec === 'object') return { ...spec, type: String(spec.type ?? spec.status ?? 'ok') };
  const s = String(spec).trim().toLowerCase();
  const m = s.match(/^(\d{3}|[a-z]+)(?:x(\d+))?$/);
  if (!m) throw new Error(`bad fault spec ${JSON.stringify(spec)}`);
  return { type: m[1], ...(m[2] ? { times: Number(m[2]) } : {}) };
}

/** Which kind of answer a path asks for, and for which symbol. */
function route(url) {
  const p = decodeURIComponent(url.pathname);
  const q = url.searchParams;
  let m;
  if ((m = p.match(/^\/csv\/(.+)\.csv$/))) return { kind: 'csv', symbol: m[1] };
  if ((m = p.match(/^\/polygon\/(.+)\.json$/))) return { kind: 'polygon-file', symbol: m[1] };
  if ((m = p.match(/^\/binance\/(.+)\.json$/))) return { kind: 'binance-file', symbol: m[1] };
  if (p === '/api/v3/klines') return { kind: 'klines', symbol: q.get('symbol') ?? '' };
  if (p === '/api/v3/ticker/24hr') return { kind: 'ticker', symbol: null };
  if ((m = p.match(/^\/v2\/aggs\/ticker\/([^/]+)\/range\/1\/day\/([^/]+)\/([^/]+)$/))) return { kind: 'polygon', symbol: m[1], from: m[2], to: m[3] };
  if (p === '/time_series') return { kind: 'twelvedata', symbol: q.get('symbol') ?? '' };
  if ((m = p.match(/^\/products\/([^/]+)\/candles$/))) return { kind: 'coinbase', symbol: m[1] };
  if ((m = p.match(/^\/fixtures\/([a-z]+)\/([A-Za-z0-9_.-]+)$/))) return { kind: 'fixture', symbol: null, file: path.join(FIXTURES, m[1], m[2]) };
  return { kind: 'unknown', symbol: null };
}

/** Starts the server; resolves once it listens. */
export function startFaultServer({ port = 0, host = '127.0.0.1', quiet = true } = {}) {
  const fresh = () => ({
    faults: new Map(), // symbol (or '*') → spec
    served: new Map(), // symbol → requests seen (for "first N times")
    log: [],
    config: { today: null, now: null, bars: 300, barsBySymbol: {}, symbols: [] },
  });
  let state = fresh();
  let nextId = 1;
  const sockets = new Set();

  const today = () => (state.config.today === null ? dayOf(Date.now()) : state.config.today);
  const barCount = (symbol) => state.config.barsBySymbol?.[symbol] ?? state.config.bars;
  /** The server's "now": config `now`, else the real time of day on "today". */
  const now = () => state.config.now ?? (today() * DAY_MS + (Date.now() % DAY_MS));
  /** `symbol`'s bars `step` ms apart (daily: the day bars), ending at "now". */
  const barsAt = (symbol, step) => (step === DAY_MS
    ? makeBars(symbol, { today: today(), count: barCount(symbol), weekdaysOnly: false })
    : makeIntraday(symbol, { step, end: Math.floor(now() / step) * step, count: barCount(symbol) }));

  const cors = {
    'Access-Control-Allow-Origin': '*',
    // `*` never covers Authorization (Fetch standard): it is named.
    'Access-Control-Allow-Headers': 'Authorization, *',
    'Access-Control-Allow-Methods': 'GET, HEAD, POST, OPTIONS',
    'Access-Control-Expose-Headers': 'Retry-After, Content-Length',
    'Cross-Origin-Resource-Policy': 'cross-origin',
    'Cache-Control': 'no-store',
  };

  const send = (res, status, body, type = 'application/json; charset=utf-8', extra = {}) => {
    const buf = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
    res.writeHead(status, { ...cors, 'Content-Type': type, 'Content-Length': buf.length, ...extra });
    res.end(buf);
  };

  const readJson = (req) => new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8').trim();
      try { resolve(text ? JSON.parse(text) : {}); } catch (e) { reject(e); }
    });
    req.on('error', reject);
  });

  /** The normal answer of a route: [status, body, content type]. */
  function normal(r, url) {
    const q = url.searchParams;
    const t = today();
    const n = r.symbol ? barCount(r.symbol) : 0;
    switch (r.kind) {
      case 'csv': return [200, csvBody(makeBars(r.symbol, { today: t, count: n, weekdaysOnly: true })), 'text/csv; charset=utf-8'];
      case 'polygon-file': return [200, polygonBody(r.symbol, makeBars(r.symbol, { today: t, count: n, weekdaysOnly: true }))];
      case 'binance-file': return [200, binanceRows(makeBars(r.symbol, { today: t, count: n, weekdaysOnly: false }))];
      case 'klines': {
        if (!/^[A-Z0-9-_.]{1,20}$/.test(r.symbol)) return [400, { code: -1121, msg: 'Invalid symbol.' }];
        const step = INTERVAL_MS[q.get('interval') ?? '1d'];
        if (!step) return [400, { code: -1120, msg: 'Invalid interval.' }];
        let bars = barsAt(r.symbol, step);
        const start = q.has('startTime') ? Number(q.get('startTime')) : null;
        const end = q.has('endTime') ? Number(q.get('endTime')) : null;
        const limit = Math.min(Math.max(Number(q.get('limit') ?? 500) || 500, 1), 1000);
        if (start !== null) bars = bars.filter((b) => b.time >= start);
        if (end !== null) bars = bars.filter((b) => b.time <= end);
        bars = start !== null ? bars.slice(0, limit) : bars.slice(-limit);
        return [200, binanceRows(bars, step)];
      }
      case 'ticker': {
        const fixture = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'binance', 'ticker_24hr.json'), 'utf8'));
        const mine = (state.config.symbols ?? []).map((symbol, i) => ({
          ...fixture[0], symbol, lastPrice: '100.00000000', volume: '1000000.00000000',
          quoteVolume: String(1e12 - i * 1e9), // above any fixture entry, in the given order
        }));
        return [200, [...mine, ...fixture]];
      }
      case 'polygon': {
        const from = dayOf(r.from);
        const to = dayOf(r.to);
        const bars = makeBars(r.symbol, { today: t, count: n, weekdaysOnly: true }).filter((b) => b.day >= from && b.day <= to);
        return [200, polygonBody(r.symbol, bars)];
      }
      case 'twelvedata': {
        const from = q.get('start_date') ? dayOf(q.get('start_date').slice(0, 10)) : -Infinity;
        const to = q.get('end_date') ? dayOf(q.get('end_date').slice(0, 10)) : Infinity;
        const bars = makeBars(r.symbol, { today: t, count: n, weekdaysOnly: true }).filter((b) => b.day >= from && b.day <= to);
        return [200, twelveBody(r.symbol, bars)];
      }
      case 'coinbase': {
        const granularity = Number(q.get('granularity') ?? 86400);
        if (!GRANULARITY_NAME[granularity]) return [400, { message: 'Unsupported granularity' }];
        const from = q.get('start') ? Date.parse(q.get('start')) : -Infinity;
        const to = q.get('end') ? Date.parse(q.get('end')) : Infinity;
        const bars = barsAt(r.symbol, granularity * 1000).filter((b) => b.time >= from && b.time <= to).slice(-300);
        return [200, coinbaseBody(bars)];
      }
      case 'fixture':
        try {
          const body = fs.readFileSync(r.file, 'utf8');
          return [200, body, r.file.endsWith('.json') ? 'application/json; charset=utf-8' : 'text/plain; charset=utf-8'];
        } catch {
          return [404, { error: 'no such fixture' }];
        }
      default: return [404, { error: `no route for ${url.pathname}` }];
    }
  }

  /** The body of a 200 with no bars, in the route's shape. */
  function emptyBody(r) {
    switch (r.kind) {
      case 'csv': return ['Date,Open,High,Low,Close,Volume\n', 'text/csv; charset=utf-8'];
      case 'polygon-file': case 'polygon': return [JSON.stringify(polygonBody(r.symbol, []))];
      case 'twelvedata': return [JSON.stringify({ ...twelveBody(r.symbol, []), values: [] })];
      default: return ['[]'];
    }
  }

  /** A 200 body with one bad value (CSV: a line; JSON: the 3rd bar). */
  function badRowBody(r, spec) {
    const bars = makeBars(r.symbol, { today: today(), count: Math.max(barCount(r.symbol), 5), weekdaysOnly: r.kind === 'csv' });
    if (r.kind === 'csv') return [badCsv(bars, spec.line ?? 5), 'text/csv; charset=utf-8'];
    const [, body] = normal(r, new URL('http://x/'));
    const text = JSON.stringify(body);
    // Replace the third bar's high with a word; the parsers report its path.
    if (Array.isArray(body) && Array.isArray(body[2])) { body[2][2] = 'abc'; return [JSON.stringify(body)]; }
    if (body?.results?.[2]) { body.results[2].h = 'abc'; return [JSON.stringify(body)]; }
    if (body?.values?.[2]) { body.values[2].high = 'abc'; return [JSON.stringify(body)]; }
    return [text];
  }

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method === 'OPTIONS') {
      res.writeHead(204, cors);
      res.end();
      return;
    }
    // ---- control API
    try {
      if (url.pathname === '/__log') return send(res, 200, state.log);
      if (url.pathname === '/__reset' && req.method === 'POST') {
        state = fresh();
        return send(res, 200, { ok: true });
      }
      if (url.pathname === '/__faults' && req.method === 'POST') {
        api.setFaults(await readJson(req));
        return send(res, 200, Object.fromEntries(state.faults));
      }
      if (url.pathname === '/__config' && req.method === 'POST') {
        api.setConfig(await readJson(req));
        return send(res, 200, { ...state.config, today: isoDay(today()) });
      }
    } catch (e) {
      return send(res, 400, { error: String(e.message ?? e) });
    }

    // ---- data endpoints
    const r = route(url);
    const symbol = r.symbol;
    const seen = symbol ? (state.served.get(symbol) ?? 0) + 1 : 0;
    if (symbol) state.served.set(symbol, seen);
    let spec = symbol ? (state.faults.get(symbol) ?? state.faults.get('*') ?? null) : null;
    if (spec?.times !== undefined && seen > spec.times) spec = null; // the fault has run out
    const entry = {
      id: nextId++, method: req.method, path: url.pathname, query: Object.fromEntries(url.searchParams),
      authorization: req.headers.authorization ?? null,
      symbol, kind: r.kind, attempt: seen, fault: spec?.type ?? null, status: null,
      interval: r.kind === 'klines' ? (url.searchParams.get('interval') ?? null)
        : r.kind === 'coinbase' ? (GRANULARITY_NAME[url.searchParams.get('granularity')] ?? url.searchParams.get('granularity'))
          : null,
      time: Date.now(), endTime: null, finished: false, aborted: false, abortedAt: null,
    };
    state.log.push(entry);
    if (!quiet) process.stderr.write(`${req.method} ${req.url}${spec ? ` [${spec.type}]` : ''}\n`);
    res.on('finish', () => { entry.finished = true; entry.endTime = Date.now(); });
    // The client went away before the whole response was written (Stop, a timeout).
    res.on('close', () => {
      if (!entry.finished) { entry.aborted = true; entry.abortedAt = Date.now(); }
    });

    const type = spec?.type ?? 'ok';
    if (/^\d{3}$/.test(type)) {
      const status = Number(type);
      entry.status = status;
      const extra = status === 429 ? { 'Retry-After': String(spec.retryAfter ?? 1) } : {};
      const body = status === 429 ? { code: -1003, msg: 'Too many requests; loopback fault.' } : { error: `loopback fault ${status}` };
      return send(res, status, body, undefined, extra);
    }
    switch (type) {
      case 'hang':
        return; // nothing, ever: the socket stays open until the client gives up
      case 'stall': {
        entry.status = 200;
        const [, body] = normal(r, url);
        const text = typeof body === 'string' ? body : JSON.stringify(body);
        res.writeHead(200, { ...cors, 'Content-Type': 'application/octet-stream', 'Content-Length': Buffer.byteLength(text) });
        res.write(text.slice(0, Math.max(1, Math.floor(text.length / 4))));
        return; // and never the rest
      }
      case 'truncate': {
        entry.status = 200;
        const [, body, ctype] = normal(r, url);
        const buf = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
        res.writeHead(200, { ...cors, 'Content-Type': ctype ?? 'application/json; charset=utf-8', 'Content-Length': buf.length });
        res.write(buf.subarray(0, Math.floor(buf.length / 2)), () => setTimeout(() => res.socket?.destroy(), 20));
        return;
      }
      case 'badjson':
        entry.status = 200;
        return send(res, 200, '[[1704067200000, "42283.58", "44184.10", oops\n', 'application/json; charset=utf-8');
      case 'empty': {
        entry.status = 200;
        const [body, ctype] = emptyBody(r);
        return send(res, 200, body, ctype);
      }
      case 'badrow': {
        entry.status = 200;
        const [body, ctype] = badRowBody(r, spec);
        return send(res, 200, body, ctype);
      }
      case 'slow':
        await new Promise((done) => setTimeout(done, spec.ms ?? 1500));
        if (res.destroyed || res.writableEnded) return;
        break;
      case 'ok':
        break;
      default:
        entry.status = 500;
        return send(res, 500, { error: `unknown fault ${type}` });
    }
    const [status, body, ctype] = normal(r, url);
    entry.status = status;
    return send(res, status, body, ctype);
  });
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });

  const api = {
    /** Merges `{symbol: spec}` into the faults (null removes one). */
    setFaults(obj) {
      for (const [symbol, spec] of Object.entries(obj ?? {})) {
        const parsed = parseSpec(spec);
        if (parsed) state.faults.set(symbol, parsed);
        else state.faults.delete(symbol);
      }
    },
    clearFaults() { state.faults = new Map(); state.served = new Map(); },
    /** `{today, now, bars, barsBySymbol, symbols}`; `today` as an ISO date or a UTC day number, `now` in epoch ms. */
    setConfig(obj) {
      const c = { ...state.config, ...obj };
      if (obj.today !== undefined && obj.today !== null) c.today = typeof obj.today === 'number' ? obj.today : dayOf(obj.today);
      state.config = c;
    },
    today,
    now,
    reset() { state = fresh(); },
    log() { return state.log.map((e) => ({ ...e })); },
    clearLog() { state.log = []; },
  };

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const actual = server.address().port;
      resolve({
        ...api,
        url: `http://${host}:${actual}`,
        port: actual,
        close: () => new Promise((done) => {
          for (const s of sockets) s.destroy();
          server.close(() => done());
        }),
      });
    });
  });
}

/** `--port N --host H --quiet` of a loopback test server's command line (also live-server.mjs). */
export function serverArgs(argv, port) {
  const opts = { port, host: '127.0.0.1', quiet: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--port') opts.port = Number(argv[++i]);
    else if (a === '--host') opts.host = argv[++i];
    else if (a === '--quiet') opts.quiet = true;
    else throw new Error(`unknown argument ${a} (use --port N, --host H, --quiet)`);
  }
  return opts;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const s = await startFaultServer(serverArgs(process.argv.slice(2), 8091));
  console.log(`fault server at ${s.url} (today ${isoDay(s.today())}); POST /__faults, /__config, /__reset; GET /__log`);
}
