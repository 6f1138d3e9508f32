// Node 20 cannot run TypeScript: a TS entry and the src/ files it imports are bundled with Vite's SSR build and
// imported. onnxruntime-web/-node stay external and resolve to their Node builds (the wasm backend for -web).
// Used by the e2e reference (e2e/reference.mjs) and the benchmark (bench/bundle.mjs).
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'vite';

export const ROOT = new URL('..', import.meta.url).pathname;

/** Bundles `entry` (relative to the repo root) into `outDir` and imports it. */
export async function importTypeScriptEntry(entry, outDir) {
  const name = basename(entry).replace(/\.ts$/, '.mjs');
  await build({
    configFile: false,
    root: ROOT,
    logLevel: 'warn',
    publicDir: false,
    build: {
      ssr: join(ROOT, entry),
      outDir,
      emptyOutDir: true,
      target: 'node20',
      minify: false,
      rollupOptions: { output: { format: 'es', entryFileNames: name } },
    },
    ssr: { external: ['onnxruntime-web', 'onnxruntime-node'] },
  });
  return import(pathToFileURL(join(outDir, name)).href);
}
