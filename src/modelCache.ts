/**
 * Getting a model's bytes: manifest.json fresh from the network, every ONNX file from Cache Storage (keyed by its
 * sha256, so a re-exported model never reads stale bytes) or the network with byte progress. Every file, fresh or
 * cached, is checked against the manifest's size and sha256 before anyone parses it.
 * Codes: MODEL_NOT_FOUND (404), NETWORK (no connection, 5xx, a download that broke off: worth a retry),
 * MODEL_CORRUPT (size or hash mismatch; a bad cached copy is evicted, so the next load downloads it again),
 * MANIFEST_INVALID (from manifest.ts), CANCELLED (the signal).
 *
 * Only verified bytes are ever stored, so a fault mid-download leaves no entry behind. An entry's key names its
 * sha256, model and file; `listCachedModels` / `deleteCachedModel` are the page's cache manager, and
 * `pruneOldVersions` drops a model's entries that its current manifest no longer lists (a new version replaces the
 * old one). `cacheStatus` says whether a loaded model is kept (Cache Storage may be missing or full: the model then
 * runs from memory and is downloaded again next time).
 */
import { NestarError } from './errors';
import { parseManifest, type Manifest } from './manifest';

export const CACHE_NAME = 'nestar-models-v1';
/** Cache Storage keys must be http(s) URLs; this one is never fetched, it only names the bytes by their hash. */
const CACHE_KEY_BASE = 'https://nestar-model-cache.invalid/sha256/';
/** The manifest text itself, per model folder: the last one verified, used when the network is gone (offline). */
const MANIFEST_KEY_BASE = 'https://nestar-model-cache.invalid/manifest/';
/** manifest.json larger than this is refused before parsing (a real one is tens of KB). */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
/** No single model file may claim more than this (1 GiB): a bigger `bytes` is a lie, not a download to start. */
export const MAX_FILE_BYTES = 1024 * 1024 * 1024;

/** The cache key of one model file: by sha256 (so stale bytes are never read), with the model and file it belongs to. */
export function cacheKey(modelId: string, file: string, sha256: string): string {
  return `${CACHE_KEY_BASE}${sha256}?model=${encodeURIComponent(modelId)}&file=${encodeURIComponent(file)}`;
}

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

function isAbort(e: unknown, signal: AbortSignal | null | undefined): boolean {
  return (e as Error)?.name === 'AbortError' || signal?.aborted === true;
}

async function get(fetchImpl: FetchLike, url: string, what: string, init: RequestInit): Promise<Response> {
  let response: Response;
  try {
    response = await fetchImpl(url, init);
  } catch (e) {
    if (isAbort(e, init.signal)) throw new NestarError('CANCELLED', `download of ${what} cancelled`);
    throw new NestarError('NETWORK', `${what} could not be fetched from ${url} (no connection to the server?): ${(e as Error).message}`, { cause: e });
  }
  if (!response.ok) {
    const status = `HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`;
    // 404/410: the file is not there. Anything else (5xx, 429, ...) is the server's trouble and may pass.
    const code = response.status === 404 || response.status === 410 ? 'MODEL_NOT_FOUND' : 'NETWORK';
    throw new NestarError(code, `${what} could not be fetched from ${url}: ${status}`);
  }
  return response;
}

/**
 * Fetches and validates `<baseUrl>manifest.json`, bypassing the HTTP cache so that file hashes are always current.
 * With Cache Storage, the last valid manifest of the folder is kept, and used when the server cannot be reached
 * (NETWORK): offline, the model still loads from its cached files.
 */
