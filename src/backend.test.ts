import { describe, expect, it } from 'vitest';
import { applyWasmThreads, chooseBackend, chooseWasmThreads, MAX_WASM_THREADS, threadEnvironment, type GpuAdapterLike, type GpuLike } from './backend';

const gpuWith = (adapter: GpuAdapterLike | null): GpuLike => ({ requestAdapter: async () => adapter });
const real: GpuAdapterLike = { info: { vendor: 'nvidia', architecture: 'ampere', isFallbackAdapter: false } };
const swiftshader: GpuAdapterLike = { info: { vendor: 'google', architecture: 'swiftshader', isFallbackAdapter: true } };
const oldFallback: GpuAdapterLike = { info: { vendor: 'google', architecture: '' }, isFallbackAdapter: true };

describe('chooseBackend', () => {
  it('auto: WebGPU on a real GPU, WASM on software adapters or without WebGPU', async () => {
    expect(await chooseBackend('auto', gpuWith(real))).toMatchObject({ backend: 'webgpu', adapter: 'nvidia ampere' });
    expect(await chooseBackend('auto', gpuWith(swiftshader))).toMatchObject({ backend: 'wasm', adapter: 'google swiftshader (fallback)' });
    expect((await chooseBackend('auto', gpuWith(oldFallback))).backend).toBe('wasm');
    expect(await chooseBackend('auto', gpuWith(null))).toMatchObject({ backend: 'wasm', adapter: null });
    expect((await chooseBackend('auto', undefined)).reason).toMatch(/no WebGPU/);
    const failing: GpuLike = { requestAdapter: async () => Promise.reject(new Error('blocked')) };
    expect((await chooseBackend('auto', failing)).reason).toMatch(/blocked/);
  });

  it('auto avoids WebGPU after a lost device', async () => {
    expect(await chooseBackend('auto', gpuWith(real), 'the GPU device was lost')).toMatchObject({ backend: 'wasm', reason: 'WASM: the GPU device was lost' });
  });

  it('overrides are honoured or fail with BACKEND_UNAVAILABLE; forced WebGPU on SwiftShader is allowed', async () => {
    expect((await chooseBackend('wasm', gpuWith(real))).backend).toBe('wasm');
    expect(await chooseBackend('webgpu', gpuWith(swiftshader))).toMatchObject({ backend: 'webgpu', gpuAdapter: swiftshader });
    await expect(chooseBackend('webgpu', gpuWith(null))).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
    await expect(chooseBackend('webgpu', undefined)).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
  });
});

describe('chooseWasmThreads', () => {
  const isolated = (hardwareConcurrency: number | undefined) => ({ crossOriginIsolated: true, hardwareConcurrency });

  it('isolated: half the logical cores, rounded up, capped at MAX_WASM_THREADS', () => {
    expect(MAX_WASM_THREADS).toBe(4);
    expect(chooseWasmThreads(isolated(2))).toEqual({ count: 1, isolated: true, reason: '1 thread: half of 2 logical cores (the page keeps the rest; ?threads=N to change)' });
    expect(chooseWasmThreads(isolated(3)).count).toBe(2);
    expect(chooseWasmThreads(isolated(4)).count).toBe(2);
    expect(chooseWasmThreads(isolated(8)).count).toBe(4);
    expect(chooseWasmThreads(isolated(16))).toMatchObject({ count: 4, reason: expect.stringContaining('half of 16 logical cores, capped at 4') });
    expect(chooseWasmThreads(isolated(4.5)).count).toBe(2);
  });

  it('isolated but one core, or a core count the browser does not give: 1 thread, with why', () => {
    expect(chooseWasmThreads(isolated(1))).toMatchObject({ count: 1, isolated: true, reason: '1 thread: one logical core' });
    for (const cores of [undefined, 0, -2, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(chooseWasmThreads(isolated(cores))).toMatchObject({ count: 1, isolated: true, reason: expect.stringMatching(/unknown/) });
    }
  });

  it('not cross-origin isolated: 1 thread whatever the cores, and the reason names the missing headers', () => {
    for (const cores of [1, 2, 8, undefined]) {
      const t = chooseWasmThreads({ crossOriginIsolated: false, hardwareConcurrency: cores });
      expect(t.count).toBe(1);
      expect(t.isolated).toBe(false);
      expect(t.reason).toMatch(/not cross-origin isolated.*COOP\/COEP/);
    }
  });

  it('a count the page asked for wins over the cores, needs isolation above 1, and must be 1 to 16', () => {
    expect(chooseWasmThreads({ ...isolated(8), requested: 1 })).toMatchObject({ count: 1, reason: expect.stringContaining('asked for') });
    expect(chooseWasmThreads({ ...isolated(2), requested: 3 })).toMatchObject({ count: 3, reason: expect.stringContaining('?threads=3') });
    expect(chooseWasmThreads({ crossOriginIsolated: false, hardwareConcurrency: 8, requested: 4 })).toMatchObject({ count: 1, reason: expect.stringMatching(/not cross-origin isolated/) });
    for (const requested of [0, -1, 1.5, 17, Number.NaN]) {
      expect(() => chooseWasmThreads({ ...isolated(2), requested })).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }));
    }
  });

  it('applyWasmThreads sets ort.env.wasm.numThreads to the chosen count', () => {
    const ort = { env: { wasm: {} as { numThreads?: number } } };
    expect(applyWasmThreads(ort, isolated(8)).count).toBe(4);
    expect(ort.env.wasm.numThreads).toBe(4);
    applyWasmThreads(ort, { crossOriginIsolated: false, hardwareConcurrency: 8 });
    expect(ort.env.wasm.numThreads).toBe(1);
  });

  it('threadEnvironment: Node counts as isolated (SharedArrayBuffer needs no headers there)', () => {
    const env = threadEnvironment();
    expect(env.crossOriginIsolated).toBe(true);
    expect(env.hardwareConcurrency).toBe((globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency);
  });
});
