#!/usr/bin/env node
// Speed benchmark, one command: `npm run bench`. NestAR vs raster AR with modules of identical size, n = 64, 256,
// 1024 tokens, interleaved runs, warm-up excluded, median and spread. Writes bench/results.json, bench/RESULTS.md,
// bench/cost_curve.png and the README's Speed section. Options (defaults = the full run):
//   --repeats=5             kept runs per cell in Node (after one warm-up each)
//   --browser-repeats=3     kept runs per cell in the browser (SwiftShader WebGPU is 30-50x slower than WASM)
//   --tokens=64,256,1024    token counts (the cost curve, batch 1)
//   --batch8-tokens=64,256  token counts also run at batch 8 (1024 x 8 is minutes per run on 2 cores)
//   --browser-tokens=64,256 token counts run in Chromium at batch 1
//   --webgpu-repeats=1, --webgpu-ode-steps=1   SwiftShader WebGPU is a CPU emulation ~70 ms per call here: with the
//                           default 16 Heun steps one raster n=256 image takes ~10 min, so it runs 1 ODE step
//   --backends=node-wasm,node-cpu,browser-wasm,browser-webgpu   (node-cpu only if onnxruntime-node is installed)
//   --no-build              reuse dist/ for the browser runs
//   --report-only           rewrite RESULTS.md, the PNG and the README section from bench/results.json
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { runPairInBrowser, serveSite } from './browser.mjs';
import { loadEntry, ROOT } from './bundle.mjs';
import { costCurvePng } from './plot.mjs';
import { matmulRate, nodeBackends, runPair } from './node.mjs';
import { costAt, costCurve, record, resultsMarkdown, updateReadme } from './report.mjs';
import { summarize } from './stats.mjs';

const DEFAULTS = {
  repeats: '5',
  'browser-repeats': '3',
  tokens: '64,256,1024',
  'batch8-tokens': '64,256',
  'browser-tokens': '64,256',
  'webgpu-repeats': '1',
  'webgpu-ode-steps': '1',
  backends: 'node-wasm,node-cpu,browser-wasm,browser-webgpu',
};
const argv = process.argv.slice(2);
const opt = (name) => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? DEFAULTS[name];
const list = (name) => opt(name).split(',').filter(Boolean);
const ints = (name) => list(name).map(Number);
const MODELS = join(ROOT, '.cache', 'bench-models');
const CURVE_BACKEND = 'node-wasm';
const log = (line) => console.log(line);

function otherLoad() {
  // The flagship's trainer shares these 2 cores when it runs; such a run is not a clean measurement.
  const found = spawnSync('pgrep', ['-f', 'models/train.py'], { encoding: 'utf8' });
  return found.status === 0 ? 'models/train.py was running on the same cores' : null;
}

function writeOutputs(results) {
  writeFileSync(join(ROOT, 'bench', 'RESULTS.md'), resultsMarkdown(results, CURVE_BACKEND));
  writeFileSync(join(ROOT, 'bench', 'cost_curve.png'), costCurvePng(costCurve(results.records, CURVE_BACKEND), 'MS PER IMAGE (NODE WASM, BATCH 1)'));
  updateReadme(join(ROOT, 'README.md'), results, CURVE_BACKEND);
}

