/**
 * The one place that picks where the model runs (DESIGN.md section 4), and with how many WASM threads:
 * - `auto`: WebGPU when the adapter is a real GPU; WASM when there is no adapter or only a software one
 *   (SwiftShader is 30-50x slower than WASM, RECIPES.md).
 * - `webgpu` / `wasm`: honoured or BACKEND_UNAVAILABLE, never silently downgraded. A forced `webgpu` on a software
 *   adapter is honoured: it is a real WebGPU implementation, and the browser tests use it.
 */
import { NestarError } from './errors';
import type { Backend, BackendRequest, WasmThreads } from './types';

// The few WebGPU shapes used here (TypeScript's DOM/WebWorker libs do not ship WebGPU types).
export interface GpuAdapterInfoLike {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}
export interface GpuAdapterLike {
  info?: GpuAdapterInfoLike;
  /** Older Chromium exposed this on the adapter itself. */
  isFallbackAdapter?: boolean;
}
export interface GpuLike {
  requestAdapter(options?: { powerPreference?: 'high-performance' | 'low-power' }): Promise<GpuAdapterLike | null>;
}

export interface BackendChoice {
  backend: Backend;
  /** e.g. "nvidia ampere" or "google swiftshader (fallback)"; null without an adapter. */
  adapter: string | null;
  /** Why this backend, for display. */
  reason: string;
  /** The adapter to hand to onnxruntime (ort.env.webgpu.adapter) so it runs on the one judged here. */
  gpuAdapter: GpuAdapterLike | null;
}

export function navigatorGpu(): GpuLike | undefined {
  return (globalThis as { navigator?: { gpu?: GpuLike } }).navigator?.gpu;
}

function isSoftware(adapter: GpuAdapterLike): boolean {
  const info = adapter.info ?? {};
  return Boolean(info.isFallbackAdapter || adapter.isFallbackAdapter) || /swiftshader/i.test(`${info.architecture ?? ''} ${info.description ?? ''}`);
}

export function describeAdapter(adapter: GpuAdapterLike): string {
  const info = adapter.info ?? {};
  const name = [info.vendor, info.architecture].filter((s) => s && s.length > 0).join(' ') || info.description || 'unknown adapter';
  return isSoftware(adapter) ? `${name} (fallback)` : name;
}

/**
 * Chooses the backend for `request`. `gpu` defaults to navigator.gpu; `avoidWebGpu` (set after a lost device)
 * makes `auto` pick WASM so the next load does not fall into the same hole.
 */
export async function chooseBackend(
  request: BackendRequest = 'auto',
  gpu: GpuLike | undefined = navigatorGpu(),
  avoidWebGpu: string | null = null,
): Promise<BackendChoice> {
  let adapter: GpuAdapterLike | null = null;
  let probeError = '';
  if (gpu) {
    try {
      adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
    } catch (e) {
      probeError = `: ${(e as Error).message}`;
    }
  }
  const described = adapter ? describeAdapter(adapter) : null;
  const noAdapter = !gpu ? 'this browser has no WebGPU (navigator.gpu is missing)' : `WebGPU gave no adapter${probeError}`;

  if (request === 'wasm') return { backend: 'wasm', adapter: described, reason: 'WASM requested', gpuAdapter: null };
  if (request === 'webgpu') {
    if (!adapter) throw new NestarError('BACKEND_UNAVAILABLE', `WebGPU was requested, but ${noAdapter}`);
    const reason = isSoftware(adapter) ? `WebGPU requested; the adapter is software (${described})` : `WebGPU requested (${described})`;
    return { backend: 'webgpu', adapter: described, reason, gpuAdapter: adapter };
  }
  if (!adapter) return { backend: 'wasm', adapter: null, reason: `WASM: ${noAdapter}`, gpuAdapter: null };
  if (isSoftware(adapter)) {
    return { backend: 'wasm', adapter: described, reason: `WASM: the only WebGPU adapter is software (${described}), slower than WASM`, gpuAdapter: null };
  }
  if (avoidWebGpu) return { backend: 'wasm', adapter: described, reason: `WASM: ${avoidWebGpu}`, gpuAdapter: null };
  return { backend: 'webgpu', adapter: described, reason: `WebGPU on a real GPU (${described})`, gpuAdapter: adapter };
}

