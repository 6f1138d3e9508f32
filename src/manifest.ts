/**
 * manifest.json (format "nestar-studio/manifest", version 1; docs/contract.md) parsed into a typed object and
 * validated thoroughly: it is the only thing the runtime knows about a model, so every number the scheduler will
 * trust (grid, schedule, scales, limits, file hashes) is checked here once, with a message naming the field.
 * No fetching here: modelCache.ts gets the bytes, this file only judges them.
 */
import { NestarError } from './errors';
import { arr, describe, int, intArray, invalid, num, obj, range, rgb, sameNames, str, strArray, type Json } from './manifestJson';
import { velocityCalls } from './ode';
import { PRNG_ALGORITHM } from './prng';
import { checkSchedule } from './scheduleCheck';
import type { FewStepInfo, GuidedOde, ModelClass, ModelInfo, ModelQuality, SamplingSettings, Solver } from './types';

export const MANIFEST_FORMAT = 'nestar-studio/manifest';
export const MANIFEST_FORMAT_VERSION = 1;

/** Tensor names fixed by the contract; the manifest's `io` must list exactly these. */
export const BACKBONE_INPUTS = ['class_label', 'content', 'content_cells', 'query_parent', 'query_cells', 'past_kv'];
export const BACKBONE_OUTPUTS = ['z', 'present_kv'];
export const FLOW_HEAD_INPUTS = ['z', 'x', 't'];
export const FLOW_HEAD_OUTPUTS = ['v'];
export const FEW_STEP_INPUTS = ['z', 'x0', 'guidance'];
export const FEW_STEP_OUTPUTS = ['tokens'];
export const DECODER_INPUTS = ['tokens'];
export const DECODER_OUTPUTS = ['pixels'];
export const PREVIEW_DECODER_INPUTS = ['tokens'];
export const PREVIEW_DECODER_OUTPUTS = ['pixels'];

export interface ScheduleStep {
  /** Cells appended to the module's KV cache; the value tokenCount is the class token. */
  contentCells: number[];
  /** Cells generated at this step (one patch). */
  queryCells: number[];
  /** Per query, the already generated cell fed as its parent, or -1 for none. */
  queryParentCells: number[];
}

export interface KvCacheShape {
  layers: number;
  heads: number;
  headDim: number;
}

export interface ManifestModule {
  backbone: string;
  flowHead: string;
  /** The one-call few-step sampler graph (docs/contract.md, "Few-step sampler"); null when the model has none. */
  fewStep: string | null;
  /** Transformer width = size of `z`'s last axis. */
  width: number;
  kvCache: KvCacheShape;
  steps: ScheduleStep[];
}

export interface ManifestScale {
  scale: number;
  grid: number;
  stride: number;
  module: number;
  step: number;
}

export interface SessionIo {
  inputs: string[];
  outputs: string[];
}

/** What every manifest holds, whatever its token layout. */
export interface ManifestCommon {
  id: string;
  title: string;
  description: string;
  license: string;
  dataSource: string;
  architecture: 'nestar' | 'raster';
  imageSize: number;
  grid: number;
  tokenCount: number;
  /** Pixels per token side: the patch side (pixel_patch) or the tokenizer's downsampling factor (latent). */
  patchSize: number;
  tokenDim: number;
  classes: ModelClass[];
  nullClass: number;
  streamStride: number;
  defaults: SamplingSettings;
  limits: ModelInfo['limits'];
  modules: ManifestModule[];
  scales: ManifestScale[];
  /** The distilled few-step sampler (solver "few_step"), or null when the model has only the ODE path. */
  fewStep: FewStepInfo | null;
  /**
   * `decoder` is null for pixel_patch models (no decoder session), `previewDecoder` where the preview rule needs
   * none, `fewStep` without a few-step sampler.
   */
  io: { backbone: SessionIo; flowHead: SessionIo; fewStep: SessionIo | null; decoder: SessionIo | null; previewDecoder: SessionIo | null };
  files: Record<string, { bytes: number; sha256: string }>;
  /** Measured quality figures for display; null when absent or not in the shape npm run eval writes. */
  quality: ModelQuality | null;
}

