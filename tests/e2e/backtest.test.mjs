//! End-to-end checks of the Backtest and Optimise panels (issue 8) in the
//! built app (dist/), through the stable hooks only: `backtest-run`,
//! `backtest-table` with one `backtest-horizon` row per horizon (`data-h`),
//! `optimize-run`, `optimize-grid` and `window.__technicLastBacktest`. The
//! page's figures are cross-checked against the native CLI on the same
//! bundled sample (`technic backtest --data www/data … --format json`), on
//! the threaded build and on the single-threaded one (dist/st/). Also: Stop
//! mid-run on a long synthetic backtest, the signals' CSV export, and the
//! walk-forward grid with "use this value", and a Binance backtest against
//! the loopback market-data server (tests/e2e/faults.mjs) paging back to the
//! bars per symbol asked for, a cached shallow history getting only its head.
//!
//! Run: scripts/build.sh &&
//!      node --test --test-concurrency=1 tests/e2e/backtest.test.mjs

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { startServer } from './server.mjs';
import { startFaultServer, DAY_MS, dayOf } from './faults.mjs';
import { freshProfile, openBrowser, openApp, setScan, sel } from './harness.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DIST = path.resolve(ROOT, process.env.TECHNIC_DIST ?? 'dist');
const TARGET = process.env.CARGO_TARGET_DIR ?? path.join(ROOT, 'target');
// TECHNIC_CLI names a CLI built from this tree (scripts/test.sh passes the
// one its native step just built); without it, the release CLI is built here,
// so the page is never compared with a stale binary.
const CLI = process.env.TECHNIC_CLI ? path.resolve(ROOT, process.env.TECHNIC_CLI) : path.join(TARGET, 'release', 'technic');
const EXPR = 'rsi(14) < 30';
const KEYS = ['h', 'signals', 'symbols', 'winPct', 'mean', 'median', 'p25', 'p75', 'profitFactor', 'baselineMean', 'excess', 'ci95'];

let isolated;
let plain;
let faults; // the loopback market-data server (Binance klines)
const opened = [];
const profiles = [];

async function browser() {
  const dir = await freshProfile('backtest');
  profiles.push(dir);
  const b = await openBrowser(dir);
  opened.push(b);
  return b;
}

const tail = (b) => `\nconsole tail:\n${b.log.slice(-15).join('\n')}`;

function cli(args) {
  return JSON.parse(execFileSync(CLI, args, { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 << 20 }));
}

/** Clicks Backtest and waits for a new `__technicLastBacktest`. */
async function runBacktest(page, { timeout = 120_000 } = {}) {
  await page.evaluate(() => { window.__technicLastBacktest = undefined; });
  await page.locator(sel('backtest-run')).click({ timeout: 30_000 });
  await page.waitForFunction(() => window.__technicLastBacktest !== undefined, null, { timeout, polling: 50 });
  return page.evaluate(() => window.__technicLastBacktest);
}

/** The page's horizons equal the CLI's, key by key (same engine, same bars). */
function sameFigures(pageHorizons, cliHorizons) {
  assert.equal(pageHorizons.length, cliHorizons.length, 'as many horizons as the CLI');
  for (const [p, c] of pageHorizons.map((h, i) => [h, cliHorizons[i]])) {
    for (const k of KEYS) assert.deepEqual(p[k], c[k], `h=${c.h} ${k}: page ${JSON.stringify(p[k])} vs CLI ${JSON.stringify(c[k])}`);
  }
}

before(async () => {
  try {
    await fs.access(path.join(DIST, 'index.html'));
  } catch {
    throw new Error(`${DIST} is missing the build: run scripts/build.sh first`);
  }
  if (!process.env.TECHNIC_CLI) {
    execFileSync('cargo', ['build', '--quiet', '--locked', '--release', '--bin', 'technic'], { cwd: ROOT, stdio: 'inherit' });
  }
  try {
    await fs.access(CLI);
  } catch {
    throw new Error(`${CLI} is missing (TECHNIC_CLI names a CLI built from this tree)`);
  }
  isolated = await startServer({ dir: DIST, isolation: true });
  plain = await startServer({ dir: DIST, isolation: false });
  faults = await startFaultServer();
});

