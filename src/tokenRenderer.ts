/**
 * Token grids -> full-size images, by the manifest's token layout, chosen once per model: pixel patches are decoded
 * here in TypeScript (tokens.ts), latents by the model's decoder session (latentDecoder.ts). The scheduler sees only
 * this interface, so it stays the module/patch loop whatever a token is.
 */
import { decodeLatentImages } from './latentDecoder';
import type { Manifest } from './manifest';
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

export function tokenRenderer(manifest: Manifest, runner: Pick<SessionRunner, 'decode'>): TokenRenderer {
  switch (manifest.tokenLayout) {
    case 'pixel_patch':
      return { images: async (tokens_B, stride) => tokens_B.map((tokens_ND) => tokensToRgba(tokens_ND, manifest, stride)) };
    case 'latent':
      return { images: (tokens_B, stride) => decodeLatentImages(tokens_B, manifest, stride, (tokens_BND, batch) => runner.decode(tokens_BND, batch)) };
  }
}

/** A copy that owns its pixels, for when the original's buffer is transferred to another thread. */
export function copyImage(image: RgbaImage): RgbaImage {
  return { width: image.width, height: image.height, data: image.data.slice() };
}
