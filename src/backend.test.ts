import { describe, expect, it } from 'vitest';
import { chooseBackend, type GpuAdapterLike, type GpuLike } from './backend';

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
