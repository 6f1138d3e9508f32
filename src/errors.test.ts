import * as Comlink from 'comlink';
import { MessageChannel } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { NestarError, registerErrorTransfer } from './errors';

describe('errors across a comlink boundary', () => {
  it('keeps NestarError.code, and plain errors stay plain', async () => {
    registerErrorTransfer();
    const api = {
      fail(): void {
        throw new NestarError('BUSY', 'a generation is already running');
      },
      plain(): void {
        throw new TypeError('boom');
      },
    };
    const { port1, port2 } = new MessageChannel();
    // node's MessagePort is close enough to the DOM one for comlink's nodeEndpoint-free use in tests.
    Comlink.expose(api, port1 as unknown as Comlink.Endpoint);
    const remote = Comlink.wrap<typeof api>(port2 as unknown as Comlink.Endpoint);
    try {
      await expect(remote.fail()).rejects.toMatchObject({ name: 'NestarError', code: 'BUSY' });
      const err = await remote.fail().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NestarError);
      const plain = await remote.plain().catch((e: unknown) => e);
      expect(plain).toBeInstanceOf(Error);
      expect(plain).not.toBeInstanceOf(NestarError);
      expect((plain as Error).message).toBe('boom');
    } finally {
      remote[Comlink.releaseProxy]();
      port1.close();
      port2.close();
    }
  });
});
