/**
 * SessionRunner on onnxruntime-web: per module a backbone, a flow-head and (when the model has one) a few-step sampler
 * InferenceSession, plus the decoder (and preview decoder) sessions of a latent model. The `ort` namespace is passed
 * in, so the same code runs in the worker ('onnxruntime-web/webgpu') and in Node tests ('onnxruntime-web', wasm):
 * both builds share one API and one set of types.
 */
import type * as OrtNamespace from 'onnxruntime-web';
import { NestarError } from './errors';
import { checkSessionIo, headFiles, headKindOf, type HeadKind, type Manifest, type SessionRole } from './manifest';
import type { BackboneFeeds, BackboneResult, SessionRunner } from './sessionRunner';
import type { Backend } from './types';

export type Ort = typeof OrtNamespace;
export type OrtTensor = OrtNamespace.Tensor;
export type OrtSession = OrtNamespace.InferenceSession;

export interface ModuleSessions {
  backbone: OrtSession;
  /** The ODE's velocity head; null until a generation first runs an ODE solver, when few-step is the default. */
  flowHead: OrtSession | null;
  /** The few-step sampler; null when the model has none, or until a generation first asks for it. */
  fewStep: OrtSession | null;
}

/**
 * The sessions of a loaded model: per module, then the decoder (null for pixel_patch models) and the preview decoder
 * (null where the preview rule has none).
 */
export interface ModelSessions {
  modules: ModuleSessions[];
  decoder: OrtSession | null;
  previewDecoder: OrtSession | null;
}

export interface CreateSessionsOptions {
  backend: Backend;
  /** The bytes of a manifest file, already size- and hash-checked (modelCache.ts). */
  fileBytes: (file: string) => Promise<Uint8Array>;
  /** Called before each session is created (compilation can take seconds on WebGPU). */
  onCompile?: (file: string) => void;
}

export interface CreateModelSessionsOptions extends CreateSessionsOptions {
  /** The head kinds to create; the default solver's alone by default (the page), both for harnesses that run both. */
  heads?: readonly HeadKind[];
}

/** Every session of one model's loaded set, so that a failure part-way can release what was created. */
function sessionCreator(ort: Ort, manifest: Manifest, options: CreateSessionsOptions) {
  const created: OrtSession[] = [];
  const create = async (file: string, role: SessionRole): Promise<OrtSession> => {
    const bytes = await options.fileBytes(file);
    options.onCompile?.(file);
    // The KV cache and z stay on the GPU between calls (the next step's backbone, the flow head or the few-step
    // sampler read them there); v, tokens and pixels come back for the CPU.
    const onDevice = options.backend === 'webgpu' && role === 'backbone';
    let session: OrtSession;
    try {
      session = await ort.InferenceSession.create(bytes, {
        executionProviders: [options.backend],
        logSeverityLevel: 3, // level 2 prints node-assignment warnings that look like errors in the console
        ...(onDevice ? { preferredOutputLocation: { present_kv: 'gpu-buffer' as const, z: 'gpu-buffer' as const } } : {}),
      });
    } catch (e) {
      throw new NestarError('MODEL_CORRUPT', `${file}: onnxruntime could not create a ${options.backend} session: ${(e as Error).message}`, { cause: e });
    }
    created.push(session);
    checkSessionIo(manifest, role, file, session);
    return session;
  };
  const releaseCreated = async (): Promise<void> => {
    await Promise.all(created.map((s) => s.release().catch(() => undefined)));
  };
  return { create, releaseCreated };
}

/**
 * Creates and io-checks a model's sessions on exactly one execution provider (no silent fallback): the backbones,
 * the decoders and the heads of `options.heads`; by default what load() makes (manifest.ts loadFiles).
 */
export async function createModelSessions(ort: Ort, manifest: Manifest, options: CreateModelSessionsOptions): Promise<ModelSessions> {
  const { create, releaseCreated } = sessionCreator(ort, manifest, options);
  const heads = options.heads ?? [headKindOf(manifest.defaults.solver)];
  try {
    const modules: ModuleSessions[] = [];
    for (const mod of manifest.modules) {
      modules.push({
        backbone: await create(mod.backbone, 'backbone'),
        flowHead: heads.includes('flow_head') ? await create(mod.flowHead, 'flow_head') : null,
        fewStep: heads.includes('few_step') && mod.fewStep ? await create(mod.fewStep, 'few_step') : null,
      });
    }
    const decoder = manifest.tokenLayout === 'latent' ? await create(manifest.decoder, 'decoder') : null;
    const previewFile = manifest.tokenLayout === 'latent' ? manifest.previewDecoder : null;
    const previewDecoder = previewFile ? await create(previewFile, 'preview_decoder') : null;
    return { modules, decoder, previewDecoder };
  } catch (e) {
    await releaseCreated();
    throw e;
  }
}

