import { describe, expect, it } from 'vitest';
import { parseManifest, toModelInfo } from '../src/manifest';
import { makeManifestJson } from '../src/testManifest';
import type { GenerateRequest, RgbaImage, RuntimeInfo } from '../src/types';
import { emptyCallStats } from '../src/callTimer';
import { initialState, studioReducer, type StudioAction, type StudioState } from './studioState';

const info = toModelInfo(parseManifest(makeManifestJson({ grid: 8 }))); // scales 1..3
const runtime: RuntimeInfo = { backend: 'wasm', adapter: null, reason: '', wasmThreads: { count: 1, isolated: false, reason: '' }, model: info };
const request: GenerateRequest = { classIndex: 0, seed: 1, batch: 1, odeSteps: 2, solver: 'euler', guidance: 2, temperature: 1 };
const image: RgbaImage = { width: 1, height: 1, data: new Uint8ClampedArray(4) };
const tokens = [new Float32Array(3)];

function fold(actions: StudioAction[]): StudioState {
  return actions.reduce(studioReducer, { ...initialState, runtime, load: { ...initialState.load, status: 'ready' } });
}
const scale = (s: number, runId = 1): StudioAction => ({ type: 'scale', runId, scale: s, grid: 1 << s, images: [image], elapsedMs: s, stepsDone: s, stepsTotal: 3, tokens });

describe('studioReducer: stop, continue, vary', () => {
  it('a run stopped after a scale is done with no final image, its frames keep their tokens', () => {
    const state = fold([{ type: 'generate-start', runId: 1, request: { ...request, stopAfterScale: 2 } }, scale(1), scale(2), { type: 'done', runId: 1, images: [image], totalMs: 5, firstPreviewMs: 1, lastScale: 2, calls: emptyCallStats() }]);
    expect([state.run.status, state.run.final, state.run.lastScale]).toEqual(['done', null, 2]);
    expect(state.run.frames.map((f) => f.tokens)).toEqual([tokens, tokens]);
    expect(state.run.origin).toEqual({ kind: 'seed' });
  });

  it('a whole run has its final image; a variation run records its origin', () => {
    const origin = { kind: 'variation' as const, sourceSeed: 9, scale: 1, linkable: true };
    const state = fold([{ type: 'generate-start', runId: 1, request, origin }, scale(1), scale(2), scale(3), { type: 'done', runId: 1, images: [image], totalMs: 5, firstPreviewMs: 1, lastScale: 3, calls: emptyCallStats() }]);
    expect([state.run.status, state.run.final, state.run.lastScale, state.run.origin]).toEqual(['done', [image], 3, origin]);
  });

  it('a cancelled run keeps the scales that finished', () => {
    const state = fold([{ type: 'generate-start', runId: 1, request }, scale(1), { type: 'cancelled', runId: 1 }]);
    expect([state.run.status, state.run.frames.length]).toEqual(['cancelled', 1]);
  });
});

describe('studioReducer: heads fetched by a run', () => {
  const done = (runId: number): StudioAction => ({ type: 'done', runId, images: [image], totalMs: 5, firstPreviewMs: 1, lastScale: 3, calls: emptyCallStats() });
  it('a run that fetched its solver\'s heads says so after it ends (the storage view reads the cache again then); the next run starts without', () => {
    const fetched = fold([
      { type: 'generate-start', runId: 1, request: { ...request, solver: 'few_step' } },
      { type: 'heads', runId: 1, solver: 'few_step', phase: 'download', file: 'module1.fewstep.onnx', loaded: 1, total: 2 },
      scale(1), scale(2), scale(3), done(1),
    ]);
    expect([fetched.run.status, fetched.run.fetchedHeads, fetched.run.heads]).toEqual(['done', true, null]);
    const next = [{ type: 'generate-start', runId: 2, request } as StudioAction, scale(1, 2), scale(2, 2), scale(3, 2), done(2)].reduce(studioReducer, fetched);
    expect([next.run.status, next.run.fetchedHeads]).toEqual(['done', false]);
  });
  it('heads of an older run do not mark the current one', () => {
    const state = fold([{ type: 'generate-start', runId: 2, request }, { type: 'heads', runId: 1, solver: 'few_step', phase: 'compile', file: 'x.onnx', loaded: 2, total: 2 }]);
    expect(state.run.fetchedHeads).toBe(false);
  });
});

describe('studioReducer: loading', () => {
  it('compile events mark each file done at the next one; the warm-up ends the last compile and is over at ready', () => {
    const actions: StudioAction[] = [
      { type: 'load-start', modelId: 'm' },
      { type: 'compile', file: 'a.onnx' },
      { type: 'compile', file: 'b.onnx' },
      { type: 'warmup', backend: 'webgpu' },
    ];
    const warming = actions.reduce(studioReducer, initialState);
    expect(warming.load).toMatchObject({ status: 'loading', compiling: null, compiled: ['a.onnx', 'b.onnx'], warmingUp: 'webgpu' });
    const ready = studioReducer(warming, { type: 'ready', info: runtime });
    expect(ready.load).toMatchObject({ status: 'ready', compiled: ['a.onnx', 'b.onnx'], warmingUp: null });
    expect(studioReducer(ready, { type: 'load-start', modelId: 'n' }).load).toMatchObject({ compiled: [], warmingUp: null });
  });
});
