/**
 * Live mode: while it is on, every change of the settings regenerates the image. The latest setting wins: a change
 * during a run queues itself (replacing any queued one) and cancels the run; the queued one starts only after the
 * cancelled run has ended, so there are never two runs in flight (the worker would answer BUSY). Reports how many
 * images per second finish.
 */
import { useEffect, useRef, useState } from 'react';
import type { GenerateRequest, GenerateResult } from '../src/types';

export interface LiveScrub {
  /** Finished images per second over the last few seconds of live runs; null before the first one. */
  imagesPerSecond: number | null;
}

/** Finished runs older than this no longer count towards the rate. */
const WINDOW_MS = 5000;

export function useLiveScrub(
  request: GenerateRequest | null,
  generate: (r: GenerateRequest) => Promise<GenerateResult | null>,
  cancel: () => void,
): LiveScrub {
  const loop = useRef({ inFlight: false, pending: null as GenerateRequest | null, finished: [] as number[] });
  const [imagesPerSecond, setRate] = useState<number | null>(null);
  const key = request ? JSON.stringify(request) : null;

  useEffect(() => {
    const s = loop.current;
    if (!request) {
      s.pending = null; // live switched off (or the settings became invalid): nothing more to run
      return;
    }
    const start = async (r: GenerateRequest): Promise<void> => {
      s.inFlight = true;
      const started = performance.now();
      const result = await generate(r);
      s.inFlight = false;
      if (result) {
        const now = performance.now();
        s.finished = [...s.finished.filter((t) => now - t < WINDOW_MS), now];
        // Two or more in the window: their rate; one: the rate of that run alone.
        const span = s.finished.length > 1 ? (now - s.finished[0]!) / (s.finished.length - 1) : now - started;
        setRate(span > 0 ? 1000 / span : null);
      }
      const next = s.pending;
      s.pending = null;
      if (next) await start(next);
    };
    if (s.inFlight) {
      s.pending = request;
      cancel();
    } else {
      void start(request);
    }
    // Only a changed request (by value) starts or queues a run.
  }, [key]);

  return { imagesPerSecond };
}
