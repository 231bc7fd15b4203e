//! The loopback Binance live server for the end-to-end tests of live scanning
//! (issue 11) and the latency benchmark: Binance's REST klines and 24 h tickers
//! and its WebSocket kline streams on one port, in Binance's documented shapes,
//! on a clock of its own that only the test moves, with fault injection.
//! Depends on the npm package `ws` only; imports nothing from the app.
//!
//! Usage: node tests/e2e/live-server.mjs [--port 8093] [--host 127.0.0.1] [--quiet]
//! As a module: `startLiveServer({port, host, quiet, pingMs})` resolves to
//!   `{url, wsUrl, port, configure(obj), set(obj), closeBars(obj), advance(obj),
//!     fault(type), state(), reset(), close()}` (the control API below, in-process).
//!
//! Market data (SYMBOL any symbol; the series is generated per symbol and interval):
//!   GET /api/v3/klines?symbol=&interval=[&startTime=][&endTime=][&limit=]
//!       rows [t, o, h, l, c, v, T, q, n, V, Q, "0"], prices as strings; ascending by open
//!       time; startTime/endTime filter the open time (inclusive); limit default 500, at
//!       most 1000; without startTime the newest `limit`. The last row is the bar forming
//!       at the server's now, with its values so far (as Binance does).
//!   GET /api/v3/ticker/24hr[?symbol=]   one USDT ticker per configured symbol, quote
//!       volume falling in the configured order (so a top-N pick takes them in order)
//!   WS  /stream?streams=btcusdt@kline_5m/ethusdt@kline_5m   combined:
//!       {"stream":…,"data":{"e":"kline","E":…,"s":"BTCUSDT","k":{t,T,s,i,f,L,o,c,h,l,v,n,x,q,V,Q,B}}}
//!   WS  /ws/btcusdt@kline_5m   raw: the `data` object alone
//!   WS  /ws  with {"method":"SUBSCRIBE"|"UNSUBSCRIBE"|"LIST_SUBSCRIPTIONS","params":[…],"id":n}
//!       Stream names are `<lower-case symbol>@kline_<interval>`; another name, none, or more
//!       than 1024 of them: the socket is closed with 1008 and a reason. Streams of another
//!       interval than the configured one are accepted and stay silent. A ping every
//!       `pingMs` (default 20 000, Binance's; browsers answer with a pong, counted).
//! The series of each (symbol, interval) has `bars` bars (default 300) when configured,
//! ending with the bar forming at `now`; it grows by one bar each time now passes an
//! interval boundary. Bars are generated from the symbol and the open time (the same
//! every run) unless set or closed with values. Intervals: 1m 5m 15m 1h 4h 1d.
//! Every response carries `Access-Control-Allow-Origin: *` and
//! `Cross-Origin-Resource-Policy: cross-origin`, so a COOP/COEP page can read it.
//!
//! Control API (POST bodies are JSON; not counted in the state):
//!   POST /__live/config  {"interval":"5m","symbols":["BTCUSDT",…],"bars":300,"now":<ms>,"pingMs":20000}
//!        restarts every series at the given now (default: the real time when called)
//!   POST /__live/set     {"symbol":"BTCUSDT","close":123.4,"open"?,"high"?,"low"?,"volume"?,"send"?}
//!        sets the forming bar's values (short names o/h/l/c/v also work); the next update
//!        message carries them (`"send":true` sends that x:false update now). High and low
//!        widen to the open and close unless given.
//!   POST /__live/close   {"symbols":["BTCUSDT"] | "all", "values":{"BTCUSDT":{o,h,l,c,v}}?}
//!        for each listed symbol ("all" = the configured ones): its forming bar takes the
//!        values, one x:true update is sent for it; then now advances by one interval (every
//!        series gains that bar as closed, unlisted symbols silently) and each listed symbol
//!        gets one x:false update of its new forming bar.
//!        → {sentAt: Date.now() right after the x:true frames were written, barOpen, sent, now}
//!   POST /__live/advance {"bars":3,"send":false}   now advances by N intervals; with send
//!        false (the default) the bars close silently (a gap the client fills by REST);
//!        with send true it is N closes of "all".
//!   POST /__live/fault   {"type": …}   applied to the sockets open at that moment:
//!        "drop"        an x:false update of every stream, then every socket is cut (no close frame)
//!        "stall"       sockets stay open, nothing is sent (data or ping) until "unstall";
//!                      data meant for them meanwhile is discarded (counted as `stalled`)
//!        "unstall"
//!        "malformed"   to each socket: one frame that is not JSON, then one kline update
//!                      of its first stream with "c":"abc"
//!        "duplicate"   the last x:true message of each stream, sent again
//!        "outOfOrder"  an x:false update of the bar before the forming one, for each stream
//!        "shutdown24h" every socket closed with code 1000 (Binance's 24 h cut)
//!        "refuse"      new WebSocket handshakes answered 503 until "accept" (counted as `refused`)
//!        "accept"
//!   GET  /__live/state   {now, interval, formingOpen, symbols, connections: [{id, path, streams,
//!        openedAt, closedAt, closedBy: "client"|"server"|null, code, pongs, received}], open,
//!        opened, refused, klineRequests: [{symbol, interval, startTime, endTime, limit, bars,
//!        at}], sent, stalled, faults: {stall, refuse}}   (times in real ms; `sent` counts data
//!        frames written, not pings or subscription replies)
//!   POST /__live/reset   closes every socket (code 1001), clears faults, logs and counters,
//!        and restores the default config
//! Control errors answer 400 {error} naming the field.

