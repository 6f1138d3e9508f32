import { describe, expect, it } from 'vitest';
import { rgbaToTokens, subGridTokens, tokensToRgba, type TokenLayout } from './tokens';

// 4x4 grid of 2x2 patches: an 8x8 image, dim 12.
const layout: TokenLayout = { grid: 4, patchSize: 2, tokenDim: 12, imageSize: 8, normMean: [0.5, 0.5, 0.5], normStd: [0.5, 0.5, 0.5] };

function randomImage(seed: number): { width: number; height: number; data: Uint8ClampedArray } {
  const data = new Uint8ClampedArray(8 * 8 * 4);
  let s = seed;
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    data[i] = i % 4 === 3 ? 255 : s >>> 24;
  }
  return { width: 8, height: 8, data };
}

describe('tokens', () => {
  it('unpatchify is the exact inverse of patchify (pixel layout (dy, dx, rgb))', () => {
    const img = randomImage(1);
    const tokens = rgbaToTokens(img, layout);
    expect(tokensToRgba(tokens, layout).data).toEqual(img.data);
  });

  it('places token (r, c) element (dy*p + dx)*3 + ch at pixel (r*p + dy, c*p + dx)', () => {
    const tokens = new Float32Array(16 * 12).fill(-1); // black
    const cell = 1 * 4 + 2; // r = 1, c = 2
    const dy = 1, dx = 0, ch = 2;
    tokens[cell * 12 + (dy * 2 + dx) * 3 + ch] = 1; // full blue
    const { data } = tokensToRgba(tokens, layout);
    const o = ((1 * 2 + dy) * 8 + (2 * 2 + dx)) * 4;
    expect(Array.from(data.subarray(o, o + 4))).toEqual([0, 0, 255, 255]);
    expect(data.reduce((a, v) => a + v, 0)).toBe(255 + 64 * 255);
  });

  it('decodes with clamp and round: x*std + mean', () => {
    const tokens = new Float32Array(16 * 12).fill(5);
    tokens[0] = -5;
    tokens[1] = 0; // 0.5 -> 127.5 -> 128 (half to even, like torch.round)
    tokens[3] = 1 / 255 - 1; // -> exactly 0.5 / 255 * 255 = 0.5 -> 0
    const { data } = tokensToRgba(tokens, layout);
    expect(Array.from(data.subarray(0, 4))).toEqual([0, 128, 255, 255]);
    expect(data[4]).toBe(0);
  });

  it('a scale preview is its sub-grid upsampled by nearest neighbour to full size', () => {
    const tokens = rgbaToTokens(randomImage(7), layout);
    const stride = 2; // 2x2 sub-grid
    const sub = subGridTokens(tokens, 4, 12, stride);
    expect(sub.length).toBe(2 * 2 * 12);
    expect(Array.from(sub.subarray(12, 24))).toEqual(Array.from(tokens.subarray(2 * 12, 3 * 12))); // (0,1) -> cell 2
    const small = tokensToRgba(sub, { ...layout, grid: 2, imageSize: 4 });
    const preview = tokensToRgba(tokens, layout, stride);
    expect(preview.width).toBe(8);
    for (let Y = 0; Y < 8; Y++) {
      for (let X = 0; X < 8; X++) {
        const o = (Y * 8 + X) * 4;
        const s = ((Y >> 1) * 4 + (X >> 1)) * 4;
        expect(Array.from(preview.data.subarray(o, o + 4))).toEqual(Array.from(small.data.subarray(s, s + 4)));
      }
    }
  });
});