export async function fetchManifest(baseUrl: string, options: Pick<ModelFetchOptions, 'fetch' | 'signal' | 'caches'> = {}): Promise<Manifest> {
  const fetchImpl = options.fetch ?? ((input, init) => fetch(input, init));
  const url = new URL('manifest.json', resolveBaseUrl(baseUrl)).href;
  const cache = await openCache(options.caches);
  let text: string;
  try {
    const response = await get(fetchImpl, url, 'manifest.json', { cache: 'no-cache', signal: options.signal ?? null });
    const declared = Number(response.headers.get('content-length') ?? 0);
    if (declared > MAX_MANIFEST_BYTES) throw new NestarError('MANIFEST_INVALID', `manifest.json is ${declared} bytes; more than ${MAX_MANIFEST_BYTES} is not a manifest`);
    try {
      text = await response.text();
    } catch (e) {
      if (isAbort(e, options.signal)) throw new NestarError('CANCELLED', 'download of manifest.json cancelled');
      throw new NestarError('NETWORK', `manifest.json could not be read from ${url}: ${(e as Error).message}`, { cause: e });
    }
  } catch (e) {
    const offline = e instanceof NestarError && e.code === 'NETWORK' && cache ? await keptManifest(cache, url) : undefined;
    if (!offline) throw e;
    text = await offline.text();
  }
  if (text.length > MAX_MANIFEST_BYTES) throw new NestarError('MANIFEST_INVALID', `manifest.json is ${text.length} characters; more than ${MAX_MANIFEST_BYTES} is not a manifest`);
  const manifest = parseManifest(text);
  for (const [file, { bytes }] of Object.entries(manifest.files)) {
    if (bytes > MAX_FILE_BYTES) throw new NestarError('MANIFEST_INVALID', `manifest.json: files["${file}"].bytes is ${bytes}, more than the ${MAX_FILE_BYTES} bytes a model file may have here`);
  }
  if (cache) {
    const key = `${MANIFEST_KEY_BASE}${encodeURIComponent(manifest.id)}?url=${encodeURIComponent(url)}`;
    await cache.put(key, new Response(text, { headers: { 'content-type': 'application/json' } })).catch(() => undefined);
  }
  return manifest;
}

/** The kept manifest of the folder at `url` (keys: MANIFEST_KEY_BASE + model id + ?url=). */
async function keptManifest(cache: Cache, url: string): Promise<Response | undefined> {
  try {
    const key = (await cache.keys()).find((r) => r.url.startsWith(MANIFEST_KEY_BASE) && new URL(r.url).searchParams.get('url') === url);
    return key ? await cache.match(key) : undefined;
  } catch {
    return undefined;
  }
}

async function openCache(caches: CacheStorage | null | undefined): Promise<Cache | null> {
  try {
    const storage = caches === undefined ? defaultCaches() : caches;
    return storage ? await storage.open(CACHE_NAME) : null;
  } catch {
    return null; // e.g. opaque origins, blocked site data and some private modes refuse Cache Storage
  }
}

/** Reads a body into exactly `total` bytes, reporting progress; a longer body is MODEL_CORRUPT at once. */
async function readBody(response: Response, file: string, total: number, onProgress: (loaded: number) => void, signal?: AbortSignal): Promise<Uint8Array> {
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
      if (isAbort(e, signal)) throw new NestarError('CANCELLED', `download of ${file} cancelled`);
      throw new NestarError('NETWORK', `${file}: the download broke off after ${loaded} of ${total} bytes: ${(e as Error).message}`, { cause: e });
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
  if (loaded !== total) throw new NestarError('MODEL_CORRUPT', `${file} (download) ended after ${loaded} bytes, the manifest says ${total}: the file on the server is incomplete`);
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
  const key = cacheKey(manifest.id, file, expected.sha256);
  const cache = await openCache(options.caches);
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
  const bytes = await readBody(response, file, expected.bytes, (loaded) => report(loaded, false), options.signal);
  await verifyBytes(file, bytes, expected, 'download');
  if (cache) {
    // Quota errors only cost the next visit a download (cacheStatus tells the page).
    await cache
      .put(key, new Response(bytes.slice(), { headers: { 'content-type': 'application/octet-stream', 'content-length': String(bytes.byteLength) } }))
      .catch(() => undefined);
  }
  return bytes;
}