/** `tokens.layout = "pixel_patch"`: a token is a normalised p x p pixel patch, decoded in TypeScript (tokens.ts). */
export interface PixelPatchTokens {
  tokenLayout: 'pixel_patch';
  /** Per channel (RGB): x = (pixel/255 - mean) / std. */
  normMean: [number, number, number];
  normStd: [number, number, number];
}

/** `tokens.layout = "latent"`: a token is a latent of the nested tokenizer, decoded by an ONNX session (latentDecoder.ts). */
export interface LatentTokens {
  tokenLayout: 'latent';
  /** The decoder session's file (listed in `files`): tokens [B, G², dim] -> pixels [B, H, W, 3] in [0, 1]. */
  decoder: string;
  /**
   * How a scale's preview is made (docs/contract.md, "Previews"): the full decoder on the expanded sub-grid, or the
   * small preview decoder on the sub-grid itself, scaled up (previewDecoder.ts).
   */
  preview: 'expand_subgrid' | 'preview_decoder';
  /** The preview decoder session's file (listed in `files`) and its pixels per latent; null with "expand_subgrid". */
  previewDecoder: string | null;
  previewPixelsPerLatent: number | null;
  /** For display only, from the informational `tokens.tokenizer`; null where it is missing or malformed. */
  tokenizerParameters: number | null;
  tokenizerPsnr: number | null;
}

export type PixelPatchManifest = ManifestCommon & PixelPatchTokens;
export type LatentManifest = ManifestCommon & LatentTokens;
/** A validated manifest; switch on `tokenLayout` to reach the layout's own fields. */
export type Manifest = PixelPatchManifest | LatentManifest;

// ---- the parser ----

