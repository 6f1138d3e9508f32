// Turns raw runs into result records (medians and spreads, FLOP rates) and writes RESULTS.md and the README section.
import { readFileSync, writeFileSync } from 'node:fs';
import { fmt, spread, summarizeRuns } from './stats.mjs';

const ARCHS = ['nestar', 'raster'];

/**
 * A flops.json batch entry re-counted for `odeSteps` ODE steps (same solver): flow-head FLOPs and calls are exactly
 * linear in the number of velocity evaluations per step, the backbone's do not depend on it. null: unchanged.
 */
export function costAt(cost, odeSteps) {
  if (!odeSteps) return cost;
  const evals = cost.evaluations_per_step;
  const newEvals = (evals / cost.ode_steps) * odeSteps;
  const flowFlops = (cost.flow_flops / evals) * newEvals;
  const flops = cost.backbone_flops + flowFlops;
  return { ...cost, ode_steps: odeSteps, evaluations_per_step: newEvals, flow_calls: newEvals * cost.sequential_steps, flow_flops: flowFlops, flops, flops_per_image: flops / cost.batch };
}

/** One record per (backend, tokens, batch, architecture). `cost`: that model's flops.json entry for the batch. */
export function record(backend, tokens, batch, arch, runs, cost) {
  const timings = summarizeRuns(runs, batch);
  const observed = runs[0].steps !== undefined;
  const gflops = cost.flops_per_image / (timings.msPerImage.median / 1000) / 1e9;
  return {
    backend, tokens, batch, arch,
    // Node runs count steps and calls through a wrapping SessionRunner; the page's are the schedule's (same code).
    counts: observed ? 'observed' : 'schedule',
    steps: observed ? runs[0].steps : cost.sequential_steps,
    backboneCalls: observed ? runs[0].backboneCalls : cost.backbone_calls,
    flowCalls: observed ? runs[0].flowCalls : cost.flow_calls,
    flopsPerImage: cost.flops_per_image,
    ...timings,
    gflops,
    fractionOfMatmulPeak: null, // set by run.mjs once the backend's matmul peak is known
  };
}

const ratio = (a, b) => (a / b).toFixed(2);

/** Rows of NestAR/raster pairs: one per (backend, tokens, batch). */
function pairs(records) {
  const key = (r) => `${r.backend}|${r.tokens}|${r.batch}`;
  const map = new Map();
  for (const r of records) {
    if (!map.has(key(r))) map.set(key(r), {});
    map.get(key(r))[r.arch] = r;
  }
  return [...map.values()].filter((p) => ARCHS.every((a) => p[a]));
}

export function comparisonTable(records) {
  const lines = [
    '| backend | n | batch | steps N / R | calls N / R | ms per image N | ms per image R | **N/R time** | first preview ms N / R | N/R preview | GFLOP/img | GFLOP/s N / R (% of matmul peak) |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const { nestar: n, raster: r } of pairs(records)) {
    const peak = (x) => (x.fractionOfMatmulPeak === null ? '' : ` (${(100 * x.fractionOfMatmulPeak).toFixed(0)}%)`);
    lines.push(
      `| ${n.backend} | ${n.tokens} | ${n.batch} | ${n.steps} / ${r.steps} | ${n.backboneCalls + n.flowCalls} / ${r.backboneCalls + r.flowCalls} | ` +
        `${spread(n.msPerImage)} | ${spread(r.msPerImage)} | **${ratio(n.msPerImage.median, r.msPerImage.median)}** | ` +
        `${fmt(n.firstPreviewMs.median)} / ${fmt(r.firstPreviewMs.median)} | ${ratio(n.firstPreviewMs.median, r.firstPreviewMs.median)} | ` +
        `${(n.flopsPerImage / 1e9).toFixed(2)} / ${(r.flopsPerImage / 1e9).toFixed(2)} | ${n.gflops.toFixed(1)}${peak(n)} / ${r.gflops.toFixed(1)}${peak(r)} |`,
    );
  }
  return lines.join('\n');
}

export function scaleTable(records) {
  const lines = ['| backend | n | batch | NestAR preview times, ms per scale (2x2, 4x4, ...) |', '|---|---|---|---|'];
  for (const r of records.filter((x) => x.arch === 'nestar')) {
    lines.push(`| ${r.backend} | ${r.tokens} | ${r.batch} | ${r.scaleMs.map((s, i) => `${2 ** (i + 1)}²: ${fmt(s.median)}`).join(', ')} |`);
  }
  return lines.join('\n');
}

/** Batch-1 points of one backend: [{tokens, arch, steps, ms}]. */
export function costCurve(records, backend) {
  return records.filter((r) => r.backend === backend && r.batch === 1).map((r) => ({ tokens: r.tokens, arch: r.arch, steps: r.steps, ms: r.msPerImage.median }));
}

