//! End-to-end checks of market data against the loopback fault server
//! (tests/e2e/faults.mjs) in Debian's Chromium, through the stable hooks only:
//! every fault becomes its error row while the scan completes, retries are
//! counted at the server, nothing bad is cached (a rescan refetches exactly the
//! failed symbols), a tail top-up asks only for the missing dates, Stop aborts
//! requests in flight, a ZIP import names its bad file, and an API key never
//! shows in the URL, storage (but its own entry), the page, the console or an
//! export.
//!
//! Every hook is required: a missing one fails its test (never a skip).
//! Run: scripts/build.sh && node --test tests/e2e/data.test.mjs   (TECHNIC_DIST overrides dist/)

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { startServer } from './server.mjs';
import { startFaultServer, DAY_MS, dayOf } from './faults.mjs';
import { freshProfile, openBrowser, openApp, runScan, lastScan, sel } from './harness.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DIST = path.resolve(ROOT, process.env.TECHNIC_DIST ?? 'dist');
const FIXTURES = path.join(ROOT, 'tests', 'fixtures');
const EXPR = 'close > 0';

// Where the loader sends a keyed service's API key: only in the
// Authorization header (Polygon `Bearer <key>`, Twelve Data `apikey <key>`).
const KEY_HEADER = { polygon: (k) => `Bearer ${k}`, twelvedata: (k) => `apikey ${k}` };

let app; // dist/ with COOP/COEP
let faults; // the loopback market-data server
const opened = [];
const profiles = [];

async function browser(profileDir) {
  const dir = profileDir ?? (await freshProfile('data'));
  if (!profiles.includes(dir)) profiles.push(dir);
  const b = await openBrowser(dir, { longTasks: false });
  opened.push(b);
  return b;
}

before(async () => {
  try {
    await fs.access(path.join(DIST, 'index.html'));
  } catch {
    throw new Error(`${DIST} is missing the build: run scripts/build.sh first`);
  }
  app = await startServer({ dir: DIST, isolation: true });
  faults = await startFaultServer();
});

after(async () => {
  for (const b of opened) await b.context.close().catch(() => {});
  await app?.close();
  await faults?.close();
  for (const dir of profiles) await fs.rm(dir, { recursive: true, force: true }).catch(() => {});
});

// ---- page helpers ------------------------------------------------------------

async function hasOption(page, selectId, value) {
  return (await page.locator(`${sel(selectId)} option[value="${value}"]`).count()) > 0;
}

/** Fails unless every hook is on the page exactly once. */
async function requireHooks(page, ids) {
  for (const id of ids) assert.equal(await page.locator(sel(id)).count(), 1, `one data-testid="${id}" on the page`);
}

/** Chooses `value` in the source select, which must offer it. */
async function chooseSource(page, value) {
  assert.ok(await hasOption(page, 'source', value), `the source select offers "${value}"`);
  await page.selectOption(sel('source'), value);
}

/** Picks the option of a format select whose value or label names `name` (csv, polygon, binance). */
async function chooseFormat(page, name) {
  const options = await page.locator(`${sel('source-format')} option`).evaluateAll((os) => os.map((o) => ({ value: o.value, label: o.textContent ?? '' })));
  const hit = options.find((o) => o.value.toLowerCase() === name) ?? options.find((o) => `${o.value} ${o.label}`.toLowerCase().includes(name));
  if (!hit) throw new Error(`format select [data-testid="source-format"] has no ${name} option: ${JSON.stringify(options)}`);
  await page.selectOption(sel('source-format'), hit.value);
}

/** Chooses the URL-template source with `template`, `format` and a typed universe. */
async function urlSource(page, { template, format = 'csv', symbols, timeoutS }) {
  await chooseSource(page, 'url');
  await requireHooks(page, ['source-url', 'source-format', 'universe-input', 'request-timeout']);
  await page.locator(sel('source-url')).fill(template);
  await chooseFormat(page, format);
  await page.locator(sel('universe-input')).fill(symbols.join('\n'));
  if (timeoutS !== undefined) await page.locator(sel('request-timeout')).fill(String(timeoutS));
}

const errorRows = (page) => page.locator(sel('error-row')).evaluateAll((rows) =>
  Object.fromEntries(rows.map((r) => [r.dataset.symbol, (r.textContent ?? '').replace(/\s+/g, ' ').trim()])));

