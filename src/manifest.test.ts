import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NestarError } from './errors';
import { checkSessionIo, headKindOf, loadFiles, onDemandFiles, parseManifest, sequentialSteps, sessionFiles, toModelInfo } from './manifest';
import { makeManifestJson } from './testManifest';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function expectInvalid(mutate: (m: Json) => void, fieldInMessage: string, base: Json = makeManifestJson()): void {
  const m = structuredClone(base) as Json;
  mutate(m);
  let err: unknown;
  try {
    parseManifest(m);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(NestarError);
  expect((err as NestarError).code).toBe('MANIFEST_INVALID');
  expect((err as NestarError).message).toContain(fieldInMessage);
}

describe('parseManifest', () => {
  it('accepts a good NestAR manifest (3M+1 steps) and a raster one (n steps)', () => {
    const m = parseManifest(makeManifestJson({ grid: 8 }));
    expect(m.modules.length).toBe(3);
    expect(sequentialSteps(m)).toBe(3 * 3 + 1);
    expect(m.scales.map((s) => s.grid)).toEqual([2, 4, 8]);
    expect(m.tokenLayout).toBe('pixel_patch');
    expect(m.tokenLayout === 'pixel_patch' && m.normMean).toEqual([0.5, 0.5, 0.5]);
    expect(m.io.decoder).toBeNull();
    expect(sessionFiles(m)).toEqual(['module0_backbone.onnx', 'module0_flow_head.onnx', 'module1_backbone.onnx', 'module1_flow_head.onnx', 'module2_backbone.onnx', 'module2_flow_head.onnx']);
    const info = toModelInfo(m);
    expect(info.sequentialSteps).toBe(10);
    expect(info.totalBytes).toBe(1000 + 1001 + 1002 + 500 + 501 + 502);
    expect(info.limits.batch).toEqual([1, 8]);
    expect(info.tokenLayout).toBe('pixel_patch');

    const r = parseManifest(JSON.stringify(makeManifestJson({ grid: 4, architecture: 'raster' })));
    expect(sequentialSteps(r)).toBe(16);
  });

  it('reads a quality summary when it has the fields npm run eval writes, and ignores one that has not', () => {
    const good = { ...makeManifestJson(), quality: { samples: 2000, fid: 3.5, fid_floor: 1.2, precision: 0.7, recall: 0.4, recall_floor: 0.6, class_accuracy: 0.5, measured: 'npm run eval' } };
    expect(toModelInfo(parseManifest(good)).quality).toEqual({ samples: 2000, fid: 3.5, fidFloor: 1.2, precision: 0.7, recall: 0.4, recallFloor: 0.6, classAccuracy: 0.5, measured: 'npm run eval' });
    expect(parseManifest(makeManifestJson()).quality).toBeNull(); // { fid: null }: incomplete
    expect(parseManifest({ ...good, quality: { ...good.quality, recall: 'high' } }).quality).toBeNull();
    expect(parseManifest({ ...good, quality: undefined }).quality).toBeNull();
  });

  it('rejects bad manifests with a message naming the field', () => {
    expectInvalid((m) => (m.format = 'other'), 'format');
    expectInvalid((m) => (m.format_version = 2), 'format_version');
    expectInvalid((m) => (m.tokens.count = 17), 'tokens.count');
    expectInvalid((m) => (m.tokens.dim = 5), 'tokens.dim');
    expectInvalid((m) => (m.tokens.grid = 3), 'tokens.grid');
    expectInvalid((m) => delete m.tokens.normalization, 'tokens.normalization');
    expectInvalid((m) => (m.tokens.normalization.std = 0), 'tokens.normalization.std');
    expectInvalid((m) => (m.tokens.normalization.mean = [0.5, 0.5]), 'tokens.normalization.mean');
    expectInvalid((m) => (m.tokens.channel_order = 'rgb,dy,dx'), 'tokens.channel_order');
    expectInvalid((m) => (m.sequential_steps = 4), 'sequential_steps');
    expectInvalid((m) => (m.classes[1].index = 5), 'classes[1].index');
    expectInvalid((m) => (m.null_class = 1), 'null_class');
    expectInvalid((m) => (m.prng.algorithm = 'mt19937'), 'prng.algorithm');
    expectInvalid((m) => (m.sampling.defaults.solver = 'rk4'), 'sampling.defaults.solver');
    expectInvalid((m) => (m.sampling.defaults.guidance = 50), 'sampling.defaults.guidance');
    expectInvalid((m) => (m.sampling.limits.batch = [4, 1]), 'sampling.limits.batch');
    expectInvalid((m) => (m.files['module0_backbone.onnx'].sha256 = 'xyz'), 'sha256');
    expectInvalid((m) => delete m.files['module1_flow_head.onnx'], 'modules[1].flow_head');
    expectInvalid((m) => (m.io.backbone.inputs = ['class_label']), 'io.backbone.inputs');
    expectInvalid((m) => (m.modules[0].kv_cache.heads = 0), 'modules[0].kv_cache.heads');
    expectInvalid((m) => (m.modules[1].steps[0].query_parent_cells = [0]), 'query_parent_cells');
    expectInvalid((m) => (m.modules[0].steps[0].content_cells = [0]), 'content_cells');
  });

  it("load fetches the default solver's heads; the other solver's are on demand, and ModelInfo says which", () => {
    const ode = parseManifest(makeManifestJson({ fewStep: true }));
    expect(ode.defaults.solver).toBe('heun');
    expect(onDemandFiles(ode)).toEqual(ode.modules.map((m) => m.fewStep));
    expect(onDemandFiles(ode)).toContain('module1_few_step.onnx');
    expect(loadFiles(ode)).not.toContain('module0_few_step.onnx');
    expect(loadFiles(ode)).toContain('module0_flow_head.onnx');
    const fastJson = makeManifestJson({ fewStep: true }) as Json;
    fastJson.sampling.defaults.solver = 'few_step';
    fastJson.sampling.defaults.guidance = 3;
    fastJson.sampling.defaults.temperature = 1;
    const fast = parseManifest(fastJson);
    expect(onDemandFiles(fast)).toEqual(fast.modules.map((m) => m.flowHead));
    expect([...loadFiles(fast), ...onDemandFiles(fast)].sort()).toEqual(sessionFiles(fast).sort());
    const info = toModelInfo(fast);
    const onDemandBytes = info.files.filter((f) => f.onDemand).reduce((sum, f) => sum + f.bytes, 0);
    expect(info.files.filter((f) => f.onDemand).map((f) => f.name)).toEqual(onDemandFiles(fast));
    expect(info.loadBytes).toBe(info.totalBytes - onDemandBytes);
    expect(headKindOf('euler')).toBe('flow_head');
    // A model without a few-step sampler loads everything.
    const plain = parseManifest(makeManifestJson());
    expect([onDemandFiles(plain), loadFiles(plain)]).toEqual([[], sessionFiles(plain)]);
  });

  it('reads an optional few-step sampler and checks its files, io and the defaults that use it', () => {
    const fast = makeManifestJson({ fewStep: true });
    const m = parseManifest(fast);
    expect(m.fewStep).toEqual({ evaluations: [2, 2], ode: [null, null], guidance: [1, 6], temperature: [0.5, 1.2] }); // one K for both modules
    expect(m.modules[1]!.fewStep).toBe('module1_few_step.onnx');
    expect(sessionFiles(m)).toContain('module0_few_step.onnx');
    expect(toModelInfo(m).fewStep).toEqual({ evaluations: [2, 2], ode: [null, null], guidance: [1, 6], temperature: [0.5, 1.2] });
    expect(parseManifest(makeManifestJson()).fewStep).toBeNull();
    // K per module, coarse to fine.
    const perModule = structuredClone(fast) as Json;
    (perModule.few_step as Json).evaluations = [2, 1];
    expect(toModelInfo(parseManifest(perModule)).fewStep?.evaluations).toEqual([2, 1]);
    // A module that runs the guided ODE in its one call: its evaluations count both guidance rows (3 Heun steps: 12).
    (perModule.few_step as Json).evaluations = [{ solver: 'heun', steps: 3 }, 1];
    expect(toModelInfo(parseManifest(perModule)).fewStep).toMatchObject({ evaluations: [12, 1], ode: [{ solver: 'heun', steps: 3 }, null] });
    expectInvalid((j) => (j.few_step.evaluations = [{ solver: 'rk4', steps: 3 }, 1]), 'few_step.evaluations[0].solver', fast);
    expectInvalid((j) => (j.few_step.evaluations = [{ solver: 'heun', steps: 0 }, 1]), 'few_step.evaluations[0].steps', fast);
    expectInvalid((j) => (j.few_step.evaluations = [{ solver: 'heun', steps: 3, w: 2 }, 1]), 'few_step.evaluations[0] has unknown keys w', fast);
    expectInvalid((j) => (j.few_step.evaluations = { solver: 'heun', steps: 3 }), 'few_step.evaluations', fast);
    expectInvalid((j) => (j.sampling.defaults.solver = 'few_step'), 'no few_step sampler');
    expectInvalid((j) => delete j.files['module1_few_step.onnx'], 'modules[1].few_step', fast);
    expectInvalid((j) => delete j.modules[0].few_step, 'modules[0].few_step', fast);
    expectInvalid((j) => (j.io.few_step.inputs = ['z', 'x', 't']), 'io.few_step.inputs', fast);
    expectInvalid((j) => (j.few_step.guidance = [6, 1]), 'few_step.guidance', fast);
    expectInvalid((j) => (j.few_step = 'fast'), 'few_step', fast);
    expectInvalid((j) => (j.few_step.evaluations = [2, 2, 1]), 'few_step.evaluations must be one K or one per module (2)', fast);
    expectInvalid((j) => (j.few_step.evaluations = [2, 0]), 'few_step.evaluations[1]', fast);
    expectInvalid((j) => (j.few_step.evaluations = 65), 'few_step.evaluations must be an integer in [1, 64]', fast);
    expectInvalid((j) => Object.assign(j.sampling.defaults, { solver: 'few_step', guidance: 8 }), 'few_step.guidance', fast);
    expectInvalid((j) => Object.assign(j.sampling.defaults, { solver: 'few_step', coarse_guidance: 0.5 }), 'sampling.defaults.coarse_guidance must lie in few_step.guidance', fast);
  });

  it('reads an optional coarse guidance among the defaults (absent: one guidance for the whole image)', () => {
    const json = makeManifestJson();
    expect(parseManifest(json).defaults.coarseGuidance).toBeUndefined();
    (json.sampling as { defaults: Record<string, unknown> }).defaults.coarse_guidance = 1.5;
    const info = toModelInfo(parseManifest(json));
    expect([info.defaults.coarseGuidance, info.modules]).toEqual([1.5, 2]); // grid 4: 2 modules
    expectInvalid((j) => (j.sampling.defaults.coarse_guidance = 11), 'sampling.defaults.coarse_guidance must lie in sampling.limits.guidance');
    expectInvalid((j) => (j.sampling.defaults.coarse_guidance = 'low'), 'sampling.defaults.coarse_guidance');
  });

  it('rejects schedules that do not cover the grid or read cells before they exist', () => {
    // Generate cell 0 twice.
    expectInvalid((m) => (m.modules[0].steps[1].query_cells = [0]), 'a second time');
    // Feed a not yet generated cell as content.
    expectInvalid((m) => (m.modules[1].steps[0].content_cells = [16, 15]), 'not generated yet');
    // Drop the last step: cells never generated.
    expectInvalid((m) => m.modules[1].steps.pop(), 'never generate');
    // A scale that claims to be done too early.
    expectInvalid((m) => (m.scales[0].step = 2), 'scales[0]');
    expectInvalid((m) => (m.scales[1].module = 9), 'scales[1]');
  });

  it('accepts the latent fixture (fixtures/tiny-latent): decoders, preview rule and their io, no normalisation', () => {
    const m = parseManifest(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'tiny-latent', 'manifest.json'), 'utf8'));
    expect(m.tokenLayout).toBe('latent');
    if (m.tokenLayout !== 'latent') return;
    expect(m).toMatchObject({ decoder: 'decoder.onnx', preview: 'preview_decoder', previewDecoder: 'preview_decoder.onnx', previewPixelsPerLatent: 8 });
    expect(m).toMatchObject({ grid: 4, tokenDim: 4, patchSize: 8, imageSize: 32 });
    expect(m).not.toHaveProperty('normMean');
    expect(m.io.decoder).toEqual({ inputs: ['tokens'], outputs: ['pixels'] });
    expect(m.io.previewDecoder).toEqual({ inputs: ['tokens'], outputs: ['pixels'] });
    expect(sessionFiles(m).slice(-2)).toEqual(['decoder.onnx', 'preview_decoder.onnx']);
    expect(sessionFiles(m).length).toBe(8); // 2 modules x (backbone, flow head, few-step sampler) + 2 decoders
    const info = toModelInfo(m);
    expect(info.tokenLayout).toBe('latent');
    expect(info.totalBytes).toBe(Object.values(m.files).reduce((sum, f) => sum + f.bytes, 0)); // the decoder counts
    // The fixture's tokenizer has no metrics: the PSNR is simply not shown.
    expect(info.tokenizer).toEqual({
      latentChannels: 4,
      decoderFile: 'decoder.onnx',
      decoderBytes: m.files['decoder.onnx']!.bytes,
      previewDecoder: { file: 'preview_decoder.onnx', bytes: m.files['preview_decoder.onnx']!.bytes },
      parameters: 23540,
      reconstructionPsnr: null,
    });
  });

  it('reads the tokenizer facts for display (full-grid PSNR), and ignores a malformed tokens.tokenizer', () => {
    const latent = makeManifestJson({ grid: 8, layout: 'latent', latentDim: 16 }) as Json;
    latent.tokens.tokenizer = { parameters: 1605376, metrics: { psnr_scale2_vs_image: 19.8, psnr_scale3: 23.7, psnr_scale3_vs_image: 23.6 } };
    expect(toModelInfo(parseManifest(latent)).tokenizer).toMatchObject({ latentChannels: 16, parameters: 1605376, reconstructionPsnr: 23.6 });
    latent.tokens.tokenizer = { parameters: 'many', metrics: 'none' };
    expect(toModelInfo(parseManifest(latent)).tokenizer).toMatchObject({ parameters: null, reconstructionPsnr: null });
    delete latent.tokens.tokenizer;
    expect(toModelInfo(parseManifest(latent)).tokenizer).toMatchObject({ parameters: null, reconstructionPsnr: null });
    expect(toModelInfo(parseManifest(makeManifestJson())).tokenizer).toBeNull(); // pixel patches have no tokenizer
  });

  it('rejects bad latent manifests with a message naming the field', () => {
    const latent = makeManifestJson({ layout: 'latent' }) as Json;
    expect(parseManifest(latent).tokenLayout).toBe('latent');
    expectInvalid((m) => (m.tokens.layout = 'voxels'), 'tokens.layout', latent);
    expectInvalid((m) => delete m.tokens.decoder, 'tokens.decoder', latent);
    expectInvalid((m) => (m.tokens.decoder = 'dec.onnx'), 'tokens.decoder', latent);
    expectInvalid((m) => delete m.files['decoder.onnx'], 'tokens.decoder', latent);
    expectInvalid((m) => delete m.tokens.preview, 'tokens.preview', latent);
    expectInvalid((m) => (m.tokens.preview = 'subgrid_only'), 'tokens.preview', latent);
    expectInvalid((m) => delete m.io.decoder, 'io.decoder', latent);
    expectInvalid((m) => (m.io.decoder.inputs = ['latents']), 'io.decoder.inputs', latent);
    expectInvalid((m) => (m.io.decoder.outputs = ['pixels', 'extra']), 'io.decoder.outputs', latent);
    expectInvalid((m) => (m.tokens.dim = 0), 'tokens.dim', latent);
    expectInvalid((m) => (m.tokens.patch_size = 3), 'tokens.patch_size', latent);
    expectInvalid((m) => (m.tokens.grid = 3), 'tokens.grid', latent);
    // Any dim is fine for latents (not 3p²), and a pixel_patch manifest still needs its normalisation.
    expect(parseManifest(makeManifestJson({ layout: 'latent', latentDim: 5 })).tokenDim).toBe(5);
    expectInvalid((m) => (m.tokens.layout = 'pixel_patch'), 'tokens.dim', latent);
  });

  it('reads the preview_decoder rule: its file, pixels per latent and io; the session files end with it', () => {
    const latent = makeManifestJson({ grid: 8, layout: 'latent', patch: 4, previewDecoder: true }) as Json;
    const m = parseManifest(latent);
    if (m.tokenLayout !== 'latent') throw new Error('expected a latent manifest');
    expect(m).toMatchObject({ preview: 'preview_decoder', previewDecoder: 'preview_decoder.onnx', previewPixelsPerLatent: 4 });
    expect(m.io.previewDecoder).toEqual({ inputs: ['tokens'], outputs: ['pixels'] });
    expect(sessionFiles(m).slice(-2)).toEqual(['decoder.onnx', 'preview_decoder.onnx']);
    expect(loadFiles(m)).toContain('preview_decoder.onnx');
    const plain = parseManifest(makeManifestJson({ grid: 8, layout: 'latent' }));
    expect(plain).toMatchObject({ preview: 'expand_subgrid', previewDecoder: null, previewPixelsPerLatent: null });
    expect(plain.io.previewDecoder).toBeNull();
  });

  it('rejects a preview_decoder rule that does not add up, naming the field', () => {
    const latent = makeManifestJson({ grid: 8, layout: 'latent', patch: 4, previewDecoder: true }) as Json;
    expectInvalid((m) => delete m.tokens.preview_decoder, 'tokens.preview_decoder', latent);
    expectInvalid((m) => delete m.files['preview_decoder.onnx'], 'tokens.preview_decoder', latent);
    expectInvalid((m) => delete m.tokens.preview_pixels_per_latent, 'tokens.preview_pixels_per_latent', latent);
    expectInvalid((m) => (m.tokens.preview_pixels_per_latent = 0), 'tokens.preview_pixels_per_latent', latent);
    // The finest coarse preview (a 4x4 sub-grid) at 9 pixels per latent would be 36 px, wider than the 32 px image.
    expectInvalid((m) => (m.tokens.preview_pixels_per_latent = 9), 'tokens.preview_pixels_per_latent', latent);
    expectInvalid((m) => delete m.io.preview_decoder, 'io.preview_decoder', latent);
    expectInvalid((m) => (m.io.preview_decoder.inputs = ['latents']), 'io.preview_decoder.inputs', latent);
  });

  it('checks session io names against the manifest', () => {
    const m = parseManifest(makeManifestJson());
    const good = { inputNames: ['z', 'x', 't'], outputNames: ['v'] };
    expect(() => checkSessionIo(m, 'flow_head', 'f.onnx', good)).not.toThrow();
    const bad = { inputNames: ['z', 'x', 'time'], outputNames: ['v'] };
    expect(() => checkSessionIo(m, 'flow_head', 'f.onnx', bad)).toThrow(/f\.onnx.*time/);
    expect(() => checkSessionIo(m, 'decoder', 'd.onnx', { inputNames: ['tokens'], outputNames: ['pixels'] })).toThrow(/no decoder/);
    const latent = parseManifest(makeManifestJson({ layout: 'latent' }));
    expect(() => checkSessionIo(latent, 'decoder', 'd.onnx', { inputNames: ['tokens'], outputNames: ['pixels'] })).not.toThrow();
    expect(() => checkSessionIo(latent, 'decoder', 'd.onnx', { inputNames: ['tokens'], outputNames: ['image'] })).toThrow(/d\.onnx.*image/);
  });
});
