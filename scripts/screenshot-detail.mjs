//! Screenshots of the detail view (a script, not a test): a sample scan, the
//! first row's chart, light and dark at 1280 px and dark / light at 390 px,
//! written to target/screenshots/detail-*.png (ignored by git).
//! Usage: scripts/build.sh && node scripts/screenshot-detail.mjs [--dist dist] [--out target/screenshots]

import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { startServer } from '../tests/e2e/server.mjs';
import { freshProfile, openBrowser, openApp, runScan, sel, cspViolations } from '../tests/e2e/harness.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function parseArgs(argv) {
  const o = { dist: 'dist', out: 'target/screenshots' };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--dist') o.dist = argv[++i];
    else if (argv[i] === '--out') o.out = argv[++i];
    else throw new Error(`unknown argument ${argv[i]} (use --dist D, --out D)`);
  }
  return o;
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const dist = path.resolve(ROOT, o.dist);
  const out = path.resolve(ROOT, o.out);
  await fs.mkdir(out, { recursive: true });
  const server = await startServer({ dir: dist, isolation: true });
  const profile = await freshProfile('screenshot-detail');
  const b = await openBrowser(profile);
  try {
    for (const [scheme, width] of [['light', 1280], ['dark', 1280], ['dark', 390], ['light', 390]]) {
      await b.page.setViewportSize({ width, height: width > 400 ? 900 : 844 });
      await b.page.emulateMedia({ colorScheme: scheme });
      await openApp(b.page, server.url);
      await runScan(b.page, { source: 'sample', expr: 'close > sma(close, 50) and close > ema(close, 10)' });
      await b.page.locator(sel('result-row')).first().click();
      await b.page.waitForFunction(() => window.__technicChart && window.__technicChart.bars > 0, null, { timeout: 30_000 });
      await b.page.mouse.move(0, 0);
      await b.page.waitForTimeout(300);
      const detail = b.page.locator(sel('detail'));
      const file = path.join(out, `detail-${scheme}-${width}.png`);
      await detail.screenshot({ path: file });
      console.log(`${file}: ${await detail.getAttribute('data-symbol')}`);
    }
    // A Long row: the plan's price lines.
    await b.page.setViewportSize({ width: 1280, height: 900 });
    await b.page.emulateMedia({ colorScheme: 'light' });
    await openApp(b.page, server.url);
    await runScan(b.page, { source: 'synthetic-1000', expr: 'signal = "Long" and close > sma(close, 20)' });
    await b.page.locator(sel('result-row')).first().click();
    await b.page.waitForFunction(() => window.__technicChart && window.__technicChart.priceLines.length > 0, null, { timeout: 30_000 });
    await b.page.mouse.move(0, 0);
    await b.page.locator(sel('detail')).screenshot({ path: path.join(out, 'detail-long-light-1280.png') });
    await b.page.setViewportSize({ width: 390, height: 844 });
    await b.page.locator(sel('about')).locator('summary').click();
    await b.page.screenshot({ path: path.join(out, 'about-390.png') });
    const csp = await cspViolations(b.page);
    if (csp.length || b.problems.length) console.log('problems:', csp, b.problems);
  } finally {
    await b.context.close();
    await server.close();
    await fs.rm(profile, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