/** Parses and validates manifest.json (the parsed JSON value or its text). Throws MANIFEST_INVALID. */
export function parseManifest(input: unknown): Manifest {
  let root: unknown = input;
  if (typeof input === 'string') {
    try {
      root = JSON.parse(input);
    } catch (e) {
      throw new NestarError('MANIFEST_INVALID', `manifest.json is not valid JSON: ${(e as Error).message}`);
    }
  }
  if (typeof root !== 'object' || root === null || Array.isArray(root)) {
    throw new NestarError('MANIFEST_INVALID', 'manifest.json must be a JSON object');
  }
  const m = root as Json;
  if (m.format !== MANIFEST_FORMAT) throw invalid('format', `must be "${MANIFEST_FORMAT}", ${describe(m.format)}`);
  if (m.format_version !== MANIFEST_FORMAT_VERSION) {
    throw invalid('format_version', `must be ${MANIFEST_FORMAT_VERSION} (this runtime's version), ${describe(m.format_version)}`);
  }

  const architecture = str(m, 'architecture', '');
  if (architecture !== 'nestar' && architecture !== 'raster') throw invalid('architecture', `must be "nestar" or "raster", is "${architecture}"`);

  const image = obj(m, 'image', '');
  const imageSize = int(image, 'size', 'image.', 1);
  if (image.channels !== undefined && image.channels !== 3) throw invalid('image.channels', `must be 3 (RGB), ${describe(image.channels)}`);

  const tokens = obj(m, 'tokens', '');
  const layout = str(tokens, 'layout', 'tokens.');
  if (layout !== 'pixel_patch' && layout !== 'latent') throw invalid('tokens.layout', `must be "pixel_patch" or "latent" (the layouts this runtime decodes), is "${layout}"`);
  const grid = int(tokens, 'grid', 'tokens.', 2);
  if ((grid & (grid - 1)) !== 0) throw invalid('tokens.grid', `must be a power of two, is ${grid}`);
  const tokenCount = int(tokens, 'count', 'tokens.', 1);
  if (tokenCount !== grid * grid) throw invalid('tokens.count', `must be grid² = ${grid * grid}, is ${tokenCount}`);
  const patchSize = int(tokens, 'patch_size', 'tokens.', 1);
  if (grid * patchSize !== imageSize) throw invalid('tokens.patch_size', `times tokens.grid must be image.size ${imageSize}, is ${patchSize} x ${grid}`);
  const tokenDim = int(tokens, 'dim', 'tokens.', 1);
  const tokenFields = layout === 'pixel_patch' ? parsePixelPatchTokens(tokens, patchSize, tokenDim) : parseLatentTokens(tokens, grid, imageSize);

  const classesJson = arr(m, 'classes', '');
  if (classesJson.length === 0) throw invalid('classes', 'must not be empty');
  const classes: ModelClass[] = classesJson.map((c, i) => {
    const path = `classes[${i}].`;
    if (typeof c !== 'object' || c === null) throw invalid(`classes[${i}]`, `must be an object, ${describe(c)}`);
    const cj = c as Json;
    const index = int(cj, 'index', path, 0);
    if (index !== i) throw invalid(`${path}index`, `must equal its position ${i}, is ${index}`);
    return { index, label: str(cj, 'label', path), group: str(cj, 'group', path, true) };
  });
  const nullClass = int(m, 'null_class', '', 0);
  if (nullClass < classes.length) throw invalid('null_class', `must not be a real class index (< ${classes.length}), is ${nullClass}`);

  const prng = obj(m, 'prng', '');
  const algorithm = str(prng, 'algorithm', 'prng.');
  if (algorithm !== PRNG_ALGORITHM) throw invalid('prng.algorithm', `must be "${PRNG_ALGORITHM}", is "${algorithm}"`);
  const streamStride = int(prng, 'stream_stride', 'prng.', 1);

  const sampling = obj(m, 'sampling', '');
  const limitsJson = obj(sampling, 'limits', 'sampling.');
  const limits: ModelInfo['limits'] = {
    odeSteps: range(limitsJson, 'ode_steps', 'sampling.limits.', true, 1),
    guidance: range(limitsJson, 'guidance', 'sampling.limits.', false, 0),
    temperature: range(limitsJson, 'temperature', 'sampling.limits.', false, 0),
    batch: range(limitsJson, 'batch', 'sampling.limits.', true, 1),
  };
  const defaultsJson = obj(sampling, 'defaults', 'sampling.');
  const solver = str(defaultsJson, 'solver', 'sampling.defaults.');
  if (solver !== 'euler' && solver !== 'heun' && solver !== 'few_step') {
    throw invalid('sampling.defaults.solver', `must be "euler", "heun" or "few_step", is "${solver}"`);
  }
  const defaults: SamplingSettings = {
    odeSteps: int(defaultsJson, 'ode_steps', 'sampling.defaults.', 1),
    solver: solver as Solver,
    guidance: num(defaultsJson, 'guidance', 'sampling.defaults.'),
    temperature: num(defaultsJson, 'temperature', 'sampling.defaults.'),
    ...('coarse_guidance' in defaultsJson ? { coarseGuidance: num(defaultsJson, 'coarse_guidance', 'sampling.defaults.') } : {}),
  };
  const inRange = (key: string, v: number, [lo, hi]: [number, number], limitKey = key): void => {
    if (v < lo || v > hi) throw invalid(`sampling.defaults.${key}`, `must lie in sampling.limits.${limitKey} [${lo}, ${hi}], is ${v}`);
  };
  inRange('ode_steps', defaults.odeSteps, limits.odeSteps);
  inRange('guidance', defaults.guidance, limits.guidance);
  if (defaults.coarseGuidance !== undefined) inRange('coarse_guidance', defaults.coarseGuidance, limits.guidance, 'guidance');
  inRange('temperature', defaults.temperature, limits.temperature);

  const filesJson = obj(m, 'files', '');
  const files: Manifest['files'] = {};
  for (const [name, f] of Object.entries(filesJson)) {
    const path = `files["${name}"].`;
    if (typeof f !== 'object' || f === null) throw invalid(`files["${name}"]`, `must be an object, ${describe(f)}`);
    if (name.includes('/') || name.includes('\\') || name.startsWith('.')) throw invalid(`files["${name}"]`, 'must be a plain file name in the model folder');
    const fj = f as Json;
    const sha256 = str(fj, 'sha256', path).toLowerCase();
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw invalid(`${path}sha256`, `must be 64 hex digits, is "${sha256}"`);
    files[name] = { bytes: int(fj, 'bytes', path, 1), sha256 };
  }

  const ioJson = obj(m, 'io', '');
  const backboneIo = obj(ioJson, 'backbone', 'io.');
  const flowIo = obj(ioJson, 'flow_head', 'io.');
  const io = {
    backbone: { inputs: strArray(backboneIo, 'inputs', 'io.backbone.'), outputs: strArray(backboneIo, 'outputs', 'io.backbone.') },
    flowHead: { inputs: strArray(flowIo, 'inputs', 'io.flow_head.'), outputs: strArray(flowIo, 'outputs', 'io.flow_head.') },
    fewStep: null as SessionIo | null,
    decoder: null as SessionIo | null,
    previewDecoder: null as SessionIo | null,
  };
  sameNames(io.backbone.inputs, BACKBONE_INPUTS, 'io.backbone.inputs');
  sameNames(io.backbone.outputs, BACKBONE_OUTPUTS, 'io.backbone.outputs');
  sameNames(io.flowHead.inputs, FLOW_HEAD_INPUTS, 'io.flow_head.inputs');
  sameNames(io.flowHead.outputs, FLOW_HEAD_OUTPUTS, 'io.flow_head.outputs');
  if (tokenFields.tokenLayout === 'latent') {
    if (!(tokenFields.decoder in files)) throw invalid('tokens.decoder', `names "${tokenFields.decoder}", which is not listed in files`);
    const decoderIo = obj(ioJson, 'decoder', 'io.');
    io.decoder = { inputs: strArray(decoderIo, 'inputs', 'io.decoder.'), outputs: strArray(decoderIo, 'outputs', 'io.decoder.') };
    sameNames(io.decoder.inputs, DECODER_INPUTS, 'io.decoder.inputs');
    sameNames(io.decoder.outputs, DECODER_OUTPUTS, 'io.decoder.outputs');
    if (tokenFields.previewDecoder !== null) {
      if (!(tokenFields.previewDecoder in files)) throw invalid('tokens.preview_decoder', `names "${tokenFields.previewDecoder}", which is not listed in files`);
      const previewIo = obj(ioJson, 'preview_decoder', 'io.');
      io.previewDecoder = { inputs: strArray(previewIo, 'inputs', 'io.preview_decoder.'), outputs: strArray(previewIo, 'outputs', 'io.preview_decoder.') };
      sameNames(io.previewDecoder.inputs, PREVIEW_DECODER_INPUTS, 'io.preview_decoder.inputs');
      sameNames(io.previewDecoder.outputs, PREVIEW_DECODER_OUTPUTS, 'io.preview_decoder.outputs');
    }
  }

  const modulesJson = arr(m, 'modules', '');
  if (modulesJson.length === 0) throw invalid('modules', 'must not be empty');
  const fewStep = parseFewStep(m.few_step, modulesJson.length);
  if (fewStep) {
    const fewIo = obj(ioJson, 'few_step', 'io.');
    io.fewStep = { inputs: strArray(fewIo, 'inputs', 'io.few_step.'), outputs: strArray(fewIo, 'outputs', 'io.few_step.') };
    sameNames(io.fewStep.inputs, FEW_STEP_INPUTS, 'io.few_step.inputs');
    sameNames(io.fewStep.outputs, FEW_STEP_OUTPUTS, 'io.few_step.outputs');
    const inFewRange = (key: string, v: number, [lo, hi]: [number, number], rangeKey = key): void => {
      if (v < lo || v > hi) throw invalid(`sampling.defaults.${key}`, `must lie in few_step.${rangeKey} [${lo}, ${hi}] when the default solver is "few_step", is ${v}`);
    };
    if (defaults.solver === 'few_step') {
      inFewRange('guidance', defaults.guidance, fewStep.guidance);
      if (defaults.coarseGuidance !== undefined) inFewRange('coarse_guidance', defaults.coarseGuidance, fewStep.guidance, 'guidance');
      inFewRange('temperature', defaults.temperature, fewStep.temperature);
    }
  } else if (defaults.solver === 'few_step') {
    throw invalid('sampling.defaults.solver', 'is "few_step", but the manifest has no few_step sampler');
  }

  const modules = modulesJson.map((mod, k) => parseModule(mod, k, tokenCount, streamStride, files, fewStep !== null));
  const scalesJson = arr(m, 'scales', '');
  const scales = scalesJson.map((s, i) => parseScale(s, i));
  checkSchedule(modules, scales, grid);
  const totalSteps = modules.reduce((sum, mod) => sum + mod.steps.length, 0);
  if (m.sequential_steps !== undefined && m.sequential_steps !== totalSteps) {
    throw invalid('sequential_steps', `must equal the schedule's ${totalSteps} steps, ${describe(m.sequential_steps)}`);
  }

  return {
    id: str(m, 'id', ''),
    title: str(m, 'title', ''),
    description: str(m, 'description', '', true),
    license: str(m, 'license', ''),
    dataSource: str(m, 'data_source', '', true),
    architecture,
    imageSize,
    grid,
    tokenCount,
    patchSize,
    tokenDim,
    ...tokenFields,
    classes,
    nullClass,
    streamStride,
    defaults,
    limits,
    fewStep,
    modules,
    scales,
    io,
    files,
    quality: parseQuality(m.quality),
  };
}