after(async () => {
  for (const b of opened) await b.context.close().catch(() => {});
  await isolated?.close();
  await plain?.close();
  await faults?.close();
  for (const dir of profiles) await fs.rm(dir, { recursive: true, force: true }).catch(() => {});
});

for (const [name, server] of [['the workers', () => isolated], ['the single-threaded build', () => plain]]) {
  test(`the panel on the sample equals the CLI on the same data (${name})`, { timeout: 180_000 }, async () => {
    const want = cli(['backtest', '--data', 'www/data', '--expr', EXPR, '--format', 'json']);
    const b = await browser();
    // ?coi=off: no service-worker shim, so the plain server gets the single-threaded build.
    await openApp(b.page, server() === plain ? `${plain.url}?coi=off` : server().url);
    const status = await b.page.locator(sel('status')).textContent();
    if (server() === plain) assert.match(status, /single[- ]thread/i, `the single-threaded build runs: "${status}"`);
    else assert.doesNotMatch(status, /single[- ]thread/i, `the threaded build runs: "${status}"`);
    await setScan(b.page, { source: 'sample', expr: EXPR });
    const got = await runBacktest(b.page);
    assert.equal(got.signals, want.signals.length, 'signal count equals the CLI');
    assert.ok(got.signals > 20, `the sample gives signals: ${got.signals}`);
    assert.ok(got.totalMs > 0, 'totalMs is the run time');
    sameFigures(got.horizons, want.horizons);

    const rows = b.page.locator(`${sel('backtest-table')} ${sel('backtest-horizon')}`);
    assert.deepEqual(await rows.evaluateAll((rs) => rs.map((r) => r.dataset.h)), ['1', '5', '10', '20'], 'a row per default horizon, with data-h');
    for (const h of want.horizons) {
      const cells = await b.page.locator(`${sel('backtest-horizon')}[data-h="${h.h}"] td`).allTextContents();
      assert.equal(cells[1], String(h.signals), `h=${h.h}: the Signals cell`);
      assert.equal(cells[4], `${(100 * h.mean).toFixed(2)}%`, `h=${h.h}: the Mean cell`);
      assert.equal(cells[9], `${(100 * h.excess).toFixed(2)}%`, `h=${h.h}: the Excess cell`);
    }
    const plan = await b.page.locator(sel('backtest-plan')).textContent();
    assert.ok(plan.includes(String(want.plan.trades)), `the plan summary shows ${want.plan.trades} trades: ${plan}`);
    const notes = await b.page.locator(sel('backtest-notes')).textContent();
    assert.match(notes, /5 symbols/, 'the survivorship note names the universe size');
    assert.equal(await b.page.locator(`${sel('backtest-path')} polyline`).count(), 2, 'the path chart draws signals and baseline');

    // A signal's row draws that symbol's bars around it.
    const first = b.page.locator(sel('backtest-signal')).first();
    const [symbol, date] = await first.locator('td').evaluateAll((tds) => tds.slice(0, 2).map((td) => td.textContent));
    assert.equal(symbol, want.signals[0].symbol, 'signals are listed as the CLI orders them');
    assert.equal(date, want.signals[0].time, 'with their date');
    await first.click();
    const chart = b.page.locator(sel('backtest-signal-chart'));
    await chart.waitFor({ timeout: 10_000 });
    assert.match(await chart.getAttribute('aria-label'), new RegExp(`^${symbol} .*${date}`));
    assert.ok((await chart.locator('polyline').getAttribute('points')).split(' ').length > 30, 'the closes around the signal are drawn');
    assert.equal(await chart.locator('line.mark').count(), 3, 'signal, entry and horizon are marked');
    assert.deepEqual(b.problems, [], `console errors${tail(b)}`);
  });
}

