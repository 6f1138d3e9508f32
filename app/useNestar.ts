/**
 * useNestar: the page's one connection to the NestAR runtime.
 *
 * It owns the client (and so the worker), resolves which model to load from the URL, loads it, and folds every
 * event of every call (download, compile, ready, scale, done, error) through `studioReducer`. Components get the
 * state and three actions; they never see the client.
 *
 * A GPU lost mid-run (DEVICE_LOST) ends that run with its message; the hook then starts a fresh worker and loads the
 * same model on WASM (the files come from the cache), so the next Generate works; `notice` says so until dismissed.
 * A GPU lost during the load's warm-up generation is handled the same way.
 * `window.nestarDiagnostics()` (in the console, or e2e/soak.mjs) reports the worker's live sessions and heap.
 */
import { useCallback, useEffect, useReducer, useRef, useState } from 'react';
import { createNestarClient, type NestarClient } from '../src/client';
import { shellControlled } from './offlineShell';
import { NestarError } from '../src/errors';
import type { BackendRequest, ErrorCode, GenerateRequest, GenerateResult } from '../src/types';
import { modelFolderUrl, resolveModelSource, withModel, type ModelSource } from './modelSource';
import { parseUrl } from './urlState';
import { initialState, studioReducer, type RunOrigin, type StudioAction, type StudioState } from './studioState';

export interface Nestar {
  state: StudioState;
  source: ModelSource | null;
  /** Runs one generation; resolves with its result, or null when it was cancelled or failed (the state says why). */
  generate(request: GenerateRequest, origin?: RunOrigin): Promise<GenerateResult | null>;
  cancel(): void;
  /** Loads the model again (after a lost device or a failed load). */
  reload(): void;
  /**
   * Loads model `id` in the same worker (the old model's sessions are released first) and puts it in the address
   * bar; no page reload. Ignored while a run is in flight.
   */
  switchModel(id: string): void;
  /** A warning that is not an error of the current state (the GPU was lost and the page switched to WASM). */
  notice: string | null;
  dismissNotice(): void;
  dismissError(): void;
  /** Shows a stored image as the current one (history), with the request that made it. */
  restore(action: Omit<Extract<StudioAction, { type: 'restore' }>, 'type'>): void;
}

function errorAction(e: unknown, during: 'load' | 'generate'): StudioAction {
  const code: ErrorCode = e instanceof NestarError ? e.code : 'INTERNAL';
  const message = e instanceof Error ? e.message : String(e);
  return { type: 'error', code, message, during };
}

