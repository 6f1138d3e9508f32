/**
 * What the worker exposes (worker.ts puts it behind comlink): the engine, created at the first call rather than at
 * startup, plus `configure()`, which may come before that call and fixes the settings the engine is created with.
 * The WASM thread count is such a setting: createEngine hands it to onnxruntime, which reads it once, when its
 * runtime starts. Kept apart from worker.ts (which has the side effects of a worker script) so that it is tested in
 * Node with a fake engine.
 */
import * as Comlink from 'comlink';
import { chooseWasmThreads, threadEnvironment } from './backend';
import type { BackendRequest } from './types';
import type { Engine, EngineDeps } from './engine';
import { NestarError } from './errors';

/** Settings fixed for the life of the worker, given (if at all) before its first call. */
export interface RuntimeOptions {
  /** The WASM thread count, 1 to 16 (backend.ts); unset: decided from the cores. */
  wasmThreads?: number;
}

/** What the worker exposes: the engine, plus `configure`, which only works before the engine starts. */
export interface WorkerRuntime extends Engine {
  /** BAD_REQUEST for a setting out of range, or once the engine has started (any call starts it). */
  configure(options: RuntimeOptions): void;
}

/**
 * Event callbacks arrive as comlink proxies, each holding a MessageChannel; release it once the call is over (it
 * failed or not) so that a long session of generations does not pile up open ports. Messages already sent are
 * delivered first.
 */
function releaseAfter<T>(callback: unknown, call: () => Promise<T>): Promise<T> {
  return Promise.resolve()
    .then(call)
    .finally(() => {
      const proxy = callback as { [Comlink.releaseProxy]?: () => void };
      try {
        proxy[Comlink.releaseProxy]?.();
      } catch {
        // Not a proxy (a direct call): nothing to release.
      }
    });
}

/**
 * The onnxruntime build an engine runs on. 'webgpu' holds the WebGPU and the WASM backends but its WebAssembly is
 * the asyncify build (26.8 MB); 'wasm' holds the WASM backend alone, with the plain build (14.2 MB). A visitor
 * whose load runs on WASM needs only the second.
 */
export type OrtBuild = 'webgpu' | 'wasm';

/**
 * `create` builds the engine from the configured options on one onnxruntime build (worker.ts imports it);
 * `buildFor` says which build a load's backend request will run on (backend.ts decides the backend).
 */
export function createWorkerRuntime(
  create: (options: Pick<EngineDeps, 'wasmThreads'>, build: OrtBuild) => Engine | Promise<Engine>,
  buildFor: (backend: BackendRequest) => Promise<OrtBuild> = async () => 'webgpu',
): WorkerRuntime {
  let options: RuntimeOptions = {};
  let configurable = true;
  /** The engine, once a call started it, and its build. One at a time. */
  let current: Promise<{ engine: Engine; build: OrtBuild }> | null = null;
  const start = (build: OrtBuild): Promise<{ engine: Engine; build: OrtBuild }> => {
    configurable = false;
    return Promise.resolve()
      .then(() => create({ wasmThreads: options.wasmThreads }, build))
      .then((engine) => ({ engine, build }));
  };
  /** Loads and generations running on the engine: a build switch must not pull it away from under them. */
  let running = 0;
  const tracked = async <T>(call: () => Promise<T>): Promise<T> => {
    running++;
    try {
      return await call();
    } finally {
      running--;
    }
  };
  /** For every call but load: the engine there is, else one on the smaller build (a load may swap it). */
  const engine = async (): Promise<Engine> => (await (current ??= start('wasm'))).engine;
  /**
   * For a load: an engine whose build can run the backend it asks for. Only an engine on the 'wasm' build with a
   * load that needs WebGPU is replaced, and only while it is idle (BUSY otherwise, as a load during a run is).
   */
  const engineFor = async (backend: BackendRequest): Promise<Engine> => {
    const previous = current;
    const next = (async () => {
      const have = previous ? await previous : null;
      // The WebGPU build runs either backend: no need to judge the backend here (an adapter request); the engine's
      // load judges it anyway.
      if (have?.build === 'webgpu') return have;
      const build = await buildFor(backend);
      if (have?.build === build) return have;
      if (have && running > 0) throw new NestarError('BUSY', 'a model is loading or a generation is running; cancel it first');
      if (have) await have.engine.unload();
      return start(build);
    })();
    // Set at once, so that calls made meanwhile (a cancel) wait for this engine rather than start another; a load
    // refused before any engine changed (no GPU for ?ep=webgpu) leaves the one there was.
    current = next;
    next.catch(() => {
      if (current === next) current = previous;
    });
    return (await next).engine;
  };
  // Every call goes through a promise, so that a refused setting (createEngine throws) is a rejected call, not a throw.
  const later = <T>(call: () => T | Promise<T>): Promise<T> => Promise.resolve().then(call);
  return {
    configure(next) {
      if (!configurable) throw new NestarError('BAD_REQUEST', 'the runtime has started: configure() must come before its first call');
      // Checked now, so that the caller's configure() fails, not every later call.
      if (next.wasmThreads !== undefined) chooseWasmThreads({ ...threadEnvironment(), requested: next.wasmThreads });
      options = { ...next };
    },
    load: (opts, onEvent) => releaseAfter(onEvent, async () => {
      const chosen = await engineFor(opts.backend ?? 'auto');
      return tracked(() => chosen.load(opts, onEvent));
    }),
    generate: (request, onEvent) => releaseAfter(onEvent, async () => {
      const chosen = await engine();
      return tracked(() => chosen.generate(request, onEvent));
    }),
    cancel: () => later(async () => (await engine()).cancel()),
    unload: () => later(async () => (await engine()).unload()),
    info: () => later(async () => (await engine()).info()),
    diagnostics: () => later(async () => (await engine()).diagnostics()),
  };
}