// ---- the cache manager ----

export interface CachedFile {
  file: string;
  sha256: string;
  bytes: number;
}

export interface CachedModel {
  /** null for entries an older version of this page stored without naming their model. */
  modelId: string | null;
  files: CachedFile[];
  bytes: number;
}

function parseKey(url: string): { modelId: string | null; file: string; sha256: string } | null {
  if (!url.startsWith(CACHE_KEY_BASE)) return null;
  const parsed = new URL(url);
  const sha256 = parsed.pathname.split('/').at(-1) ?? '';
  return { modelId: parsed.searchParams.get('model'), file: parsed.searchParams.get('file') ?? sha256.slice(0, 12), sha256 };
}

/** Every model with files in Cache Storage, with their sizes; [] when Cache Storage is missing or refused. */
export async function listCachedModels(caches?: CacheStorage | null): Promise<CachedModel[]> {
  const cache = await openCache(caches);
  if (!cache) return [];
  const models = new Map<string | null, CachedModel>();
  for (const request of await cache.keys()) {
    const key = parseKey(request.url);
    if (!key) continue;
    const response = await cache.match(request);
    const declared = Number(response?.headers.get('content-length') ?? NaN);
    const bytes = Number.isFinite(declared) ? declared : ((await response?.arrayBuffer())?.byteLength ?? 0);
    const model = models.get(key.modelId) ?? { modelId: key.modelId, files: [], bytes: 0 };
    model.files.push({ file: key.file, sha256: key.sha256, bytes });
    model.bytes += bytes;
    models.set(key.modelId, model);
  }
  return [...models.values()].sort((a, b) => (a.modelId ?? '\uffff').localeCompare(b.modelId ?? '\uffff'));
}

/** Deletes every cached file of `modelId` (null: the unnamed older entries) and its kept manifest; returns how many files. */
export async function deleteCachedModel(modelId: string | null, caches?: CacheStorage | null): Promise<number> {
  const cache = await openCache(caches);
  if (!cache) return 0;
  let deleted = 0;
  const manifestPrefix = modelId === null ? null : `${MANIFEST_KEY_BASE}${encodeURIComponent(modelId)}?`;
  for (const request of await cache.keys()) {
    const key = parseKey(request.url);
    if (key && key.modelId === modelId && (await cache.delete(request))) deleted++;
    else if (manifestPrefix && request.url.startsWith(manifestPrefix)) await cache.delete(request);
  }
  return deleted;
}

/** Deletes the entries of `manifest.id` whose sha256 the manifest no longer lists: a new version replaces the old. */
export async function pruneOldVersions(manifest: Manifest, caches?: CacheStorage | null): Promise<string[]> {
  const cache = await openCache(caches);
  if (!cache) return [];
  const current = new Set(Object.values(manifest.files).map((f) => f.sha256));
  const removed: string[] = [];
  for (const request of await cache.keys()) {
    const key = parseKey(request.url);
    if (key && key.modelId === manifest.id && !current.has(key.sha256) && (await cache.delete(request))) removed.push(`${key.file} ${key.sha256.slice(0, 12)}`);
  }
  return removed;
}

export interface CacheStatus {
  /** Whether Cache Storage can be used at all on this page. */
  available: boolean;
  /** Files of the model that are stored (and so survive a reload or going offline). */
  storedFiles: number;
  totalFiles: number;
}

/** Whether the files of a loaded model are in Cache Storage (by the sha256 the model reports). */
export async function cacheStatus(modelId: string, files: { name: string; sha256: string }[], caches?: CacheStorage | null): Promise<CacheStatus> {
  const cache = await openCache(caches);
  if (!cache) return { available: false, storedFiles: 0, totalFiles: files.length };
  let storedFiles = 0;
  for (const f of files) if (await cache.match(cacheKey(modelId, f.name, f.sha256)).catch(() => undefined)) storedFiles++;
  return { available: true, storedFiles, totalFiles: files.length };
}
