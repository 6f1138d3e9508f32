import { describe, expect, it } from 'vitest';
import { emptyCallStats } from '../../src/callTimer';
import type { NestarClient } from '../../src/client';
import type { GenerateEvent, GenerateRequest, GenerateResult, ModelInfo, RuntimeInfo } from '../../src/types';
import { callsOf, checkComparable, pathSettings, runPageBenchmark, type BenchClients } from './pageBenchmark';

const FEW_STEP = { evaluations: [2, 2, 2], ode: [null, null, null], guidance: [1, 6] as [number, number], temperature: [0.7, 1.1] as [number, number] };

function modelInfo(architecture: 'nestar' | 'raster', tokenCount = 64, fewStep: ModelInfo['fewStep'] = null): ModelInfo {
  const steps = architecture === 'nestar' ? 10 : tokenCount;
  return {
    id: architecture, title: architecture, description: '', license: '', architecture, tokenLayout: 'pixel_patch', imageSize: 32, grid: 8, tokenCount,
    sequentialSteps: steps, modules: architecture === 'nestar' ? 3 : 1, scales: [], classes: [],
    defaults: { odeSteps: 16, solver: 'heun', guidance: 4, temperature: 0.8 },
    limits: { odeSteps: [1, 100], guidance: [0, 10], temperature: [0.1, 2], batch: [1, 16] }, totalBytes: 0, loadBytes: 0, files: [], quality: null, tokenizer: null, fewStep,
  };
}

/** A client whose generate "takes" msPerImage * batch, emits two scale events, and records what it was asked. */
function fakeClient(calls: string[], name: string, msPerImage: number[]): NestarClient {
  let call = 0;
  return {
    load: async () => { throw new Error('not used'); },
    generate: async (request: GenerateRequest, onEvent?: (e: GenerateEvent) => void): Promise<GenerateResult> => {
      calls.push(`${name}:${request.batch}:${request.seed}:${request.solver === 'few_step' ? 'few' : request.odeSteps}`);
      const ms = msPerImage[call++]! * request.batch;
      onEvent?.({ type: 'scale', scale: 0, grid: 2, images: [], elapsedMs: ms / 4, stepsDone: 1, stepsTotal: 2, tokens: [] });
      onEvent?.({ type: 'scale', scale: 1, grid: 8, images: [], elapsedMs: ms, stepsDone: 2, stepsTotal: 2, tokens: [] });
      return { images: [], totalMs: ms, firstPreviewMs: ms / 4, tokens: [], lastScale: 1, complete: true, calls: emptyCallStats() };
    },
    cancel: async () => undefined,
    info: async () => { throw new Error('not used'); },
    diagnostics: async () => { throw new Error('not used'); },
    unload: async () => undefined,
    dispose: () => undefined,
  };
}

function runtime(model: ModelInfo, backend: 'wasm' | 'webgpu' = 'wasm'): RuntimeInfo {
  return { backend, adapter: null, reason: '', wasmThreads: { count: 1, isolated: false, reason: '' }, model };
}