export function curveTable(curve) {
  const lines = ['| n | steps NestAR | steps raster | ms/image NestAR | ms/image raster | N/R time |', '|---|---|---|---|---|---|'];
  for (const n of [...new Set(curve.map((p) => p.tokens))].sort((a, b) => a - b)) {
    const [a, b] = ARCHS.map((arch) => curve.find((p) => p.tokens === n && p.arch === arch));
    if (a && b) lines.push(`| ${n} | ${a.steps} | ${b.steps} | ${fmt(a.ms)} | ${fmt(b.ms)} | ${ratio(a.ms, b.ms)} |`);
  }
  return lines.join('\n');
}

export function resultsMarkdown(results, curveBackend) {
  const m = results.meta;
  const peaks = Object.entries(results.matmul).map(([b, x]) => `${b} ${x.gflops.toFixed(1)} GFLOP/s`).join(', ');
  return `# Speed benchmark: NestAR vs raster AR

Written by \`npm run bench\` (${m.command}) on ${m.date}. **${m.kind} run**${m.kind === 'reduced' ? ` (${m.reducedWhy})` : ''}.
Machine: ${m.cpus} x ${m.cpu}, Node ${m.node}${m.load ? `; ${m.load}` : ''}.

Models: random weights, every module the flagship's size (width 128, depth 4, flow head 128 x 3); NestAR has one
module per scale (3M + 1 steps), raster one module (n steps). Sampling: each model's defaults (${m.sampling}).
Protocol: NestAR and raster alternate (A B A B ...), one warm-up run each is dropped, then ${m.repeats}
runs per cell in Node, ${m.browserRepeats} in Chromium's WASM, ${m.webgpu.repeats} on SwiftShader WebGPU (there with
${m.webgpu.odeSteps} ODE step: SwiftShader emulates the GPU on the CPU at ~70 ms per call, so the default would take
~10 min per raster image); times are the median (min–max) of the worker's own clock. Steps and calls are counted
through the SessionRunner in Node and taken from the schedule in the page. FLOPs: MatMul/Gemm of the ONNX graphs at each
step's shapes (models/bench_flops.py), per image. Matmul peak (fastest of 10 calls of MatMul graphs ${results.matmulShapes.join(', ')}
(MxKxN), before and after the runs; the page's WASM is compared with Node's, WebGPU has none): ${peaks}.

## NestAR (N) vs raster (R)

${comparisonTable(results.records)}

## Time to each NestAR preview

${scaleTable(results.records)}

## Cost curve (${curveBackend}, batch 1)

${curveTable(costCurve(results.records, curveBackend))}

![cost curve](cost_curve.png)
`;
}

const START = '<!-- bench:start (written by npm run bench) -->';
const END = '<!-- bench:end -->';

/** Rewrites only the Speed section of README.md (between the markers; inserted before "## Use another model"). */
export function updateReadme(path, results, curveBackend) {
  const text = readFileSync(path, 'utf8');
  const n256 = pairs(results.records).find((p) => p.nestar.backend === curveBackend && p.nestar.tokens === 256 && p.nestar.batch === 1);
  const headline = n256
    ? `At n = 256 tokens, batch 1, NestAR takes ${ratio(n256.nestar.msPerImage.median, n256.raster.msPerImage.median)}x the raster model's time per image ` +
      `and shows its first preview after ${fmt(n256.nestar.firstPreviewMs.median)} ms (raster: only the finished image, ${fmt(n256.raster.firstPreviewMs.median)} ms). `
    : '';
  const m = results.meta;
  const flops = n256 ? `; ${(n256.nestar.flopsPerImage / 1e9).toFixed(1)} vs ${(n256.raster.flopsPerImage / 1e9).toFixed(1)} GFLOP at n = 256` : '';
  const section = `${START}
## Speed

NestAR against a token-by-token raster AR model with modules of identical size (random weights), in Node on
onnxruntime-web's wasm backend, the page's engine. ${headline}Both do about the same FLOPs per image (every token
gets the same flow-head ODE${flops}); NestAR needs 3M + 1 sequential steps instead of n, so far fewer and larger
network calls. ${m.kind === 'full' ? 'Full' : 'Reduced'} run of ${m.date.slice(0, 10)}${m.kind === 'full' ? '' : ` (${m.reducedWhy})`}; the page itself
(Chromium WASM and SwiftShader WebGPU), batch 8, spreads and per-scale times are in [bench/RESULTS.md](bench/RESULTS.md).
Rerun with \`npm run bench\`.

${curveTable(costCurve(results.records, curveBackend))}

![NestAR vs raster: steps and time per image vs tokens](bench/cost_curve.png)
${END}
`;
  let out;
  if (text.includes(START)) out = text.slice(0, text.indexOf(START)) + section + text.slice(text.indexOf(END) + END.length + 1);
  else {
    const at = text.indexOf('## Use another model');
    if (at < 0) throw new Error('README.md has no "## Use another model" heading to put the Speed section before');
    out = text.slice(0, at) + section + '\n' + text.slice(at);
  }
  writeFileSync(path, out);
}
