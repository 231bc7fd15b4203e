//! End-to-end storm: 100 seeded random cycles of Run, Stop, source changes and
//! short waits in Chromium. Checked all along: every row on screen belongs to
//! one scan (the rows' `data-scan`), and to the last finished scan whenever no
//! scan runs; the worker pool keeps its size; no console error, page error or
//! CSP violation. A last full scan then shows exactly its own rows.
//! Memory over many scans is a benchmark figure (scripts/bench-browser.mjs).
//! Run: scripts/build.sh && node --test tests/e2e/storm.test.mjs   (TECHNIC_SEED=n replays a storm)

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { startServer } from './server.mjs';
import { freshProfile, openBrowser, openApp, runScan, lastScan, cspViolations, sel } from './harness.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DIST = path.resolve(ROOT, process.env.TECHNIC_DIST ?? 'dist');
const SEED = Number(process.env.TECHNIC_SEED ?? 20261201);
const CYCLES = 100;
const SOURCES = ['sample', 'synthetic-100', 'synthetic-1000', 'synthetic-5000'];
const EXPRS = ['true', 'close > 0', 'rsi(14) < 70', 'sma(close, 1000) > 0'];

/** mulberry32: a small seeded generator, so a failing storm can be replayed. */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

let app;
let b;
let profile;

before(async () => {
  await fs.access(path.join(DIST, 'index.html')).catch(() => {
    throw new Error(`${DIST} is missing the build: run scripts/build.sh first`);
  });
  app = await startServer({ dir: DIST, isolation: true });
  profile = await freshProfile('storm');
  b = await openBrowser(profile);
});

after(async () => {
  await b?.context.close().catch(() => {});
  await app?.close();
  if (profile) await fs.rm(profile, { recursive: true, force: true }).catch(() => {});
});

/** The scan ids of every row on screen, the last finished scan, and whether one runs. */
const snapshot = (page) => page.evaluate(() => ({
  scans: [...new Set([...document.querySelectorAll('[data-testid="result-row"], [data-testid="error-row"]')].map((r) => r.dataset.scan))],
  unlabelled: document.querySelectorAll('[data-testid="result-row"]:not([data-scan]), [data-testid="error-row"]:not([data-scan])').length,
  last: window.__technicLastScan?.scanId ?? null,
  running: !document.querySelector('[data-testid="stop"]').disabled,
}));

test(`a storm of ${CYCLES} random Run/Stop/source cycles never shows a row of another scan (seed ${SEED})`, { timeout: 600_000 }, async () => {
  const page = b.page;
  await openApp(page, app.url);
  await runScan(page, { source: 'sample', expr: 'true' });
  const workers = page.workers().length;
  assert.ok(workers >= 1, `the pool started (${workers} workers)`);
  const random = rng(SEED);
  const pick = (xs) => xs[Math.floor(random() * xs.length)];
  const counts = { run: 0, stop: 0, source: 0, expr: 0, wait: 0 };
  const started = Date.now();
  for (let cycle = 0; cycle < CYCLES; cycle++) {
    const r = random();
    // DOM clicks, not driver clicks: no waiting for the button to be enabled,
    // so Run lands on a running scan as often as on an idle page.
    if (r < 0.4) {
      counts.run++;
      await page.evaluate(() => document.querySelector('[data-testid="run"]').click());
    } else if (r < 0.6) {
      counts.stop++;
      await page.evaluate(() => document.querySelector('[data-testid="stop"]').click());
    } else if (r < 0.8) {
      counts.source++;
      await page.selectOption(sel('source'), pick(SOURCES));
    } else if (r < 0.9) {
      counts.expr++;
      await page.locator(sel('scan-input')).fill(pick(EXPRS));
    } else {
      counts.wait++;
    }
    await page.waitForTimeout(Math.floor(random() * 120));
    const s = await snapshot(page);
    assert.equal(s.unlabelled, 0, `cycle ${cycle}: every row says which scan drew it`);
    assert.ok(s.scans.length <= 1, `cycle ${cycle}: rows of one scan only, saw scans ${s.scans.join(', ')}`);
    if (!s.running && s.scans.length === 1 && s.last !== null) {
      assert.equal(s.scans[0], String(s.last), `cycle ${cycle}: with no scan running, the rows are the last finished scan's`);
    }
    assert.equal(page.workers().length, workers, `cycle ${cycle}: the worker count stays ${workers}`);
  }
  // Let whatever runs finish (or stop it), then one clean scan shows only its own rows.
  await page.evaluate(() => document.querySelector('[data-testid="stop"]').click());
  await page.waitForFunction(() => document.querySelector('[data-testid="stop"]').disabled, null, { timeout: 60_000 });
  const final = await runScan(page, { source: 'sample', expr: 'true' });
  assert.equal(final.rows, 5);
  const s = await snapshot(page);
  assert.deepEqual(s.scans, [String(final.scanId)], 'after the storm, only the last scan\'s rows are shown');
  const symbols = await page.locator(sel('result-row')).evaluateAll((rows) => rows.map((r) => r.dataset.symbol).sort());
  assert.deepEqual(symbols, ['AAPL', 'FB', 'GOOG', 'IBM', 'MSFT']);
  assert.equal(page.workers().length, workers, 'the worker count is unchanged after the storm');
  assert.deepEqual(await cspViolations(page), []);
  assert.deepEqual(b.problems, [], `console errors:\n${b.problems.join('\n')}`);
  console.log(`# storm seed ${SEED}: ${JSON.stringify(counts)} in ${((Date.now() - started) / 1000).toFixed(1)} s; ${workers} workers; last scan ${(await lastScan(page)).scanId}`);
});
