//! Screenshots of the built app (a script, not a test): the first preset on the
//! bundled sample, light and dark, on a desktop window (1280 × 860) and a phone
//! (390 × 844, the whole page), written to target/screenshots/ (ignored by git)
//! as app-<light|dark>-<desktop|phone>.png. The README's images are
//! docs/screenshots/, refreshed by hand:
//!   scripts/build.sh && node scripts/screenshot.mjs --out docs/screenshots
//! Usage: node scripts/screenshot.mjs [--dist dist] [--out target/screenshots]

import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { startServer } from '../tests/e2e/server.mjs';
import { freshProfile, openBrowser, openApp, runScan, sel } from '../tests/e2e/harness.mjs';

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
  await fs.access(path.join(dist, 'index.html')).catch(() => {
    throw new Error(`${dist} has no build: run scripts/build.sh first`);
  });
  await fs.mkdir(out, { recursive: true });
  const server = await startServer({ dir: dist, isolation: true });
  const profile = await freshProfile('screenshot');
  const b = await openBrowser(profile);
  try {
    for (const [device, viewport, fullPage] of [['desktop', { width: 1280, height: 860 }, false], ['phone', { width: 390, height: 844 }, true]]) {
      await b.page.setViewportSize(viewport);
      for (const scheme of ['light', 'dark']) {
        await b.page.emulateMedia({ colorScheme: scheme });
        await openApp(b.page, server.url);
        await b.page.selectOption(sel('source'), 'sample');
        await b.page.selectOption(sel('preset'), 'above-sma50');
        const scan = await runScan(b.page, {});
        if (!(scan.rows > 0)) throw new Error(`the preset matched nothing: ${JSON.stringify(scan)}`);
        const file = path.join(out, `app-${scheme}-${device}.png`);
        await b.page.screenshot({ path: file, fullPage });
        console.log(`${file} (${(await fs.stat(file)).size} bytes, ${scan.rows} rows)`);
      }
    }
    if (b.problems.length) throw new Error(`console errors: ${b.problems.join(' | ')}`);
  } finally {
    await b.context.close();
    await server.close();
    await fs.rm(profile, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(`screenshot: ${e.stack ?? e}`);
  process.exit(1);
});
