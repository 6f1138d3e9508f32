/**
 * useNestar: the page's one connection to the NestAR runtime.
 *
 * It owns the client (and so the worker), resolves which model to load from the URL, loads it, and folds every
 * event of every call (download, compile, ready, scale, done, error) through `studioReducer`. Components get the
 * state and three actions; they never see the client.
 *
 * A GPU lost mid-run (DEVICE_LOST) ends that run with its message; the hook then starts a fresh worker and loads the
 * same model on WASM (the files come from the cache), so the next Generate works; `notice` says so until dismissed.
 * `window.nestarDiagnostics()` (in the console, or e2e/soak.mjs) reports the worker's live sessions and heap.
 */
import { useCallback, useEffect, useReducer, useRef, useState } from 'react';
import { createNestarClient, type NestarClient } from '../src/client';
import { NestarError } from '../src/errors';
import type { BackendRequest, ErrorCode, GenerateRequest, GenerateResult } from '../src/types';
import { resolveModelSource, type ModelSource } from './modelSource';
import { initialState, studioReducer, type RunOrigin, type StudioAction, type StudioState } from './studioState';

export interface Nestar {
  state: StudioState;
  source: ModelSource | null;
  /** Runs one generation; resolves with its result, or null when it was cancelled or failed (the state says why). */
  generate(request: GenerateRequest, origin?: RunOrigin): Promise<GenerateResult | null>;
  cancel(): void;
  /** Loads the model again (after a lost device or a failed load). */
  reload(): void;
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
  const [notice, setNotice] = useState<string | null>(null);
  const clientRef = useRef<NestarClient | null>(null);
  /** Set after a lost GPU: every later load of this page runs on WASM, and the badge says why. */
  const backendOverride = useRef<{ backend: BackendRequest; reason: string } | null>(null);

  useEffect(() => {
    let live = true;
    const client = createNestarClient();
    clientRef.current = client;
    (window as { nestarDiagnostics?: () => Promise<unknown> }).nestarDiagnostics = () => client.diagnostics();
    const onEvent = (e: StudioAction) => {
      if (!live) return;
      const override = backendOverride.current;
      dispatch(e.type === 'ready' && override ? { ...e, info: { ...e.info, reason: override.reason } } : e);
    };
    void (async () => {
      const resolved = await resolveModelSource();
      if (!live) return;
      setSource(resolved);
      onEvent({ type: 'load-start', modelId: resolved.id });
      try {
        const info = await client.load({ baseUrl: resolved.baseUrl, backend: backendOverride.current?.backend ?? resolved.backend }, onEvent);
        onEvent({ type: 'ready', info }); // idempotent if the runtime already sent it
      } catch (e) {
        onEvent(errorAction(e, 'load'));
      }
    })();
    return () => {
      live = false;
      if (clientRef.current === client) clientRef.current = null;
      client.dispose();
    };
  }, [loadToken]);

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
        if (live()) dispatch({ type: 'done', runId, images: result.images, totalMs: result.totalMs, firstPreviewMs: result.firstPreviewMs, lastScale: result.lastScale });
      }, 1000);
      return result;
    } catch (e) {
      if (!live()) return null;
      if (e instanceof NestarError && e.code === 'CANCELLED') dispatch({ type: 'cancelled', runId });
      else if (e instanceof NestarError && e.code === 'DEVICE_LOST') {
        // The lost device may have left the worker's GPU work hanging: a fresh worker on WASM, same model.
        const lost = e.message.split(';')[0]!;
        backendOverride.current = { backend: 'wasm', reason: `WASM: ${lost}` };
        setNotice(
          `${lost.charAt(0).toUpperCase()}${lost.slice(1)}. The run was stopped, and the model was loaded again on WASM (the CPU), where the next Generate runs. Reload the page to try the GPU again.`,
        );
        setLoadToken((n) => n + 1);
      } else dispatch({ ...errorAction(e, 'generate'), runId } as StudioAction);
      return null;
    }
  }, []);

  const cancel = useCallback(() => {
    const client = clientRef.current;
    if (client) void Promise.resolve(client.cancel()).catch(() => undefined); // the run's own promise reports the outcome
  }, []);
  const reload = useCallback(() => setLoadToken((n) => n + 1), []);
  const dismissError = useCallback(() => dispatch({ type: 'dismiss-error' }), []);
  const dismissNotice = useCallback(() => setNotice(null), []);

  const restore = useCallback((action: Omit<Extract<StudioAction, { type: 'restore' }>, 'type'>) => dispatch({ type: 'restore', ...action }), []);

  return { state, source, generate, cancel, reload, dismissError, restore, notice, dismissNotice };
}
