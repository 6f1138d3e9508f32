/**
 * The WorkerApi (types.ts) itself: load, generate, cancel, unload, info over one model at a time. worker.ts exposes
 * it through comlink with onnxruntime's WebGPU build; Node tests drive it directly with the wasm build. It owns
 * the state machine (not loaded / loading / ready / running) and the error policy: BUSY for a second call,
 * NOT_LOADED before load, DEVICE_LOST when the GPU goes away (sessions dropped, the next `auto` load uses WASM),
 * CANCELLED when cancel() stops a load or a run. A load downloads every file in parallel and stops all of them at
 * the first failure; after the sessions are created their tensor shapes are checked against the manifest
 * (sessionCheck.ts), one generation warms them up (warmUp.ts: the first runs' one-off costs fall on the load, not
 * on the first Generate; an `auto` load whose WebGPU warm-up fails runs on WASM), and the model's older cached
 * versions are pruned.
 */
import * as Comlink from 'comlink';
import { applyWasmThreads, chooseBackend, navigatorGpu, threadEnvironment, type BackendChoice, type GpuLike, type ThreadEnvironment } from './backend';
import { TimedRunner } from './callTimer';
import { NestarError, toNestarError } from './errors';
import { headFiles, headKindOf, loadFiles, toModelInfo, type HeadKind, type Manifest } from './manifest';
import { fetchManifest, fetchModelFile, pruneOldVersions, type FetchLike } from './modelCache';
import { checkSessionShapes } from './sessionCheck';
import { allSessions, createHeadSessions, createModelSessions, OrtSessionRunner, releaseModelSessions, type ModelSessions, type Ort } from './ortRunner';
import { runSchedule, validateRequest } from './scheduler';
import { copyImage } from './tokenRenderer';
import type { Backend, GenerateEvent, GenerateRequest, GenerateResult, LoadEvent, LoadOptions, RgbaImage, RuntimeInfo, WorkerApi } from './types';
import { warmUp } from './warmUp';

export interface EngineDeps {
  ort: Ort;
  fetch?: FetchLike;
  /** Cache Storage; null disables it (tests), undefined uses globalThis.caches. */
  caches?: CacheStorage | null;
  /** navigator.gpu by default. */
  gpu?: () => GpuLike | undefined;
  /** What the WASM thread count is decided from (backend.ts); the running context by default. */
  threadEnvironment?: ThreadEnvironment;
  /** A WASM thread count the page asked for (backend.ts checks it); with the running context's environment. */
  wasmThreads?: number;
  /** false when `ort` is onnxruntime's WASM-only build (worker.ts): loads then never choose WebGPU. */
  hasWebGpu?: boolean;
}

/** What a long session can be checked with (e2e soak): session counts of this worker, and its JS heap where known. */
export interface EngineDiagnostics {
  /** InferenceSessions created and not yet released: the loaded model's sessions, never more. */
  liveSessions: number;
  sessionsCreated: number;
  sessionsReleased: number;
  loads: number;
  generations: number;
  /** Calls refused with BUSY (a second load or run while one was in flight): a page that never overlaps runs has 0. */
  busyRejections: number;
  /** performance.memory.usedJSHeapSize of this context (Chromium), null elsewhere. */
  jsHeapBytes: number | null;
}

/** The engine: the WorkerApi plus its diagnostics. */
export type Engine = WorkerApi & { diagnostics(): Promise<EngineDiagnostics> };

/** How long a lost GPU may keep session.release() waiting before the engine stops waiting for it. */
const RELEASE_TIMEOUT_MS = 2000;

/**
 * How long a failed call on WebGPU waits for the device watcher before it is judged: a call on a destroyed device can
 * fail (e.g. "Buffer was unmapped before mapping was resolved") before the device's `lost` promise settles.
 */
const LOSS_GRACE_MS = 250;

/** Sessions of a loaded model: every created session of every module (backbone, heads) and the decoder. */
function sessionCount(sessions: ModelSessions): number {
  return allSessions(sessions).length;
}

/** The field of ModuleSessions that holds a head kind's session. */
const HEAD_FIELD = { flow_head: 'flowHead', few_step: 'fewStep' } as const satisfies Record<HeadKind, 'flowHead' | 'fewStep'>;

/**
 * Downloads `files` in parallel and returns their verified bytes. The first failure aborts the others through
 * `abort` (files already verified stay cached for a retry) and is what this throws.
 */
