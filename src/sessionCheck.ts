/**
 * Checks every created session's tensors (dtype and every fixed dimension) against what the manifest says they are
 * (docs/contract.md, "ONNX sessions"). A manifest that lies (another model's manifest, a hand-edited width, a
 * renamed or retyped input) then fails at load with MANIFEST_INVALID naming the file, the tensor and the manifest
 * field, instead of failing inside onnxruntime in the middle of a generation. Names are checked by manifest.ts
 * (checkSessionIo) as each session is created; this adds shapes and dtypes. Symbolic dimensions (batch, lengths)
 * are not checked; a graph without shape information passes.
 */
import { NestarError } from './errors';
import type { Manifest, SessionRole } from './manifest';
import type { ModelSessions, OrtSession } from './ortRunner';

/**
 * One expected dimension: a number the session must agree with, `size: 'any'` for one the contract needs to take
 * every size (the graph must not fix it), or null for one not checked; `why` names its source.
 */
type Dim = { size: number | 'any'; why: string } | null;
interface Expected {
  dtype: string;
  dims: Dim[];
}

const dyn: Dim = null;
const fixed = (size: number, why: string): Dim => ({ size, why });
const anySize = (why: string): Dim => ({ size: 'any', why });

function expectations(manifest: Manifest, role: SessionRole, module: number): { inputs: Record<string, Expected>; outputs: Record<string, Expected> } {
  const dim = fixed(manifest.tokenDim, 'tokens.dim');
  if (role === 'preview_decoder') {
    // Any sub-grid size g and batch: [B, g, g, dim] -> [B, g*q, g*q, 3]; a graph fixed to one g would fail at the
    // other coarse scale's preview, mid-run.
    const grid = anySize('preview rule (one session for every coarse scale)');
    return {
      inputs: { tokens: { dtype: 'float32', dims: [dyn, grid, grid, dim] } },
      outputs: { pixels: { dtype: 'float32', dims: [dyn, dyn, dyn, fixed(3, 'RGB')] } },
    };
  }
  if (role === 'decoder') {
    const size = fixed(manifest.imageSize, 'image.size');
    return {
      inputs: { tokens: { dtype: 'float32', dims: [dyn, fixed(manifest.tokenCount, 'tokens.count'), dim] } },
      outputs: { pixels: { dtype: 'float32', dims: [dyn, size, size, fixed(3, 'RGB')] } },
    };
  }
  const mod = manifest.modules[module]!;
  const k = `modules[${module}]`;
  const width = fixed(mod.width, `${k}.width`);
  if (role === 'flow_head') {
    return {
      inputs: {
        z: { dtype: 'float32', dims: [dyn, width] },
        x: { dtype: 'float32', dims: [dyn, dim] },
        t: { dtype: 'float32', dims: [dyn, fixed(1, 'the contract')] },
      },
      outputs: { v: { dtype: 'float32', dims: [dyn, dim] } },
    };
  }
  if (role === 'few_step') {
    return {
      inputs: {
        z: { dtype: 'float32', dims: [dyn, width] },
        x0: { dtype: 'float32', dims: [dyn, dim] },
        guidance: { dtype: 'float32', dims: [dyn, fixed(1, 'the contract')] },
      },
      outputs: { tokens: { dtype: 'float32', dims: [dyn, dim] } },
    };
  }
  const kv = mod.kvCache;
  const kvDims = [fixed(kv.layers, `${k}.kv_cache.layers`), fixed(2, 'the contract'), dyn, fixed(kv.heads, `${k}.kv_cache.heads`), dyn, fixed(kv.headDim, `${k}.kv_cache.head_dim`)];
  return {
    inputs: {
      class_label: { dtype: 'int64', dims: [dyn] },
      content: { dtype: 'float32', dims: [dyn, dyn, dim] },
      content_cells: { dtype: 'int64', dims: [dyn] },
      query_parent: { dtype: 'float32', dims: [dyn, dyn, dim] },
      query_cells: { dtype: 'int64', dims: [dyn] },
      past_kv: { dtype: 'float32', dims: kvDims },
    },
    outputs: { z: { dtype: 'float32', dims: [dyn, dyn, width] }, present_kv: { dtype: 'float32', dims: kvDims } },
  };
}

const show = (shape: readonly (number | string)[]): string => `[${shape.join(', ')}]`;

function checkOne(file: string, session: OrtSession, expected: ReturnType<typeof expectations>): void {
  const sides = [
    ['input', session.inputMetadata, expected.inputs],
    ['output', session.outputMetadata, expected.outputs],
  ] as const;
  for (const [side, metadata, want] of sides) {
    for (const meta of metadata ?? []) {
      const exp = want[meta.name];
      if (!exp || !meta.isTensor) continue; // names are checkSessionIo's business
      if (meta.type !== exp.dtype) {
        throw new NestarError('MANIFEST_INVALID', `${file}: ${side} ${meta.name} is ${meta.type}, the contract says ${exp.dtype}`);
      }
      if (meta.shape.length === 0) continue; // no shape information in the graph
      if (meta.shape.length !== exp.dims.length) {
        throw new NestarError('MANIFEST_INVALID', `${file}: ${side} ${meta.name} has ${meta.shape.length} dimensions ${show(meta.shape)}, the contract says ${exp.dims.length}`);
      }
      meta.shape.forEach((actual, i) => {
        const d = exp.dims[i];
        if (d && d.size === 'any' && typeof actual === 'number') {
          throw new NestarError('MANIFEST_INVALID', `${file}: ${side} ${meta.name} has shape ${show(meta.shape)}, but dimension ${i} must take any size (the ${d.why})`);
        }
        if (d && typeof d.size === 'number' && typeof actual === 'number' && actual !== d.size) {
          throw new NestarError(
            'MANIFEST_INVALID',
            `${file}: ${side} ${meta.name} has shape ${show(meta.shape)}, but the manifest's ${d.why} says ${d.size} for dimension ${i}: ` +
              'the manifest does not describe this file (another model\'s manifest, or an edited one?)',
          );
        }
      });
    }
  }
}

/** MANIFEST_INVALID unless every created session's tensors agree with the manifest (heads not loaded yet are skipped). */
export function checkSessionShapes(manifest: Manifest, sessions: ModelSessions): void {
  manifest.modules.forEach((mod, k) => {
    checkOne(mod.backbone, sessions.modules[k]!.backbone, expectations(manifest, 'backbone', k));
    const flowHead = sessions.modules[k]!.flowHead;
    if (flowHead) checkOne(mod.flowHead, flowHead, expectations(manifest, 'flow_head', k));
    const fewStep = sessions.modules[k]!.fewStep;
    if (mod.fewStep && fewStep) checkOne(mod.fewStep, fewStep, expectations(manifest, 'few_step', k));
  });
  if (manifest.tokenLayout === 'latent' && sessions.decoder) checkOne(manifest.decoder, sessions.decoder, expectations(manifest, 'decoder', 0));
  if (manifest.tokenLayout === 'latent' && manifest.previewDecoder && sessions.previewDecoder) {
    checkOne(manifest.previewDecoder, sessions.previewDecoder, expectations(manifest, 'preview_decoder', 0));
  }
}
