/** The WorkerApi engine end to end in Node: fixtures/tiny-nestar served by a fake fetch, onnxruntime-web wasm. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-web';
import { beforeAll, describe, expect, it } from 'vitest';
import { createEngine } from './engine';
import { NestarError } from './errors';
import { loadFiles, onDemandFiles, parseManifest } from './manifest';
import type { GenerateEvent, GenerateRequest, LoadEvent } from './types';

const FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'tiny-nestar');
const BASE = 'https://example.test/models/tiny-nestar/';
const LATENT_FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'tiny-latent');
const LATENT_BASE = 'https://example.test/models/tiny-latent/';

function diskFetch(overrides: Record<string, Uint8Array | null> = {}, fixture = FIXTURE, base = BASE) {
  return async (url: string): Promise<Response> => {
    const name = url.slice(base.length);
    if (name in overrides) {
      const body = overrides[name];
      return body ? new Response(body.slice().buffer) : new Response('gone', { status: 404 });
    }
    const path = join(fixture, name);
    if (!url.startsWith(base) || !existsSync(path)) return new Response('not found', { status: 404 });
    return new Response(readFileSync(path));
  };
}

const request: GenerateRequest = { classIndex: 3, seed: 5, batch: 2, odeSteps: 2, solver: 'heun', guidance: 2, temperature: 1 };

describe.skipIf(!existsSync(FIXTURE))('engine (WorkerApi) on the tiny fixture', () => {
  beforeAll(() => {
    ort.env.wasm.numThreads = 1;
  });

  it('loads with download, compile and ready events, then generates with a scale event per scale', async () => {
    const engine = createEngine({ ort, fetch: diskFetch(), caches: null, gpu: () => undefined });
    await expect(engine.generate(request, () => undefined)).rejects.toMatchObject({ code: 'NOT_LOADED' });
    const loadEvents: LoadEvent[] = [];
    const info = await engine.load({ baseUrl: BASE }, (e) => loadEvents.push(e));
    expect(info).toMatchObject({ backend: 'wasm', adapter: null, model: { id: 'tiny-nestar', sequentialSteps: 7, grid: 4 } });
    expect(info.reason).toMatch(/no WebGPU/);
    const downloads = loadEvents.filter((e) => e.type === 'download');
    const files = loadFiles(parseManifest(readFileSync(join(FIXTURE, 'manifest.json'), 'utf8')));
    expect(new Set(downloads.map((e) => e.file))).toEqual(new Set(files));
    expect(loadEvents.filter((e) => e.type === 'compile').length).toBe(files.length);
    // Then the warm-up generation (warmUp.ts), which is not one of the engine's generations, then ready.
    expect(loadEvents.slice(-2)).toEqual([{ type: 'warmup', backend: 'wasm' }, { type: 'ready', info }]);
    expect((await engine.diagnostics()).generations).toBe(0);
    expect(await engine.info()).toEqual(info);

    const events: GenerateEvent[] = [];
    const result = await engine.generate(request, (e) => events.push(e));
    expect(events.map((e) => (e.type === 'scale' ? `scale${e.grid}` : e.type))).toEqual(['scale2', 'scale4', 'done']);
    expect(result.images.length).toBe(2);
    expect(result.images[0]!.width).toBe(16);
    expect(result.tokens[0]!.length).toBe(16 * 48);
    const done = events.at(-1)!;
    expect(done.type === 'done' && done.images[1]!.data).toEqual(result.images[1]!.data);
    // Every session call is counted and timed: 7 steps, each a backbone call and 2 Heun steps x 2 velocity calls.
    expect(result.calls).toMatchObject({ backbone: { calls: 7 }, flowHead: { calls: 28 }, fewStep: { calls: 0 } });
    expect(result.calls.backbone.ms).toBeGreaterThan(0);
    expect(done.type === 'done' && done.calls).toEqual(result.calls);

    // Same request, same pixels: the run is a pure function of (model, class, seed, settings).
    const again = await engine.generate(request, () => undefined);
    expect(again.tokens[1]).toEqual(result.tokens[1]);

    await engine.unload();
    expect((await engine.info()).model).toBeNull();
    await expect(engine.generate(request, () => undefined)).rejects.toMatchObject({ code: 'NOT_LOADED' });
  });

  it('one generation at a time (BUSY), cancel() stops it with CANCELLED, bad requests are BAD_REQUEST', async () => {
    const engine = createEngine({ ort, fetch: diskFetch(), caches: null, gpu: () => undefined });
    await engine.load({ baseUrl: BASE, backend: 'wasm' }, () => undefined);
    const first = engine.generate({ ...request, odeSteps: 50 }, () => undefined);
    await expect(engine.generate(request, () => undefined)).rejects.toMatchObject({ code: 'BUSY' });
    await expect(engine.load({ baseUrl: BASE }, () => undefined)).rejects.toMatchObject({ code: 'BUSY' });
    engine.cancel();
    await expect(first).rejects.toMatchObject({ code: 'CANCELLED' });
    await expect(engine.generate({ ...request, classIndex: 999 }, () => undefined)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    // Still usable after a cancel and a bad request.
    expect((await engine.generate({ ...request, batch: 1 }, () => undefined)).images.length).toBe(1);
    await engine.unload();
  });

  it("downloads the other solver's heads at its first generation, once; a failure there leaves the model working", async () => {
    const manifest = parseManifest(readFileSync(join(FIXTURE, 'manifest.json'), 'utf8'));
    expect(manifest.defaults.solver).toBe('heun');
    const heads = onDemandFiles(manifest);
    expect(heads).toEqual(['module1.fewstep.onnx', 'module2.fewstep.onnx']);
    const fewStep: GenerateRequest = { ...request, solver: 'few_step' };

    // A missing head file fails that run (MODEL_NOT_FOUND); the default solver still runs; nothing half-loaded stays.
    const missing = createEngine({ ort, fetch: diskFetch({ 'module2.fewstep.onnx': null }), caches: null, gpu: () => undefined });
    const loadEvents: LoadEvent[] = [];
    await missing.load({ baseUrl: BASE }, (e) => loadEvents.push(e));
    expect(loadEvents.some((e) => (e.type === 'download' || e.type === 'compile') && heads.includes(e.file))).toBe(false);
    const before = await missing.diagnostics();
    await expect(missing.generate(fewStep, () => undefined)).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND', message: expect.stringContaining('module2.fewstep.onnx') });
    expect((await missing.generate(request, () => undefined)).images.length).toBe(2);
    expect((await missing.diagnostics()).liveSessions).toBe(before.liveSessions);
    // A bad request is refused before anything downloads.
    const refused: GenerateEvent[] = [];
    await expect(missing.generate({ ...fewStep, guidance: 9 }, (e) => refused.push(e))).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    expect(refused).toEqual([]);

    const engine = createEngine({ ort, fetch: diskFetch(), caches: null, gpu: () => undefined });
    await engine.load({ baseUrl: BASE }, () => undefined);
    const loadedSessions = (await engine.diagnostics()).liveSessions;
    const events: GenerateEvent[] = [];
    const first = await engine.generate(fewStep, (e) => events.push(e));
    const headEvents = events.filter((e) => e.type === 'heads');
    expect(headEvents.filter((e) => e.phase === 'compile').map((e) => e.file)).toEqual(heads);
    const total = heads.reduce((sum, f) => sum + manifest.files[f]!.bytes, 0);
    expect(headEvents.every((e) => e.total === total && e.loaded <= total && e.solver === 'few_step')).toBe(true);
    expect(headEvents.filter((e) => e.phase === 'download').at(-1)!.loaded).toBe(total);
    // The heads come before the run's first scale, and the run is the few-step sampler's: one call per step.
    expect(events.findIndex((e) => e.type === 'scale')).toBe(headEvents.length);
    expect(first.calls).toMatchObject({ fewStep: { calls: 7 }, flowHead: { calls: 0 } });
    expect((await engine.diagnostics()).liveSessions).toBe(loadedSessions + heads.length);

    const again: GenerateEvent[] = [];
    const second = await engine.generate(fewStep, (e) => again.push(e));
    expect(again.some((e) => e.type === 'heads')).toBe(false);
    expect(second.tokens[0]).toEqual(first.tokens[0]);
    await engine.unload();
    expect((await engine.diagnostics()).liveSessions).toBe(0);
  });

  it("cancel() while a run downloads its solver's heads stops it with CANCELLED; the engine stays usable", async () => {
    const disk = diskFetch();
    // The few-step heads never arrive: their download waits until it is aborted.
    const hanging = async (url: string, init?: RequestInit): Promise<Response> =>
      url.endsWith('.fewstep.onnx')
        ? new Promise<Response>((_, reject) => init?.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError'))))
        : disk(url);
    const engine = createEngine({ ort, fetch: hanging, caches: null, gpu: () => undefined });
    await engine.load({ baseUrl: BASE }, () => undefined);
    const run = engine.generate({ ...request, solver: 'few_step' }, () => undefined);
    await expect(engine.generate(request, () => undefined)).rejects.toMatchObject({ code: 'BUSY' });
    engine.cancel();
    await expect(run).rejects.toMatchObject({ code: 'CANCELLED' });
    expect((await engine.generate(request, () => undefined)).images.length).toBe(2);
    await engine.unload();
  });

  it("on onnxruntime's WASM-only build a load never chooses WebGPU, even with a real GPU", async () => {
    const realGpu = { requestAdapter: async () => ({ info: { vendor: 'nvidia', architecture: 'ampere' } }) };
    const engine = createEngine({ ort, fetch: diskFetch(), caches: null, gpu: () => realGpu, hasWebGpu: false });
    await expect(engine.load({ baseUrl: BASE, backend: 'webgpu' }, () => undefined)).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE', message: expect.stringMatching(/WASM-only/) });
    const info = await engine.load({ baseUrl: BASE }, () => undefined);
    expect(info).toMatchObject({ backend: 'wasm', reason: expect.stringMatching(/WASM-only/) });
    await engine.unload();
  });

  it('maps load failures to codes: BACKEND_UNAVAILABLE, MODEL_NOT_FOUND, MODEL_CORRUPT', async () => {
    const engine = createEngine({ ort, fetch: diskFetch(), caches: null, gpu: () => undefined });
    await expect(engine.load({ baseUrl: BASE, backend: 'webgpu' }, () => undefined)).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
    const missing = createEngine({ ort, fetch: diskFetch({ 'module2.flow.onnx': null }), caches: null, gpu: () => undefined });
    await expect(missing.load({ baseUrl: BASE }, () => undefined)).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND' });
    const bytes = new Uint8Array(readFileSync(join(FIXTURE, 'module1.flow.onnx')));
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0xff;
    const corrupt = createEngine({ ort, fetch: diskFetch({ 'module1.flow.onnx': bytes }), caches: null, gpu: () => undefined });
    const err = await corrupt.load({ baseUrl: BASE }, () => undefined).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NestarError);
    expect(err).toMatchObject({ code: 'MODEL_CORRUPT', message: expect.stringContaining('module1.flow.onnx') });
  });
});

describe.skipIf(!existsSync(LATENT_FIXTURE))('engine on the latent fixture (decoder session)', () => {
  it('downloads, checks and compiles the decoder with the module files, and paints previews and images with it', async () => {
    ort.env.wasm.numThreads = 1;
    const engine = createEngine({ ort, fetch: diskFetch({}, LATENT_FIXTURE, LATENT_BASE), caches: null, gpu: () => undefined });
    const loadEvents: LoadEvent[] = [];
    const info = await engine.load({ baseUrl: LATENT_BASE }, (e) => loadEvents.push(e));
    expect(info.model).toMatchObject({ id: 'tiny-latent', tokenLayout: 'latent', imageSize: 32 });
    const downloads = loadEvents.filter((e) => e.type === 'download');
    expect(new Set(downloads.map((e) => e.file))).toContain('decoder.onnx');
    expect(downloads.some((e) => e.file === 'decoder.onnx' && e.loaded === e.total)).toBe(true);
    expect(loadEvents.filter((e) => e.type === 'compile').map((e) => e.type === 'compile' && e.file)).toContain('decoder.onnx');

    const events: GenerateEvent[] = [];
    const result = await engine.generate(request, (e) => events.push(e));
    expect(events.map((e) => (e.type === 'scale' ? `scale${e.grid}` : e.type))).toEqual(['scale2', 'scale4', 'done']);
    const last = events[1]!;
    expect(last.type === 'scale' && last.images.map((i) => i.width)).toEqual([32, 32]);
    expect(result.images[0]!.data.length).toBe(32 * 32 * 4);
    expect(result.tokens[0]!.length).toBe(16 * 4);
    await engine.unload();
  });

  it('refuses a decoder whose bytes do not match the manifest (MODEL_CORRUPT)', async () => {
    const bytes = new Uint8Array(readFileSync(join(LATENT_FIXTURE, 'decoder.onnx')));
    bytes[10] = bytes[10]! ^ 0xff;
    const engine = createEngine({ ort, fetch: diskFetch({ 'decoder.onnx': bytes }, LATENT_FIXTURE, LATENT_BASE), caches: null, gpu: () => undefined });
    await expect(engine.load({ baseUrl: LATENT_BASE }, () => undefined)).rejects.toMatchObject({ code: 'MODEL_CORRUPT', message: expect.stringContaining('decoder.onnx') });
  });
});

describe.skipIf(!existsSync(FIXTURE))('engine: faults while loading', () => {
  /** diskFetch, except that model files (not the manifest) get `body`'s answer; records each request's signal. */
  function faultyFetch(body: (name: string, signal: AbortSignal | undefined) => Promise<Response> | null) {
    const signals: (AbortSignal | undefined)[] = [];
    const plain = diskFetch();
    return {
      signals,
      fetch: async (url: string, init?: RequestInit): Promise<Response> => {
        const name = url.slice(BASE.length);
        signals.push(init?.signal ?? undefined);
        return (name.endsWith('.onnx') ? body(name, init?.signal ?? undefined) : null) ?? plain(url);
      },
    };
  }
  /** A response that never finishes until its signal aborts (a stalled server). */
  const stalled = (signal: AbortSignal | undefined): Promise<Response> =>
    new Promise((_, reject) => signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError'))));

  it('cancel() during a load stops every download with CANCELLED; the next load works', async () => {
    const { fetch, signals } = faultyFetch((_, signal) => stalled(signal));
    const engine = createEngine({ ort, fetch, caches: null, gpu: () => undefined });
    const loading = engine.load({ baseUrl: BASE }, () => undefined);
    await new Promise((r) => setTimeout(r, 50));
    engine.cancel();
    await expect(loading).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(signals.filter((s) => s !== undefined).every((s) => s!.aborted)).toBe(true);
    const ok = createEngine({ ort, fetch: diskFetch(), caches: null, gpu: () => undefined });
    expect((await ok.load({ baseUrl: BASE }, () => undefined)).backend).toBe('wasm');
    await ok.unload();
  });

  it('the first failed download (HTTP 500: NETWORK) stops the others', async () => {
    let first = true;
    const { fetch, signals } = faultyFetch((_, signal) => {
      if (first) {
        first = false;
        return Promise.resolve(new Response('oops', { status: 500 }));
      }
      return stalled(signal);
    });
    const engine = createEngine({ ort, fetch, caches: null, gpu: () => undefined });
    await expect(engine.load({ baseUrl: BASE }, () => undefined)).rejects.toMatchObject({ code: 'NETWORK', message: expect.stringContaining('HTTP 500') });
    expect(signals.slice(1).every((s) => s?.aborted)).toBe(true);
    expect((await engine.diagnostics()).liveSessions).toBe(0);
  });
});

