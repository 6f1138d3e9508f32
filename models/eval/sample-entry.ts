/**
 * Samples for the quality evaluation, drawn through the page's own sampler: src's manifest check, onnxruntime-web
 * session runner (wasm backend) and scheduler, fed from an exported model folder, of either token layout (a latent
 * model's images come from its decoder session, one call per batch). Bundled for Node by
 * sample_onnx.mjs (Node 20 cannot run TypeScript).
 */
import { writeFile } from 'node:fs/promises';
import * as ort from 'onnxruntime-web';
import { openModelDir } from '../../src/node';
import { runSchedule } from '../../src/scheduler';
import type { SamplingSettings } from '../../src/types';

/** What to draw: `counts[c]` images of class c, image i of class c with seed `seedBase + c * classSeedStride + i` (mod 2^32). */
export interface SamplePlan {
  modelDir: string;
  /** Settings over the manifest's defaults, named as in the manifest's `sampling.defaults` (ode_steps, coarse_guidance). */
  settings: Record<string, number | string>;
  counts: number[];
  seedBase: number;
  classSeedStride: number;
  maxBatch: number;
  /** Output: RGB uint8 [N, S, S, 3], classes in order, then images in seed order. */
  outFile: string;
}

/** The manifest's setting names (docs/contract.md) to SamplingSettings'. */
const SETTING_NAMES: Record<string, keyof SamplingSettings> = {
  ode_steps: 'odeSteps',
  solver: 'solver',
  guidance: 'guidance',
  coarse_guidance: 'coarseGuidance',
  temperature: 'temperature',
};

function samplingSettings(settings: SamplePlan['settings']): Partial<SamplingSettings> {
  const out: Record<string, number | string> = {};
  for (const [name, value] of Object.entries(settings)) {
    const key = SETTING_NAMES[name];
    if (!key) throw new Error(`unknown sampling setting "${name}" (known: ${Object.keys(SETTING_NAMES).join(', ')})`);
    out[key] = value;
  }
  return out as Partial<SamplingSettings>;
}

export async function samplePlan(plan: SamplePlan, log: (line: string) => void): Promise<{ count: number; size: number; seconds: number }> {
  ort.env.wasm.numThreads = 1; // as in the page, which is not cross-origin isolated
  const model = await openModelDir(ort, plan.modelDir);
  const { manifest } = model;
  if (plan.counts.length !== manifest.classes.length) {
    throw new Error(`plan has counts for ${plan.counts.length} classes, ${plan.modelDir} has ${manifest.classes.length}`);
  }
  const settings = { ...manifest.defaults, ...samplingSettings(plan.settings) };
  const size = manifest.imageSize;
  const total = plan.counts.reduce((a, b) => a + b, 0);
  const rgb = new Uint8Array(total * size * size * 3);
  const start = performance.now();
  let done = 0;
  try {
    for (const [classIndex, count] of plan.counts.entries()) {
      for (let first = 0; first < count; first += plan.maxBatch) {
        const batch = Math.min(plan.maxBatch, count - first);
        const seed = (plan.seedBase + classIndex * plan.classSeedStride + first) % 2 ** 32; // seeds are uint32
        const { images } = await runSchedule(manifest, model.runner, { ...settings, classIndex, seed, batch });
        for (const image of images) {
          for (let p = 0; p < size * size; p++) rgb.set(image.data.subarray(p * 4, p * 4 + 3), (done * size * size + p) * 3);
          done++;
        }
      }
      if (count > 0 && classIndex % 10 === 9) log(`${done}/${total} images, ${((performance.now() - start) / 1000).toFixed(0)} s`);
    }
  } finally {
    await model.release();
  }
  await writeFile(plan.outFile, rgb);
  return { count: total, size, seconds: (performance.now() - start) / 1000 };
}
