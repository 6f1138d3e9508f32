#!/usr/bin/env node
// Speed benchmark, one command: `npm run bench`. NestAR vs raster AR with modules of identical size, n = 64, 256,
// 1024 tokens, each on the ODE path and the few-step path (--paths), interleaved runs, warm-up excluded, median and
// spread. Writes bench/results.json, bench/RESULTS.md,
// bench/cost_curve.png and the README's Speed section. Options: bench/options.mjs (`npm run bench -- --help`); a run
// exports, loads and builds only what its options ask for (planRun there).
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { runPairInBrowser, serveSite } from './browser.mjs';
import { trainerLoad } from './trainerState.mjs';
import { loadEntry, ROOT } from './bundle.mjs';
import { costCurvePng } from './plot.mjs';
import { matmulRate, nodeBackends, runPair } from './node.mjs';
import { BenchOptionError, modelId, parseOptions, planRun, USAGE } from './options.mjs';
import { costAt, costCurve, record, resultsMarkdown, samplingLabel, updateReadme } from './report.mjs';
import { summarize } from './stats.mjs';

const argv = process.argv.slice(2);
const MODELS = join(ROOT, '.cache', 'bench-models');
const CURVE_BACKEND = 'node-wasm';
const log = (line) => console.log(line);

function writeOutputs(results) {
  // A run without node-wasm (e.g. --backends=browser-wasm) draws its cost curve from its first batch-1 backend.
  const curveBackend = results.records.some((r) => r.backend === CURVE_BACKEND && r.batch === 1) ? CURVE_BACKEND : (results.records.find((r) => r.batch === 1)?.backend ?? CURVE_BACKEND);
  writeFileSync(join(ROOT, 'bench', 'RESULTS.md'), resultsMarkdown(results, curveBackend));
  writeFileSync(join(ROOT, 'bench', 'cost_curve.png'), costCurvePng(costCurve(results.records, curveBackend), `MS PER IMAGE (${curveBackend.replace('-', ' ').toUpperCase()}, BATCH 1)`));
  updateReadme(join(ROOT, 'README.md'), results, curveBackend);
}

