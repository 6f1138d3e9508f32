/**
 * Vite config of NestAR Studio: a static site (index.html -> app/main.tsx) with the runtime in a module worker.
 *
 * onnxruntime-web: its bundled ESM build locates its .wasm with `new URL('ort-wasm-*.wasm', import.meta.url)`,
 * which Vite turns into an emitted asset (served as application/wasm by `vite preview`). It must not be
 * pre-bundled by the dev server (optimizeDeps would rewrite import.meta.url and lose the .wasm), and the worker
 * must be an ES module so that the runtime can `import` it.
 *
 * Cross-origin isolation: COOP `same-origin` + COEP `require-corp` on every response make the page and its worker
 * cross-origin isolated, which is what gives them SharedArrayBuffer and so onnxruntime's multi-threaded WASM
 * (src/backend.ts: chooseWasmThreads). Everything the page loads is same-origin, so COEP blocks nothing. Static
 * hosts need the same two headers (README "Hosting"); without them the page runs on one thread and says why.
 * NESTAR_NO_ISOLATION=1 serves without them, as such a host would (the e2e uses it to check that path).
 *
 * Content-Security-Policy (siteHeaders.mjs): `vite preview` sends it as a header (which also governs the workers);
 * the built pages carry it as a <meta> too, for hosts that send no headers. `vite dev` sends none: its hot reload
 * injects inline scripts.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { defineConfig, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';
import { CONTENT_SECURITY_POLICY, siteHeaders } from './siteHeaders.mjs';

const isolated = process.env.NESTAR_NO_ISOLATION !== '1';
const devHeaders = isolated ? { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' } : {};

/** The CSP as a <meta> in the built pages (frame-ancestors is header-only, so the meta leaves it out). */
function cspMeta(): Plugin {
  const policy = CONTENT_SECURITY_POLICY.split('; ')
    .filter((d) => !d.startsWith('frame-ancestors'))
    .join('; ');
  return {
    name: 'nestar-csp-meta',
    apply: 'build',
    transformIndexHtml: () => [{ tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: policy }, injectTo: 'head-prepend' }],
  };
}

/**
 * dist/sw.js from app/serviceWorker.js: the service worker that keeps the app shell for offline use, with the list of
 * this build's files (every emitted file but source maps, plus the favicon and the model index) and a version
 * derived from it, so a new build replaces the old shell.
 */
function serviceWorker(): Plugin {
  return {
    name: 'nestar-service-worker',
    apply: 'build',
    generateBundle(_options, bundle) {
      const files = [...new Set([...Object.keys(bundle).filter((f) => !f.endsWith('.map')), 'index.html', 'bench.html', 'favicon.svg', 'models/index.json'])].sort();
      const version = createHash('sha256').update(files.join('\n')).digest('hex').slice(0, 12);
      const source = readFileSync(new URL('./app/serviceWorker.js', import.meta.url), 'utf8')
        .replace('__SHELL_FILES__', JSON.stringify(files))
        .replace('__SHELL_VERSION__', JSON.stringify(version));
      this.emitFile({ type: 'asset', fileName: 'sw.js', source });
    },
  };
}

export default defineConfig({
  root: '.',
  base: './',
  // One page, no client-side routes: without the SPA fallback a missing model file is a real 404, as on any
  // static host, instead of index.html served with status 200.
  appType: 'mpa',
  plugins: [react(), cspMeta(), serviceWorker()],
  worker: { format: 'es' },
  optimizeDeps: { exclude: ['onnxruntime-web'] },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // The onnxruntime wasm is ~27 MB by itself; that is expected, not a regression.
    chunkSizeWarningLimit: 2048,
    // Two pages: the studio and the benchmark (bench.html).
    rollupOptions: { input: { main: 'index.html', bench: 'bench.html' } },
    assetsInlineLimit: (file) => (/\.(wasm|onnx)$/.test(file) ? false : undefined),
  },
  server: { headers: devHeaders },
  preview: { port: 4173, strictPort: true, headers: siteHeaders({ isolated }) },
});
