//! End-to-end checks of the offline app shell and the page's security in
//! Debian's Chromium, through stable hooks only: the service worker coi-sw.js
//! (registered also where the host sends the isolation headers) serves the app
//! and the sample after one visit with the network off, isolated and threaded
//! also on a host without headers; a new deploy waits behind
//! `data-testid="update-prompt"` and its button loads it; the
//! Content-Security-Policy (no inline script or style) sees no violation while
//! scanning, sorting and exporting; the web app manifest and its icons load;
//! the page fits 390 px in both colour schemes.
//! Each test serves its own copy of dist/ (the files coi-sw.js lists), so a
//! build of dist/st/ running beside (scripts/test.sh) or a simulated deploy
//! changes nothing under another test.
//!
//! Run: scripts/build.sh && node --test tests/e2e/offline.test.mjs   (TECHNIC_DIST overrides dist/)

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { startServer } from './server.mjs';
import { freshProfile, openBrowser, openApp, runScan, lastScan, cspViolations, sel } from './harness.mjs';
import { generate } from '../../scripts/precache.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DIST = path.resolve(ROOT, process.env.TECHNIC_DIST ?? 'dist');
const SAMPLE_SYMBOLS = ['AAPL', 'FB', 'GOOG', 'IBM', 'MSFT'];

const cleanup = [];
after(async () => {
  for (const fn of cleanup.reverse()) await fn().catch(() => {});
});

/** The precache list that scripts/precache.mjs wrote into a site's coi-sw.js. */
async function precacheList(dir) {
  const sw = await fs.readFile(path.join(dir, 'coi-sw.js'), 'utf8');
  const m = sw.match(/^const PRECACHE = (.*); \/\/ @generated PRECACHE/m);
  if (!m) throw new Error(`${dir}/coi-sw.js has no generated PRECACHE line`);
  const list = JSON.parse(m[1]);
  const version = JSON.parse(sw.match(/^const VERSION = (.*); \/\/ @generated VERSION/m)[1]);
  return { list, version };
}

/** A copy of dist/ (the files its worker lists, the worker, _headers), served; with a fresh browser. */
async function site({ isolation = true } = {}) {
  const { list } = await precacheList(DIST).catch((e) => {
    throw new Error(`${DIST} is missing the build or its precache list (${e.message}): run scripts/build.sh first`);
  });
  assert.ok(list.length > 5, `the precache lists the app's files (${list.length})`);
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'technic-e2e-site-'));
  for (const f of [...list.map((e) => e.url), 'coi-sw.js', '_headers']) {
    await fs.mkdir(path.dirname(path.join(dir, f)), { recursive: true });
    await fs.copyFile(path.join(DIST, f), path.join(dir, f));
  }
  const server = await startServer({ dir, isolation });
  const profile = await freshProfile('offline');
  const b = await openBrowser(profile);
  cleanup.push(() => fs.rm(dir, { recursive: true, force: true }));
  cleanup.push(() => fs.rm(profile, { recursive: true, force: true }));
  cleanup.push(() => server.close());
  cleanup.push(() => b.context.close());
  return { dir, server, ...b };
}

const tail = (b) => `\nconsole tail:\n${b.log.slice(-15).join('\n')}`;

/** Waits until a worker controls the page with its copy complete; resolves to its version. */
async function offlineReady(page) {
  await page.waitForFunction(() => navigator.serviceWorker.controller && window.__technicOffline?.version, null, { timeout: 60_000 });
  return page.evaluate(() => window.__technicOffline);
}

async function scanSampleOffline(s, label) {
  s.server.reset();
  await s.context.setOffline(true);
  await s.page.reload({ waitUntil: 'load' });
  await s.page.locator(sel('run')).waitFor({ state: 'visible', timeout: 60_000 });
  assert.equal(await s.page.evaluate(() => navigator.onLine), false, `${label}: the browser is offline`);
  const scan = await runScan(s.page, { source: 'sample', expr: 'close > 0' });
  assert.equal(scan.stopped, false, `${label}: the scan ran to the end`);
  assert.equal(scan.symbols, SAMPLE_SYMBOLS.length, `${label}: the sample's five symbols`);
  assert.equal(scan.rows, SAMPLE_SYMBOLS.length, `${label}: \`close > 0\` matches every sample symbol`);
  // The hook is set as the run ends; the table draws its last rows in the
  // page's next render (a CI run once read the rows before it).
  await s.page.waitForFunction((n) => document.querySelectorAll('[data-testid="result-row"]').length >= n, SAMPLE_SYMBOLS.length, { timeout: 10_000 })
    .catch(() => {});
  const symbols = await s.page.locator(sel('result-row')).evaluateAll((rows) => rows.map((r) => r.dataset.symbol));
  assert.deepEqual([...symbols].sort(), SAMPLE_SYMBOLS, `${label}: one row per symbol`);
  assert.deepEqual(s.server.requests(), {}, `${label}: nothing reached the server while offline`);
  return scan;
}