const resultSymbols = (page) => page.locator(sel('result-row')).evaluateAll((rows) => rows.map((r) => r.dataset.symbol));

/** Runs a scan and waits for its end; the reason the wait failed goes into the message. */
async function scan(b, timeout) {
  try {
    return await runScan(b.page, { expr: EXPR, timeout });
  } catch (e) {
    throw new Error(`the scan did not end within ${timeout} ms (${e.message})\nconsole tail:\n${b.log.slice(-15).join('\n')}`);
  }
}

/** Data requests per symbol in a server log. */
function perSymbol(log) {
  const m = {};
  for (const e of log) if (e.symbol) (m[e.symbol] ??= []).push(e);
  return m;
}

async function until(fn, { timeout = 10_000, every = 100, what = 'condition' } = {}) {
  const end = Date.now() + timeout;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, every));
  }
}

// ---- faults ------------------------------------------------------------------

test('the fault server is readable from the isolated app page: CORS, Retry-After, and an abort seen at the server', { timeout: 60_000 }, async () => {
  const b = await browser();
  await openApp(b.page, app.url);
  assert.equal(await b.page.evaluate(() => self.crossOriginIsolated), true, 'the app page is cross-origin isolated');
  faults.reset();
  faults.setFaults({ LIMITED: '429', STALLS: 'stall', TWICE: '503x2' });
  const seen = await b.page.evaluate(async (base) => {
    const ok = await fetch(`${base}/csv/PLAIN.csv`);
    const text = await ok.text();
    const limited = await fetch(`${base}/csv/LIMITED.csv`);
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await fetch(`${base}/csv/TWICE.csv`)).status);
    const abort = new AbortController();
    const stalled = await fetch(`${base}/csv/STALLS.csv`, { signal: abort.signal });
    const body = stalled.arrayBuffer().then(() => 'finished', (e) => e.name);
    await new Promise((r) => setTimeout(r, 200));
    abort.abort();
    return { status: ok.status, lines: text.trim().split('\n').length, limited: limited.status, retryAfter: limited.headers.get('Retry-After'), statuses, body: await body };
  }, faults.url);
  assert.equal(seen.status, 200);
  assert.equal(seen.lines, 301, 'a header and 300 bars');
  assert.equal(seen.limited, 429);
  assert.equal(seen.retryAfter, '1', 'Retry-After is exposed to the page');
  assert.deepEqual(seen.statuses, [503, 503, 200], '503 twice, then the bars');
  assert.equal(seen.body, 'AbortError');
  await until(() => faults.log().find((e) => e.symbol === 'STALLS')?.aborted, { timeout: 5_000, what: 'the server to see the abort' });
});


// Symbol → fault → what its error row must say.
const CSV_FAULTS = {
  E500: ['500', /\b500\b/],
  RATED: ['429', /rate.?limit|\b429\b/i],
  HANGS: ['hang', /time.?out|timed out/i],
  TRUNC: ['truncate', /network|truncat|incomplete|fail|body|connection|reset|abort|interrupt|error/i],
  BADROW: [{ type: 'badrow', line: 5 }, /line\s*5\b/i],
  EMPTYCSV: ['empty', /empty|no (data )?rows|no bars|no data/i],
};
const CSV_GOOD = ['GOODA', 'GOODB', 'FLAKY'];

