import { describe, expect, it } from 'vitest';
import { bits, normal, streamOf } from './prng';

// Vectors printed by models/nestar/prng.py.
describe('prng (lowbias32-boxmuller-v1)', () => {
  it('bits match Python bit for bit', () => {
    expect(bits(0, 0, [0, 1, 2, 3])).toEqual([2488251732, 516850854, 4258319090, 2527292570]);
    expect(bits(4294967295, 1025, [0, 1])).toEqual([3578320334, 1637535093]);
  });

  it('normal matches Python as float32', () => {
    const want = [
      -1.3850816488265991, 0.32068392634391785, 0.3708558678627014, 0.820949375629425, 0.49248501658439636,
      -0.16101445257663727,
    ];
    expect(Array.from(normal(42, 3, 6))).toEqual(Array.from(new Float32Array(want)));
    const want2 = [0.7934563755989075, 1.0213702917099, 0.19070306420326233, -0.2595442235469818];
    expect(Array.from(normal(7, streamOf(2, 1, 1024), 4))).toEqual(Array.from(new Float32Array(want2)));
  });

  it('is a pure function of the counter (prefix-stable)', () => {
    const a = normal(123, 5, 100);
    const b = normal(123, 5, 10);
    expect(Array.from(a.subarray(0, 10))).toEqual(Array.from(b));
  });

  it('rejects non-uint32 seeds and streams, and steps beyond the stride', () => {
    expect(() => normal(-1, 0, 1)).toThrow(RangeError);
    expect(() => normal(1.5, 0, 1)).toThrow(RangeError);
    expect(() => bits(0, 2 ** 32, [0])).toThrow(RangeError);
    expect(() => streamOf(0, 1024, 1024)).toThrow(RangeError);
  });
});