test('after one visit (no scan) the app reloads and scans the sample offline, where the host sends the headers', { timeout: 180_000 }, async () => {
  const s = await site({ isolation: true });
  await openApp(s.page, s.server.url);
  assert.equal(await s.page.evaluate(() => self.crossOriginIsolated), true, 'the host makes the page isolated');
  const ready = await offlineReady(s.page);
  const { list } = await precacheList(s.dir);
  const eager = list.filter((e) => !e.lazy);
  assert.equal(ready.files, eager.length, 'the active worker precached every listed file but the lazy ones');
  const precached = Object.keys(s.server.requests()).filter((k) => k.endsWith('(precache)'));
  // The single-threaded build (listed lazily once scripts/build-st.sh has
  // run) is never downloaded by an isolated page.
  assert.deepEqual(Object.keys(s.server.requests()).filter((k) => k.includes(' /st/')), [], 'no st/ file was downloaded');
  assert.ok(precached.includes('GET /data/AAPL.csv (precache)') && precached.includes('GET /index.html (precache)'),
    `the worker downloaded the shell and the sample: ${precached.join(', ')}`);

  const scan = await scanSampleOffline(s, 'offline');
  assert.equal(await s.page.evaluate(() => self.crossOriginIsolated), true, 'isolated from the cache');
  assert.ok(scan.threads > 1, `threaded offline: ${scan.threads}`);
  // Still offline: a reload from the cache starts again, and the bars now come from IndexedDB.
  const again = await scanSampleOffline(s, 'second offline reload');
  assert.equal(again.rows, SAMPLE_SYMBOLS.length);
  await s.context.setOffline(false);
  assert.deepEqual(await cspViolations(s.page), [], 'no CSP violation');
  assert.deepEqual(s.problems, [], `console errors${tail(s)}`);
});

test('without headers the worker isolates the page, also offline from its cache', { timeout: 180_000 }, async () => {
  const s = await site({ isolation: false });
  await openApp(s.page, s.server.url);
  await s.page.waitForFunction(() => self.crossOriginIsolated === true, null, { timeout: 30_000 });
  await s.page.locator(sel('run')).waitFor();
  await offlineReady(s.page);
  const scan = await scanSampleOffline(s, 'offline, no headers');
  assert.equal(await s.page.evaluate(() => self.crossOriginIsolated), true, 'the cached page carries the headers');
  assert.ok(scan.threads > 1, `threaded offline through the worker: ${scan.threads}`);
  assert.equal(await s.page.evaluate(() => window.__technicSingleThread ?? false), false, 'the threaded build runs');
  await s.context.setOffline(false);
  assert.deepEqual(await cspViolations(s.page), [], 'no CSP violation');
  assert.deepEqual(s.problems, [], `console errors${tail(s)}`);
});

/**
 * A new deploy of the copy: the app's JS under a new hashed name (new bytes,
 * index.html and its integrity updated), a marker in index.html, and the
 * precache list written again (scripts/precache.mjs). Resolves to the new JS name.
 */
async function deploy(dir) {
  const htmlFile = path.join(dir, 'index.html');
  let html = await fs.readFile(htmlFile, 'utf8');
  const old = html.match(/"js": "(technic-web-[0-9a-f]+\.js)"/)[1];
  const body = (await fs.readFile(path.join(dir, old), 'utf8')) + '\n// the next deploy\n';
  const name = `technic-web-${crypto.createHash('sha256').update(body).digest('hex').slice(0, 16)}.js`;
  await fs.writeFile(path.join(dir, name), body);
  await fs.rm(path.join(dir, old));
  const integrity = `sha384-${crypto.createHash('sha384').update(body).digest('base64')}`;
  html = html.replaceAll(old, name)
    .replace(new RegExp(`(<link rel="modulepreload" href="\\./${name}"[^>]*integrity=")[^"]+"`), `$1${integrity}"`)
    .replace('<title>', '<meta name="technic-deploy" content="2" />\n  <title>');
  await fs.writeFile(htmlFile, html);
  await generate(dir);
  return { old, name };
}

const loadedJs = (page) => page.evaluate(() => JSON.parse(document.getElementById('technic-boot').textContent).js);

