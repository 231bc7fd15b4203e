//! End-to-end checks of the built app (dist/) in Debian's Chromium, through the
//! stable hooks only: streaming, Stop, the IndexedDB cache across a reload and a
//! browser restart, expression errors, sorting, threads (isolated, not isolated,
//! and the service-worker shim, also after a hard reload), rows handed to the
//! page once per frame by the workers, the Content-Security-Policy, and the
//! console. Times are printed, never asserted (they belong to
//! scripts/bench-browser.mjs); a missing hook fails its test.
//!
//! Run: scripts/build.sh && node --test tests/e2e/   (TECHNIC_DIST overrides dist/)

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { startServer } from './server.mjs';
import {
  freshProfile, openBrowser, openApp, runScan, setScan, lastScan, shownRowCount, cspViolations, sel, watchFrames, frameReport,
  requireBothBuilds,
} from './harness.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DIST = path.resolve(ROOT, process.env.TECHNIC_DIST ?? 'dist');
const SAMPLE_SYMBOLS = ['AAPL', 'FB', 'GOOG', 'IBM', 'MSFT'];

let isolated; // server with COOP/COEP
let plain; // server without them (--no-isolation)
const opened = []; // every browser, for the console check and cleanup
const profiles = [];

async function browser(profileDir) {
  const dir = profileDir ?? (await freshProfile());
  if (!profiles.includes(dir)) profiles.push(dir);
  const b = await openBrowser(dir);
  b.dir = dir;
  opened.push(b);
  return b;
}

const barRequests = (requests) =>
  Object.entries(requests).filter(([k]) => /^GET \/data\/.+\.csv$/.test(k)).reduce((n, [, c]) => n + c, 0);

const tail = (b) => `\nconsole tail:\n${b.log.slice(-15).join('\n')}`;

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

/** The progress panel's data counts for a synthetic market: symbols found in memory and generated. */
async function syntheticCounts(page) {
  const text = (await page.locator(`${sel('progress-stage')}[data-stage="data"]`).textContent()) ?? '';
  const num = (re) => Number(((text.match(re) ?? [])[1] ?? 'NaN').replace(/[^\d]/g, ''));
  return { inMemory: num(/([\d,.\u202f\u00a0 ]+) in memory/), generated: num(/([\d,.\u202f\u00a0 ]+) generated/) };
}

test('a scan on the sample streams rows with the first row before the end', { timeout: 180_000 }, async () => {
  const b = await browser();
  await openApp(b.page, isolated.url);
  // Choosing a preset fills the editor.
  const preset = b.page.locator(sel('preset'));
  assert.equal(await preset.count(), 1, 'one preset picker (data-testid="preset")');
  assert.equal(await preset.evaluate((el) => el.tagName), 'SELECT', 'the preset picker is a <select>');
  const values = await preset.locator('option').evaluateAll((os) => os.map((o) => o.value).filter(Boolean));
  assert.ok(values.length > 0, 'the preset picker offers presets');
  await b.page.locator(sel('scan-input')).fill('');
  await preset.selectOption(values[0]);
  assert.ok((await b.page.locator(sel('scan-input')).inputValue()).trim().length > 0, `choosing preset ${values[0]} fills the scan editor`);
  const scan = await runScan(b.page, { source: 'sample', expr: 'close > 0' });
  assert.equal(scan.stopped, false, 'the scan ran to the end');
  assert.equal(scan.symbols, SAMPLE_SYMBOLS.length, 'the sample has five symbols');
  assert.equal(scan.rows, SAMPLE_SYMBOLS.length, '`close > 0` matches every sample symbol');
  assert.ok(scan.firstRowMs > 0 && scan.firstRowMs <= scan.totalMs, `first row ${scan.firstRowMs} ms within total ${scan.totalMs} ms`);
  const symbols = await b.page.locator(sel('result-row')).evaluateAll((rows) => rows.map((r) => r.dataset.symbol));
  assert.deepEqual([...symbols].sort(), SAMPLE_SYMBOLS, 'one result-row per symbol, each with data-symbol');
  assert.equal(await shownRowCount(b.page), SAMPLE_SYMBOLS.length, 'result-count agrees');

  // Streaming proper: on 5,000 symbols the first row is on screen while the scan still runs.
  await setScan(b.page, { source: 'synthetic-5000', expr: 'close > 0' });
  const prev = (await lastScan(b.page))?.scanId ?? null;
  await b.page.evaluate((p) => {
    // Watches in the page, so the moment is not blurred by the driver's round trips.
    window.__e2eFirstRow = null;
    const obs = new MutationObserver(() => {
      if (window.__e2eFirstRow === null && document.querySelector('[data-testid="result-row"][data-symbol^="SYN"]')) {
        window.__e2eFirstRow = { scanEnded: (window.__technicLastScan?.scanId ?? null) !== p };
        obs.disconnect();
      }
    });
    obs.observe(document.body, { childList: true, subtree: true });
  }, prev);
  await b.page.locator(sel('run')).click();
  await b.page.waitForFunction((p) => window.__technicLastScan && window.__technicLastScan.scanId !== p, prev, { timeout: 120_000 });
  const big = await lastScan(b.page);
  const seen = await b.page.evaluate(() => window.__e2eFirstRow);
  assert.ok(big.rows > 0 && big.symbols === 5000, `synthetic-5000 scanned: ${JSON.stringify(big)}`);
  assert.ok(big.firstRowMs < big.totalMs, `first row (${big.firstRowMs} ms) before the end (${big.totalMs} ms)`);
  assert.ok(seen && seen.scanEnded === false, 'a result row was in the DOM before __technicLastScan was set');
  console.log(`# sample: first row ${scan.firstRowMs} ms, total ${scan.totalMs} ms; synthetic-5000: first row ${big.firstRowMs} ms, total ${big.totalMs} ms, ${big.threads} threads`);
  assert.deepEqual(b.problems, [], `console errors${tail(b)}`);
});