test('URL template (CSV): each fault is its error row, retries are counted, and a rescan refetches exactly the failed symbols', { timeout: 420_000 }, async () => {
  const b = await browser();
  await openApp(b.page, app.url);

  faults.reset();
  faults.setFaults({ FLAKY: '503x2', ...Object.fromEntries(Object.entries(CSV_FAULTS).map(([s, [spec]]) => [s, spec])) });
  const symbols = [...CSV_GOOD, ...Object.keys(CSV_FAULTS)];
  // A hung request is given up after 3 s (the form's Timeout) rather than
  // the default 15 s: the same path, four attempts in 12 s instead of 60.
  await urlSource(b.page, { template: `${faults.url}/csv/{symbol}.csv`, format: 'csv', symbols, timeoutS: 3 });
  const first = await scan(b, 300_000);

  assert.equal(first.stopped, false, `the scan ran to its end: ${JSON.stringify(first)}`);
  assert.equal(first.symbols, symbols.length, 'every typed symbol was scanned');
  const rows = await resultSymbols(b.page);
  const errors = await errorRows(b.page);
  for (const good of CSV_GOOD) {
    assert.ok(rows.includes(good), `${good} is a result row (rows: ${rows.join(', ')}; errors: ${JSON.stringify(errors)})`);
    assert.equal(errors[good], undefined, `${good} has no error row`);
  }
  for (const [symbol, [spec, reason]] of Object.entries(CSV_FAULTS)) {
    assert.ok(errors[symbol] !== undefined, `${symbol} (${JSON.stringify(spec)}) has an error row; error rows: ${JSON.stringify(errors)}`);
    assert.match(errors[symbol], reason, `${symbol}'s error row gives the reason`);
    assert.ok(!rows.includes(symbol), `${symbol} is not a result row`);
  }

  // Retries, counted at the server.
  const log1 = faults.log();
  const by = perSymbol(log1);
  assert.equal(by.FLAKY?.length, 3, `503 twice then 200: three requests for FLAKY (${by.FLAKY?.length})`);
  assert.ok(by.E500.length > 1, `a 500 is retried (${by.E500.length} requests)`);
  assert.ok(by.HANGS.length > 1, `a timeout is retried (${by.HANGS.length} requests)`);
  assert.ok(by.HANGS.every((e) => e.aborted), 'every hung request was aborted by the client (its timeout)');
  const held = by.HANGS.map((e) => e.abortedAt - e.time);
  assert.ok(held.every((ms) => ms >= 2500 && ms < 8000), `each hung request was given up after the form's 3 s timeout (held ${held.join(', ')} ms)`);
  assert.ok(by.RATED.length > 1, `a 429 is retried (${by.RATED.length} requests)`);
  const gaps = by.RATED.slice(1).map((e, i) => e.time - by.RATED[i].time);
  assert.ok(gaps.every((g) => g >= 900), `each retry after a 429 waits Retry-After: 1 s (gaps ${gaps.join(', ')} ms)`);
  for (const good of ['GOODA', 'GOODB']) assert.equal(by[good]?.length, 1, `${good} fetched once`);
  console.log(`# requests per symbol: ${Object.entries(by).map(([s, es]) => `${s} ${es.length}`).join(', ')}; ${first.totalMs} ms`);

  // Nothing bad was cached: with the faults gone, a rescan asks for exactly the failed symbols.
  faults.clearFaults();
  faults.clearLog();
  const second = await scan(b, 120_000);
  assert.equal(second.stopped, false);
  const refetched = Object.keys(perSymbol(faults.log())).sort();
  assert.deepEqual(refetched, Object.keys(CSV_FAULTS).sort(), 'the rescan fetched the failed symbols, and only them');
  assert.deepEqual((await resultSymbols(b.page)).sort(), [...symbols].sort(), 'every symbol is a result row now');
  assert.equal(await b.page.locator(sel('error-row')).count(), 0, 'no error rows are left');
});

const JSON_FAULTS = {
  BADJSON: ['badjson', /json|parse|syntax|expected|line\s*\d+/i],
  EMPTYARR: ['empty', /empty|no bars|no data|no rows/i],
  BADBAR: ['badrow', /\[2\]|abc|not a (number|price|decimal)/i],
  E503: ['503', /\b503\b/],
};

test('URL template (Binance-shaped JSON): invalid JSON, an empty array and a bad bar are error rows; the rest scan', { timeout: 240_000 }, async () => {
  const b = await browser();
  await openApp(b.page, app.url);
  faults.reset();
  faults.setFaults(Object.fromEntries(Object.entries(JSON_FAULTS).map(([s, [spec]]) => [s, spec])));
  const good = ['JGOODA', 'JGOODB'];
  const symbols = [...good, ...Object.keys(JSON_FAULTS)];
  await urlSource(b.page, { template: `${faults.url}/binance/{symbol}.json`, format: 'binance', symbols });
  const done = await scan(b, 180_000);
  assert.equal(done.stopped, false);
  assert.equal(done.symbols, symbols.length);
  const rows = await resultSymbols(b.page);
  const errors = await errorRows(b.page);
  for (const s of good) assert.ok(rows.includes(s), `${s} is a result row (errors: ${JSON.stringify(errors)})`);
  for (const [symbol, [, reason]] of Object.entries(JSON_FAULTS)) {
    assert.ok(errors[symbol] !== undefined, `${symbol} has an error row; error rows: ${JSON.stringify(errors)}`);
    assert.match(errors[symbol], reason, `${symbol}'s error row gives the reason`);
  }
  const by = perSymbol(faults.log());
  // A parse error or an empty answer is not transient: asked once.
  for (const s of ['BADJSON', 'EMPTYARR', 'BADBAR']) assert.equal(by[s]?.length, 1, `${s} is not retried (${by[s]?.length} requests)`);
  assert.ok(by.E503.length > 1, `a 503 is retried (${by.E503.length})`);
});