test('a new deploy waits behind "new version — reload", and the button loads it', { timeout: 240_000 }, async () => {
  const s = await site({ isolation: true });
  await openApp(s.page, s.server.url);
  const first = await offlineReady(s.page);
  assert.equal(await s.page.locator(sel('update-prompt')).count(), 0, 'no prompt on the first visit');
  const { old, name } = await deploy(s.dir);
  const { version: next } = await precacheList(s.dir);
  assert.notEqual(next, first.version, 'the deploy changed the worker');

  // The next visit still runs the version it started with, whole, and offers the new one.
  await s.page.reload({ waitUntil: 'load' });
  await s.page.locator(sel('run')).waitFor({ state: 'visible', timeout: 60_000 });
  const prompt = s.page.locator(sel('update-prompt'));
  await prompt.waitFor({ state: 'visible', timeout: 60_000 });
  assert.match((await prompt.textContent()) ?? '', /new version/i, 'the prompt says a new version is there');
  assert.equal(await loadedJs(s.page), old, 'the page still loads the old JS');
  assert.equal(await s.page.locator('meta[name="technic-deploy"]').count(), 0, 'and the old index.html');
  assert.equal((await s.page.evaluate(() => window.__technicOffline)).version, first.version, 'from the old worker');
  const oldScan = await runScan(s.page, { source: 'sample', expr: 'true' });
  assert.equal(oldScan.rows, SAMPLE_SYMBOLS.length, 'the old version scans while the prompt waits');

  await s.page.locator(sel('update-reload')).click();
  await s.page.waitForFunction((v) => window.__technicOffline?.version === v, next, { timeout: 60_000 });
  await s.page.locator(sel('run')).waitFor({ state: 'visible', timeout: 60_000 });
  assert.equal(await loadedJs(s.page), name, 'the reload runs the new JS');
  assert.equal(await s.page.locator('meta[name="technic-deploy"]').count(), 1, 'with the new index.html');
  assert.equal(await s.page.locator(sel('update-prompt')).count(), 0, 'and no prompt');
  const scan = await runScan(s.page, { source: 'sample', expr: 'true' });
  assert.equal(scan.rows, SAMPLE_SYMBOLS.length, 'the new version scans');
  assert.ok(scan.threads > 1, `threaded: ${scan.threads}`);
  const caches = await s.page.evaluate(() => caches.keys());
  assert.deepEqual(caches, [`technic-shell-${next}`], 'only the new version\'s cache is kept');
  assert.deepEqual(await cspViolations(s.page), [], 'no CSP violation');
  assert.deepEqual(s.problems, [], `console errors${tail(s)}`);
});

test('no Content-Security-Policy violation while scanning, sorting and exporting; inline styles are refused', { timeout: 180_000 }, async () => {
  const s = await site({ isolation: true });
  await openApp(s.page, s.server.url);
  const csp = await s.page.evaluate(() => document.querySelector('meta[http-equiv="Content-Security-Policy"]')?.content ?? '');
  assert.match(csp, /script-src 'self' 'wasm-unsafe-eval'(;|$)/, `scripts: this site and wasm compilation only: ${csp}`);
  assert.match(csp, /style-src 'self'(;|$)/, `styles: this site's files only: ${csp}`);
  assert.doesNotMatch(csp, /unsafe-inline|(^|[^-])'unsafe-eval'/, 'no unsafe-inline, no unsafe-eval');
  const headers = await fs.readFile(path.join(s.dir, '_headers'), 'utf8');
  assert.ok(headers.includes(`Content-Security-Policy: ${csp}; frame-ancestors 'none'`), '_headers sends the same policy, with frame-ancestors');

  const sample = await runScan(s.page, { source: 'sample', expr: 'close > sma(close, 50)' });
  assert.ok(sample.rows > 0, 'the sample scan matched');
  const synthetic = await runScan(s.page, { source: 'synthetic-100', expr: 'true' });
  assert.equal(synthetic.rows, 100);
  await s.page.locator(sel('column-header')).first().click();
  const download = s.page.waitForEvent('download', { timeout: 30_000 });
  await s.page.locator(sel('export-csv')).click();
  const file = await (await download).path();
  const csv = await fs.readFile(file, 'utf8');
  assert.ok(csv.split('\n').filter(Boolean).length >= 101, 'the export holds the rows');
  // The update prompt's elements too (styled by class only).
  assert.deepEqual(await cspViolations(s.page), [], 'no CSP violation while loading, scanning, sorting and exporting');
  assert.deepEqual(s.problems, [], `console errors${tail(s)}`);

  // The policy is in force: a style attribute from markup is refused.
  const applied = await s.page.evaluate(() => new Promise((resolve) => {
    const host = document.createElement('div');
    host.innerHTML = '<span style="color: rgb(1, 2, 3)">x</span>';
    document.body.append(host);
    setTimeout(() => {
      const color = getComputedStyle(host.firstChild).color;
      host.remove();
      resolve(color === 'rgb(1, 2, 3)');
    }, 100);
  }));
  assert.equal(applied, false, 'an inline style attribute is not applied');
  assert.ok((await cspViolations(s.page)).some((v) => /style-src/.test(v)), 'the refusal is a style-src violation');
});

