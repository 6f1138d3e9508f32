/**
 * The module/step loop of docs/contract.md, run as data: for each module k and step j of manifest.modules[k].steps,
 * one backbone call (KV cache carried between steps), then the step's tokens from seeded noise, either by the flow
 * ODE (one flow-head call per velocity) or by one call of the few-step sampler, written into the token grid. After the step a scale names, that scale's preview is emitted.
 * Nothing about NestAR vs raster is written here; the manifest's schedule decides. Nothing about what a token is
 * either: tokenRenderer.ts turns token grids into images (pixel patches, or a decoder session for latents).
 */
import { NestarError } from './errors';
import type { Manifest } from './manifest';
import { sequentialSteps } from './manifest';
import { integrate, type OdeSolver } from './ode';
import { normal, streamOf } from './prng';
import type { BackboneFeeds, BackboneResult, SessionRunner } from './sessionRunner';
import { copyImage, tokenRenderer } from './tokenRenderer';
import { subGridTokens } from './tokens';
import type { GenerateRequest, GenerateResult, RgbaImage } from './types';

/** A run's result as the scheduler makes it; the engine adds the session-call stats it measured around it. */
export type ScheduleResult = Omit<GenerateResult, 'calls'>;

const f32 = Math.fround;

/** One finished scale: images[b] (its preview) at full size, and the raw sub-grid tokens [g*g*dim] of each image. */
export interface ScaleProgress {
  scale: number;
  grid: number;
  stride: number;
  images: RgbaImage[];
  subGridTokens: Float32Array[];
  /** A copy of each image's whole token grid so far [G*G*dim] (cells of scales <= this one filled): a prefix. */
  tokens: Float32Array[];
  elapsedMs: number;
  stepsDone: number;
  stepsTotal: number;
}

/** Per step, for parity tests: the standard-normal noise of the conditional batch [B, Lq, dim] before temperature. */
export interface StepTrace {
  module: number;
  step: number;
  noise_BLD: Float32Array;
}

export interface RunOptions {
  signal?: AbortSignal;
  onScale?: (progress: ScaleProgress) => void;
  onStep?: (trace: StepTrace) => void;
  /** Clock in ms; performance.now by default. */
  now?: () => number;
}

// ---- request validation ----

function badRequest(field: string, what: string, value: unknown): NestarError {
  return new NestarError('BAD_REQUEST', `${field} ${what}, got ${JSON.stringify(value)}`);
}

function checkNumber(field: string, value: unknown, [lo, hi]: [number, number], integer: boolean): void {
  const ok = typeof value === 'number' && Number.isFinite(value) && (!integer || Number.isInteger(value)) && value >= lo && value <= hi;
  if (!ok) throw badRequest(field, `must be ${integer ? 'an integer' : 'a number'} in [${lo}, ${hi}]`, value);
}

