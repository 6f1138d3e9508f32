/**
 * Public types of the NestAR runtime: the worker API the page (or any other client) talks to, its settings and the
 * events it streams. Shared by the worker (src/worker.ts) and the client (src/client.ts).
 */
import type { CallStats } from './callTimer';

/** Where the model runs. `auto` = WebGPU on a real GPU adapter, WASM otherwise (see src/backend.ts). */
export type BackendRequest = 'auto' | 'webgpu' | 'wasm';
export type Backend = 'webgpu' | 'wasm';
/** `euler`/`heun`: the flow ODE with odeSteps steps; `few_step`: the model's distilled few-step sampler (odeSteps unused). */
export type Solver = 'euler' | 'heun' | 'few_step';

/** Machine-readable error codes; they survive the worker boundary (src/errors.ts). */
export type ErrorCode =
  | 'MODEL_NOT_FOUND' // manifest or ONNX file missing (HTTP 404)
  | 'NETWORK' // the server could not be reached, answered an error (5xx) or the download broke off: worth a retry
  | 'MODEL_CORRUPT' // sha256 or size mismatch, unparsable ONNX
  | 'MANIFEST_INVALID' // manifest fails validation or disagrees with its ONNX files
  | 'BACKEND_UNAVAILABLE' // an explicit ?ep= override cannot be honoured
  | 'BAD_REQUEST' // unknown class, absurd setting
  | 'NOT_LOADED' // generate before load
  | 'BUSY' // a generation is already running
  | 'CANCELLED' // cancel() stopped the run
  | 'DEVICE_LOST' // the GPU went away mid-run
  | 'BAD_NUMBERS' // a network produced NaN or Inf (the message says which module, step and scale)
  | 'INTERNAL';

export interface ModelClass {
  index: number;
  label: string;
  group: string;
}

export interface SamplingSettings {
  odeSteps: number;
  solver: Solver;
  guidance: number;
  temperature: number;
  /**
   * Guidance of the first module, which lays out the coarsest scale (docs/contract.md, "Settings and guidance per module"); the
   * later modules use `guidance`. Absent: the same as `guidance`. A one-module model (raster) uses `guidance` only.
   */
  coarseGuidance?: number;
}

export interface ModelInfo {
  id: string;
  title: string;
  description: string;
  license: string;
  architecture: 'nestar' | 'raster';
  /** What a token is: a pixel patch, or a latent of the nested tokenizer turned into pixels by a decoder session. */
  tokenLayout: 'pixel_patch' | 'latent';
  imageSize: number;
  grid: number;
  tokenCount: number;
  sequentialSteps: number;
  /** Modules in the chain; with more than one, the first lays out the coarsest scale and takes `coarseGuidance`. */
  modules: number;
  scales: { scale: number; grid: number }[];
  classes: ModelClass[];
  defaults: SamplingSettings;
  /** Inclusive [min, max] of each numeric setting, from the manifest. */
  limits: { odeSteps: [number, number]; guidance: [number, number]; temperature: [number, number]; batch: [number, number] };
  /** The distilled few-step sampler (solver "few_step"), or null when the model has only the ODE path. */
  fewStep: FewStepInfo | null;
  /** Every file of the model. */
  totalBytes: number;
  /** What loading downloads: every file but the heads of the solver that is not the default (`onDemand`). */
  loadBytes: number;
  /**
   * Every file of the model (ONNX sessions, decoder) with its size and sha256, sorted by name: what exactly ran.
   * `onDemand`: a head of the non-default solver, downloaded at the first generation with that solver.
   */
  files: { name: string; bytes: number; sha256: string; onDemand: boolean }[];
  /** Measured sample quality (manifest `quality`, written by npm run eval), when the manifest has it. */
  quality: ModelQuality | null;
  /** Latent models: the nested tokenizer whose decoder session makes the pixels; null for pixel patches. */
  tokenizer: TokenizerInfo | null;
}

/** A few-step model's module that runs the guided reference ODE in its one call (docs/contract.md, "Few-step sampler"). */
export interface GuidedOde {
  solver: 'euler' | 'heun';
  steps: number;
}

/**
 * A model's few-step sampler (docs/contract.md, "Few-step sampler"): head evaluations per token, and the guidance and
 * temperature ranges it was trained for (the solver refuses settings outside them).
 */
export interface FewStepInfo {
  /**
   * Flow-head evaluations per token per module, coarse to fine (a manifest's one K for every module is expanded): the
   * distilled head's K, or for a module that runs the guided ODE, its velocity evaluations on both guidance rows.
   */
  evaluations: number[];
  /** Per module: the guided ODE its one call runs (its z is then the doubled batch), or null for a distilled head. */
  ode: (GuidedOde | null)[];
  guidance: [number, number];
  temperature: [number, number];
}

/** What the page shows about a latent model's tokenizer (manifest `tokens` and its informational `tokenizer`). */
export interface TokenizerInfo {
  /** Channels per latent token (manifest `tokens.dim`). */
  latentChannels: number;
  decoderFile: string;
  decoderBytes: number;
  /** The preview decoder of the coarse scales (preview rule "preview_decoder"), or null: the decoder makes them. */
  previewDecoder: { file: string; bytes: number } | null;
  /** Encoder and decoder together, when the manifest says. */
  parameters: number | null;
  /** Held-out PSNR (dB) of the image decoded from the full latent grid, when the manifest says. */
  reconstructionPsnr: number | null;
}

