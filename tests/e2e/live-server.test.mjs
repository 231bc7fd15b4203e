//! Tests of the loopback Binance live server itself (tests/e2e/live-server.mjs):
//! REST klines and tickers, the kline streams, closing and advancing bars on
//! its own clock, every fault, the state counts and the stream limit. Uses
//! Node's global WebSocket client when there is one (Node ≥ 22), else `ws`'s.
//! No browser, no app build.
//!
//! Run: node --test tests/e2e/live-server.test.mjs

import { test as nodeTest, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket as WsClient } from 'ws';

import { startLiveServer, generatedBar, INTERVALS } from './live-server.mjs';

const Client = globalThis.WebSocket ?? WsClient;
/** Every test fails after 10 s rather than waiting forever for a frame or a close. */
const test = (name, fn) => nodeTest(name, { timeout: 10_000 }, fn);
const NOW = Date.parse('2026-11-30T12:02:37Z');
const M5 = INTERVALS['5m'];
const FORMING = Date.parse('2026-11-30T12:00:00Z');

let live;

before(async () => { live = await startLiveServer({ pingMs: 0 }); });
after(async () => { await live?.close(); });
beforeEach(async () => {
  live.reset();
  await control('config', { interval: '5m', symbols: ['BTCUSDT', 'ETHUSDT'], bars: 300, now: NOW, pingMs: 0 });
});