/**
 * The display summary of manifest `quality` (models/eval/evaluate.py writes it). Quality figures are informational:
 * a manifest whose `quality` is missing or malformed still loads, it just shows none.
 */
function parseQuality(q: unknown): ModelQuality | null {
  if (typeof q !== 'object' || q === null) return null;
  const r = q as Record<string, unknown>;
  const keys = ['samples', 'fid', 'fid_floor', 'precision', 'recall', 'recall_floor', 'class_accuracy'] as const;
  if (!keys.every((k) => typeof r[k] === 'number' && Number.isFinite(r[k]))) return null;
  const n = (k: (typeof keys)[number]) => r[k] as number;
  return {
    samples: n('samples'),
    fid: n('fid'),
    fidFloor: n('fid_floor'),
    precision: n('precision'),
    recall: n('recall'),
    recallFloor: n('recall_floor'),
    classAccuracy: n('class_accuracy'),
    measured: typeof r.measured === 'string' ? r.measured : '',
  };
}

/** An `evaluations` entry `{solver: "euler" | "heun", steps: 1..64}`: that module's one call runs the guided ODE. */
function guidedOde(entry: unknown, path: string): GuidedOde | null {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return null;
  const e = entry as Json;
  if (e.solver !== 'euler' && e.solver !== 'heun') throw invalid(`${path}.solver`, `must be "euler" or "heun", ${describe(e.solver)}`);
  const steps = int(e, 'steps', `${path}.`, 1);
  if (steps > 64) throw invalid(`${path}.steps`, `must be at most 64, is ${steps}`);
  const extra = Object.keys(e).filter((key) => key !== 'solver' && key !== 'steps');
  if (extra.length > 0) throw invalid(path, `has unknown keys ${extra.join(', ')}`);
  return { solver: e.solver, steps };
}

