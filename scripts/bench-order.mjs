//! Benchmark of the learned scan order and the prediction (issue 9), in
//! headless Chromium against a slow loopback source (tests/e2e/slow-source.mjs:
//! every request answered after --delay ms; only the last --late of --symbols
//! symbols match `rsi(14) < 30`). One scan fills the history, then each round
//! clears the bar cache and rescans cold with `learned`, then clears it again
//! and rescans cold with `universe`, alternating so the machine's noise hits
//! both. Prints time from the Run click to the first and the 10th match per
//! order and their ratios (goal: first ≥ 5×, 10th ≥ 3× sooner with learned),
//! and each run's predicted against actual duration and match count (goal:
//! within ±50% by the third run). One JSON line per figure, then a table.
//!
//! Usage: scripts/build.sh && node scripts/bench-order.mjs [--rounds 3] [--symbols 300]
//!          [--late 30] [--delay 60] [--dist dist]

import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { startServer } from '../tests/e2e/server.mjs';
import { startSlowSource } from '../tests/e2e/slow-source.mjs';
import { freshProfile, openBrowser, openApp, runScan, median, sel } from '../tests/e2e/harness.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const ORDER_EXPR = 'rsi(14) < 30';

function parseArgs(argv) {
  const o = { rounds: 3, symbols: 300, late: 30, delay: 60, dist: 'dist' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--rounds') o.rounds = Number(argv[++i]);
    else if (a === '--symbols') o.symbols = Number(argv[++i]);
    else if (a === '--late') o.late = Number(argv[++i]);
    else if (a === '--delay') o.delay = Number(argv[++i]);
    else if (a === '--dist') o.dist = argv[++i];
    else throw new Error(`unknown argument ${a}`);
  }
  if (!(o.rounds >= 1) || !(o.late >= 10) || !(o.symbols > o.late)) {
    throw new Error('need --rounds ≥ 1, --late ≥ 10 and --symbols > --late');
  }
  return o;
}

/** Points the page at the slow source with `expr` and `order`. */
export async function configureSlowScan(page, source, { expr = ORDER_EXPR, order }) {
  await page.selectOption(sel('source'), 'url');
  await page.locator(sel('source-url')).fill(source.template);
  await page.locator(sel('universe-input')).evaluate((el, text) => {
    el.value = text;
    el.dispatchEvent(new Event('input', { bubbles: true }));
    el.dispatchEvent(new Event('change', { bubbles: true }));
  }, source.universe.join('\n'));
  await page.locator(sel('scan-input')).fill(expr);
  if (order) await page.selectOption(sel('order'), order);
}

/** Clears the bar cache and waits until the status line says it is empty. */
export async function clearBarCache(page) {
  await page.locator(sel('clear-cache')).click();
  await page.waitForFunction(
    (s) => /\b0 entries\b/.test(document.querySelector(s)?.textContent ?? ''),
    `[data-testid="status-cache"]`,
    { timeout: 30_000, polling: 50 },
  );
}

