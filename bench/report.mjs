// Turns raw runs into result records (medians and spreads, FLOP rates, session calls) and writes RESULTS.md and the
// README section. Every cell holds both models on each sampling path that was timed: 'ode' (the models' default
// 16-step Heun ODE with guidance, the old path) and 'few_step' (the one-call few-step sampler, issue 9).
import { readFileSync, writeFileSync } from 'node:fs';
import { fmt, pairedRatio, spread, summarizeRuns } from './stats.mjs';

const ARCHS = ['nestar', 'raster'];
const NAMES = { nestar: 'NestAR', raster: 'raster' };
/** Records of results.json files written before the few-step path have no `path`: they are ODE runs. */
const pathOf = (r) => r.path ?? 'ode';

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

/** How a path sampled, for the tables: "16 heun" or "few-step K=2". */
export function samplingLabel(path, cost, fewStepEvaluations) {
  return path === 'few_step' ? `few-step K=${fewStepEvaluations}` : `${cost.ode_steps} ${cost.solver}`;
}

/**
 * One record per (backend, tokens, batch, architecture, path). `cost`: that model's flops.json entry for the batch
 * and path (`by_batch` for 'ode', `few_step_by_batch` for 'few_step'); `sampling`: samplingLabel's text.
 */
export function record(backend, tokens, batch, arch, runs, cost, path = 'ode', sampling = null) {
  const timings = summarizeRuns(runs, batch);
  const observed = runs[0].steps !== undefined;
  const few = path === 'few_step';
  const gflops = cost.flops_per_image / (timings.msPerImage.median / 1000) / 1e9;
  // flops.json's flow_calls are few-step calls on the few-step path (one per step).
  const scheduled = { backboneCalls: cost.backbone_calls, flowCalls: few ? 0 : cost.flow_calls, fewStepCalls: few ? cost.flow_calls : 0, decodeCalls: 0, previewDecodeCalls: 0 };
  const calls = observed ? { backboneCalls: runs[0].backboneCalls, flowCalls: runs[0].flowCalls, fewStepCalls: runs[0].fewStepCalls ?? 0, decodeCalls: runs[0].decodeCalls ?? 0, previewDecodeCalls: runs[0].previewDecodeCalls ?? 0 } : scheduled;
  return {
    backend, tokens, batch, arch, path,
    sampling: sampling ?? samplingLabel(path, cost, null),
    // Node runs count steps and calls through a wrapping SessionRunner; the page's are the schedule's (same code).
    counts: observed ? 'observed' : 'schedule',
    steps: observed ? runs[0].steps : cost.sequential_steps,
    ...calls,
    // Session calls of one generation (the whole batch goes through each call): per image at batch 1.
    calls: calls.backboneCalls + calls.flowCalls + calls.fewStepCalls + calls.decodeCalls + calls.previewDecodeCalls,
    flopsPerImage: cost.flops_per_image,
    // Per kept repeat, in round order: paired with the other series of the same cell for the ratios.
    msPerImageRuns: runs.map((r) => r.totalMs / batch),
    ...timings,
    gflops,
    fractionOfMatmulPeak: null, // set by run.mjs once the backend's matmul peak is known
  };
}

const ratio = (a, b) => (a / b).toFixed(2);
/** a's time per image over b's: the median of the per-round ratios when both have them (stats.mjs pairedRatio). */
export function timeRatio(a, b) {
  return a.msPerImageRuns && b.msPerImageRuns ? pairedRatio(a.msPerImageRuns, b.msPerImageRuns) : a.msPerImage.median / b.msPerImage.median;
}
const callsOf = (r) => r.calls ?? r.backboneCalls + r.flowCalls;
/** "330 (10 + 320 flow)" or "20 (10 + 10 few-step)": total, then backbone + the sampler's calls (+ decoder). */
function callsText(r) {
  const parts = [`${r.backboneCalls}`];
  if (r.flowCalls) parts.push(`${r.flowCalls} flow`);
  if (r.fewStepCalls) parts.push(`${r.fewStepCalls} few-step`);
  if (r.decodeCalls) parts.push(`${r.decodeCalls} decode`);
  if (r.previewDecodeCalls) parts.push(`${r.previewDecodeCalls} preview decode`);
  return `${callsOf(r)} (${parts.join(' + ')})`;
}