test('Stop mid-scan leaves fewer rows than symbols, and no row arrives after it', { timeout: 180_000 }, async () => {
  const b = await browser();
  await openApp(b.page, isolated.url);
  await setScan(b.page, { source: 'synthetic-5000', expr: 'true' });
  const prev = (await lastScan(b.page))?.scanId ?? null;
  // Clicks Stop from inside the page the moment the first row appears.
  await b.page.evaluate(() => {
    window.__e2eStopClicked = false;
    const obs = new MutationObserver(() => {
      if (!window.__e2eStopClicked && document.querySelector('[data-testid="result-row"]')) {
        window.__e2eStopClicked = true;
        obs.disconnect();
        document.querySelector('[data-testid="stop"]').click();
      }
    });
    obs.observe(document.body, { childList: true, subtree: true });
  });
  await b.page.locator(sel('run')).click();
  await b.page.waitForFunction((p) => window.__technicLastScan && window.__technicLastScan.scanId !== p, prev, { timeout: 120_000 });
  const scan = await lastScan(b.page);
  assert.ok(await b.page.evaluate(() => window.__e2eStopClicked), 'Stop was clicked after the first row');
  assert.equal(scan.stopped, true, `the scan says it was stopped: ${JSON.stringify(scan)}`);
  assert.equal(scan.symbols, 5000);
  assert.ok(scan.rows > 0 && scan.rows < scan.symbols, `fewer rows (${scan.rows}) than symbols (${scan.symbols})`);

  const countAtStop = await shownRowCount(b.page);
  const renderedAtStop = await b.page.locator(sel('result-row')).count();
  await b.page.waitForTimeout(1000);
  assert.equal(await shownRowCount(b.page), countAtStop, 'result-count unchanged a second after Stop');
  assert.equal(await b.page.locator(sel('result-row')).count(), renderedAtStop, 'no result-row added after Stop');
  assert.equal((await lastScan(b.page)).rows, scan.rows, '__technicLastScan unchanged');
  assert.equal(countAtStop, scan.rows, 'result-count equals the rows of the stopped scan');
  assert.match((await b.page.locator(sel('progress')).textContent()) ?? '', /stopped/i, 'progress says stopped');

  // Rows of the stopped scan never appear in the next one.
  const next = await runScan(b.page, { source: 'sample', expr: 'true' });
  assert.equal(next.rows, SAMPLE_SYMBOLS.length);
  await b.page.waitForTimeout(500);
  const symbols = await b.page.locator(sel('result-row')).evaluateAll((rows) => rows.map((r) => r.dataset.symbol));
  assert.deepEqual([...symbols].sort(), SAMPLE_SYMBOLS, 'only the new scan\'s rows are shown');
  console.log(`# stopped after ${scan.rows} of ${scan.symbols} symbols (${scan.totalMs} ms)`);
  assert.deepEqual(b.problems, [], `console errors${tail(b)}`);
});

