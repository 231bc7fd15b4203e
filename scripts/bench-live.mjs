//! Benchmark of live scanning's latency (issue 11; goal < 100 ms): from the
//! moment the loopback Binance server (tests/e2e/live-server.mjs) has written
//! a closing kline (x:true) to the moment the page shows the symbol it made
//! match as a new row (`[data-testid="result-row"][data-symbol=SYM][data-live="new"]`),
//! in headless Chromium through the harness. A Binance scan of --symbols typed
//! pairs at 1m on `close > 10000` (generated prices stay under 250, so nothing
//! matches) is run, Live is switched on, then each round closes every pair's
//! bar with one pair's close at 20000: that pair becomes a new match (and the
//! previous round's pair drops out). A MutationObserver in the page stamps
//! Date.now() when the row appears (and the next animation frame, ≈ paint);
//! the server and the page share the machine's clock. Figures are printed,
//! never asserted: one JSON line each, then a readable line.
//!
//! Usage: scripts/build.sh && node scripts/bench-live.mjs [--rounds 20] [--symbols 50]
//!          [--pause 400] [--timeout 10000] [--dist dist]
//! Page hooks used: source, source-base, stream-base, universe-input, interval,
//! scan-input, run, live, live-status, result-row (data-symbol, data-live).

import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { startServer } from '../tests/e2e/server.mjs';
import { startLiveServer } from '../tests/e2e/live-server.mjs';
import { freshProfile, openBrowser, openApp, runScan, sel } from '../tests/e2e/harness.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const LIVE_EXPR = 'close > 10000';
export const MATCHING_CLOSE = 20_000;

function parseArgs(argv) {
  const o = { rounds: 20, symbols: 50, pause: 400, timeout: 10_000, dist: 'dist' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--rounds') o.rounds = Number(argv[++i]);
    else if (a === '--symbols') o.symbols = Number(argv[++i]);
    else if (a === '--pause') o.pause = Number(argv[++i]);
    else if (a === '--timeout') o.timeout = Number(argv[++i]);
    else if (a === '--dist') o.dist = argv[++i];
    else throw new Error(`unknown argument ${a} (use --rounds N, --symbols N, --pause ms, --timeout ms, --dist DIR)`);
  }
  if (!(o.rounds >= 1) || !(o.symbols >= 2) || !(o.symbols <= 1024) || !(o.pause >= 0) || !(o.timeout > 0)) {
    throw new Error('need --rounds ≥ 1, 2 ≤ --symbols ≤ 1024, --pause ≥ 0 and --timeout > 0');
  }
  return o;
}

/** `n` typed pairs: L000USDT, L001USDT, … */
export const liveUniverse = (n) => Array.from({ length: n }, (_, i) => `L${String(i).padStart(3, '0')}USDT`);

/** Fails with the hook's name unless the page has exactly one of each. */
async function requireHooks(page, ids) {
  for (const id of ids) {
    const n = await page.locator(sel(id)).count();
    if (n !== 1) throw new Error(`the page has ${n} [data-testid="${id}"], needs one (live scanning's hooks)`);
  }
}

/** Sets the Live switch (a checkbox, or a button/switch with aria-pressed or aria-checked). */
export async function setLive(page, on) {
  const live = page.locator(sel('live'));
  const kind = await live.evaluate((el) => (el instanceof HTMLInputElement && el.type === 'checkbox' ? 'checkbox' : 'button'));
  if (kind === 'checkbox') return live.setChecked(on);
  const state = await live.evaluate((el) => el.getAttribute('aria-pressed') ?? el.getAttribute('aria-checked'));
  if ((state === 'true') !== on) await live.click();
}

/** Points the page at the live server: Binance source, typed pairs, 1m, the expression. */
export async function configureLiveScan(page, server, symbols, { expr = LIVE_EXPR, interval = '1m' } = {}) {
  await requireHooks(page, ['source']);
  await page.selectOption(sel('source'), 'binance');
  // The Binance form's own fields exist once it is the chosen source.
  await requireHooks(page, ['source-base', 'stream-base', 'universe-input', 'interval', 'scan-input', 'live']);
  for (const [id, value] of [['source-base', server.url], ['stream-base', server.wsUrl]]) {
    await page.locator(sel(id)).fill(value);
    await page.locator(sel(id)).dispatchEvent('change');
  }
  await page.locator(sel('universe-input')).fill(symbols.join('\n'));
  await page.selectOption(sel('interval'), interval);
  await page.locator(sel('scan-input')).fill(expr);
}

