/** The page's client over a real comlink channel (a MessageChannel standing in for the worker): start and dispose. */
import * as Comlink from 'comlink';
import { describe, expect, it } from 'vitest';
import { createNestarClient } from './client';
import type { RuntimeInfo } from './types';
import type { RuntimeOptions } from './workerRuntime';

const info = { backend: null, adapter: null, reason: 'fake runtime', wasmThreads: { count: 1, isolated: false, reason: '' }, model: null } as RuntimeInfo;

/** A fake worker: a runtime exposed on one end of a MessageChannel, recording configure() and info() in order. */
function fakeWorker() {
  const calls: string[] = [];
  const { port1, port2 } = new MessageChannel();
  Comlink.expose(
    {
      configure: (options: RuntimeOptions) => void calls.push(`configure ${options.wasmThreads}`),
      info: () => {
        calls.push('info');
        return info;
      },
    },
    port2,
  );
  let terminated = false;
  const worker = Object.assign(port1, { terminate: () => ((terminated = true), port1.close(), port2.close()) }) as unknown as Worker;
  return { worker, calls, terminated: () => terminated };
}

describe('createNestarClient', () => {
  it('sends configure() first, and no call reaches the worker before startAfter settles', async () => {
    const fake = fakeWorker();
    let open!: () => void;
    const startAfter = new Promise<void>((resolve) => (open = resolve));
    const client = createNestarClient({ worker: fake.worker, wasmThreads: 2, startAfter });
    const pending = client.info();
    await new Promise((r) => setTimeout(r, 20));
    expect(fake.calls).toEqual([]);
    open();
    expect(await pending).toMatchObject({ reason: 'fake runtime' });
    expect(fake.calls).toEqual(['configure 2', 'info']);
    client.dispose();
    expect(fake.terminated()).toBe(true);
  });

  it('a startAfter that fails still starts the runtime (the page works without its service worker)', async () => {
    const fake = fakeWorker();
    const client = createNestarClient({ worker: fake.worker, startAfter: Promise.reject(new Error('no service worker')) });
    expect((await client.info()).reason).toBe('fake runtime');
    client.dispose();
  });

  it('disposed before it started: pending and later calls reject with CANCELLED, and nothing was sent', async () => {
    const fake = fakeWorker();
    const client = createNestarClient({ worker: fake.worker, startAfter: new Promise(() => undefined) });
    const pending = client.info();
    client.dispose();
    await expect(pending).rejects.toMatchObject({ code: 'CANCELLED' });
    await expect(client.info()).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(fake.calls).toEqual([]);
    expect(fake.terminated()).toBe(true);
  });
});