const ratio = (a, b) => (a > 0 && b > 0 ? b / a : NaN);
const pct = (p, a) => (p == null ? null : (Math.abs(p - a) / Math.max(a, 1)) * 100);

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const dist = path.resolve(ROOT, o.dist);
  const app = await startServer({ dir: dist, isolation: true });
  const source = await startSlowSource({ symbols: o.symbols, late: o.late, delayMs: o.delay });
  const b = await openBrowser(await freshProfile('bench-order'));
  const runs = [];
  const lines = [];
  try {
    await openApp(b.page, app.url);
    const scan = async (order, label) => {
      await configureSlowScan(b.page, source, { order });
      source.reset();
      const s = await runScan(b.page, { timeout: 600_000 });
      const requests = Object.values(source.requests()).reduce((a, n) => a + n, 0);
      runs.push({ label, order, requests, ...s });
      return s;
    };
    await scan('universe', 'fill (history)');
    for (let r = 1; r <= o.rounds; r++) {
      await clearBarCache(b.page);
      await scan('learned', `round ${r}`);
      await clearBarCache(b.page);
      await scan('universe', `round ${r}`);
    }
    // "Stop after 10 matches": the learned order really finishes sooner.
    await b.page.locator(sel('max-matches')).fill('10');
    for (const order of ['learned', 'universe']) {
      await clearBarCache(b.page);
      await scan(order, 'stop after 10');
    }
    await b.page.locator(sel('max-matches')).fill('');
  } finally {
    if (b.problems.length) console.log(`note: console errors: ${b.problems.slice(0, 5).join(' | ')}`);
    await b.context.close();
    await app.close();
    await source.close();
  }
  const cold = runs.slice(1).filter((s) => s.label.startsWith('round'));
  const stopped = (order) => runs.find((s) => s.label === 'stop after 10' && s.order === order)?.totalMs;
  const of = (order, k) => median(cold.filter((s) => s.order === order).map((s) => s[k]));
  const fig = (name, value, unit) => {
    lines.push({ name, value: Number.isFinite(value) ? Math.round(value * 100) / 100 : null, unit });
  };
  const l1 = of('learned', 'firstMatchMs');
  const u1 = of('universe', 'firstMatchMs');
  const l10 = of('learned', 'tenthMatchMs');
  const u10 = of('universe', 'tenthMatchMs');
  fig('order.learned.first_match_ms', l1, 'ms');
  fig('order.universe.first_match_ms', u1, 'ms');
  fig('order.learned.tenth_match_ms', l10, 'ms');
  fig('order.universe.tenth_match_ms', u10, 'ms');
  fig('order.first_match_speedup', ratio(l1, u1), 'x');
  fig('order.tenth_match_speedup', ratio(l10, u10), 'x');
  fig('order.autostop10.learned_ms', stopped('learned'), 'ms');
  fig('order.autostop10.universe_ms', stopped('universe'), 'ms');
  const third = runs[2];
  fig('prediction.run3.duration_error_pct', pct(third?.predictedMs, third?.totalMs), '%');
  fig('prediction.run3.matches_error_pct', pct(third?.predictedMatches, third?.rows), '%');
  for (const l of lines) console.log(JSON.stringify(l));
  console.log(`\nLearned scan order: ${o.symbols} symbols at ${o.delay} ms a request, the last ${o.late} match \`${ORDER_EXPR}\`; cold rescans after clearing the bar cache (medians of ${o.rounds})`);
  console.log('run                 order      first match  10th match   total      requests  predicted            actual');
  runs.forEach((s, i) => {
    const pred = `${s.predictedMs == null ? '—' : `${(s.predictedMs / 1000).toFixed(2)} s`} / ${s.predictedMatches == null ? '—' : s.predictedMatches.toFixed(1)}`;
    console.log(`${String(i + 1).padStart(2)} ${s.label.padEnd(16)} ${s.order.padEnd(10)} ${String(Math.round(s.firstMatchMs ?? NaN)).padStart(8)} ms ${String(Math.round(s.tenthMatchMs ?? NaN)).padStart(8)} ms ${(s.totalMs / 1000).toFixed(2).padStart(7)} s ${String(s.requests).padStart(8)}  ${pred.padEnd(20)} ${(s.totalMs / 1000).toFixed(2)} s / ${s.rows}`);
  });
  console.log(`first match: learned ${Math.round(l1)} ms vs universe ${Math.round(u1)} ms = ${ratio(l1, u1).toFixed(1)}× sooner (goal ≥ 5×)`);
  console.log(`10th match:  learned ${Math.round(l10)} ms vs universe ${Math.round(u10)} ms = ${ratio(l10, u10).toFixed(1)}× sooner (goal ≥ 3×)`);
  console.log(`stop after 10 matches: learned ${Math.round(stopped('learned'))} ms vs universe ${Math.round(stopped('universe'))} ms to the end of the scan`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    console.error(`bench-order: ${e.stack ?? e}`);
    process.exit(1);
  });
}
