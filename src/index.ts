/**
 * NestAR runtime: the public API. Pages use `createNestarClient()` (the worker behind comlink); the pieces below it
 * are exported for tools, tests and other hosts. Node-only helpers live in src/node.ts.
 */
export * from './types';
export { createNestarClient, type NestarClient, type NestarClientOptions } from './client';
export { NestarError, isNestarError, registerErrorTransfer, toNestarError } from './errors';
export { createEngine, type EngineDeps } from './engine';
export {
  checkSessionIo,
  parseManifest,
  sequentialSteps,
  toModelInfo,
  MANIFEST_FORMAT,
  MANIFEST_FORMAT_VERSION,
  sessionFiles,
  type LatentManifest,
  type Manifest,
  type ManifestModule,
  type PixelPatchManifest,
  type ManifestScale,
  type ScheduleStep,
} from './manifest';
export { fetchManifest, fetchModelFile, sha256Hex, verifyBytes, CACHE_NAME, type FileProgress, type ModelFetchOptions } from './modelCache';
export { applyWasmThreads, chooseBackend, chooseWasmThreads, describeAdapter, MAX_WASM_THREADS, threadEnvironment, type BackendChoice, type ThreadEnvironment } from './backend';
export { createModelSessions, releaseModelSessions, OrtSessionRunner, type ModelSessions, type ModuleSessions, type Ort } from './ortRunner';
export { prefixCells, runSchedule, validateRequest, type RunOptions, type ScaleProgress, type ScheduleResult, type StepTrace } from './scheduler';
export type { BackboneFeeds, BackboneResult, SessionRunner } from './sessionRunner';
export { callTotals, emptyCallStats, TimedRunner, type CallStats, type CallTally, type SessionCallKind } from './callTimer';
export { integrate, velocityCalls, type Velocity } from './ode';
export { bits, mix32, normal, streamOf, PRNG_ALGORITHM } from './prng';
export { rgbaToTokens, subGridTokens, tokensToRgba, unitToByte, type TokenLayout } from './tokens';
export { decodeLatentImages, expandSubgrid, pixelsToRgba, type DecodeLatents } from './latentDecoder';
export { decodePreviewImages, upsampleBilinear, type DecodePreview } from './previewDecoder';
export { copyImage, tokenRenderer, type TokenRenderer } from './tokenRenderer';