describe.skipIf(!existsSync(FIXTURE))('engine: a lost WebGPU device', () => {
  /**
   * onnxruntime whose "WebGPU" sessions are WASM sessions underneath (Node has no WebGPU) that fail the way a lost
   * device does once `lose()` was called; the providers each session was asked for are recorded.
   */
  function losableOrt(lostFromStart: boolean, failure = 'Failed to execute: GPU device was lost') {
    const providers: string[][] = [];
    let lost = lostFromStart;
    // What onnxruntime exposes as env.webgpu.device: its `lost` settles when reportLoss() is called.
    let reportLoss: () => void = () => undefined;
    const device = { lost: new Promise<{ message: string }>((resolve) => (reportLoss = () => resolve({ message: 'Device was destroyed.' }))) };
    const fakeOrt = {
      ...ort,
      env: { ...ort.env, webgpu: { device: Promise.resolve(device) } },
      InferenceSession: {
        create: async (bytes: Uint8Array, options: { executionProviders: string[] }) => {
          providers.push(options.executionProviders);
          const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], logSeverityLevel: 3 });
          if (options.executionProviders[0] !== 'webgpu') return session;
          return {
            inputNames: session.inputNames,
            outputNames: session.outputNames,
            run: async (feeds: Record<string, ort.Tensor>) => {
              if (lost) throw new Error(failure);
              return session.run(feeds);
            },
            release: () => session.release(),
          };
        },
      },
    } as unknown as typeof ort;
    return { fakeOrt, providers, lose: () => (lost = true), reportLoss: () => reportLoss() };
  }
  const realGpu = { requestAdapter: async () => ({ info: { vendor: 'nvidia', architecture: 'ampere' } }) };

  it('mid-run: reports DEVICE_LOST, drops the sessions, and the next auto load falls back to WASM', async () => {
    const { fakeOrt, providers, lose } = losableOrt(false);
    const engine = createEngine({ ort: fakeOrt, fetch: diskFetch(), caches: null, gpu: () => realGpu });
    expect((await engine.load({ baseUrl: BASE }, () => undefined)).backend).toBe('webgpu');
    const onGpu = providers.length;
    lose();
    await expect(engine.generate(request, () => undefined)).rejects.toMatchObject({ code: 'DEVICE_LOST' });
    expect((await engine.info()).model).toBeNull();
    expect((await engine.diagnostics()).liveSessions).toBe(0);
    await expect(engine.generate(request, () => undefined)).rejects.toMatchObject({ code: 'NOT_LOADED' });
    const info = await engine.load({ baseUrl: BASE }, () => undefined);
    expect(info.backend).toBe('wasm');
    expect(info.reason).toMatch(/lost/);
    expect(providers.slice(0, onGpu).every((p) => p.join() === 'webgpu')).toBe(true);
    expect(providers.slice(onGpu).every((p) => p.join() === 'wasm')).toBe(true);
    expect((await engine.generate({ ...request, batch: 1 }, () => undefined)).images.length).toBe(1);
    await engine.unload();
  });

  it('a call that fails on its own terms (an unmapped buffer) is DEVICE_LOST when the device reports its loss just after', async () => {
    const { fakeOrt, lose, reportLoss } = losableOrt(false, 'Failed to download data from buffer: Buffer was unmapped before mapping was resolved');
    const engine = createEngine({ ort: fakeOrt, fetch: diskFetch(), caches: null, gpu: () => realGpu });
    await engine.load({ baseUrl: BASE }, () => undefined);
    lose();
    // Without a loss reported it is the call's own error, after the grace wait, and the model stays loaded.
    await expect(engine.generate(request, () => undefined)).rejects.toMatchObject({ code: 'INTERNAL', message: expect.stringContaining('unmapped') });
    expect((await engine.info()).backend).toBe('webgpu');
    setTimeout(reportLoss, 20);
    await expect(engine.generate(request, () => undefined)).rejects.toMatchObject({ code: 'DEVICE_LOST', message: expect.stringContaining('Device was destroyed') });
    expect((await engine.info()).model).toBeNull();
  });

  it('a warm-up that fails on WebGPU with no loss: an auto load runs on WASM and says why; asked for WebGPU, the load fails saying ?ep=wasm tells GPU from manifest', async () => {
    const failure = 'Non-zero status code returned while running a kernel';
    const { fakeOrt, providers } = losableOrt(true, failure);
    const engine = createEngine({ ort: fakeOrt, fetch: diskFetch(), caches: null, gpu: () => realGpu });
    const events: LoadEvent[] = [];
    const info = await engine.load({ baseUrl: BASE }, (e) => events.push(e));
    expect(info).toMatchObject({ backend: 'wasm', reason: `WASM: WebGPU here could not run the model's first generation (${failure})` });
    expect(events.filter((e) => e.type === 'warmup')).toEqual([{ type: 'warmup', backend: 'webgpu' }, { type: 'warmup', backend: 'wasm' }]);
    expect(providers.at(-1)).toEqual(['wasm']);
    const sessions = (await engine.diagnostics()).liveSessions;
    expect(sessions).toBe(providers.filter((p) => p[0] === 'wasm').length); // the WebGPU ones were released
    expect((await engine.generate({ ...request, batch: 1 }, () => undefined)).images.length).toBe(1);

    await expect(engine.load({ baseUrl: BASE, backend: 'webgpu' }, () => undefined)).rejects.toMatchObject({
      code: 'MANIFEST_INVALID',
      message: expect.stringMatching(/warm-up, on webgpu\) failed: .*kernel.*this GPU or browser cannot run the model \(then \?ep=wasm/s),
    });
    expect(await engine.diagnostics()).toMatchObject({ liveSessions: 0 });
  });

  it("during the load's warm-up: the load fails with DEVICE_LOST, nothing stays loaded, the next auto load is on WASM", async () => {
    const { fakeOrt } = losableOrt(true);
    const engine = createEngine({ ort: fakeOrt, fetch: diskFetch(), caches: null, gpu: () => realGpu });
    const events: LoadEvent[] = [];
    await expect(engine.load({ baseUrl: BASE }, (e) => events.push(e))).rejects.toMatchObject({ code: 'DEVICE_LOST', message: expect.stringContaining('it will run on WASM') });
    expect(events.at(-1)).toEqual({ type: 'warmup', backend: 'webgpu' });
    expect(await engine.diagnostics()).toMatchObject({ liveSessions: 0, generations: 0 });
    expect((await engine.info()).model).toBeNull();
    const info = await engine.load({ baseUrl: BASE }, () => undefined);
    expect(info).toMatchObject({ backend: 'wasm', reason: expect.stringMatching(/lost/) });
    await engine.unload();
  });
});

