/**
 * Getting a model's bytes: manifest.json fresh from the network, every ONNX file from Cache Storage (keyed by its
 * sha256, so a re-exported model never reads stale bytes) or the network with byte progress. Every file, fresh or
 * cached, is checked against the manifest's size and sha256 before anyone parses it.
 * Codes: MODEL_NOT_FOUND (404, network failure), MODEL_CORRUPT (size or hash mismatch; a bad cached copy is
 * evicted, so the next load downloads it again), MANIFEST_INVALID (from manifest.ts).
 */
import { NestarError } from './errors';
import { parseManifest, type Manifest } from './manifest';

export const CACHE_NAME = 'nestar-models-v1';
/** Cache Storage keys must be http(s) URLs; this one is never fetched, it only names the bytes by their hash. */
const CACHE_KEY_BASE = 'https://nestar-model-cache.invalid/sha256/';

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export interface FileProgress {
  file: string;
  loaded: number;
  total: number;
  fromCache: boolean;
}

export interface ModelFetchOptions {
  /** Defaults to globalThis.fetch. */
  fetch?: FetchLike;
  /** Cache Storage; defaults to globalThis.caches where it exists (not in Node), null disables caching. */
  caches?: CacheStorage | null;
  onProgress?: (progress: FileProgress) => void;
  signal?: AbortSignal;
}

/** An absolute folder URL: relative ones resolve against the page (or worker script) location. */
export function resolveBaseUrl(baseUrl: string): string {
  const here = (globalThis as { location?: { href: string } }).location?.href;
  const url = new URL(baseUrl, here);
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return url.href;
}

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** MODEL_CORRUPT unless `bytes` has the manifest's size and sha256. */
export async function verifyBytes(file: string, bytes: Uint8Array, expected: { bytes: number; sha256: string }, where: string): Promise<void> {
  if (bytes.byteLength !== expected.bytes) {
    throw new NestarError('MODEL_CORRUPT', `${file} (${where}) has ${bytes.byteLength} bytes, the manifest says ${expected.bytes}`);
  }
  const hash = await sha256Hex(bytes);
  if (hash !== expected.sha256) {
    throw new NestarError('MODEL_CORRUPT', `${file} (${where}) has sha256 ${hash}, the manifest says ${expected.sha256}`);
  }
}

async function get(fetchImpl: FetchLike, url: string, what: string, init: RequestInit): Promise<Response> {
  let response: Response;
  try {
    response = await fetchImpl(url, init);
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw new NestarError('CANCELLED', `download of ${what} cancelled`);
    throw new NestarError('MODEL_NOT_FOUND', `${what} could not be fetched from ${url}: ${(e as Error).message}`, { cause: e });
  }
  if (!response.ok) {
    throw new NestarError('MODEL_NOT_FOUND', `${what} could not be fetched from ${url}: HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`);
  }
  return response;
}

/** Fetches and validates `<baseUrl>manifest.json`, bypassing the HTTP cache so that file hashes are always current. */
export async function fetchManifest(baseUrl: string, options: Pick<ModelFetchOptions, 'fetch' | 'signal'> = {}): Promise<Manifest> {
  const fetchImpl = options.fetch ?? ((input, init) => fetch(input, init));
  const url = new URL('manifest.json', resolveBaseUrl(baseUrl)).href;
  const response = await get(fetchImpl, url, 'manifest.json', { cache: 'no-cache', signal: options.signal ?? null });
  let text: string;
  try {
    text = await response.text();
  } catch (e) {
    throw new NestarError('MODEL_NOT_FOUND', `manifest.json could not be read from ${url}: ${(e as Error).message}`, { cause: e });
  }
  return parseManifest(text);
}

/** Reads a body into exactly `total` bytes, reporting progress; a longer body is MODEL_CORRUPT at once. */
async function readBody(response: Response, file: string, total: number, onProgress: (loaded: number) => void): Promise<Uint8Array> {
  const out = new Uint8Array(total);
  if (!response.body) {
    const all = new Uint8Array(await response.arrayBuffer());
    if (all.byteLength !== total) throw new NestarError('MODEL_CORRUPT', `${file} (download) has ${all.byteLength} bytes, the manifest says ${total}`);
    onProgress(total);
    return all;
  }
  const reader = response.body.getReader();
  let loaded = 0;
  let lastReport = 0;
  for (;;) {
    let chunk: ReadableStreamReadResult<Uint8Array>;
    try {
      chunk = await reader.read();
    } catch (e) {
      if ((e as Error).name === 'AbortError') throw new NestarError('CANCELLED', `download of ${file} cancelled`);
      throw new NestarError('MODEL_NOT_FOUND', `${file}: the download broke off after ${loaded} bytes: ${(e as Error).message}`, { cause: e });
    }
    if (chunk.done) break;
    if (loaded + chunk.value.byteLength > total) {
      await reader.cancel().catch(() => undefined);
      throw new NestarError('MODEL_CORRUPT', `${file} (download) is longer than the manifest's ${total} bytes`);
    }
    out.set(chunk.value, loaded);
    loaded += chunk.value.byteLength;
    // Progress crosses the worker boundary: report about every 1% rather than every chunk.
    if (loaded - lastReport >= total / 100) {
      lastReport = loaded;
      onProgress(loaded);
    }
  }
  if (loaded !== total) throw new NestarError('MODEL_CORRUPT', `${file} (download) has ${loaded} bytes, the manifest says ${total}`);
  if (lastReport !== loaded) onProgress(loaded);
  return out;
}

function defaultCaches(): CacheStorage | null {
  return (globalThis as { caches?: CacheStorage }).caches ?? null;
}

/**
 * The verified bytes of one manifest file: from Cache Storage when a copy with this sha256 is there, else from
 * `<baseUrl><file>` (then stored). Progress reports `fromCache` so the page can say "cached".
 */
export async function fetchModelFile(baseUrl: string, manifest: Manifest, file: string, options: ModelFetchOptions = {}): Promise<Uint8Array> {
  const expected = manifest.files[file];
  if (!expected) throw new NestarError('MANIFEST_INVALID', `manifest.json: files has no entry for ${file}`);
  const fetchImpl = options.fetch ?? ((input, init) => fetch(input, init));
  const report = (loaded: number, fromCache: boolean): void => options.onProgress?.({ file, loaded, total: expected.bytes, fromCache });
  const key = CACHE_KEY_BASE + expected.sha256;

  let cache: Cache | null = null;
  try {
    const storage = options.caches === undefined ? defaultCaches() : options.caches;
    cache = storage ? await storage.open(CACHE_NAME) : null;
  } catch {
    cache = null; // e.g. opaque origins and some private modes refuse Cache Storage: download every time
  }
  const cached = cache ? await cache.match(key).catch(() => undefined) : undefined;
  if (cache && cached) {
    const bytes = new Uint8Array(await cached.arrayBuffer());
    try {
      await verifyBytes(file, bytes, expected, 'cached copy');
    } catch (e) {
      await cache.delete(key).catch(() => false);
      throw e;
    }
    report(bytes.byteLength, true);
    return bytes;
  }

  report(0, false);
  const url = new URL(file, resolveBaseUrl(baseUrl)).href;
  const response = await get(fetchImpl, url, file, { signal: options.signal ?? null });
  const bytes = await readBody(response, file, expected.bytes, (loaded) => report(loaded, false));
  await verifyBytes(file, bytes, expected, 'download');
  if (cache) {
    // Quota errors only cost the next visit a download.
    await cache.put(key, new Response(bytes.slice(), { headers: { 'content-type': 'application/octet-stream' } })).catch(() => undefined);
  }
  return bytes;
}