test('a reload and a browser restart scan the sample from the cache with zero bar requests', { timeout: 240_000 }, async () => {
  const dir = await freshProfile('cache');
  profiles.push(dir);
  let b = await browser(dir);
  b.page.on('dialog', (d) => d.accept());
  isolated.reset();
  await openApp(b.page, isolated.url);
  const cold = await runScan(b.page, { source: 'sample', expr: 'true' });
  assert.equal(cold.rows, SAMPLE_SYMBOLS.length);
  assert.equal(barRequests(isolated.requests()), SAMPLE_SYMBOLS.length, `a fresh profile fetches each bar file once: ${JSON.stringify(isolated.requests())}`);

  isolated.reset();
  await b.page.reload();
  await b.page.locator(sel('run')).waitFor();
  const reloaded = await runScan(b.page, { source: 'sample', expr: 'true' });
  assert.equal(reloaded.rows, SAMPLE_SYMBOLS.length);
  assert.equal(barRequests(isolated.requests()), 0, `after a reload: ${JSON.stringify(isolated.requests())}`);

  // A browser restart: close the whole browser, reopen the same profile.
  await b.context.close();
  b = await browser(dir);
  b.page.on('dialog', (d) => d.accept());
  isolated.reset();
  await openApp(b.page, isolated.url);
  const restarted = await runScan(b.page, { source: 'sample', expr: 'true' });
  assert.equal(restarted.rows, SAMPLE_SYMBOLS.length);
  assert.equal(barRequests(isolated.requests()), 0, `after a browser restart: ${JSON.stringify(isolated.requests())}`);
  const status = (await b.page.locator(sel('status')).textContent()) ?? '';

  // Clear cache: the next scan fetches again.
  await b.page.locator(sel('clear-cache')).click();
  await b.page.waitForTimeout(500);
  isolated.reset();
  const cleared = await runScan(b.page, { source: 'sample', expr: 'true' });
  assert.equal(cleared.rows, SAMPLE_SYMBOLS.length);
  assert.equal(barRequests(isolated.requests()), SAMPLE_SYMBOLS.length, `after clear-cache every bar file is fetched again: ${JSON.stringify(isolated.requests())}`);
  console.log(`# status after restart: ${status.trim().replace(/\s+/g, ' ')}`);
  assert.deepEqual(b.problems, [], `console errors${tail(b)}`);
});

test('an invalid expression shows the error with its span and starts nothing', { timeout: 120_000 }, async () => {
  const b = await browser();
  await openApp(b.page, isolated.url);
  await setScan(b.page, { source: 'sample', expr: 'close > smaa(close, 20)' });
  const error = b.page.locator(sel('error'));
  await error.first().waitFor({ state: 'visible', timeout: 10_000 });
  const text = (await error.first().textContent()) ?? '';
  assert.match(text, /smaa/, `the error names the unknown function: ${text}`);
  assert.match(text, /did you mean/i, `the error suggests a fix: ${text}`);
  // The span: the editor underlines exactly the unknown name.
  const span = b.page.locator(sel('error-span'));
  assert.equal(await span.count(), 1, 'one data-testid="error-span" underlines where');
  assert.equal(await span.textContent(), 'smaa', 'the underlined span is the unknown function');
  const before = await lastScan(b.page);
  const run = b.page.locator(sel('run'));
  assert.equal(await run.isDisabled(), true, 'Run is disabled while the expression is invalid');
  await run.click({ force: true }).catch(() => {});
  await b.page.locator(sel('scan-input')).press('Control+Enter');
  await b.page.waitForTimeout(1000);
  assert.deepEqual(await lastScan(b.page), before, 'no scan ended');
  assert.equal(await b.page.locator(sel('result-row')).count(), 0, 'no rows');
  assert.deepEqual(b.problems, [], `console errors${tail(b)}`);
});

