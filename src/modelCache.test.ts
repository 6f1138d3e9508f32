import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseManifest } from './manifest';
import { fetchManifest, fetchModelFile, type FileProgress } from './modelCache';
import { makeManifestJson } from './testManifest';

const BASE = 'https://example.test/models/tiny/';
const fileBytes = new Uint8Array(300_000).map((_, i) => (i * 7) % 251);
/** Byte equality without vitest's element-by-element deep compare (slow on 300 KB). */
const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b));
const sha = createHash('sha256').update(fileBytes).digest('hex');

function manifestJson(): Record<string, unknown> {
  const m = makeManifestJson({ grid: 4 }) as { files: Record<string, { bytes: number; sha256: string }> };
  for (const name of Object.keys(m.files)) m.files[name] = { bytes: fileBytes.byteLength, sha256: sha };
  return m;
}

/** A fetch over an in-memory folder that streams bodies in 64 KiB chunks. */
function fakeFetch(files: Record<string, Uint8Array | string>): { fetch: (url: string) => Promise<Response>; requests: string[] } {
  const requests: string[] = [];
  return {
    requests,
    fetch: async (url: string) => {
      requests.push(url);
      if (url.startsWith('https://down.test/')) throw new TypeError('fetch failed');
      const body = url.startsWith(BASE) ? files[url.slice(BASE.length)] : undefined;
      if (body === undefined) return new Response('not here', { status: 404, statusText: 'Not Found' });
      const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body;
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          for (let i = 0; i < bytes.byteLength; i += 65536) controller.enqueue(bytes.slice(i, i + 65536));
          controller.close();
        },
      });
      return new Response(stream, { status: 200 });
    },
  };
}

/** Just enough of CacheStorage for modelCache.ts. */
function fakeCaches(): CacheStorage & { store: Map<string, Uint8Array> } {
  const store = new Map<string, Uint8Array>();
  const cache = {
    match: async (key: string) => (store.has(key) ? new Response(store.get(key)!.slice()) : undefined),
    put: async (key: string, response: Response) => void store.set(key, new Uint8Array(await response.arrayBuffer())),
    delete: async (key: string) => store.delete(key),
  };
  return { store, open: async () => cache } as unknown as CacheStorage & { store: Map<string, Uint8Array> };
}

describe('modelCache', () => {
  const manifest = parseManifest(manifestJson());
  const file = manifest.modules[0]!.backbone;

  it('fetches the manifest and maps 404 / network failures to MODEL_NOT_FOUND', async () => {
    const { fetch } = fakeFetch({ 'manifest.json': JSON.stringify(manifestJson()) });
    expect((await fetchManifest(BASE, { fetch })).id).toBe('test-nestar');
    await expect(fetchManifest('https://example.test/models/none/', { fetch })).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND' });
    await expect(fetchManifest('https://down.test/x/', { fetch })).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND' });
    const bad = fakeFetch({ 'manifest.json': '{"format": 1' });
    await expect(fetchManifest(BASE, { fetch: bad.fetch })).rejects.toMatchObject({ code: 'MANIFEST_INVALID' });
  });

  it('downloads with byte progress, verifies, caches by sha256, then serves the cache', async () => {
    const { fetch, requests } = fakeFetch({ [file]: fileBytes });
    const caches = fakeCaches();
    const progress: FileProgress[] = [];
    const bytes = await fetchModelFile(BASE, manifest, file, { fetch, caches, onProgress: (p) => progress.push(p) });
    expect(same(bytes, fileBytes)).toBe(true);
    expect(progress[0]).toEqual({ file, loaded: 0, total: 300_000, fromCache: false });
    expect(progress.at(-1)).toEqual({ file, loaded: 300_000, total: 300_000, fromCache: false });
    expect(progress.length).toBeGreaterThan(3);
    expect([...caches.store.keys()][0]).toContain(sha);

    const again: FileProgress[] = [];
    expect(same(await fetchModelFile(BASE, manifest, file, { fetch, caches, onProgress: (p) => again.push(p) }), fileBytes)).toBe(true);
    expect(again).toEqual([{ file, loaded: 300_000, total: 300_000, fromCache: true }]);
    expect(requests.length).toBe(1);
  });

  it('refuses corrupt downloads and corrupt cached copies (evicting them)', async () => {
    const flipped = fileBytes.slice();
    flipped[1000] = flipped[1000]! ^ 1;
    const corrupt = fakeFetch({ [file]: flipped });
    await expect(fetchModelFile(BASE, manifest, file, { fetch: corrupt.fetch, caches: null })).rejects.toMatchObject({ code: 'MODEL_CORRUPT' });
    const short = fakeFetch({ [file]: fileBytes.slice(0, 1000) });
    await expect(fetchModelFile(BASE, manifest, file, { fetch: short.fetch, caches: null })).rejects.toMatchObject({ code: 'MODEL_CORRUPT' });
    const long = fakeFetch({ [file]: new Uint8Array(400_000) });
    await expect(fetchModelFile(BASE, manifest, file, { fetch: long.fetch, caches: null })).rejects.toMatchObject({ code: 'MODEL_CORRUPT' });

    const caches = fakeCaches();
    caches.store.set(`https://nestar-model-cache.invalid/sha256/${sha}`, flipped);
    const good = fakeFetch({ [file]: fileBytes });
    await expect(fetchModelFile(BASE, manifest, file, { fetch: good.fetch, caches })).rejects.toMatchObject({ code: 'MODEL_CORRUPT' });
    expect(caches.store.size).toBe(0);
    expect(same(await fetchModelFile(BASE, manifest, file, { fetch: good.fetch, caches }), fileBytes)).toBe(true);
  });

  it('maps a missing file to MODEL_NOT_FOUND', async () => {
    const { fetch } = fakeFetch({});
    await expect(fetchModelFile(BASE, manifest, file, { fetch, caches: null })).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND', message: expect.stringContaining('404') });
  });
});
