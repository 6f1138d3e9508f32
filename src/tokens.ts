/**
 * Tokens -> pixels for the "pixel_patch" layout (docs/contract.md, "Tokens"): the token at cell r*G + c holds the
 * p x p pixels at rows [r*p, r*p+p), columns [c*p, c*p+p), flattened as (dy, dx, rgb). A token grid is one
 * Float32Array `tokens_ND` of G*G*dim values (cell-major).
 */
import type { PixelPatchManifest } from './manifest';
import type { RgbaImage } from './types';

/** What decoding needs from the manifest. */
export type TokenLayout = Pick<PixelPatchManifest, 'grid' | 'patchSize' | 'tokenDim' | 'imageSize' | 'normMean' | 'normStd'>;

const f32 = Math.fround;

/**
 * A channel value in [0, 1] (clamped here) -> the uint8 the page shows: round(v * 255) in float32, half to even like
 * torch.round, so both sides give the same pixels. Shared by both token layouts (latentDecoder.ts).
 */
export function unitToByte(v: number): number {
  const scaled = f32((v < 0 ? 0 : v > 1 ? 1 : v) * 255);
  const r = Math.round(scaled);
  return r - scaled === 0.5 && r % 2 === 1 ? r - 1 : r;
}

/** pixel = round(clamp(x*std + mean, 0, 1) * 255) per channel, in float32 like models/nestar/tokens.py. */
function decodeChannel(x: number, mean: number, std: number): number {
  return unitToByte(f32(f32(x * std) + mean));
}

/**
 * Full-size RGBA of the whole grid when `stride` = 1; otherwise the g x g sub-grid at cells (i*stride, j*stride)
 * (g = G/stride), upsampled by nearest neighbour (each token's pixels repeated stride x stride) to full size, so
 * every preview has the final image's size and geometry.
 */
export function tokensToRgba(tokens_ND: Float32Array, layout: TokenLayout, stride = 1): RgbaImage {
  const { grid: G, patchSize: p, tokenDim: dim, imageSize: size, normMean: mean, normStd: std } = layout;
  if (tokens_ND.length !== G * G * dim) throw new RangeError(`expected ${G * G * dim} token values, got ${tokens_ND.length}`);
  if (stride < 1 || G % stride !== 0) throw new RangeError(`stride ${stride} does not divide the grid ${G}`);
  const data = new Uint8ClampedArray(size * size * 4);
  for (let Y = 0; Y < size; Y++) {
    // Pixel row of the g*p-pixel sub-grid image this full-size row samples.
    const sy = Math.floor(Y / stride);
    const cellRow = Math.floor(sy / p) * stride;
    const dy = sy % p;
    for (let X = 0; X < size; X++) {
      const sx = Math.floor(X / stride);
      const cell = cellRow * G + Math.floor(sx / p) * stride;
      const base = cell * dim + (dy * p + (sx % p)) * 3;
      const o = (Y * size + X) * 4;
      data[o] = decodeChannel(tokens_ND[base]!, mean[0], std[0]);
      data[o + 1] = decodeChannel(tokens_ND[base + 1]!, mean[1], std[1]);
      data[o + 2] = decodeChannel(tokens_ND[base + 2]!, mean[2], std[2]);
      data[o + 3] = 255;
    }
  }
  return { width: size, height: size, data };
}

/** The g x g sub-grid at cells (i*stride, j*stride), row-major: [g*g*dim]. */
export function subGridTokens(tokens_ND: Float32Array, grid: number, dim: number, stride: number): Float32Array {
  if (tokens_ND.length !== grid * grid * dim) throw new RangeError(`expected ${grid * grid * dim} token values, got ${tokens_ND.length}`);
  if (stride < 1 || grid % stride !== 0) throw new RangeError(`stride ${stride} does not divide the grid ${grid}`);
  const g = grid / stride;
  const out = new Float32Array(g * g * dim);
  for (let i = 0; i < g; i++) {
    for (let j = 0; j < g; j++) {
      const cell = i * stride * grid + j * stride;
      out.set(tokens_ND.subarray(cell * dim, (cell + 1) * dim), (i * g + j) * dim);
    }
  }
  return out;
}

/** Inverse of tokensToRgba at stride 1 (x = (pixel/255 - mean)/std), for tests and tools. */
export function rgbaToTokens(image: RgbaImage, layout: TokenLayout): Float32Array {
  const { grid: G, patchSize: p, tokenDim: dim, imageSize: size, normMean: mean, normStd: std } = layout;
  if (image.width !== size || image.height !== size) throw new RangeError(`image must be ${size}x${size}`);
  const out = new Float32Array(G * G * dim);
  for (let Y = 0; Y < size; Y++) {
    for (let X = 0; X < size; X++) {
      const cell = Math.floor(Y / p) * G + Math.floor(X / p);
      const base = cell * dim + ((Y % p) * p + (X % p)) * 3;
      for (let ch = 0; ch < 3; ch++) out[base + ch] = (image.data[(Y * size + X) * 4 + ch]! / 255 - mean[ch]!) / std[ch]!;
    }
  }
  return out;
}
