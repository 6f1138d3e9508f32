/**
 * What the worker exposes (worker.ts puts it behind comlink): the engine, created at the first call rather than at
 * startup, plus `configure()`, which may come before that call and fixes the settings the engine is created with.
 * The WASM thread count is such a setting: createEngine hands it to onnxruntime, which reads it once, when its
 * runtime starts. Kept apart from worker.ts (which has the side effects of a worker script) so that it is tested in
 * Node with a fake engine.
 */
import * as Comlink from 'comlink';
import { chooseWasmThreads, threadEnvironment } from './backend';
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

/** `create` builds the engine from the configured options (createEngine with the worker's onnxruntime). */
export function createWorkerRuntime(create: (options: Pick<EngineDeps, 'wasmThreads'>) => Engine): WorkerRuntime {
  let options: RuntimeOptions = {};
  let started: Engine | null = null;
  const engine = (): Engine => (started ??= create({ wasmThreads: options.wasmThreads }));
  // Every call goes through a promise, so that a refused setting (createEngine throws) is a rejected call, not a throw.
  const later = <T>(call: () => T | Promise<T>): Promise<T> => Promise.resolve().then(call);
  return {
    configure(next) {
      if (started) throw new NestarError('BAD_REQUEST', 'the runtime has started: configure() must come before its first call');
      // Checked now, so that the caller's configure() fails, not every later call.
      if (next.wasmThreads !== undefined) chooseWasmThreads({ ...threadEnvironment(), requested: next.wasmThreads });
      options = { ...next };
    },
    load: (opts, onEvent) => releaseAfter(onEvent, () => engine().load(opts, onEvent)),
    generate: (request, onEvent) => releaseAfter(onEvent, () => engine().generate(request, onEvent)),
    cancel: () => later(() => engine().cancel()),
    unload: () => later(() => engine().unload()),
    info: () => later(() => engine().info()),
    diagnostics: () => later(() => engine().diagnostics()),
  };
}