/** Cells in record order: {backend, tokens, batch, paths: {[path]: {nestar?, raster?}}}. */
export function cells(records) {
  const map = new Map();
  for (const r of records) {
    const key = `${r.backend}|${r.tokens}|${r.batch}`;
    if (!map.has(key)) map.set(key, { backend: r.backend, tokens: r.tokens, batch: r.batch, paths: {} });
    const cell = map.get(key);
    (cell.paths[pathOf(r)] ??= {})[r.arch] = r;
  }
  return [...map.values()];
}

/** NestAR/raster pairs, one per (backend, tokens, batch, path). */
function pairs(records) {
  return cells(records).flatMap((c) => Object.values(c.paths).filter((p) => ARCHS.every((a) => p[a])));
}

/** Old path against new: per cell and model timed on both paths, calls, time, speed-up and first preview. */
export function speedupTable(records) {
  const lines = [
    '| backend | n | batch | model | calls per generation: ODE → few-step | ms per image: ODE | ms per image: few-step | **speed-up** | first preview ms: ODE → few-step |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const c of cells(records)) {
    const { ode, few_step: few } = c.paths;
    if (!ode || !few) continue;
    for (const arch of ARCHS) {
      const [o, f] = [ode[arch], few[arch]];
      if (!o || !f) continue;
      lines.push(
        `| ${c.backend} | ${c.tokens} | ${c.batch} | ${NAMES[arch]} | ${callsText(o)} → ${callsText(f)} | ${o.sampling}: ${spread(o.msPerImage)} | ` +
          `${spread(f.msPerImage)} | **${timeRatio(o, f).toFixed(1)}x** | ${fmt(o.firstPreviewMs.median)} → ${fmt(f.firstPreviewMs.median)} |`,
      );
    }
  }
  return lines.length > 2 ? lines.join('\n') : '(no cell was timed on both paths: run with --paths=ode,few_step)';
}

export function comparisonTable(records) {
  const lines = [
    '| backend | n | batch | sampling | steps N / R | calls N / R | ms per image N | ms per image R | **N/R time** | first preview ms N / R | N/R preview | GFLOP/img N / R | GFLOP/s N / R (% of matmul peak) |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const { nestar: n, raster: r } of pairs(records)) {
    const peak = (x) => (x.fractionOfMatmulPeak === null ? '' : ` (${(100 * x.fractionOfMatmulPeak).toFixed(0)}%)`);
    lines.push(
      `| ${n.backend} | ${n.tokens} | ${n.batch} | ${n.sampling ?? pathOf(n)} | ${n.steps} / ${r.steps} | ${callsOf(n)} / ${callsOf(r)} | ` +
        `${spread(n.msPerImage)} | ${spread(r.msPerImage)} | **${timeRatio(n, r).toFixed(2)}** | ` +
        `${fmt(n.firstPreviewMs.median)} / ${fmt(r.firstPreviewMs.median)} | ${ratio(n.firstPreviewMs.median, r.firstPreviewMs.median)} | ` +
        `${(n.flopsPerImage / 1e9).toFixed(2)} / ${(r.flopsPerImage / 1e9).toFixed(2)} | ${n.gflops.toFixed(1)}${peak(n)} / ${r.gflops.toFixed(1)}${peak(r)} |`,
    );
  }
  return lines.join('\n');
}

export function scaleTable(records) {
  const lines = ['| backend | n | batch | sampling | NestAR preview times, ms per scale (2x2, 4x4, ...) |', '|---|---|---|---|---|'];
  for (const r of records.filter((x) => x.arch === 'nestar')) {
    lines.push(`| ${r.backend} | ${r.tokens} | ${r.batch} | ${r.sampling ?? pathOf(r)} | ${r.scaleMs.map((s, i) => `${2 ** (i + 1)}²: ${fmt(s.median)}`).join(', ')} |`);
  }
  return lines.join('\n');
}

/** Batch-1 points of one backend: [{tokens, arch, path, steps, calls, ms}], both paths. */
export function costCurve(records, backend) {
  return records
    .filter((r) => r.backend === backend && r.batch === 1)
    .map((r) => ({ tokens: r.tokens, arch: r.arch, path: pathOf(r), steps: r.steps, calls: callsOf(r), ms: r.msPerImage.median }));
}