test('a symbol that cannot be scanned is an error row, not a failure', { timeout: 120_000 }, async () => {
  const b = await browser();
  await openApp(b.page, isolated.url);
  // 300 synthetic bars are too short for a 1,000-bar average.
  const scan = await runScan(b.page, { source: 'synthetic-100', expr: 'sma(close, 1000) > 0' });
  assert.equal(scan.stopped, false);
  assert.equal(scan.symbols, 100);
  assert.equal(await b.page.locator(sel('result-row')).count(), 0, 'no match rows');
  assert.equal(await shownRowCount(b.page), 0, 'result-count says no matches');
  const errors = await b.page.locator(sel('error-row')).count();
  assert.ok(errors > 0, 'error rows are shown');
  const symbol = await b.page.locator(sel('error-row')).first().getAttribute('data-symbol');
  assert.match(symbol ?? '', /^SYN/, 'an error row names its symbol (data-symbol)');
  assert.deepEqual(b.problems, [], `console errors${tail(b)}`);
});

/** Header cells of the results table, and the column index of a header. */
async function numericColumn(page) {
  const headers = page.locator(`${sel('column-header')}, table thead th, [role="columnheader"]`);
  const texts = await headers.allTextContents();
  const wanted = [/^\s*close\b/i, /techrating|tech rating/i, /^\s*rsi/i, /change/i];
  for (const re of wanted) {
    const i = texts.findIndex((t) => re.test(t));
    if (i >= 0) return { header: headers.nth(i), index: i, name: texts[i].trim() };
  }
  throw new Error(`no numeric column header among ${JSON.stringify(texts)}`);
}

async function columnValues(page, index, name) {
  return page.locator(sel('result-row')).evaluateAll((rows, [i, colName]) => rows.map((r) => {
    const byName = r.querySelector(`[data-column="${CSS.escape(colName)}"]`);
    const cells = r.querySelectorAll('td, [role="cell"], [role="gridcell"]');
    const cell = byName ?? cells[i] ?? r.children[i];
    const raw = cell?.dataset?.value ?? cell?.textContent ?? '';
    const v = Number.parseFloat(raw.replace(/[,$%\u2212]/g, (c) => (c === '\u2212' ? '-' : '')));
    return Number.isFinite(v) ? v : null;
  }), [index, name]);
}

const ordered = (v, dir) => v.every((x, i) => i === 0 || (dir > 0 ? v[i - 1] <= x : v[i - 1] >= x));

test('sorting by a numeric column orders the rows, and a second click reverses them', { timeout: 120_000 }, async () => {
  const b = await browser();
  await openApp(b.page, isolated.url);
  const scan = await runScan(b.page, { source: 'synthetic-100', expr: 'true' });
  assert.ok(scan.rows >= 20);
  const { header, index, name } = await numericColumn(b.page);
  // The table re-renders on the next frame; on a loaded machine that can take
  // a while, so poll (up to 5 s) instead of sleeping a fixed time.
  const settle = async (ok) => {
    let values = [];
    for (let k = 0; k < 25; k++) {
      await b.page.waitForTimeout(200);
      values = (await columnValues(b.page, index, name)).filter((v) => v !== null);
      if (ok(values)) break;
    }
    return values;
  };
  await header.click();
  const first = await settle((v) => v.length >= 10 && (ordered(v, 1) || ordered(v, -1)));
  assert.ok(first.length >= 10, `numeric values in column ${name}: ${first.length}`);
  const dir = ordered(first, 1) ? 1 : ordered(first, -1) ? -1 : 0;
  assert.notEqual(dir, 0, `column ${name} sorted after one click: ${first.slice(0, 12).join(', ')}`);
  await header.click();
  const second = await settle((v) => ordered(v, -dir) && JSON.stringify(v) !== JSON.stringify(first));
  assert.ok(ordered(second, -dir), `column ${name} reversed after the second click: ${second.slice(0, 12).join(', ')}`);
  assert.notDeepEqual(second, first, 'the order changed');
  assert.deepEqual(b.problems, [], `console errors${tail(b)}`);
});