test('Stop mid-run on a long synthetic backtest ends it as stopped; the page stays usable', { timeout: 240_000 }, async () => {
  const b = await browser();
  await openApp(b.page, isolated.url);
  await setScan(b.page, { source: 'synthetic-5000', expr: EXPR });
  await b.page.selectOption(sel('backtest-bars'), '2520');
  await b.page.evaluate(() => { window.__technicLastBacktest = undefined; });
  await b.page.locator(sel('backtest-run')).click();
  const progress = b.page.locator(sel('backtest-progress'));
  await b.page.waitForFunction(() => {
    const el = document.querySelector('[data-testid="backtest-progress"]');
    const m = el && el.dataset.state === 'running' && el.textContent.match(/(\d+) \/ 5000/);
    return m && Number(m[1]) > 0;
  }, null, { timeout: 60_000, polling: 20 });
  const before = await progress.textContent();
  await b.page.locator(sel('backtest-stop')).click();
  await b.page.waitForFunction(() => window.__technicLastBacktest !== undefined, null, { timeout: 30_000 });
  const stopped = await b.page.evaluate(() => window.__technicLastBacktest);
  assert.equal(stopped.stopped, true, `the run ended as stopped: ${JSON.stringify(stopped)}`);
  assert.deepEqual(stopped.horizons, [], 'a stopped run reports no figures');
  assert.equal(await progress.getAttribute('data-state'), 'stopped');
  assert.match(await progress.textContent(), /stopped after \d+ of 5000 symbols/);
  assert.equal(await b.page.locator(sel('backtest-table')).count(), 0, 'no table from a stopped run');
  console.log(`# stopped at "${before}" → "${await progress.textContent()}"`);

  // Stop while the engine computes (bars already in memory): clicked from
  // inside the page the moment the progress line shows the computing stage
  // (it is redrawn every 100 ms, and the whole run takes ~120 ms on 2
  // workers, so waiting for a count above 0 could see only the end), so the
  // driver's round trip cannot let the run finish first.
  await setScan(b.page, { source: 'synthetic-1000', expr: EXPR });
  const warm = await runBacktest(b.page);
  assert.equal(warm.stopped, false, 'synthetic-1000 × 2,520 completes');
  await b.page.evaluate(() => {
    window.__technicLastBacktest = undefined;
    window.__e2eStoppedAt = null;
    const el = document.querySelector('[data-testid="backtest-progress"]');
    const obs = new MutationObserver(() => {
      const m = el.dataset.state === 'running' && el.textContent.match(/symbols (\d+) \/ 1000/);
      if (m && Number(m[1]) < 1000 && window.__e2eStoppedAt === null) {
        window.__e2eStoppedAt = el.textContent;
        document.querySelector('[data-testid="backtest-stop"]').click();
        obs.disconnect();
      }
    });
    obs.observe(el, { childList: true, subtree: true, characterData: true, attributes: true });
  });
  await b.page.locator(sel('backtest-run')).click();
  await b.page.waitForFunction(() => window.__technicLastBacktest !== undefined, null, { timeout: 60_000 });
  const mid = await b.page.evaluate(() => ({ hook: window.__technicLastBacktest, at: window.__e2eStoppedAt }));
  assert.ok(mid.at, 'Stop was clicked while symbols were being computed');
  assert.equal(mid.hook.stopped, true, `stopped while computing: ${JSON.stringify(mid)}`);
  const text = await progress.textContent();
  const done = Number(text.match(/stopped after (\d+) of 1000 symbols/)?.[1]);
  assert.ok(done >= 0 && done < 1000, `stopped part-way through the symbols: "${text}"`);
  console.log(`# stopped while computing at "${mid.at}" → "${text}"`);

  // The page still answers, and a new run completes.
  await setScan(b.page, { source: 'synthetic-100', expr: EXPR });
  await b.page.selectOption(sel('backtest-bars'), '630');
  const again = await runBacktest(b.page);
  assert.equal(again.stopped, false, 'the next run completes');
  assert.ok(again.signals > 0, `signals on synthetic-100: ${again.signals}`);
  assert.equal(await b.page.locator(sel('backtest-horizon')).count(), 4);
  assert.match(await b.page.locator(sel('backtest-notes')).textContent(), /100 symbols/);
  assert.deepEqual(b.problems, [], `console errors${tail(b)}`);
});

