// Node 20 cannot run TypeScript: bench/entry.ts and the src/ files it imports are bundled once with Vite's SSR build
// (as e2e/reference.mjs does); onnxruntime-web/-node stay external and resolve to their Node builds.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'vite';

export const ROOT = new URL('..', import.meta.url).pathname;
const OUT_DIR = join(ROOT, '.cache', 'bench-build');

export async function loadEntry() {
  await build({
    configFile: false,
    root: ROOT,
    logLevel: 'warn',
    publicDir: false,
    build: {
      ssr: join(ROOT, 'bench', 'entry.ts'),
      outDir: OUT_DIR,
      emptyOutDir: true,
      target: 'node20',
      minify: false,
      rollupOptions: { output: { format: 'es', entryFileNames: 'entry.mjs' } },
    },
    ssr: { external: ['onnxruntime-web', 'onnxruntime-node'] },
  });
  return import(pathToFileURL(join(OUT_DIR, 'entry.mjs')).href);
}