// ---- tail top-up ---------------------------------------------------------------

test('Binance: a rescan days later asks only for the missing tail (startTime)', { timeout: 240_000 }, async () => {
  const b = await browser();
  // The page's clock is Playwright's from the start, running at real speed from
  // the real time (timers fire as usual), so the test can move the page (and
  // the server) two days ahead: the cached last bar (today's open session) has
  // then closed and two more exist. Without it the app's open-session refresh
  // age (15 min by default) keeps the first answer fresh for the whole test.
  // (Under this clock __technicLastScan.totalMs may read 0; nothing here uses it.)
  await b.context.clock.install();
  await openApp(b.page, app.url);
  await chooseSource(b.page, 'binance');
  await requireHooks(b.page, ['universe-input', 'source-base']);
  const baseHook = 'source-base';
  const symbols = ['BTCUSDT', 'ETHUSDT', 'SOLUSDT'];
  const today = dayOf(Date.now());
  faults.reset();
  faults.setConfig({ today, bars: 120, symbols });
  await b.page.locator(sel(baseHook)).fill(faults.url);
  await b.page.locator(sel('universe-input')).fill(symbols.join('\n'));
  const first = await scan(b, 120_000);
  assert.equal(first.stopped, false);
  assert.deepEqual((await resultSymbols(b.page)).sort(), [...symbols].sort(), `every pair scanned (errors: ${JSON.stringify(await errorRows(b.page))})`);
  const firstKlines = faults.log().filter((e) => e.kind === 'klines');
  assert.ok(firstKlines.length >= symbols.length, 'the first scan fetched klines for each pair');

  // Two days on: the server has two more daily bars, and the page's clock agrees.
  faults.setConfig({ today: today + 2, bars: 122 });
  faults.clearLog();
  await b.page.clock.setSystemTime(Date.now() + 2 * DAY_MS);
  const second = await scan(b, 120_000);
  assert.equal(second.stopped, false);
  const klines = faults.log().filter((e) => e.kind === 'klines');
  const by = perSymbol(klines);
  assert.deepEqual(Object.keys(by).sort(), [...symbols].sort(), 'each pair was topped up');
  for (const [symbol, reqs] of Object.entries(by)) {
    for (const e of reqs) {
      const start = Number(e.query.startTime);
      assert.ok(Number.isFinite(start), `${symbol}: the top-up gives a startTime (${JSON.stringify(e.query)})`);
      // The cached last bar was still open when saved, so it is refetched; nothing before it.
      assert.ok(start >= today * DAY_MS && start <= (today + 1) * DAY_MS,
        `${symbol}: startTime ${new Date(start).toISOString()} is the first missing day (${new Date(today * DAY_MS).toISOString()} or the day after)`);
    }
  }
  console.log(`# top-up startTimes: ${klines.map((e) => `${e.symbol} ${new Date(Number(e.query.startTime)).toISOString().slice(0, 10)}`).join(', ')}`);
  assert.equal(await b.page.locator(sel('error-row')).count(), 0, 'the top-up gave no error rows');
});

// ---- Stop --------------------------------------------------------------------

