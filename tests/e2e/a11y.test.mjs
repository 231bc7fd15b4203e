//! End-to-end checks of the page's keyboard and accessibility (issue 10) in
//! Debian's Chromium: the results table is a WAI-ARIA grid (`role="grid"`,
//! `aria-rowcount`, `aria-rowindex` on the drawn rows), the arrow keys move
//! the active row (`aria-activedescendant`), `/` focuses the editor, and
//! axe-core finds no serious or critical violation on the page with results.
//!
//! Every hook is required: a missing one fails its test (never a skip).
//! Run: scripts/build.sh && node --test tests/e2e/a11y.test.mjs   (TECHNIC_DIST overrides dist/)

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { startServer } from './server.mjs';
import { freshProfile, openBrowser, openApp, runScan, sel } from './harness.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DIST = path.resolve(ROOT, process.env.TECHNIC_DIST ?? 'dist');
const AXE = path.join(ROOT, 'node_modules', 'axe-core', 'axe.min.js');

let app;
let b;

before(async () => {
  app = await startServer({ dir: DIST, isolation: true });
  b = await openBrowser(await freshProfile('a11y'));
  await openApp(b.page, app.url);
});

after(async () => {
  await b?.context.close();
  await app?.close();
});

/** The grid's state as assistive technology reads it. */
const gridState = () => b.page.evaluate(() => {
  const grid = document.querySelector('[data-testid="results-grid"]');
  const rows = [...grid.querySelectorAll('tbody tr[aria-rowindex]')];
  const activeId = grid.getAttribute('aria-activedescendant');
  return {
    role: grid.getAttribute('role'),
    rowcount: Number(grid.getAttribute('aria-rowcount')),
    header: grid.querySelector('thead tr')?.getAttribute('aria-rowindex'),
    rowindexes: rows.map((r) => Number(r.getAttribute('aria-rowindex'))),
    symbols: rows.map((r) => r.dataset.symbol),
    active: activeId ? document.getElementById(activeId)?.dataset.symbol ?? `(missing #${activeId})` : null,
    activeClass: [...grid.querySelectorAll('tbody tr.active')].map((r) => r.dataset.symbol),
    focused: document.activeElement?.getAttribute('data-testid') ?? document.activeElement?.tagName,
  };
});

test('the results table is a WAI-ARIA grid whose row indexes count the header', { timeout: 120_000 }, async () => {
  const s = await runScan(b.page, { source: 'synthetic-1000', expr: 'close > 0' });
  assert.equal(s.rows, 1000);
  const g = await gridState();
  assert.equal(g.role, 'grid');
  assert.equal(g.rowcount, 1001, 'every row, drawn or not, plus the header');
  assert.equal(g.header, '1');
  assert.ok(g.rowindexes.length > 10 && g.rowindexes.length < 200, `${g.rowindexes.length} rows drawn (virtualised)`);
  assert.deepEqual(g.rowindexes, g.rowindexes.map((_, i) => i + 2), 'consecutive from 2 at the top');
  assert.equal(g.active, null);
});

test('arrow keys, PageDown, End and Home move the active row and keep it in view', { timeout: 60_000 }, async () => {
  const grid = b.page.locator(sel('results-grid'));
  await grid.focus();
  const first = (await gridState()).symbols;
  await b.page.keyboard.press('ArrowDown');
  let g = await gridState();
  assert.equal(g.active, first[0]);
  assert.deepEqual(g.activeClass, [first[0]]);
  await b.page.keyboard.press('ArrowDown');
  assert.equal((await gridState()).active, first[1]);
  await b.page.keyboard.press('ArrowUp');
  assert.equal((await gridState()).active, first[0]);
  await b.page.keyboard.press('End');
  g = await gridState();
  // The last row is drawn (scrolled into view) and active.
  assert.ok(g.rowindexes.includes(1001), `drawn: ${g.rowindexes.slice(-3)}`);
  assert.equal(g.active, g.symbols[g.rowindexes.indexOf(1001)]);
  await b.page.keyboard.press('Home');
  g = await gridState();
  assert.equal(g.rowindexes[0], 2);
  assert.equal(g.active, g.symbols[0]);
  await b.page.keyboard.press('PageDown');
  g = await gridState();
  const at = g.rowindexes[g.symbols.indexOf(g.active)];
  assert.ok(at > 5, `PageDown moved a page: row ${at}`);
  assert.equal(g.focused, 'results-grid');
});

test('`/` focuses the scan editor (but types a slash inside a field)', { timeout: 30_000 }, async () => {
  await b.page.locator(sel('results-grid')).focus();
  await b.page.keyboard.press('/');
  assert.equal((await gridState()).focused, 'scan-input');
  const before = await b.page.locator(sel('scan-input')).inputValue();
  await b.page.keyboard.press('End');
  await b.page.keyboard.type(' / 1');
  assert.equal(await b.page.locator(sel('scan-input')).inputValue(), `${before} / 1`);
  await b.page.locator(sel('scan-input')).fill(before);
});

test('axe-core finds no serious or critical violation on the page with results', { timeout: 120_000 }, async () => {
  const s = await runScan(b.page, { source: 'sample', expr: 'close > sma(close, 50)' });
  assert.ok(s.rows > 0);
  // Through the devtools protocol, which the page's CSP does not govern.
  await b.page.evaluate(await fs.readFile(AXE, 'utf8'));
  const result = await b.page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(
    bad.map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`),
    [],
  );
  assert.ok(result.passes === undefined || Array.isArray(result.passes));
});

test('Enter on the active row opens its detail; axe-core finds no serious or critical violation with it open; Esc closes it', { timeout: 120_000 }, async () => {
  const s = await runScan(b.page, { source: 'sample', expr: 'close > 0' });
  assert.ok(s.rows > 1);
  const grid = b.page.locator(sel('results-grid'));
  await grid.focus();
  await b.page.keyboard.press('ArrowDown');
  await b.page.keyboard.press('ArrowDown');
  const active = (await gridState()).active;
  await b.page.keyboard.press('Enter');
  const detail = b.page.locator(sel('detail'));
  await detail.waitFor({ timeout: 30_000 });
  assert.equal(await detail.getAttribute('data-symbol'), active);
  await b.page.waitForFunction((sym) => window.__technicChart?.symbol === sym, active, { timeout: 30_000 });
  await b.page.evaluate(await fs.readFile(AXE, 'utf8'));
  const result = await b.page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(
    bad.map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`),
    [],
  );
  await b.page.keyboard.press('Escape');
  await detail.waitFor({ state: 'detached', timeout: 10_000 });
  assert.equal(await b.page.evaluate(() => window.__technicChart ?? null), null);
});
