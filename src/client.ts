/**
 * The page's side of the worker: `createNestarClient()` starts src/worker.ts as a module worker (once `startAfter`
 * settles, when given) and exposes its WorkerRuntime 1:1 (workerRuntime.ts: the WorkerApi and diagnostics;
 * configure() is sent first when the options ask for it), wrapping event callbacks in Comlink.proxy so they run on
 * this thread. `dispose()` terminates the worker; calls still pending then reject with CANCELLED rather than hang.
 */
import * as Comlink from 'comlink';
import type { EngineDiagnostics } from './engine';
import { NestarError, registerErrorTransfer } from './errors';
import type { WorkerRuntime } from './workerRuntime';
import type { GenerateEvent, GenerateRequest, GenerateResult, LoadEvent, LoadOptions, RuntimeInfo } from './types';

export interface NestarClient {
  load(options: LoadOptions, onEvent?: (e: LoadEvent) => void): Promise<RuntimeInfo>;
  generate(request: GenerateRequest, onEvent?: (e: GenerateEvent) => void): Promise<GenerateResult>;
  /** Stops the running generation, or the load in progress (its downloads end at once). */
  cancel(): Promise<void>;
  /** The worker's session counts and heap (for long-session checks). */
  diagnostics(): Promise<EngineDiagnostics>;
  info(): Promise<RuntimeInfo>;
  unload(): Promise<void>;
  /** Terminates the worker (and with it the loaded sessions). The client is unusable afterwards. */
  dispose(): void;
}

export interface NestarClientOptions {
  /** A worker to talk to instead of a new src/worker.ts (tests, custom bundling). */
  worker?: Worker;
  /**
   * WASM threads for this worker's life (1 to 16; more than 1 needs a cross-origin isolated page). Unset: decided
   * from the cores (src/backend.ts). With a bad count every call rejects with BAD_REQUEST.
   */
  wasmThreads?: number;
  /**
   * The worker starts once this settles (calls wait for it): the page waits for its service worker to take control,
   * so that the runtime's .wasm is fetched through it (app/offlineShell.ts).
   */
  startAfter?: Promise<unknown>;
}

const noop = (): void => undefined;

export function createNestarClient(options: NestarClientOptions = {}): NestarClient {
  registerErrorTransfer();
  let disposed = false;
  let started: { worker: Worker; remote: Comlink.Remote<WorkerRuntime> } | null = null;
  const start = (): { worker: Worker; remote: Comlink.Remote<WorkerRuntime> } => {
    const worker = options.worker ?? new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'nestar-runtime' });
    return { worker, remote: Comlink.wrap<WorkerRuntime>(worker) };
  };
  // configure() is sent first, so that it reaches the worker before any other call; every call waits for it (and
  // fails with it).
  const ready = Promise.resolve(options.startAfter)
    .catch(() => undefined)
    .then(async () => {
      if (disposed) throw new NestarError('CANCELLED', 'the NestAR client was disposed');
      started = start();
      if (options.wasmThreads !== undefined) await started.remote.configure({ wasmThreads: options.wasmThreads });
      return started.remote;
    });
  ready.catch(() => undefined); // reported by the calls that wait for it
  const pending = new Set<(e: NestarError) => void>();

  /** Runs a remote call, rejecting it with CANCELLED if the client is disposed first. */
  const call = <T>(run: (remote: Comlink.Remote<WorkerRuntime>) => Promise<T>): Promise<T> => {
    if (disposed) return Promise.reject(new NestarError('CANCELLED', 'the NestAR client was disposed'));
    return new Promise<T>((resolve, reject) => {
      pending.add(reject);
      ready
        .then(run)
        .then(resolve, reject)
        .finally(() => pending.delete(reject));
    });
  };

  return {
    load: (opts, onEvent = noop) => call((remote) => remote.load(opts, Comlink.proxy(onEvent))),
    generate: (request, onEvent = noop) => call((remote) => remote.generate(request, Comlink.proxy(onEvent))),
    cancel: () => call((remote) => remote.cancel()),
    info: () => call((remote) => remote.info()),
    diagnostics: () => call((remote) => remote.diagnostics()),
    unload: () => call((remote) => remote.unload()),
    dispose() {
      if (disposed) return;
      disposed = true;
      const error = new NestarError('CANCELLED', 'the NestAR client was disposed');
      for (const reject of pending) reject(error);
      pending.clear();
      if (started) {
        started.remote[Comlink.releaseProxy]();
        started.worker.terminate();
      } else options.worker?.terminate(); // handed in, never started: still the client's to end
    },
  };
}
