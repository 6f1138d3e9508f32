// bench/report.mjs: records of both sampling paths, the old/new speed-up from paired runs, and the tables and README
// section built from them (issue 9, item 4), also from a results.json written before the few-step path existed.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cells, comparisonTable, curveTable, record, resultsMarkdown, samplingLabel, speedupTable, targetsTable, timeRatio, updateReadme } from './report.mjs';
import { pairedRatio } from './stats.mjs';

const cost = (solver, steps, calls, flowCalls) => ({
  batch: 1, ode_steps: 16, solver, evaluations_per_step: solver === 'few_step' ? 1 : 32, sequential_steps: steps,
  backbone_calls: steps, flow_calls: flowCalls, backbone_flops: 1e9, flow_flops: 2e9, flops: 3e9, flops_per_image: 3e9, calls,
});
/** Observed runs (as bench/entry.ts returns them) of `ms` per image each. */
const runs = (ms, steps, flow, fewStep) => ms.map((t) => ({ totalMs: t, firstPreviewMs: t / 10, scaleMs: [t / 10, t], steps, backboneCalls: steps, flowCalls: flow, fewStepCalls: fewStep, decodeCalls: 0 }));

function records() {
  return [
    record('node-wasm', 64, 1, 'nestar', runs([300, 600, 330], 10, 320, 0), cost('heun', 10), 'ode', '16 heun'),
    record('node-wasm', 64, 1, 'raster', runs([900, 1800, 990], 64, 2048, 0), cost('heun', 64), 'ode', '16 heun'),
    record('node-wasm', 64, 1, 'nestar', runs([30, 40, 33], 10, 0, 10), cost('few_step', 10, 0, 10), 'few_step', 'few-step K=2'),
    record('node-wasm', 64, 1, 'raster', runs([150, 300, 160], 64, 0, 64), cost('few_step', 64, 0, 64), 'few_step', 'few-step K=2'),
  ];
}