import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocketServer } from 'ws';
import { rng, serverArgs } from './faults.mjs';

export const INTERVALS = {
  '1m': 60_000, '5m': 300_000, '15m': 900_000, '1h': 3_600_000, '4h': 14_400_000, '1d': 86_400_000,
};
export const MAX_STREAMS = 1024;
/** The clock a fresh server starts on unless configured: the real time then. */
const DEFAULT_CONFIG = { interval: '5m', symbols: ['BTCUSDT', 'ETHUSDT'], bars: 300, pingMs: 20_000 };
const FAULTS = ['drop', 'stall', 'unstall', 'malformed', 'duplicate', 'outOfOrder', 'shutdown24h', 'refuse', 'accept'];

/** A control request the server cannot act on; answered 400 with the message. */
class ControlError extends Error {}
const bad = (msg) => { throw new ControlError(msg); };


/** The generated bar of `symbol` opening at `t` (prices 30…220, depending on the symbol and the bar only). */
export function generatedBar(symbol, intervalMs, t) {
  const k = t / intervalMs;
  const r = rng(`${symbol}:${intervalMs}:${t}`);
  const base = 50 + rng(symbol)() * 150 + 20 * Math.sin(k / 17);
  const o = base * (1 + (r() - 0.5) * 0.02);
  const c = base * (1 + (r() - 0.5) * 0.02);
  const h = Math.max(o, c) * (1 + r() * 0.01);
  const l = Math.min(o, c) * (1 - r() * 0.01);
  const v = 1_000 + r() * 9_000;
  const f = (x) => Number(x.toFixed(4));
  return { t, o: f(o), h: f(h), l: f(l), c: f(c), v: f(v), n: 1000 };
}

const num = (x) => Number(x).toFixed(8);
const floorTo = (ms, intervalMs) => Math.floor(ms / intervalMs) * intervalMs;

/** A bar in Binance's REST kline row shape. */
export function klineRow(bar, intervalMs) {
  return [bar.t, num(bar.o), num(bar.h), num(bar.l), num(bar.c), num(bar.v), bar.t + intervalMs - 1,
    num(bar.v * bar.c), bar.n, num(bar.v / 2), num((bar.v * bar.c) / 2), '0'];
}

/** A bar as the `data` of a Binance kline stream event. */
export function klineEvent(symbol, interval, bar, { closed, eventTime }) {
  const intervalMs = INTERVALS[interval];
  const firstTrade = (bar.t / 1000) * 7;
  return {
    e: 'kline', E: eventTime, s: symbol,
    k: {
      t: bar.t, T: bar.t + intervalMs - 1, s: symbol, i: interval, f: firstTrade, L: firstTrade + bar.n - 1,
      o: num(bar.o), c: num(bar.c), h: num(bar.h), l: num(bar.l), v: num(bar.v), n: bar.n, x: closed,
      q: num(bar.v * bar.c), V: num(bar.v / 2), Q: num((bar.v * bar.c) / 2), B: '0',
    },
  };
}

const streamName = (symbol, interval) => `${symbol.toLowerCase()}@kline_${interval}`;
const STREAM_RE = /^([a-z0-9]{1,20})@kline_(1m|5m|15m|1h|4h|1d)$/;