test('CSV export of the signals: one row per signal, as the CLI lists them', { timeout: 180_000 }, async () => {
  const want = cli(['backtest', '--data', 'www/data', '--expr', EXPR, '--format', 'json']);
  const b = await browser();
  await openApp(b.page, isolated.url);
  await setScan(b.page, { source: 'sample', expr: EXPR });
  await runBacktest(b.page);
  const [download] = await Promise.all([
    b.page.waitForEvent('download', { timeout: 15_000 }),
    b.page.locator(sel('backtest-export')).click(),
  ]);
  assert.equal(download.suggestedFilename(), 'technic-backtest-signals.csv');
  const lines = (await fs.readFile(await download.path(), 'utf8')).trim().split('\n');
  assert.equal(lines[0], 'Symbol,Date,Return 1,Return 5,Return 10,Return 20,R,Exit');
  assert.equal(lines.length, want.signals.length + 1, 'a row per signal');
  want.signals.forEach((s, i) => {
    const cells = lines[i + 1].split(',');
    assert.equal(cells[0], s.symbol, `row ${i + 1} symbol`);
    assert.equal(cells[1], s.time, `row ${i + 1} date`);
    for (const [j, h] of ['1', '5', '10', '20'].entries()) {
      const v = s.returns[h];
      if (v === null) assert.equal(cells[2 + j], '', `row ${i + 1} return ${h} is empty past the data`);
      else assert.equal(Number(cells[2 + j]), v, `row ${i + 1} return ${h}`);
    }
    if (s.r === null) assert.equal(cells[6], '');
    else assert.equal(Number(cells[6]), s.r, `row ${i + 1} R`);
  });
  assert.deepEqual(b.problems, [], `console errors${tail(b)}`);
});

test('optimise: the grid appears, the chosen value is the CLI\'s, and "use this value" writes it into the editor', { timeout: 180_000 }, async () => {
  const ranged = 'rsi(14) < {20..40 step 5}';
  const want = cli(['optimize', '--data', 'www/data', '--expr', ranged, '--min-signals', '5', '--format', 'json']);
  const b = await browser();
  await openApp(b.page, isolated.url);
  await setScan(b.page, { source: 'sample', expr: 'rsi(14) < {40..20}' });
  // A bad range is an editor error with its span, and nothing can run.
  await b.page.locator(sel('error')).filter({ hasText: 'backwards' }).waitFor({ timeout: 10_000 });
  assert.equal(await b.page.locator(sel('error-span')).textContent(), '{40..20}', 'the range is underlined');
  assert.equal(await b.page.locator(sel('optimize-run')).isDisabled(), true);
  assert.equal(await b.page.locator(sel('run')).isDisabled(), true);

  await setScan(b.page, { expr: ranged });
  await b.page.locator(sel('optimize-min-signals')).fill('5');
  assert.equal(await b.page.locator(sel('run')).isDisabled(), true, 'a scan with ranges is not a scan to run');
  await b.page.locator(sel('optimize-run')).click({ timeout: 30_000 });
  const grid = b.page.locator(sel('optimize-grid'));
  await grid.waitFor({ timeout: 60_000 });
  const points = await grid.locator(sel('optimize-point')).evaluateAll((rs) => rs.map((r) => ({
    value: r.dataset.value, best: r.classList.contains('best'), signals: Number(r.children[1].textContent),
  })));
  assert.deepEqual(points.map((p) => p.value), ['20', '25', '30', '35', '40'], 'one row per grid value');
  assert.deepEqual(points.map((p) => p.signals), want.grid.map((g) => g.inSample.signals), 'in-sample signals equal the CLI\'s');
  const chosen = points.find((p) => p.best);
  assert.ok(chosen, 'the chosen value is marked');
  assert.equal(Number(chosen.value), want.best.value, 'the chosen value equals the CLI\'s');
  const oos = await b.page.locator(`${sel('optimize-oos')} tbody tr`).nth(1).locator('td').first().textContent();
  assert.equal(Number(oos), want.best.outOfSample.signals, 'out-of-sample signals equal the CLI\'s');

  await b.page.locator(sel('optimize-use')).click();
  assert.equal(await b.page.locator(sel('scan-input')).inputValue(), `rsi(14) < ${want.best.value}`);
  assert.equal(await b.page.locator(sel('error')).count(), 0, 'the plain scan compiles');
  assert.equal(await b.page.locator(sel('backtest-run')).isDisabled(), false, 'and can be backtested');
  assert.deepEqual(b.problems, [], `console errors${tail(b)}`);
});