/** Sample quality against the real-data floor, in the feature space of a classifier trained on the data set. */
export interface ModelQuality {
  samples: number;
  fid: number;
  fidFloor: number;
  precision: number;
  recall: number;
  recallFloor: number;
  classAccuracy: number;
  /** When and how it was measured, for display. */
  measured: string;
}

export interface RuntimeInfo {
  backend: Backend | null;
  /** e.g. "google swiftshader (fallback)" or "nvidia ampere"; null when no WebGPU adapter. */
  adapter: string | null;
  /** Why `auto` chose what it chose, for display. */
  reason: string;
  /** onnxruntime's WASM thread pool (src/backend.ts: chooseWasmThreads), fixed when the worker starts. */
  wasmThreads: WasmThreads;
  model: ModelInfo | null;
}

export interface WasmThreads {
  /** Threads onnxruntime's WASM backend runs on (1 = no pool). */
  count: number;
  /** Whether the context is cross-origin isolated (SharedArrayBuffer available); without it count is 1. */
  isolated: boolean;
  /** Why this count, for display. */
  reason: string;
}

export interface LoadOptions {
  /** Folder URL that holds manifest.json and the ONNX files, e.g. "/models/emoji32-nestar/". */
  baseUrl: string;
  backend?: BackendRequest;
}

export interface GenerateRequest extends SamplingSettings {
  classIndex: number;
  seed: number; // uint32; image b of the batch uses seed + b
  batch: number;
  /**
   * Start after scale `prefix.scale` from these tokens instead of from scratch: the cells of scales <= that scale
   * are copied from `prefix.tokens` exactly (cells of finer scales are ignored) and only the finer scales are
   * sampled. With the seed of the run the tokens came from this continues that run exactly (the noise of a step
   * depends only on seed, module and step); with a new seed it is a variation that keeps the coarse scales.
   */
  prefix?: GenerationPrefix;
  /** Stop after this scale (a manifest scale number) and return its token grid; the last scale by default. */
  stopAfterScale?: number;
}

export interface GenerationPrefix {
  /** A manifest scale number, below the last scale. */
  scale: number;
  /** Token grids [tokenCount * dim] (GenerateResult.tokens of an earlier run): one shared by every image, or one per image. */
  tokens: Float32Array[];
}

/** An RGBA image crossing the worker boundary as a transferable buffer. */
export interface RgbaImage {
  width: number;
  height: number;
  data: Uint8ClampedArray;
}

export type LoadEvent =
  | { type: 'download'; file: string; loaded: number; total: number; fromCache: boolean }
  | { type: 'compile'; file: string }
  /**
   * Every session is created: the engine runs one generation of its own and drops it (warmUp.ts), so that the
   * first runs' one-off costs (WebGPU compiling its shaders, buffers sized) do not fall on the first Generate.
   */
  | { type: 'warmup'; backend: Backend }
  | { type: 'ready'; info: RuntimeInfo };

export type GenerateEvent =
  /**
   * Before the first run with the solver that is not the model's default: its heads download (`loaded` of `total`
   * bytes over all its files), then each compiles (`file`). Later runs with that solver have them already.
   */
  | { type: 'heads'; solver: string; phase: 'download' | 'compile'; file: string; loaded: number; total: number }
  /** One finished scale: `images[b]` is image b's preview at full size (docs/contract.md, "Previews"). */
  | {
      type: 'scale';
      scale: number;
      grid: number;
      images: RgbaImage[];
      elapsedMs: number;
      stepsDone: number;
      stepsTotal: number;
      /** Token grids [tokenCount * dim] of every image so far (cells of scales <= this one): a prefix to continue or vary from. */
      tokens: Float32Array[];
    }
  | { type: 'done'; images: RgbaImage[]; totalMs: number; firstPreviewMs: number; lastScale: number; calls: CallStats };

export type NestarEvent = LoadEvent | GenerateEvent;

export interface GenerateResult {
  images: RgbaImage[];
  totalMs: number;
  firstPreviewMs: number;
  /**
   * The token grid [batch][tokenCount * dim]: every cell when the run finished, the cells of scales <= lastScale
   * (zeros elsewhere) when it stopped early. Pass it back as `prefix.tokens` to continue or vary the image.
   */
  tokens: Float32Array[];
  /** The finest finished scale: the manifest's last scale for a whole image, `stopAfterScale` otherwise. */
  lastScale: number;
  /** True when the image is complete (lastScale is the manifest's last scale); `images` are then the final images. */
  complete: boolean;
  /** Session calls of the run per kind, with their time (callTimer.ts). */
  calls: CallStats;
}

/** The API the worker exposes through comlink (with configure() and diagnostics: workerRuntime.ts); the client wraps it 1:1. */
export interface WorkerApi {
  load(options: LoadOptions, onEvent: (e: LoadEvent) => void): Promise<RuntimeInfo>;
  generate(request: GenerateRequest, onEvent: (e: GenerateEvent) => void): Promise<GenerateResult>;
  cancel(): void;
  unload(): Promise<void>;
  info(): Promise<RuntimeInfo>;
}
