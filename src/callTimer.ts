/**
 * Where a generation's time goes: a SessionRunner that delegates to the real one and counts each kind of session
 * call and the milliseconds until its result was back (for WebGPU: compute plus read-back; a call whose output
 * stays on the GPU is timed until onnxruntime hands it over). The rest of a run's time is the scheduler's own work
 * (noise, gathering, guidance arithmetic, previews' RGBA conversion) and waiting for the event loop. The engine
 * wraps every generation in one and the stats panel shows it. On WebGPU the total is right but the split is not:
 * a backbone call returns once its work is queued (z and the cache stay on the GPU), and the GPU time lands on
 * the next call that reads a result back (the flow head or few-step sampler).
 */
import type { BackboneFeeds, BackboneResult, SessionRunner } from './sessionRunner';

export type SessionCallKind = 'backbone' | 'flowHead' | 'fewStep' | 'decode' | 'previewDecode';

export interface CallTally {
  calls: number;
  ms: number;
}

/** Per kind of session call: how many and their summed wall-clock time. */
export type CallStats = Record<SessionCallKind, CallTally>;

export function emptyCallStats(): CallStats {
  return {
    backbone: { calls: 0, ms: 0 },
    flowHead: { calls: 0, ms: 0 },
    fewStep: { calls: 0, ms: 0 },
    decode: { calls: 0, ms: 0 },
    previewDecode: { calls: 0, ms: 0 },
  };
}

/** Total calls and milliseconds over every kind. */
export function callTotals(stats: CallStats): CallTally {
  const all = Object.values(stats);
  return { calls: all.reduce((s, t) => s + t.calls, 0), ms: all.reduce((s, t) => s + t.ms, 0) };
}

export class TimedRunner<H> implements SessionRunner<H> {
  readonly stats: CallStats = emptyCallStats();

  constructor(
    private readonly inner: SessionRunner<H>,
    private readonly now: () => number = () => performance.now(),
  ) {}

  private async timed<T>(kind: SessionCallKind, call: () => Promise<T>): Promise<T> {
    const tally = this.stats[kind];
    tally.calls++;
    const start = this.now();
    try {
      return await call();
    } finally {
      tally.ms += this.now() - start;
    }
  }

  backbone(module: number, feeds: BackboneFeeds, pastKv: H | null): Promise<BackboneResult<H>> {
    return this.timed('backbone', () => this.inner.backbone(module, feeds, pastKv));
  }

  flowHead(module: number, z: H, x_ND: Float32Array, t_N1: Float32Array): Promise<Float32Array> {
    return this.timed('flowHead', () => this.inner.flowHead(module, z, x_ND, t_N1));
  }

  fewStep(module: number, z: H, x0_ND: Float32Array, guidance_N1: Float32Array): Promise<Float32Array> {
    return this.timed('fewStep', () => this.inner.fewStep(module, z, x0_ND, guidance_N1));
  }

  decode(tokens_BND: Float32Array, batch: number): Promise<Float32Array> {
    return this.timed('decode', () => this.inner.decode(tokens_BND, batch));
  }

  decodePreview(tokens_BggD: Float32Array, batch: number, grid: number): Promise<Float32Array> {
    return this.timed('previewDecode', () => this.inner.decodePreview(tokens_BggD, batch, grid));
  }

  release(handle: H): void {
    this.inner.release(handle);
  }
}