/** Per n (batch 1, one backend): each path's times and NestAR/raster ratio, and each model's speed-up. */
export function curveTable(records, backend) {
  const at = (n, arch, path) => batchOneCell(records, backend, n, arch, path);
  const ns = [...new Set(records.filter((r) => r.backend === backend && r.batch === 1).map((r) => r.tokens))].sort((a, b) => a - b);
  const paths = ['ode', 'few_step'].filter((p) => ns.some((n) => at(n, 'nestar', p) && at(n, 'raster', p)));
  const title = { ode: 'ODE', few_step: 'few-step' };
  const head = ['n', 'steps N / R'];
  for (const p of paths) head.push(`${title[p]}: calls N / R`, `${title[p]}: ms/image N / R`, `**${title[p]}: N/R time**`);
  if (paths.length === 2) head.push('speed-up N / R', 'first preview ms N: ODE → few-step');
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---|').join('')}`];
  for (const n of ns) {
    const row = [];
    for (const p of paths) {
      const [a, b] = ARCHS.map((arch) => at(n, arch, p));
      if (!a || !b) row.push('', '', '');
      else row.push(`${callsOf(a)} / ${callsOf(b)}`, `${fmt(a.msPerImage.median)} / ${fmt(b.msPerImage.median)}`, `**${timeRatio(a, b).toFixed(2)}**`);
    }
    const any = ARCHS.map((arch) => at(n, arch, paths[0]));
    if (!any[0] || !any[1]) continue;
    if (paths.length === 2) {
      const speed = ARCHS.map((arch) => (at(n, arch, 'ode') && at(n, arch, 'few_step') ? `${timeRatio(at(n, arch, 'ode'), at(n, arch, 'few_step')).toFixed(1)}x` : '–'));
      const [o, f] = [at(n, 'nestar', 'ode'), at(n, 'nestar', 'few_step')];
      row.push(speed.join(' / '), o && f ? `${fmt(o.firstPreviewMs.median)} → ${fmt(f.firstPreviewMs.median)}` : '');
    }
    lines.push(`| ${n} | ${any[0].steps} / ${any[1].steps} | ${row.join(' | ')} |`);
  }
  return lines.join('\n');
}

/** The batch-1 record of `arch` on sampling `path` at `tokens` tokens on `backend`, if that cell was run. */
function batchOneCell(records, backend, tokens, arch, path) {
  return records.find((r) => r.backend === backend && r.tokens === tokens && r.batch === 1 && r.arch === arch && pathOf(r) === path);
}

/** A record's time per image had its matmuls run at 100% of the peak (its time scaled by its fraction of the peak). */
function msAtMatmulPeak(record) {
  return record.msPerImage.median * record.fractionOfMatmulPeak;
}

/**
 * The issue 9 targets this benchmark can check (the FID target is `npm run eval`'s, the threads one
 * `npm run bench:threads`'s): one row per target whose cells were run, with what was measured, whether it is met,
 * and, where the matmul peak bounds it, the best this machine allows: NestAR's FLOPs at 100% of the peak.
 */
export function targetsTable(records) {
  const find = (backend, tokens, arch, path) => batchOneCell(records, backend, tokens, arch, path);
  const rows = [];
  const add = (target, measured, met, best = '–') => rows.push(`| ${target} | ${measured} | ${met ? 'yes' : '**no**'} | ${best} |`);
  for (const r of records.filter((x) => x.arch === 'nestar' && x.batch === 1 && pathOf(x) === 'few_step' && x.counts === 'observed')) {
    add(`${r.backend}, n = ${r.tokens}: NestAR few-step calls per image = 2(3M + 1) = ${2 * r.steps}`, callsText(r), r.calls === 2 * r.steps);
  }
  for (const [backend, limit] of [['node-wasm', 0.1], ['browser-webgpu', 0.07]]) {
    const [n, r] = ARCHS.map((arch) => find(backend, 256, arch, 'few_step'));
    if (n && r) add(`${backend}, n = 256, batch 1: NestAR/raster time on the few-step path <= ${limit}`, timeRatio(n, r).toFixed(3), timeRatio(n, r) <= limit, flopBound(n, r));
  }
  const [ode64, few64] = [find('browser-wasm', 64, 'nestar', 'ode'), find('browser-wasm', 64, 'nestar', 'few_step')];
  if (ode64 && few64) {
    const speedup = timeRatio(ode64, few64);
    add('page WASM, n = 64, batch 1: NestAR few-step time per image <= a tenth of the ODE path\'s', `${fmt(few64.msPerImage.median)} vs ${fmt(ode64.msPerImage.median)} ms (${speedup.toFixed(1)}x)`, speedup >= 10);
  }
  if (few64) add('page WASM, n = 64, batch 1: NestAR first preview <= 10 ms (few-step)', `${fmt(few64.firstPreviewMs.median)} ms`, few64.firstPreviewMs.median <= 10);
  for (const path of ['ode', 'few_step']) {
    const r = find('browser-wasm', 256, 'nestar', path);
    if (r && r.fractionOfMatmulPeak !== null) add(`page WASM, n = 256 (${r.sampling}): NestAR FLOP/s >= 60% of the WASM matmul peak`, `${(100 * r.fractionOfMatmulPeak).toFixed(0)}%`, r.fractionOfMatmulPeak >= 0.6);
  }
  if (!rows.length) return '(none of the cells these targets need was run)';
  return ['| target | measured | met | best possible here |', '|---|---|---|---|', ...rows].join('\n');
}

