/**
 * Stop, continue and vary (GenerateRequest.prefix / stopAfterScale) through the WorkerApi engine on the real tiny
 * fixtures (onnxruntime-web wasm): a run stopped after a scale and continued with the same seed is the uninterrupted
 * run bit for bit; a variation keeps the prefix's sub-grid exactly and resamples the finer scales.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-web';
import { beforeAll, describe, expect, it } from 'vitest';
import { createEngine } from './engine';
import { subGridTokens } from './tokens';
import type { GenerateEvent, GenerateRequest, WorkerApi } from './types';

const FIXTURES = ['tiny-nestar', 'tiny-latent'].map((id) => ({ id, dir: join(import.meta.dirname, '..', 'fixtures', id) }));

function diskFetch(dir: string, base: string) {
  return async (url: string): Promise<Response> => {
    const path = join(dir, url.slice(base.length));
    if (!url.startsWith(base) || !existsSync(path)) return new Response('not found', { status: 404 });
    return new Response(readFileSync(path));
  };
}

const request: GenerateRequest = { classIndex: 1, seed: 1234, batch: 2, odeSteps: 3, solver: 'heun', guidance: 2, temperature: 0.9 };

describe.each(FIXTURES)('stop, continue and vary on $id', ({ id, dir }) => {
  let engine: WorkerApi;
  beforeAll(async () => {
    ort.env.wasm.numThreads = 1;
    const base = `https://example.test/models/${id}/`;
    engine = createEngine({ ort, fetch: diskFetch(dir, base), caches: null, gpu: () => undefined });
    await engine.load({ baseUrl: base, backend: 'wasm' }, () => undefined);
  });

  it.skipIf(!existsSync(dir))('stop after scale 1 + continue with the same seed = the uninterrupted run (tokens and pixels)', async () => {
    const full = await engine.generate(request, () => undefined);
    const events: GenerateEvent[] = [];
    const stopped = await engine.generate({ ...request, stopAfterScale: 1 }, (e) => events.push(e));
    expect(events.map((e) => (e.type === 'done' ? `done${e.lastScale}` : e.type === 'scale' ? `scale${e.scale}` : e.type))).toEqual(['scale1', 'done1']);
    expect([stopped.lastScale, stopped.complete]).toEqual([1, false]);

    const later: GenerateEvent[] = [];
    const continued = await engine.generate({ ...request, prefix: { scale: 1, tokens: stopped.tokens } }, (e) => later.push(e));
    expect(later.map((e) => (e.type === 'done' ? `done${e.lastScale}` : e.type === 'scale' ? `scale${e.scale}` : e.type))).toEqual(['scale1', 'scale2', 'done2']);
    expect(continued.complete).toBe(true);
    for (let b = 0; b < 2; b++) {
      expect(continued.tokens[b]).toEqual(full.tokens[b]);
      expect(continued.images[b]!.data).toEqual(full.images[b]!.data);
    }
  });

  it.skipIf(!existsSync(dir))('the tokens of a scale event (what a cancelled run keeps) continue the run exactly', async () => {
    const full = await engine.generate({ ...request, batch: 1 }, () => undefined);
    const events: GenerateEvent[] = [];
    await engine.generate({ ...request, batch: 1 }, (e) => events.push(e));
    const first = events.find((e) => e.type === 'scale' && e.scale === 1);
    if (first?.type !== 'scale') throw new Error('no scale-1 event');
    const continued = await engine.generate({ ...request, batch: 1, prefix: { scale: 1, tokens: first.tokens } }, () => undefined);
    expect(continued.tokens[0]).toEqual(full.tokens[0]);
    expect(continued.images[0]!.data).toEqual(full.images[0]!.data);
  });

  it.skipIf(!existsSync(dir))('a variation of scale 1 keeps its 2x2 sub-grid bit for bit and changes the finer tokens', async () => {
    const source = await engine.generate({ ...request, batch: 1 }, () => undefined);
    const grid = 4;
    const dim = source.tokens[0]!.length / (grid * grid);
    const varied = await engine.generate({ ...request, batch: 4, seed: 777, prefix: { scale: 1, tokens: source.tokens } }, () => undefined);
    expect(varied.images.length).toBe(4);
    const coarse = subGridTokens(source.tokens[0]!, grid, dim, 2);
    for (const tokens of varied.tokens) {
      expect(subGridTokens(tokens, grid, dim, 2)).toEqual(coarse);
      expect(tokens).not.toEqual(source.tokens[0]);
    }
    expect(new Set(varied.images.map((i) => i.data.join(','))).size).toBe(4);
  });

  it.skipIf(!existsSync(dir))('bad prefix or stop scale: BAD_REQUEST, and the engine stays usable', async () => {
    const tokens = [new Float32Array(3)];
    await expect(engine.generate({ ...request, prefix: { scale: 1, tokens } }, () => undefined)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(engine.generate({ ...request, prefix: { scale: 2, tokens } }, () => undefined)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(engine.generate({ ...request, stopAfterScale: 3 }, () => undefined)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    expect((await engine.generate({ ...request, batch: 1, stopAfterScale: 2 }, () => undefined)).complete).toBe(true);
  });
});
