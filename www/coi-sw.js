//! Technic Web's one service worker, two jobs. Owns the cross-origin-isolation
//! headers and the offline app shell; imports nothing.
//!
//! 1. Isolation: every same-origin response it hands back (network or cache)
//!    carries COOP/COEP/CORP, so the page and its dedicated workers can use
//!    SharedArrayBuffer on hosts that cannot send headers (the approach of the
//!    `coi-serviceworker` project). The navigation also gets the site's
//!    Content-Security-Policy, the one of www/_headers (hosts that read no
//!    _headers still send it, with the frame-ancestors a <meta> cannot carry).
//! 2. Offline: a versioned cache of the app shell. scripts/precache.mjs writes
//!    the file list (every file of dist/ with a content hash) and VERSION into
//!    the copy of this file in dist/, so a deploy changes this script's bytes,
//!    the browser installs the new worker beside the old one, and the page
//!    (www/boot.js) offers "new version — reload" instead of mixing the old
//!    JS with the new wasm: the page keeps getting the old version's files
//!    from the old cache until the user accepts (SKIP_WAITING).
//!    The single-threaded build (`st/`, entries marked `lazy`) is listed but
//!    not downloaded at install: a page this worker controls is isolated and
//!    runs the threaded build, so st/ is fetched (and then kept in this
//!    version's cache, for offline use) only by a browser that needs it.
//! Unbuilt (`trunk serve` without scripts/precache.mjs), the list is empty
//! and the worker only adds the headers.
const VERSION = 'dev'; // @generated VERSION
const PRECACHE = []; // @generated PRECACHE: [{url, rev}] relative to the scope
const CSP = ''; // @generated CSP

const PREFIX = 'technic-shell-';
const SHELL = PREFIX + VERSION;
const scope = new URL(self.registration.scope);
const abs = (url) => new URL(url, scope).href;
const PRECACHED = new Set(PRECACHE.map((e) => abs(e.url)));
const EAGER = PRECACHE.filter((e) => !e.lazy);
const LAZY = new Set(PRECACHE.filter((e) => e.lazy).map((e) => abs(e.url)));
const INDEX = abs('index.html');
// Data files change without a new build (fetch-sample-data.py): fresh from
// the network when online, from the cache offline. Everything else of the
// shell is served from this version's cache.
const NETWORK_FIRST = /\/data\//;

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(SHELL);
    // `cache: 'reload'` and the revision in the query: neither the HTTP cache
    // nor a CDN can hand this version an older file under the same name.
    await Promise.all(EAGER.map(async (e) => {
      const res = await fetch(new Request(abs(e.url) + '?__rev=' + e.rev, { cache: 'reload' }));
      if (!res.ok) throw new Error(`precache ${e.url}: HTTP ${res.status}`);
      await cache.put(abs(e.url), res);
    }));
    // The first install takes over at once (there is nothing to mix with);
    // an update waits for the page's SKIP_WAITING.
    if (!self.registration.active) await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    const names = await caches.keys();
    await Promise.all(names.filter((n) => n.startsWith(PREFIX) && n !== SHELL).map((n) => caches.delete(n)));
    await self.clients.claim();
  })());
});

self.addEventListener('message', (event) => {
  const data = event.data || {};
  if (data.type === 'SKIP_WAITING') self.skipWaiting();
  else if (data.type === 'VERSION' && event.ports[0]) {
    event.ports[0].postMessage({ version: VERSION, files: EAGER.length });
  }
});

function withHeaders(res, navigation) {
  if (res.status === 0) return res;
  const headers = new Headers(res.headers);
  headers.set('Cross-Origin-Opener-Policy', 'same-origin');
  headers.set('Cross-Origin-Embedder-Policy', 'require-corp');
  headers.set('Cross-Origin-Resource-Policy', 'same-origin');
  if (navigation && CSP) headers.set('Content-Security-Policy', CSP);
  return new Response(res.body, { status: res.status, statusText: res.statusText, headers });
}

async function fromCache(key) {
  if (!PRECACHE.length) return undefined;
  const cache = await caches.open(SHELL);
  return cache.match(key);
}

async function respond(req) {
  const url = new URL(req.url);
  const key = url.origin + url.pathname;
  const navigation = req.mode === 'navigate';
  // The page itself: this version's index.html, whatever the query
  // (?coi-reload, ?threads=N …), for the scope's root and index.html.
  if (navigation && (key === scope.href || key === INDEX)) {
    const shell = await fromCache(INDEX);
    if (shell) return withHeaders(shell, true);
  } else if (PRECACHED.has(key)) {
    if (NETWORK_FIRST.test(url.pathname)) {
      try {
        const res = await fetch(req);
        if (res.ok && req.method === 'GET') {
          const copy = res.clone();
          caches.open(SHELL).then((c) => c.put(key, copy)).catch(() => {});
        }
        return withHeaders(res, false);
      } catch (e) {
        const cached = await fromCache(key);
        if (cached) return withHeaders(cached, false);
        throw e;
      }
    }
    const cached = await fromCache(key);
    if (cached) return withHeaders(cached, false);
    if (LAZY.has(key) && req.method === 'GET') {
      // A listed file not downloaded at install: kept once fetched.
      const res = await fetch(req);
      if (res.ok) {
        const copy = res.clone();
        caches.open(SHELL).then((c) => c.put(key, copy)).catch(() => {});
      }
      return withHeaders(res, false);
    }
  }
  return withHeaders(await fetch(req), navigation);
}

self.addEventListener('fetch', (event) => {
  const req = event.request;
  if (req.cache === 'only-if-cached' && req.mode !== 'same-origin') return;
  if (new URL(req.url).origin !== self.location.origin) return;
  event.respondWith(respond(req));
});