async function main() {
  const options = parseOptions(argv);
  if (options.help) {
    log(USAGE);
    return;
  }
  if (options.reportOnly) {
    writeOutputs(JSON.parse(readFileSync(join(ROOT, 'bench', 'results.json'), 'utf8')));
    log('rewrote bench/RESULTS.md, bench/cost_curve.png and the README Speed section from bench/results.json');
    return;
  }
  const started = Date.now();
  const { repeats, browserRepeats } = options;
  // Node backends that cannot load here (node-cpu without onnxruntime-node) drop out before anything is exported.
  const asked = planRun(options);
  const backends = await nodeBackends(asked.nodeBackends);
  const plan = planRun(options, asked.nodeBackends.filter((name) => !backends.some((b) => b.name === name)));
  log(`writing the bench models ${plan.modelIds.join(', ')} (random weights, export + parity check; cached in ${MODELS})`);
  execFileSync('/usr/bin/python3', [join(ROOT, 'models', 'bench_models.py'), '--out', MODELS, '--tokens', plan.exportTokens.join(',')], { stdio: 'inherit' });
  const flopsOf = (arch, n) => JSON.parse(readFileSync(join(MODELS, modelId(arch, n), 'flops.json'), 'utf8'));
  /** flops.json's entry for a path: the default (ODE) sampling, or solver few_step (bench_models.py gives every model one). */
  const cost = (arch, n, batch, path) => {
    const flops = flopsOf(arch, n);
    const entry = (path === 'few_step' ? flops.few_step_by_batch : flops.by_batch)?.[String(batch)];
    if (!entry) throw new Error(`${modelId(arch, n)} has no ${path} cost in flops.json: rerun models/bench_models.py`);
    return entry;
  };
  const label = (arch, n, path, c) => samplingLabel(path, c, flopsOf(arch, n).few_step_evaluations);
  const { paths } = plan;
  const matmulSpec = plan.needsMatmul ? JSON.parse(readFileSync(join(MODELS, 'matmul', 'matmul.json'), 'utf8')) : [];

  const entry = plan.nodeCells.length ? await loadEntry() : null;
  const records = [];
  const matmul = {};
  for (const backend of backends) {
    const before = await matmulRate(entry, backend, MODELS, matmulSpec, 10, summarize);
    for (const { tokens: n, batch } of plan.nodeCells) {
      log(`  ${backend.name} n=${n} batch ${batch} (${paths.join(', ')})`);
      const runs = await runPair(entry, backend, MODELS, n, batch, repeats, log, paths);
      for (const path of paths) {
        for (const arch of ['nestar', 'raster']) {
          const c = cost(arch, n, batch, path);
          records.push(record(backend.name, n, batch, arch, runs[path][arch], c, path, label(arch, n, path, c)));
        }
      }
    }
    const after = await matmulRate(entry, backend, MODELS, matmulSpec, 10, summarize);
    matmul[backend.name] = { before, after, gflops: Math.max(before.gflops, after.gflops) };
    log(`${backend.name}: matmul peak ${matmul[backend.name].gflops.toFixed(1)} GFLOP/s (${[...before.graphs, ...after.graphs].map((g) => `${g.shape} ${g.gflops.toFixed(1)}`).join(', ')})`);
  }

  if (plan.browserTokens.length) {
    const site = await serveSite(plan.browserModelIds.map((id) => join(MODELS, id)), { noBuild: options.noBuild });
    try {
      for (const ep of plan.browserEps) {
        for (const n of plan.browserTokens) {
          const odeSteps = ep === 'webgpu' ? options.webgpuOdeSteps : null; // null: the model's default
          log(`  browser-${ep} n=${n} batch 1 (${paths.join(', ')})${odeSteps && paths.includes('ode') ? `, ${odeSteps} ODE steps on the ODE path` : ''}`);
          const reps = ep === 'webgpu' ? options.webgpuRepeats : browserRepeats;
          const defaultSolver = flopsOf('nestar', n).sampling.solver;
          const runs = await runPairInBrowser(site.url, n, ep, 1, reps, log, odeSteps, paths, defaultSolver);
          for (const path of paths) {
            for (const arch of ['nestar', 'raster']) {
              const c = path === 'ode' ? costAt(cost(arch, n, 1, path), odeSteps) : cost(arch, n, 1, path);
              records.push(record(`browser-${ep}`, n, 1, arch, runs[path][arch], c, path, label(arch, n, path, c)));
            }
          }
        }
      }
    } finally {
      site.stop();
    }
  }

  // The page's wasm is onnxruntime-web's wasm in V8 like Node's, so Node's peak is its reference; WebGPU has none.
  const peakOf = (backend) => matmul[backend === 'browser-wasm' ? 'node-wasm' : backend]?.gflops ?? null;
  for (const r of records) r.fractionOfMatmulPeak = peakOf(r.backend) ? r.gflops / peakOf(r.backend) : null;
  const load = trainerLoad();
  const reducedWhy = [...options.changed, ...(load ? [load] : [])];
  // Every bench model has the flagship's sampling defaults: read them from one this run exported.
  const manifest0 = JSON.parse(readFileSync(join(MODELS, plan.modelIds[0], 'manifest.json'), 'utf8'));
  const d = manifest0.sampling.defaults;
  const results = {
    meta: {
      command: ['npm run bench', ...(argv.length ? ['--', ...argv] : [])].join(' '),
      date: new Date().toISOString(),
      kind: reducedWhy.length ? 'reduced' : 'full',
      reducedWhy: reducedWhy.join('; '),
      cpus: os.cpus().length,
      cpu: os.cpus()[0]?.model ?? 'unknown',
      node: process.version,
      load,
      repeats,
      browserRepeats,
      webgpu: { repeats: options.webgpuRepeats, odeSteps: options.webgpuOdeSteps },
      sampling: `${d.ode_steps} ${d.solver} ODE steps, guidance ${d.guidance}, temperature ${d.temperature}`,
      paths,
      odeEvaluationsPerStep: d.ode_steps * (d.solver === 'heun' ? 2 : 1),
      fewStepEvaluations: manifest0.few_step?.evaluations ?? null,
      seconds: Math.round((Date.now() - started) / 1000),
    },
    matmulShapes: matmulSpec.map((m) => `${m.m}x${m.k}x${m.n}`),
    matmul,
    records,
  };
  writeFileSync(join(ROOT, 'bench', 'results.json'), JSON.stringify(results, null, 1) + '\n');
  writeOutputs(results);
  log(`wrote bench/results.json, bench/RESULTS.md, bench/cost_curve.png, README.md (Speed) in ${results.meta.seconds} s (${results.meta.kind} run)`);
}

main().catch((e) => {
  if (e instanceof BenchOptionError) {
    console.error(`npm run bench: ${e.message}`);
    process.exit(2);
  }
  console.error(e);
  process.exit(1);
});