test('Stop aborts the requests in flight, as the server sees it', { timeout: 120_000 }, async () => {
  const b = await browser();
  await openApp(b.page, app.url);
  await requireHooks(b.page, ['stop']);
  faults.reset();
  // Every answer stalls mid-body (and a few never start), far longer than the test waits.
  faults.setFaults({ '*': 'stall', STALLH1: 'hang', STALLH2: 'hang' });
  const symbols = [...Array.from({ length: 10 }, (_, i) => `STALL${i}`), 'STALLH1', 'STALLH2'];
  await urlSource(b.page, { template: `${faults.url}/csv/{symbol}.csv`, format: 'csv', symbols });
  const prev = (await lastScan(b.page))?.scanId ?? null;
  await b.page.locator(sel('scan-input')).fill(EXPR);
  await b.page.locator(sel('run')).click();
  const inFlight = await until(() => {
    const open = faults.log().filter((e) => e.symbol && !e.finished && !e.aborted);
    return open.length >= 2 ? open : null;
  }, { timeout: 30_000, what: 'requests in flight at the server' });
  await b.page.waitForTimeout(300);
  const stoppedAt = Date.now();
  await b.page.locator(sel('stop')).click();
  // Every request the server saw is closed by the client well before any timeout.
  await until(() => faults.log().filter((e) => e.symbol).every((e) => e.aborted || e.finished),
    { timeout: 5_000, what: 'every request to be aborted after Stop' });
  const log = faults.log().filter((e) => e.symbol);
  const aborted = log.filter((e) => e.aborted);
  assert.ok(aborted.length >= inFlight.length, `the requests in flight at Stop were aborted (${aborted.length} of ${log.length})`);
  const lag = Math.max(...aborted.map((e) => e.abortedAt - stoppedAt));
  assert.ok(lag < 3_000, `aborted within ${lag} ms of Stop (the timeout is 15 s)`);
  await b.page.waitForFunction((p) => window.__technicLastScan && window.__technicLastScan.scanId !== p, prev, { timeout: 30_000 });
  const done = await lastScan(b.page);
  assert.equal(done.stopped, true, `the scan says it was stopped: ${JSON.stringify(done)}`);
  // No new request starts after Stop.
  const count = faults.log().length;
  await b.page.waitForTimeout(1_000);
  assert.equal(faults.log().length, count, 'no request after Stop');
  console.log(`# Stop: ${aborted.length} requests aborted, the last ${lag} ms after the click`);
});

// ---- import --------------------------------------------------------------------

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const byte of buf) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** A store-only (uncompressed) ZIP of `[name, Buffer]` entries. */
function zipStore(entries) {
  const locals = [];
  const centrals = [];
  let offset = 0;
  for (const [name, data] of entries) {
    const nameBuf = Buffer.from(name, 'utf8');
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(0, 8); // stored
    local.writeUInt32LE(0, 10); // time, date
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBuf.length, 26);
    local.writeUInt16LE(0, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(0, 10);
    central.writeUInt32LE(0, 12);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBuf.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBuf, data);
    centrals.push(central, nameBuf);
    offset += local.length + nameBuf.length + data.length;
  }
  const dir = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(dir.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, dir, end]);
}

test('a ZIP with one bad file: the others are accepted, the bad one is named with its reason', { timeout: 120_000 }, async () => {
  const b = await browser();
  await openApp(b.page, app.url);
  await chooseSource(b.page, 'import');
  await requireHooks(b.page, ['import-input', 'import-results']);
  const read = (f) => fs.readFile(path.join(FIXTURES, 'import', f));
  const zip = zipStore([
    ['AAPL.csv', await read('AAPL.csv')],
    ['data/msft.us.txt', await read('msft.us.txt')],
    ['BAD.csv', await read('BAD.csv')],
  ]);
  await b.page.locator(sel('import-input')).setInputFiles({ name: 'bars.zip', mimeType: 'application/zip', buffer: zip });
  const rowsSel = `${sel('import-results')} [data-file]`;
  await b.page.waitForFunction((s) => document.querySelectorAll(s).length >= 3, rowsSel, { timeout: 30_000 });
  const rows = await b.page.locator(rowsSel).evaluateAll((els) => els.map((el) => ({
    file: el.dataset.file, status: el.dataset.status ?? el.dataset.accepted ?? null, text: (el.textContent ?? '').replace(/\s+/g, ' ').trim(),
  })));
  const rejected = (r) => (r.status !== null ? /reject|error|false|bad/i.test(r.status) : /reject|error|invalid|not a number/i.test(r.text));
  const bad = rows.filter((r) => /BAD/.test(r.file));
  assert.equal(bad.length, 1, `one result row names BAD.csv: ${JSON.stringify(rows)}`);
  assert.ok(rejected(bad[0]), `BAD.csv is rejected: ${JSON.stringify(bad[0])}`);
  assert.match(bad[0].text, /line\s*3\b|abc|not a number/i, `the reason points at the bad row (line 3): ${bad[0].text}`);
  const others = rows.filter((r) => !/BAD/.test(r.file));
  assert.ok(others.some((r) => /AAPL/i.test(r.file)) && others.some((r) => /msft/i.test(r.file)), `AAPL and MSFT have rows: ${JSON.stringify(rows)}`);
  for (const r of others) assert.ok(!rejected(r), `${r.file} is accepted: ${JSON.stringify(r)}`);

  const done = await scan(b, 60_000);
  const symbols = await resultSymbols(b.page);
  assert.ok(symbols.some((s) => /^AAPL/i.test(s)) && symbols.some((s) => /^MSFT/i.test(s)), `the imported symbols scan: ${symbols.join(', ')} (${JSON.stringify(done)})`);
  assert.ok(!symbols.some((s) => /^BAD/i.test(s)), 'the rejected file is not scanned');
});

