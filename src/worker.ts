/**
 * The module Web Worker: the engine (engine.ts) on onnxruntime's WebGPU build (which also holds the WASM backend),
 * exposed through comlink. Type-checked against the WebWorker lib (tsconfig.worker.json): no DOM here.
 */
import * as Comlink from 'comlink';
import * as ort from 'onnxruntime-web/webgpu';
import { createEngine, type Engine } from './engine';
import { registerErrorTransfer } from './errors';

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

function serve(): void {
  registerErrorTransfer();
  const engine = createEngine({ ort }); // decides ort.env.wasm.numThreads (backend.ts) before any session
  const api: Engine = {
    load: (options, onEvent) => releaseAfter(onEvent, engine.load(options, onEvent)),
    generate: (request, onEvent) => releaseAfter(onEvent, engine.generate(request, onEvent)),
    cancel: () => engine.cancel(),
    unload: () => engine.unload(),
    info: () => engine.info(),
    diagnostics: () => engine.diagnostics(),
  };
  Comlink.expose(api);
}

if (!isPthread) serve();
