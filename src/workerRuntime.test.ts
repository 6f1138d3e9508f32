import * as Comlink from 'comlink';
import { describe, expect, it } from 'vitest';
import type { Engine, EngineDeps } from './engine';
import { NestarError } from './errors';
import type { RuntimeInfo } from './types';
import type { BackendRequest } from './types';
import { createWorkerRuntime, type OrtBuild } from './workerRuntime';

const info = { backend: null, adapter: null, reason: 'fake', wasmThreads: { count: 1, isolated: true, reason: '' }, model: null } as RuntimeInfo;

/** Records every engine the runtime creates and with what; `fail` makes creation throw as createEngine does for a bad count. */
function factory(fail = false, hold: Promise<void> = Promise.resolve()) {
  const created: Pick<EngineDeps, 'wasmThreads'>[] = [];
  const builds: OrtBuild[] = [];
  const calls: string[] = [];
  const create = (options: Pick<EngineDeps, 'wasmThreads'>, build: OrtBuild): Engine => {
    created.push(options);
    builds.push(build);
    if (fail) throw new NestarError('BAD_REQUEST', 'refused');
    const n = builds.length;
    return {
      load: async () => {
        calls.push(`load@${n}:${build}`);
        await hold;
        return info;
      },
      generate: async () => { throw new Error('not used'); },
      cancel: () => void calls.push(`cancel@${n}`),
      unload: async () => void calls.push(`unload@${n}`),
      info: async () => info,
      diagnostics: async () => { throw new Error('not used'); },
    };
  };
  return { created, builds, calls, create };
}

/** A backend judge like worker.ts's: WebGPU where asked for or 'auto' with a GPU; no GPU for 'webgpu' is refused. */
function judge(gpu: boolean) {
  return async (backend: BackendRequest): Promise<OrtBuild> => {
    if (backend === 'wasm') return 'wasm';
    if (!gpu && backend === 'webgpu') throw new NestarError('BACKEND_UNAVAILABLE', 'no WebGPU');
    return gpu ? 'webgpu' : 'wasm';
  };
}

/** A stand-in for the comlink proxy of an event callback: counts its release. */
function callback() {
  const fn = Object.assign(() => undefined, { released: 0 });
  (fn as unknown as Record<symbol, () => void>)[Comlink.releaseProxy] = () => void fn.released++;
  return fn;
}

describe('createWorkerRuntime', () => {
  it('creates the engine once, at the first call, with what configure() said', async () => {
    const { created, create } = factory();
    const runtime = createWorkerRuntime(create, judge(false));
    expect(created).toEqual([]);
    runtime.configure({ wasmThreads: 2 });
    await runtime.info();
    await runtime.load({ baseUrl: '/m/' }, callback());
    expect(created).toEqual([{ wasmThreads: 2 }]);
  });

  it('configure() refuses an absurd thread count at once (nothing stored), and any configure() after the first call', async () => {
    const { created, create } = factory();
    const runtime = createWorkerRuntime(create);
    for (const wasmThreads of [0, 17, 1.5]) expect(() => runtime.configure({ wasmThreads })).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }));
    await runtime.info();
    expect(created).toEqual([{ wasmThreads: undefined }]);
    expect(() => runtime.configure({ wasmThreads: 1 })).toThrow(/before its first call/);
  });

  it("starts the engine on the build the first load's backend runs on; swaps a WASM-only one when a load needs WebGPU", async () => {
    const noGpu = factory();
    const plain = createWorkerRuntime(noGpu.create, judge(false));
    await plain.load({ baseUrl: '/m/' }, callback());
    await plain.load({ baseUrl: '/n/', backend: 'wasm' }, callback());
    expect(noGpu.builds).toEqual(['wasm']); // auto without a GPU: the smaller build, kept for the next load
    // Asking for WebGPU where there is none is refused before any engine changes; the loaded one stays.
    await expect(plain.load({ baseUrl: '/m/', backend: 'webgpu' }, callback())).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
    await plain.cancel();
    expect(noGpu.calls).toEqual(['load@1:wasm', 'load@1:wasm', 'cancel@1']);

    const gpu = factory();
    let judged = 0;
    const runtime = createWorkerRuntime(gpu.create, (backend) => (judged++, judge(true)(backend)));
    await runtime.info(); // before any load: an engine on the WASM-only build
    await runtime.load({ baseUrl: '/m/', backend: 'wasm' }, callback());
    await runtime.load({ baseUrl: '/m/' }, callback()); // needs WebGPU: the first engine is unloaded, a WebGPU one made
    await runtime.load({ baseUrl: '/m/', backend: 'wasm' }, callback()); // the WebGPU build runs WASM too: kept
    expect(gpu.builds).toEqual(['wasm', 'webgpu']);
    expect(gpu.calls).toEqual(['load@1:wasm', 'unload@1', 'load@2:webgpu', 'load@2:webgpu']);
    expect(judged).toBe(2); // on the WebGPU build the runtime no longer asks for an adapter: the engine's load does
  });

  it('a load that needs the other build is refused with BUSY while the engine there is still loading', async () => {
    let finish!: () => void;
    const slow = factory(false, new Promise<void>((resolve) => (finish = resolve)));
    const runtime = createWorkerRuntime(slow.create, judge(true));
    const first = runtime.load({ baseUrl: '/m/', backend: 'wasm' }, callback());
    await new Promise((r) => setTimeout(r, 10));
    await expect(runtime.load({ baseUrl: '/m/' }, callback())).rejects.toMatchObject({ code: 'BUSY' });
    finish();
    await first;
    expect(slow.calls).toEqual(['load@1:wasm']); // not unloaded under its load
    await runtime.load({ baseUrl: '/m/' }, callback()); // idle now: the switch goes ahead
    expect(slow.builds).toEqual(['wasm', 'webgpu']);
  });

  it('an engine that cannot be created rejects the call (no synchronous throw) and still releases its callback', async () => {
    const runtime = createWorkerRuntime(factory(true).create);
    const onEvent = callback();
    const load = runtime.load({ baseUrl: '/m/' }, onEvent);
    await expect(load).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    expect(onEvent.released).toBe(1);
    await expect(runtime.info()).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });
});