/**
 * The lowest NestAR/raster time ratio NestAR's FLOPs allow on this backend: NestAR at 100% of the matmul peak (its
 * time scaled by its fraction of the peak), raster as measured; '–' where the backend has no measured peak.
 */
export function flopBound(nestar, raster) {
  if (nestar.fractionOfMatmulPeak === null) return '–';
  const atPeakMs = msAtMatmulPeak(nestar);
  return `${(atPeakMs / raster.msPerImage.median).toFixed(3)} (NestAR's ${(nestar.flopsPerImage / 1e9).toFixed(2)} GFLOP at the matmul peak: ${fmt(atPeakMs)} ms)`;
}

export function resultsMarkdown(results, curveBackend) {
  const m = results.meta;
  const peaks = Object.entries(results.matmul).map(([b, x]) => `${b} ${x.gflops.toFixed(1)} GFLOP/s`).join(', ');
  const paths = m.paths ?? ['ode'];
  return `# Speed benchmark: NestAR vs raster AR, ODE path vs few-step path

Written by \`npm run bench\` (${m.command}) on ${m.date}. **${m.kind} run**${m.kind === 'reduced' ? ` (${m.reducedWhy})` : ''}.
Machine: ${m.cpus} x ${m.cpu}, Node ${m.node}${m.load ? `; ${m.load}` : ''}.

Models: random weights, every module the flagship's size (width 128, depth 4, flow head 128 x 3); NestAR has one
module per scale (3M + 1 steps), raster one module (n steps); both have the same few-step heads (untrained: speed
does not depend on weights). Sampling paths (${paths.join(', ')}): **ODE** = the models' defaults (${m.sampling}: per
step one backbone call and ${m.odeEvaluationsPerStep ? `${m.odeEvaluationsPerStep} flow-head calls` : 'a flow-head call per velocity evaluation'}, every call on the batch doubled by guidance), the old
path; **few-step** = solver \`few_step\` (K = ${m.fewStepEvaluations ?? '?'} head evaluations inside one call per step, guidance folded
in, the batch not doubled; docs/contract.md, "Few-step sampler"), the new path.
Protocol: in each cell NestAR and raster on every path alternate (NestAR ODE, raster ODE, NestAR few-step, raster
few-step, again ...), one warm-up run each is dropped, then ${m.repeats} runs per cell in Node, ${m.browserRepeats} in
Chromium's WASM, ${m.webgpu.repeats} on SwiftShader WebGPU (its ODE path there with ${m.webgpu.odeSteps} ODE step: SwiftShader
emulates the GPU on the CPU at ~70 ms per call, so the default would take ~10 min per raster image); times are the
median (min–max) of the worker's own clock; **time ratios are the median of the per-round ratios** (runs side by
side), preview ratios the ratio of medians. Calls are session calls per generation (one call serves the whole
batch), counted through the SessionRunner in Node and taken from the schedule in the page. FLOPs: MatMul/Gemm of
the ONNX graphs at each step's shapes (models/bench_flops.py), per image. Matmul peak (fastest of 10 calls of
MatMul graphs ${results.matmulShapes.join(', ')} (MxKxN), before and after the runs; the page's WASM is compared with
Node's; for WebGPU, \`node bench/webgpuProbe.mjs\` measures it apart, bench/README.md): ${peaks || 'not measured'}.

## Old path (ODE) vs new path (few-step)

${speedupTable(results.records)}

## Issue 9 targets measured here

${targetsTable(results.records)}

## NestAR (N) vs raster (R) on each path

${comparisonTable(results.records)}

## Time to each NestAR preview

${scaleTable(results.records)}

## Cost curve (${curveBackend}, batch 1)

${curveTable(results.records, curveBackend)}

![cost curve](cost_curve.png)
`;
}

const BACKEND_WORDS = {
  'node-wasm': "in Node on onnxruntime-web's wasm backend, the page's engine",
  'node-cpu': "in Node on onnxruntime-node's CPU provider",
  'browser-wasm': "in the page (Chromium, onnxruntime-web's WASM)",
  'browser-webgpu': 'in the page on SwiftShader WebGPU (a CPU emulation of a GPU)',
};

