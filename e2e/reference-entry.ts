/**
 * The e2e test's reference generator, run in Node (bundled by e2e/reference.mjs): src's own manifest parser,
 * onnxruntime session runner and scheduler on onnxruntime-web's wasm backend, fed straight from the model folder.
 * The page under test is never asked for its own expected output. Works for both token layouts: for a latent model
 * the images and previews come from its decoder (and preview decoder) sessions, as in the page.
 */
import * as ort from 'onnxruntime-web';
import { openModelDir } from '../src/node';
import { runSchedule } from '../src/scheduler';
import type { GenerateRequest, RgbaImage } from '../src/types';

/** What the page should show for one request: the final images and, per scale, image 0's preview. */
export interface ReferenceRun {
  images: RgbaImage[];
  previews: { scale: number; grid: number; image: RgbaImage }[];
}

export interface ReferenceModel {
  generate(request: GenerateRequest): Promise<ReferenceRun>;
  close(): Promise<void>;
}

export async function openReferenceModel(modelDir: string): Promise<ReferenceModel> {
  ort.env.wasm.numThreads = 1; // the page runs 1-4 threads (backend.ts); the e2e checks its images against this one-thread reference
  const model = await openModelDir(ort, modelDir);
  return {
    async generate(request) {
      const previews: ReferenceRun['previews'] = [];
      const onScale = ({ scale, grid, images }: { scale: number; grid: number; images: RgbaImage[] }): void => {
        previews.push({ scale, grid, image: images[0]! });
      };
      const { images } = await runSchedule(model.manifest, model.runner, request, { onScale });
      return { images, previews };
    },
    close: () => model.release(),
  };
}