/** `few_step`: null or absent = no few-step sampler; otherwise K and the trained guidance and temperature ranges. */
function parseFewStep(value: unknown, moduleCount: number): FewStepInfo | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'object' || Array.isArray(value)) throw invalid('few_step', `must be an object or null, ${describe(value)}`);
  const f = value as Json;
  // One K for every module, or a list with one entry per module: a K, or the guided ODE that module runs instead.
  const entries: unknown[] = Array.isArray(f.evaluations) ? f.evaluations : new Array<unknown>(moduleCount).fill(int(f, 'evaluations', 'few_step.', 1));
  if (entries.length !== moduleCount) {
    throw invalid('few_step.evaluations', `must be one K or one per module (${moduleCount}), ${describe(f.evaluations)}`);
  }
  const ode = entries.map((e, k) => guidedOde(e, `few_step.evaluations[${k}]`));
  const evaluations = entries.map((e, k) => {
    const spec = ode[k];
    if (spec) return 2 * velocityCalls(spec.solver, spec.steps); // both guidance rows
    if (typeof e !== 'number' || !Number.isInteger(e) || e < 1 || e > 64) {
      throw invalid(`few_step.evaluations${Array.isArray(f.evaluations) ? `[${k}]` : ''}`, `must be an integer in [1, 64] or {solver, steps}, is ${JSON.stringify(e)}`);
    }
    return e;
  });
  return {
    evaluations,
    ode,
    guidance: range(f, 'guidance', 'few_step.', false, 0),
    temperature: range(f, 'temperature', 'few_step.', false, 0),
  };
}

