import { describe, expect, it } from 'vitest';
import { decodeLatentImages, expandSubgrid, pixelsToRgba } from './latentDecoder';

/** A 4x4 grid whose token at cell r*4 + c is [cell, -cell] (dim 2). */
const grid4 = Float32Array.from({ length: 16 * 2 }, (_, i) => (i % 2 === 0 ? 1 : -1) * Math.floor(i / 2));
const channel0 = (tokens: Float32Array): number[] => Array.from(tokens).filter((_, i) => i % 2 === 0);

describe('expandSubgrid (the "expand_subgrid" preview rule)', () => {
  it('repeats the stride-2 sub-grid over its 2x2 blocks: cell (r, c) takes cell (r - r mod 2, c - c mod 2)', () => {
    const out = expandSubgrid(grid4, 4, 2, 2);
    // prettier-ignore
    expect(channel0(out)).toEqual([
      0, 0, 2, 2,
      0, 0, 2, 2,
      8, 8, 10, 10,
      8, 8, 10, 10,
    ]);
    expect(Array.from(out.subarray(2 * 15, 2 * 16))).toEqual([10, -10]); // every channel of the token moves together
    expect(channel0(expandSubgrid(grid4, 4, 2, 4))).toEqual(new Array(16).fill(0));
  });

  it('leaves the grid as it is at stride 1 and rejects a stride that does not divide the grid', () => {
    expect(expandSubgrid(grid4, 4, 2, 1)).toBe(grid4);
    expect(() => expandSubgrid(grid4, 4, 2, 3)).toThrow(RangeError);
    expect(() => expandSubgrid(grid4.subarray(2), 4, 2, 2)).toThrow(RangeError);
  });
});

describe('pixelsToRgba', () => {
  it('rounds v * 255 in float32, half to even like torch.round, and adds opaque alpha', () => {
    // f32(v * 255) is exactly 2.5, 3.5, 126.5, 254.5 for these float32 values.
    const halves = [0.009803921915590763, 0.013725490309298038, 0.4960784316062927, 0.998039186000824];
    const pixels = Float32Array.from([0, 1, 0.5, ...halves, 0.2, 0.75]); // three 1x1 images
    const images = pixelsToRgba(pixels, 3, 1);
    expect(images.map((im) => Array.from(im.data))).toEqual([
      [0, 255, 128, 255], // 127.5 -> 128
      [2, 4, 126, 255], // 2.5 -> 2, 3.5 -> 4, 126.5 -> 126
      [254, 51, 191, 255], // 254.5 -> 254, 51.000001 -> 51, 191.25 -> 191
    ]);
  });

  it('puts pixel (y, x) of image b at [b, y, x, rgb] and refuses a decoder output of the wrong size', () => {
    const size = 2;
    const pixels = Float32Array.from({ length: 2 * size * size * 3 }, (_, i) => i / 255);
    const [a, b] = pixelsToRgba(pixels, 2, size);
    expect(a!.width).toBe(2);
    expect(Array.from(b!.data.subarray(4 * 3, 4 * 4))).toEqual([21, 22, 23, 255]); // image 1, pixel (1, 1)
    expect(() => pixelsToRgba(pixels.subarray(1), 2, size)).toThrow(/decoder returned/);
  });
});

describe('decodeLatentImages', () => {
  it('decodes a whole batch in one call, on the expanded grids', async () => {
    const calls: { batch: number; tokens: Float32Array }[] = [];
    const decode = async (tokens_BND: Float32Array, batch: number): Promise<Float32Array> => {
      calls.push({ batch, tokens: tokens_BND });
      return new Float32Array(batch * 8 * 8 * 3).fill(0.5);
    };
    const other = grid4.map((v) => v + 100);
    const images = await decodeLatentImages([grid4, other], { grid: 4, tokenDim: 2, imageSize: 8 }, 2, decode);
    expect(calls.length).toBe(1);
    expect(calls[0]!.batch).toBe(2);
    expect(calls[0]!.tokens.subarray(0, 32)).toEqual(expandSubgrid(grid4, 4, 2, 2));
    expect(calls[0]!.tokens.subarray(32)).toEqual(expandSubgrid(other, 4, 2, 2));
    expect(images.length).toBe(2);
    expect(images[1]!.data[0]).toBe(128);
  });
});
