// Reference images for the e2e comparison, computed in Node by src's scheduler (not by the page under test).
// Node 20 cannot run TypeScript, so e2e/reference-entry.ts and the src/ files it imports are bundled once with
// Vite's SSR build (onnxruntime-web stays external and resolves to its Node build, the wasm backend).
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'vite';
import { ROOT } from './server.mjs';

const OUT_DIR = join(ROOT, 'test-results', 'e2e-reference-build');

async function bundle() {
  await build({
    configFile: false,
    root: ROOT,
    logLevel: 'warn',
    publicDir: false,
    build: {
      ssr: join(ROOT, 'e2e', 'reference-entry.ts'),
      outDir: OUT_DIR,
      emptyOutDir: true,
      target: 'node20',
      minify: false,
      rollupOptions: { output: { format: 'es', entryFileNames: 'reference-entry.mjs' } },
    },
    ssr: { external: ['onnxruntime-web'] },
  });
  return import(pathToFileURL(join(OUT_DIR, 'reference-entry.mjs')).href);
}

/** `reference(request)` -> image 0 of that request, generated in Node from the model folder the page is served. */
export function createReference(model) {
  let opened = null;
  const open = async () => {
    opened ??= bundle().then((m) => m.openReferenceModel(model.dir));
    return opened;
  };
  const reference = async (request) => {
    const ref = await open();
    const [image] = await ref.generate({ ...request, batch: 1 });
    return image;
  };
  reference.close = async () => {
    if (opened) await (await opened).close();
  };
  return reference;
}
