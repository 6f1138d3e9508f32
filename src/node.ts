/**
 * Node-only helper (tests, tools, the e2e reference): open a model folder from disk with onnxruntime-web's wasm
 * backend, checking every file's size and sha256 like the browser does. Not exported from index.ts, which stays
 * free of Node imports.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseManifest, type Manifest } from './manifest';
import { verifyBytes } from './modelCache';
import { createModelSessions, OrtSessionRunner, releaseModelSessions, type ModelSessions, type Ort } from './ortRunner';
import { checkSessionShapes } from './sessionCheck';
import type { Backend } from './types';

export interface OpenedModel {
  manifest: Manifest;
  sessions: ModelSessions;
  runner: OrtSessionRunner;
  release(): Promise<void>;
}

/**
 * Pass `import * as ort from 'onnxruntime-web'` (its Node build runs the wasm backend without a browser), or
 * onnxruntime-node's namespace with `executionProvider` 'cpu' (createModelSessions passes it through as the one
 * provider). Every head is opened, for every solver. Works for both token layouts: a latent model's decoder is opened and checked like the module files.
 */
export async function openModelDir(ort: Ort, dir: string, executionProvider: Backend | 'cpu' = 'wasm'): Promise<OpenedModel> {
  const manifest = parseManifest(await readFile(join(dir, 'manifest.json'), 'utf8'));
  const sessions = await createModelSessions(ort, manifest, {
    backend: executionProvider as Backend,
    heads: ['flow_head', 'few_step'], // checks, benchmarks and evaluation run every solver
    fileBytes: async (file) => {
      const bytes = new Uint8Array(await readFile(join(dir, file)));
      await verifyBytes(file, bytes, manifest.files[file]!, join(dir, file));
      return bytes;
    },
  });
  // The same load-time check as the page's engine: a manifest that does not describe its files fails here too.
  try {
    checkSessionShapes(manifest, sessions);
  } catch (e) {
    await releaseModelSessions(sessions);
    throw e;
  }
  return { manifest, sessions, runner: new OrtSessionRunner(ort, manifest, sessions), release: () => releaseModelSessions(sessions) };
}
