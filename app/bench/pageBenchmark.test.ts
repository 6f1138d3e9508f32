import { describe, expect, it } from 'vitest';
import type { NestarClient } from '../../src/client';
import type { GenerateEvent, GenerateRequest, GenerateResult, ModelInfo, RuntimeInfo } from '../../src/types';
import { checkComparable, runPageBenchmark, type BenchClients } from './pageBenchmark';

function modelInfo(architecture: 'nestar' | 'raster', tokenCount = 64): ModelInfo {
  const steps = architecture === 'nestar' ? 10 : tokenCount;
  return {
    id: architecture, title: architecture, description: '', license: '', architecture, tokenLayout: 'pixel_patch', imageSize: 32, grid: 8, tokenCount,
    sequentialSteps: steps, scales: [], classes: [],
    defaults: { odeSteps: 16, solver: 'heun', guidance: 4, temperature: 0.8 },
    limits: { odeSteps: [1, 100], guidance: [0, 10], temperature: [0.1, 2], batch: [1, 16] }, totalBytes: 0, files: [], quality: null, tokenizer: null, fewStep: null,
  };
}

/** A client whose generate "takes" msPerImage * batch, emits two scale events, and records what it was asked. */
function fakeClient(calls: string[], name: string, msPerImage: number[]): NestarClient {
  let call = 0;
  return {
    load: async () => { throw new Error('not used'); },
    generate: async (request: GenerateRequest, onEvent?: (e: GenerateEvent) => void): Promise<GenerateResult> => {
      calls.push(`${name}:${request.batch}:${request.seed}:${request.odeSteps}`);
      const ms = msPerImage[call++]! * request.batch;
      onEvent?.({ type: 'scale', scale: 0, grid: 2, images: [], elapsedMs: ms / 4, stepsDone: 1, stepsTotal: 2, tokens: [] });
      onEvent?.({ type: 'scale', scale: 1, grid: 8, images: [], elapsedMs: ms, stepsDone: 2, stepsTotal: 2, tokens: [] });
      return { images: [], totalMs: ms, firstPreviewMs: ms / 4, tokens: [], lastScale: 1, complete: true };
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
    const report = await runPageBenchmark(clients, { backend: 'wasm', batches: [2], repeats: 3, odeSteps: 4 }, () => undefined, () => new Date(0));
    expect(calls).toEqual(['nestar:2:999:4', 'raster:2:999:4', 'nestar:2:1000:4', 'raster:2:1000:4', 'nestar:2:1001:4', 'raster:2:1001:4', 'nestar:2:1002:4', 'raster:2:1002:4']);
    const [b] = report.results;
    expect(b!.nestar.msPerImage).toMatchObject({ median: 20, min: 10, max: 30, n: 3 });
    expect(b!.raster.msPerImage).toMatchObject({ median: 40, min: 40, max: 100 });
    expect(b!.timeRatio).toBeCloseTo(0.5);
    // first preview = a quarter of the batch time: 2 * 20 / 4 = 10 ms vs raster's whole batch 80 ms.
    expect(b!.firstPreviewRatio).toBeCloseTo(10 / 80);
    expect(b!.nestar.scaleMs.map((s) => s.median)).toEqual([10, 40]);
    expect(b!.nestar.steps).toBe(10);
    expect(b!.raster.steps).toBe(64);
    expect(report.models.nestar).toMatchObject({ id: 'n', tokens: 64, odeSteps: 4, solver: 'heun' });
    expect(report.date).toBe('1970-01-01T00:00:00.000Z');
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
