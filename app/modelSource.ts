/**
 * Which model the page loads and on which backend, from the URL and the static model index.
 *
 * `?model=<id>` picks a folder under models/; without it the `default` of models/index.json is used.
 * `?ep=webgpu|wasm` forces a backend (the runtime fails loudly if it cannot honour it); anything else is `auto`.
 * The URL itself is parsed in urlState.ts (with the image settings a link carries).
 */
import type { BackendRequest } from '../src/types';
import { modelLink, parseUrl, type UrlState } from './urlState';

export interface ModelIndexEntry {
  id: string;
  title: string;
}

export interface ModelIndex {
  default: string;
  models: ModelIndexEntry[];
}

export interface ModelSource {
  id: string;
  /** Absolute folder URL holding manifest.json (the worker resolves URLs against its own script, not the page). */
  baseUrl: string;
  backend: BackendRequest;
  index: ModelIndex | null;
  /** True when the URL named the model (?model=) rather than the index's default. */
  explicit: boolean;
  /** The whole URL as parsed: the image settings of a link and what in it was not understood. */
  url: UrlState;
}

/** Used only when models/index.json cannot be read at all. */
const FALLBACK_MODEL_ID = 'emoji64-nestar';
const MODEL_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

export function modelsRoot(): URL {
  return new URL('models/', document.baseURI);
}

export async function fetchModelIndex(): Promise<ModelIndex | null> {
  try {
    const response = await fetch(new URL('index.json', modelsRoot()), { cache: 'no-cache' });
    if (!response.ok) return null;
    const json = (await response.json()) as Partial<ModelIndex>;
    if (typeof json.default !== 'string' || !Array.isArray(json.models)) return null;
    const models = json.models.filter((m): m is ModelIndexEntry => typeof m?.id === 'string' && typeof m?.title === 'string');
    return { default: json.default, models };
  } catch {
    return null;
  }
}

/** `?ep=` as a backend request: webgpu or wasm when named, otherwise auto. */
export function parseBackend(value: string | null): BackendRequest {
  return value === 'webgpu' || value === 'wasm' ? value : 'auto';
}

/** The folder URL of model `id` under models/. An id that is not a plain folder name is passed through encoded, only
 * to fail as "not found" (never as a path). */
export function modelFolderUrl(id: string): string {
  const safeId = MODEL_ID.test(id) ? id : encodeURIComponent(id);
  return new URL(`${safeId}/`, modelsRoot()).href;
}

export async function resolveModelSource(search: string = window.location.search): Promise<ModelSource> {
  const url = parseUrl(search);
  const index = await fetchModelIndex();
  const requested = url.model;
  const id = requested ?? index?.default ?? FALLBACK_MODEL_ID;
  return { id, baseUrl: modelFolderUrl(id), backend: url.backend, index, explicit: requested !== null, url };
}

/** This page opening model `id` (null: the default one), keeping the backend choice but no image settings. */
export function withModel(id: string | null): string {
  return modelLink(window.location.href, id);
}
