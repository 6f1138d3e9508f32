// The response headers of every file of the built site, in one place: vite.config.ts (dev and preview) and the
// e2e fault server (harness/faultServer.mjs) send exactly these; public/_headers says the same for static hosts
// (a unit test compares them).
//
// Content-Security-Policy: only this origin for scripts, workers (the runtime worker, its WASM threads, the service
// worker) and connections (model files, manifests); 'wasm-unsafe-eval' because onnxruntime compiles its .wasm, and
// nothing more: onnxruntime-web needs no 'unsafe-eval', no blob: workers and no other origin when its files are
// served beside the page (vite.config.ts). Styles: React sets a few `style` attributes (progress bars, canvas
// sizes), which style-src 'self' alone would block; 'unsafe-inline' for styles cannot run code. Images: data: and
// blob: URLs are the page's own downloads and thumbnails.
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data: blob:",
  "style-src 'self' 'unsafe-inline'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** COOP/COEP make the page cross-origin isolated (threaded WASM, README "Hosting"). */
export const ISOLATION_HEADERS = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

/** Every header of the site; `isolated: false` leaves COOP/COEP out, as a host that cannot set them would. */
export function siteHeaders({ isolated = true } = {}) {
  return { ...(isolated ? ISOLATION_HEADERS : {}), 'Content-Security-Policy': CONTENT_SECURITY_POLICY };
}
