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

/** Console lines known to be harmless (../shared/TOOLCHAIN.md). */
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
 * `problems` collects console errors and page errors of every page in it.
 */
export async function openBrowser(profileDir, { longTasks = true } = {}) {
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 860 },
  });
  const problems = [];
  const log = [];
  if (longTasks) {
    // Registered before any page script so the whole page life is observed;
    // tests reset the list right before the interval they measure.
    await context.addInitScript(() => {
      window.__longTasks = [];
      try {
        new PerformanceObserver((list) => {
          for (const e of list.getEntries()) window.__longTasks.push({ start: e.startTime, duration: e.duration, name: e.name });
        }).observe({ type: 'longtask', buffered: true });
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

/** Loads the app and waits until the Run button is there. */
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
 * Clicks Run and waits for the scan to end (`__technicLastScan` with a new
 * scanId). Resolves to the new `__technicLastScan`.
 */
export async function runScan(page, { source, expr, timeout = 120_000 } = {}) {
  await setScan(page, { source, expr });
  const before = (await lastScan(page))?.scanId ?? null;
  await page.locator(sel('run')).click({ timeout: 30_000 });
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

/** The longest main-thread task observed since `__longTasks` was last reset. */
export async function longestTask(page) {
  return page.evaluate(() => {
    const tasks = window.__longTasks ?? [];
    return { count: tasks.length, longest: tasks.reduce((m, t) => Math.max(m, t.duration), 0), unsupported: window.__longTasksUnsupported ?? null };
  });
}

export function median(values) {
  const v = [...values].sort((a, b) => a - b);
  return v.length ? v[Math.floor(v.length / 2)] : NaN;
}
