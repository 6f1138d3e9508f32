/**
 * Token grids -> full-size images, by the manifest's token layout, chosen once per model: pixel patches are decoded
 * here in TypeScript (tokens.ts), latents by the model's decoder session (latentDecoder.ts) and coarse previews by
 * its preview decoder session where the manifest's preview rule has one (previewDecoder.ts). The scheduler sees only
 * this interface, so it stays the module/patch loop whatever a token is.
 */
import { decodeLatentImages, type DecodeLatents } from './latentDecoder';
import type { Manifest } from './manifest';
import { decodePreviewImages, type DecodePreview } from './previewDecoder';
import type { SessionRunner } from './sessionRunner';
import { tokensToRgba } from './tokens';
import type { RgbaImage } from './types';

export interface TokenRenderer {
  /**
   * images[b] of size image.size² for the token grids tokens_B[b] ([G*G*dim] each): the whole image at stride 1,
   * the preview of the scale whose sub-grid has that stride otherwise (docs/contract.md, "Previews").
   */
  images(tokens_B: Float32Array[], stride: number): Promise<RgbaImage[]>;
}

export function tokenRenderer(manifest: Manifest, runner: Pick<SessionRunner, 'decode' | 'decodePreview'>): TokenRenderer {
  switch (manifest.tokenLayout) {
    case 'pixel_patch':
      return { images: async (tokens_B, stride) => tokens_B.map((tokens_ND) => tokensToRgba(tokens_ND, manifest, stride)) };
    case 'latent': {
      const decode: DecodeLatents = (tokens_BND, batch) => runner.decode(tokens_BND, batch);
      const decodePreview: DecodePreview = (tokens_BggD, batch, grid) => runner.decodePreview(tokens_BggD, batch, grid);
      return {
        images: (tokens_B, stride) =>
          stride > 1 && manifest.preview === 'preview_decoder'
            ? decodePreviewImages(tokens_B, manifest, stride, decodePreview)
            : decodeLatentImages(tokens_B, manifest, stride, decode),
      };
    }
  }
}

/** A copy that owns its pixels, for when the original's buffer is transferred to another thread. */
export function copyImage(image: RgbaImage): RgbaImage {
  return { width: image.width, height: image.height, data: image.data.slice() };
}
