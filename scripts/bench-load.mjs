//! First-load benchmark (issue 12), a script, not a test: what a visitor
//! downloads and how long until the page is ready, for the threaded build
//! (cross-origin isolated page) and the single-threaded one (st/: a page that
//! is not isolated, `?coi=off`), in headless Chromium through the harness.
//! - size: each build's wasm, raw, gzip -9 and brotli (what a static host
//!   sends compressed), and its JS glue gzipped;
//! - ready: from navigation start to the Run button enabled (the worker pool
//!   started and the bar cache open: src/ui/control.rs `not_ready`), read in
//!   the page as `performance.now()` by a MutationObserver installed before any
//!   page script, which also notes when main() starts (#boot-status removed)
//!   and when the page is rendered (the Run button exists); a fresh profile per run (first visit: nothing cached, the
//!   service worker not installed yet), median of --runs; then a reload of the
//!   same page (repeat visit: the service worker's copy, V8's code cache);
//! - st when isolated: the bytes of st/ files an isolated first visit
//!   requested (the service worker's precache included) before it was offline-ready.
//! Figures are printed, never asserted: one JSON line each, then a table.
//!
//! Usage: scripts/build.sh && node scripts/bench-load.mjs [--runs 5] [--dist dist]

import fs from 'node:fs/promises';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';

import { startServer } from '../tests/e2e/server.mjs';
import { freshProfile, openBrowser, median } from '../tests/e2e/harness.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function parseArgs(argv) {
  const o = { runs: 5, dist: 'dist' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--runs') o.runs = Number(argv[++i]);
    else if (a === '--dist') o.dist = argv[++i];
    else throw new Error(`unknown argument ${a} (use --runs N, --dist DIR)`);
  }
  if (!(o.runs >= 1)) throw new Error('--runs must be at least 1');
  return o;
}

/** index.html's #technic-boot block: {base, js, wasm, stJs, stWasm}. */
async function bootBlock(dist) {
  const html = await fs.readFile(path.join(dist, 'index.html'), 'utf8').catch(() => {
    throw new Error(`${dist}/index.html is missing: run scripts/build.sh first`);
  });
  const m = html.match(/<script type="application\/json" id="technic-boot">([^<]+)<\/script>/);
  if (!m) throw new Error(`${dist}/index.html has no #technic-boot block`);
  const boot = JSON.parse(m[1]);
  if (!/st\/technic-web-[0-9a-f]+\.js/.test(boot.stJs)) throw new Error(`${dist} has no versioned st/ build: run scripts/build.sh`);
  return boot;
}

