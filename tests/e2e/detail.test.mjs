//! End-to-end checks of the detail view (issue 10) in Debian's Chromium, on
//! both builds (threaded behind COOP/COEP, single-threaded without them),
//! through the hooks only: a row's click opens `data-testid="detail"` with
//! the row's symbol; `window.__technicChart` reports the bars the chart holds
//! (the symbol's CSV rows), the markers (the bars where the scan is true,
//! checked against the scan computed here from the CSV) and the trade plan's
//! price lines (the row's entry/stop/target on a Long row; none on Avoid);
//! next / previous by keyboard follow the table's order; Esc closes; the
//! About panel carries the chart library's notice; no console error and no
//! CSP violation throughout.
//!
//! Run: scripts/build.sh && node --test tests/e2e/detail.test.mjs   (TECHNIC_DIST overrides dist/)

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { startServer } from './server.mjs';
import { freshProfile, openBrowser, openApp, runScan, cspViolations, sel, requireBothBuilds } from './harness.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DIST = path.resolve(ROOT, process.env.TECHNIC_DIST ?? 'dist');
const DATA = path.join(ROOT, 'www/data');
/** Bars per synthetic symbol (SYNTHETIC_BARS in src/data/loader/source.rs). */
const SYNTHETIC_BARS = 300;

let isolated; // threaded build
let plain; // single-threaded build (dist/st/)
const opened = [];
const profiles = [];

async function browser() {
  const dir = await freshProfile('detail');
  profiles.push(dir);
  const b = await openBrowser(dir);
  opened.push(b);
  return b;
}

before(async () => {
  await requireBothBuilds(DIST);
  isolated = await startServer({ dir: DIST, isolation: true });
  plain = await startServer({ dir: DIST, isolation: false });
});

after(async () => {
  for (const b of opened) await b.context.close().catch(() => {});
  await isolated?.close();
  await plain?.close();
  for (const dir of profiles) await fs.rm(dir, { recursive: true, force: true }).catch(() => {});
});

/**
 * A sample CSV as the app reads it: one bar per data row, prices scaled by
 * Adj Close / Close (src/data/csv/reader.rs), time in UTC seconds.
 */
async function sampleBars(symbol) {
  const text = await fs.readFile(path.join(DATA, `${symbol}.csv`), 'utf8');
  const [header, ...lines] = text.trim().split('\n');
  const cols = header.split(',');
  const at = (name) => cols.indexOf(name);
  const [iDate, iClose, iAdj] = [at('Date'), at('Close'), at('Adj Close')];
  assert.ok(iDate >= 0 && iClose >= 0 && iAdj >= 0, `${symbol}.csv has Date, Close and Adj Close`);
  return lines.map((line) => {
    const cells = line.split(',');
    const close = Number(cells[iClose]);
    const adj = Number(cells[iAdj]);
    const [y, m, d] = cells[iDate].split('-').map(Number);
    return { time: Date.UTC(y, m - 1, d) / 1000, close: close > 0 ? close * (adj / close) : close };
  });
}

/**
 * `close > sma(close, n)` at every bar, computed here: the bar times where it
 * is true, and those too close to call (|close − sma| within rounding), which
 * the comparison leaves out.
 */
function aboveAverage(bars, n) {
  const above = [];
  const tooClose = new Set();
  let sum = 0;
  bars.forEach((b, i) => {
    sum += b.close;
    if (i >= n) sum -= bars[i - n].close;
    if (i < n - 1) return;
    const sma = sum / n;
    if (Math.abs(b.close - sma) <= 1e-9 * Math.max(1, Math.abs(sma))) tooClose.add(b.time);
    else if (b.close > sma) above.push(b.time);
  });
  return { above, tooClose };
}

const chart = (page) => page.evaluate(() => window.__technicChart ?? null);

async function chartOf(page, symbol) {
  await page.waitForFunction((s) => window.__technicChart?.symbol === s, symbol, { timeout: 30_000, polling: 50 });
  return chart(page);
}

/** The result rows' symbols in the table's order. */
const tableSymbols = (page) =>
  page.locator(sel('result-row')).evaluateAll((rows) => rows.map((r) => r.getAttribute('data-symbol')));