/** BAD_REQUEST naming the field and its allowed range when a request does not fit the model's manifest. */
export function validateRequest(manifest: Manifest, request: GenerateRequest): void {
  const { limits } = manifest;
  checkNumber('classIndex', request.classIndex, [0, manifest.classes.length - 1], true);
  checkNumber('seed', request.seed, [0, 2 ** 32 - 1], true);
  checkNumber('batch', request.batch, limits.batch, true);
  checkNumber('odeSteps', request.odeSteps, limits.odeSteps, true);
  checkNumber('guidance', request.guidance, limits.guidance, false);
  if (request.coarseGuidance !== undefined) checkNumber('coarseGuidance', request.coarseGuidance, limits.guidance, false);
  checkNumber('temperature', request.temperature, limits.temperature, false);
  if (request.solver === 'few_step') {
    const { fewStep } = manifest;
    if (!fewStep) throw badRequest('solver', `"few_step" needs a model with a few-step sampler (${manifest.id} has none: use "heun" or "euler")`, request.solver);
    // The distilled sampler was trained on these ranges only: refuse rather than extrapolate.
    checkNumber('guidance', request.guidance, fewStep.guidance, false);
    if (request.coarseGuidance !== undefined) checkNumber('coarseGuidance', request.coarseGuidance, fewStep.guidance, false);
    checkNumber('temperature', request.temperature, fewStep.temperature, false);
  } else if (request.solver !== 'euler' && request.solver !== 'heun') {
    throw badRequest('solver', 'must be "euler", "heun" or "few_step"', request.solver);
  }
  const scaleNumbers = manifest.scales.map((s) => s.scale);
  const last = scaleNumbers.at(-1)!;
  const { prefix, stopAfterScale } = request;
  if (prefix !== undefined) {
    if (typeof prefix !== 'object' || prefix === null) throw badRequest('prefix', 'must be { scale, tokens }', prefix);
    if (!scaleNumbers.slice(0, -1).includes(prefix.scale)) {
      throw badRequest('prefix.scale', `must be one of the model's scales below the last (${scaleNumbers.slice(0, -1).join(', ') || 'none'})`, prefix.scale);
    }
    const perImage = manifest.tokenCount * manifest.tokenDim;
    const tokens: unknown = prefix.tokens;
    if (!Array.isArray(tokens) || (tokens.length !== 1 && tokens.length !== request.batch)) {
      throw new NestarError('BAD_REQUEST', `prefix.tokens must be an array of 1 or batch (${request.batch}) token grids`);
    }
    const cells = prefixCells(manifest, prefix.scale);
    tokens.forEach((grid: unknown, b) => {
      if (!(grid instanceof Float32Array) || grid.length !== perImage) {
        throw new NestarError('BAD_REQUEST', `prefix.tokens[${b}] must be a Float32Array of ${manifest.tokenCount}x${manifest.tokenDim} = ${perImage} values`);
      }
      for (const cell of cells) {
        for (let d = 0; d < manifest.tokenDim; d++) {
          if (!Number.isFinite(grid[cell * manifest.tokenDim + d]!)) throw new NestarError('BAD_REQUEST', `prefix.tokens[${b}] has a non-finite value at cell ${cell}`);
        }
      }
    });
  }
  if (stopAfterScale !== undefined) {
    const lo = prefix ? prefix.scale + 1 : scaleNumbers[0]!;
    if (!scaleNumbers.includes(stopAfterScale) || stopAfterScale < lo) {
      throw badRequest('stopAfterScale', `must be one of the model's scales from ${lo} to ${last}${prefix ? ' (after prefix.scale)' : ''}`, stopAfterScale);
    }
  }
}

/**
 * Module k's guidance (docs/contract.md, "Settings and guidance per module"): `coarseGuidance` for the first module of a model
 * that has later ones, else `guidance`. Mirrors SamplingSettings.module_guidance in models/nestar/sampler.py.
 */
export function moduleGuidance(settings: Pick<GenerateRequest, 'guidance' | 'coarseGuidance'>, module: number, modules: number): number {
  return module === 0 && modules > 1 && settings.coarseGuidance !== undefined ? settings.coarseGuidance : settings.guidance;
}

// ---- where a run starts and stops ----

/** Position of (module, step) in the sequential order of all steps. */
function stepIndex(manifest: Manifest, module: number, step: number): number {
  let index = step;
  for (let k = 0; k < module; k++) index += manifest.modules[k]!.steps.length;
  return index;
}

/** The manifest scale with this number (validated before). */
function scaleEntry(manifest: Manifest, scale: number) {
  return manifest.scales.find((s) => s.scale === scale)!;
}

/** The cells generated by the steps up to and including scale `scale`'s last step: the prefix that scale completes. */
export function prefixCells(manifest: Manifest, scale: number): number[] {
  const s = scaleEntry(manifest, scale);
  const last = stepIndex(manifest, s.module, s.step);
  const cells: number[] = [];
  manifest.modules.forEach((mod, k) =>
    mod.steps.forEach((step, j) => {
      if (stepIndex(manifest, k, j) <= last) cells.push(...step.queryCells);
    }),
  );
  return cells;
}

// ---- helpers ----

function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new NestarError('CANCELLED', 'generation cancelled');
}