/** Reads bar values from a control body: o/h/l/c/v or open/high/low/close/volume, finite numbers. */
function valuesOf(obj, where) {
  const out = {};
  for (const [short, long] of [['o', 'open'], ['h', 'high'], ['l', 'low'], ['c', 'close'], ['v', 'volume']]) {
    const value = obj?.[short] ?? obj?.[long];
    if (value === undefined) continue;
    const n = Number(value);
    if (typeof value === 'boolean' || value === null || !Number.isFinite(n)) bad(`${where}.${long}: not a number: ${JSON.stringify(value)}`);
    out[short] = n;
  }
  return out;
}

/** Starts the server; resolves once it listens. */
export function startLiveServer({ port = 0, host = '127.0.0.1', quiet = true, pingMs } = {}) {
  const fresh = (now = Date.now()) => ({
    config: { ...DEFAULT_CONFIG, ...(pingMs !== undefined ? { pingMs } : {}), anchor: now },
    now,
    overrides: new Map(), // `${symbol}|${interval}` → Map(openTime → values)
    lastClosed: new Map(), // symbol → the data of its last x:true event
    connections: [],
    opened: 0,
    refused: 0,
    klineRequests: [],
    sent: 0,
    stalled: 0,
    faults: { stall: false, refuse: false },
  });
  let state = fresh();
  let nextId = 1;
  const live = new Map(); // connection id → {ws, entry}
  const sockets = new Set();
  const log = (line) => { if (!quiet) process.stderr.write(`${line}\n`); };

  const intervalMs = (interval = state.config.interval) => INTERVALS[interval];
  const formingOpen = (interval = state.config.interval) => floorTo(state.now, intervalMs(interval));
  const firstOpen = (interval) => floorTo(state.config.anchor, intervalMs(interval)) - (state.config.bars - 1) * intervalMs(interval);

  /** The bar of `symbol` opening at `t`: generated, then the values set or closed with. */
  function barAt(symbol, interval, t) {
    const bar = generatedBar(symbol, intervalMs(interval), t);
    const set = state.overrides.get(`${symbol}|${interval}`)?.get(t);
    if (!set) return bar;
    const merged = { ...bar, ...set };
    if (set.h === undefined) merged.h = Math.max(bar.h, merged.o, merged.c);
    if (set.l === undefined) merged.l = Math.min(bar.l, merged.o, merged.c);
    return merged;
  }

  function override(symbol, t, values) {
    const key = `${symbol}|${state.config.interval}`;
    if (!state.overrides.has(key)) state.overrides.set(key, new Map());
    const m = state.overrides.get(key);
    m.set(t, { ...(m.get(t) ?? {}), ...values });
  }

  // ---- the WebSocket side --------------------------------------------------------

  const wss = new WebSocketServer({ noServer: true });

  /** Writes one data frame unless the sockets are stalled; `done` once it is flushed. */
  function write(conn, text, done) {
    if (state.faults.stall) {
      state.stalled++;
      done?.();
      return false;
    }
    if (conn.ws.readyState !== conn.ws.OPEN) {
      done?.();
      return false;
    }
    state.sent++;
    conn.ws.send(text, () => done?.());
    return true;
  }

  const frame = (conn, stream, data) => JSON.stringify(conn.entry.combined ? { stream, data } : data);

  /** Sends `data` (one kline event of `symbol`) to every open socket subscribed to it. */
  function broadcast(symbol, data) {
    const stream = streamName(symbol, state.config.interval);
    let n = 0;
    for (const conn of live.values()) {
      if (conn.streams.has(stream) && write(conn, frame(conn, stream, data))) n++;
    }
    return n;
  }

  /** The symbols of the configured interval a socket listens to (upper case). */
  const symbolsOf = (conn) => [...conn.streams]
    .map((s) => s.match(STREAM_RE))
    .filter((m) => m && m[2] === state.config.interval)
    .map((m) => m[1].toUpperCase());

  function serverClose(conn, code, reason) {
    conn.entry.closedBy ??= 'server';
    conn.ws.close(code, reason);
  }

  function parseStreams(list) {
    if (list.length === 0) return { error: 'no streams' };
    if (list.length > MAX_STREAMS) return { error: `too many streams (${list.length} > ${MAX_STREAMS})` };
    const wrong = list.find((s) => !STREAM_RE.test(s));
    if (wrong !== undefined) return { error: `invalid stream name ${JSON.stringify(wrong).slice(0, 60)}` };
    return { streams: list };
  }

  function onMessage(conn, raw) {
    conn.entry.received++;
    let msg;
    try { msg = JSON.parse(String(raw)); } catch { return serverClose(conn, 1003, 'not JSON'); }
    const id = msg?.id ?? null;
    const reply = (body) => conn.ws.send(JSON.stringify({ ...body, id }));
    const params = Array.isArray(msg?.params) ? msg.params.map(String) : [];
    switch (msg?.method) {
      case 'SUBSCRIBE': {
        const { error } = parseStreams([...new Set([...conn.streams, ...params])]);
        if (error) return reply({ error: { code: 2, msg: error } });
        params.forEach((s) => conn.streams.add(s));
        conn.entry.streams = [...conn.streams];
        return reply({ result: null });
      }
      case 'UNSUBSCRIBE':
        params.forEach((s) => conn.streams.delete(s));
        conn.entry.streams = [...conn.streams];
        return reply({ result: null });
      case 'LIST_SUBSCRIPTIONS':
        return reply({ result: [...conn.streams] });
      default:
        return reply({ error: { code: 1, msg: `unknown method ${JSON.stringify(msg?.method)}` } });
    }
  }

  function onUpgrade(req, socket, head) {
    const url = new URL(req.url ?? '/', 'http://localhost');
    let list = null;
    if (url.pathname === '/stream') list = (url.searchParams.get('streams') ?? '').split('/').filter(Boolean);
    else if (url.pathname === '/ws') list = [];
    else if (url.pathname.startsWith('/ws/')) list = decodeURIComponent(url.pathname.slice(4)).split('/').filter(Boolean);
    if (list === null) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    if (state.faults.refuse) {
      state.refused++;
      log(`WS ${req.url} [refused]`);
      socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const combined = url.pathname === '/stream';
      const parsed = url.pathname === '/ws' ? { streams: [] } : parseStreams(list);
      const entry = {
        id: nextId++, path: url.pathname, combined, streams: parsed.streams ?? list.slice(0, MAX_STREAMS + 1),
        openedAt: Date.now(), closedAt: null, closedBy: null, code: null, pongs: 0, received: 0,
      };
      const conn = { ws, entry, streams: new Set(parsed.streams ?? []) };
      state.connections.push(entry);
      state.opened++;
      live.set(entry.id, conn);
      log(`WS #${entry.id} ${url.pathname} ${entry.streams.length} streams`);
      ws.on('pong', () => { entry.pongs++; });
      ws.on('message', (raw) => onMessage(conn, raw));
      ws.on('error', () => {}); // a reset by the client ends in 'close' too
      ws.on('close', (code) => {
        entry.closedAt = Date.now();
        entry.closedBy ??= 'client';
        entry.code = code;
        live.delete(entry.id);
        log(`WS #${entry.id} closed by ${entry.closedBy} (${code})`);
      });
      if (parsed.error) serverClose(conn, 1008, parsed.error);
    });
  }

  let pinger = null;
  function schedulePings() {
    clearInterval(pinger);
    pinger = state.config.pingMs > 0 ? setInterval(() => {
      if (state.faults.stall) return;
      for (const conn of live.values()) conn.ws.ping();
    }, state.config.pingMs) : null;
    pinger?.unref();
  }

  // ---- the control API ----------------------------------------------------------

  const api = {
    /** `{interval, symbols, bars, now, pingMs}`: every series restarts at `now`. */
    configure(obj = {}) {
      const c = { ...state.config };
      if (obj.interval !== undefined) {
        if (!INTERVALS[obj.interval]) bad(`interval: ${JSON.stringify(obj.interval)} is not one of ${Object.keys(INTERVALS).join(' ')}`);
        c.interval = obj.interval;
      }
      if (obj.symbols !== undefined) {
        if (!Array.isArray(obj.symbols) || obj.symbols.some((s) => !/^[A-Z0-9]{1,20}$/.test(s))) bad('symbols: a list of upper-case symbols like "BTCUSDT"');
        c.symbols = [...obj.symbols];
      }
      if (obj.bars !== undefined) {
        if (!Number.isInteger(obj.bars) || obj.bars < 1 || obj.bars > 100_000) bad(`bars: ${JSON.stringify(obj.bars)} is not a whole number 1…100000`);
        c.bars = obj.bars;
      }
      if (obj.pingMs !== undefined) {
        if (!Number.isFinite(obj.pingMs) || obj.pingMs < 0) bad(`pingMs: ${JSON.stringify(obj.pingMs)} is not a number ≥ 0`);
        c.pingMs = obj.pingMs;
      }
      let now = Date.now();
      if (obj.now !== undefined) {
        now = typeof obj.now === 'string' ? Date.parse(obj.now) : obj.now;
        if (!Number.isFinite(now)) bad(`now: ${JSON.stringify(obj.now)} is not epoch ms or an ISO time`);
      }
      c.anchor = now;
      state.config = c;
      state.now = now;
      state.overrides = new Map();
      state.lastClosed = new Map();
      schedulePings();
      return api.clock();
    },
    clock() {
      return { now: state.now, interval: state.config.interval, formingOpen: formingOpen(), symbols: [...state.config.symbols], bars: state.config.bars };
    },
    /** Sets the forming bar's values of one symbol; `send` sends its x:false update now. */
    set(obj = {}) {
      const symbol = obj.symbol;
      if (typeof symbol !== 'string' || !/^[A-Z0-9]{1,20}$/.test(symbol)) bad(`symbol: ${JSON.stringify(symbol)} is not an upper-case symbol`);
      const values = valuesOf(obj, 'set');
      const t = formingOpen();
      override(symbol, t, values);
      const bar = barAt(symbol, state.config.interval, t);
      const sent = obj.send ? broadcast(symbol, klineEvent(symbol, state.config.interval, bar, { closed: false, eventTime: state.now })) : 0;
      return { symbol, barOpen: t, bar, sent };
    },
    /** Closes the forming bar of each listed symbol with an x:true update, then moves on one interval. */
    closeBars(obj = {}) {
      const { interval } = state.config;
      let symbols = obj.symbols ?? 'all';
      if (symbols === 'all') symbols = [...state.config.symbols];
      if (!Array.isArray(symbols) || symbols.some((s) => typeof s !== 'string' || !/^[A-Z0-9]{1,20}$/.test(s))) bad('symbols: "all" or a list of upper-case symbols');
      const values = obj.values ?? {};
      if (typeof values !== 'object' || Array.isArray(values)) bad('values: an object {SYMBOL: {o,h,l,c,v}}');
      for (const [symbol, v] of Object.entries(values)) {
        if (!symbols.includes(symbol)) bad(`values.${symbol}: that symbol is not being closed`);
        override(symbol, formingOpen(), valuesOf(v, `values.${symbol}`));
      }
      const barOpen = formingOpen();
      const closedAt = barOpen + intervalMs();
      let sent = 0;
      for (const symbol of symbols) {
        const data = klineEvent(symbol, interval, barAt(symbol, interval, barOpen), { closed: true, eventTime: closedAt });
        state.lastClosed.set(symbol, data);
        sent += broadcast(symbol, data);
      }
      const sentAt = Date.now();
      state.now += intervalMs();
      const next = formingOpen();
      for (const symbol of symbols) {
        sent += broadcast(symbol, klineEvent(symbol, interval, barAt(symbol, interval, next), { closed: false, eventTime: state.now }));
      }
      return { sentAt, barOpen, sent, now: state.now, formingOpen: next };
    },
    /** Moves now on by `bars` intervals: silently (a gap), or as that many closes of every symbol. */
    advance(obj = {}) {
      const bars = obj.bars ?? 1;
      if (!Number.isInteger(bars) || bars < 1 || bars > 100_000) bad(`bars: ${JSON.stringify(bars)} is not a whole number ≥ 1`);
      const closed = [];
      for (let i = 0; i < bars; i++) {
        closed.push(formingOpen());
        if (obj.send) api.closeBars({ symbols: 'all' });
        else state.now += intervalMs();
      }
      return { closed, now: state.now, formingOpen: formingOpen() };
    },
    /** One of FAULTS, applied to the sockets open now (stall and refuse last until undone). */
    fault(type) {
      const { interval } = state.config;
      const conns = [...live.values()];
      let sent = 0;
      const each = (fn) => conns.forEach((conn) => symbolsOf(conn).forEach((symbol) => fn(conn, symbol, streamName(symbol, interval))));
      switch (type) {
        case 'drop': {
          const bar = (symbol) => klineEvent(symbol, interval, barAt(symbol, interval, formingOpen()), { closed: false, eventTime: state.now });
          for (const conn of conns) {
            conn.entry.closedBy ??= 'server';
            const streams = symbolsOf(conn);
            let pending = streams.length + 1;
            const cut = () => { if (--pending === 0) conn.ws.terminate(); };
            for (const symbol of streams) {
              const stream = streamName(symbol, interval);
              if (write(conn, frame(conn, stream, bar(symbol)), cut)) sent++;
            }
            cut();
          }
          break;
        }
        case 'stall': state.faults.stall = true; break;
        case 'unstall': state.faults.stall = false; break;
        case 'refuse': state.faults.refuse = true; break;
        case 'accept': state.faults.refuse = false; break;
        case 'malformed':
          for (const conn of conns) {
            if (write(conn, '{"stream": not json')) sent++;
            const [symbol] = symbolsOf(conn);
            if (symbol === undefined) continue;
            const data = klineEvent(symbol, interval, barAt(symbol, interval, formingOpen()), { closed: false, eventTime: state.now });
            data.k.c = 'abc';
            if (write(conn, frame(conn, streamName(symbol, interval), data))) sent++;
          }
          break;
        case 'duplicate':
          each((conn, symbol, stream) => {
            const data = state.lastClosed.get(symbol);
            if (data && write(conn, frame(conn, stream, data))) sent++;
          });
          break;
        case 'outOfOrder': {
          const older = formingOpen() - intervalMs();
          each((conn, symbol, stream) => {
            const data = klineEvent(symbol, interval, barAt(symbol, interval, older), { closed: false, eventTime: state.now });
            if (write(conn, frame(conn, stream, data))) sent++;
          });
          break;
        }
        case 'shutdown24h':
          for (const conn of conns) serverClose(conn, 1000);
          break;
        default:
          bad(`type: ${JSON.stringify(type)} is not one of ${FAULTS.join(' ')}`);
      }
      return { type, sockets: conns.length, sent, faults: { ...state.faults } };
    },
    state() {
      return {
        ...api.clock(),
        connections: state.connections.map(({ combined, ...e }) => ({ ...e, streams: [...e.streams] })),
        open: live.size,
        opened: state.opened,
        refused: state.refused,
        klineRequests: state.klineRequests.map((r) => ({ ...r })),
        sent: state.sent,
        stalled: state.stalled,
        faults: { ...state.faults },
      };
    },
    /** Closes every socket (1001), forgets faults, logs and counters; the default config at the real time. */
    reset() {
      for (const conn of live.values()) serverClose(conn, 1001, 'reset');
      live.clear();
      state = fresh();
      schedulePings();
      return api.clock();
    },
  };

  // ---- the HTTP side ---------------------------------------------------------------

  const cors = {
    'Access-Control-Allow-Origin': '*',
    'Access-Control-Allow-Headers': '*',
    'Access-Control-Allow-Methods': 'GET, HEAD, POST, OPTIONS',
    'Cross-Origin-Resource-Policy': 'cross-origin',
    'Cache-Control': 'no-store',
  };
  const send = (res, status, body) => {
    const buf = Buffer.from(JSON.stringify(body));
    res.writeHead(status, { ...cors, 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': buf.length });
    res.end(buf);
  };
  const readJson = (req) => new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8').trim();
      try { resolve(text ? JSON.parse(text) : {}); } catch { reject(new ControlError(`body: not JSON: ${text.slice(0, 60)}`)); }
    });
    req.on('error', reject);
  });

  function klines(q) {
    const symbol = q.get('symbol') ?? '';
    const interval = q.get('interval') ?? '';
    if (!/^[A-Z0-9]{1,20}$/.test(symbol)) return [400, { code: -1121, msg: 'Invalid symbol.' }];
    if (!INTERVALS[interval]) return [400, { code: -1120, msg: 'Invalid interval.' }];
    const param = (name) => {
      if (!q.has(name)) return null;
      const n = Number(q.get(name));
      return Number.isInteger(n) && n >= 0 ? n : NaN;
    };
    const startTime = param('startTime');
    const endTime = param('endTime');
    const limit = param('limit');
    if ([startTime, endTime, limit].some(Number.isNaN)) return [400, { code: -1100, msg: 'Illegal characters found in a parameter.' }];
    const step = intervalMs(interval);
    const take = Math.min(Math.max(limit ?? 500, 1), 1000);
    // Open times on the grid, clipped to the series and the filters.
    let lo = firstOpen(interval);
    let hi = formingOpen(interval);
    if (startTime !== null) lo = Math.max(lo, Math.ceil(startTime / step) * step);
    if (endTime !== null) hi = Math.min(hi, floorTo(endTime, step));
    const count = hi >= lo ? (hi - lo) / step + 1 : 0;
    const n = Math.min(count, take);
    const from = startTime !== null ? lo : hi - (n - 1) * step;
    const rows = [];
    for (let i = 0; i < n; i++) rows.push(klineRow(barAt(symbol, interval, from + i * step), step));
    state.klineRequests.push({ symbol, interval, startTime, endTime, limit, bars: rows.length, at: Date.now() });
    return [200, rows];
  }

  function tickers(q) {
    const { interval } = state.config;
    const all = state.config.symbols.map((symbol, i) => {
      const bar = barAt(symbol, interval, formingOpen());
      return {
        symbol, priceChange: num(bar.c - bar.o), priceChangePercent: ((bar.c / bar.o - 1) * 100).toFixed(3),
        weightedAvgPrice: num(bar.c), prevClosePrice: num(bar.o), lastPrice: num(bar.c), lastQty: '1.00000000',
        bidPrice: num(bar.c), bidQty: '1.00000000', askPrice: num(bar.c), askQty: '1.00000000',
        openPrice: num(bar.o), highPrice: num(bar.h), lowPrice: num(bar.l), volume: '1000000.00000000',
        quoteVolume: num(1e12 - i * 1e9), openTime: state.now - 86_400_000, closeTime: state.now - 1,
        firstId: 1, lastId: 1000, count: 1000,
      };
    });
    if (!q.has('symbol')) return [200, all];
    const one = all.find((t) => t.symbol === q.get('symbol'));
    return one ? [200, one] : [400, { code: -1121, msg: 'Invalid symbol.' }];
  }

  // 1,024 stream names make a ~20 kB request line: above Node's default 16 kB header limit.
  const server = http.createServer({ maxHeaderSize: 65_536 }, async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method === 'OPTIONS') {
      res.writeHead(204, cors);
      res.end();
      return;
    }
    try {
      const post = req.method === 'POST';
      switch (`${post ? 'POST' : 'GET'} ${url.pathname}`) {
        case 'GET /api/v3/klines': { const [s, b] = klines(url.searchParams); return send(res, s, b); }
        case 'GET /api/v3/ticker/24hr': { const [s, b] = tickers(url.searchParams); return send(res, s, b); }
        case 'GET /__live/state': return send(res, 200, api.state());
        case 'POST /__live/config': return send(res, 200, api.configure(await readJson(req)));
        case 'POST /__live/set': return send(res, 200, api.set(await readJson(req)));
        case 'POST /__live/close': return send(res, 200, api.closeBars(await readJson(req)));
        case 'POST /__live/advance': return send(res, 200, api.advance(await readJson(req)));
        case 'POST /__live/fault': return send(res, 200, api.fault((await readJson(req)).type));
        case 'POST /__live/reset': return send(res, 200, api.reset());
        default: return send(res, 404, { error: `no route for ${req.method} ${url.pathname}` });
      }
    } catch (e) {
      if (e instanceof ControlError) return send(res, 400, { error: e.message });
      return send(res, 500, { error: String(e?.stack ?? e) });
    }
  });
  server.on('upgrade', onUpgrade);
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  schedulePings();

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const actual = server.address().port;
      resolve({
        ...api,
        url: `http://${host}:${actual}`,
        wsUrl: `ws://${host}:${actual}`,
        port: actual,
        close: () => new Promise((done) => {
          clearInterval(pinger);
          for (const conn of live.values()) conn.ws.terminate();
          for (const s of sockets) s.destroy();
          wss.close();
          server.close(() => done());
        }),
      });
    });
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const s = await startLiveServer(serverArgs(process.argv.slice(2), 8093));
  const c = s.clock();
  console.log(`live server at ${s.url} (streams ${s.wsUrl}/stream?streams=…; ${c.interval}, now ${new Date(c.now).toISOString()}, ${c.symbols.join(' ')}); POST /__live/{config,set,close,advance,fault,reset}; GET /__live/state`);
}
