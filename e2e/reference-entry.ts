/**
 * The e2e test's reference generator, run in Node (bundled by e2e/reference.mjs): src's own manifest parser,
 * onnxruntime session runner and scheduler on onnxruntime-web's wasm backend, fed straight from the model folder.
 * The page under test is never asked for its own expected output.
 */
import * as ort from 'onnxruntime-web';
import { openModelDir } from '../src/node';
import { runSchedule } from '../src/scheduler';
import type { GenerateRequest, RgbaImage } from '../src/types';

export interface ReferenceModel {
  generate(request: GenerateRequest): Promise<RgbaImage[]>;
  close(): Promise<void>;
}

export async function openReferenceModel(modelDir: string): Promise<ReferenceModel> {
  ort.env.wasm.numThreads = 1; // as in the page (no cross-origin isolation there)
  const model = await openModelDir(ort, modelDir);
  return {
    async generate(request) {
      return (await runSchedule(model.manifest, model.runner, request)).images;
    },
    close: () => model.release(),
  };
}