const START = '<!-- bench:start (written by npm run bench) -->';
const END = '<!-- bench:end -->';

function headline(results, backend) {
  const at = (arch, path) => batchOneCell(results.records, backend, 256, arch, path);
  const [no, ro, nf, rf] = [at('nestar', 'ode'), at('raster', 'ode'), at('nestar', 'few_step'), at('raster', 'few_step')];
  const out = [];
  if (no && ro) {
    out.push(`At n = 256 tokens, batch 1, on the ODE path NestAR takes ${timeRatio(no, ro).toFixed(2)}x the raster model's time per image ` +
      `(${callsOf(no)} vs ${callsOf(ro)} session calls; first preview after ${fmt(no.firstPreviewMs.median)} ms, raster shows only the finished image, ${fmt(ro.firstPreviewMs.median)} ms)`);
  }
  if (nf && rf) {
    out.push(`on the few-step path ${timeRatio(nf, rf).toFixed(2)}x (${callsOf(nf)} vs ${callsOf(rf)} calls; first preview after ${fmt(nf.firstPreviewMs.median)} ms)`);
  }
  if (no && nf) out.push(`the few-step path makes NestAR ${timeRatio(no, nf).toFixed(1)}x faster (${fmt(no.msPerImage.median)} → ${fmt(nf.msPerImage.median)} ms per image)`);
  return out.length ? `${out.join('; ')}. ${whyNotLower(results, nf, rf)}` : '';
}

/**
 * Why the few-step NestAR/raster ratio is not lower where the FLOPs bound it: the same arithmetic per image in both
 * models, NestAR's best time at the matmul peak, and the ratio where a call is what costs (SwiftShader WebGPU).
 */
function whyNotLower(results, nf, rf) {
  if (!nf || !rf || nf.fractionOfMatmulPeak === null) return '';
  const atPeakMs = msAtMatmulPeak(nf);
  const gpu = ARCHS.map((arch) => batchOneCell(results.records, 'browser-webgpu', 256, arch, 'few_step'));
  return `Both models do the same arithmetic per image (${(nf.flopsPerImage / 1e9).toFixed(2)} vs ${(rf.flopsPerImage / 1e9).toFixed(2)} GFLOP: networks of ` +
    `the same size, and about as many token rows through them: each token as a query and as content, NestAR's modules also re-reading the ` +
    `coarser scales as content), and NestAR's calls already run at ` +
    `${(100 * nf.fractionOfMatmulPeak).toFixed(0)}% of the matmul peak, so here the FLOPs bound the ratio: at 100% of the peak NestAR would take ` +
    `${fmt(atPeakMs)} ms, ${(atPeakMs / rf.msPerImage.median).toFixed(2)}x raster's time. Its fewer sequential steps pay most where each call is ` +
    `expensive${gpu[0] && gpu[1] ? `: on SwiftShader WebGPU, a CPU stand-in for a GPU, NestAR takes ${timeRatio(gpu[0], gpu[1]).toFixed(2)}x raster's time` : ', as on a GPU'}. `;
}

/** Rewrites only the Speed section of README.md (between the markers; inserted before "## Use another model"). */
export function updateReadme(path, results, curveBackend) {
  const text = readFileSync(path, 'utf8');
  const m = results.meta;
  const section = `${START}
## Speed

NestAR against a token-by-token raster AR model with modules of identical size and the same heads (random weights),
${BACKEND_WORDS[curveBackend] ?? `on ${curveBackend}`}, on two sampling paths timed side by side: the **ODE**
path (${m.sampling}, guidance doubling the batch: one backbone call and ${m.odeEvaluationsPerStep ? `${m.odeEvaluationsPerStep} flow-head calls` : 'a flow-head call per velocity evaluation'} per step) and the **few-step** path
(solver \`few_step\`: one backbone call and one sampler call per step, 2(3M + 1) calls per NestAR image).
${headline(results, curveBackend)}${m.kind === 'full' ? 'Full' : 'Reduced'} run of ${m.date.slice(0, 10)}${m.kind === 'full' ? '' : ` (${m.reducedWhy})`}; the page itself (Chromium WASM and
SwiftShader WebGPU), batch 8, spreads, FLOPs and per-scale times are in [bench/RESULTS.md](bench/RESULTS.md). Rerun with
\`npm run bench\`; on your own machine, open the app's \`bench.html\`.

${curveTable(results.records, curveBackend)}

![NestAR vs raster: steps and time per image vs tokens, ODE and few-step paths](bench/cost_curve.png)
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
