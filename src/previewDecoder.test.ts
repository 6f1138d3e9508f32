import { describe, expect, it } from 'vitest';
import { decodePreviewImages, upsampleBilinear } from './previewDecoder';
import { subGridTokens } from './tokens';

/** x[b, i, j, c] = ((b*f*f + i*f + j)*3 + c) mod 11 / 10: the inputs the PyTorch values below were made from. */
function ramp(batch: number, from: number): Float32Array {
  return Float32Array.from({ length: batch * from * from * 3 }, (_, k) => (k % 11) / 10);
}

// torch.nn.functional.interpolate(x.permute(0, 3, 1, 2), size=(to, to), mode="bilinear", align_corners=False),
// printed to 6 decimals: rows 0 and 2 of the 2 -> 8 case, row 0 of image 1 in the 3 -> 7 case.
const TORCH_2_TO_8_ROW0 = [0.0, 0.1, 0.2, 0.0, 0.1, 0.2, 0.0375, 0.1375, 0.2375, 0.1125, 0.2125, 0.3125, 0.1875, 0.2875, 0.3875, 0.2625, 0.3625, 0.4625, 0.3, 0.4, 0.5, 0.3, 0.4, 0.5];
const TORCH_2_TO_8_ROW2 = [0.075, 0.175, 0.275, 0.075, 0.175, 0.275, 0.1125, 0.2125, 0.295312, 0.1875, 0.2875, 0.335938, 0.2625, 0.3625, 0.376563, 0.3375, 0.4375, 0.417188, 0.375, 0.475, 0.4375, 0.375, 0.475, 0.4375];
const TORCH_3_TO_7_IMAGE1_ROW0 = [0.5, 0.6, 0.7, 0.542857, 0.642857, 0.742857, 0.671429, 0.771429, 0.871429, 0.8, 0.9, 1.0, 0.457143, 0.557143, 0.657143, 0.114286, 0.214286, 0.314286, 0.0, 0.1, 0.2];

function expectClose(actual: ArrayLike<number>, expected: number[]): void {
  expect(actual.length).toBe(expected.length);
  expected.forEach((v, i) => expect(actual[i]).toBeCloseTo(v, 5));
}

describe('upsampleBilinear (the preview_decoder rule: half-pixel centres, edges clamped)', () => {
  it("matches PyTorch's interpolate(bilinear, align_corners=False) at an integer ratio", () => {
    const out = upsampleBilinear(ramp(1, 2), 1, 2, 8);
    expect(out.length).toBe(8 * 8 * 3);
    expectClose(out.subarray(0, 24), TORCH_2_TO_8_ROW0);
    expectClose(out.subarray(2 * 24, 3 * 24), TORCH_2_TO_8_ROW2);
  });

  it('matches it at a non-integer ratio, image by image in a batch', () => {
    const out = upsampleBilinear(ramp(2, 3), 2, 3, 7);
    expectClose(out.subarray(7 * 7 * 3, 7 * 7 * 3 + 21), TORCH_3_TO_7_IMAGE1_ROW0);
  });

  it('returns the same values at the same size, and a constant stays constant', () => {
    const x = ramp(1, 5);
    expectClose(upsampleBilinear(x, 1, 5, 5), Array.from(x));
    const flat = upsampleBilinear(new Float32Array(4 * 3).fill(0.25), 1, 2, 64);
    expect(flat.every((v) => Math.abs(v - 0.25) < 1e-7)).toBe(true);
  });

  it('refuses pixels of another size', () => {
    expect(() => upsampleBilinear(new Float32Array(10), 1, 2, 8)).toThrow(RangeError);
  });
});

describe('subGridTokens (the sub-grid the preview decoder is fed)', () => {
  it('takes the cells at multiples of the stride, row-major', () => {
    const grid = 4;
    const dim = 2;
    const tokens = Float32Array.from({ length: grid * grid * dim }, (_, k) => k);
    // Cells (0,0), (0,2), (2,0), (2,2) = 0, 2, 8, 10.
    expect(Array.from(subGridTokens(tokens, grid, dim, 2))).toEqual([0, 1, 4, 5, 16, 17, 20, 21]);
    expect(Array.from(subGridTokens(tokens, grid, dim, 1))).toEqual(Array.from(tokens));
    expect(() => subGridTokens(tokens, grid, dim, 3)).toThrow(RangeError);
  });
});

describe('decodePreviewImages', () => {
  const manifest = { grid: 8, tokenDim: 3, imageSize: 32, previewPixelsPerLatent: 4 };

  it('sends each image’s sub-grid as [B, g, g, dim] in one call and scales its picture to full size', async () => {
    const tokens_B = [0, 1].map((b) => Float32Array.from({ length: 8 * 8 * 3 }, (_, k) => b * 1000 + k));
    const calls: { batch: number; grid: number; tokens: number[] }[] = [];
    const images = await decodePreviewImages(tokens_B, manifest, 4, async (tokens, batch, grid) => {
      calls.push({ batch, grid, tokens: Array.from(tokens) });
      // Image b is uniformly b/2 + 0.25: a constant survives the scaling exactly.
      return Float32Array.from({ length: batch * 8 * 8 * 3 }, (_, k) => Math.floor(k / (8 * 8 * 3)) / 2 + 0.25);
    });
    expect(calls).toHaveLength(1);
    expect(calls[0]!.batch).toBe(2);
    expect(calls[0]!.grid).toBe(2);
    // Cells (0,0), (0,4), (4,0), (4,4) of each grid: 0, 4, 32, 36.
    const cells = [0, 4, 32, 36];
    expect(calls[0]!.tokens).toEqual([0, 1].flatMap((b) => cells.flatMap((c) => [0, 1, 2].map((d) => b * 1000 + c * 3 + d))));
    expect(images.map((im) => [im.width, im.height])).toEqual([[32, 32], [32, 32]]);
    expect(images[0]!.data.slice(0, 4)).toEqual(new Uint8ClampedArray([64, 64, 64, 255]));
    expect(images[1]!.data.slice(-4)).toEqual(new Uint8ClampedArray([191, 191, 191, 255]));
  });

  it('says MANIFEST_INVALID when the session returns a picture of another size', async () => {
    await expect(decodePreviewImages([new Float32Array(8 * 8 * 3)], manifest, 4, async () => new Float32Array(5))).rejects.toMatchObject({ code: 'MANIFEST_INVALID' });
  });
});
