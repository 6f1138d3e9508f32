/**
 * Parity with the PyTorch sampler: the fixtures under fixtures/ (written by the Python side, models/make_fixture.py:
 * manifest, ONNX files and reference.json from models/nestar/sampler.py) replayed by this scheduler on
 * onnxruntime-web's wasm backend. tiny-nestar has the pixel_patch layout; tiny-latent has the latent layout, and its
 * reference also holds the pixels PyTorch's decoder made of every preview and of the image.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openModelDir, type OpenedModel } from './node';
import { runSchedule, type ScaleProgress, type ScheduleResult, type StepTrace } from './scheduler';
import type { SessionRunner } from './sessionRunner';
import { subGridTokens } from './tokens';
import type { RgbaImage, Solver } from './types';

interface Reference {
  class_index: number;
  seed: number;
  settings: { ode_steps: number; solver: Solver; guidance: number; temperature: number; batch: number };
  steps: { module: number; step: number; noise: number[]; tokens?: number[] }[];
  final_tokens: number[][];
  /** `pixels` (latent fixtures): per image, RGB uint8 [H*W*3] of the preview the page must show. */
  scale_tokens: { scale: number; grid: number; tokens: number[][]; pixels?: number[][] }[];
  /** Latent fixtures: per image, RGB uint8 [H*W*3] of the final image. */
  final_pixels?: number[][];
  /** The same request with solver "few_step": per step its tokens [B*Lq*dim], and the final token grids. */
  few_step: { evaluations: number[]; step_tokens: number[][]; final_tokens: number[][] };
  /** Both runs again with module 1's guidance set apart (1: undoubled on the ODE path while module 2 is doubled). */
  coarse_guidance: { coarse_guidance: number; final_tokens: number[][]; few_step_final_tokens: number[][] };
}

/** Pixel parity of the latent layout: the ONNX decoder on TS tokens vs PyTorch's decoder on PyTorch's tokens. */
const MAX_PIXEL_DIFF = 1;
/** Tokens agree to ~1e-5, so a channel lands on the other side of a rounding boundary only rarely. */
const MAX_OFF_BY_ONE_FRACTION = 0.002;

function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** Per-channel differences of an RGBA image against a flat RGB reference. */
function rgbDiff(image: RgbaImage, rgb: number[], stats: { max: number; off: number; total: number }): void {
  expect(rgb.length).toBe(image.width * image.height * 3);
  for (let p = 0; p < image.width * image.height; p++) {
    for (let ch = 0; ch < 3; ch++) {
      const d = Math.abs(image.data[p * 4 + ch]! - rgb[p * 3 + ch]!);
      stats.max = Math.max(stats.max, d);
      if (d > 0) stats.off++;
      stats.total++;
    }
  }
}

/** The runner with some of its calls replaced (to observe or tamper with them); every other call unchanged. */
function withCalls<H>(runner: SessionRunner<H>, replaced: Partial<SessionRunner<H>>): SessionRunner<H> {
  return {
    backbone: runner.backbone.bind(runner),
    flowHead: runner.flowHead.bind(runner),
    fewStep: runner.fewStep.bind(runner),
    decode: runner.decode.bind(runner),
    decodePreview: runner.decodePreview.bind(runner),
    release: runner.release.bind(runner),
    ...replaced,
  };
}