async function downloadAll(files: string[], fetchOne: (file: string) => Promise<Uint8Array>, abort: () => void): Promise<Map<string, Uint8Array>> {
  const bytes = new Map<string, Uint8Array>();
  let firstError: unknown = null;
  await Promise.all(
    files.map(async (file) => {
      try {
        bytes.set(file, await fetchOne(file));
      } catch (e) {
        firstError ??= e;
        abort();
      }
    }),
  );
  if (firstError) throw firstError;
  return bytes;
}

interface Loaded {
  manifest: Manifest;
  /** Where the model's files are: the on-demand heads come from there too. */
  baseUrl: string;
  sessions: ModelSessions;
  runner: OrtSessionRunner;
  choice: BackendChoice;
  info: RuntimeInfo;
}

const loadCancelled = (): NestarError => new NestarError('CANCELLED', 'loading the model was cancelled');

/** A load's sessions, created, checked and warmed up on one backend. */
interface Prepared {
  sessions: ModelSessions;
  runner: OrtSessionRunner;
}

/**
 * The warm-up failed on WebGPU without a lost device: `error` is what a load that asked for WebGPU reports, `detail`
 * onnxruntime's message; an `auto` load tries WASM instead.
 */
class GpuRunFailed extends Error {
  constructor(
    readonly error: NestarError,
    readonly detail: string,
  ) {
    super(error.message);
  }
}

/** Messages browsers and onnxruntime use when the GPU device is gone (driver reset, tab in background on mobile). */
const DEVICE_LOST_MESSAGE = /device (is |was |has been )?lost|lost (the )?device|DEVICE_(HUNG|REMOVED|RESET)|GPU (process|device).*(crash|gone)/i;

/** Fire-and-forget: an event callback across the worker boundary returns a promise nobody needs to wait for. */
function emit<E>(onEvent: ((e: E) => unknown) | undefined, event: E, transfer: Transferable[] = []): void {
  if (!onEvent) return;
  try {
    void Promise.resolve(onEvent(transfer.length > 0 ? Comlink.transfer(event, transfer) : event)).catch(() => undefined);
  } catch {
    // A listener's failure must not fail the generation.
  }
}

