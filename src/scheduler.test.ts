import { describe, expect, it } from 'vitest';
import { NestarError } from './errors';
import { expandSubgrid } from './latentDecoder';
import { parseManifest, type Manifest } from './manifest';
import { normal } from './prng';
import { runSchedule, type ScaleProgress } from './scheduler';
import type { BackboneFeeds, SessionRunner } from './sessionRunner';
import { makeManifestJson } from './testManifest';
import { subGridTokens } from './tokens';
import type { GenerateRequest } from './types';

interface FakeKv {
  kind: 'kv';
  module: number;
  length: number;
  batch: number;
}

interface FakeZ {
  kind: 'z';
  data: Float32Array;
}

type FakeHandle = FakeKv | FakeZ;

/**
 * A runner with analytic networks: z is the label plus the mean content value (so the conditional and the
 * unconditional halves differ), and v(x, t) = z[0] (constant in x and t), so Euler lands on x0 + z[0] exactly. Its
 * few-step sampler returns x0 + w * z[0] (guidance folded in, from the conditional z alone).
 * Its decoder (latent manifests) paints pixel (y, x) channel ch with 0.5 + 0.25 * channel ch of the token under it.
 */
class FakeRunner implements SessionRunner<FakeHandle> {
  calls: string[] = [];
  decoded: { batch: number; tokens_BND: Float32Array }[] = [];
  previewed: { batch: number; grid: number; tokens_BggD: Float32Array }[] = [];
  /** The caches freed, in order. */
  released: FakeKv[] = [];
  /** Caches and z not yet freed. */
  live = new Set<FakeHandle>();
  constructor(private readonly manifest: Manifest) {}

  async backbone(module: number, feeds: BackboneFeeds, pastKv: FakeHandle | null) {
    const mod = this.manifest.modules[module]!;
    const Lq = feeds.queryCells_L.length;
    const Lc = feeds.contentCells_L.length;
    this.calls.push(`b${module}:${Array.from(feeds.queryCells_L).join(',')}`);
    if (pastKv && (pastKv.kind !== 'kv' || pastKv.module !== module || pastKv.batch !== feeds.batch)) throw new Error('kv of another module or batch');
    expect(feeds.content_BLD.length).toBe(feeds.batch * Lc * this.manifest.tokenDim);
    expect(feeds.queryParent_BLD.length).toBe(feeds.batch * Lq * this.manifest.tokenDim);
    const z = new Float32Array(feeds.batch * Lq * mod.width);
    for (let b = 0; b < feeds.batch; b++) {
      const slice = feeds.content_BLD.subarray((b * feeds.content_BLD.length) / feeds.batch, ((b + 1) * feeds.content_BLD.length) / feeds.batch);
      const mean = slice.reduce((a, v) => a + v, 0) / slice.length;
      z.fill(Number(feeds.classLabel_B[b]) * 0.25 + mean * 0.01, b * Lq * mod.width, (b + 1) * Lq * mod.width);
    }
    const presentKv: FakeKv = { kind: 'kv', module, length: (pastKv?.kind === 'kv' ? pastKv.length : 0) + Lc, batch: feeds.batch };
    const zHandle: FakeZ = { kind: 'z', data: z };
    this.live.add(presentKv);
    this.live.add(zHandle);
    return { z: zHandle, presentKv };
  }

  private zData(z: FakeHandle, rows: number, width: number): Float32Array {
    if (z.kind !== 'z' || !this.live.has(z)) throw new Error('not a live z');
    if (z.data.length !== rows * width) throw new Error(`z has ${z.data.length} values, the call needs ${rows}x${width}`);
    return z.data;
  }

  async flowHead(module: number, zHandle: FakeHandle, x: Float32Array, t: Float32Array) {
    const width = this.manifest.modules[module]!.width;
    const N = t.length;
    const z = this.zData(zHandle, N, width);
    this.calls.push(`f${module}`);
    const v = new Float32Array(x.length);
    const dim = x.length / N;
    for (let r = 0; r < N; r++) v.fill(z[r * width]!, r * dim, (r + 1) * dim);
    return v;
  }