test('Stop mid-search ends the walk-forward search between grid points; a new search works', { timeout: 240_000 }, async () => {
  const b = await browser();
  await openApp(b.page, isolated.url);
  await setScan(b.page, { source: 'synthetic-1000', expr: 'rsi(14) < {10..60 step 1}' });
  await b.page.selectOption(sel('backtest-bars'), '1260');
  await b.page.evaluate(() => {
    window.__e2eStoppedAt = null;
    const el = document.querySelector('[data-testid="optimize-progress"]');
    const obs = new MutationObserver(() => {
      // Stop once a grid point is done: clicked at "0 / 51" (the first point still on the
      // workers), a fresh-clone run stopped after 0 points, which is right but says nothing
      // about stopping between points.
      const m = el.dataset.state === 'running' && el.textContent.match(/grid points (\d+) \/ 51/);
      if (m && Number(m[1]) >= 1 && window.__e2eStoppedAt === null) {
        window.__e2eStoppedAt = el.textContent;
        document.querySelector('[data-testid="optimize-stop"]').click();
        obs.disconnect();
      }
    });
    obs.observe(el, { childList: true, subtree: true, characterData: true, attributes: true });
  });
  await b.page.locator(sel('optimize-run')).click({ timeout: 30_000 });
  const progress = b.page.locator(sel('optimize-progress'));
  await b.page.waitForFunction(() => document.querySelector('[data-testid="optimize-progress"]')?.dataset.state === 'stopped', null, { timeout: 120_000 });
  const at = await b.page.evaluate(() => window.__e2eStoppedAt);
  assert.ok(at, 'Stop was clicked while grid points were being computed');
  const text = await progress.textContent();
  const done = Number(text.match(/stopped after (\d+) of 51 grid points/)?.[1]);
  assert.ok(done > 0 && done < 51, `stopped part-way through the grid: "${text}"`);
  assert.equal(await b.page.locator(sel('optimize-grid')).count(), 0, 'no grid from a stopped search');
  console.log(`# search stopped at "${at}" → "${text}"`);

  await setScan(b.page, { source: 'sample', expr: 'rsi(14) < {25, 35}' });
  await b.page.locator(sel('optimize-min-signals')).fill('5');
  await b.page.locator(sel('optimize-run')).click({ timeout: 30_000 });
  await b.page.locator(sel('optimize-grid')).waitFor({ timeout: 60_000 });
  assert.equal(await b.page.locator(sel('optimize-point')).count(), 2, 'the next search completes');
  assert.equal(await progress.getAttribute('data-state'), 'completed');
  assert.deepEqual(b.problems, [], `console errors${tail(b)}`);
});