/**
 * onnxruntime-web's WASM thread pool gets half the logical cores (rounded up, as onnxruntime's own default), at most
 * 4. The other half is the page's: its main thread paints the previews while the worker runs, and every parallel
 * op of the pool waits for its slowest thread, so a pool that takes every core stalls whenever the page or the
 * browser needs one. Measured in Chromium on 2 cores (`npm run bench:threads -- --in=page`, bench/README.md):
 * 2 threads ran at 0.64x the speed of 1 at n = 64, batch 1, and 1.02x at n = 256, batch 8 (in Node, where
 * nothing else runs, 1.72x). More than 4 threads buys little on models this small (each session call is a few
 * ms). `?threads=N` overrides it.
 */
export const MAX_WASM_THREADS = 4;

/** What the thread count depends on; `threadEnvironment()` reads it from the running context. */
export interface ThreadEnvironment {
  /**
   * Threads need SharedArrayBuffer, which a browser grants only to a cross-origin isolated context (COOP
   * `same-origin` + COEP `require-corp` on the page and its worker; README "Hosting"). Node has it without headers.
   */
  crossOriginIsolated: boolean;
  /** navigator.hardwareConcurrency (logical cores); undefined where there is no navigator (Node 20). */
  hardwareConcurrency: number | undefined;
  /** A count the page asked for (`?threads=N`, NestarClientOptions.wasmThreads); undefined: decide from the cores. */
  requested?: number;
}

/** The most threads a page may ask for: a sanity cap (not measured; models this small gain nothing near it). */
export const MAX_REQUESTED_WASM_THREADS = 16;

/** The running context's environment; `requested`: the count the page asked for, if any. */
export function threadEnvironment(requested?: number): ThreadEnvironment {
  const g = globalThis as { crossOriginIsolated?: boolean; navigator?: { hardwareConcurrency?: number }; process?: { versions?: { node?: string } } };
  const node = typeof g.process?.versions?.node === 'string';
  return { crossOriginIsolated: g.crossOriginIsolated ?? node, hardwareConcurrency: g.navigator?.hardwareConcurrency, requested };
}

/**
 * The WASM thread count for `env`, with why: the count asked for, or min(ceil(cores / 2), MAX_WASM_THREADS), when
 * the page is cross-origin isolated; otherwise 1.
 */
export function chooseWasmThreads(env: ThreadEnvironment = threadEnvironment()): WasmThreads {
  const { crossOriginIsolated: isolated, hardwareConcurrency: cores, requested } = env;
  if (requested !== undefined && (!Number.isInteger(requested) || requested < 1 || requested > MAX_REQUESTED_WASM_THREADS)) {
    throw new NestarError('BAD_REQUEST', `WASM threads: ${requested} is not a whole number from 1 to ${MAX_REQUESTED_WASM_THREADS}`);
  }
  if (requested === 1) return { count: 1, isolated, reason: '1 thread: asked for (?threads=1)' };
  if (!isolated) {
    return { count: 1, isolated, reason: '1 thread: the page is not cross-origin isolated (its server sends no COOP/COEP headers), so there is no SharedArrayBuffer' };
  }
  if (requested !== undefined) return { count: requested, isolated, reason: `${requested} threads: asked for (?threads=${requested})` };
  if (cores === undefined || !Number.isFinite(cores) || cores < 1) return { count: 1, isolated, reason: '1 thread: the number of cores is unknown' };
  const whole = Math.floor(cores);
  if (whole === 1) return { count: 1, isolated, reason: '1 thread: one logical core' };
  const count = Math.min(Math.ceil(whole / 2), MAX_WASM_THREADS);
  const capped = Math.ceil(whole / 2) > MAX_WASM_THREADS ? `, capped at ${MAX_WASM_THREADS}` : '';
  return { count, isolated, reason: `${count} thread${count === 1 ? '' : 's'}: half of ${whole} logical cores${capped} (the page keeps the rest; ?threads=N to change)` };
}

/**
 * Decides the thread count and hands it to onnxruntime. Call it before the first session is created: the WASM
 * runtime starts once per JavaScript context with the count it finds, and ignores later changes.
 */
export function applyWasmThreads(ort: { env: { wasm: { numThreads?: number } } }, env: ThreadEnvironment = threadEnvironment()): WasmThreads {
  const threads = chooseWasmThreads(env);
  ort.env.wasm.numThreads = threads.count;
  return threads;
}
