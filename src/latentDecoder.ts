/**
 * Tokens -> pixels for the "latent" layout (docs/contract.md, "Tokens", "Previews" and the decoder session): a token
 * is a latent of the nested tokenizer, and pixels come only from the decoder session. A preview is the decoder's
 * output on the full grid with the scale's sub-grid repeated over its stride blocks: the tokenizer is trained to
 * decode that to a blurred picture, whereas decoding the small sub-grid on its own would give a small image with
 * the wrong geometry. Mirrors models/nestar/layout.py (expand_cells, decoded_pixels).
 */
import { NestarError } from './errors';
import type { LatentManifest } from './manifest';
import { unitToByte } from './tokens';
import type { RgbaImage } from './types';

/** The decoder session: tokens [B, G², dim] -> pixels [B, H, W, 3] in [0, 1] (SessionRunner.decode). */
export type DecodeLatents = (tokens_BND: Float32Array, batch: number) => Promise<Float32Array>;

/**
 * The preview rule "expand_subgrid": a full G x G grid whose cell (r, c) holds the value of cell
 * (r - r mod stride, c - c mod stride). Stride 1 returns the grid itself (no copy).
 */
export function expandSubgrid(tokens_ND: Float32Array, grid: number, dim: number, stride: number): Float32Array {
  if (tokens_ND.length !== grid * grid * dim) throw new RangeError(`expected ${grid * grid * dim} token values, got ${tokens_ND.length}`);
  if (stride < 1 || grid % stride !== 0) throw new RangeError(`stride ${stride} does not divide the grid ${grid}`);
  if (stride === 1) return tokens_ND;
  const out = new Float32Array(tokens_ND.length);
  for (let r = 0; r < grid; r++) {
    for (let c = 0; c < grid; c++) {
      const source = (r - (r % stride)) * grid + (c - (c % stride));
      out.set(tokens_ND.subarray(source * dim, (source + 1) * dim), (r * grid + c) * dim);
    }
  }
  return out;
}

/** The decoder's pixels [B, H, W, 3] in [0, 1] -> B RGBA images of size x size, each channel round(v * 255) half to even. */
export function pixelsToRgba(pixels_BHWC: Float32Array, batch: number, size: number): RgbaImage[] {
  const perImage = size * size * 3;
  if (pixels_BHWC.length !== batch * perImage) {
    throw new NestarError('MANIFEST_INVALID', `the decoder returned ${pixels_BHWC.length} pixel values, expected ${batch}x${size}x${size}x3`);
  }
  let bad = 0;
  for (let e = 0; e < pixels_BHWC.length; e++) if (!Number.isFinite(pixels_BHWC[e]!)) bad++;
  // A NaN would become a black pixel without a word: say where instead.
  if (bad > 0) throw new NestarError('BAD_NUMBERS', `the decoder produced ${bad} NaN or Inf of ${pixels_BHWC.length} pixel values`);
  return Array.from({ length: batch }, (_, b) => {
    const data = new Uint8ClampedArray(size * size * 4);
    const base = b * perImage;
    for (let p = 0; p < size * size; p++) {
      data[p * 4] = unitToByte(pixels_BHWC[base + p * 3]!);
      data[p * 4 + 1] = unitToByte(pixels_BHWC[base + p * 3 + 1]!);
      data[p * 4 + 2] = unitToByte(pixels_BHWC[base + p * 3 + 2]!);
      data[p * 4 + 3] = 255;
    }
    return { width: size, height: size, data };
  });
}

/**
 * Full-size RGBA of every image's token grid (stride 1) or of its scale preview (stride > 1), with one decoder call
 * for the whole batch.
 */
export async function decodeLatentImages(
  tokens_B: Float32Array[],
  manifest: Pick<LatentManifest, 'grid' | 'tokenDim' | 'imageSize'>,
  stride: number,
  decode: DecodeLatents,
): Promise<RgbaImage[]> {
  const { grid, tokenDim: dim, imageSize } = manifest;
  const n = grid * grid * dim;
  const tokens_BND = new Float32Array(tokens_B.length * n);
  tokens_B.forEach((tokens_ND, b) => tokens_BND.set(expandSubgrid(tokens_ND, grid, dim, stride), b * n));
  return pixelsToRgba(await decode(tokens_BND, tokens_B.length), tokens_B.length, imageSize);
}