async function control(name, body) {
  const res = await fetch(`${live.url}/__live/${name}`, { method: 'POST', body: JSON.stringify(body ?? {}) });
  const json = await res.json();
  if (res.status !== 200) throw new Error(`${name}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}
const state = async () => (await fetch(`${live.url}/__live/state`)).json();
async function klines(query) {
  const res = await fetch(`${live.url}/api/v3/klines?${new URLSearchParams(query)}`);
  return { status: res.status, body: await res.json(), headers: res.headers };
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * A socket that keeps every frame (text, or JSON parsed when it parses) and
 * how it closed; `take(n)` waits for the next n frames.
 */
function connect(path) {
  const ws = new Client(`${live.wsUrl}${path}`);
  const c = { ws, frames: [], read: 0, closed: null, failed: false };
  const opened = new Promise((resolve) => {
    ws.addEventListener('open', () => resolve(true));
    ws.addEventListener('error', () => { c.failed = true; resolve(false); });
  });
  c.done = new Promise((resolve) => ws.addEventListener('close', (e) => { c.closed = { code: e.code, reason: e.reason }; resolve(c.closed); }));
  ws.addEventListener('message', (e) => {
    const text = String(e.data);
    let value = text;
    try { value = JSON.parse(text); } catch { /* kept as text */ }
    c.frames.push(value);
  });
  c.opened = opened;
  c.take = async (n, ms = 2000) => {
    const until = Date.now() + ms;
    while (c.frames.length < c.read + n) {
      if (Date.now() > until) throw new Error(`waited for ${n} frames, got ${c.frames.length - c.read}: ${JSON.stringify(c.frames.slice(c.read))}`);
      await sleep(5);
    }
    const out = c.frames.slice(c.read, c.read + n);
    c.read += n;
    return out;
  };
  /** Nothing more arrives within `ms`. */
  c.quiet = async (ms = 150) => {
    await sleep(ms);
    assert.deepEqual(c.frames.slice(c.read), [], 'no further frames');
  };
  return c;
}

async function open(path) {
  const c = connect(path);
  assert.equal(await c.opened, true, `${path} opens`);
  // The server registers the socket in its upgrade callback, before the client's open.
  return c;
}
const combined = (...symbols) => open(`/stream?streams=${symbols.map((s) => `${s.toLowerCase()}@kline_5m`).join('/')}`);

test('a closed bar reaches each subscribed symbol as x:true with its open time and values, then the next bar as x:false', async () => {
  const c = await combined('BTCUSDT', 'ETHUSDT');
  const r = await control('close', { symbols: 'all', values: { BTCUSDT: { o: 100, h: 130, l: 90, c: 123.4, v: 55 } } });
  assert.equal(r.barOpen, FORMING);
  assert.ok(r.sentAt <= Date.now() && r.sentAt > Date.now() - 5000);
  assert.equal(r.sent, 4);
  const frames = await c.take(4);
  const byKey = Object.fromEntries(frames.map((f) => [`${f.data.s} ${f.data.k.x}`, f]));
  const btc = byKey['BTCUSDT true'];
  assert.equal(btc.stream, 'btcusdt@kline_5m');
  assert.deepEqual(btc.data.k, {
    t: FORMING, T: FORMING + M5 - 1, s: 'BTCUSDT', i: '5m', f: btc.data.k.f, L: btc.data.k.f + 999,
    o: '100.00000000', c: '123.40000000', h: '130.00000000', l: '90.00000000', v: '55.00000000', n: 1000, x: true,
    q: '6787.00000000', V: '27.50000000', Q: '3393.50000000', B: '0',
  });
  assert.equal(btc.data.e, 'kline');
  assert.equal(btc.data.E, FORMING + M5, 'the event time is the close');
  const eth = byKey['ETHUSDT true'].data.k;
  const gen = generatedBar('ETHUSDT', M5, FORMING);
  assert.equal(eth.t, FORMING);
  assert.equal(eth.c, gen.c.toFixed(8), 'a symbol closed without values keeps its generated close');
  for (const s of ['BTCUSDT', 'ETHUSDT']) {
    const next = byKey[`${s} false`].data;
    assert.equal(next.k.t, FORMING + M5, `${s}: the new forming bar opens at the close`);
    assert.equal(next.E, NOW + M5);
  }
  // x:true frames come before the x:false ones.
  assert.deepEqual(frames.map((f) => f.data.k.x), [true, true, false, false]);
  await c.quiet();
});

test('a close of listed symbols updates only their streams, and a symbol not subscribed gets nothing', async () => {
  const c = await combined('BTCUSDT');
  await control('close', { symbols: ['ETHUSDT'] });
  await c.quiet();
  await control('close', { symbols: ['BTCUSDT'] });
  const [closed, forming] = await c.take(2);
  assert.equal(closed.data.k.t, FORMING + M5, 'the earlier close advanced the clock for every series');
  assert.equal(closed.data.k.x, true);
  assert.equal(forming.data.k.t, FORMING + 2 * M5);
});

test('REST after a close returns the closed bar with its values and then the new forming one', async () => {
  await control('set', { symbol: 'BTCUSDT', close: 250 });
  await control('close', { symbols: ['BTCUSDT'] });
  const { status, body, headers } = await klines({ symbol: 'BTCUSDT', interval: '5m', limit: 3 });
  assert.equal(status, 200);
  assert.equal(headers.get('access-control-allow-origin'), '*');
  assert.equal(headers.get('cross-origin-resource-policy'), 'cross-origin');
  assert.deepEqual(body.map((r) => r[0]), [FORMING - M5, FORMING, FORMING + M5]);
  const closed = body[1];
  const gen = generatedBar('BTCUSDT', M5, FORMING);
  assert.equal(closed[4], '250.00000000');
  assert.equal(closed[1], gen.o.toFixed(8), 'the open is kept');
  assert.equal(closed[2], '250.00000000', 'the high widens to the close');
  assert.equal(closed[6], FORMING + M5 - 1, 'close time');
  assert.equal(closed.length, 12);
  assert.equal(body[2][4], generatedBar('BTCUSDT', M5, FORMING + M5).c.toFixed(8), 'the forming bar has its values so far');
});

test('set without send sends nothing; with send the forming bar is sent as x:false with the set values', async () => {
  const c = await combined('BTCUSDT');
  await control('set', { symbol: 'BTCUSDT', close: 7, low: 6 });
  await c.quiet();
  await control('set', { symbol: 'BTCUSDT', close: 8, send: true });
  const [f] = await c.take(1);
  assert.equal(f.data.k.x, false);
  assert.equal(f.data.k.t, FORMING);
  assert.equal(f.data.k.c, '8.00000000');
  assert.equal(f.data.k.l, '6.00000000', 'an earlier set value stays');
});

test('REST follows Binance: ascending, default 500 and at most 1000, newest without startTime, filters on open time', async () => {
  await control('config', { bars: 1200, now: NOW });
  const all = (await klines({ symbol: 'ETHUSDT', interval: '5m' })).body;
  assert.equal(all.length, 500);
  assert.equal(all.at(-1)[0], FORMING, 'the newest 500 end with the forming bar');
  assert.ok(all.every((r, i) => i === 0 || r[0] - all[i - 1][0] === M5), 'ascending, one interval apart');
  assert.equal((await klines({ symbol: 'ETHUSDT', interval: '5m', limit: 5000 })).body.length, 1000);
  const first = FORMING - 1199 * M5;
  const head = (await klines({ symbol: 'ETHUSDT', interval: '5m', startTime: 0, limit: 2 })).body;
  assert.deepEqual(head.map((r) => r[0]), [first, first + M5], 'the series starts `bars` bars back');
  const window = (await klines({ symbol: 'ETHUSDT', interval: '5m', startTime: FORMING - 3 * M5 + 1, endTime: FORMING - M5 })).body;
  assert.deepEqual(window.map((r) => r[0]), [FORMING - 2 * M5, FORMING - M5], 'both ends inclusive on open times');
  const before = (await klines({ symbol: 'ETHUSDT', interval: '5m', endTime: FORMING - 1, limit: 2 })).body;
  assert.deepEqual(before.map((r) => r[0]), [FORMING - 2 * M5, FORMING - M5], 'endTime alone: the newest before it');
  const hourly = (await klines({ symbol: 'ETHUSDT', interval: '1h', limit: 2 })).body;
  assert.deepEqual(hourly.map((r) => r[0]), [Date.parse('2026-11-30T11:00:00Z'), Date.parse('2026-11-30T12:00:00Z')], 'other intervals are served on the same clock');
});

test('REST rejects a bad symbol, interval or number with Binance error codes', async () => {
  assert.deepEqual(await klines({ symbol: 'btc usdt', interval: '5m' }).then((r) => [r.status, r.body.code]), [400, -1121]);
  assert.deepEqual(await klines({ symbol: 'BTCUSDT', interval: '7m' }).then((r) => [r.status, r.body.code]), [400, -1120]);
  assert.deepEqual(await klines({ symbol: 'BTCUSDT', interval: '5m', startTime: 'yesterday' }).then((r) => [r.status, r.body.code]), [400, -1100]);
  const missing = await fetch(`${live.url}/nothing`);
  assert.equal(missing.status, 404);
  assert.equal(missing.headers.get('access-control-allow-origin'), '*');
});

test('advancing 3 bars silently sends nothing, and REST from startTime returns exactly those 3 closed bars (+ the forming one)', async () => {
  const c = await combined('BTCUSDT', 'ETHUSDT');
  const r = await control('advance', { bars: 3, send: false });
  assert.deepEqual(r.closed, [FORMING, FORMING + M5, FORMING + 2 * M5]);
  assert.equal(r.formingOpen, FORMING + 3 * M5);
  await c.quiet();
  const withForming = (await klines({ symbol: 'BTCUSDT', interval: '5m', startTime: FORMING })).body;
  assert.deepEqual(withForming.map((r) => r[0]), [...r.closed, FORMING + 3 * M5]);
  const closedOnly = (await klines({ symbol: 'BTCUSDT', interval: '5m', startTime: FORMING, endTime: FORMING + 3 * M5 - 1 })).body;
  assert.deepEqual(closedOnly.map((r) => r[0]), r.closed);
  const s = await state();
  assert.equal(s.sent, 0);
  assert.deepEqual(s.klineRequests.map(({ at, ...k }) => k), [
    { symbol: 'BTCUSDT', interval: '5m', startTime: FORMING, endTime: null, limit: null, bars: 4 },
    { symbol: 'BTCUSDT', interval: '5m', startTime: FORMING, endTime: FORMING + 3 * M5 - 1, limit: null, bars: 3 },
  ]);
});

test('advance with send closes every symbol bar by bar', async () => {
  const c = await combined('BTCUSDT');
  await control('advance', { bars: 2, send: true });
  const frames = await c.take(4);
  assert.deepEqual(frames.map((f) => [f.data.k.t, f.data.k.x]), [
    [FORMING, true], [FORMING + M5, false], [FORMING + M5, true], [FORMING + 2 * M5, false],
  ]);
});

test('a raw /ws/<stream> socket gets the event alone, and SUBSCRIBE on /ws adds streams', async () => {
  const raw = await open('/ws/btcusdt@kline_5m');
  const sub = await open('/ws');
  sub.ws.send(JSON.stringify({ method: 'SUBSCRIBE', params: ['ethusdt@kline_5m'], id: 7 }));
  assert.deepEqual(await sub.take(1), [{ result: null, id: 7 }]);
  sub.ws.send(JSON.stringify({ method: 'LIST_SUBSCRIPTIONS', id: 8 }));
  assert.deepEqual(await sub.take(1), [{ result: ['ethusdt@kline_5m'], id: 8 }]);
  await control('close', { symbols: 'all' });
  const [closed] = await raw.take(2);
  assert.equal(closed.e, 'kline');
  assert.equal(closed.s, 'BTCUSDT');
  assert.equal(closed.stream, undefined);
  const [eth] = await sub.take(2);
  assert.equal(eth.s, 'ETHUSDT');
  assert.equal(eth.k.x, true);
});

test('more than 1024 streams, none, or a malformed name: the socket is closed with 1008', async () => {
  const names = Array.from({ length: 1025 }, (_, i) => `s${i}usdt@kline_5m`);
  const many = connect(`/stream?streams=${names.join('/')}`);
  assert.deepEqual(await many.done, { code: 1008, reason: 'too many streams (1025 > 1024)' });
  const ok = await open(`/stream?streams=${names.slice(0, 1024).join('/')}`);
  assert.equal(ok.closed, null, '1024 streams are fine');
  assert.equal((await connect('/stream?streams=').done).code, 1008);
  assert.match((await connect('/stream?streams=BTCUSDT@kline_5m').done).reason, /invalid stream name/);
  const s = await state();
  assert.equal(s.open, 1);
  assert.deepEqual(s.connections.map((e) => e.closedBy), ['server', null, 'server', 'server']);
});

test('state counts connections exactly and sees who closed them', async () => {
  const a = await combined('BTCUSDT');
  const b = await combined('ETHUSDT');
  let s = await state();
  assert.equal(s.opened, 2);
  assert.equal(s.open, 2);
  assert.deepEqual(s.connections.map((e) => e.streams), [['btcusdt@kline_5m'], ['ethusdt@kline_5m']]);
  a.ws.close(1000);
  assert.equal((await a.done).code, 1000);
  await sleep(50);
  await control('close', { symbols: 'all' });
  await b.take(2);
  s = await state();
  assert.equal(s.open, 1);
  assert.equal(s.opened, 2);
  assert.equal(s.connections[0].closedBy, 'client');
  assert.equal(s.connections[0].code, 1000);
  assert.ok(s.connections[0].closedAt >= s.connections[0].openedAt);
  assert.equal(s.connections[1].closedBy, null);
  assert.equal(s.sent, 2, 'one x:true and one x:false to the socket still open');
});

test('drop: an x:false update of every stream, then the socket is cut without a close frame', async () => {
  const c = await combined('BTCUSDT', 'ETHUSDT');
  const r = await control('fault', { type: 'drop' });
  assert.equal(r.sent, 2);
  const closed = await c.done;
  assert.equal(closed.code, 1006, 'abnormal closure');
  assert.deepEqual(c.frames.map((f) => [f.data.s, f.data.k.t, f.data.k.x]), [['BTCUSDT', FORMING, false], ['ETHUSDT', FORMING, false]]);
  const s = await state();
  assert.equal(s.open, 0);
  assert.equal(s.connections[0].closedBy, 'server');
  assert.equal(s.now, NOW, 'mid-bar: the clock did not move');
});

test('stall: nothing is sent (data or ping) until unstall; what was meant for the sockets meanwhile is discarded', async () => {
  await control('config', { now: NOW, pingMs: 30 });
  const c = await combined('BTCUSDT');
  let pings = 0;
  c.ws.on?.('ping', () => pings++);
  await control('fault', { type: 'stall' });
  await sleep(60); // a ping tick that may have been in flight
  pings = 0;
  await control('close', { symbols: 'all' });
  await sleep(150);
  assert.deepEqual(c.frames, []);
  if (c.ws.on) assert.equal(pings, 0, 'no pings while stalled');
  let s = await state();
  assert.equal(s.stalled, 2);
  assert.equal(s.sent, 0);
  assert.equal(s.open, 1, 'the socket stays open');
  await control('fault', { type: 'unstall' });
  await control('close', { symbols: 'all' });
  const [closed] = await c.take(2);
  assert.equal(closed.data.k.t, FORMING + M5);
  s = await state();
  assert.equal(s.sent, 2);
});

test('pings go out every pingMs and the client pongs are counted', async () => {
  await control('config', { now: NOW, pingMs: 20 });
  await combined('BTCUSDT');
  await sleep(200);
  const s = await state();
  assert.ok(s.connections[0].pongs >= 3, `pongs ${s.connections[0].pongs}`);
});

test('malformed: a frame that is not JSON and a kline whose close is "abc"', async () => {
  const c = await combined('BTCUSDT', 'ETHUSDT');
  const r = await control('fault', { type: 'malformed' });
  assert.equal(r.sent, 2);
  const [text, bad] = await c.take(2);
  assert.equal(typeof text, 'string');
  assert.throws(() => JSON.parse(text));
  assert.equal(bad.stream, 'btcusdt@kline_5m');
  assert.equal(bad.data.k.c, 'abc');
  assert.equal(c.closed, null, 'the socket stays open');
});

test('duplicate re-sends the last x:true message of each stream as it was', async () => {
  const c = await combined('BTCUSDT', 'ETHUSDT');
  await control('close', { symbols: 'all', values: { ETHUSDT: { c: 42 } } });
  const first = (await c.take(4)).filter((f) => f.data.k.x);
  await control('fault', { type: 'duplicate' });
  assert.deepEqual(await c.take(2), first);
});

test('outOfOrder sends an x:false update for the bar before the forming one', async () => {
  const c = await combined('ETHUSDT');
  await control('fault', { type: 'outOfOrder' });
  const [f] = await c.take(1);
  assert.equal(f.data.k.t, FORMING - M5);
  assert.equal(f.data.k.x, false);
});

test('shutdown24h closes every socket cleanly with code 1000', async () => {
  const a = await combined('BTCUSDT');
  const b = await open('/ws/ethusdt@kline_5m');
  await control('fault', { type: 'shutdown24h' });
  assert.equal((await a.done).code, 1000);
  assert.equal((await b.done).code, 1000);
  const s = await state();
  assert.deepEqual(s.connections.map((e) => [e.closedBy, e.code]), [['server', 1000], ['server', 1000]]);
});

test('refuse fails new handshakes (counted) until accept; open sockets are not touched', async () => {
  const kept = await combined('BTCUSDT');
  await control('fault', { type: 'refuse' });
  const refused = connect('/stream?streams=btcusdt@kline_5m');
  assert.equal(await refused.opened, false);
  await refused.done;
  await control('fault', { type: 'accept' });
  await combined('ETHUSDT');
  const s = await state();
  assert.equal(s.refused, 1);
  assert.equal(s.opened, 2);
  assert.equal(s.open, 2);
  assert.equal(kept.closed, null);
});

test('tickers: one USDT ticker per configured symbol, quote volume falling in the configured order', async () => {
  await control('config', { symbols: ['SOLUSDT', 'BTCUSDT', 'XRPUSDT'], now: NOW });
  const res = await fetch(`${live.url}/api/v3/ticker/24hr`);
  assert.equal(res.headers.get('access-control-allow-origin'), '*');
  const body = await res.json();
  assert.deepEqual(body.map((t) => t.symbol), ['SOLUSDT', 'BTCUSDT', 'XRPUSDT']);
  const volumes = body.map((t) => Number(t.quoteVolume));
  assert.ok(volumes[0] > volumes[1] && volumes[1] > volumes[2]);
  assert.equal(typeof body[0].lastPrice, 'string');
});

test('control errors answer 400 naming the field, and change nothing', async () => {
  const post = (name, body) => fetch(`${live.url}/__live/${name}`, { method: 'POST', body: JSON.stringify(body) })
    .then(async (r) => [r.status, (await r.json()).error]);
  assert.deepEqual(await post('config', { interval: '2m' }), [400, 'interval: "2m" is not one of 1m 5m 15m 1h 4h 1d']);
  assert.deepEqual(await post('set', { symbol: 'BTCUSDT', close: 'abc' }), [400, 'set.close: not a number: "abc"']);
  assert.deepEqual(await post('close', { symbols: ['BTCUSDT'], values: { ETHUSDT: { c: 1 } } }), [400, 'values.ETHUSDT: that symbol is not being closed']);
  assert.match((await post('fault', { type: 'explode' }))[1], /^type: "explode" is not one of drop stall/);
  assert.deepEqual(await post('advance', { bars: 0 }), [400, 'bars: 0 is not a whole number ≥ 1']);
  const bodyNotJson = await fetch(`${live.url}/__live/set`, { method: 'POST', body: '{oops' });
  assert.equal(bodyNotJson.status, 400);
  const s = await state();
  assert.equal(s.now, NOW);
  assert.equal(s.interval, '5m');
});

test('reset closes every socket with 1001 and clears the counts', async () => {
  const c = await combined('BTCUSDT');
  await klines({ symbol: 'BTCUSDT', interval: '5m' });
  await control('reset');
  assert.equal((await c.done).code, 1001);
  const s = await state();
  assert.deepEqual([s.opened, s.open, s.connections.length, s.klineRequests.length, s.sent], [0, 0, 0, 0, 0]);
});