/** Waits until the server has one open connection subscribed to all `n` streams. */
async function waitForStreams(server, n, timeout) {
  const until = Date.now() + timeout;
  for (;;) {
    const s = server.state();
    if (s.open === 1 && s.connections.some((c) => c.closedAt === null && c.streams.length === n)) return s;
    if (Date.now() > until) {
      throw new Error(`no live connection with ${n} streams after ${timeout} ms (server sees ${JSON.stringify(s.connections.map((c) => ({ streams: c.streams.length, closedBy: c.closedBy })))})`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Starts watching, in the page, for `symbol`'s row with data-live="new":
 * `window.__liveWatch.at` is Date.now() in the mutation callback that first
 * sees it, `frameAt` the start of the next animation frame.
 */
function watchForNewRow(page, symbol) {
  return page.evaluate((symbol) => {
    window.__liveWatch?.observer.disconnect();
    const query = `[data-testid="result-row"][data-symbol="${CSS.escape(symbol)}"][data-live="new"]`;
    const w = { symbol, at: null, frameAt: null };
    const seen = () => {
      if (w.at !== null || !document.querySelector(query)) return;
      w.at = Date.now();
      w.observer.disconnect();
      requestAnimationFrame(() => { w.frameAt = Date.now(); });
    };
    w.observer = new MutationObserver(seen);
    w.observer.observe(document.body, { childList: true, subtree: true, attributes: true, attributeFilter: ['data-live', 'data-symbol'] });
    window.__liveWatch = w;
    seen(); // already there: a stale row; the round then measures 0 and says so below
  }, symbol);
}

const percentile = (values, p) => {
  const v = [...values].sort((a, b) => a - b);
  return v.length ? v[Math.min(v.length - 1, Math.ceil((p / 100) * v.length) - 1)] : NaN;
};

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const app = await startServer({ dir: path.resolve(ROOT, o.dist), isolation: true });
  const server = await startLiveServer({ quiet: true });
  const symbols = liveUniverse(o.symbols);
  server.configure({ interval: '1m', symbols, bars: 300, now: Date.now() });
  const b = await openBrowser(await freshProfile('bench-live'));
  const rounds = [];
  try {
    await openApp(b.page, app.url);
    await configureLiveScan(b.page, server, symbols);
    const first = await runScan(b.page, { timeout: 300_000 });
    if (first.rows !== 0) console.log(`note: the first scan matched ${first.rows} rows (expected 0)`);
    await setLive(b.page, true);
    await waitForStreams(server, o.symbols, 60_000);
    await b.page.waitForTimeout(o.pause);
    for (let r = 0; r < o.rounds; r++) {
      const symbol = symbols[(r + 1) % symbols.length];
      await watchForNewRow(b.page, symbol);
      const stale = await b.page.evaluate(() => window.__liveWatch.at !== null);
      const { sentAt, barOpen } = server.closeBars({ symbols: 'all', values: { [symbol]: { c: MATCHING_CLOSE } } });
      let seen = null;
      try {
        await b.page.waitForFunction(() => window.__liveWatch.at !== null && window.__liveWatch.frameAt !== null, null, { timeout: o.timeout, polling: 20 });
        seen = await b.page.evaluate(() => ({ at: window.__liveWatch.at, frameAt: window.__liveWatch.frameAt }));
      } catch {
        // counted as a miss below
      }
      rounds.push({
        round: r + 1, symbol, barOpen, stale,
        rowMs: seen && !stale ? seen.at - sentAt : null,
        frameMs: seen && !stale ? seen.frameAt - sentAt : null,
      });
      await b.page.waitForTimeout(o.pause);
    }
    await setLive(b.page, false);
  } finally {
    const status = await b.page.locator(sel('live-status')).first().textContent({ timeout: 1000 }).catch(() => null);
    if (status) console.log(`live-status at the end: ${status.trim()}`);
    if (b.problems.length) console.log(`note: console errors: ${b.problems.slice(0, 5).join(' | ')}`);
    await b.context.close();
    await app.close();
    await server.close();
  }
  const row = rounds.map((r) => r.rowMs).filter((v) => v !== null);
  const frame = rounds.map((r) => r.frameMs).filter((v) => v !== null);
  const misses = rounds.filter((r) => r.rowMs === null);
  const fig = (name, value, unit) => console.log(JSON.stringify({ name, value: Number.isFinite(value) ? Math.round(value * 100) / 100 : null, unit }));
  fig('live.close_to_row_ms.p50', percentile(row, 50), 'ms');
  fig('live.close_to_row_ms.p95', percentile(row, 95), 'ms');
  fig('live.close_to_row_ms.max', row.length ? Math.max(...row) : NaN, 'ms');
  fig('live.close_to_frame_ms.p50', percentile(frame, 50), 'ms');
  fig('live.rounds', row.length, 'count');
  fig('live.misses', misses.length, 'count');
  console.log(`\nLive latency, closing kline written → new row in the table: ${o.symbols} pairs at 1m, ${row.length} of ${o.rounds} rounds seen`
    + ` (${misses.length} missed within ${o.timeout} ms${misses.some((r) => r.stale) ? ', some because a stale "new" row was already there' : ''}):`
    + ` p50 ${Math.round(percentile(row, 50))} ms, p95 ${Math.round(percentile(row, 95))} ms, max ${Math.round(row.length ? Math.max(...row) : NaN)} ms;`
    + ` to the next frame p50 ${Math.round(percentile(frame, 50))} ms (goal < 100 ms)`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    console.error(`bench-live: ${e.stack ?? e}`);
    process.exit(1);
  });
}