/** pixel_patch: dim = 3p², element order (dy, dx, rgb), per-channel normalisation. */
function parsePixelPatchTokens(tokens: Json, patchSize: number, tokenDim: number): PixelPatchTokens {
  if (tokenDim !== 3 * patchSize * patchSize) throw invalid('tokens.dim', `must be 3 * patch_size² = ${3 * patchSize * patchSize}, is ${tokenDim}`);
  if (tokens.channel_order !== undefined && tokens.channel_order !== 'dy,dx,rgb') {
    throw invalid('tokens.channel_order', `must be "dy,dx,rgb" (the contract's element order), ${describe(tokens.channel_order)}`);
  }
  const norm = obj(tokens, 'normalization', 'tokens.');
  return {
    tokenLayout: 'pixel_patch',
    normMean: rgb(norm, 'mean', 'tokens.normalization.', false),
    normStd: rgb(norm, 'std', 'tokens.normalization.', true),
  };
}

/**
 * latent: the decoder file and the preview rule. The latents are already normalised per channel and the decoder
 * undoes that itself, so there is no normalisation to read. `tokens.tokenizer` is informational: only its parameter
 * count and the held-out PSNR of the full grid's reconstruction are read, for display, and a missing or malformed
 * one never stops a model from loading. That the decoder is listed in `files` is checked once the files are parsed.
 */
function parseLatentTokens(tokens: Json, grid: number, imageSize: number): LatentTokens {
  const decoder = str(tokens, 'decoder', 'tokens.');
  const preview = str(tokens, 'preview', 'tokens.');
  if (preview !== 'expand_subgrid' && preview !== 'preview_decoder') {
    throw invalid('tokens.preview', `must be "expand_subgrid" or "preview_decoder" (the preview rules this runtime knows), is "${preview}"`);
  }
  // The preview decoder's picture of a g x g sub-grid is g*q pixels wide and is scaled up, never down.
  const previewDecoder = preview === 'preview_decoder' ? str(tokens, 'preview_decoder', 'tokens.') : null;
  const previewPixelsPerLatent = preview === 'preview_decoder' ? int(tokens, 'preview_pixels_per_latent', 'tokens.', 1) : null;
  if (previewPixelsPerLatent !== null && previewPixelsPerLatent * (grid / 2) > imageSize) {
    throw invalid('tokens.preview_pixels_per_latent', `makes the finest preview (${grid / 2} latents) wider than the image (${imageSize} px), is ${previewPixelsPerLatent}`);
  }
  const info = (typeof tokens.tokenizer === 'object' && tokens.tokenizer !== null ? tokens.tokenizer : {}) as Json;
  const metrics = (typeof info.metrics === 'object' && info.metrics !== null ? info.metrics : {}) as Json;
  const finite = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  // models/nestar/reconstructions.py: scale log2(grid) is the full grid, "_vs_image" against the unblurred image.
  const fullScale = Math.log2(grid);
  return {
    tokenLayout: 'latent',
    decoder,
    preview,
    previewDecoder,
    previewPixelsPerLatent,
    tokenizerParameters: finite(info.parameters),
    tokenizerPsnr: finite(metrics[`psnr_scale${fullScale}_vs_image`]),
  };
}

