import { describe, expect, it } from 'vitest';
import { callTotals, TimedRunner } from './callTimer';
import type { SessionRunner } from './sessionRunner';

/** A runner whose calls take fixed (fake) times on a fake clock; decode fails. */
function fakeRunner(clock: { t: number }): SessionRunner<string> {
  const after = <T>(ms: number, value: T) => async () => {
    clock.t += ms;
    return value;
  };
  return {
    backbone: (_m, _f, _kv) => after(5, { z: 'z', presentKv: 'kv' })(),
    flowHead: () => after(1, new Float32Array(2))(),
    fewStep: () => after(2, new Float32Array(2))(),
    decode: async () => {
      clock.t += 3;
      throw new Error('decoder failed');
    },
    decodePreview: () => after(4, new Float32Array(3))(),
    release: () => undefined,
  };
}

describe('TimedRunner', () => {
  it('counts each kind of call and sums its time, failed calls included, and passes results through', async () => {
    const clock = { t: 0 };
    const timer = new TimedRunner(fakeRunner(clock), () => clock.t);
    const feeds = { batch: 1, classLabel_B: new BigInt64Array(1), content_BLD: new Float32Array(0), contentCells_L: new BigInt64Array(0), queryParent_BLD: new Float32Array(0), queryCells_L: new BigInt64Array(0) };
    expect(await timer.backbone(0, feeds, null)).toEqual({ z: 'z', presentKv: 'kv' });
    await timer.flowHead(0, 'z', new Float32Array(2), new Float32Array(1));
    await timer.flowHead(0, 'z', new Float32Array(2), new Float32Array(1));
    await timer.fewStep(0, 'z', new Float32Array(2), new Float32Array(1));
    await expect(timer.decode(new Float32Array(2), 1)).rejects.toThrow('decoder failed');
    expect((await timer.decodePreview(new Float32Array(4), 1, 1)).length).toBe(3);
    expect(timer.stats).toEqual({
      backbone: { calls: 1, ms: 5 },
      flowHead: { calls: 2, ms: 2 },
      fewStep: { calls: 1, ms: 2 },
      decode: { calls: 1, ms: 3 },
      previewDecode: { calls: 1, ms: 4 },
    });
    expect(callTotals(timer.stats)).toEqual({ calls: 6, ms: 16 });
  });
});
