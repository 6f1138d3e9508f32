/**
 * The service worker that keeps the app for offline use (app/serviceWorker.js, built to sw.js; production builds
 * only, since `vite dev` changes its files live). `registerOfflineShell()` registers it at startup;
 * `shellControlled()` resolves once it controls this page, so that the runtime worker started after it fetches
 * onnxruntime's .wasm through it and the file is downloaded once and kept (the service worker stores it on that
 * first use). It never blocks for long: without service workers, or after a failed registration or `waitMs`, it
 * resolves anyway and the page works online as before.
 */
const supported = (): boolean => Boolean((import.meta as ImportMeta & { env?: { PROD?: boolean } }).env?.PROD) && 'serviceWorker' in navigator;

let registration: Promise<ServiceWorkerRegistration | null> | null = null;

export function registerOfflineShell(): void {
  if (!supported() || registration) return;
  registration = navigator.serviceWorker.register(new URL('sw.js', document.baseURI), { scope: './' }).catch(() => null);
}

export function shellControlled(waitMs = 4000): Promise<void> {
  if (!supported() || !registration || navigator.serviceWorker.controller) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      navigator.serviceWorker.removeEventListener('controllerchange', done);
      resolve();
    };
    const timer = setTimeout(done, waitMs);
    navigator.serviceWorker.addEventListener('controllerchange', done);
    void registration!.then((r) => {
      // Never going to take control: a registration that failed (storage blocked, an insecure origin), or an active
      // worker with nothing new installing, which a hard reload (Shift+Reload) leaves in charge of nothing.
      if (r === null || (r.active && !r.installing && !r.waiting)) return done();
      // An install that fails (a shell file missing, storage full) ends as redundant.
      r.installing?.addEventListener('statechange', (e) => {
        if ((e.target as ServiceWorker).state === 'redundant') done();
      });
    });
  });
}
