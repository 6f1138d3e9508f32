/**
 * The module Web Worker: the engine (engine.ts) on onnxruntime's WebGPU build (which also holds the WASM backend),
 * exposed through comlink. Type-checked against the WebWorker lib (tsconfig.worker.json): no DOM here.
 */
import * as Comlink from 'comlink';
import * as ort from 'onnxruntime-web/webgpu';
import { createEngine, type Engine } from './engine';
import { NestarError, registerErrorTransfer } from './errors';

/**
 * With more than one WASM thread, onnxruntime's bundled Emscripten runtime starts its pthreads as module workers of
 * this very script (named "em-pthread..."). There the runtime answers Emscripten's own messages; the engine and
 * comlink must stay out, or comlink would reply to each of them.
 */
const isPthread = (self as { name?: string }).name?.startsWith('em-pthread') ?? false;

/**
 * Event callbacks arrive as comlink proxies, each holding a MessageChannel; release it once the call is over so
 * that a long session of generations does not pile up open ports. Messages already sent are delivered first.
 */
function releaseAfter<T>(callback: unknown, call: Promise<T>): Promise<T> {
  return call.finally(() => {
    const proxy = callback as { [Comlink.releaseProxy]?: () => void };
    try {
      proxy[Comlink.releaseProxy]?.();
    } catch {
      // Not a proxy (a direct call): nothing to release.
    }
  });
}

/** Settings fixed for the life of the worker, given (if at all) before its first load. */
export interface RuntimeOptions {
  /** The WASM thread count (backend.ts checks it); unset: decided from the cores. */
  wasmThreads?: number;
}

/** What the worker exposes: the engine, plus `configure`, which only works before the engine starts. */
export interface WorkerRuntime extends Engine {
  configure(options: RuntimeOptions): void;
}

function serve(): void {
  registerErrorTransfer();
  let options: RuntimeOptions = {};
  let started: Engine | null = null;
  // Created at the first call, not at startup, so that configure() can still choose the thread count:
  // createEngine sets ort.env.wasm.numThreads (backend.ts), which onnxruntime reads once, at its first session.
  const engine = (): Engine => (started ??= createEngine({ ort, wasmThreads: options.wasmThreads }));
  const api: WorkerRuntime = {
    configure(next) {
      if (started) throw new NestarError('BAD_REQUEST', 'the runtime has started: configure() must come before the first load');
      options = { ...next };
    },
    load: (opts, onEvent) => releaseAfter(onEvent, engine().load(opts, onEvent)),
    generate: (request, onEvent) => releaseAfter(onEvent, engine().generate(request, onEvent)),
    cancel: () => engine().cancel(),
    unload: () => engine().unload(),
    info: () => engine().info(),
    diagnostics: () => engine().diagnostics(),
  };
  Comlink.expose(api);
}

if (!isPthread) serve();