/** Raw, gzip -9 and brotli (quality 11) sizes of a file of dist/. */
async function sizes(dist, file) {
  const body = await fs.readFile(path.join(dist, file.replace(/^\.?\//, '')));
  return {
    raw: body.length,
    gzip: zlib.gzipSync(body, { level: 9 }).length,
    brotli: zlib.brotliCompressSync(body, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
  };
}

/**
 * Records, in the page, `window.__benchReadyAt`: performance.now() (ms from
 * navigation start) when [data-testid=run] is first there and enabled.
 */
const READY_WATCH = () => {
  window.__benchReadyAt = null;
  window.__benchMainAt = null;
  window.__benchMountedAt = null;
  let bootSeen = false;
  const check = () => {
    // The app's main() removes #boot-status first thing (src/ui/mod.rs `start`).
    if (document.getElementById('boot-status')) bootSeen = true;
    else if (bootSeen && window.__benchMainAt === null) window.__benchMainAt = performance.now();
    const run = document.querySelector('[data-testid="run"]');
    if (run && window.__benchMountedAt === null) window.__benchMountedAt = performance.now();
    if (window.__benchReadyAt === null && run && !run.disabled) {
      window.__benchReadyAt = performance.now();
      observer.disconnect();
    }
  };
  const observer = new MutationObserver(check);
  observer.observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['disabled'] });
};

/** Navigates to `url` and resolves to the page's ready time and the wasm's fetch end (ms). */
async function loadOnce(page, url, { reload = false } = {}) {
  if (reload) await page.reload({ waitUntil: 'load' });
  else await page.goto(url, { waitUntil: 'load', timeout: 120_000 });
  await page.waitForFunction(() => window.__benchReadyAt !== null, null, { timeout: 120_000, polling: 20 });
  return page.evaluate(() => {
    const wasm = performance.getEntriesByType('resource').filter((e) => e.name.endsWith('.wasm'));
    return {
      readyMs: window.__benchReadyAt,
      mainMs: window.__benchMainAt,
      mountedMs: window.__benchMountedAt,
      wasmEndMs: wasm.length ? Math.max(...wasm.map((e) => e.responseEnd)) : null,
      singleThread: window.__technicSingleThread === true,
      isolated: self.crossOriginIsolated,
    };
  });
}

/** First visits (a fresh profile each) and a reload after each, on one server. */
async function measureReady(dist, { isolation, query, runs }) {
  const server = await startServer({ dir: dist, isolation });
  const first = [];
  const repeat = [];
  let stBytes = null;
  try {
    for (let i = 0; i < runs; i++) {
      const profile = await freshProfile('bench-load');
      const b = await openBrowser(profile);
      try {
        await b.context.addInitScript(READY_WATCH);
        server.reset();
        first.push(await loadOnce(b.page, `${server.url}${query}`));
        if (isolation && i === 0) {
          // What an isolated first visit downloads of st/ (the page or the service
          // worker's precache), once the offline copy is complete.
          await b.page.waitForFunction(() => window.__technicOffline !== undefined, null, { timeout: 60_000, polling: 100 }).catch(() => {});
          stBytes = 0;
          for (const key of Object.keys(server.requests())) {
            const m = key.match(/^GET \/(st\/[^ ]+)/);
            if (m) stBytes += (await fs.stat(path.join(dist, m[1]))).size;
          }
        }
        repeat.push(await loadOnce(b.page, null, { reload: true }));
        if (b.problems.length) console.log(`note: console errors: ${b.problems.slice(0, 3).join(' | ')}`);
      } finally {
        await b.context.close();
        await fs.rm(profile, { recursive: true, force: true });
      }
    }
  } finally {
    await server.close();
  }
  const pick = (rs, k) => median(rs.map((r) => r[k]).filter((v) => v !== null));
  return {
    readyMs: pick(first, 'readyMs'), wasmEndMs: pick(first, 'wasmEndMs'), repeatMs: pick(repeat, 'readyMs'),
    mainMs: pick(first, 'mainMs'), mountedMs: pick(first, 'mountedMs'),
    all: first.map((r) => Math.round(r.readyMs)), repeatAll: repeat.map((r) => Math.round(r.readyMs)),
    singleThread: first[0].singleThread, isolated: first[0].isolated, stBytes,
  };
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const dist = path.resolve(ROOT, o.dist);
  const boot = await bootBlock(dist);
  const mt = { wasm: await sizes(dist, boot.wasm), js: await sizes(dist, boot.js) };
  const st = { wasm: await sizes(dist, boot.stWasm), js: await sizes(dist, boot.stJs) };
  const threaded = await measureReady(dist, { isolation: true, query: '', runs: o.runs });
  const single = await measureReady(dist, { isolation: false, query: '?coi=off', runs: o.runs });
  if (threaded.singleThread || !threaded.isolated) throw new Error('the isolated page did not run the threaded build');
  if (!single.singleThread) throw new Error('the page without isolation did not run the single-threaded build');
  const fig = (name, value, unit) => console.log(JSON.stringify({ name, value: Number.isFinite(value) ? Math.round(value * 100) / 100 : null, unit }));
  fig('load.wasm_bytes', mt.wasm.raw, 'B');
  fig('load.wasm_gzip_bytes', mt.wasm.gzip, 'B');
  fig('load.wasm_brotli_bytes', mt.wasm.brotli, 'B');
  fig('load.js_gzip_bytes', mt.js.gzip, 'B');
  fig('load.st.wasm_bytes', st.wasm.raw, 'B');
  fig('load.st.wasm_gzip_bytes', st.wasm.gzip, 'B');
  fig('load.st.wasm_brotli_bytes', st.wasm.brotli, 'B');
  fig('load.ready_ms', threaded.readyMs, 'ms');
  fig('load.wasm_fetched_ms', threaded.wasmEndMs, 'ms');
  fig('load.main_ms', threaded.mainMs, 'ms');
  fig('load.mounted_ms', threaded.mountedMs, 'ms');
  fig('load.repeat.ready_ms', threaded.repeatMs, 'ms');
  fig('load.st.ready_ms', single.readyMs, 'ms');
  fig('load.st.repeat.ready_ms', single.repeatMs, 'ms');
  fig('load.st_bytes_fetched_when_isolated', threaded.stBytes, 'B');
  const kb = (x) => `${(x / 1024).toFixed(0)} KB`;
  console.log(`\nFirst load, headless Chromium, loopback server (no network delay), median of ${o.runs} fresh profiles`);
  console.log('build                      wasm raw   gzip -9   brotli   JS glue gz   ready (first visit)   ready (reload)');
  for (const [label, s, r] of [['threaded (isolated)', mt, threaded], ['single-threaded (st/)', st, single]]) {
    console.log(`${label.padEnd(24)} ${kb(s.wasm.raw).padStart(10)} ${kb(s.wasm.gzip).padStart(9)} ${kb(s.wasm.brotli).padStart(8)} ${kb(s.js.gzip).padStart(12)} ${`${Math.round(r.readyMs)} ms`.padStart(21)} ${`${Math.round(r.repeatMs)} ms`.padStart(16)}   runs ${r.all.join(' ')} / ${r.repeatAll.join(' ')}`);
  }
  console.log(`ready = navigation start → [data-testid=run] enabled (workers started, bar cache open); threaded wasm fetched at ${Math.round(threaded.wasmEndMs)} ms,`);
  console.log(`  main() running at ${Math.round(threaded.mainMs)} ms, the page rendered at ${Math.round(threaded.mountedMs)} ms (st: ${Math.round(single.mainMs)} / ${Math.round(single.mountedMs)} ms)`);
  console.log(`an isolated first visit fetched ${kb(threaded.stBytes ?? NaN)} of st/ files (the service worker's precache) it never runs`);
}

main().catch((e) => {
  console.error(`bench-load: ${e.stack ?? e}`);
  process.exit(1);
});