test('Binance: a 2,520-bar backtest pages back 1,000 klines at a time; a cached shallow history gets only its head', { timeout: 240_000 }, async () => {
  const symbols = ['BTCUSDT', 'ETHUSDT'];
  const today = dayOf(Date.now());
  faults.reset();
  faults.setConfig({ today, bars: 4000, symbols });
  const b = await browser();
  await openApp(b.page, isolated.url);
  await setScan(b.page, { source: 'binance', expr: EXPR });
  await b.page.locator(sel('source-base')).fill(faults.url);
  await b.page.locator(sel('universe-input')).fill(symbols.join('\n'));
  const klines = () => faults.log().filter((e) => e.kind === 'klines');
  const bySymbol = (log) => Object.fromEntries(symbols.map((s) => [s, log.filter((e) => e.symbol === s)]));
  const show = (e) => JSON.stringify(e.query);

  // 630 bars: one page each, asking for just that many.
  await b.page.selectOption(sel('backtest-bars'), '630');
  const shallow = await runBacktest(b.page);
  assert.equal(shallow.stopped ?? false, false, `the run completes${tail(b)}`);
  for (const [s, reqs] of Object.entries(bySymbol(klines()))) {
    assert.deepEqual(reqs.map((e) => [e.query.limit, e.query.endTime]), [['630', undefined]], `${s}: one newest page of 630 (${reqs.map(show)})`);
  }

  // 2,520 bars: only the missing head, paged back from the cached first bar.
  faults.clearLog();
  await b.page.selectOption(sel('backtest-bars'), '2520');
  const deep = await runBacktest(b.page);
  assert.equal(deep.stopped ?? false, false, `the deep run completes${tail(b)}`);
  const first = (today - 629) * DAY_MS;
  for (const [s, reqs] of Object.entries(bySymbol(klines()))) {
    assert.deepEqual(reqs.map((e) => [e.query.limit, Number(e.query.endTime)]),
      [['1000', first - 1], ['890', first - 1000 * DAY_MS - 1]],
      `${s}: the head in two pages back from the cached first bar (${reqs.map(show)})`);
  }

  // The deep cached history serves a shallower run without a request.
  faults.clearLog();
  await b.page.selectOption(sel('backtest-bars'), '1260');
  const again = await runBacktest(b.page);
  assert.equal(again.stopped ?? false, false);
  assert.deepEqual(klines(), [], 'no klines asked for');
  assert.equal(await b.page.locator(sel('backtest-horizon')).count(), 4, 'the table is shown');

  // A pair not cached yet, at 2,520 bars: three pages back from the newest
  // (1,000, 1,000, then the 520 missing); the cached pairs ask for nothing.
  faults.clearLog();
  await b.page.locator(sel('universe-input')).fill([...symbols, 'SOLUSDT'].join('\n'));
  await b.page.selectOption(sel('backtest-bars'), '2520');
  const fresh = await runBacktest(b.page);
  assert.equal(fresh.stopped ?? false, false);
  const sol = klines();
  assert.ok(sol.every((e) => e.symbol === 'SOLUSDT'), `only the new pair is fetched (${sol.map((e) => e.symbol)})`);
  const newest = today * DAY_MS;
  assert.deepEqual(sol.map((e) => [e.query.limit, e.query.endTime === undefined ? null : Number(e.query.endTime)]),
    [['1000', null], ['1000', newest - 999 * DAY_MS - 1], ['520', newest - 1999 * DAY_MS - 1]],
    `SOLUSDT pages back (${sol.map(show)})`);
  assert.match(await b.page.locator(sel('backtest-notes')).textContent(), /3 symbols/);
  console.log(`# Binance backtest signals: 630 bars ${shallow.signals}, 2520 bars ${deep.signals}, 1260 bars ${again.signals}, 3 pairs × 2520 ${fresh.signals}`);
  assert.deepEqual(b.problems, [], `console errors${tail(b)}`);
});
