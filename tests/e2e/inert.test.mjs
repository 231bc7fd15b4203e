//! End-to-end check that file and symbol names holding markup, quotes and
//! spreadsheet formula characters stay inert everywhere they are shown: the
//! import results, the results table, the error rows and the CSV export. They
//! are shown literally, nothing executes (no element is created from them, no
//! handler runs, no CSP violation), and an exported cell that a spreadsheet
//! would read as a formula starts with `'`.
//! Run: scripts/build.sh && node --test tests/e2e/inert.test.mjs   (TECHNIC_DIST overrides dist/)

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { startServer } from './server.mjs';
import { freshProfile, openBrowser, openApp, runScan, cspViolations, sel } from './harness.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DIST = path.resolve(ROOT, process.env.TECHNIC_DIST ?? 'dist');

let app;
let b;
let profile;

before(async () => {
  await fs.access(path.join(DIST, 'index.html')).catch(() => {
    throw new Error(`${DIST} is missing the build: run scripts/build.sh first`);
  });
  app = await startServer({ dir: DIST, isolation: true });
  profile = await freshProfile('inert');
  b = await openBrowser(profile);
});

after(async () => {
  await b?.context.close().catch(() => {});
  await app?.close();
  if (profile) await fs.rm(profile, { recursive: true, force: true }).catch(() => {});
});

/** `n` daily bars from 2024-01-01 as CSV lines (no header), optionally with a symbol column. */
function bars(n, symbol = null) {
  const out = [];
  for (let i = 0; i < n; i++) {
    const day = new Date(Date.UTC(2024, 0, 1 + i)).toISOString().slice(0, 10);
    const c = 100 + Math.sin(i / 5) * 5 + i * 0.1;
    const row = `${day},${(c - 0.5).toFixed(2)},${(c + 1).toFixed(2)},${(c - 1).toFixed(2)},${c.toFixed(2)},${1000 + i}`;
    out.push(symbol === null ? row : `${csvCell(symbol)},${row}`);
  }
  return out;
}

const csvCell = (v) => (/[",\n\r]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);

/** Parses CSV text into rows of cells (RFC 4180 quoting). */
function parseCsv(text) {
  const rows = [];
  let row = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') { cell += '"'; i++; } else if (ch === '"') quoted = false; else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') { row.push(cell); cell = ''; } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(cell); rows.push(row); row = []; cell = '';
    } else cell += ch;
  }
  if (cell !== '' || row.length) { row.push(cell); rows.push(row); }
  return rows;
}

// One-symbol files: the symbol is the file's stem, upper-cased. The handlers
// assign bare globals so they would still run upper-cased.
const MARKUP_FILE = '<img src=x onerror=__pwned=1>.csv';
const MARKUP_SHORT_FILE = '<svg onload=__PWNED2=1>.csv';
// A long file (symbol column): formula-looking, quoted and markup symbols.
const LONG_SYMBOLS = ['=HYPERLINK("http://evil.example","x")', '+CMD', '-2+3', '@SUM(1)', 'A\'B"C', '<B>BOLD</B>'];
const SHORT_LONG_SYMBOL = '=1+1';
const FORMULA = /^[=+\-@\t\r]/;

test('names with markup, quotes and formula characters are shown literally, run nothing, and export with a leading quote', { timeout: 180_000 }, async () => {
  const page = b.page;
  await openApp(page, app.url);
  assert.ok(await page.locator(`${sel('source')} option[value="import"]`).count(), 'the source select offers import');
  await page.selectOption(sel('source'), 'import');
  const header = 'Date,Open,High,Low,Close,Volume';
  const long = ['Symbol,' + header, ...LONG_SYMBOLS.flatMap((s) => bars(60, s)), ...bars(10, SHORT_LONG_SYMBOL)].join('\n');
  const files = [
    { name: MARKUP_FILE, mimeType: 'text/csv', buffer: Buffer.from([header, ...bars(60)].join('\n')) },
    { name: MARKUP_SHORT_FILE, mimeType: 'text/csv', buffer: Buffer.from([header, ...bars(10)].join('\n')) },
    { name: 'names "long" <file>.csv', mimeType: 'text/csv', buffer: Buffer.from(long) },
  ];
  await page.locator(sel('import-input')).setInputFiles(files);
  const resultsSel = `${sel('import-results')} [data-file]`;
  await page.waitForFunction((s) => document.querySelectorAll(s).length >= 3, resultsSel, { timeout: 30_000 });
  const imported = await page.locator(resultsSel).evaluateAll((els) => els.map((el) => ({ file: el.dataset.file, text: el.textContent })));
  for (const f of files) {
    const row = imported.find((r) => r.file === f.name);
    assert.ok(row, `an import result names ${f.name} exactly: ${JSON.stringify(imported)}`);
    assert.ok(row.text.includes(f.name), `the import result shows ${f.name} literally: ${row.text}`);
  }

  // 60 bars pass a 30-bar average; 10 bars are too short: error rows.
  const scan = await runScan(page, { expr: 'sma(close, 30) > 0' });
  assert.equal(scan.stopped, false);
  const wantRows = ['<IMG SRC=X ONERROR=__PWNED=1>', ...LONG_SYMBOLS.map((s) => s.toUpperCase())].sort();
  const wantErrors = ['<SVG ONLOAD=__PWNED2=1>', SHORT_LONG_SYMBOL].sort();
  const shown = (id) => page.locator(sel(id)).evaluateAll((rows) => rows.map((r) => ({ symbol: r.dataset.symbol, cell: r.querySelector('td')?.textContent ?? '' })));
  const rows = await shown('result-row');
  const errors = await shown('error-row');
  assert.deepEqual(rows.map((r) => r.symbol).sort(), wantRows, 'every long-enough symbol is a result row, named exactly');
  assert.deepEqual(errors.map((r) => r.symbol).sort(), wantErrors, 'every short symbol is an error row, named exactly');
  for (const r of [...rows, ...errors]) assert.equal(r.cell, r.symbol, `the symbol cell shows ${r.symbol} as text`);

  const made = await page.evaluate(() => document.querySelectorAll(
    '[data-testid="import-results"] :is(img, svg, b), table :is(img, svg, b)',
  ).length);
  assert.equal(made, 0, 'no element was created from a name');
  const ran = await page.evaluate(() => [window.__pwned, window.__PWNED, window.__PWNED2, window.__pwned2].filter((v) => v !== undefined));
  assert.deepEqual(ran, [], 'no handler in a name ran');
  assert.deepEqual(await cspViolations(page), [], 'no CSP violation (nothing tried to run)');

  const [download] = await Promise.all([page.waitForEvent('download', { timeout: 15_000 }), page.locator(sel('export-csv')).click()]);
  const csv = parseCsv(await fs.readFile(await download.path(), 'utf8')).filter((r) => r.length > 1);
  const firstCells = csv.slice(1).map((r) => r[0]);
  for (const symbol of wantRows) {
    const expected = FORMULA.test(symbol) ? `'${symbol}` : symbol;
    assert.ok(firstCells.includes(expected), `the export holds ${JSON.stringify(expected)} (cells: ${JSON.stringify(firstCells)})`);
  }
  // A number (a negative change) is data, not a formula.
  const text = csv.flat().filter((cell) => cell.trim() === '' || !Number.isFinite(Number(cell)));
  for (const cell of text) assert.doesNotMatch(cell, FORMULA, `no exported text cell starts a formula: ${JSON.stringify(cell)}`);
  assert.deepEqual(b.problems, [], `console errors:\n${b.problems.join('\n')}`);
});