// ---- API keys ------------------------------------------------------------------

/** The key as the server saw it: where it came (query, header, path) for every data request. */
function keyCarriers(log, key) {
  return log.filter((e) => e.symbol).map((e) => ({
    symbol: e.symbol,
    query: Object.values(e.query).some((v) => String(v).includes(key)),
    path: e.path.includes(key),
    authorization: e.authorization,
  }));
}

/** Asserts the key reached the server only in the Authorization header, on every data request. */
function assertKeyCarried(source, log, key) {
  const seen = keyCarriers(log, key);
  assert.ok(seen.length > 0, `${source}: the server saw data requests`);
  for (const r of seen) {
    assert.equal(r.path, false, `${source} ${r.symbol}: the key is not in the path`);
    assert.equal(r.authorization, KEY_HEADER[source](key), `${source} ${r.symbol}: the key is in the Authorization header`);
    assert.equal(r.query, false, `${source} ${r.symbol}: the key is not in the query string`);
  }
}

test('an API key never appears in the URL, other storage, the page, the console or an export', { timeout: 240_000 }, async () => {
  const b = await browser();
  await openApp(b.page, app.url);
  await chooseSource(b.page, 'polygon');
  await requireHooks(b.page, ['api-key', 'source-base', 'universe-input', 'export-csv']);
  const KEY = 'E2EsecretKEY7f3a9c';
  faults.reset();
  await b.page.locator(sel('source-base')).fill(faults.url);
  // One symbol the server answers and one it refuses, so an error row exists to inspect.
  faults.setFaults({ KEYFAIL: '500' });
  await b.page.locator(sel('api-key')).fill(KEY);
  await b.page.locator(sel('api-key')).press('Tab');
  await b.page.locator(sel('universe-input')).fill('AAPL\nKEYFAIL');
  const done = await scan(b, 150_000);
  assert.equal(done.stopped, false, `the scan ran to its end: ${JSON.stringify(done)}`);
  assert.deepEqual(await resultSymbols(b.page), ['AAPL'], 'AAPL scanned');
  const errors = await errorRows(b.page);
  assert.ok(errors.KEYFAIL !== undefined, `KEYFAIL is an error row: ${JSON.stringify(errors)}`);

  assert.ok(!b.page.url().includes(KEY), `the key is not in location.href: ${b.page.url()}`);
  const storage = await b.page.evaluate(() => Object.fromEntries(Object.keys(localStorage).map((k) => [k, localStorage.getItem(k)])));
  const holding = Object.entries(storage).filter(([, v]) => (v ?? '').includes(KEY)).map(([k]) => k);
  assert.ok(holding.length === 1 && /key/i.test(holding[0]), `only the key's own localStorage entry holds it: ${JSON.stringify(holding)}`);
  const session = await b.page.evaluate(() => Object.values(sessionStorage).join('\n'));
  assert.ok(!session.includes(KEY), 'sessionStorage does not hold the key');
  for (const [symbol, text] of Object.entries(errors)) assert.ok(!text.includes(KEY), `error row ${symbol} does not show the key: ${text}`);
  const pageText = await b.page.evaluate(() => document.body.innerText);
  assert.ok(!pageText.includes(KEY), 'the page text does not show the key');
  const attrs = await b.page.evaluate((k) => [...document.querySelectorAll('*')].flatMap((el) => [...el.attributes]
    .filter((a) => a.value.includes(k) && !(el.matches('[data-testid="api-key"]') && a.name === 'value')).map((a) => `${el.tagName}.${a.name}`)), KEY);
  assert.deepEqual(attrs, [], 'no attribute but the key input\'s own value holds the key');
  assert.ok(!b.log.some((l) => l.includes(KEY)), `no console line shows the key: ${b.log.filter((l) => l.includes(KEY)).join('\n')}`);
  assertKeyCarried('polygon', faults.log(), KEY);

  const [download] = await Promise.all([b.page.waitForEvent('download', { timeout: 15_000 }), b.page.locator(sel('export-csv')).click()]);
  const text = await fs.readFile(await download.path(), 'utf8');
  assert.match(text, /AAPL/, 'the export has the scanned row');
  assert.ok(!text.includes(KEY), 'the export does not contain the key');
  // Chromium logs each injected 500 as "Failed to load resource"; anything else is a problem.
  const unexpected = b.problems.filter((p) => !/Failed to load resource: the server responded with a status of 500/.test(p));
  assert.deepEqual(unexpected, [], `console errors:\n${unexpected.join('\n')}`);
});

