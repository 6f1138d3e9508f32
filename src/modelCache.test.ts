import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseManifest } from './manifest';
import { cacheKey, cacheStatus, deleteCachedModel, fetchManifest, fetchModelFile, listCachedModels, pruneOldVersions, type FileProgress } from './modelCache';
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
      if (url.startsWith('https://broken.test/')) return new Response('oops', { status: 500, statusText: 'Internal Server Error' });
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
  const url = (key: string | Request): string => (typeof key === 'string' ? key : key.url);
  const cache = {
    match: async (key: string | Request) => (store.has(url(key)) ? new Response(store.get(url(key))!.slice(), { headers: { 'content-length': String(store.get(url(key))!.byteLength) } }) : undefined),
    put: async (key: string, response: Response) => void store.set(key, new Uint8Array(await response.arrayBuffer())),
    delete: async (key: string | Request) => store.delete(url(key)),
    keys: async () => [...store.keys()].map((k) => new Request(k)),
  };
  return { store, open: async () => cache } as unknown as CacheStorage & { store: Map<string, Uint8Array> };
}

describe('modelCache', () => {
  const manifest = parseManifest(manifestJson());
  const file = manifest.modules[0]!.backbone;

  it('fetches the manifest and maps 404 to MODEL_NOT_FOUND, no connection and 5xx to NETWORK', async () => {
    const { fetch } = fakeFetch({ 'manifest.json': JSON.stringify(manifestJson()) });
    expect((await fetchManifest(BASE, { fetch })).id).toBe('test-nestar');
    await expect(fetchManifest('https://example.test/models/none/', { fetch })).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND' });
    await expect(fetchManifest('https://down.test/x/', { fetch })).rejects.toMatchObject({ code: 'NETWORK' });
    await expect(fetchManifest('https://broken.test/x/', { fetch })).rejects.toMatchObject({ code: 'NETWORK', message: expect.stringContaining('HTTP 500') });
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
    caches.store.set(cacheKey(manifest.id, file, sha), flipped);
    const good = fakeFetch({ [file]: fileBytes });
    await expect(fetchModelFile(BASE, manifest, file, { fetch: good.fetch, caches })).rejects.toMatchObject({ code: 'MODEL_CORRUPT' });
    expect(caches.store.size).toBe(0);
    expect(same(await fetchModelFile(BASE, manifest, file, { fetch: good.fetch, caches }), fileBytes)).toBe(true);
  });

  it('maps a missing file to MODEL_NOT_FOUND', async () => {
    const { fetch } = fakeFetch({});
    await expect(fetchModelFile(BASE, manifest, file, { fetch, caches: null })).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND', message: expect.stringContaining('404') });
  });

  it('keeps the last manifest for offline loads, refuses absurd sizes', async () => {
    const caches = fakeCaches();
    const online = fakeFetch({ 'manifest.json': JSON.stringify(manifestJson()) });
    await fetchManifest(BASE, { fetch: online.fetch, caches });
    const offline = async (): Promise<Response> => {
      throw new TypeError('Failed to fetch');
    };
    expect((await fetchManifest(BASE, { fetch: offline, caches })).id).toBe('test-nestar');
    await expect(fetchManifest(BASE, { fetch: offline, caches: fakeCaches() })).rejects.toMatchObject({ code: 'NETWORK' });
    const huge = manifestJson() as { files: Record<string, { bytes: number }> };
    huge.files[file]!.bytes = 1e15;
    await expect(fetchManifest(BASE, { fetch: fakeFetch({ 'manifest.json': JSON.stringify(huge) }).fetch })).rejects.toMatchObject({ code: 'MANIFEST_INVALID' });
    const long = { ...manifestJson(), description: 'x'.repeat(5 * 1024 * 1024) };
    await expect(fetchManifest(BASE, { fetch: fakeFetch({ 'manifest.json': JSON.stringify(long) }).fetch })).rejects.toMatchObject({ code: 'MANIFEST_INVALID' });
  });

  it('lists cached models with sizes, deletes them, prunes an older version, and says whether a model is kept', async () => {
    const caches = fakeCaches();
    const { fetch } = fakeFetch({ [file]: fileBytes });
    await fetchModelFile(BASE, manifest, file, { fetch, caches });
    caches.store.set(cacheKey(manifest.id, 'old.onnx', 'f'.repeat(64)), new Uint8Array(10));
    caches.store.set(cacheKey('other-model', file, sha), new Uint8Array(20));
    expect(await listCachedModels(caches)).toEqual([
      { modelId: 'other-model', files: [{ file, sha256: sha, bytes: 20 }], bytes: 20 },
      { modelId: manifest.id, files: [{ file, sha256: sha, bytes: 300_000 }, { file: 'old.onnx', sha256: 'f'.repeat(64), bytes: 10 }], bytes: 300_010 },
    ]);
    expect(await pruneOldVersions(manifest, caches)).toEqual([`old.onnx ${'f'.repeat(12)}`]);
    const files = [{ name: file, sha256: sha }];
    expect(await cacheStatus(manifest.id, files, caches)).toEqual({ available: true, storedFiles: 1, totalFiles: 1 });
    expect(await deleteCachedModel(manifest.id, caches)).toBe(1);
    expect((await listCachedModels(caches)).map((m) => m.modelId)).toEqual(['other-model']);
    expect(await cacheStatus(manifest.id, files, caches)).toEqual({ available: true, storedFiles: 0, totalFiles: 1 });
    expect(await cacheStatus(manifest.id, files, null)).toEqual({ available: false, storedFiles: 0, totalFiles: 1 });
    const refusing = { open: async () => Promise.reject(new DOMException('blocked', 'SecurityError')) } as unknown as CacheStorage;
    expect(await listCachedModels(refusing)).toEqual([]);
    expect(same(await fetchModelFile(BASE, manifest, file, { fetch, caches: refusing }), fileBytes)).toBe(true);
  });
});