function parseModule(mod: unknown, k: number, n: number, streamStride: number, files: Manifest['files'], hasFewStep: boolean): ManifestModule {
  const path = `modules[${k}].`;
  if (typeof mod !== 'object' || mod === null) throw invalid(`modules[${k}]`, `must be an object, ${describe(mod)}`);
  const mj = mod as Json;
  const backbone = str(mj, 'backbone', path);
  const flowHead = str(mj, 'flow_head', path);
  const fewStep = hasFewStep ? str(mj, 'few_step', path) : null;
  for (const [key, file] of [['backbone', backbone], ['flow_head', flowHead], ['few_step', fewStep]] as const) {
    if (file !== null && !(file in files)) throw invalid(`${path}${key}`, `names "${file}", which is not listed in files`);
  }
  const kv = obj(mj, 'kv_cache', path);
  const kvCache: KvCacheShape = {
    layers: int(kv, 'layers', `${path}kv_cache.`, 1),
    heads: int(kv, 'heads', `${path}kv_cache.`, 1),
    headDim: int(kv, 'head_dim', `${path}kv_cache.`, 1),
  };
  const stepsJson = arr(mj, 'steps', path);
  if (stepsJson.length === 0) throw invalid(`${path}steps`, 'must not be empty');
  if (stepsJson.length > streamStride) throw invalid(`${path}steps`, `has ${stepsJson.length} steps, more than prng.stream_stride ${streamStride}`);
  const steps = stepsJson.map((s, j): ScheduleStep => {
    const sp = `${path}steps[${j}].`;
    if (typeof s !== 'object' || s === null) throw invalid(`${path}steps[${j}]`, `must be an object, ${describe(s)}`);
    const sj = s as Json;
    const step = {
      contentCells: intArray(sj, 'content_cells', sp, 0, n),
      queryCells: intArray(sj, 'query_cells', sp, 0, n - 1),
      queryParentCells: intArray(sj, 'query_parent_cells', sp, -1, n - 1),
    };
    if (step.queryCells.length === 0) throw invalid(`${sp}query_cells`, 'must not be empty');
    if (step.queryParentCells.length !== step.queryCells.length) {
      throw invalid(`${sp}query_parent_cells`, `must have one entry per query (${step.queryCells.length}), has ${step.queryParentCells.length}`);
    }
    if (step.contentCells.length === 0) throw invalid(`${sp}content_cells`, 'must not be empty');
    if (j === 0 && step.contentCells[0] !== n) throw invalid(`${sp}content_cells[0]`, `must be the class token ${n} at a module's first step`);
    return step;
  });
  return { backbone, flowHead, fewStep, width: int(mj, 'width', path, 1), kvCache, steps };
}

function parseScale(s: unknown, i: number): ManifestScale {
  const path = `scales[${i}].`;
  if (typeof s !== 'object' || s === null) throw invalid(`scales[${i}]`, `must be an object, ${describe(s)}`);
  const sj = s as Json;
  return {
    scale: int(sj, 'scale', path, 0),
    grid: int(sj, 'grid', path, 1),
    stride: int(sj, 'stride', path, 1),
    module: int(sj, 'module', path, 0),
    step: int(sj, 'step', path, 0),
  };
}

/** Total sequential network steps (backbone calls) of one generation. */
export function sequentialSteps(manifest: Manifest): number {
  return manifest.modules.reduce((sum, mod) => sum + mod.steps.length, 0);
}

