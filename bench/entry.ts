/**
 * Timed generations for the speed benchmark, in Node: src's manifest parser, session runner and scheduler, fed from a
 * model folder (bundled by bench/bundle.mjs, since Node 20 cannot run TypeScript). The `ort` namespace is passed in,
 * so the same code times onnxruntime-web's wasm backend (the page's engine) and, if installed, onnxruntime-node.
 */
import { readFile } from 'node:fs/promises';
import { TimedRunner, type SessionCallKind } from '../src/callTimer';
import type { Manifest } from '../src/manifest';
import { openModelDir } from '../src/node';
import type { Ort } from '../src/ortRunner';
import { runSchedule } from '../src/scheduler';

/** One generation's measurements (ms from the scheduler's start). */
export interface Timing {
  totalMs: number;
  firstPreviewMs: number;
  /** Per scale, in order: when its preview was emitted. */
  scaleMs: number[];
  steps: number;
  backboneCalls: number;
  /** Flow-head calls (the ODE path: one per velocity evaluation). */
  flowCalls: number;
  /** Few-step sampler calls (the fast path: one per step). */
  fewStepCalls: number;
  /**
   * Decoder session calls (latent models: one per scale, or with a preview decoder one for the image; each for the
   * whole batch).
   */
  decodeCalls: number;
  /** Preview decoder calls (latent models with the preview_decoder rule: one per coarse scale; the decoder then runs once). */
  previewDecodeCalls: number;
  /** ms inside each kind of session call (src/callTimer.ts); the rest of totalMs is JavaScript between the calls. */
  callMs: Record<SessionCallKind, number>;
}

/** 'ode': the manifest's default sampling (the ODE solver, guidance doubling the batch); 'few_step': the same
 * settings with solver "few_step" (the distilled sampler, one call per step, docs/contract.md). */
export type SamplingPath = 'ode' | 'few_step';

export interface BenchModel {
  manifest: Manifest;
  generate(batch: number, seed: number, path?: SamplingPath): Promise<Timing>;
  close(): Promise<void>;
}

/** `executionProvider`: 'wasm' for onnxruntime-web, 'cpu' for onnxruntime-node (same session API). */
export async function openBenchModel(ort: Ort, dir: string, executionProvider: string): Promise<BenchModel> {
  const model = await openModelDir(ort, dir, executionProvider as 'wasm' | 'cpu');
  return {
    manifest: model.manifest,
    async generate(batch, seed, path = 'ode') {
      // Counts are observed through the runner, not derived from the schedule.
      const runner = new TimedRunner(model.runner);
      let steps = 0;
      const scaleMs: number[] = [];
      // 'ode': the model's defaults when they are an ODE, else the reference the few-step sampler was distilled from
      // (Heun, the default's ODE steps); 'few_step': the defaults with the few-step sampler.
      const { defaults } = model.manifest;
      const sampling =
        path === 'few_step'
          ? { ...defaults, solver: 'few_step' as const }
          : defaults.solver === 'few_step'
            ? { ...defaults, solver: 'heun' as const }
            : defaults;
      const result = await runSchedule(model.manifest, runner, { ...sampling, classIndex: 0, seed, batch }, {
        onStep: () => steps++,
        onScale: (p) => scaleMs.push(p.elapsedMs),
      });
      return { totalMs: result.totalMs, firstPreviewMs: result.firstPreviewMs, scaleMs, steps,
        backboneCalls: runner.stats.backbone.calls,
        flowCalls: runner.stats.flowHead.calls,
        fewStepCalls: runner.stats.fewStep.calls,
        decodeCalls: runner.stats.decode.calls,
        previewDecodeCalls: runner.stats.previewDecode.calls,
        callMs: Object.fromEntries(Object.entries(runner.stats).map(([kind, t]) => [kind, t.ms])) as Record<SessionCallKind, number>,
      };
    },
    close: () => model.release(),
  };
}

/** ms per call of an [m, k] x [k, n] MatMul graph (bench_models.py writes them), after one warm-up call. */
export async function timeMatmul(ort: Ort, file: string, [m, k, n]: number[], executionProvider: string, repeats: number): Promise<number[]> {
  const session = await ort.InferenceSession.create(new Uint8Array(await readFile(file)), { executionProviders: [executionProvider], logSeverityLevel: 3 });
  const values = (length: number) => Float32Array.from({ length }, (_, i) => ((i * 7919) % 1000) / 1000 - 0.5);
  const a = new ort.Tensor('float32', values(m! * k!), [m!, k!]);
  const b = new ort.Tensor('float32', values(k! * n!), [k!, n!]);
  const times: number[] = [];
  try {
    for (let r = 0; r <= repeats; r++) {
      const start = performance.now();
      await session.run({ a, b });
      if (r > 0) times.push(performance.now() - start);
    }
  } finally {
    await session.release();
  }
  return times;
}