test('the web app manifest is linked, valid, and its icons load at their sizes', { timeout: 60_000 }, async () => {
  const s = await site({ isolation: true });
  await openApp(s.page, s.server.url);
  const href = await s.page.evaluate(() => document.querySelector('link[rel="manifest"]')?.href ?? null);
  assert.ok(href, 'index.html links a manifest');
  const cdp = await s.context.newCDPSession(s.page);
  const { url, errors, data } = await cdp.send('Page.getAppManifest');
  assert.equal(url, href, 'Chromium reads the linked manifest');
  assert.deepEqual(errors, [], 'Chromium finds no error in it');
  const manifest = JSON.parse(data);
  assert.ok(manifest.name && manifest.short_name, 'name and short_name');
  assert.equal(manifest.display, 'standalone');
  assert.equal(new URL(manifest.start_url, href).href, s.server.url, 'starts at the app');
  const icons = await s.page.evaluate(async (list) => Promise.all(list.map(async (icon) => {
    const res = await fetch(new URL(icon.src, document.querySelector('link[rel="manifest"]').href));
    const bitmap = await createImageBitmap(await res.blob());
    return { ...icon, status: res.status, type: res.headers.get('content-type'), size: `${bitmap.width}x${bitmap.height}` };
  })), manifest.icons);
  for (const icon of icons) {
    assert.equal(icon.status, 200, `${icon.src} loads`);
    assert.equal(icon.type, 'image/png', `${icon.src} is a PNG`);
    assert.equal(icon.size, icon.sizes, `${icon.src} is ${icon.sizes}`);
  }
  for (const size of ['192x192', '512x512']) assert.ok(icons.some((i) => i.sizes === size && /any/.test(i.purpose ?? 'any')), `a ${size} icon`);
  assert.ok(icons.some((i) => /maskable/.test(i.purpose ?? '')), 'a maskable icon');
  assert.deepEqual(await cspViolations(s.page), [], 'no CSP violation');
  assert.deepEqual(s.problems, [], `console errors${tail(s)}`);
});

test('at 390 px wide, in both colour schemes, the page fits and scans', { timeout: 120_000 }, async () => {
  const s = await site({ isolation: true });
  await s.page.setViewportSize({ width: 390, height: 844 });
  for (const scheme of ['light', 'dark']) {
    await s.page.emulateMedia({ colorScheme: scheme });
    await openApp(s.page, s.server.url);
    const scan = await runScan(s.page, { source: 'sample', expr: 'true' });
    assert.equal(scan.rows, SAMPLE_SYMBOLS.length, `${scheme}: the sample scans`);
    const layout = await s.page.evaluate(() => {
      const wide = [...document.querySelectorAll('body *')].filter((el) => {
        if (el.closest('.warmup, [aria-hidden="true"]')) return false;
        // Inside a scroller (the results table) width is fine; the page itself must not scroll sideways.
        for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
          const o = getComputedStyle(p).overflowX;
          if (o === 'auto' || o === 'scroll' || o === 'hidden') return false;
        }
        const r = el.getBoundingClientRect();
        return r.width > 0 && r.right > window.innerWidth + 1;
      }).map((el) => `${el.tagName.toLowerCase()}.${el.className} (right ${Math.round(el.getBoundingClientRect().right)})`);
      return {
        scrollWidth: document.documentElement.scrollWidth,
        innerWidth: window.innerWidth,
        wide: wide.slice(0, 8),
        bg: getComputedStyle(document.body).backgroundColor,
      };
    });
    assert.ok(layout.scrollWidth <= layout.innerWidth, `${scheme}: no sideways scroll (${layout.scrollWidth} > ${layout.innerWidth}): ${layout.wide.join(', ')}`);
    assert.deepEqual(layout.wide, [], `${scheme}: nothing sticks out of the window`);
    const run = await s.page.locator(sel('run')).boundingBox();
    assert.ok(run && run.x >= 0 && run.x + run.width <= 390, `${scheme}: Run is on screen`);
    const dark = scheme === 'dark';
    const [r, g, b] = layout.bg.match(/\d+/g).map(Number);
    assert.equal((r + g + b) / 3 < 128, dark, `${scheme}: the background follows the scheme (${layout.bg})`);
    assert.ok((await lastScan(s.page)).rows > 0);
  }
  assert.deepEqual(await cspViolations(s.page), [], 'no CSP violation');
  assert.deepEqual(s.problems, [], `console errors${tail(s)}`);
});
