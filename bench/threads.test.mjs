import { describe, expect, it } from 'vitest';
import { parseThreadOptions, speedup } from './threads.mjs';

describe('npm run bench:threads options', () => {
  it('defaults: n = 256, batch 8, 5 repeats, 1 vs 2 threads, NestAR', () => {
    expect(parseThreadOptions([])).toMatchObject({ tokens: 256, batch: 8, repeats: 5, threads: [1, 2], archs: ['nestar'], path: 'ode', where: 'node', warmups: 1, help: false, changed: [] });
  });

  it('every option', () => {
    const o = parseThreadOptions(['--tokens=64', '--batch=1', '--repeats=3', '--threads=1,2,4', '--archs=nestar,raster', '--path=few_step', '--in=page', '--warmups=0']);
    expect(o).toMatchObject({ tokens: 64, batch: 1, repeats: 3, threads: [1, 2, 4], archs: ['nestar', 'raster'], path: 'few_step', where: 'page', warmups: 0 });
    expect(o.changed).toEqual(['tokens', 'batch', 'repeats', 'threads', 'archs', 'path', 'in', 'warmups']);
    expect(parseThreadOptions(['--help']).help).toBe(true);
  });

  it('bad values stop with a message naming the option', () => {
    const bad = {
      '--tokens=100': /--tokens=100: not a bench token count/,
      '--batch=0': /--batch=0/,
      '--repeats=x': /--repeats=x/,
      '--threads=2': /at least two counts/,
      '--threads=1,1': /listed twice/,
      '--threads=1,0': /--threads=1,0/,
      '--archs=mar': /unknown model "mar"/,
      '--path=rk4': /--path=rk4: expected one of ode, few_step/,
      '--in=gpu': /--in=gpu: expected one of node, page/,
      '--warmups=-1': /--warmups=-1/,
      '--batch=': /needs a value/,
      '--speed=2': /unknown option --speed/,
      'fast': /unexpected argument/,
    };
    for (const [arg, message] of Object.entries(bad)) expect(() => parseThreadOptions([arg]), arg).toThrow(message);
    expect(() => parseThreadOptions(['--batch=2', '--batch=4'])).toThrow(/given twice/);
  });
});

describe('speedup', () => {
  it('the median of paired ratios and the ratio of medians; > 1 when the second count is faster', () => {
    expect(speedup([100, 200, 300], [50, 100, 300])).toEqual({ pairedMedian: 2, ofMedians: 2 });
    expect(() => speedup([1, 2], [1])).toThrow(/paired/);
  });
});
