//! End-to-end checks of live scanning (issue 11) against the loopback Binance
//! server (tests/e2e/live-server.mjs: REST klines + combined kline streams on
//! its own clock, with faults), through the page's hooks: `interval`, `live`,
//! `stream-base`, `source-base`, `universe-input`, `live-status`, `live-log`,
//! rows' `data-live`, and `window.__technicLive`. Counts are checked where the
//! server sees them (connections, gap-fill requests and the bars they carried),
//! never by a clock.
//!
//! Every hook is required: a missing one fails its test (never a skip).
//! Run: scripts/build.sh && node --test tests/e2e/live.test.mjs   (TECHNIC_DIST overrides dist/)

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { startServer } from './server.mjs';
import { startLiveServer } from './live-server.mjs';
import { freshProfile, openBrowser, openApp, runScan, sel } from './harness.mjs';
import { clearBarCache } from '../../scripts/bench-order.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DIST = path.resolve(ROOT, process.env.TECHNIC_DIST ?? 'dist');
const SYMBOLS = ['BTCUSDT', 'ETHUSDT', 'SOLUSDT', 'XRPUSDT', 'ADAUSDT'];
/** Matches only a bar the test closes far above the generated prices. */
const EXPR = 'close > 100000';
const HIGH = 250000;

let app;
let live;
let b;

before(async () => {
  app = await startServer({ dir: DIST, isolation: true });
  live = await startLiveServer({ port: 0, host: '127.0.0.1', quiet: true });
  b = await openBrowser(await freshProfile('live'));
  await openApp(b.page, app.url);
});

after(async () => {
  await b?.context.close();
  await app?.close();
  await live?.close();
});