// ---- every network source against its documented response shape --------------

const SERVICES = [
  { source: 'coinbase', symbol: 'BTC-USD', kind: 'coinbase', key: false },
  { source: 'polygon', symbol: 'AAPL', kind: 'polygon', key: true },
  { source: 'twelvedata', symbol: 'MSFT', kind: 'twelvedata', key: true },
  { source: 'binance', symbol: 'BTCUSDT', kind: 'klines', key: false },
];

test('Coinbase, Polygon, Twelve Data and Binance each scan from their documented response shapes', { timeout: 240_000 }, async () => {
  const b = await browser();
  await openApp(b.page, app.url);
  for (const s of SERVICES) {
    await chooseSource(b.page, s.source);
    await requireHooks(b.page, ['universe-input', 'source-base', ...(s.key ? ['api-key'] : [])]);
    faults.reset();
    await b.page.locator(sel('source-base')).fill(faults.url);
    const key = `e2e-key-${s.source}-123`;
    if (s.key) await b.page.locator(sel('api-key')).fill(key);
    await b.page.locator(sel('universe-input')).fill(s.symbol);
    const last = await scan(b, 120_000);
    assert.equal(last.stopped, false, `${s.source}: the scan completed`);
    assert.deepEqual(await errorRows(b.page), {}, `${s.source}: no error rows`);
    assert.deepEqual(await resultSymbols(b.page), [s.symbol], `${s.source}: the symbol scanned into a result row`);
    const seen = faults.log().filter((e) => e.kind === s.kind && e.symbol === s.symbol);
    assert.ok(seen.length >= 1, `${s.source}: the loopback server answered its ${s.kind} endpoint`);
    if (s.key) assertKeyCarried(s.source, faults.log(), key);
  }
  assert.deepEqual(b.problems, [], `console errors:\n${b.problems.join('\n')}`);
});

// ---- intervals -----------------------------------------------------------------

const FIVE_MIN = 300_000;
const HOUR_MS = 3_600_000;

/** Each result row's last bar (epoch ms) and bar count, by symbol. */
const rowBars = (page) => page.locator(sel('result-row')).evaluateAll((rows) =>
  Object.fromEntries(rows.map((r) => [r.dataset.symbol, { time: Number(r.dataset.barTime), bars: Number(r.dataset.bars) }])));

/**
 * Fixes the page's clock (running at real speed) and the server's "now" at
 * 20 s into a five-minute period, so no bar closes during a test of a few
 * minutes: what is cached stays fresh, and the last bar is known.
 */
async function fixedNow(b) {
  const now = Math.floor(Date.now() / FIVE_MIN) * FIVE_MIN + 20_000;
  await b.context.clock.install({ time: now });
  return now;
}

test('the interval select offers 1m … 1d for Binance and Coinbase only, daily by default', { timeout: 60_000 }, async () => {
  const b = await browser();
  await openApp(b.page, app.url);
  await chooseSource(b.page, 'sample');
  assert.equal(await b.page.locator(sel('interval')).count(), 0, 'no interval for a daily-only source');
  for (const source of ['binance', 'coinbase']) {
    await chooseSource(b.page, source);
    await requireHooks(b.page, ['interval']);
    const values = await b.page.locator(`${sel('interval')} option`).evaluateAll((os) => os.map((o) => o.value));
    assert.deepEqual(values, ['1m', '5m', '15m', '1h', '4h', '1d'], `${source}: the options, valued as written`);
    assert.equal(await b.page.locator(sel('interval')).inputValue(), '1d', `${source}: daily by default`);
  }
});

