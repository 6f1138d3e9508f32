// NestAR Studio's service worker (built to dist/sw.js by vite.config.ts, which fills in SHELL_FILES and
// SHELL_VERSION): after one visit the page opens with the server gone.
//
// - Install: the app shell (the pages, scripts, styles, models/index.json) into the cache "nestar-shell-<version>";
//   activate deletes older shell caches (never the model cache, nestar-models-v1).
// - onnxruntime's .wasm (14-27 MB each, one per build): not at install, where it would be a second download of the
//   file the runtime worker is fetching at the same moment, and of builds this visitor never runs. It is kept when the
//   runtime first fetches it through this worker (the page starts its runtime once this worker controls it).
// - Pages (navigations) and models/index.json: network first, so a new deployment shows at once; the cached copy
//   when the network fails.
// - Other shell files: cache first (their names carry content hashes).
// - Model files (manifest.json, .onnx) are not touched here: the runtime keeps them itself, checked by sha256
//   (src/modelCache.ts), and a manifest it can no longer fetch comes from there too.
const SHELL_FILES = __SHELL_FILES__;
const SHELL_VERSION = __SHELL_VERSION__;
const SHELL_CACHE = `nestar-shell-${SHELL_VERSION}`;
/** Shell files kept on first use instead of at install: onnxruntime's WebAssembly builds. */
const ON_USE = (path) => path.endsWith('.wasm');

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches
      .open(SHELL_CACHE)
      .then((cache) => cache.addAll(SHELL_FILES.filter((f) => !ON_USE(f)).map((f) => new Request(f, { cache: 'reload' }))))
      .then(() => self.skipWaiting()),
  );
});

/**
 * Moves the files kept on use that this build still lists (same content-hashed name) from an older shell cache
 * into this one before that cache is deleted: a new deployment must not cost an offline visitor the .wasm.
 */
async function carryOver(oldName) {
  const [from, to] = await Promise.all([caches.open(oldName), caches.open(SHELL_CACHE)]);
  for (const request of await from.keys()) {
    const path = new URL(request.url).pathname.slice(new URL(self.registration.scope).pathname.length);
    if (!ON_USE(path) || !SHELL_FILES.includes(path) || (await to.match(request))) continue;
    const response = await from.match(request);
    if (response) await to.put(request, response).catch(() => undefined);
  }
}

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) => names.filter((n) => n.startsWith('nestar-shell-') && n !== SHELL_CACHE))
      .then((old) => Promise.all(old.map((n) => carryOver(n).catch(() => undefined).then(() => caches.delete(n)))))
      .then(() => self.clients.claim()),
  );
});

/** The cached page for a navigation: the same path without its query, a folder's index.html. */
function pageKey(url) {
  const path = url.pathname.endsWith('/') ? `${url.pathname}index.html` : url.pathname;
  return new URL(path, url.origin).href;
}

async function networkFirst(request, key) {
  const cache = await caches.open(SHELL_CACHE);
  try {
    const response = await fetch(request);
    if (response.ok) await cache.put(key, response.clone()).catch(() => undefined);
    return response;
  } catch (error) {
    const cached = await cache.match(key);
    if (cached) return cached;
    throw error;
  }
}

async function cacheFirst(request) {
  const cached = await caches.match(request, { cacheName: SHELL_CACHE });
  return cached ?? fetch(request);
}

/**
 * Cache first; on a miss the network's answer streams to the page while a copy goes into the shell cache (the
 * event lives until it is stored), so the file is downloaded once.
 */
async function cacheOnUse(event) {
  const cache = await caches.open(SHELL_CACHE);
  const cached = await cache.match(event.request);
  if (cached) return cached;
  const response = await fetch(event.request);
  if (response.status === 200) event.waitUntil(cache.put(event.request, response.clone()).catch(() => undefined));
  return response;
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  const scope = new URL(self.registration.scope);
  const path = url.pathname.slice(scope.pathname.length);
  if (request.mode === 'navigate') {
    event.respondWith(networkFirst(request, pageKey(url)));
  } else if (path === 'models/index.json') {
    event.respondWith(networkFirst(request, new URL(path, scope).href));
  } else if (!path.startsWith('models/') && SHELL_FILES.includes(path)) {
    event.respondWith(ON_USE(path) ? cacheOnUse(event) : cacheFirst(request));
  }
});
