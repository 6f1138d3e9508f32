import { describe, expect, it } from 'vitest';
import { parseManifest } from './manifest';
import type { ModelSessions, OrtSession } from './ortRunner';
import { checkSessionShapes } from './sessionCheck';
import { makeManifestJson } from './testManifest';

type Meta = { name: string; isTensor: true; type: string; shape: (number | string)[] };
const t = (name: string, type: string, shape: (number | string)[]): Meta => ({ name, isTensor: true, type, shape });
const session = (inputs: Meta[], outputs: Meta[]): OrtSession => ({ inputMetadata: inputs, outputMetadata: outputs }) as unknown as OrtSession;

describe('checkSessionShapes', () => {
  const manifest = parseManifest(makeManifestJson({ grid: 4 }));
  const dim = manifest.tokenDim;
  /** Sessions whose metadata says what an honest export of this manifest would say. */
  const honest = (edit: (k: number, role: 'backbone' | 'flow', io: { inputs: Meta[]; outputs: Meta[] }) => void = () => undefined): ModelSessions => ({
    modules: manifest.modules.map((mod, k) => {
      const { layers, heads, headDim } = mod.kvCache;
      const kv = [layers, 2, 'batch', heads, 'len', headDim];
      const backbone = {
        inputs: [t('class_label', 'int64', ['batch']), t('content', 'float32', ['batch', 'lc', dim]), t('content_cells', 'int64', ['lc']), t('query_parent', 'float32', ['batch', 'lq', dim]), t('query_cells', 'int64', ['lq']), t('past_kv', 'float32', kv)],
        outputs: [t('z', 'float32', ['batch', 'lq', mod.width]), t('present_kv', 'float32', kv)],
      };
      const flow = { inputs: [t('z', 'float32', ['rows', mod.width]), t('x', 'float32', ['rows', dim]), t('t', 'float32', ['rows', 1])], outputs: [t('v', 'float32', ['rows', dim])] };
      edit(k, 'backbone', backbone);
      edit(k, 'flow', flow);
      return { backbone: session(backbone.inputs, backbone.outputs), flowHead: session(flow.inputs, flow.outputs) };
    }),
    decoder: null,
  }) as unknown as ModelSessions;

  it('passes sessions that agree with the manifest, and graphs without shape information', () => {
    expect(() => checkSessionShapes(manifest, honest())).not.toThrow();
    expect(() => checkSessionShapes(manifest, honest((_, __, io) => io.inputs.forEach((m) => (m.shape = []))))).not.toThrow();
  });

  it('names the file, tensor and manifest field of a shape or dtype that disagrees', () => {
    const wide = honest((k, role, io) => {
      if (k === 0 && role === 'flow') io.inputs[0]!.shape = ['rows', 999];
    });
    expect(() => checkSessionShapes(manifest, wide)).toThrow(/input z has shape \[rows, 999\], but the manifest's modules\[0\]\.width says/);
    const retyped = honest((k, role, io) => {
      if (k === 1 && role === 'backbone') io.inputs[0]!.type = 'int32';
    });
    expect(() => checkSessionShapes(manifest, retyped)).toThrow(/input class_label is int32, the contract says int64/);
    const kv = honest((k, role, io) => {
      if (k === 0 && role === 'backbone') io.outputs[1]!.shape = [1, 2, 'batch', 3, 'len', 4, 5];
    });
    expect(() => checkSessionShapes(manifest, kv)).toThrow(/output present_kv has 7 dimensions/);
    try {
      checkSessionShapes(manifest, wide);
    } catch (e) {
      expect(e).toMatchObject({ code: 'MANIFEST_INVALID' });
    }
  });

  it('checks a preview decoder: any sub-grid size, its latent width, RGB last', () => {
    const latent = parseManifest(makeManifestJson({ grid: 8, layout: 'latent', patch: 4, previewDecoder: true, latentDim: 6 }));
    const sessions = (input: (number | string)[], output: (number | string)[]): ModelSessions =>
      ({
        modules: latent.modules.map(() => ({ backbone: session([], []), flowHead: null, fewStep: null })), // not under test
        decoder: null,
        previewDecoder: session([t('tokens', 'float32', input)], [t('pixels', 'float32', output)]),
      }) as unknown as ModelSessions;
    expect(() => checkSessionShapes(latent, sessions(['batch', 'grid', 'grid', 6], ['batch', 'side', 'side', 3]))).not.toThrow();
    // Exported for one grid size only: it would fail at the other coarse scale, mid-run.
    expect(() => checkSessionShapes(latent, sessions(['batch', 4, 4, 6], ['batch', 'side', 'side', 3]))).toThrow(/preview_decoder\.onnx: input tokens .* dimension 1 must take any size/);
    expect(() => checkSessionShapes(latent, sessions(['batch', 'grid', 'grid', 5], ['batch', 'side', 'side', 3]))).toThrow(/tokens\.dim says 6/);
    // (Channels first with symbolic sizes cannot be told from the metadata: OrtSessionRunner.decodePreview checks the
    // shape it returns.)
    expect(() => checkSessionShapes(latent, sessions(['batch', 'grid', 'grid', 6], ['batch', 'side', 'side', 4]))).toThrow(/output pixels .* RGB says 3 for dimension 3/);
  });
});
