/**
 * The preview rule "preview_decoder" (docs/contract.md, "Previews"): a coarse scale's g x g sub-grid of latents goes to
 * the model's preview decoder session, which returns the small picture that sub-grid holds (q pixels per latent),
 * and that picture is scaled to full size bilinearly. A fraction of a full decoder call: for the 64 px flagship the
 * two coarse previews cost two full decoder calls before, more than the whole few-step generator. Mirrors
 * models/nestar/preview_decoder.py (subgrid, upsample); the sub-grid is tokens.ts's subGridTokens, as for pixel patches.
 */
import { NestarError } from './errors';
import { pixelsToRgba } from './latentDecoder';
import type { LatentManifest } from './manifest';
import { subGridTokens } from './tokens';
import type { RgbaImage } from './types';

/** The preview decoder session: sub-grids [B, g, g, dim] -> pixels [B, g*q, g*q, 3] in [0, 1] (SessionRunner.decodePreview). */
export type DecodePreview = (tokens_BggD: Float32Array, batch: number, grid: number) => Promise<Float32Array>;

/**
 * Bilinear scaling of `batch` HWC images (3 channels) from `from` x `from` to `to` x `to`, half-pixel centres, edges
 * clamped: source coordinate (x + 0.5) * from / to - 0.5, as PyTorch's interpolate(mode="bilinear",
 * align_corners=False). Float in, float out (the rounding to bytes comes after, as for the decoder).
 */
export function upsampleBilinear(pixels_BHWC: Float32Array, batch: number, from: number, to: number): Float32Array {
  if (pixels_BHWC.length !== batch * from * from * 3) throw new RangeError(`expected ${batch}x${from}x${from}x3 values, got ${pixels_BHWC.length}`);
  // Per output coordinate: the two source indices and the weight of the second, the same for rows and columns.
  const lo = new Int32Array(to);
  const hi = new Int32Array(to);
  const w = new Float32Array(to);
  const scale = from / to;
  for (let x = 0; x < to; x++) {
    const src = Math.max(0, (x + 0.5) * scale - 0.5);
    const i0 = Math.min(Math.floor(src), from - 1);
    lo[x] = i0;
    hi[x] = Math.min(i0 + 1, from - 1);
    w[x] = src - i0;
  }
  const out = new Float32Array(batch * to * to * 3);
  for (let b = 0; b < batch; b++) {
    const inBase = b * from * from * 3;
    const outBase = b * to * to * 3;
    for (let y = 0; y < to; y++) {
      const r0 = inBase + lo[y]! * from * 3;
      const r1 = inBase + hi[y]! * from * 3;
      const wy = w[y]!;
      for (let x = 0; x < to; x++) {
        const c0 = lo[x]! * 3;
        const c1 = hi[x]! * 3;
        const wx = w[x]!;
        const o = outBase + (y * to + x) * 3;
        for (let c = 0; c < 3; c++) {
          const top = pixels_BHWC[r0 + c0 + c]! * (1 - wx) + pixels_BHWC[r0 + c1 + c]! * wx;
          const bottom = pixels_BHWC[r1 + c0 + c]! * (1 - wx) + pixels_BHWC[r1 + c1 + c]! * wx;
          out[o + c] = top * (1 - wy) + bottom * wy;
        }
      }
    }
  }
  return out;
}

/** Full-size RGBA previews of every image's scale with sub-grid stride `stride` (> 1), one preview decoder call for the batch. */
export async function decodePreviewImages(
  tokens_B: Float32Array[],
  manifest: Pick<LatentManifest, 'grid' | 'tokenDim' | 'imageSize' | 'previewPixelsPerLatent'>,
  stride: number,
  decodePreview: DecodePreview,
): Promise<RgbaImage[]> {
  const { grid, tokenDim: dim, imageSize, previewPixelsPerLatent: q } = manifest;
  if (q === null) throw new RangeError('this model has no preview decoder');
  const g = grid / stride;
  const n = g * g * dim;
  const batch = tokens_B.length;
  const tokens_BggD = new Float32Array(batch * n);
  tokens_B.forEach((tokens_ND, b) => tokens_BggD.set(subGridTokens(tokens_ND, grid, dim, stride), b * n));
  const small = await decodePreview(tokens_BggD, batch, g);
  return pixelsToRgba(upsampleBilinear(checkedLength(small, batch, g * q), batch, g * q, imageSize), batch, imageSize);
}

function checkedLength(pixels: Float32Array, batch: number, side: number): Float32Array {
  if (pixels.length !== batch * side * side * 3) {
    throw new NestarError('MANIFEST_INVALID', `the preview decoder returned ${pixels.length} pixel values, expected ${batch}x${side}x${side}x3`);
  }
  return pixels;
}