test('threads: the isolated page scans on every core; without isolation it scans on one and says so', { timeout: 180_000 }, async () => {
  const a = await browser();
  await openApp(a.page, isolated.url);
  assert.equal(await a.page.evaluate(() => self.crossOriginIsolated), true, 'COOP/COEP make the page isolated');
  const scan = await runScan(a.page, { source: 'synthetic-1000', expr: 'true' });
  assert.deepEqual(await syntheticCounts(a.page), { inMemory: 0, generated: 1000 }, 'the first scan generates the market');
  // The idle workers keep it after the scan: a later scan finds every symbol in memory.
  let kept;
  for (let i = 0; i < 5 && kept?.inMemory !== 1000; i++) {
    await runScan(a.page, {});
    kept = await syntheticCounts(a.page);
  }
  assert.deepEqual(kept, { inMemory: 1000, generated: 0 }, 'the market is kept in memory after its first scan');
  const status = ((await a.page.locator(sel('status')).textContent()) ?? '').replace(/\s+/g, ' ');
  const cores = await a.page.evaluate(() => navigator.hardwareConcurrency);
  const workers = Number((status.match(/(\d+)\s*(?:workers?|threads?)/i) ?? [])[1]);
  assert.ok(cores > 1, 'this check needs a machine with more than one core');
  assert.ok(workers > 1, `status line reports more than one worker: "${status}"`);
  assert.ok(scan.threads > 1, `__technicLastScan.threads = ${scan.threads}`);
  assert.deepEqual(a.problems, [], `console errors${tail(a)}`);

  const s = await browser();
  await openApp(s.page, `${plain.url}?coi=off`);
  assert.equal(await s.page.evaluate(() => self.crossOriginIsolated), false);
  const single = await runScan(s.page, { source: 'sample', expr: 'true' });
  assert.equal(single.rows, SAMPLE_SYMBOLS.length, 'the single-threaded build scans');
  assert.equal(single.threads, 1);
  const sstatus = ((await s.page.locator(sel('status')).textContent()) ?? '').replace(/\s+/g, ' ');
  assert.match(sstatus, /single[- ]thread|not (cross-origin )?isolated|1 worker\b/i, `status says single-threaded: "${sstatus}"`);
  const big = await runScan(s.page, { source: 'synthetic-1000', expr: 'true' });
  assert.equal(big.rows, 1000, 'the single-threaded build scans a synthetic market too');
  assert.deepEqual(await syntheticCounts(s.page), { inMemory: 0, generated: 1000 });
  await runScan(s.page, {});
  assert.deepEqual(await syntheticCounts(s.page), { inMemory: 1000, generated: 0 }, 'the single-threaded build keeps the market as it scans');
  console.log(`# isolated: "${status}" (${scan.threads} threads); not isolated: "${sstatus}"`);
  assert.deepEqual(s.problems, [], `console errors${tail(s)}`);
});

test('without headers the service-worker shim makes the page isolated and threaded, also after a hard reload', { timeout: 180_000 }, async () => {
  const b = await browser();
  await openApp(b.page, plain.url);
  // boot.js registers coi-sw.js and reloads once; wait for the isolated page.
  await b.page.waitForFunction(() => self.crossOriginIsolated === true, null, { timeout: 30_000 });
  await b.page.locator(sel('run')).waitFor();
  const scan = await runScan(b.page, { source: 'sample', expr: 'true' });
  assert.equal(scan.rows, SAMPLE_SYMBOLS.length);
  assert.ok(scan.threads > 1, `threads through the shim: ${scan.threads}`);

  // A hard reload bypasses the service worker, so the page comes back without
  // the headers; boot.js must reload through the worker again (its one-reload
  // guard was cleared once isolated) rather than fall back to one thread.
  const cdp = await b.context.newCDPSession(b.page);
  await cdp.send('Page.reload', { ignoreCache: true });
  await b.page.waitForFunction(() => self.crossOriginIsolated === true && document.querySelector('[data-testid="run"]'), null, { timeout: 30_000 });
  const again = await runScan(b.page, { source: 'sample', expr: 'true' });
  assert.equal(again.rows, SAMPLE_SYMBOLS.length);
  assert.ok(again.threads > 1, `threads after a hard reload: ${again.threads}`);
  assert.equal(await b.page.evaluate(() => window.__technicSingleThread ?? false), false, 'the threaded build runs');
  assert.deepEqual(b.problems, [], `console errors${tail(b)}`);
});