const control = async (what, body) => {
  const r = await fetch(`${live.url}/__live/${what}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  assert.equal(r.status, 200, `${what}: ${r.status}`);
  return r.json();
};
const state = () => control('state');
const liveHook = (page = b.page) => page.evaluate(() => window.__technicLive ?? null);
const wsUrl = () => live.wsUrl;

/** Sets up a 1m Binance scan of SYMBOLS against the server, runs it, turns Live on. */
async function goLive(page = b.page, { run = true, expect = 'connected' } = {}) {
  await page.selectOption(sel('source'), 'binance');
  await page.selectOption(sel('interval'), '1m');
  await page.locator(sel('source-base')).fill(live.url);
  await page.locator(sel('source-base')).dispatchEvent('change');
  await page.locator(sel('stream-base')).fill(wsUrl());
  await page.locator(sel('stream-base')).dispatchEvent('change');
  await page.locator(sel('universe-input')).evaluate((el, text) => {
    el.value = text;
    el.dispatchEvent(new Event('input', { bubbles: true }));
    el.dispatchEvent(new Event('change', { bubbles: true }));
  }, SYMBOLS.join('\n'));
  if (run) {
    // Each test restarts the server's series at the real time: bars cached by
    // an earlier test (closed high on purpose) must not be served.
    await clearBarCache(page);
    const s = await runScan(page, { expr: EXPR });
    assert.equal(s.reason, 'completed', JSON.stringify(s));
    assert.equal(s.rows, 0, 'nothing matches before the test closes a high bar');
  } else {
    await page.locator(sel('scan-input')).fill(EXPR);
  }
  if (!(await page.locator(sel('live')).isChecked())) await page.locator(sel('live')).check();
  await page.waitForFunction((want) => window.__technicLive?.state === want, expect, { timeout: 20_000, polling: 50 });
}

async function liveOff(page = b.page) {
  await page.locator(sel('live')).uncheck();
  await page.waitForFunction(() => window.__technicLive?.state === 'off', null, { timeout: 10_000, polling: 50 });
}

const row = (symbol, page = b.page) => page.locator(`${sel('result-row')}[data-symbol="${symbol}"]`);

async function fresh() {
  await control('reset', {});
  await control('config', { interval: '1m', symbols: SYMBOLS, bars: 300 });
}

test('the interval select offers 1m 5m 15m 1h 4h 1d, and Live and the stream base are on the Binance form', async () => {
  await b.page.selectOption(sel('source'), 'binance');
  const values = await b.page.locator(`${sel('interval')} option`).evaluateAll((os) => os.map((o) => o.value));
  assert.deepEqual(values, ['1m', '5m', '15m', '1h', '4h', '1d']);
  assert.equal(await b.page.locator(sel('live')).count(), 1);
  assert.equal(await b.page.locator(sel('stream-base')).count(), 1);
  assert.equal(await b.page.locator(sel('stream-base')).inputValue(), 'wss://data-stream.binance.vision', 'the default stream base');
});

test('a symbol whose closing bar makes it match appears as a new row within one second, and a dropped one is marked then removed after the next bar', { timeout: 120_000 }, async () => {
  await fresh();
  await goLive();
  const s0 = await state();
  assert.equal(s0.open, 1, 'one combined-stream connection');
  assert.deepEqual([...s0.connections.at(-1).streams].sort(), SYMBOLS.map((x) => `${x.toLowerCase()}@kline_1m`).sort());
  const first = await control('close', { symbols: 'all', values: { ETHUSDT: { c: HIGH, h: HIGH } } });
  await row('ETHUSDT').and(b.page.locator('[data-live="new"]')).waitFor({ timeout: 1_000 });
  assert.equal(await b.page.locator(sel('result-row')).count(), 1);
  // Its chart has the bar that closed live: the one bar where the scan is true.
  await row('ETHUSDT').click();
  await b.page.waitForFunction(() => window.__technicChart?.symbol === 'ETHUSDT', null, { timeout: 10_000, polling: 50 });
  assert.deepEqual((await b.page.evaluate(() => window.__technicChart)).markers, [first.barOpen / 1000]);
  await b.page.locator(sel('detail-close')).click();
  const log = b.page.locator(`${sel('live-log-entry')}[data-symbol="ETHUSDT"][data-kind="entry"]`);
  assert.equal(await log.count(), 1, 'the entry is logged');
  // Next bar: ETH falls back below → marked dropped, row kept.
  await control('close', { symbols: 'all' });
  await row('ETHUSDT').and(b.page.locator('[data-live="dropped"]')).waitFor({ timeout: 2_000 });
  assert.equal(await b.page.locator(`${sel('live-log-entry')}[data-kind="exit"]`).count(), 1);
  // The bar after: the dropped row goes.
  const third = await control('close', { symbols: 'all' });
  await row('ETHUSDT').waitFor({ state: 'detached', timeout: 2_000 });
  // Each closed bar joined the symbol's cached series in IndexedDB.
  await waitFor(async () => (await cachedLastTime('ETHUSDT', '1m')) === third.barOpen, 5_000);
  const h = await liveHook();
  assert.equal(h.bars, 15, '3 closes × 5 symbols');
  assert.equal(h.malformed, 0);
  assert.match(await b.page.locator(sel('live-status')).innerText(), /Connected · 5 streams/);
  await liveOff();
});

test('a gap after a reconnect is filled by exactly the missing bars, counted at the server', { timeout: 120_000 }, async () => {
  await fresh();
  await goLive();
  const before = (await state()).klineRequests.length;
  // The connection drops mid-bar; three bars close while it is down.
  await control('fault', { type: 'refuse' });
  await control('fault', { type: 'drop' });
  // The page tries again and is refused (seen at the server), and says it is reconnecting.
  await waitFor(async () => (await state()).refused >= 1, 15_000);
  await b.page.waitForFunction(() => window.__technicLive?.state === 'reconnecting', null, { timeout: 15_000, polling: 20 });
  await control('advance', { bars: 3, send: false });
  await control('fault', { type: 'accept' });
  await b.page.waitForFunction(() => window.__technicLive?.state === 'connected', null, { timeout: 30_000, polling: 100 });
  // The next close reveals the gap: the page fetches exactly what it missed.
  await control('close', { symbols: 'all', values: { SOLUSDT: { c: HIGH, h: HIGH } } });
  await row('SOLUSDT').and(b.page.locator('[data-live="new"]')).waitFor({ timeout: 10_000 });
  const s = await state();
  const fills = s.klineRequests.slice(before).filter((r) => r.startTime != null);
  const perSymbol = Object.fromEntries(SYMBOLS.map((x) => [x, 0]));
  for (const r of fills) perSymbol[r.symbol] += r.bars;
  // Missing per symbol: the 3 bars that closed silently (the first of them
  // was forming when the socket dropped); the 4th came closed on the stream.
  for (const x of SYMBOLS) assert.equal(perSymbol[x], 3, `${x}: ${JSON.stringify(fills.filter((r) => r.symbol === x))}`);
  // The server has answered every fill, but the page applies them one by one
  // (SOL's row can come before the last): a fresh-clone run read 12 of 15 here.
  await waitFor(async () => (await liveHook())?.gapBars === 15, 10_000)
    .catch(async () => assert.fail(`the page counted ${(await liveHook())?.gapBars} gap bars, not 15`));
  const h = await liveHook();
  assert.equal(h.gapBars, 15);
  assert.ok(h.reconnects >= 1);
  await b.page.locator(sel('live-status')).filter({ hasText: /gaps? filled/ }).waitFor({ timeout: 10_000 });
  await liveOff();
});

test('duplicates and out-of-order bars are counted and never appended twice; malformed messages leave the scan running with a count shown', { timeout: 120_000 }, async () => {
  await fresh();
  await goLive();
  await control('close', { symbols: 'all' });
  await b.page.waitForFunction(() => window.__technicLive?.bars === 5, null, { timeout: 5_000, polling: 50 });
  await control('fault', { type: 'duplicate' });
  await control('fault', { type: 'outOfOrder' });
  await control('fault', { type: 'malformed' });
  await b.page.waitForFunction(() => window.__technicLive?.malformed >= 2 && window.__technicLive?.duplicates + window.__technicLive?.outOfOrder >= 2, null, { timeout: 5_000, polling: 50 });
  let h = await liveHook();
  assert.equal(h.bars, 5, 'the duplicate was not appended');
  // A re-sent closed bar is a duplicate; an update for an older bar is out of
  // order (or a duplicate, when it is the bar closed last).
  assert.ok(h.duplicates + h.outOfOrder >= 2, JSON.stringify(h));
  assert.equal(h.state, 'connected');
  assert.match(await b.page.locator(sel('live-status')).innerText(), /malformed/);
  // Still live: the next close makes XRP match.
  await control('close', { symbols: 'all', values: { XRPUSDT: { c: HIGH, h: HIGH } } });
  await row('XRPUSDT').and(b.page.locator('[data-live="new"]')).waitFor({ timeout: 2_000 });
  h = await liveHook();
  assert.equal(h.bars, 10);
  await liveOff();
});

test('a stalled connection and the 24 h cut are both reconnected, with no bar missed', { timeout: 120_000 }, async () => {
  await fresh();
  await b.page.selectOption(sel('source'), 'binance');
  await b.page.locator(sel('live-stall')).fill('3');
  await goLive();
  // Binance sends every stream's forming bar every 2 s; so does this loop.
  const keepalive = setInterval(() => control('set', { symbol: 'BTCUSDT', close: 100, send: true }).catch(() => {}), 300);
  try {
    await new Promise((r) => setTimeout(r, 4_000));
    assert.equal((await liveHook()).reconnects, 0, 'a connection with traffic is kept');
    // Stalled: the socket stays open and silent; after 3 s the page replaces it.
    await control('fault', { type: 'stall' });
    await b.page.waitForFunction(() => window.__technicLive?.reconnects >= 1, null, { timeout: 15_000, polling: 50 });
    await control('fault', { type: 'unstall' });
    await b.page.waitForFunction(() => window.__technicLive?.state === 'connected', null, { timeout: 15_000, polling: 50 });
    let s = await state();
    assert.equal(s.open, 1, 'the stalled socket was closed by the page');
    assert.equal(s.connections[0].closedBy, 'client');
    await control('close', { symbols: 'all' });
    await b.page.waitForFunction(() => window.__technicLive?.bars === 5, null, { timeout: 5_000, polling: 50 });
    // Binance's 24 h cut: the server closes; the page reconnects.
    await control('fault', { type: 'shutdown24h' });
    await b.page.waitForFunction(() => window.__technicLive?.reconnects >= 2 && window.__technicLive?.state === 'connected', null, { timeout: 30_000, polling: 100 });
    await control('close', { symbols: 'all', values: { ADAUSDT: { c: HIGH, h: HIGH } } });
    await row('ADAUSDT').and(b.page.locator('[data-live="new"]')).waitFor({ timeout: 5_000 });
    const h = await liveHook();
    assert.equal(h.bars + h.gapBars, 10, 'two closes × 5 symbols, none missed or doubled');
    s = await state();
    assert.equal(s.open, 1);
  } finally {
    clearInterval(keepalive);
  }
  await b.page.locator(sel('live-stall')).fill('');
  await liveOff();
});

test('a new match is announced only when asked: the notification permission is requested when Notify is switched on, then a notification and a tone', { timeout: 120_000 }, async () => {
  await fresh();
  // Spies in place of the browser's Notification and AudioContext.
  await b.page.evaluate(() => {
    const spy = { requests: 0, shown: [], tones: 0 };
    window.__spy = spy;
    class FakeNotification {
      static permission = 'default';
      static requestPermission() {
        spy.requests += 1;
        FakeNotification.permission = 'granted';
        return Promise.resolve('granted');
      }
      constructor(title, options) { spy.shown.push({ title, body: options?.body ?? '' }); }
    }
    window.Notification = FakeNotification;
    const oscillator = AudioContext.prototype.createOscillator;
    AudioContext.prototype.createOscillator = function (...args) {
      spy.tones += 1;
      return oscillator.apply(this, args);
    };
  });
  await goLive();
  await control('close', { symbols: 'all', values: { BTCUSDT: { c: HIGH, h: HIGH } } });
  await row('BTCUSDT').and(b.page.locator('[data-live="new"]')).waitFor({ timeout: 2_000 });
  let spy = await b.page.evaluate(() => window.__spy);
  assert.deepEqual(spy, { requests: 0, shown: [], tones: 0 }, 'nothing is asked or shown while both are off');
  await b.page.locator(sel('live-notify')).check();
  await b.page.locator(sel('live-sound')).check();
  assert.equal((await b.page.evaluate(() => window.__spy)).requests, 1, 'the permission is asked when Notify is switched on');
  await control('close', { symbols: 'all', values: { SOLUSDT: { c: HIGH, h: HIGH } } });
  await row('SOLUSDT').and(b.page.locator('[data-live="new"]')).waitFor({ timeout: 2_000 });
  spy = await b.page.evaluate(() => window.__spy);
  assert.deepEqual(spy.shown, [{ title: 'Technic live scan', body: 'SOLUSDT now matches' }]);
  assert.equal(spy.tones, 1);
  await b.page.locator(sel('live-notify')).uncheck();
  await b.page.locator(sel('live-sound')).uncheck();
  // Stop ends the live scan too.
  await b.page.locator(sel('stop')).click();
  await b.page.waitForFunction(() => window.__technicLive?.state === 'off', null, { timeout: 10_000, polling: 50 });
  assert.equal(await b.page.locator(sel('live')).isChecked(), false);
  assert.equal((await state()).open, 0);
});

test('Live off closes the socket (the server sees the client close it)', { timeout: 120_000 }, async () => {
  await fresh();
  await goLive();
  assert.equal((await state()).open, 1);
  await liveOff();
  await waitFor(async () => (await state()).open === 0, 5_000);
  const s = await state();
  assert.equal(s.connections.at(-1).closedBy, 'client');
});

test('a second tab of the same scan follows the first and opens no second connection', { timeout: 180_000 }, async () => {
  await fresh();
  await goLive();
  const second = await b.context.newPage();
  try {
    await openApp(second, app.url);
    await goLive(second, { expect: 'following' });
    assert.equal((await liveHook(second)).role, 'follower');
    assert.match(await second.locator(sel('live-status')).innerText(), /Following the tab that holds the connection/);
    assert.equal((await state()).open, 1, 'still one connection');
    await control('close', { symbols: 'all', values: { BTCUSDT: { c: HIGH, h: HIGH } } });
    await row('BTCUSDT', second).and(second.locator('[data-live="new"]')).waitFor({ timeout: 2_000 });
    await row('BTCUSDT').and(b.page.locator('[data-live="new"]')).waitFor({ timeout: 2_000 });
    // The owner turns Live off: the follower takes the connection over.
    await liveOff();
    await second.waitForFunction(() => window.__technicLive?.role === 'owner' && window.__technicLive?.state === 'connected', null, { timeout: 20_000, polling: 100 });
    const s = await state();
    assert.equal(s.open, 1);
    await liveOff(second);
  } finally {
    await second.close();
  }
});

/** The newest bar time of a symbol's cache entry (the `meta` store's `lastTime`). */
function cachedLastTime(symbol, interval) {
  return b.page.evaluate(async ([symbol, interval]) => {
    const done = (r) => new Promise((ok, fail) => { r.onsuccess = () => ok(r.result); r.onerror = () => fail(r.error); });
    const db = await done(indexedDB.open('technic'));
    try {
      const meta = db.transaction('meta').objectStore('meta');
      const range = IDBKeyRange.bound('binance|', 'binance|\uffff');
      const [ids, metas] = await Promise.all([done(meta.getAllKeys(range)), done(meta.getAll(range))]);
      const i = ids.findIndex((id) => id.endsWith(`|${symbol}|${interval}`));
      return i < 0 ? null : metas[i].lastTime ?? null;
    } finally {
      db.close();
    }
  }, [symbol, interval]);
}

async function waitFor(check, ms) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail('timed out');
}