export function useNestar(): Nestar {
  const [state, dispatch] = useReducer(studioReducer, initialState);
  const [source, setSource] = useState<ModelSource | null>(null);
  const [loadToken, setLoadToken] = useState(0);
  /** The model switched to in this page (null: the one the URL named when the page opened). */
  const switched = useRef<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const clientRef = useRef<NestarClient | null>(null);
  const loadRef = useRef<((id: string) => void) | null>(null);
  /** Set after a lost GPU: every later load of this page runs on WASM, and the badge says why. */
  const backendOverride = useRef<{ backend: BackendRequest; reason: string } | null>(null);
  /**
   * The GPU was lost, during a run or during the load's warm-up generation: it may have left the worker's GPU work
   * hanging, so a fresh worker loads the same model on WASM, and the notice says so.
   */
  const fallBackToWasm = useCallback((e: NestarError, during: 'run' | 'load') => {
    const lost = e.message.split(';')[0]!;
    backendOverride.current = { backend: 'wasm', reason: `WASM: ${lost}` };
    const what = during === 'run' ? 'The run was stopped, and the model was loaded again' : 'The model was loaded';
    setNotice(`${lost.charAt(0).toUpperCase()}${lost.slice(1)}. ${what} on WASM (the CPU), where the next Generate runs. Reload the page to try the GPU again.`);
    setLoadToken((n) => n + 1);
  }, []);

  useEffect(() => {
    let live = true;
    // The runtime starts once the offline shell controls the page, so that onnxruntime's .wasm is fetched through it.
    const client = createNestarClient({ wasmThreads: parseUrl(window.location.search).wasmThreads ?? undefined, startAfter: shellControlled() });
    clientRef.current = client;
    (window as { nestarDiagnostics?: () => Promise<unknown> }).nestarDiagnostics = () => client.diagnostics();
    const onEvent = (e: StudioAction) => {
      if (!live) return;
      const override = backendOverride.current;
      dispatch(e.type === 'ready' && override ? { ...e, info: { ...e.info, reason: override.reason } } : e);
    };
    /** Loads count up; the events and the outcome of a load that a newer one replaced are dropped. */
    let loads = 0;
    let current: Promise<void> = Promise.resolve();
    const load = async (resolved: ModelSource): Promise<void> => {
      const mine = ++loads;
      setSource(resolved);
      onEvent({ type: 'load-start', modelId: resolved.id });
      const events = (e: StudioAction) => {
        if (mine === loads) onEvent(e);
      };
      try {
        const info = await client.load({ baseUrl: resolved.baseUrl, backend: backendOverride.current?.backend ?? resolved.backend }, events);
        events({ type: 'ready', info }); // idempotent if the runtime already sent it
      } catch (e) {
        if (mine !== loads) return;
        if (e instanceof NestarError && e.code === 'DEVICE_LOST' && !backendOverride.current) fallBackToWasm(e, 'load');
        else events(errorAction(e, 'load'));
      }
    };
    loadRef.current = (id: string) => {
      if (!live) return;
      switched.current = id;
      window.history.pushState(null, '', withModel(id));
      const url = parseUrl(window.location.search);
      setSource((s) => (s ? { ...s, id, baseUrl: modelFolderUrl(id), explicit: true, url } : s));
      loads++; // a load still running is replaced: stop it, then load the new model
      void client.cancel().catch(() => undefined);
      const previous = current;
      current = (async () => {
        await previous;
        const resolved = await resolveModelSource();
        if (live && switched.current === id) await load(resolved);
      })();
    };
    current = (async () => {
      const resolved = await resolveModelSource();
      if (live) await load(resolved);
    })();
    return () => {
      live = false;
      if (clientRef.current === client) clientRef.current = null;
      client.dispose();
    };
  }, [loadToken, fallBackToWasm]);

  const runCounter = useRef(0);
  const generate = useCallback(async (request: GenerateRequest, origin?: RunOrigin): Promise<GenerateResult | null> => {
    const client = clientRef.current;
    if (!client) return null;
    const runId = ++runCounter.current;
    const live = () => clientRef.current === client;
    dispatch({ type: 'generate-start', runId, request, origin });
    try {
      // Scale and done events share one ordered channel; the call's own result travels on another, so the state
      // follows the events (the reducer ignores a second 'done').
      const result = await client.generate(request, (e) => {
        if (live()) dispatch({ ...e, runId });
      });
      // Fallback only: should the 'done' event never arrive, finish the run from the call's result.
      setTimeout(() => {
        if (live()) dispatch({ type: 'done', runId, images: result.images, totalMs: result.totalMs, firstPreviewMs: result.firstPreviewMs, lastScale: result.lastScale, calls: result.calls });
      }, 1000);
      return result;
    } catch (e) {
      if (!live()) return null;
      if (e instanceof NestarError && e.code === 'CANCELLED') dispatch({ type: 'cancelled', runId });
      else if (e instanceof NestarError && e.code === 'DEVICE_LOST') fallBackToWasm(e, 'run');
      else dispatch({ ...errorAction(e, 'generate'), runId } as StudioAction);
      return null;
    }
  }, [fallBackToWasm]);

  const cancel = useCallback(() => {
    const client = clientRef.current;
    if (client) void Promise.resolve(client.cancel()).catch(() => undefined); // the run's own promise reports the outcome
  }, []);
  const reload = useCallback(() => setLoadToken((n) => n + 1), []);
  const switchModel = useCallback((id: string) => loadRef.current?.(id), []);
  useEffect(() => {
    // Back and forward between switched models: the page opens what the address bar says.
    const onPop = () => window.location.reload();
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, []);
  const dismissError = useCallback(() => dispatch({ type: 'dismiss-error' }), []);
  const dismissNotice = useCallback(() => setNotice(null), []);

  const restore = useCallback((action: Omit<Extract<StudioAction, { type: 'restore' }>, 'type'>) => dispatch({ type: 'restore', ...action }), []);

  return { state, source, generate, cancel, reload, switchModel, dismissError, restore, notice, dismissNotice };
}