/** Creates one head session per module of the given kind (a solver's heads loaded on demand); [] if the model has none. */
export async function createHeadSessions(ort: Ort, manifest: Manifest, kind: HeadKind, options: CreateSessionsOptions): Promise<OrtSession[]> {
  const { create, releaseCreated } = sessionCreator(ort, manifest, options);
  try {
    const sessions: OrtSession[] = [];
    for (const file of headFiles(manifest, kind)) sessions.push(await create(file, kind));
    return sessions;
  } catch (e) {
    await releaseCreated();
    throw e;
  }
}

/** Every session in `sessions`, loaded on demand or not. */
export function allSessions(sessions: ModelSessions): OrtSession[] {
  const perModule = sessions.modules.flatMap((s) => [s.backbone, s.flowHead, s.fewStep]);
  return [...perModule, sessions.decoder, sessions.previewDecoder].filter((s): s is OrtSession => s !== null);
}

export async function releaseModelSessions(sessions: ModelSessions): Promise<void> {
  await Promise.all(allSessions(sessions).map((s) => s.release().catch(() => undefined)));
}

/** Reads a float32 output to the CPU (a no-op view for CPU tensors). */
async function floatData(tensor: OrtTensor, name: string): Promise<Float32Array> {
  if (tensor.type !== 'float32') throw new NestarError('MANIFEST_INVALID', `output ${name} is ${tensor.type}, the contract says float32`);
  const data = tensor.location === 'cpu' ? tensor.data : await tensor.getData(true);
  return data as Float32Array;
}

export class OrtSessionRunner implements SessionRunner<OrtTensor> {
  constructor(
    private readonly ort: Ort,
    private readonly manifest: Manifest,
    private readonly sessions: ModelSessions,
  ) {}

  async backbone(module: number, feeds: BackboneFeeds, pastKv: OrtTensor | null): Promise<BackboneResult<OrtTensor>> {
    const { Tensor } = this.ort;
    const mod = this.manifest.modules[module]!;
    const session = this.sessions.modules[module]!.backbone;
    const dim = this.manifest.tokenDim;
    const B = feeds.batch;
    const Lc = feeds.contentCells_L.length;
    const Lq = feeds.queryCells_L.length;
    const { layers, heads, headDim } = mod.kvCache;
    // Step 0: an empty cache, Lpast = 0 (the exported graph has a dynamic past length).
    const past = pastKv ?? new Tensor('float32', new Float32Array(0), [layers, 2, B, heads, 0, headDim]);
    const outputs = await session.run({
      class_label: new Tensor('int64', feeds.classLabel_B, [B]),
      content: new Tensor('float32', feeds.content_BLD, [B, Lc, dim]),
      content_cells: new Tensor('int64', feeds.contentCells_L, [Lc]),
      query_parent: new Tensor('float32', feeds.queryParent_BLD, [B, Lq, dim]),
      query_cells: new Tensor('int64', feeds.queryCells_L, [Lq]),
      past_kv: past,
    });
    const z = outputs.z;
    const presentKv = outputs.present_kv;
    if (!z || !presentKv) throw new NestarError('MANIFEST_INVALID', `${mod.backbone} did not return z and present_kv`);
    const want = [B, Lq, mod.width];
    if (z.type !== 'float32' || z.dims.length !== 3 || z.dims.some((d, i) => d !== want[i])) {
      for (const t of [z, presentKv]) this.release(t);
      throw new NestarError('MANIFEST_INVALID', `module ${module} backbone returned z ${z.type} [${z.dims.join(', ')}], expected float32 [${want.join(', ')}]`);
    }
    return { z, presentKv };
  }

  /** z [B, Lq, width] as the [N, width] the heads take: a view of the same data (CPU array or GPU buffer). */
  private rowsOf(z: OrtTensor, width: number): OrtTensor {
    const dims = [z.size / width, width];
    if (z.location === 'gpu-buffer') return this.ort.Tensor.fromGpuBuffer(z.gpuBuffer, { dataType: 'float32', dims });
    return z.reshape(dims);
  }