describe('runPageBenchmark', () => {
  it('alternates the models, drops the warm-up and reports medians and ratios', async () => {
    const calls: string[] = [];
    // Warm-ups are slow (1000 ms per image) and must not reach the statistics.
    const clients: BenchClients = {
      nestar: { id: 'n', info: runtime(modelInfo('nestar')), client: fakeClient(calls, 'nestar', [1000, 10, 30, 20]) },
      raster: { id: 'r', info: runtime(modelInfo('raster')), client: fakeClient(calls, 'raster', [1000, 40, 40, 100]) },
    };
    const report = await runPageBenchmark(clients, { backend: 'wasm', batches: [2], repeats: 3, odeSteps: 4, paths: ['ode', 'few_step'] }, () => undefined, () => new Date(0));
    expect(calls).toEqual(['nestar:2:999:4', 'raster:2:999:4', 'nestar:2:1000:4', 'raster:2:1000:4', 'nestar:2:1001:4', 'raster:2:1001:4', 'nestar:2:1002:4', 'raster:2:1002:4']);
    expect(report.skipped).toEqual([
      'few-step path, nestar: nestar has no few-step sampler (models/distill.py makes one)',
      'few-step path, raster: raster has no few-step sampler (models/distill.py makes one)',
    ]);
    const [b] = report.results;
    expect(b!.paths.map((p) => p.path)).toEqual(['ode']);
    const [ode] = b!.paths;
    expect(ode!.nestar!.msPerImage).toMatchObject({ median: 20, min: 10, max: 30, n: 3 });
    expect(ode!.raster!.msPerImage).toMatchObject({ median: 40, min: 40, max: 100 });
    // Median of the per-round ratios 10/40, 30/40, 20/100.
    expect(ode!.timeRatio).toBeCloseTo(0.25);
    // first preview = a quarter of the batch time: 2 * 20 / 4 = 10 ms vs raster's whole batch 80 ms.
    expect(ode!.firstPreviewRatio).toBeCloseTo(10 / 80);
    expect(ode!.nestar!.scaleMs.map((s) => s.median)).toEqual([10, 40]);
    expect(ode!.nestar!.steps).toBe(10);
    expect(ode!.raster!.steps).toBe(64);
    expect(ode!.nestar!.calls).toEqual({ backbone: 10, flow: 80, fewStep: 0, total: 90 }); // 4 Heun steps: 8 evaluations per step
    expect(ode!.sampling).toBe('4 heun ODE steps');
    expect(b!.speedup).toEqual({ nestar: null, raster: null });
    expect(report.models.nestar).toMatchObject({ id: 'n', tokens: 64, odeSteps: 4, solver: 'heun', fewStep: null });
    expect(report.date).toBe('1970-01-01T00:00:00.000Z');
  });

  it('times both paths side by side and reports the speed-up and the ratio on each', async () => {
    const calls: string[] = [];
    // Per round: nestar ode, raster ode, nestar few-step, raster few-step (each client sees its own calls in order).
    const clients: BenchClients = {
      nestar: { id: 'n', info: runtime(modelInfo('nestar', 64, FEW_STEP)), client: fakeClient(calls, 'nestar', [1000, 1000, 300, 30, 600, 60]) },
      raster: { id: 'r', info: runtime(modelInfo('raster', 64, FEW_STEP)), client: fakeClient(calls, 'raster', [1000, 1000, 900, 150, 1800, 300]) },
    };
    const report = await runPageBenchmark(clients, { backend: 'wasm', batches: [1], repeats: 2, odeSteps: null, paths: ['ode', 'few_step'] }, () => undefined);
    expect(calls).toEqual(['nestar:1:999:16', 'raster:1:999:16', 'nestar:1:999:few', 'raster:1:999:few', 'nestar:1:1000:16', 'raster:1:1000:16', 'nestar:1:1000:few', 'raster:1:1000:few', 'nestar:1:1001:16', 'raster:1:1001:16', 'nestar:1:1001:few', 'raster:1:1001:few']);
    expect(report.skipped).toEqual([]);
    const [b] = report.results;
    const [ode, few] = b!.paths;
    expect(few!.path).toBe('few_step');
    expect(few!.sampling).toBe('few-step sampler, 2 evaluations');
    expect(few!.nestar!.calls).toEqual({ backbone: 10, flow: 0, fewStep: 10, total: 20 });
    expect(few!.raster!.calls.total).toBe(128);
    expect(ode!.nestar!.calls.total).toBe(330);
    expect(b!.speedup.nestar).toBeCloseTo(10);
    expect(b!.speedup.raster).toBeCloseTo(6);
    expect(ode!.timeRatio).toBeCloseTo(1 / 3);
    expect(few!.timeRatio).toBeCloseTo(0.2);
  });

  it('runs the few-step path only for a model that has it, and only inside its trained ranges', () => {
    const settings = { backend: 'wasm' as const, batches: [1], repeats: 1, odeSteps: null, paths: ['few_step' as const] };
    expect(pathSettings(modelInfo('nestar', 64, FEW_STEP), settings, 'few_step')).toMatchObject({ solver: 'few_step', guidance: 4, temperature: 0.8 });
    expect(pathSettings(modelInfo('nestar'), settings, 'few_step')).toMatch(/no few-step sampler/);
    expect(pathSettings(modelInfo('nestar', 64, { ...FEW_STEP, guidance: [1, 3] }), settings, 'few_step')).toMatch(/outside its few-step sampler's trained ranges/);
    // A model whose default is the few-step sampler: the ODE path is Heun with its default steps.
    const fast = modelInfo('nestar', 64, FEW_STEP);
    fast.defaults = { ...fast.defaults, solver: 'few_step' };
    expect(pathSettings(fast, settings, 'ode')).toMatchObject({ solver: 'heun', odeSteps: 16 });
    expect(callsOf(fast, { ...fast.defaults, solver: 'euler', odeSteps: 8 }).total).toBe(10 + 80);
  });

  it('says why there is nothing to measure', async () => {
    const clients: BenchClients = {
      nestar: { id: 'n', info: runtime(modelInfo('nestar')), client: fakeClient([], 'nestar', []) },
      raster: { id: 'r', info: runtime(modelInfo('raster')), client: fakeClient([], 'raster', []) },
    };
    await expect(runPageBenchmark(clients, { backend: 'wasm', batches: [1], repeats: 1, odeSteps: null, paths: ['few_step'] }, () => undefined)).rejects.toThrow(/nothing to measure: few-step path, nestar: nestar has no few-step sampler/);
  });

  it('refuses models it cannot compare', () => {
    const client = fakeClient([], 'x', []);
    const pair = (n: RuntimeInfo, r: RuntimeInfo): BenchClients => ({ nestar: { id: 'n', info: n, client }, raster: { id: 'r', info: r, client } });
    expect(() => checkComparable(pair(runtime(modelInfo('nestar')), runtime(modelInfo('raster', 256))))).toThrow(/token counts \(64 vs 256\)/);
    expect(() => checkComparable(pair(runtime(modelInfo('raster')), runtime(modelInfo('raster'))))).toThrow(/expected a NestAR and a raster model/);
    expect(() => checkComparable(pair(runtime(modelInfo('nestar'), 'webgpu'), runtime(modelInfo('raster'))))).toThrow(/different backends/);
    expect(() => checkComparable(pair(runtime(modelInfo('nestar')), runtime(modelInfo('raster'))))).not.toThrow();
  });
});