test('Binance at 5m asks for interval=5m, keeps the cache per interval (1d fetches again, a second 5m scan none)', { timeout: 300_000 }, async () => {
  const b = await browser();
  const now = await fixedNow(b);
  await openApp(b.page, app.url);
  await chooseSource(b.page, 'binance');
  await requireHooks(b.page, ['universe-input', 'source-base', 'interval']);
  const symbols = ['BTCUSDT', 'ETHUSDT'];
  faults.reset();
  faults.setConfig({ today: dayOf(now), now, bars: 120, symbols });
  await b.page.locator(sel('source-base')).fill(faults.url);
  await b.page.locator(sel('universe-input')).fill(symbols.join('\n'));
  await b.page.selectOption(sel('interval'), '5m');

  const first = await scan(b, 120_000);
  assert.equal(first.stopped, false);
  assert.deepEqual(await errorRows(b.page), {}, 'no error rows');
  const klines = faults.log().filter((e) => e.kind === 'klines');
  assert.deepEqual(Object.keys(perSymbol(klines)).sort(), [...symbols].sort(), 'each pair was fetched');
  assert.ok(klines.every((e) => e.query.interval === '5m' && e.interval === '5m'), `every request asked for 5m: ${JSON.stringify(klines.map((e) => e.query))}`);
  const lastOpen = Math.floor(now / FIVE_MIN) * FIVE_MIN;
  const rows = await rowBars(b.page);
  for (const s of symbols) {
    assert.deepEqual(rows[s], { time: lastOpen, bars: 120 }, `${s}: 120 five-minute bars, the last opening ${new Date(lastOpen).toISOString()}`);
  }

  // The same pairs daily: another cache entry, fetched at 1d.
  faults.clearLog();
  await b.page.selectOption(sel('interval'), '1d');
  await scan(b, 120_000);
  const daily = faults.log().filter((e) => e.kind === 'klines');
  assert.deepEqual(Object.keys(perSymbol(daily)).sort(), [...symbols].sort(), 'the daily scan fetched every pair');
  assert.ok(daily.every((e) => e.query.interval === '1d'), 'at 1d');
  const dailyRows = await rowBars(b.page);
  assert.equal(dailyRows.BTCUSDT.time, dayOf(now) * DAY_MS, 'daily bars end on today');

  // 5m again: served from the cache, nothing asked of the server.
  faults.clearLog();
  await b.page.selectOption(sel('interval'), '5m');
  await scan(b, 120_000);
  assert.deepEqual(faults.log().filter((e) => e.kind === 'klines'), [], 'the second 5m scan fetched nothing');
  assert.deepEqual(await rowBars(b.page), rows, 'the same bars as the first 5m scan');
  assert.deepEqual(b.problems, [], `console errors:\n${b.problems.join('\n')}`);
});

test('Coinbase at 4h asks for hourly candles (granularity=3600) and yields four-hour bars', { timeout: 240_000 }, async () => {
  const b = await browser();
  const now = await fixedNow(b);
  await openApp(b.page, app.url);
  await chooseSource(b.page, 'coinbase');
  await requireHooks(b.page, ['universe-input', 'source-base', 'interval']);
  faults.reset();
  faults.setConfig({ today: dayOf(now), now, bars: 800 });
  await b.page.locator(sel('source-base')).fill(faults.url);
  await b.page.locator(sel('universe-input')).fill('BTC-USD');
  await b.page.selectOption(sel('interval'), '4h');
  const last = await scan(b, 120_000);
  assert.equal(last.stopped, false);
  assert.deepEqual(await errorRows(b.page), {}, 'no error rows');
  const candles = faults.log().filter((e) => e.kind === 'coinbase');
  assert.ok(candles.length >= 1, 'the candles endpoint was asked');
  assert.ok(candles.every((e) => e.query.granularity === '3600' && e.interval === '1h'), `hourly candles only: ${JSON.stringify(candles.map((e) => e.query))}`);
  // The server's 800 hourly candles end at the current hour; each 4h bar
  // gathers those of its four hours (00, 04, 08 … UTC).
  const lastHour = Math.floor(now / HOUR_MS) * HOUR_MS;
  const buckets = new Set();
  for (let k = 0; k < 800; k++) buckets.add(Math.floor((lastHour - k * HOUR_MS) / (4 * HOUR_MS)));
  const rows = await rowBars(b.page);
  assert.deepEqual(rows['BTC-USD'], { time: Math.floor(now / (4 * HOUR_MS)) * 4 * HOUR_MS, bars: buckets.size },
    'four-hour bars, the last one the bar still open');
  assert.deepEqual(b.problems, [], `console errors:\n${b.problems.join('\n')}`);
});