describe('report', () => {
  it('records the observed calls of each path', () => {
    const [ode, , few] = records();
    expect(ode).toMatchObject({ path: 'ode', backboneCalls: 10, flowCalls: 320, fewStepCalls: 0, calls: 330, counts: 'observed' });
    expect(few).toMatchObject({ path: 'few_step', backboneCalls: 10, flowCalls: 0, fewStepCalls: 10, calls: 20, msPerImageRuns: [30, 40, 33] });
  });

  it('takes calls from the schedule when the runs did not count them (the page)', () => {
    const pageRuns = [{ totalMs: 50, firstPreviewMs: 5, scaleMs: [5, 50] }];
    expect(record('browser-wasm', 64, 1, 'nestar', pageRuns, cost('few_step', 10, 0, 10), 'few_step')).toMatchObject({ counts: 'schedule', backboneCalls: 10, flowCalls: 0, fewStepCalls: 10, calls: 20 });
    expect(record('browser-wasm', 64, 1, 'nestar', pageRuns, cost('heun', 10, 0, 320), 'ode')).toMatchObject({ flowCalls: 320, fewStepCalls: 0, calls: 330 });
  });

  it('pairs repeats of the same round: a slow round cancels out of the ratio', () => {
    // Round 2 ran with the machine twice as loaded: every series doubled.
    expect(pairedRatio([300, 600, 330], [30, 60, 33])).toBe(10);
    const [nOde, rOde, nFew] = records();
    expect(timeRatio(nOde, rOde)).toBeCloseTo(1 / 3);
    expect(timeRatio(nOde, nFew)).toBeCloseTo(10);
    expect(pairedRatio([1, 2], [1])).toBe(1.5 / 1); // unpaired: the ratio of medians
  });

  it('groups both paths of a cell and writes the speed-up, comparison and curve tables', () => {
    const rs = records();
    expect(cells(rs)).toHaveLength(1);
    expect(Object.keys(cells(rs)[0].paths)).toEqual(['ode', 'few_step']);
    const speed = speedupTable(rs);
    expect(speed).toContain('| node-wasm | 64 | 1 | NestAR | 330 (10 + 320 flow) → 20 (10 + 10 few-step) |');
    expect(speed).toContain('**10.0x**');
    expect(comparisonTable(rs).split('\n')).toHaveLength(4);
    expect(comparisonTable(rs)).toContain('| few-step K=2 | 10 / 64 | 20 / 128 |');
    const curve = curveTable(rs, 'node-wasm');
    expect(curve).toContain('few-step: calls N / R');
    expect(curve).toContain('| 64 | 10 / 64 | 330 / 2112 |');
    expect(samplingLabel('few_step', {}, 2)).toBe('few-step K=2');
    expect(samplingLabel('ode', { ode_steps: 16, solver: 'heun' }, 2)).toBe('16 heun');
  });

  it('checks the issue 9 targets it has cells for', () => {
    const table = targetsTable(records());
    expect(table).toContain('| node-wasm, n = 64: NestAR few-step calls per image = 2(3M + 1) = 20 | 20 (10 + 10 few-step) | yes |');
    expect(table.split('\n')).toHaveLength(3); // no n = 256 or page cells here
    const slow = records().map((r) => ({ ...r, tokens: 256, backend: 'node-wasm' }));
    expect(targetsTable(slow)).toContain('NestAR/raster time on the few-step path <= 0.1 | 0.200 | **no** |');
    expect(targetsTable([])).toMatch(/none of the cells/);
  });

  it('bounds the NestAR/raster target by NestAR at the matmul peak, where the backend has one', () => {
    // NestAR few-step: median 33 ms at half the peak -> 16.5 ms at the peak; raster few-step median 160 ms.
    const measured = records().map((r) => ({ ...r, tokens: 256, fractionOfMatmulPeak: r.arch === 'nestar' ? 0.5 : 0.1 }));
    expect(targetsTable(measured)).toContain('<= 0.1 | 0.200 | **no** | 0.103 (NestAR\'s 3.00 GFLOP at the matmul peak: 16.5 ms) |');
    const noPeak = records().map((r) => ({ ...r, tokens: 256 }));
    expect(targetsTable(noPeak)).toContain('<= 0.1 | 0.200 | **no** | – |');
  });

  it('still reads a results.json from before the few-step path (no path: ODE records)', () => {
    const old = records().slice(0, 2).map(({ path, sampling, calls, fewStepCalls, decodeCalls, msPerImageRuns, ...rest }) => rest);
    expect(speedupTable(old)).toMatch(/no cell was timed on both paths/);
    expect(comparisonTable(old)).toContain('| ode | 10 / 64 | 330 / 2112 |');
    expect(curveTable(old, 'node-wasm')).not.toContain('few-step');
  });

  it('rewrites only the README section between the markers', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-report-'));
    const readme = join(dir, 'README.md');
    writeFileSync(readme, '# T\n\nintro\n\n## Use another model\n\nrest\n');
    const meta = { command: 'npm run bench', date: '2026-12-02T00:00:00Z', kind: 'reduced', reducedWhy: '--repeats=3', cpus: 2, cpu: 'x', node: 'v20', load: null, repeats: 3, browserRepeats: 3, webgpu: { repeats: 1, odeSteps: 1 }, sampling: '16 heun ODE steps, guidance 3, temperature 1', paths: ['ode', 'few_step'], odeEvaluationsPerStep: 32, fewStepEvaluations: 2 };
    const results = { meta, matmulShapes: [], matmul: {}, records: records() };
    updateReadme(readme, results, 'node-wasm');
    updateReadme(readme, results, 'node-wasm');
    const text = readFileSync(readme, 'utf8');
    expect(text.match(/## Speed/g)).toHaveLength(1);
    expect(text).toContain('intro');
    expect(text).toContain('## Use another model\n\nrest\n');
    expect(text).toContain('one backbone call and 32 flow-head calls per step');
    expect(resultsMarkdown(results, 'node-wasm')).toContain('## Old path (ODE) vs new path (few-step)');
    expect(text).not.toContain('the FLOPs bound the ratio'); // no matmul peak measured: nothing to bound it with
  });

  it('says in the README what bounds the few-step ratio where the matmul peak was measured', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-report-'));
    const readme = join(dir, 'README.md');
    writeFileSync(readme, '# T\n\n## Use another model\n');
    const meta = { date: '2026-12-02T00:00:00Z', kind: 'full', sampling: '16 heun ODE steps', odeEvaluationsPerStep: 32 };
    const at256 = records().map((r) => ({ ...r, tokens: 256, fractionOfMatmulPeak: r.arch === 'nestar' ? 0.5 : 0.1 }));
    const gpu = at256.filter((r) => r.path === 'few_step').map((r) => ({ ...r, backend: 'browser-webgpu', msPerImage: { ...r.msPerImage, median: r.arch === 'nestar' ? 100 : 2000 }, msPerImageRuns: [r.arch === 'nestar' ? 100 : 2000] }));
    updateReadme(readme, { meta, matmulShapes: [], matmul: {}, records: [...at256, ...gpu] }, 'node-wasm');
    const text = readFileSync(readme, 'utf8');
    // NestAR few-step: 33 ms at half the peak -> 16.5 ms; raster 160 ms.
    expect(text).toContain('(3.00 vs 3.00 GFLOP');
    expect(text).toContain('run at 50% of the matmul peak, so here the FLOPs bound the ratio: at 100% of the peak NestAR would take 16.5 ms, 0.10x raster\'s time');
    expect(text).toContain("on SwiftShader WebGPU, a CPU stand-in for a GPU, NestAR takes 0.05x raster's time");
  });
});
