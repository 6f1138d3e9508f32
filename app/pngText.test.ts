import { decode, encode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { readTextChunks, withTextChunks } from './pngText';
import { linkFor, parseUrl, pngEntries, pngSearch } from './urlState';

// A small RGBA PNG from another encoder: the chunks must keep it decodable and its pixels unchanged.
const PNG = encode({ width: 3, height: 2, channels: 4, depth: 8, data: Uint8Array.from({ length: 24 }, (_, i) => (i * 37) % 256) });

describe('PNG text chunks', () => {
  it('writes iTXt chunks that any decoder skips and this reader reads back, UTF-8 included', () => {
    const out = withTextChunks(PNG, [
      ['nestar:class', 'grinning face 😀'],
      ['Software', 'NestAR Studio'],
    ]);
    const text = readTextChunks(out);
    expect(text.get('nestar:class')).toBe('grinning face 😀');
    expect(text.get('Software')).toBe('NestAR Studio');
    const before = decode(PNG);
    const after = decode(out);
    expect([after.width, after.height]).toEqual([before.width, before.height]);
    expect(after.data).toEqual(before.data);
  });

  it('a PNG of an image carries its link: pngSearch gives back the same query as the link', () => {
    const link = linkFor('https://example.test/', {
      modelId: 'emoji64-nestar',
      backend: 'wasm',
      classLabel: 'face-smiling',
      seed: 7,
      guidance: 4,
      coarseGuidance: 3,
      temperature: 0.8,
      odeSteps: 16,
      solver: 'heun',
      variation: { sourceSeed: 3, scale: 2 },
    });
    const files = [{ name: 'decoder.onnx', sha256: 'ab'.repeat(32) }];
    const text = readTextChunks(withTextChunks(PNG, pngEntries(link, 'wasm', files)));
    expect(text.get('nestar:link')).toBe(link);
    expect(text.get('nestar:backend')).toBe('wasm');
    expect(text.get('nestar:files')).toBe(`decoder.onnx sha256:${'ab'.repeat(32)}`);
    expect(parseUrl(pngSearch(text)!)).toEqual(parseUrl(new URL(link).search));
  });

  it('no NestAR seed, or not a PNG: nothing to restore', () => {
    expect(pngSearch(readTextChunks(PNG))).toBeNull();
    expect(readTextChunks(new Uint8Array([1, 2, 3])).size).toBe(0);
    expect(() => withTextChunks(new Uint8Array(10), [])).toThrow(RangeError);
  });
});
