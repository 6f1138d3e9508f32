/**
 * Parity with the PyTorch sampler: fixtures/tiny-nestar (written by the Python side: manifest, ONNX files and
 * reference.json from models/nestar/sampler.py) replayed by this scheduler on onnxruntime-web's wasm backend.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openModelDir, type OpenedModel } from './node';
import { runSchedule, type ScaleProgress, type StepTrace } from './scheduler';
import { subGridTokens } from './tokens';
import type { GenerateResult, Solver } from './types';

const FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'tiny-nestar');

interface Reference {
  class_index: number;
  seed: number;
  settings: { ode_steps: number; solver: Solver; guidance: number; temperature: number; batch: number };
  steps: { module: number; step: number; noise: number[]; tokens?: number[] }[];
  final_tokens: number[][];
  scale_tokens: { scale: number; grid: number; tokens: number[][] }[];
}

function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

if (!existsSync(FIXTURE)) {
  console.warn(
    `\n${'!'.repeat(78)}\n!! PARITY TEST SKIPPED: ${FIXTURE} does not exist.\n` +
      `!! The Python side writes it (tiny model export); without it nothing checks TS against PyTorch.\n${'!'.repeat(78)}\n`,
  );
}

describe.skipIf(!existsSync(FIXTURE))('parity with the PyTorch sampler (fixtures/tiny-nestar)', () => {
  let model: OpenedModel;
  let ref: Reference;
  let result: GenerateResult;
  const traces: StepTrace[] = [];
  const scales: ScaleProgress[] = [];

  beforeAll(async () => {
    ort.env.wasm.numThreads = 1;
    ref = JSON.parse(readFileSync(join(FIXTURE, 'reference.json'), 'utf8')) as Reference;
    model = await openModelDir(ort, FIXTURE);
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
    console.log(`parity: noise max abs error ${worst.toExponential(3)}`);
    expect(worst).toBeLessThan(1e-6);
  });

  it('generates the same final tokens (max abs < 1e-4)', () => {
    expect(result.tokens.length).toBe(ref.final_tokens.length);
    const worst = Math.max(...result.tokens.map((t, b) => maxAbs(t, ref.final_tokens[b]!)));
    console.log(`parity: final tokens max abs error ${worst.toExponential(3)}`);
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
    console.log(`parity: scale tokens max abs error ${worst.toExponential(3)}`);
    expect(worst).toBeLessThan(1e-4);
  });
});