/**
 * Lets queued messages (a cancel() from the client) run: awaiting a session call that resolves without a macrotask
 * would otherwise starve the worker's message queue for the whole generation. A MessageChannel round trip is not
 * clamped like setTimeout(0).
 */
function yieldToEventLoop(): Promise<void> {
  if (typeof MessageChannel === 'undefined') return new Promise((resolve) => setTimeout(resolve, 0));
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}

/** Values of `cells` for each image, [B, L, dim]; the class slot (cell n) and -1 are zeros. */
function gather(tokens_B: Float32Array[], cells: number[], n: number, dim: number): Float32Array {
  const out = new Float32Array(tokens_B.length * cells.length * dim);
  tokens_B.forEach((tokens, b) => {
    cells.forEach((cell, i) => {
      if (cell >= 0 && cell < n) out.set(tokens.subarray(cell * dim, (cell + 1) * dim), (b * cells.length + i) * dim);
    });
  });
  return out;
}

/**
 * BAD_NUMBERS naming where, instead of a silently black or white image: NaN or Inf in a step's tokens (a network
 * that overflowed, a corrupt weight, a GPU fault) would otherwise propagate into every later scale and be clamped
 * to a valid-looking colour.
 */
function checkFinite(values: Float32Array, where: string, manifest: Manifest, module: number, step: number): void {
  let bad = 0;
  for (let e = 0; e < values.length; e++) if (!Number.isFinite(values[e]!)) bad++;
  if (bad === 0) return;
  const at = stepIndex(manifest, module, step);
  const scale = manifest.scales.find((s) => stepIndex(manifest, s.module, s.step) >= at);
  throw new NestarError('BAD_NUMBERS', `${where} produced ${bad} NaN or Inf of ${values.length} token values${scale ? `, before the ${scale.grid}x${scale.grid} preview` : ''}`);
}

/** [a; a]: the unconditional half sees the same content, parents and x as the conditional half. */
function doubled(a: Float32Array): Float32Array {
  const out = new Float32Array(a.length * 2);
  out.set(a, 0);
  out.set(a, a.length);
  return out;
}

// ---- the loop ----

/**
 * Generates request.batch images; image b uses seed (seed + b) mod 2^32 and so equals a batch-1 run with that seed.
 * With `prefix` it starts after that scale (the prefix's cells copied exactly); with `stopAfterScale` it stops after
 * that one and returns the partial grid. The noise of step (k, j) depends only on (seed + b, k, j), so stopping after
 * s and continuing from the returned tokens with the same seed replays the uninterrupted run exactly.
 * Throws BAD_REQUEST before any network call, CANCELLED when `signal` aborts between two network calls.
 */