  async fewStep(module: number, zHandle: FakeHandle, x0: Float32Array, guidance: Float32Array) {
    const width = this.manifest.modules[module]!.width;
    const N = guidance.length;
    // A guided-ODE module's z holds the N conditional rows, then the N unconditional ones: x0 + w (z_c - z_u).
    const guided = this.manifest.fewStep?.ode[module] != null;
    const z = this.zData(zHandle, guided ? 2 * N : N, width);
    this.calls.push(`s${module}`);
    const dim = x0.length / N;
    const tokens = new Float32Array(x0.length);
    for (let r = 0; r < N; r++) {
      const zr = guided ? z[r * width]! - z[(N + r) * width]! : z[r * width]!;
      for (let d = 0; d < dim; d++) tokens[r * dim + d] = Math.fround(x0[r * dim + d]! + guidance[r]! * zr);
    }
    return tokens;
  }

  async decode(tokens_BND: Float32Array, batch: number) {
    const { grid: G, tokenDim: dim, imageSize: size } = this.manifest;
    this.calls.push('d');
    this.decoded.push({ batch, tokens_BND: tokens_BND.slice() });
    const p = size / G;
    const pixels = new Float32Array(batch * size * size * 3);
    for (let b = 0; b < batch; b++) {
      for (let y = 0; y < size; y++) {
        for (let x = 0; x < size; x++) {
          const cell = Math.floor(y / p) * G + Math.floor(x / p);
          for (let ch = 0; ch < 3; ch++) pixels[((b * size + y) * size + x) * 3 + ch] = 0.5 + 0.25 * tokens_BND[(b * G * G + cell) * dim + (ch % dim)]!;
        }
      }
    }
    return pixels;
  }

  /** Records the call; each picture is uniformly 0.25 + 0.5 * (first token value of its sub-grid), clamped. */
  async decodePreview(tokens_BggD: Float32Array, batch: number, grid: number): Promise<Float32Array> {
    if (this.manifest.tokenLayout !== 'latent' || !this.manifest.previewPixelsPerLatent) throw new Error('this fake model has no preview decoder');
    this.calls.push('p');
    this.previewed.push({ batch, grid, tokens_BggD: tokens_BggD.slice() });
    const side = grid * this.manifest.previewPixelsPerLatent;
    const n = grid * grid * this.manifest.tokenDim;
    const pixels = new Float32Array(batch * side * side * 3);
    for (let b = 0; b < batch; b++) pixels.fill(Math.min(1, Math.max(0, 0.25 + 0.5 * tokens_BggD[b * n]!)), b * side * side * 3, (b + 1) * side * side * 3);
    return pixels;
  }

  release(handle: FakeHandle) {
    if (!this.live.delete(handle)) throw new Error('handle released twice or never made');
    if (handle.kind === 'kv') this.released.push(handle);
  }
}

const manifest = parseManifest(makeManifestJson({ grid: 8 })); // M = 3 scales, 10 steps, dim 12
const request: GenerateRequest = { classIndex: 2, seed: 11, batch: 2, odeSteps: 3, solver: 'euler', guidance: 3, temperature: 0.5 };