for (const name of ['tiny-nestar', 'tiny-latent']) {
  const fixture = join(import.meta.dirname, '..', 'fixtures', name);
  const present = existsSync(fixture);
  if (!present) {
    console.warn(
      `\n${'!'.repeat(78)}\n!! PARITY TEST SKIPPED: ${fixture} does not exist.\n` +
        `!! The Python side writes it (models/make_fixture.py); without it nothing checks TS against PyTorch.\n${'!'.repeat(78)}\n`,
    );
  }
  const latent = name === 'tiny-latent';

  describe.skipIf(!present)(`parity with the PyTorch sampler (fixtures/${name})`, () => {
    let model: OpenedModel;
    let ref: Reference;
    let result: ScheduleResult;
    const traces: StepTrace[] = [];
    const scales: ScaleProgress[] = [];

    beforeAll(async () => {
      ort.env.wasm.numThreads = 1;
      ref = JSON.parse(readFileSync(join(fixture, 'reference.json'), 'utf8')) as Reference;
      model = await openModelDir(ort, fixture);
      const s = ref.settings;
      result = await runSchedule(
        model.manifest,
        model.runner,
        { classIndex: ref.class_index, seed: ref.seed, batch: s.batch, odeSteps: s.ode_steps, solver: s.solver, guidance: s.guidance, temperature: s.temperature },
        { onStep: (t) => traces.push(t), onScale: (p) => scales.push(p) },
      );
    });
    afterAll(async () => model?.release());

    it('draws the same starting noise at every step (max abs < 1e-6)', () => {
      expect(traces.map((t) => [t.module, t.step])).toEqual(ref.steps.map((s) => [s.module, s.step]));
      let worst = 0;
      traces.forEach((t, i) => (worst = Math.max(worst, maxAbs(t.noise_BLD, ref.steps[i]!.noise))));
      console.log(`parity ${name}: noise max abs error ${worst.toExponential(3)}`);
      expect(worst).toBeLessThan(1e-6);
    });

    it('generates the same final tokens (max abs < 1e-4)', () => {
      expect(result.tokens.length).toBe(ref.final_tokens.length);
      const worst = Math.max(...result.tokens.map((t, b) => maxAbs(t, ref.final_tokens[b]!)));
      console.log(`parity ${name}: final tokens max abs error ${worst.toExponential(3)}`);
      expect(worst).toBeLessThan(1e-4);
    });

    it('previews each scale as exactly the sub-grid of the final tokens, matching the reference', () => {
      expect(scales.map((s) => [s.scale, s.grid])).toEqual(ref.scale_tokens.map((s) => [s.scale, s.grid]));
      const { grid, tokenDim } = model.manifest;
      let worst = 0;
      scales.forEach((s, i) => {
        s.subGridTokens.forEach((tokens, b) => {
          expect(Array.from(tokens)).toEqual(Array.from(subGridTokens(result.tokens[b]!, grid, tokenDim, s.stride)));
          worst = Math.max(worst, maxAbs(tokens, ref.scale_tokens[i]!.tokens[b]!));
        });
        expect(s.images[0]!.width).toBe(model.manifest.imageSize);
      });
      console.log(`parity ${name}: scale tokens max abs error ${worst.toExponential(3)}`);
      expect(worst).toBeLessThan(1e-4);
    });

    it('the one-call few-step sampler reproduces the PyTorch heads evaluated step by step (max abs < 1e-4)', async () => {
      const s = ref.settings;
      const stepTokens: Float32Array[] = [];
      let calls = 0;
      const runner = withCalls(model.runner, { fewStep: async (...args) => {
        calls++;
        const tokens = await model.runner.fewStep(...args);
        stepTokens.push(tokens.slice());
        return tokens;
      } });
      const fast = await runSchedule(model.manifest, runner, {
        classIndex: ref.class_index, seed: ref.seed, batch: s.batch, odeSteps: s.ode_steps, solver: 'few_step', guidance: s.guidance, temperature: s.temperature,
      });
      expect(model.manifest.fewStep?.evaluations).toEqual(ref.few_step.evaluations);
      expect(calls).toBe(ref.few_step.step_tokens.length); // one call per step
      let worst = 0;
      stepTokens.forEach((t, i) => (worst = Math.max(worst, maxAbs(t, ref.few_step.step_tokens[i]!))));
      fast.tokens.forEach((t, b) => (worst = Math.max(worst, maxAbs(t, ref.few_step.final_tokens[b]!))));
      console.log(`parity ${name}: few-step tokens max abs error ${worst.toExponential(3)}`);
      expect(worst).toBeLessThan(1e-4);
    });

    it('guidance per module: a coarse guidance of 1 gives the reference\'s tokens on both paths (max abs < 1e-4)', async () => {
      const s = ref.settings;
      const { coarse_guidance: coarseGuidance, final_tokens: odeTokens, few_step_final_tokens: fewTokens } = ref.coarse_guidance;
      const request = { classIndex: ref.class_index, seed: ref.seed, batch: s.batch, odeSteps: s.ode_steps, guidance: s.guidance, temperature: s.temperature, coarseGuidance };
      // Module 1 at w = 1 runs on the undoubled batch, module 2 on the doubled one: the backbone's batch says which.
      const rowsByModule = new Map<number, number>();
      const seen = withCalls(model.runner, {
        backbone: (k, feeds, pastKv) => {
          rowsByModule.set(k, feeds.batch);
          return model.runner.backbone(k, feeds, pastKv);
        },
      });
      const ode = await runSchedule(model.manifest, seen, { ...request, solver: s.solver });
      expect([...rowsByModule.entries()]).toEqual([[0, s.batch], [1, 2 * s.batch]]);
      const fast = await runSchedule(model.manifest, model.runner, { ...request, solver: 'few_step' });
      let worst = 0;
      ode.tokens.forEach((t, b) => (worst = Math.max(worst, maxAbs(t, odeTokens[b]!))));
      fast.tokens.forEach((t, b) => (worst = Math.max(worst, maxAbs(t, fewTokens[b]!))));
      console.log(`parity ${name}: coarse-guidance tokens max abs error ${worst.toExponential(3)}`);
      expect(worst).toBeLessThan(1e-4);
      // ... and it is not the one-guidance run: the coarse setting reached module 1.
      expect(maxAbs(ode.tokens[0]!, ref.final_tokens[0]!)).toBeGreaterThan(1e-3);
    });

    it('a NaN that goes through the real graphs is reported as BAD_NUMBERS naming the module and step', async () => {
      const s = ref.settings;
      // One NaN in module 2's starting noise: the exported sampler graph turns it into NaN tokens.
      const runner = withCalls(model.runner, { fewStep: (module, z, x0, guidance) => {
        if (module === 1) x0[0] = Number.NaN;
        return model.runner.fewStep(module, z, x0, guidance);
      } });
      const run = runSchedule(model.manifest, runner, {
        classIndex: ref.class_index, seed: ref.seed, batch: 1, odeSteps: s.ode_steps, solver: 'few_step', guidance: s.guidance, temperature: s.temperature,
      });
      await expect(run).rejects.toMatchObject({ code: 'BAD_NUMBERS', message: expect.stringMatching(/^module 2, step 1 \(few-step sampler\) produced [1-9]\d* NaN or Inf/) });
    });

    // Latent layout only: the page's pixels come from the decoder session, so they are compared too.
    if (latent) {
      it(`shows the reference's pixels: every preview and the image within ${MAX_PIXEL_DIFF} per channel, rarely off by one`, () => {
        expect(model.manifest.tokenLayout).toBe('latent');
        const previews = { max: 0, off: 0, total: 0 };
        scales.forEach((s, i) => s.images.forEach((image, b) => rgbDiff(image, ref.scale_tokens[i]!.pixels![b]!, previews)));
        const final = { max: 0, off: 0, total: 0 };
        expect(result.images.length).toBe(ref.final_pixels!.length);
        result.images.forEach((image, b) => rgbDiff(image, ref.final_pixels![b]!, final));
        for (const [what, st] of [['previews', previews], ['final images', final]] as const) {
          console.log(`parity ${name}: ${what} max pixel diff ${st.max}, ${st.off} of ${st.total} channels differ (${((100 * st.off) / st.total).toFixed(3)}%)`);
          expect(st.max).toBeLessThanOrEqual(MAX_PIXEL_DIFF);
          expect(st.off / st.total).toBeLessThanOrEqual(MAX_OFF_BY_ONE_FRACTION);
        }
      });

      it('makes the same image without a scale listener (no previews: the image is decoded directly)', async () => {
        const s = ref.settings;
        const request = { classIndex: ref.class_index, seed: ref.seed, batch: s.batch, odeSteps: s.ode_steps, solver: s.solver, guidance: s.guidance, temperature: s.temperature };
        const direct = await runSchedule(model.manifest, model.runner, request);
        direct.images.forEach((image, b) => expect(image.data).toEqual(result.images[b]!.data));
      });
    }
  });
}