  async flowHead(module: number, z: OrtTensor, x_ND: Float32Array, t_N1: Float32Array): Promise<Float32Array> {
    const { Tensor } = this.ort;
    const mod = this.manifest.modules[module]!;
    const N = t_N1.length;
    const session = this.sessions.modules[module]!.flowHead;
    if (!session) throw new NestarError('INTERNAL', `${mod.flowHead} is not loaded: the engine loads the ODE heads before an ODE run`);
    const outputs = await session.run({
      z: this.rowsOf(z, mod.width),
      x: new Tensor('float32', x_ND, [N, this.manifest.tokenDim]),
      t: new Tensor('float32', t_N1, [N, 1]),
    });
    const v = outputs.v;
    if (!v) throw new NestarError('MANIFEST_INVALID', `${mod.flowHead} did not return v`);
    return floatData(v, 'v');
  }

  async fewStep(module: number, z: OrtTensor, x0_ND: Float32Array, guidance_N1: Float32Array): Promise<Float32Array> {
    const { Tensor } = this.ort;
    const mod = this.manifest.modules[module]!;
    const session = this.sessions.modules[module]!.fewStep;
    if (!mod.fewStep) throw new NestarError('BAD_REQUEST', `${this.manifest.id} has no few-step sampler: use the euler or heun solver`);
    if (!session) throw new NestarError('INTERNAL', `${mod.fewStep} is not loaded: the engine loads the few-step heads before a few-step run`);
    const N = guidance_N1.length;
    const outputs = await session.run({
      z: this.rowsOf(z, mod.width),
      x0: new Tensor('float32', x0_ND, [N, this.manifest.tokenDim]),
      guidance: new Tensor('float32', guidance_N1, [N, 1]),
    });
    const tokens = outputs.tokens;
    if (!tokens) throw new NestarError('MANIFEST_INVALID', `${mod.fewStep} did not return tokens`);
    return floatData(tokens, 'tokens');
  }

  async decode(tokens_BND: Float32Array, batch: number): Promise<Float32Array> {
    const { decoder } = this.sessions;
    const { manifest } = this;
    if (!decoder || manifest.tokenLayout !== 'latent') throw new NestarError('INTERNAL', `${manifest.id} is a ${manifest.tokenLayout} model: it has no decoder session`);
    const outputs = await decoder.run({ tokens: new this.ort.Tensor('float32', tokens_BND, [batch, manifest.tokenCount, manifest.tokenDim]) });
    const pixels = outputs.pixels;
    if (!pixels) throw new NestarError('MANIFEST_INVALID', `${manifest.decoder} did not return pixels`);
    return floatData(pixels, 'pixels');
  }

  async decodePreview(tokens_BggD: Float32Array, batch: number, grid: number): Promise<Float32Array> {
    const { previewDecoder } = this.sessions;
    const { manifest } = this;
    if (!previewDecoder || manifest.tokenLayout !== 'latent' || !manifest.previewDecoder) {
      throw new NestarError('INTERNAL', `${manifest.id} has no preview decoder session (preview rule ${manifest.tokenLayout === 'latent' ? manifest.preview : 'of pixel patches'})`);
    }
    const outputs = await previewDecoder.run({ tokens: new this.ort.Tensor('float32', tokens_BggD, [batch, grid, grid, manifest.tokenDim]) });
    const pixels = outputs.pixels;
    if (!pixels) throw new NestarError('MANIFEST_INVALID', `${manifest.previewDecoder} did not return pixels`);
    // The shape, not only the length: channels first would have the same length and paint the wrong colours.
    const side = grid * manifest.previewPixelsPerLatent!;
    const want = [batch, side, side, 3];
    if (pixels.dims.length !== 4 || pixels.dims.some((d, i) => d !== want[i])) {
      throw new NestarError('MANIFEST_INVALID', `${manifest.previewDecoder} returned pixels [${pixels.dims.join(', ')}], the manifest's preview rule says [${want.join(', ')}]`);
    }
    return floatData(pixels, 'pixels');
  }

  release(handle: OrtTensor): void {
    // GPU-resident caches and z hold device buffers that only dispose() frees; CPU tensors are plain arrays.
    if (handle.location !== 'cpu') handle.dispose();
  }
}
