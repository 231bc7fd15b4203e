// Technic Web loader: picks the build that this page can run. Loaded as a
// module file (Trunk hashes it), never inline, so the page's
// Content-Security-Policy needs no 'unsafe-inline'. Its parameters are the JSON
// data block `#technic-boot` that Trunk.toml's pattern_script writes (the
// hashed names of the threaded build) and scripts/build-st.sh completes (the
// versioned names of the single-threaded one).
//
// - Cross-origin isolated (COOP/COEP headers present): the threaded build, whose
//   worker pool needs SharedArrayBuffer.
// - Not isolated: first try to recover isolation with coi-sw.js, a service
//   worker that adds the two headers to this site's own responses (for static
//   hosts that cannot set headers), reloading once. If that is impossible
//   (no service workers, or `?coi=off`), load the single-threaded build from
//   st/; the app then says so in its status line.
// The one reload through the service worker is marked in the URL, not in
// sessionStorage: Chromium gives a page its own copy of sessionStorage when
// COOP moves it to another browsing context group, so a flag cleared on the
// isolated page would still be set after a hard reload.
const MARKER = 'coi-reload';

function dropMarker() {
  const clean = new URL(location.href);
  clean.searchParams.delete(MARKER);
  history.replaceState(history.state, '', clean.href);
}

async function boot() {
  const status = document.getElementById('boot-status');
  try {
    const block = document.getElementById('technic-boot');
    if (!block) throw new Error('the page has no #technic-boot block (build with scripts/build.sh)');
    const { base, js, wasm, stJs, stWasm } = JSON.parse(block.textContent);
    const params = new URLSearchParams(location.search);
    const marked = params.has(MARKER);
    if (self.crossOriginIsolated) {
      // Isolated: a later hard reload (which bypasses the service worker) may
      // go through it once more instead of falling back to one thread.
      if (marked) dropMarker();
      const app = await import(base + js);
      await app.default({ module_or_path: base + wasm });
      return;
    }
    if (params.get('coi') !== 'off' && 'serviceWorker' in navigator && window.isSecureContext && !marked) {
      // A blocked or slow service worker must not hang the page: give it 3 s,
      // then fall through to the single-threaded build.
      const ready = (async () => {
        const reg = await navigator.serviceWorker.register(base + 'coi-sw.js', { scope: base });
        await navigator.serviceWorker.ready;
        return reg;
      })().catch(() => null);
      const timeout = new Promise((resolve) => setTimeout(() => resolve(null), 3000));
      const reg = await Promise.race([ready, timeout]);
      if (reg && reg.active) {
        // A navigation to another URL: after a hard reload, Chromium turns
        // location.reload() and a navigation to the same URL into another
        // hard reload, which bypasses the service worker again.
        const next = new URL(location.href);
        next.searchParams.set(MARKER, '1');
        location.replace(next.href);
        return;
      }
    }
    // Tried once and still not isolated (or no service worker): one thread.
    if (marked) dropMarker();
    window.__technicSingleThread = true;
    const app = await import(base + stJs);
    await app.default({ module_or_path: base + stWasm });
  } catch (e) {
    if (status) status.textContent = 'Technic Web could not start: ' + (e && e.message ? e.message : e);
    throw e;
  }
}

boot();
