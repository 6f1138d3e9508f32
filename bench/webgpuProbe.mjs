// What a session call costs on the page's WebGPU in Chromium (SwiftShader on a machine without a GPU), apart from any
// model's schedule: the matmul peak (the MatMul graphs that `npm run bench` uses for the WASM peak) and the smallest
// calls of a bench model (module 1's backbone on one content and one query token, its few-step sampler on one row),
// each with every output read back. On SwiftShader a call costs tens of ms whatever its FLOPs, which, with the peak,
// bounds what NestAR's 2(3M + 1) calls can take there (bench/README.md).
//
//   node bench/webgpuProbe.mjs [--models DIR] [--model ID] [--repeats N]
//   DIR: the bench models, inside the repository (default .cache/bench-models, written by `npm run bench` or
//   models/bench_models.py)
import { readFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { openBrowser } from '../harness/browser.mjs';
import { startFaultServer } from '../harness/faultServer.mjs';
import { ROOT } from '../harness/server.mjs';
import { summarize } from './stats.mjs';

const { values } = parseArgs({ options: { models: { type: 'string', default: join(ROOT, '.cache', 'bench-models') }, model: { type: 'string', default: 'bench-nestar-n64' }, repeats: { type: 'string', default: '5' } } });
const repeats = Number(values.repeats);
if (!Number.isInteger(repeats) || repeats < 1) throw new Error(`--repeats must be a whole number >= 1, is ${values.repeats}`);
// The harness's static server (no faults set) serves the repository: the probe page, onnxruntime-web's files and
// the models, which must therefore lie inside it.
const modelsPath = relative(ROOT, resolve(values.models));
if (modelsPath.startsWith('..')) throw new Error(`--models must be a folder inside the repository (${ROOT}), is ${values.models}`);

const matmuls = JSON.parse(await readFile(join(values.models, 'matmul', 'matmul.json'), 'utf8'));
const manifest = JSON.parse(await readFile(join(values.models, values.model, 'manifest.json'), 'utf8'));
const first = manifest.modules[0];
const dim = manifest.tokens.dim;
const { layers, heads, head_dim: headDim } = first.kv_cache;
const smallest = [
  { what: `${values.model} module 1 backbone, 1 content + 1 query token`, file: first.backbone, inputs: {
    class_label: ['int64', [1]], content: ['float32', [1, 1, dim]], content_cells: ['int64', [1]],
    query_parent: ['float32', [1, 1, dim]], query_cells: ['int64', [1]], past_kv: ['float32', [layers, 2, 1, heads, 2, headDim]] } },
  { what: `${values.model} module 1 few-step sampler, 1 row`, file: first.few_step, inputs: {
    z: ['float32', [1, first.width]], x0: ['float32', [1, dim]], guidance: ['float32', [1, 1]] } },
];

const site = await startFaultServer({ root: ROOT });
const browser = await openBrowser();
try {
  await browser.page.goto(`${site.url}bench/webgpuProbe.html`);
  await browser.page.waitForFunction(() => window.probeReady === true, null, { timeout: 60_000 });
  const time = (url, inputs) => browser.page.evaluate(([u, i, n]) => window.timeCalls(u, i, n), [url, inputs, repeats]);
  const out = { adapter: await browser.page.evaluate(async () => { const a = await navigator.gpu?.requestAdapter(); return a ? `${a.info.vendor} ${a.info.architecture}`.trim() : null; }), repeats, matmul: [], calls: [] };
  for (const m of matmuls) {
    const ms = summarize(await time(`/${modelsPath}/matmul/${m.file}`, { a: ['float32', [m.m, m.k]], b: ['float32', [m.k, m.n]] }));
    out.matmul.push({ shape: `${m.m}x${m.k}x${m.n}`, ms, gflops: m.flops / (ms.min / 1000) / 1e9 });
  }
  out.peakGflops = Math.max(...out.matmul.map((m) => m.gflops));
  for (const c of smallest) out.calls.push({ what: c.what, ms: summarize(await time(`/${modelsPath}/${values.model}/${c.file}`, c.inputs)) });
  for (const m of out.matmul) console.log(`matmul ${m.shape}: ${m.ms.median.toFixed(1)} ms per call (fastest ${m.ms.min.toFixed(1)}), ${m.gflops.toFixed(2)} GFLOP/s`);
  for (const c of out.calls) console.log(`${c.what}: ${c.ms.median.toFixed(1)} ms per call (${c.ms.min.toFixed(1)}-${c.ms.max.toFixed(1)})`);
  console.log(JSON.stringify(out));
} finally {
  await browser.close();
  await site.stop();
}
