//! Shared driver for the end-to-end tests and the browser benchmark: launches
//! Debian's Chromium through playwright-core with a persistent profile, collects
//! console errors, and runs scans through the page's stable hooks only
//! (`data-testid` values and `window.__technicLastScan`).

import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.TECHNIC_CHROMIUM ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

/** Console lines known to be harmless: wasm-bindgen-rayon's init call, Chromium's note on preload integrity, rustc's atomics warning. */
export const HARMLESS = [
  /using deprecated parameters for the initialization function/i,
  /integrity.{0,40}attribute is currently ignored for preload/i,
  /unstable feature.*atomics/i,
];

export const sel = (testid) => `[data-testid="${testid}"]`;

/** A new, empty profile directory (a fresh browser). */
export async function freshProfile(tag = 'profile') {
  return fs.mkdtemp(path.join(os.tmpdir(), `technic-e2e-${tag}-`));
}

/**
 * Opens a browser on `profileDir` (same dir again = a browser restart).
 * `problems` collects console errors, page errors and Content-Security-Policy
 * violations of every page in it.
 * `longTasks: true` also records long tasks and long animation frames (with
 * their script attribution) for the benchmark; tests never assert on times.
 * `memory: true` keeps every WebAssembly.Memory the page creates (the threaded
 * build's shared memory is made by its JS glue) for wasmMemoryBytes().
 * TECHNIC_CHROMIUM_ARGS (space-separated) adds Chromium flags, for measuring
 * what V8 does: `--js-flags=--no-liftoff` compiles every wasm function
 * optimised at once (README, "Morning of 2026-12-03").
 */
export async function openBrowser(profileDir, { longTasks = false, memory = false, args = [] } = {}) {
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [...CHROMIUM_ARGS, ...args, ...(process.env.TECHNIC_CHROMIUM_ARGS ?? '').split(' ').filter(Boolean)],
    viewport: { width: 1280, height: 860 },
  });
  const problems = [];
  const log = [];
  // A CSP violation is reported to the console too, but the event says which
  // directive and URL, and also fires for reports the console folds away.
  await context.addInitScript(() => {
    window.__cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
    });
  });
  if (memory) {
    await context.addInitScript(() => {
      window.__wasmMemories = [];
      WebAssembly.Memory = new Proxy(WebAssembly.Memory, {
        construct(target, args) {
          const m = Reflect.construct(target, args);
          window.__wasmMemories.push(m);
          return m;
        },
      });
    });
  }
  if (longTasks) {
    // Registered before any page script so the whole page life is observed;
    // the benchmark resets the lists right before the interval it measures.
    await context.addInitScript(() => {
      window.__longTasks = [];
      window.__longFrames = [];
      try {
        new PerformanceObserver((list) => {
          for (const e of list.getEntries()) window.__longTasks.push({ start: e.startTime, duration: e.duration, name: e.name });
        }).observe({ type: 'longtask', buffered: true });
        new PerformanceObserver((list) => {
          for (const e of list.getEntries()) {
            window.__longFrames.push({
              start: e.startTime,
              duration: e.duration,
              blocking: e.blockingDuration,
              renderStart: e.renderStart,
              styleAndLayoutStart: e.styleAndLayoutStart,
              firstUIEventTimestamp: e.firstUIEventTimestamp,
              scripts: e.scripts.map((s) => ({
                invoker: s.invoker, invokerType: s.invokerType, source: s.sourceFunctionName, url: s.sourceURL,
                start: s.startTime, duration: s.duration, forcedStyleAndLayout: s.forcedStyleAndLayoutDuration,
                pauseDuration: s.pauseDuration,
              })),
            });
          }
        }).observe({ type: 'long-animation-frame', buffered: true });
      } catch (e) {
        window.__longTasksUnsupported = String(e);
      }
    });
  }
  const watch = (page) => {
    page.on('console', (msg) => {
      const line = `[${msg.type()}] ${msg.text()}`;
      log.push(line);
      if (msg.type() === 'error' && !HARMLESS.some((re) => re.test(msg.text()))) problems.push(line);
    });
    page.on('pageerror', (err) => {
      const line = `[pageerror] ${err.message}`;
      log.push(line);
      problems.push(line);
    });
  };
  context.on('page', watch);
  context.pages().forEach(watch);
  const page = context.pages()[0] ?? (await context.newPage());
  return { context, page, problems, log };
}

/** Bytes of the wasm memories the page created (openBrowser's `memory`). */
export function wasmMemoryBytes(page) {
  return page.evaluate(() => (window.__wasmMemories ?? []).reduce((n, m) => n + m.buffer.byteLength, 0));
}

/** The page's JS heap in use after a full garbage collection (CDP). */
export async function jsHeapBytes(page) {
  const cdp = await page.context().newCDPSession(page);
  try {
    await cdp.send('HeapProfiler.collectGarbage');
    const { usedSize } = await cdp.send('Runtime.getHeapUsage');
    return usedSize;
  } finally {
    await cdp.detach().catch(() => {});
  }
}

/** CSP violations the page saw since it loaded (see openBrowser). */
export function cspViolations(page) {
  return page.evaluate(() => window.__cspViolations ?? ['the CSP listener was not installed']);
}

