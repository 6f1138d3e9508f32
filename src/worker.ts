/**
 * The module Web Worker: the engine (engine.ts) on the onnxruntime build its backend needs (the WebGPU build, which
 * also holds the WASM backend, or the smaller WASM-only build), exposed through comlink as a WorkerRuntime
 * (workerRuntime.ts: the engine plus configure()). Type-checked against the WebWorker lib (tsconfig.worker.json): no
 * DOM here.
 */
import * as Comlink from 'comlink';
import { chooseBackend, navigatorGpu } from './backend';
import { createEngine } from './engine';
import { registerErrorTransfer } from './errors';
import type { Ort } from './ortRunner';
import { createWorkerRuntime, type OrtBuild } from './workerRuntime';

/** Each build is its own chunk with its own .wasm: a visitor downloads only the one its backend runs on. */
const ORT_BUILDS: Record<OrtBuild, () => Promise<Ort>> = {
  webgpu: () => import('onnxruntime-web/webgpu'),
  wasm: () => import('onnxruntime-web/wasm'),
};

/**
 * With more than one WASM thread, onnxruntime's bundled Emscripten runtime starts its pthreads as module workers of
 * this very script (named "em-pthread..."). There the runtime answers Emscripten's own messages; the engine and
 * comlink must stay out, or comlink would reply to each of them.
 */
const isPthread = (self as { name?: string }).name?.startsWith('em-pthread') ?? false;

function serve(): void {
  registerErrorTransfer();
  // The engine is created at the first call, after an optional configure(), on the build its backend needs
  // (workerRuntime.ts), which judges the backend only while the engine is on the WASM-only build.
  Comlink.expose(
    createWorkerRuntime(
      async (options, build) => createEngine({ ort: await ORT_BUILDS[build](), hasWebGpu: build === 'webgpu', ...options }),
      async (backend) => ((await chooseBackend(backend, navigatorGpu(), null)).backend === 'webgpu' ? 'webgpu' : 'wasm'),
    ),
  );
}

if (!isPthread) serve();
