import * as Comlink from 'comlink';
import { describe, expect, it } from 'vitest';
import type { Engine, EngineDeps } from './engine';
import { NestarError } from './errors';
import type { RuntimeInfo } from './types';
import { createWorkerRuntime } from './workerRuntime';

const info = { backend: null, adapter: null, reason: 'fake', wasmThreads: { count: 1, isolated: true, reason: '' }, model: null } as RuntimeInfo;

/** Records every engine the runtime creates and with what; `fail` makes creation throw as createEngine does for a bad count. */
function factory(fail = false) {
  const created: Pick<EngineDeps, 'wasmThreads'>[] = [];
  const create = (options: Pick<EngineDeps, 'wasmThreads'>): Engine => {
    created.push(options);
    if (fail) throw new NestarError('BAD_REQUEST', 'refused');
    return {
      load: async () => info,
      generate: async () => { throw new Error('not used'); },
      cancel: () => undefined,
      unload: async () => undefined,
      info: async () => info,
      diagnostics: async () => { throw new Error('not used'); },
    };
  };
  return { created, create };
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
    const runtime = createWorkerRuntime(create);
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

  it('an engine that cannot be created rejects the call (no synchronous throw) and still releases its callback', async () => {
    const runtime = createWorkerRuntime(factory(true).create);
    const onEvent = callback();
    const load = runtime.load({ baseUrl: '/m/' }, onEvent);
    await expect(load).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    expect(onEvent.released).toBe(1);
    await expect(runtime.info()).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });
});
