// Technic Web loader: picks the build that this page can run. Loaded as a
// module file (Trunk hashes it), never inline, so the page's
// Content-Security-Policy needs no 'unsafe-inline'. Its parameters are the JSON
// data block `#technic-boot` that Trunk.toml's pattern_script writes (the
// hashed names of the threaded build) and scripts/build-st.sh completes (the
// versioned names of the single-threaded one).
//
// - Cross-origin isolated (COOP/COEP headers present): the threaded build, whose
//   worker pool needs SharedArrayBuffer. The service worker coi-sw.js is
//   registered anyway, for the offline copy and updates.
// - Not isolated: first try to recover isolation with coi-sw.js, which adds
//   the two headers to this site's own responses (for static hosts that cannot
//   set headers), reloading once. If that is impossible (no service workers,
//   or `?coi=off`, which registers nothing), load the single-threaded build
//   from st/; the app then says so in its status line.
// - Updates: coi-sw.js keeps each deploy's files in its own cache, so a new
//   deploy installs beside the running one and waits. The loader then shows
//   `data-testid="update-prompt"` ("new version — reload"); its button tells
//   the waiting worker to take over and reloads once it has.
//   `window.__technicOffline = {version, files}` once the page is controlled
//   by a worker whose copy is complete (what a reload offline will run).
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

/** The registration of coi-sw.js, or null where service workers are out. */
async function register(base, params) {
  if (params.get('coi') === 'off' || !('serviceWorker' in navigator) || !window.isSecureContext) return null;
  return navigator.serviceWorker.register(base + 'coi-sw.js', { scope: base }).catch(() => null);
}

/** Resolves to true once `reg` has an active worker, false after `ms`. */
function activeWithin(reg, ms) {
  if (reg.active) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    navigator.serviceWorker.ready.then(() => { clearTimeout(timer); resolve(true); }, () => resolve(false));
  });
}

function showUpdatePrompt(worker) {
  if (document.querySelector('[data-testid="update-prompt"]')) return;
  const box = document.createElement('div');
  box.className = 'update-prompt';
  box.dataset.testid = 'update-prompt';
  box.setAttribute('role', 'status');
  const text = document.createElement('span');
  text.textContent = 'A new version of Technic Web is ready.';
  const button = document.createElement('button');
  button.type = 'button';
  button.dataset.testid = 'update-reload';
  button.textContent = 'New version — reload';
  button.addEventListener('click', () => {
    button.disabled = true;
    let reloading = false;
    navigator.serviceWorker.addEventListener('controllerchange', () => {
      if (reloading) return;
      reloading = true;
      location.reload();
    });
    worker.postMessage({ type: 'SKIP_WAITING' });
  });
  box.append(text, button);
  // First in the page, in the flow: it pushes the app down rather than cover it.
  document.body.prepend(box);
}

/** Offers the waiting worker of a new deploy, and says when this page's copy is offline-ready. */
function watch(reg) {
  const sw = navigator.serviceWorker;
  const offer = (worker) => {
    // Without a controller this is the first install, which takes over by itself.
    if (worker && sw.controller) showUpdatePrompt(worker);
  };
  offer(reg.waiting);
  reg.addEventListener('updatefound', () => {
    const worker = reg.installing;
    if (!worker) return;
    worker.addEventListener('statechange', () => {
      if (worker.state === 'installed') offer(worker);
    });
  });
  const ask = () => {
    if (!sw.controller) return;
    const channel = new MessageChannel();
    channel.port1.onmessage = (e) => { window.__technicOffline = e.data; };
    sw.controller.postMessage({ type: 'VERSION' }, [channel.port2]);
  };
  ask();
  // The first install claims this page; later ones only after the reload.
  sw.addEventListener('controllerchange', ask);
  // A navigation checks for a new worker too, but only every so often on
  // some browsers: ask now, the file is small and never HTTP-cached.
  reg.update().catch(() => {});
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
      register(base, params).then((reg) => reg && watch(reg));
      const app = await import(base + js);
      await app.default({ module_or_path: base + wasm });
      return;
    }
    if (!marked) {
      // A blocked or slow service worker must not hang the page: give it 3 s
      // (10 s while a first install downloads the offline copy), then fall
      // through to the single-threaded build.
      const reg = await Promise.race([register(base, params), new Promise((r) => setTimeout(() => r(null), 3000))]);
      if (reg && !reg.active && reg.installing && status) status.textContent = 'Preparing the offline copy…';
      if (reg && (await activeWithin(reg, reg.installing ? 10000 : 3000))) {
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