export function createEngine(deps: EngineDeps): Engine {
  const { ort } = deps;
  // Before any session: onnxruntime starts its WASM runtime once, with the thread count set at that moment.
  const environment = deps.threadEnvironment ?? threadEnvironment();
  const wasmThreads = applyWasmThreads(ort, deps.wasmThreads === undefined ? environment : { ...environment, requested: deps.wasmThreads });
  let loaded: Loaded | null = null;
  let loading = false;
  let run: { controller: AbortController; done: Promise<unknown> } | null = null;
  /** The load in progress, so that cancel() can stop its downloads. */
  let loadController: AbortController | null = null;
  /** Set when a WebGPU device was lost: `auto` then avoids WebGPU for the rest of this worker's life. */
  let deviceLost: string | null = null;
  /**
   * Called (with why) when the WebGPU device of the loaded sessions is lost: the run in flight ends then. A set of
   * listeners that each run removes again, not a promise every run chains onto (which would keep every finished
   * run's result reachable from a promise that never settles).
   */
  const lostListeners = new Set<(why: string) => void>();
  let lastChoice: BackendChoice | null = null;
  const counts = { liveSessions: 0, sessionsCreated: 0, sessionsReleased: 0, loads: 0, generations: 0, busyRejections: 0 };
  const busy = (message: string): NestarError => {
    counts.busyRejections++;
    return new NestarError('BUSY', message);
  };

  const runtimeInfo = (): RuntimeInfo =>
    loaded?.info ?? {
      backend: null,
      adapter: lastChoice?.adapter ?? null,
      reason: deviceLost ? `not loaded: ${deviceLost}` : 'not loaded',
      wasmThreads,
      model: null,
    };

  const release = async (sessions: ModelSessions): Promise<void> => {
    const n = sessionCount(sessions);
    counts.liveSessions -= n;
    counts.sessionsReleased += n;
    // On a lost GPU, release() may never settle: stop waiting after a while (the device took the buffers with it).
    await Promise.race([releaseModelSessions(sessions), new Promise((r) => setTimeout(r, RELEASE_TIMEOUT_MS))]);
  };

  /** Resolves once the device watcher reports a loss, or after `ms`. */
  const lossReported = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        lostListeners.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      lostListeners.add(done);
    });

  /** Whether `err`, from a call on WebGPU, was the device going away (it says so, or the watcher reports a loss). */
  const isDeviceLoss = async (err: NestarError): Promise<boolean> => {
    if (err.code === 'BAD_REQUEST' || err.code === 'CANCELLED') return false;
    const says = (): boolean => deviceLost !== null || err.code === 'DEVICE_LOST' || DEVICE_LOST_MESSAGE.test(err.message);
    if (!says()) await lossReported(LOSS_GRACE_MS);
    return says();
  };

  /**
   * DEVICE_LOST for a call that failed (`err`, thrown as `cause`) because the GPU went away; it records the loss, so
   * that the next `auto` load of this worker avoids WebGPU.
   */
  const deviceLostError = (err: NestarError, cause: unknown): NestarError => {
    deviceLost ??= `the GPU device was lost (${err.message})`;
    return new NestarError('DEVICE_LOST', `${deviceLost}; load the model again (it will run on WASM)`, { cause });
  };

  const drop = async (): Promise<void> => {
    const current = loaded;
    loaded = null;
    if (current) await release(current.sessions);
  };

  /** Watches onnxruntime's GPU device: a loss while idle is reported at the next generate, one mid-run ends the run. */
  const watchDevice = (): void => {
    try {
      const device = ort.env.webgpu.device as unknown as Promise<{ lost?: Promise<{ message?: string; reason?: string }> }> | undefined;
      void Promise.resolve(device)
        .then((d) => d?.lost)
        .then((info) => {
          if (!info) return;
          const why = `the GPU device was lost${info.message ? ` (${info.message})` : info.reason ? ` (${info.reason})` : ''}`;
          deviceLost = why;
          for (const listener of lostListeners) listener(why);
        })
        .catch(() => undefined);
    } catch {
      // No device exposed by this build: errors from session.run still reveal the loss.
    }
  };

  /**
   * Makes sure the heads `solver` runs are loaded: the first generation with the non-default solver downloads and
   * compiles them (reported as 'heads' events), under the run's signal, so cancel() stops it like a run. A failure
   * leaves the loaded model as it was: the default solver keeps working.
   */
  const ensureHeads = async (current: Loaded, solver: string, signal: AbortSignal, onEvent: ((e: GenerateEvent) => void) | undefined): Promise<void> => {
    const kind = headKindOf(solver);
    const field = HEAD_FIELD[kind];
    const files = headFiles(current.manifest, kind);
    if (files.length === 0 || current.sessions.modules.every((m) => m[field] !== null)) return;
    const cancelled = (): NestarError => new NestarError('CANCELLED', 'the run was cancelled while its heads downloaded');
    const controller = new AbortController();
    const stop = (): void => controller.abort();
    signal.addEventListener('abort', stop);
    try {
      const total = files.reduce((sum, f) => sum + current.manifest.files[f]!.bytes, 0);
      const progress = new Map<string, number>();
      const bytes = await downloadAll(
        files,
        (file) =>
          fetchModelFile(current.baseUrl, current.manifest, file, {
            fetch: deps.fetch,
            caches: deps.caches,
            signal: controller.signal,
            onProgress: (p) => {
              progress.set(file, p.loaded);
              const loaded = [...progress.values()].reduce((a, b) => a + b, 0);
              emit(onEvent, { type: 'heads', solver, phase: 'download', file, loaded, total });
            },
          }),
        stop,
      );
      if (signal.aborted) throw cancelled();
      const sessions = await createHeadSessions(ort, current.manifest, kind, {
        backend: current.choice.backend,
        fileBytes: async (file) => {
          if (signal.aborted) throw cancelled();
          return bytes.get(file)!;
        },
        onCompile: (file) => emit(onEvent, { type: 'heads', solver, phase: 'compile', file, loaded: total, total }),
      });
      const candidate: ModelSessions = { ...current.sessions, modules: current.sessions.modules.map((m, k) => ({ ...m, [field]: sessions[k]! })) };
      try {
        if (signal.aborted) throw cancelled();
        checkSessionShapes(current.manifest, candidate);
      } catch (e) {
        await Promise.all(sessions.map((x) => x.release().catch(() => undefined)));
        throw e;
      }
      current.sessions.modules.forEach((m, k) => (m[field] = sessions[k]!));
      counts.liveSessions += sessions.length;
      counts.sessionsCreated += sessions.length;
    } catch (e) {
      if (signal.aborted && !(e instanceof NestarError && e.code !== 'CANCELLED')) throw cancelled();
      throw e;
    } finally {
      signal.removeEventListener('abort', stop);
    }
  };

  /**
   * A load's sessions on `backend`: created from the downloaded `bytes`, their shapes checked against the manifest,
   * then warmed up (warmUp.ts). Any failure releases them. A lost GPU is DEVICE_LOST (later `auto` loads avoid
   * WebGPU); an onnxruntime error in the warm-up is MANIFEST_INVALID, thrown wrapped in GpuRunFailed on WebGPU so
   * that an `auto` load can try WASM.
   */
  const prepare = async (manifest: Manifest, backend: Backend, bytes: Map<string, Uint8Array>, signal: AbortSignal, onEvent: (e: LoadEvent) => void): Promise<Prepared> => {
    const sessions = await createModelSessions(ort, manifest, {
      backend,
      fileBytes: async (file) => {
        if (signal.aborted) throw loadCancelled();
        return bytes.get(file)!;
      },
      onCompile: (file) => emit(onEvent, { type: 'compile', file }),
    });
    counts.liveSessions += sessionCount(sessions);
    counts.sessionsCreated += sessionCount(sessions);
    const runner = new OrtSessionRunner(ort, manifest, sessions);
    if (backend === 'webgpu') watchDevice();
    try {
      if (signal.aborted) throw loadCancelled();
      checkSessionShapes(manifest, sessions);
      emit(onEvent, { type: 'warmup', backend });
      await warmUp(manifest, runner, signal);
      return { sessions, runner };
    } catch (e) {
      await release(sessions);
      if (signal.aborted) throw loadCancelled();
      const err = toNestarError(e);
      if (backend === 'webgpu' && (await isDeviceLoss(err))) throw deviceLostError(err, e); // as in a run
      if (err.code !== 'INTERNAL') throw err;
      // Every file matched its sha256 and every session the manifest's inputs and outputs: what fails now is what
      // only a run shows, e.g. a manifest with more classes than the graphs' class embedding.
      const why =
        backend === 'webgpu'
          ? 'Either this GPU or browser cannot run the model (then ?ep=wasm runs it on the CPU) or the manifest and the ONNX files disagree in something only a run shows'
          : 'The manifest and the ONNX files disagree in something only a run shows (e.g. more classes than the graphs have)';
      const invalid = new NestarError('MANIFEST_INVALID', `the model's first generation (the load's warm-up, on ${backend}) failed: ${err.message}. ${why}`, { cause: e });
      throw backend === 'webgpu' ? new GpuRunFailed(invalid, err.message) : invalid;
    }
  };

  const api: Engine = {
    async load(options: LoadOptions, onEvent: (e: LoadEvent) => void): Promise<RuntimeInfo> {
      if (loading || run) throw busy(loading ? 'a model is already loading' : 'a generation is running; cancel it first');
      loading = true;
      const controller = new AbortController();
      loadController = controller;
      const { signal } = controller;
      try {
        await drop();
        counts.loads++;
        const wasmOnly = deps.hasWebGpu === false ? "this runtime was started on onnxruntime's WASM-only build" : null;
        let choice = await chooseBackend(options.backend ?? 'auto', (deps.gpu ?? navigatorGpu)(), deviceLost ?? wasmOnly);
        if (choice.backend === 'webgpu' && wasmOnly) throw new NestarError('BACKEND_UNAVAILABLE', `WebGPU was requested, but ${wasmOnly}`);
        lastChoice = choice;
        const manifest = await fetchManifest(options.baseUrl, { fetch: deps.fetch, caches: deps.caches, signal });
        // Download everything load needs first (in parallel), then compile: a missing file fails before any slow
        // compile. The other solver's heads wait for a generation that asks for them (manifest.ts loadFiles).
        const bytes = await downloadAll(
          loadFiles(manifest),
          (file) =>
            fetchModelFile(options.baseUrl, manifest, file, {
              fetch: deps.fetch,
              caches: deps.caches,
              signal,
              onProgress: (p) => emit(onEvent, { type: 'download', ...p }),
            }),
          () => controller.abort(),
        );
        if (signal.aborted) throw loadCancelled();
        if (choice.backend === 'webgpu' && choice.gpuAdapter) {
          try {
            // Run on the adapter judged in backend.ts, not on whatever onnxruntime would request itself.
            (ort.env.webgpu as { adapter: unknown }).adapter = choice.gpuAdapter;
          } catch {
            // Already initialised by an earlier load: it keeps its device.
          }
        }
        let prepared: Prepared;
        try {
          prepared = await prepare(manifest, choice.backend, bytes, signal, onEvent);
        } catch (e) {
          // `auto` means the best backend that works: a model that WebGPU here cannot run (not a lost device) runs
          // on WASM, and the badge says why.
          if (!(e instanceof GpuRunFailed) || (options.backend ?? 'auto') !== 'auto') throw e instanceof GpuRunFailed ? e.error : e;
          choice = { backend: 'wasm', adapter: choice.adapter, reason: `WASM: WebGPU here could not run the model's first generation (${e.detail})`, gpuAdapter: null };
          lastChoice = choice;
          prepared = await prepare(manifest, 'wasm', bytes, signal, onEvent);
        }
        const { sessions, runner } = prepared;
        void pruneOldVersions(manifest, deps.caches).catch(() => undefined);
        const info: RuntimeInfo = { backend: choice.backend, adapter: choice.adapter, reason: choice.reason, wasmThreads, model: toModelInfo(manifest) };
        loaded = { manifest, baseUrl: options.baseUrl, sessions, runner, choice, info };
        emit(onEvent, { type: 'ready', info });
        return info;
      } catch (e) {
        if (signal.aborted && !(e instanceof NestarError && e.code !== 'CANCELLED')) throw loadCancelled();
        throw toNestarError(e);
      } finally {
        loading = false;
        if (loadController === controller) loadController = null;
      }
    },

    async generate(request: GenerateRequest, onEvent: (e: GenerateEvent) => void): Promise<GenerateResult> {
      if (run) throw busy('a generation is already running');
      if (!loaded) throw loading ? busy('the model is still loading') : new NestarError('NOT_LOADED', 'no model is loaded; call load() first');
      const current = loaded;
      if (deviceLost && current.choice.backend === 'webgpu') {
        await drop();
        throw new NestarError('DEVICE_LOST', `${deviceLost}; load the model again (it will run on WASM)`);
      }
      counts.generations++;
      // A bad request fails here, before the heads it would need are downloaded.
      validateRequest(current.manifest, request);
      const controller = new AbortController();
      // Counts and times every session call of this run (stats panel, benchmarks: where the time goes).
      const timer = new TimedRunner(current.runner);
      const generation = (async () => {
        await ensureHeads(current, request.solver, controller.signal, onEvent);
        return runSchedule(current.manifest, timer, request, {
        signal: controller.signal,
        onScale: (p) =>
          emit(
            onEvent,
            {
              type: 'scale',
              scale: p.scale,
              grid: p.grid,
              images: p.images,
              elapsedMs: p.elapsedMs,
              stepsDone: p.stepsDone,
              stepsTotal: p.stepsTotal,
              tokens: p.tokens,
            },
            [...p.images.map((image) => image.data.buffer), ...p.tokens.map((t) => t.buffer)],
          ),
        });
      })();
      run = { controller, done: generation.catch(() => undefined) };
      try {
        // A GPU lost mid-run can leave session.run() waiting forever: the loss itself ends the run.
        let onLost: ((why: string) => void) | null = null;
        const lost =
          current.choice.backend === 'webgpu'
            ? new Promise<never>((_, reject) => {
                onLost = (why) => {
                  controller.abort();
                  reject(new NestarError('DEVICE_LOST', why));
                };
                lostListeners.add(onLost);
              })
            : null;
        let result: Awaited<typeof generation>;
        try {
          result = lost ? await Promise.race([generation, lost]) : await generation;
        } finally {
          if (onLost) lostListeners.delete(onLost);
        }
        emit(onEvent, {
          type: 'done',
          images: result.images.map(copyImage),
          totalMs: result.totalMs,
          firstPreviewMs: result.firstPreviewMs,
          lastScale: result.lastScale,
          calls: timer.stats,
        });
        return Comlink.transfer({ ...result, calls: timer.stats }, [...result.images.map((i) => i.data.buffer), ...result.tokens.map((t) => t.buffer)]);
      } catch (e) {
        const err = toNestarError(e);
        if (current.choice.backend === 'webgpu' && (await isDeviceLoss(err))) {
          const lost = deviceLostError(err, e);
          await drop();
          throw lost;
        }
        throw err;
      } finally {
        run = null;
      }
    },

    cancel(): void {
      run?.controller.abort();
      loadController?.abort();
    },

    async unload(): Promise<void> {
      if (run) {
        run.controller.abort();
        await run.done; // never release sessions under a running session.run
      }
      await drop();
    },

    async info(): Promise<RuntimeInfo> {
      return runtimeInfo();
    },

    async diagnostics(): Promise<EngineDiagnostics> {
      const memory = (globalThis as { performance?: { memory?: { usedJSHeapSize?: number } } }).performance?.memory;
      return { ...counts, jsHeapBytes: typeof memory?.usedJSHeapSize === 'number' ? memory.usedJSHeapSize : null };
    },
  };
  return api;
}