describe('runSchedule', () => {
  it('runs 3M+1 backbone steps in schedule order, S flow calls each, and frees every cache', async () => {
    const runner = new FakeRunner(manifest);
    const scales: ScaleProgress[] = [];
    const result = await runSchedule(manifest, runner, request, { onScale: (s) => scales.push(s) });
    const backbones = runner.calls.filter((c) => c.startsWith('b'));
    expect(backbones.length).toBe(10);
    expect(backbones.slice(0, 4)).toEqual(['b0:0', 'b0:4', 'b0:32', 'b0:36']);
    expect(backbones[4]!.startsWith('b1:2,6,34,38')).toBe(true);
    expect(runner.calls.filter((c) => c.startsWith('f')).length).toBe(10 * 3);
    expect(runner.live.size).toBe(0);
    // Module 1 (index 1): content lengths 1+4, 4, 4 -> caches of length 5, 9, 13.
    expect(runner.released.filter((kv) => kv.module === 1).map((kv) => kv.length)).toEqual([5, 9, 13]);
    expect(runner.released.every((kv) => kv.batch === 4)).toBe(true); // guidance doubles B = 2

    expect(scales.map((s) => [s.scale, s.grid, s.stepsDone, s.stepsTotal])).toEqual([
      [1, 2, 4, 10],
      [2, 4, 7, 10],
      [3, 8, 10, 10],
    ]);
    expect(result.tokens.length).toBe(2);
    expect(result.images[0]!.width).toBe(16);
    expect(result.firstPreviewMs).toBeLessThanOrEqual(result.totalMs);
  });

  it('follows the contract arithmetic: x = T*noise + v_u + w (v_c - v_u), noise from (seed + b, k*stride + j)', async () => {
    const runner = new FakeRunner(manifest);
    const result = await runSchedule(manifest, runner, { ...request, batch: 1 });
    // Cell 0 is module 0, step 0: content is only the class slot (zeros), so z_c = 2*0.25, z_u = 3*0.25.
    const noise = normal(11, 0, 12);
    const v = 0.75 + 3 * (0.5 - 0.75);
    for (let d = 0; d < 12; d++) expect(result.tokens[0]![d]).toBeCloseTo(0.5 * noise[d]! + v, 5);
  });

  it('image b of a batch equals a batch-1 run with seed + b; guidance 1 does not double the batch', async () => {
    const batch = await runSchedule(manifest, new FakeRunner(manifest), request);
    const single = await runSchedule(manifest, new FakeRunner(manifest), { ...request, batch: 1, seed: 12 });
    expect(batch.tokens[1]).toEqual(single.tokens[0]);
    const runner = new FakeRunner(manifest);
    await runSchedule(manifest, runner, { ...request, guidance: 1 });
    expect(runner.released.every((kv) => kv.batch === 2)).toBe(true);
  });

  it('emits previews that are exactly the sub-grid of the final tokens', async () => {
    const scales: ScaleProgress[] = [];
    const result = await runSchedule(manifest, new FakeRunner(manifest), { ...request, solver: 'heun' }, { onScale: (s) => scales.push(s) });
    for (const s of scales) {
      for (let b = 0; b < 2; b++) {
        const sub = s.subGridTokens[b]!;
        for (let i = 0; i < s.grid; i++) {
          for (let j = 0; j < s.grid; j++) {
            const cell = i * s.stride * 8 + j * s.stride;
            expect(Array.from(sub.subarray((i * s.grid + j) * 12, (i * s.grid + j + 1) * 12))).toEqual(
              Array.from(result.tokens[b]!.subarray(cell * 12, (cell + 1) * 12)),
            );
          }
        }
      }
    }
    expect(scales.at(-1)!.images[0]!.data).toEqual(result.images[0]!.data);
  });

  it('stops with CANCELLED between two network calls and frees the cache', async () => {
    const runner = new FakeRunner(manifest);
    const controller = new AbortController();
    const run = runSchedule(manifest, runner, request, {
      signal: controller.signal,
      onScale: (s) => {
        if (s.scale === 1) controller.abort();
      },
    });
    await expect(run).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(runner.calls.filter((c) => c.startsWith('b')).length).toBe(4);
    expect(runner.live.size).toBe(0);
  });

  it('cancels from another task while the run is awaiting (the worker case)', async () => {
    const runner = new FakeRunner(manifest);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 0);
    await expect(runSchedule(manifest, runner, { ...request, odeSteps: 64 }, { signal: controller.signal })).rejects.toBeInstanceOf(NestarError);
    expect(runner.calls.length).toBeLessThan(10 * 65);
  });

  describe('few-step solver', () => {
    const fast = parseManifest(makeManifestJson({ grid: 8, fewStep: true }));
    const fastRequest: GenerateRequest = { ...request, solver: 'few_step' };

    it('makes two calls per step, 2(3M + 1) in all, on the undoubled batch, and frees every z and cache', async () => {
      const runner = new FakeRunner(fast);
      const result = await runSchedule(fast, runner, fastRequest);
      expect(runner.calls.filter((c) => c.startsWith('b')).length).toBe(10);
      expect(runner.calls.filter((c) => c.startsWith('s')).length).toBe(10);
      expect(runner.calls.filter((c) => c.startsWith('f')).length).toBe(0);
      expect(runner.calls.length).toBe(2 * (3 * 3 + 1));
      expect(runner.released.every((kv) => kv.batch === 2)).toBe(true); // B = 2, guidance 3 folded in
      expect(runner.live.size).toBe(0);
      expect(result.tokens.length).toBe(2);
    });

    it('feeds x0 = T*noise (the ODE path\'s starting point) and the guidance per row', async () => {
      const result = await runSchedule(fast, new FakeRunner(fast), { ...fastRequest, batch: 1 });
      // Cell 0 is module 0, step 0: z_c = 2*0.25 (class 2, zero content); the fake returns x0 + w * z_c.
      const noise = normal(11, 0, 12);
      for (let d = 0; d < 12; d++) expect(result.tokens[0]![d]).toBeCloseTo(0.5 * noise[d]! + 3 * 0.5, 5);
    });

    it('runs a guided-ODE module on the doubled batch (labels [c; null]) and hands its call both halves of z', async () => {
      const json = makeManifestJson({ grid: 8, fewStep: true }) as { few_step: { evaluations: unknown } };
      json.few_step.evaluations = [{ solver: 'heun', steps: 3 }, 2, 2];
      const mixed = parseManifest(json);
      const runner = new FakeRunner(mixed);
      const result = await runSchedule(mixed, runner, { ...fastRequest, batch: 1 });
      expect(runner.calls.length).toBe(2 * (3 * 3 + 1)); // still one sampler call per step
      expect([...new Set(runner.released.map((kv) => `module ${kv.module}: ${kv.batch} rows`))]).toEqual(['module 0: 2 rows', 'module 1: 1 rows', 'module 2: 1 rows']);
      // Cell 0: z_c = 2 * 0.25 (class 2), z_u = null_class * 0.25; the fake returns x0 + w (z_c - z_u).
      const noise = normal(11, 0, 12);
      const zc = 0.5, zu = mixed.nullClass * 0.25;
      for (let d = 0; d < 12; d++) expect(result.tokens[0]![d]).toBeCloseTo(0.5 * noise[d]! + 3 * (zc - zu), 4);
    });

    it('is refused on a model without a few-step sampler, and outside its trained guidance and temperature', async () => {
      const runner = new FakeRunner(manifest);
      await expect(runSchedule(manifest, runner, fastRequest)).rejects.toThrow(/few-step sampler/);
      await expect(runSchedule(fast, runner, { ...fastRequest, guidance: 8 })).rejects.toThrow(/guidance must be a number in \[1, 6\]/);
      await expect(runSchedule(fast, runner, { ...fastRequest, temperature: 0.2 })).rejects.toThrow(/temperature must be a number in \[0.5, 1.2\]/);
      expect(runner.calls.length).toBe(0);
    });
  });

  it('reports NaN from a network as BAD_NUMBERS naming module, step and scale, and frees everything', async () => {
    const runner = new FakeRunner(manifest);
    const flowHead = runner.flowHead.bind(runner);
    runner.flowHead = async (module, z, x, t) => {
      const v = await flowHead(module, z, x, t);
      if (module === 1) v[3] = Number.NaN;
      return v;
    };
    const scales: number[] = [];
    const run = runSchedule(manifest, runner, request, { onScale: (s) => scales.push(s.scale) });
    await expect(run).rejects.toMatchObject({ code: 'BAD_NUMBERS', message: expect.stringMatching(/module 2, step 1 .*before the 4x4 preview/) });
    expect(scales).toEqual([1]);
    expect(runner.live.size).toBe(0);
  });

  it('rejects bad requests with BAD_REQUEST naming the field and range, before any network call', async () => {
    const cases: [Partial<GenerateRequest>, string][] = [
      [{ classIndex: 3 }, 'classIndex must be an integer in [0, 2]'],
      [{ classIndex: -1 }, 'classIndex'],
      [{ seed: 1.5 }, 'seed must be an integer in [0, 4294967295]'],
      [{ seed: 2 ** 32 }, 'seed'],
      [{ batch: 9 }, 'batch must be an integer in [1, 8]'],
      [{ batch: 0 }, 'batch'],
      [{ odeSteps: 65 }, 'odeSteps must be an integer in [1, 64]'],
      [{ odeSteps: 2.5 }, 'odeSteps'],
      [{ guidance: 11 }, 'guidance must be a number in [0, 10]'],
      [{ guidance: Number.NaN }, 'guidance'],
      [{ coarseGuidance: -1 }, 'coarseGuidance must be a number in [0, 10]'],
      [{ coarseGuidance: Number.POSITIVE_INFINITY }, 'coarseGuidance'],
      [{ temperature: -0.1 }, 'temperature must be a number in [0, 2]'],
      [{ solver: 'rk4' as 'euler' }, 'solver'],
    ];
    for (const [patch, message] of cases) {
      const runner = new FakeRunner(manifest);
      const err = await runSchedule(manifest, runner, { ...request, ...patch }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NestarError);
      expect((err as NestarError).code).toBe('BAD_REQUEST');
      expect((err as NestarError).message).toContain(message);
      expect(runner.calls.length).toBe(0);
    }
  });

  it('never calls a decoder for pixel_patch models', async () => {
    const runner = new FakeRunner(manifest);
    await runSchedule(manifest, runner, request, { onScale: () => undefined });
    expect(runner.decoded.length).toBe(0);
  });

  it('latent: one decoder call per preview for the whole batch, on the expanded sub-grid; the last preview is the image', async () => {
    const latent = parseManifest(makeManifestJson({ grid: 8, layout: 'latent', latentDim: 3 }));
    const runner = new FakeRunner(latent);
    const scales: ScaleProgress[] = [];
    const result = await runSchedule(latent, runner, request, { onScale: (s) => scales.push(s) });
    // 3 scales, 3 decoder calls: the stride-1 preview is reused as the final image, not decoded again.
    expect(runner.calls.filter((c) => c === 'd').length).toBe(3);
    expect(runner.decoded.map((d) => d.batch)).toEqual([2, 2, 2]); // B images, never the guidance-doubled batch
    const n = 64 * 3;
    scales.forEach((s, i) => {
      const fed = runner.decoded[i]!.tokens_BND;
      for (let b = 0; b < 2; b++) expect(fed.subarray(b * n, (b + 1) * n)).toEqual(expandSubgrid(result.tokens[b]!, 8, 3, s.stride));
      expect(s.images.map((im) => im.width)).toEqual([16, 16]);
    });
    expect(result.images[1]!.data).toEqual(scales.at(-1)!.images[1]!.data);
    expect(result.images[1]!.data).not.toBe(scales.at(-1)!.images[1]!.data); // a copy: the preview's buffer may be transferred
    // Pixel (0, 0), red: round((0.5 + 0.25 * token) * 255), clamped.
    const v = Math.min(1, Math.max(0, Math.fround(0.5 + 0.25 * result.tokens[0]![0]!)));
    expect(Math.abs(result.images[0]!.data[0]! - v * 255)).toBeLessThanOrEqual(0.5);
  });

  it('latent with a preview decoder: one preview-decoder call per coarse scale on its sub-grid, one decoder call for the image', async () => {
    const latent = parseManifest(makeManifestJson({ grid: 8, layout: 'latent', latentDim: 3, patch: 2, previewDecoder: true }));
    const runner = new FakeRunner(latent);
    const scales: ScaleProgress[] = [];
    const result = await runSchedule(latent, runner, request, { onScale: (s) => scales.push(s) });
    expect(runner.calls.filter((c) => c === 'p' || c === 'd')).toEqual(['p', 'p', 'd']);
    expect(runner.previewed.map((p) => [p.batch, p.grid])).toEqual([[2, 2], [2, 4]]);
    scales.slice(0, 2).forEach((s, i) => {
      const fed = runner.previewed[i]!.tokens_BggD;
      const n = s.grid * s.grid * 3;
      for (let b = 0; b < 2; b++) expect(fed.subarray(b * n, (b + 1) * n)).toEqual(subGridTokens(result.tokens[b]!, 8, 3, s.stride));
      // A uniform picture stays uniform when scaled to the image's 16 px.
      const v = Math.round(Math.min(1, Math.max(0, 0.25 + 0.5 * fed[0]!)) * 255);
      expect(s.images[0]!.width).toBe(16);
      expect(Math.abs(s.images[0]!.data[16 * 16 * 4 - 4]! - v)).toBeLessThanOrEqual(1);
    });
    expect(result.images[0]!.data).toEqual(scales[2]!.images[0]!.data);
  });

  it('latent: without a scale listener the image is one decoder call', async () => {
    const latent = parseManifest(makeManifestJson({ grid: 8, layout: 'latent', latentDim: 3 }));
    const runner = new FakeRunner(latent);
    const result = await runSchedule(latent, runner, { ...request, batch: 3 });
    expect(runner.decoded.map((d) => [d.batch, d.tokens_BND.length])).toEqual([[3, 3 * 64 * 3]]);
    expect(result.images.length).toBe(3);
  });

  it('stops after any scale with the partial grid, and a continuation with the same seed equals the uninterrupted run', async () => {
    const full = await runSchedule(manifest, new FakeRunner(manifest), request, { onScale: () => undefined });
    expect([full.lastScale, full.complete]).toEqual([3, true]);
    for (const stop of [1, 2]) {
      const runner = new FakeRunner(manifest);
      const scales: ScaleProgress[] = [];
      const partial = await runSchedule(manifest, runner, { ...request, stopAfterScale: stop }, { onScale: (s) => scales.push(s) });
      expect([partial.lastScale, partial.complete]).toEqual([stop, false]);
      expect(scales.map((s) => s.scale)).toEqual(stop === 1 ? [1] : [1, 2]);
      expect(runner.calls.filter((c) => c.startsWith('b')).length).toBe(stop === 1 ? 4 : 7);
      expect(runner.live.size).toBe(0);
      expect(partial.images[0]!.data).toEqual(scales.at(-1)!.images[0]!.data); // the image of a stopped run is its last preview

      const continued = await runSchedule(manifest, new FakeRunner(manifest), { ...request, prefix: { scale: stop, tokens: partial.tokens } }, { onScale: (s) => scales.push(s) });
      expect(continued.tokens).toEqual(full.tokens);
      expect(continued.images.map((i) => i.data)).toEqual(full.images.map((i) => i.data));
      expect(continued.complete).toBe(true);
    }
  });

  it('a prefix: its scales are shown first, only finer steps run, its cells are kept bit for bit (shared or per image)', async () => {
    const source = await runSchedule(manifest, new FakeRunner(manifest), { ...request, batch: 1, seed: 99 });
    const runner = new FakeRunner(manifest);
    const scales: ScaleProgress[] = [];
    const varied = await runSchedule(manifest, runner, { ...request, batch: 3, prefix: { scale: 2, tokens: source.tokens } }, { onScale: (s) => scales.push(s) });
    expect(scales.map((s) => [s.scale, s.stepsDone])).toEqual([
      [1, 7],
      [2, 7],
      [3, 10],
    ]);
    expect(runner.calls.filter((c) => c.startsWith('b'))).toEqual(runner.calls.filter((c) => c.startsWith('b2:')));
    expect(runner.calls.filter((c) => c.startsWith('b')).length).toBe(3);
    const prefix = new Set([0, 4, 32, 36, 2, 6, 34, 38, 16, 20, 48, 52, 18, 22, 50, 54]); // the stride-2 sub-grid of 8x8
    for (const tokens of varied.tokens) {
      for (let cell = 0; cell < 64; cell++) {
        const mine = tokens.subarray(cell * 12, (cell + 1) * 12);
        const theirs = source.tokens[0]!.subarray(cell * 12, (cell + 1) * 12);
        if (prefix.has(cell)) expect(mine).toEqual(theirs);
        else expect(mine).not.toEqual(theirs);
      }
    }
    expect(varied.tokens[0]).not.toEqual(varied.tokens[1]); // seeds seed + b: the finer scales differ per image
  });

  it('resumes mid-module by replaying the prefix steps of that module through the backbone only', async () => {
    // A raster schedule with a 2x2 scale that is complete after cell 10 (step 10 of the one module).
    const json = makeManifestJson({ grid: 4, architecture: 'raster' }) as { scales: object[] };
    json.scales = [{ scale: 1, grid: 2, stride: 2, module: 0, step: 10 }, { scale: 2, grid: 4, stride: 1, module: 0, step: 15 }];
    const raster = parseManifest(json);
    const full = await runSchedule(raster, new FakeRunner(raster), { ...request, batch: 1 });
    const partial = await runSchedule(raster, new FakeRunner(raster), { ...request, batch: 1, stopAfterScale: 1 });
    const runner = new FakeRunner(raster);
    const continued = await runSchedule(raster, runner, { ...request, batch: 1, prefix: { scale: 1, tokens: partial.tokens } });
    expect(runner.calls.filter((c) => c.startsWith('b')).length).toBe(16); // 11 replayed + 5 sampled
    expect(runner.calls.filter((c) => c.startsWith('f')).length).toBe(5 * 3);
    expect(runner.released.map((kv) => kv.length)).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
    expect(continued.tokens).toEqual(full.tokens);
  });

  it('rejects bad prefixes and stop scales with BAD_REQUEST before any network call', async () => {
    const tokens = [new Float32Array(64 * 12)];
    const nan = new Float32Array(64 * 12);
    nan[0] = Number.NaN;
    const cases: [Partial<GenerateRequest>, string][] = [
      [{ prefix: { scale: 3, tokens } }, 'prefix.scale must be one of the model\'s scales below the last (1, 2)'],
      [{ prefix: { scale: 0, tokens } }, 'prefix.scale'],
      [{ prefix: { scale: 1.5, tokens } }, 'prefix.scale'],
      [{ prefix: { scale: 1, tokens: [] } }, 'prefix.tokens must be an array of 1 or batch (2)'],
      [{ prefix: { scale: 1, tokens: [tokens[0]!, tokens[0]!, tokens[0]!] } }, 'prefix.tokens'],
      [{ prefix: { scale: 1, tokens: [new Float32Array(10)] } }, 'prefix.tokens[0] must be a Float32Array of 64x12 = 768 values'],
      [{ prefix: { scale: 1, tokens: [Array.from(tokens[0]!) as unknown as Float32Array] } }, 'prefix.tokens[0]'],
      [{ prefix: { scale: 1, tokens: [nan] } }, 'prefix.tokens[0] has a non-finite value at cell 0'],
      [{ prefix: null as unknown as undefined }, 'prefix must be'],
      [{ stopAfterScale: 4 }, 'stopAfterScale must be one of the model\'s scales from 1 to 3'],
      [{ stopAfterScale: 0 }, 'stopAfterScale'],
      [{ prefix: { scale: 2, tokens }, stopAfterScale: 2 }, 'stopAfterScale must be one of the model\'s scales from 3 to 3 (after prefix.scale)'],
    ];
    for (const [patch, message] of cases) {
      const runner = new FakeRunner(manifest);
      const err = await runSchedule(manifest, runner, { ...request, ...patch }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NestarError);
      expect((err as NestarError).code).toBe('BAD_REQUEST');
      expect((err as NestarError).message).toContain(message);
      expect(runner.calls.length).toBe(0);
    }
  });

  it('runs a raster manifest as data: n steps of one token, one scale', async () => {
    const raster = parseManifest(makeManifestJson({ grid: 4, architecture: 'raster' }));
    const runner = new FakeRunner(raster);
    const scales: ScaleProgress[] = [];
    await runSchedule(raster, runner, { ...request, batch: 1 }, { onScale: (s) => scales.push(s) });
    expect(runner.calls.filter((c) => c.startsWith('b')).length).toBe(16);
    expect(scales.map((s) => s.grid)).toEqual([4]);
  });
});