describe.skipIf(!existsSync(FIXTURE))('engine: the warm-up generation', () => {
  it('cancel() during the warm-up stops the load with CANCELLED and releases its sessions', async () => {
    const engine = createEngine({ ort, fetch: diskFetch(), caches: null, gpu: () => undefined });
    const loading = engine.load({ baseUrl: BASE }, (e) => {
      if (e.type === 'warmup') engine.cancel();
    });
    await expect(loading).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(await engine.diagnostics()).toMatchObject({ liveSessions: 0 });
    expect((await engine.info()).model).toBeNull();
  });

  it("a session that fails at its first run fails the load with the run's error (and releases every session)", async () => {
    const brokenOrt = {
      ...ort,
      env: ort.env,
      InferenceSession: {
        create: async (bytes: Uint8Array, options: object) => {
          const session = await ort.InferenceSession.create(bytes, options);
          if (!session.outputNames.includes('present_kv')) return session;
          return { inputNames: session.inputNames, outputNames: session.outputNames, run: async () => ({}), release: () => session.release() };
        },
      },
    } as unknown as typeof ort;
    const engine = createEngine({ ort: brokenOrt, fetch: diskFetch(), caches: null, gpu: () => undefined });
    await expect(engine.load({ baseUrl: BASE }, () => undefined)).rejects.toMatchObject({ code: 'MANIFEST_INVALID', message: expect.stringContaining('did not return z and present_kv') });
    expect(await engine.diagnostics()).toMatchObject({ liveSessions: 0 });
  });

  it('a manifest with more classes than the graphs have loads no model: MANIFEST_INVALID from the warm-up, naming the failing node', async () => {
    const json = JSON.parse(readFileSync(join(FIXTURE, 'manifest.json'), 'utf8')) as { classes: { index: number; label: string; group: string }[]; null_class: number };
    const count = 500; // the fixture's graphs embed 70 classes and the null class
    json.classes = Array.from({ length: count }, (_, i) => ({ index: i, label: `class-${i}`, group: 'g' }));
    json.null_class = count;
    const engine = createEngine({ ort, fetch: diskFetch({ 'manifest.json': new TextEncoder().encode(JSON.stringify(json)) }), caches: null, gpu: () => undefined });
    await expect(engine.load({ baseUrl: BASE }, () => undefined)).rejects.toMatchObject({
      code: 'MANIFEST_INVALID',
      message: expect.stringMatching(/first generation \(the load's warm-up, on wasm\) failed: .*Gather.*more classes than the graphs have/s),
    });
    expect(await engine.diagnostics()).toMatchObject({ liveSessions: 0 });
  });
});

describe.skipIf(!existsSync(FIXTURE))('engine: WASM threads', () => {
  it('sets ort.env.wasm.numThreads when created (before any session) and reports the count and why in RuntimeInfo', async () => {
    const threadEnvironment = { crossOriginIsolated: false, hardwareConcurrency: 8 };
    const engine = createEngine({ ort, fetch: diskFetch(), caches: null, gpu: () => undefined, threadEnvironment });
    expect(ort.env.wasm.numThreads).toBe(1);
    expect((await engine.info()).wasmThreads).toMatchObject({ count: 1, isolated: false, reason: expect.stringMatching(/not cross-origin isolated/) });
    const info = await engine.load({ baseUrl: BASE, backend: 'wasm' }, () => undefined);
    expect(info.wasmThreads).toEqual((await engine.info()).wasmThreads);
    await engine.unload();
  });
});

describe('engine: WASM threads the page asked for', () => {
  it('a thread count the page asked for (wasmThreads) is used and said; an absurd one is refused with BAD_REQUEST', () => {
    // Only the decision is checked here: onnxruntime in this process already started its runtime with 1 thread.
    const fakeOrt = { env: { wasm: {} as { numThreads?: number }, webgpu: {} } } as unknown as typeof ort;
    const threadEnvironment = { crossOriginIsolated: true, hardwareConcurrency: 2 };
    const asked = createEngine({ ort: fakeOrt, caches: null, gpu: () => undefined, threadEnvironment, wasmThreads: 3 });
    expect(fakeOrt.env.wasm.numThreads).toBe(3);
    return asked.info().then((info) => {
      expect(info.wasmThreads).toMatchObject({ count: 3, reason: expect.stringContaining('?threads=3') });
      expect(() => createEngine({ ort: fakeOrt, caches: null, gpu: () => undefined, threadEnvironment, wasmThreads: 0 })).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }));
    });
  });
});