/** Loads the app and waits until the Run button is there. */
/**
 * Fails (never skips) unless `dist` holds the threaded build and the
 * versioned single-threaded one that index.html names.
 */
export async function requireBothBuilds(dist) {
  try {
    const html = await fs.readFile(path.join(dist, 'index.html'), 'utf8');
    const st = html.match(/"stJs": "(st\/technic-web-[0-9a-f]+\.js)"/);
    if (!st) throw new Error('index.html names no versioned st/ build');
    await fs.access(path.join(dist, st[1]));
  } catch {
    throw new Error(`${dist} is missing the build (index.html and st/): run scripts/build.sh first`);
  }
}

export async function openApp(page, url, { timeout = 60_000 } = {}) {
  await page.goto(url, { waitUntil: 'load', timeout });
  await page.locator(sel('run')).waitFor({ state: 'visible', timeout });
  // Only one instance of each hook is expected.
  return page;
}

export function lastScan(page) {
  return page.evaluate(() => window.__technicLastScan ?? null);
}

/** Sets the source (an option value of the `source` select) and the expression. */
export async function setScan(page, { source, expr }) {
  if (source !== undefined) await page.selectOption(sel('source'), source);
  if (expr !== undefined) await page.locator(sel('scan-input')).fill(expr);
}

/**
 * Clicks Run, waiting up to a minute for it to be enabled (a fresh page's
 * workers and bar cache open first; on a loaded machine that takes seconds).
 * A failure names why the page says Run is unavailable (`run-note`).
 */
export async function clickRun(page, { timeout = 60_000 } = {}) {
  try {
    await page.locator(sel('run')).click({ timeout });
  } catch (e) {
    const note = await page.locator(sel('run-note')).innerText({ timeout: 1_000 }).catch(() => '(no run-note)');
    throw new Error(`Run could not be clicked (run-note: "${note}"): ${e.message}`);
  }
}

/**
 * Clicks Run and waits for the scan to end (`__technicLastScan` with a new
 * scanId). Resolves to the new `__technicLastScan`.
 */
export async function runScan(page, { source, expr, timeout = 120_000 } = {}) {
  await setScan(page, { source, expr });
  const before = (await lastScan(page))?.scanId ?? null;
  await clickRun(page);
  await page.waitForFunction(
    (prev) => window.__technicLastScan && window.__technicLastScan.scanId !== prev,
    before,
    { timeout, polling: 50 },
  );
  return lastScan(page);
}

/** Number of rows the page says it has (result-count), falling back to rendered rows. */
export async function shownRowCount(page) {
  const count = page.locator(sel('result-count'));
  if (await count.count()) {
    const text = (await count.first().textContent()) ?? '';
    const m = text.replace(/[,\u202f\u00a0 ]/g, '').match(/\d+/);
    if (m) return Number(m[0]);
  }
  return page.locator(sel('result-row')).count();
}

/** Long tasks and long animation frames since the lists were last reset (openBrowser's `longTasks`). */
export async function longTaskReport(page) {
  return page.evaluate(() => {
    const tasks = window.__longTasks ?? [];
    const frames = window.__longFrames ?? [];
    return {
      count: tasks.length,
      longest: tasks.reduce((m, t) => Math.max(m, t.duration), 0),
      frames,
      unsupported: window.__longTasksUnsupported ?? null,
    };
  });
}

export function median(values) {
  const v = [...values].sort((a, b) => a - b);
  return v.length ? v[Math.floor(v.length / 2)] : NaN;
}

/**
 * Starts counting, in the page, the frames the page renders (a
 * requestAnimationFrame loop of its own) and the DOM batches that add result
 * rows or change the result count (one MutationObserver delivery = one task's
 * changes). A page that hands rows over once per frame changes the count at
 * most once per frame, however many batches the workers send; one that
 * renders each worker batch as it comes changes it more often than it draws
 * frames. Read with frameReport().
 */
export async function watchFrames(page) {
  await page.evaluate(() => {
    window.__frameWatch?.stop();
    const w = { frames: 0, rowBatches: 0, countChanges: 0, stopped: false };
    const loop = () => {
      if (w.stopped) return;
      w.frames++;
      requestAnimationFrame(loop);
    };
    requestAnimationFrame(loop);
    const countText = () => document.querySelector('[data-testid="result-count"]')?.textContent ?? '';
    let lastCount = countText();
    const obs = new MutationObserver((records) => {
      const rows = records.some((r) => [...r.addedNodes].some((n) => n.nodeType === 1
        && (n.matches?.('[data-testid="result-row"]') || n.querySelector?.('[data-testid="result-row"]'))));
      const count = countText();
      if (rows) w.rowBatches++;
      if (count !== lastCount) w.countChanges++;
      lastCount = count;
    });
    obs.observe(document.body, { childList: true, subtree: true, characterData: true });
    w.stop = () => { obs.disconnect(); w.stopped = true; };
    window.__frameWatch = w;
  });
}

/** What watchFrames() counted since it started; stops counting. */
export async function frameReport(page) {
  // Let the last frame's changes be delivered first.
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 50))));
  return page.evaluate(() => {
    const w = window.__frameWatch;
    w.stop();
    return { frames: w.frames, rowBatches: w.rowBatches, countChanges: w.countChanges };
  });
}
