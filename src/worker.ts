/**
 * The module Web Worker: the engine (engine.ts) on onnxruntime's WebGPU build (which also holds the WASM backend),
 * exposed through comlink. Type-checked against the WebWorker lib (tsconfig.worker.json): no DOM here.
 */
import * as Comlink from 'comlink';
import * as ort from 'onnxruntime-web/webgpu';
import { createEngine } from './engine';
import { registerErrorTransfer } from './errors';
import type { WorkerApi } from './types';

registerErrorTransfer();
const api: WorkerApi = createEngine({ ort });
Comlink.expose(api);
