/**
 * The module Web Worker: the engine (engine.ts) on onnxruntime's WebGPU build (which also holds the WASM backend),
 * exposed through comlink as a WorkerRuntime (workerRuntime.ts: the engine plus configure()). Type-checked against
 * the WebWorker lib (tsconfig.worker.json): no DOM here.
 */
import * as Comlink from 'comlink';
import * as ort from 'onnxruntime-web/webgpu';
import { createEngine } from './engine';
import { registerErrorTransfer } from './errors';
import { createWorkerRuntime } from './workerRuntime';

/**
 * With more than one WASM thread, onnxruntime's bundled Emscripten runtime starts its pthreads as module workers of
 * this very script (named "em-pthread..."). There the runtime answers Emscripten's own messages; the engine and
 * comlink must stay out, or comlink would reply to each of them.
 */
const isPthread = (self as { name?: string }).name?.startsWith('em-pthread') ?? false;

function serve(): void {
  registerErrorTransfer();
  // The engine is created at the first call, after an optional configure() (workerRuntime.ts).
  Comlink.expose(createWorkerRuntime((options) => createEngine({ ort, ...options })));
}

if (!isPthread) serve();