async function checkSample(b, url, label) {
  const page = b.page;
  await openApp(page, url);
  const scan = await runScan(page, { source: 'sample', expr: 'close > sma(close, 50)' });
  assert.equal(scan.stopped, false, `${label}: the scan ran to the end`);
  const symbols = await tableSymbols(page);
  assert.ok(symbols.length >= 2, `${label}: at least two sample symbols close above their 50-bar average (got ${symbols})`);
  assert.equal(await page.locator(sel('detail')).count(), 0, `${label}: no detail before a click`);

  await page.locator(sel('result-row')).first().click();
  const detail = page.locator(sel('detail'));
  await detail.waitFor({ state: 'visible', timeout: 10_000 });
  assert.equal(await detail.getAttribute('data-symbol'), symbols[0], `${label}: the detail is the clicked row's`);
  const shown = await chartOf(page, symbols[0]);
  const bars = await sampleBars(symbols[0]);
  assert.equal(shown.bars, bars.length, `${label}: ${symbols[0]}: the chart holds every bar of the CSV`);
  const { above, tooClose } = aboveAverage(bars, 50);
  assert.ok(above.length > 0, 'the oracle finds bars above the average');
  const markers = shown.markers.filter((t) => !tooClose.has(t));
  assert.deepEqual(markers, above, `${label}: ${symbols[0]}: markers are the bars where close > sma(close, 50)`);
  assert.equal(markers.at(-1), bars.at(-1).time, `${label}: the last bar (the match) is marked`);
  // The sample's rows are Avoid at their last bar: no plan, no price lines.
  const signal = (await page.locator(sel('result-row')).first().locator('.chip').textContent()).trim();
  if (signal === 'Avoid') assert.deepEqual(shown.priceLines, [], `${label}: an Avoid row has no price lines`);
  assert.ok(await detail.locator(sel('detail-subscores')).count(), `${label}: the subscores are shown`);
  assert.ok(await detail.locator('canvas').count() > 0, `${label}: the chart drew canvases`);

  // Next / previous follow the table's order; focus is in the detail.
  await page.keyboard.press('ArrowDown');
  await page.waitForFunction((s) => document.querySelector('[data-testid="detail"]')?.dataset.symbol === s, symbols[1], { timeout: 10_000 });
  const second = await chartOf(page, symbols[1]);
  assert.equal(second.bars, (await sampleBars(symbols[1])).length, `${label}: ${symbols[1]}: the chart follows the next result`);
  await page.keyboard.press('k');
  await chartOf(page, symbols[0]);
  assert.equal(await detail.getAttribute('data-symbol'), symbols[0], `${label}: k goes back`);
  await page.keyboard.press('ArrowUp');
  await page.waitForTimeout(200);
  assert.equal(await detail.getAttribute('data-symbol'), symbols[0], `${label}: previous stops at the first result`);
  await page.keyboard.press('j');
  await chartOf(page, symbols[1]);

  // Esc closes the detail (and stops nothing: the scan is over).
  await page.keyboard.press('Escape');
  await page.locator(sel('detail')).waitFor({ state: 'detached', timeout: 10_000 });
  assert.equal(await chart(page), null, `${label}: the hook is cleared when the detail closes`);
}

test('a row opens its chart: bars, markers, no plan on Avoid, next/previous, Esc (threaded build)', { timeout: 180_000 }, async () => {
  const b = await browser();
  await checkSample(b, isolated.url, 'threaded');
  assert.deepEqual(await cspViolations(b.page), [], 'no CSP violation');
  assert.deepEqual(b.problems, [], 'no console error');
});

test('the same on the single-threaded build', { timeout: 180_000 }, async () => {
  const b = await browser();
  // ?coi=off: no service-worker shim, so the plain server gets the single-threaded build.
  await checkSample(b, `${plain.url}?coi=off`, 'single-threaded');
  assert.match(await b.page.locator(sel('status')).textContent(), /single[- ]thread/i, 'the single-threaded build ran');
  assert.deepEqual(await cspViolations(b.page), [], 'no CSP violation');
  assert.deepEqual(b.problems, [], 'no console error');
});

test('a Long row draws its entry, stop and target as price lines', { timeout: 180_000 }, async () => {
  const b = await browser();
  const page = b.page;
  await openApp(page, isolated.url);
  const scan = await runScan(page, { source: 'synthetic-1000', expr: 'signal = "Long"' });
  assert.ok(scan.rows > 0, `some synthetic symbol is Long at its last bar: ${JSON.stringify(scan)}`);
  const row = page.locator(sel('result-row')).first();
  const symbol = await row.getAttribute('data-symbol');
  const cells = await row.locator('td').allTextContents();
  assert.equal(cells[1].trim(), 'Long', 'the row is Long');
  // Columns: symbol, signal, TechRating, ShortRating, close, change, RSI, ATR, entry, stop, target, shares.
  const [entry, stop, target] = cells.slice(8, 11).map(Number);
  await row.click();
  const shown = await chartOf(page, symbol);
  assert.equal(shown.bars, SYNTHETIC_BARS, 'a synthetic symbol has 300 bars');
  assert.deepEqual(shown.priceLines.map((l) => l.title), ['Entry', 'Stop', 'Target']);
  shown.priceLines.forEach((l, i) => {
    assert.ok(Math.abs(l.price - [entry, stop, target][i]) < 0.006, `${l.title} ${l.price} is the row's ${[entry, stop, target][i]}`);
  });
  assert.ok(shown.markers.length >= 1 && shown.markers.length <= SYNTHETIC_BARS, 'markers within the bars');
  assert.ok(shown.markers.every((t, i) => i === 0 || t > shown.markers[i - 1]), 'markers in time order');
  assert.ok(await page.locator(sel('detail-plan')).count(), 'the plan is shown beside the chart');

  // The About panel carries the library's notice and a link to TradingView.
  const about = page.locator(sel('about'));
  await about.locator('summary').click();
  assert.match(await about.textContent(), /TradingView Lightweight Charts[\s\S]*Copyright \(c\) 2023 TradingView, Inc\./);
  assert.ok(await about.locator('a[href="https://www.tradingview.com/"]').count(), 'a link to tradingview.com');

  // Esc with the detail open closes it; a second Esc has nothing to close.
  await page.keyboard.press('Escape');
  await page.locator(sel('detail')).waitFor({ state: 'detached', timeout: 10_000 });
  assert.deepEqual(await cspViolations(page), [], 'no CSP violation');
  assert.deepEqual(b.problems, [], 'no console error');
});