async function main() {
  if (argv.includes('--report-only')) {
    writeOutputs(JSON.parse(readFileSync(join(ROOT, 'bench', 'results.json'), 'utf8')));
    log('rewrote bench/RESULTS.md, bench/cost_curve.png and the README Speed section from bench/results.json');
    return;
  }
  const started = Date.now();
  const repeats = Number(opt('repeats'));
  const browserRepeats = Number(opt('browser-repeats'));
  const tokens = ints('tokens');
  const backends = list('backends');
  log(`writing the bench models (random weights, export + parity check; cached in ${MODELS})`);
  execFileSync('/usr/bin/python3', [join(ROOT, 'models', 'bench_models.py'), '--out', MODELS, '--tokens', tokens.join(',')], { stdio: 'inherit' });
  const cost = (arch, n, batch) => JSON.parse(readFileSync(join(MODELS, `bench-${arch}-n${n}`, 'flops.json'), 'utf8')).by_batch[String(batch)];
  const matmulSpec = JSON.parse(readFileSync(join(MODELS, 'matmul', 'matmul.json'), 'utf8'));

  const entry = await loadEntry();
  const records = [];
  const matmul = {};
  for (const backend of await nodeBackends(backends)) {
    const before = await matmulRate(entry, backend, MODELS, matmulSpec, 10, summarize);
    for (const n of tokens) {
      for (const batch of ints('batch8-tokens').includes(n) ? [1, 8] : [1]) {
        log(`  ${backend.name} n=${n} batch ${batch}`);
        const runs = await runPair(entry, backend, MODELS, n, batch, repeats, log);
        for (const arch of ['nestar', 'raster']) records.push(record(backend.name, n, batch, arch, runs[arch], cost(arch, n, batch)));
      }
    }
    const after = await matmulRate(entry, backend, MODELS, matmulSpec, 10, summarize);
    matmul[backend.name] = { before, after, gflops: Math.max(before.gflops, after.gflops) };
    log(`${backend.name}: matmul peak ${matmul[backend.name].gflops.toFixed(1)} GFLOP/s (${[...before.graphs, ...after.graphs].map((g) => `${g.shape} ${g.gflops.toFixed(1)}`).join(', ')})`);
  }

  const browserEps = backends.filter((b) => b.startsWith('browser-')).map((b) => b.slice('browser-'.length));
  const browserTokens = ints('browser-tokens').filter((n) => tokens.includes(n));
  if (browserEps.length && browserTokens.length) {
    const ids = browserTokens.flatMap((n) => ['nestar', 'raster'].map((a) => `bench-${a}-n${n}`));
    const site = await serveSite(MODELS, ids, { noBuild: argv.includes('--no-build') });
    try {
      for (const ep of browserEps) {
        for (const n of browserTokens) {
          const odeSteps = ep === 'webgpu' ? Number(opt('webgpu-ode-steps')) : null; // null: the model's default
          log(`  browser-${ep} n=${n} batch 1${odeSteps ? `, ${odeSteps} ODE steps` : ''}`);
          const reps = ep === 'webgpu' ? Number(opt('webgpu-repeats')) : browserRepeats;
          const runs = await runPairInBrowser(site.url, n, ep, 1, reps, log, odeSteps);
          const name = `browser-${ep}${odeSteps ? ` (${odeSteps} ODE step${odeSteps > 1 ? 's' : ''})` : ''}`;
          for (const arch of ['nestar', 'raster']) records.push(record(name, n, 1, arch, runs[arch], costAt(cost(arch, n, 1), odeSteps)));
        }
      }
    } finally {
      site.stop();
    }
  }

  // The page's wasm is onnxruntime-web's wasm in V8 like Node's, so Node's peak is its reference; WebGPU has none.
  const peakOf = (backend) => matmul[backend === 'browser-wasm' ? 'node-wasm' : backend]?.gflops ?? null;
  for (const r of records) r.fractionOfMatmulPeak = peakOf(r.backend) ? r.gflops / peakOf(r.backend) : null;
  const load = otherLoad();
  const reducedWhy = [
    ...Object.entries(DEFAULTS).filter(([k, v]) => opt(k) !== v).map(([k]) => `--${k}=${opt(k)}`),
    ...(load ? [load] : []),
  ];
  const d = JSON.parse(readFileSync(join(MODELS, 'bench-nestar-n64', 'manifest.json'), 'utf8')).sampling.defaults;
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
      webgpu: { repeats: Number(opt('webgpu-repeats')), odeSteps: Number(opt('webgpu-ode-steps')) },
      sampling: `${d.ode_steps} ${d.solver} ODE steps, guidance ${d.guidance}, temperature ${d.temperature}`,
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
  console.error(e);
  process.exit(1);
});