export function toModelInfo(manifest: Manifest): ModelInfo {
  const onDemand = new Set(onDemandFiles(manifest));
  return {
    id: manifest.id,
    title: manifest.title,
    description: manifest.description,
    license: manifest.license,
    architecture: manifest.architecture,
    tokenLayout: manifest.tokenLayout,
    imageSize: manifest.imageSize,
    grid: manifest.grid,
    tokenCount: manifest.tokenCount,
    sequentialSteps: sequentialSteps(manifest),
    modules: manifest.modules.length,
    scales: manifest.scales.map((s) => ({ scale: s.scale, grid: s.grid })),
    classes: manifest.classes.map((c) => ({ ...c })),
    defaults: { ...manifest.defaults },
    limits: {
      odeSteps: [...manifest.limits.odeSteps],
      guidance: [...manifest.limits.guidance],
      temperature: [...manifest.limits.temperature],
      batch: [...manifest.limits.batch],
    },
    fewStep: manifest.fewStep
      ? {
          evaluations: [...manifest.fewStep.evaluations],
          ode: manifest.fewStep.ode.map((o) => (o ? { ...o } : null)),
          guidance: [...manifest.fewStep.guidance],
          temperature: [...manifest.fewStep.temperature],
        }
      : null,
    totalBytes: Object.values(manifest.files).reduce((sum, f) => sum + f.bytes, 0),
    loadBytes: loadFiles(manifest).reduce((sum, f) => sum + manifest.files[f]!.bytes, 0),
    files: Object.entries(manifest.files)
      .map(([name, f]) => ({ name, bytes: f.bytes, sha256: f.sha256, onDemand: onDemand.has(name) }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
    quality: manifest.quality ? { ...manifest.quality } : null,
    tokenizer:
      manifest.tokenLayout === 'latent'
        ? {
            latentChannels: manifest.tokenDim,
            decoderFile: manifest.decoder,
            decoderBytes: manifest.files[manifest.decoder]!.bytes,
            previewDecoder: manifest.previewDecoder ? { file: manifest.previewDecoder, bytes: manifest.files[manifest.previewDecoder]!.bytes } : null,
            parameters: manifest.tokenizerParameters,
            reconstructionPsnr: manifest.tokenizerPsnr,
          }
        : null,
  };
}

/** Every ONNX file of the model, in the order its sessions are created (modules, then decoder and preview decoder). */
export function sessionFiles(manifest: Manifest): string[] {
  const files = manifest.modules.flatMap((m) => [m.backbone, m.flowHead, ...(m.fewStep ? [m.fewStep] : [])]);
  if (manifest.tokenLayout !== 'latent') return files;
  return [...files, manifest.decoder, ...(manifest.previewDecoder ? [manifest.previewDecoder] : [])];
}

/** The two kinds of flow-matching head a module can have: the ODE's velocity head, the distilled few-step sampler. */
export type HeadKind = 'flow_head' | 'few_step';

/** Which head a solver runs: the few-step sampler, or the velocity head that euler and heun integrate. */
export function headKindOf(solver: string): HeadKind {
  return solver === 'few_step' ? 'few_step' : 'flow_head';
}

/** The files of one head kind, one per module; empty when the model has no such heads (no few-step sampler). */
export function headFiles(manifest: Manifest, kind: HeadKind): string[] {
  return manifest.modules.flatMap((m) => (kind === 'flow_head' ? [m.flowHead] : m.fewStep ? [m.fewStep] : []));
}

/**
 * What load() downloads and compiles: the backbones, the heads of the default solver and the decoder. The other
 * solver's heads (the ODE reference's velocity heads when few-step is the default, for the flagship 4 to 13 MB that
 * most visitors never run) download at the first generation that asks for that solver (docs/contract.md, "Loading").
 */
export function loadFiles(manifest: Manifest): string[] {
  const onDemand = new Set(onDemandFiles(manifest));
  return sessionFiles(manifest).filter((f) => !onDemand.has(f));
}

/** The files only a non-default solver needs: downloaded when a generation first asks for that solver. */
export function onDemandFiles(manifest: Manifest): string[] {
  const other: HeadKind = headKindOf(manifest.defaults.solver) === 'few_step' ? 'flow_head' : 'few_step';
  return headFiles(manifest, other);
}

export type SessionRole = 'backbone' | 'flow_head' | 'few_step' | 'decoder' | 'preview_decoder';

/**
 * Checks a created ONNX session's input/output names against the manifest's `io` (MANIFEST_INVALID otherwise),
 * so a re-exported graph with renamed tensors fails at load, not in the middle of a generation.
 */
export function checkSessionIo(
  manifest: Manifest,
  role: SessionRole,
  file: string,
  session: { readonly inputNames: readonly string[]; readonly outputNames: readonly string[] },
): void {
  const want = {
    backbone: manifest.io.backbone,
    flow_head: manifest.io.flowHead,
    few_step: manifest.io.fewStep,
    decoder: manifest.io.decoder,
    preview_decoder: manifest.io.previewDecoder,
  }[role];
  if (!want) throw new NestarError('MANIFEST_INVALID', `${file}: a ${role} session, but the manifest's io has no ${role}`);
  const same = (a: readonly string[], b: readonly string[]): boolean => [...a].sort().join(',') === [...b].sort().join(',');
  if (!same(session.inputNames, want.inputs) || !same(session.outputNames, want.outputs)) {
    throw new NestarError(
      'MANIFEST_INVALID',
      `${file}: the ${role} session has inputs [${session.inputNames.join(', ')}] and outputs ` +
        `[${session.outputNames.join(', ')}], the manifest's io.${role} says [${want.inputs.join(', ')}] -> [${want.outputs.join(', ')}]`,
    );
  }
}
