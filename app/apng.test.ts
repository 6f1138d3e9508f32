import { decodeApng, encode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { assembleApng, pngChunks } from './apng';

const frame = (v: number, size = 4) => encode({ width: size, height: size, channels: 4, depth: 8, data: new Uint8Array(size * size * 4).fill(v) });

describe('assembleApng', () => {
  it('one fcTL per frame, acTL with the frame count, IDAT for frame 0 and fdAT after, sequence numbers in order', () => {
    const apng = assembleApng([frame(10), frame(20), frame(30)], [400, 400, 1500]);
    const chunks = pngChunks(apng);
    const types = chunks.map((c) => c.type);
    expect(types[0]).toBe('IHDR');
    expect(types[1]).toBe('acTL');
    expect(types.at(-1)).toBe('IEND');
    expect(types.filter((t) => t === 'fcTL').length).toBe(3);
    expect(types.indexOf('IDAT')).toBeGreaterThan(types.indexOf('fcTL'));
    expect(types.lastIndexOf('IDAT')).toBeLessThan(types.indexOf('fdAT'));
    const actl = chunks[1]!.data;
    expect(new DataView(actl.buffer, actl.byteOffset).getUint32(0)).toBe(3);
    const sequences = chunks
      .filter((c) => c.type === 'fcTL' || c.type === 'fdAT')
      .map((c) => new DataView(c.data.buffer, c.data.byteOffset).getUint32(0));
    expect(sequences).toEqual(sequences.map((_, i) => i));
    const last = chunks.filter((c) => c.type === 'fcTL')[2]!.data;
    expect(new DataView(last.buffer, last.byteOffset).getUint16(20)).toBe(1500);
  });

  it('decodes (fast-png) to the frames it was made of, with their delays', () => {
    const apng = decodeApng(assembleApng([frame(10), frame(200)], [600, 2000]));
    expect([apng.width, apng.numberOfFrames, apng.numberOfPlays]).toEqual([4, 2, 0]);
    expect(apng.frames.map((f) => Array.from(f.data.slice(0, 4)))).toEqual([
      [10, 10, 10, 10],
      [200, 200, 200, 200],
    ]);
    expect(apng.frames.map((f) => f.delayNumber / f.delayDenominator)).toEqual([0.6, 2]);
  });

  it('refuses frames of different sizes and an empty animation', () => {
    expect(() => assembleApng([frame(1, 4), frame(1, 8)], [1, 1])).toThrow(/frame 1 differs/);
    expect(() => assembleApng([], [])).toThrow(RangeError);
  });
});