export async function runSchedule<H>(
  manifest: Manifest,
  runner: SessionRunner<H>,
  request: GenerateRequest,
  options: RunOptions = {},
): Promise<ScheduleResult> {
  validateRequest(manifest, request);
  const { signal, onScale, onStep } = options;
  const now = options.now ?? (() => performance.now());
  const start = now();
  const { tokenCount: n, tokenDim: dim } = manifest;
  const B = request.batch;
  const fewStep = request.solver === 'few_step';
  const temperature = f32(request.temperature);
  const seeds = Array.from({ length: B }, (_, b) => (request.seed + b) >>> 0);
  /** Per module: its guidance, and whether its backbone and flow head run on the doubled batch. */
  const guidanceByModule = manifest.modules.map((_, k) => {
    const w = moduleGuidance(request, k, manifest.modules.length);
    // The few-step sampler folds guidance in; on the ODE path w == 1 is exactly the conditional velocity. Either way
    // the batch is not doubled, except in a few-step module whose one call runs the guided ODE (its z holds the
    // conditional rows, then the unconditional ones). Each module starts with an empty cache: this is decided per module.
    const guided = fewStep ? manifest.fewStep!.ode[k] !== null : w !== 1;
    const rows = guided ? 2 * B : B;
    const labels = new BigInt64Array(rows).fill(BigInt(request.classIndex));
    if (guided) labels.fill(BigInt(manifest.nullClass), B);
    return { w: f32(w), guided, rows, labels };
  });

  // Steps [firstStep, lastStep] of the sequential order are sampled; a prefix supplies the cells before firstStep.
  const { prefix } = request;
  const lastScale = request.stopAfterScale ?? manifest.scales.at(-1)!.scale;
  const stopAt = scaleEntry(manifest, lastScale);
  const lastStep = stepIndex(manifest, stopAt.module, stopAt.step);
  const startAfter = prefix ? scaleEntry(manifest, prefix.scale) : null;
  const firstStep = startAfter ? stepIndex(manifest, startAfter.module, startAfter.step) + 1 : 0;

  const tokens_B = Array.from({ length: B }, () => new Float32Array(n * dim));
  if (prefix) {
    const cells = prefixCells(manifest, prefix.scale);
    tokens_B.forEach((tokens, b) => {
      const source = prefix.tokens[prefix.tokens.length === 1 ? 0 : b]!;
      for (const cell of cells) tokens.set(source.subarray(cell * dim, (cell + 1) * dim), cell * dim);
    });
  }
  const renderer = tokenRenderer(manifest, runner);
  const stepsTotal = sequentialSteps(manifest);
  let stepsDone = firstStep;
  let firstPreviewMs = -1;
  let finalImages: RgbaImage[] | null = null;

  const call = async <T>(run: () => Promise<T>): Promise<T> => {
    await yieldToEventLoop();
    throwIfCancelled(signal);
    return run();
  };

  const emitScale = async (s: Manifest['scales'][number]): Promise<void> => {
    // Without a listener there is no preview to make (for latents each one is a decoder or preview-decoder call).
    const images = onScale ? await call(() => renderer.images(tokens_B, s.stride)) : [];
    // The last scale's preview is the run's image (the final image at stride 1): keep a copy (the listener may
    // transfer the preview's buffers) instead of rendering it again.
    if (onScale && s.scale === lastScale) finalImages = images.map(copyImage);
    const elapsedMs = now() - start;
    if (firstPreviewMs < 0) firstPreviewMs = elapsedMs;
    onScale?.({
      scale: s.scale,
      grid: s.grid,
      stride: s.stride,
      images,
      subGridTokens: tokens_B.map((tokens) => subGridTokens(tokens, manifest.grid, dim, s.stride)),
      tokens: tokens_B.map((tokens) => tokens.slice()),
      elapsedMs,
      stepsDone,
      stepsTotal,
    });
  };

  /** Samples step (k, j)'s tokens from the backbone's z (seeded noise, then the ODE or the few-step sampler). */
  const sampleStep = async (k: number, j: number, z: H): Promise<void> => {
    const step = manifest.modules[k]!.steps[j]!;
    const { w, guided, rows } = guidanceByModule[k]!;
    const Lq = step.queryCells.length;
    // Starting noise: image b, module k, step j, element q*dim + d (docs/contract.md, "PRNG").
    const stream = streamOf(k, j, manifest.streamStride);
    const noise_BLD = new Float32Array(B * Lq * dim);
    seeds.forEach((seed, b) => normal(seed, stream, Lq * dim, noise_BLD.subarray(b * Lq * dim, (b + 1) * Lq * dim)));
    onStep?.({ module: k, step: j, noise_BLD });
    const x0_BLD = noise_BLD.map((v) => f32(temperature * v));

    let x1_BLD: Float32Array;
    if (fewStep) {
      // One call: all of the few-step head's evaluations, guidance folded in, or the module's guided ODE on the
      // doubled z (docs/contract.md, "Few-step sampler"); x0 and the guidance are the B conditional rows' either way.
      const guidance_N1 = new Float32Array(B * Lq).fill(w);
      x1_BLD = await call(() => runner.fewStep(k, z, x0_BLD, guidance_N1));
      if (x1_BLD.length !== B * Lq * dim) throw new NestarError('MANIFEST_INVALID', `module ${k} few-step sampler returned ${x1_BLD.length} values, expected ${B}x${Lq}x${dim}`);
    } else {
      const N = rows * Lq;
      const half = B * Lq * dim;
      const velocity = async (x_BLD: Float32Array, t: number): Promise<Float32Array> => {
        const t_N1 = new Float32Array(N).fill(t);
        const v = await call(() => runner.flowHead(k, z, guided ? doubled(x_BLD) : x_BLD, t_N1));
        if (v.length !== N * dim) throw new NestarError('MANIFEST_INVALID', `module ${k} flow head returned ${v.length} values, expected ${N}x${dim}`);
        if (!guided) return v;
        // v = v_u + w (v_c - v_u), rows [0, B) conditional, [B, 2B) unconditional.
        const out = new Float32Array(half);
        for (let e = 0; e < half; e++) out[e] = f32(v[half + e]! + f32(w * f32(v[e]! - v[half + e]!)));
        return out;
      };
      x1_BLD = await integrate(x0_BLD, request.solver as OdeSolver, request.odeSteps, velocity);
    }
    checkFinite(x1_BLD, `module ${k + 1}, step ${j + 1} (${fewStep ? 'few-step sampler' : `${request.solver} ODE`})`, manifest, k, j);

    tokens_B.forEach((tokens, b) => {
      step.queryCells.forEach((cell, q) => tokens.set(x1_BLD.subarray((b * Lq + q) * dim, (b * Lq + q + 1) * dim), cell * dim));
    });
    stepsDone++;
  };

  // The prefix's scales are finished already: show them first, so a continued image has its whole filmstrip.
  if (startAfter) {
    for (const s of manifest.scales) if (s.scale <= startAfter.scale) await emitScale(s);
  }

  for (const [k, mod] of manifest.modules.entries()) {
    const moduleStart = stepIndex(manifest, k, 0);
    // Modules wholly inside the prefix have nothing to do; none after the stop step may start.
    if (moduleStart + mod.steps.length <= firstStep) continue;
    if (moduleStart > lastStep) break;
    const { guided, rows, labels } = guidanceByModule[k]!;
    let kv: H | null = null;
    try {
      for (const [j, step] of mod.steps.entries()) {
        const g = moduleStart + j;
        if (g > lastStep) break;
        // A step of the prefix inside the module where sampling resumes: its backbone call only rebuilds the cache
        // (same content, same result as in the original run); its tokens are the prefix's.
        const replay = g < firstStep;
        const content_BLD = gather(tokens_B, step.contentCells, n, dim);
        const parent_BLD = gather(tokens_B, step.queryParentCells, n, dim);
        const feeds: BackboneFeeds = {
          batch: rows,
          classLabel_B: labels,
          content_BLD: guided ? doubled(content_BLD) : content_BLD,
          contentCells_L: BigInt64Array.from(step.contentCells, BigInt),
          queryParent_BLD: guided ? doubled(parent_BLD) : parent_BLD,
          queryCells_L: BigInt64Array.from(step.queryCells, BigInt),
        };
        const pastKv: H | null = kv;
        const backboneStep = (): Promise<BackboneResult<H>> => runner.backbone(k, feeds, pastKv);
        const { z, presentKv }: BackboneResult<H> = await call(backboneStep);
        if (kv !== null) runner.release(kv);
        kv = presentKv;
        try {
          if (replay) continue;
          await sampleStep(k, j, z);
        } finally {
          runner.release(z);
        }
        for (const s of manifest.scales) if (s.module === k && s.step === j) await emitScale(s);
      }
    } finally {
      if (kv !== null) runner.release(kv);
    }
  }


  // A stopped run's image is its last scale's preview.
  const images = (finalImages as RgbaImage[] | null) ?? (await call(() => renderer.images(tokens_B, stopAt.stride)));
  const totalMs = now() - start;
  return {
    images,
    totalMs,
    firstPreviewMs: firstPreviewMs < 0 ? totalMs : firstPreviewMs,
    tokens: tokens_B,
    lastScale,
    complete: lastScale === manifest.scales.at(-1)!.scale,
  };
}
