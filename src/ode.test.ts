import { describe, expect, it } from 'vitest';
import { integrate, velocityCalls } from './ode';

describe('ode', () => {
  it('integrates a constant-in-x velocity exactly: x(1) = x0 + ∫ 2t dt = x0 + 1 (Heun is exact for linear t)', async () => {
    const x = await integrate(new Float32Array([0, 1, -2]), 'heun', 5, async (xs, t) => new Float32Array(xs.length).fill(2 * t));
    expect(Array.from(x).map((v) => +v.toFixed(6))).toEqual([1, 2, -1]);
  });

  it('Euler on v = 2t lags by exactly 1/S (left Riemann sum)', async () => {
    const x = await integrate(new Float32Array([0]), 'euler', 4, async (xs, t) => new Float32Array(xs.length).fill(2 * t));
    expect(x[0]).toBeCloseTo(1 - 1 / 4, 6);
  });

  it('dx/dt = x converges to e with the expected orders', async () => {
    const grow = async (xs: Float32Array): Promise<Float32Array> => Float32Array.from(xs);
    const euler = (await integrate(new Float32Array([1]), 'euler', 10, grow))[0]!;
    const heun = (await integrate(new Float32Array([1]), 'heun', 10, grow))[0]!;
    expect(euler).toBeCloseTo(1.1 ** 10, 5); // (1 + dt)^S
    expect(heun).toBeCloseTo(1.105 ** 10, 5); // (1 + dt + dt²/2)^S
    expect(Math.abs(heun - Math.E)).toBeLessThan(Math.abs(euler - Math.E) / 10);
  });

  it('evaluates the velocity at the contract times and does not modify x0', async () => {
    const times: number[] = [];
    const x0 = new Float32Array([3]);
    await integrate(x0, 'heun', 2, async (xs, t) => {
      times.push(t);
      return new Float32Array(xs.length);
    });
    expect(times).toEqual([0, 0.5, 0.5, 1]);
    expect(velocityCalls('heun', 2)).toBe(4);
    expect(x0[0]).toBe(3);
    await expect(integrate(x0, 'euler', 0, async (xs) => xs)).rejects.toThrow(RangeError);
  });
});
