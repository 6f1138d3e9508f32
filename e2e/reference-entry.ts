/**
 * The e2e test's reference generator, run in Node (bundled by e2e/reference.mjs): src's own manifest parser,
 * onnxruntime session runner and scheduler on onnxruntime-web's wasm backend, fed straight from the model folder.
 * The page under test is never asked for its own expected output.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as ort from 'onnxruntime-web';
import { parseManifest } from '../src/manifest';
import { createModuleSessions, OrtSessionRunner, releaseModuleSessions } from '../src/ortRunner';
import { runSchedule } from '../src/scheduler';
import type { GenerateRequest, RgbaImage } from '../src/types';

export interface ReferenceModel {
  generate(request: GenerateRequest): Promise<RgbaImage[]>;
  close(): Promise<void>;
}

export async function openReferenceModel(modelDir: string): Promise<ReferenceModel> {
  ort.env.wasm.numThreads = 1; // as in the page (no cross-origin isolation there)
  const manifest = parseManifest(JSON.parse(await readFile(join(modelDir, 'manifest.json'), 'utf8')));
  const sessions = await createModuleSessions(ort, manifest, {
    backend: 'wasm',
    fileBytes: async (file) => new Uint8Array(await readFile(join(modelDir, file))),
  });
  const runner = new OrtSessionRunner(ort, manifest, sessions);
  return {
    async generate(request) {
      return (await runSchedule(manifest, runner, request)).images;
    },
    close: () => releaseModuleSessions(sessions),
  };
}
