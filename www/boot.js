// Technic Web loader: picks the build that this page can run.
//
// - Cross-origin isolated (COOP/COEP headers present): the threaded build, whose
//   worker pool needs SharedArrayBuffer.
// - Not isolated: first try to recover isolation with coi-sw.js, a service
//   worker that adds the two headers to this site's own responses (for static
//   hosts that cannot set headers), reloading once. If that is impossible
//   (no service workers, or `?coi=off`), load the single-threaded build from
//   st/; the app then says so in its status line.
export async function boot({ base, js, wasm }) {
  const status = document.getElementById('boot-status');
  const params = new URLSearchParams(location.search);
  try {
    if (self.crossOriginIsolated) {
      const app = await import(base + js);
      await app.default({ module_or_path: base + wasm });
      return;
    }
    if (params.get('coi') !== 'off' && 'serviceWorker' in navigator && window.isSecureContext
        && !sessionStorage.getItem('technic-coi-reloaded')) {
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
        sessionStorage.setItem('technic-coi-reloaded', '1');
        location.reload();
        return;
      }
    }
    window.__technicSingleThread = true;
    const app = await import(base + 'st/technic-web.js');
    await app.default({ module_or_path: base + 'st/technic-web_bg.wasm' });
  } catch (e) {
    if (status) status.textContent = 'Technic Web could not start: ' + (e && e.message ? e.message : e);
    throw e;
  }
}