test('a synthetic-5000 scan computes on the workers and hands rows to the page once per frame', { timeout: 180_000 }, async () => {
  // Structural, not timed (times are scripts/bench-browser.mjs's): the engine
  // runs in the pool's workers, and the page takes their rows at most once per
  // frame (watchFrames in harness.mjs).
  const b = await browser();
  await openApp(b.page, isolated.url);
  for (const label of ['cold', 'warm']) {
    await setScan(b.page, { source: 'synthetic-5000', expr: 'true' });
    await watchFrames(b.page);
    const scan = await runScan(b.page, {});
    const frames = await frameReport(b.page);
    const workers = b.page.workers().length;
    assert.equal(scan.stopped, false);
    assert.equal(scan.rows, 5000, `${label}: every symbol matched \`true\``);
    assert.ok(scan.threads > 1, `${label}: ${scan.threads} threads`);
    assert.equal(workers, scan.threads, `${label}: one dedicated worker per thread (${workers} workers)`);
    assert.ok(Number.isFinite(scan.computeMs) && scan.computeMs > 0, `${label}: the workers report their compute time (${scan.computeMs})`);
    // The Run click clears the count (one change outside any frame).
    assert.ok(frames.countChanges >= 2, `${label}: the count grew while rows streamed (${frames.countChanges} changes)`);
    assert.ok(frames.countChanges <= frames.frames + 1, `${label}: the count changed at most once per frame (${frames.countChanges} changes in ${frames.frames} frames)`);
    assert.ok(frames.rowBatches <= frames.frames + 1, `${label}: rows were added at most once per frame (${frames.rowBatches} batches in ${frames.frames} frames)`);
    console.log(`# ${label}: ${frames.countChanges} count changes and ${frames.rowBatches} row batches in ${frames.frames} frames; ${workers} workers; ${scan.totalMs} ms total, ${scan.computeMs} ms compute`);
  }
  assert.deepEqual(b.problems, [], `console errors${tail(b)}`);
});

test('the Content-Security-Policy is on the page and nothing breaks it', { timeout: 60_000 }, async () => {
  const b = await browser();
  await openApp(b.page, isolated.url);
  const csp = await b.page.evaluate(() => document.querySelector('meta[http-equiv="Content-Security-Policy"]')?.content ?? '');
  assert.match(csp, /script-src 'self' 'wasm-unsafe-eval'(;|$)/, `script-src allows only this site and wasm compilation: ${csp}`);
  assert.doesNotMatch(csp, /(^|[^-])'unsafe-eval'|script-src[^;]*'unsafe-inline'/, 'no unsafe-eval or inline scripts');
  assert.match(csp, /object-src 'none'/);
  assert.match(csp, /base-uri 'none'/);
  const inline = await b.page.evaluate(() => [...document.scripts].filter((s) => !s.src && s.type !== 'application/json').length);
  assert.equal(inline, 0, 'no inline script on the page');
  await runScan(b.page, { source: 'synthetic-100', expr: 'true' });
  assert.deepEqual(await cspViolations(b.page), [], 'no CSP violation while loading and scanning');
  assert.deepEqual(b.problems, [], `console errors${tail(b)}`);
  // An inline script is refused, so the policy is in force. (This browser's
  // console now holds the refusal: it is closed and left out of the final check.)
  const ran = await b.page.evaluate(() => new Promise((resolve) => {
    const script = document.createElement('script');
    script.textContent = 'window.__inlineRan = true;';
    document.head.append(script);
    setTimeout(() => resolve(window.__inlineRan === true), 100);
  }));
  assert.equal(ran, false, 'an inline script does not run');
  assert.ok((await cspViolations(b.page)).some((v) => /script-src/.test(v)), 'the refusal is a script-src violation');
  await b.context.close();
  opened.splice(opened.indexOf(b), 1);
});

test('the console has no errors on any page, and no page saw a CSP violation', async () => {
  const violations = [];
  for (const b of opened) {
    for (const page of b.context.pages()) violations.push(...(await cspViolations(page).catch(() => [])));
  }
  assert.deepEqual(violations, [], 'CSP violations');
  const all = opened.flatMap((b) => b.problems);
  assert.deepEqual(all, [], 'console errors or page errors in some page');
});
