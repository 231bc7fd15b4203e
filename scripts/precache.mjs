//! The service worker's precache manifest (a build step; node only, no npm
//! package): lists every file of a built site with a content hash, and writes
//! that list, a VERSION (the hash of the list and of the worker's template) and
//! the Content-Security-Policy of www/_headers into <dir>/coi-sw.js, from the
//! template www/coi-sw.js (so it can run again: scripts/build.sh runs it after
//! Trunk, scripts/build-st.sh after adding st/). Also checks that index.html's
//! <meta> policy is _headers' one without frame-ancestors, and links the
//! manifest. Imports no browser code.
//!
//! Usage: node scripts/precache.mjs [dir]   (dir: dist/ or Trunk's staging dir; default dist)

import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// Never precached: the worker itself (the browser fetches it), host files,
// and dot files (Trunk's .trunk-lock, its .stage/ while it builds).
const SKIP = new Set(['coi-sw.js', '_headers']);

async function walk(dir, base = dir) {
  const out = [];
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.')) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await walk(full, base)));
    else if (entry.isFile()) out.push(path.relative(base, full).split(path.sep).join('/'));
  }
  return out;
}

const sha = (buf) => crypto.createHash('sha256').update(buf).digest('hex');

/** The Content-Security-Policy line of a _headers file. */
function headerPolicy(text, where) {
  const m = text.match(/^\s*Content-Security-Policy:\s*(.+?)\s*$/m);
  if (!m) throw new Error(`${where} has no Content-Security-Policy line`);
  return m[1];
}

function metaPolicy(html, where) {
  const m = html.match(/<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]+)"/);
  if (!m) throw new Error(`${where} has no <meta http-equiv="Content-Security-Policy">`);
  return m[1];
}

const directives = (policy) => policy.split(';').map((d) => d.trim().replace(/\s+/g, ' ')).filter(Boolean);

export async function generate(dir) {
  const site = path.resolve(ROOT, dir);
  const html = await fs.readFile(path.join(site, 'index.html'), 'utf8').catch(() => {
    throw new Error(`${site}/index.html is missing: build the site first (scripts/build.sh)`);
  });
  const headersFile = path.join(ROOT, 'www/_headers');
  const csp = headerPolicy(await fs.readFile(headersFile, 'utf8'), headersFile);
  const meta = directives(metaPolicy(html, `${site}/index.html`));
  const wanted = directives(csp).filter((d) => !d.startsWith('frame-ancestors'));
  if (meta.join('; ') !== wanted.join('; ')) {
    throw new Error(`the Content-Security-Policy of www/index.html differs from www/_headers (without frame-ancestors):\n  meta:     ${meta.join('; ')}\n  _headers: ${wanted.join('; ')}`);
  }
  if (!/<link rel="manifest" href="manifest.webmanifest"/.test(html)) {
    throw new Error(`${site}/index.html does not link manifest.webmanifest`);
  }

  const files = (await walk(site)).filter((f) => !SKIP.has(f) && !f.endsWith('.map')).sort();
  const entries = [];
  for (const url of files) {
    const entry = { url, rev: sha(await fs.readFile(path.join(site, url))).slice(0, 16) };
    // The single-threaded build only runs where the page is not isolated:
    // listed (a version covers it) but fetched on first use, not at install.
    if (url.startsWith('st/')) entry.lazy = true;
    entries.push(entry);
  }
  const templateFile = path.join(ROOT, 'www/coi-sw.js');
  const template = await fs.readFile(templateFile, 'utf8');
  const version = sha(JSON.stringify(entries) + template + csp).slice(0, 16);
  const replace = (text, name, value) => {
    const re = new RegExp(`^const ${name} = .*; // @generated ${name}.*$`, 'm');
    if (!re.test(text)) throw new Error(`${templateFile} has no "const ${name} = …; // @generated ${name}" line`);
    return text.replace(re, () => `const ${name} = ${value}; // @generated ${name} by scripts/precache.mjs`);
  };
  let sw = replace(template, 'VERSION', JSON.stringify(version));
  sw = replace(sw, 'PRECACHE', JSON.stringify(entries));
  sw = replace(sw, 'CSP', JSON.stringify(csp));
  // Whole or not at all: tests copy dist/ while test.sh builds st/ beside them.
  const tmp = path.join(site, `.coi-sw.js.${process.pid}.tmp`);
  await fs.writeFile(tmp, sw);
  await fs.rename(tmp, path.join(site, 'coi-sw.js'));
  const bytes = (await Promise.all(files.map((f) => fs.stat(path.join(site, f))))).reduce((n, s) => n + s.size, 0);
  return { version, files: entries.length, bytes };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dir = process.argv[2] ?? 'dist';
  generate(dir).then(
    ({ version, files, bytes }) => console.log(`precache: ${dir}/coi-sw.js version ${version}, ${files} files, ${(bytes / 1e6).toFixed(1)} MB`),
    (e) => { console.error(`precache: ${e.message}`); process.exit(1); },
  );
}
