// What a session call costs on the page's WebGPU in Chromium (SwiftShader on a machine without a GPU), apart from any
// model's schedule: the matmul peak (the MatMul graphs that `npm run bench` uses for the WASM peak) and the smallest
// calls of a bench model (module 1's backbone on one content and one query token, its few-step sampler on one row),
// each with every output read back. On SwiftShader a call costs tens of ms whatever its FLOPs, which, with the peak,
// bounds what NestAR's 2(3M + 1) calls can take there (bench/README.md).
//
//   node bench/webgpuProbe.mjs [--models DIR] [--model ID] [--repeats N]
//   DIR: the bench models (default .cache/bench-models, written by `npm run bench` or models/bench_models.py)
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { parseArgs } from 'node:util';
import { openBrowser } from '../harness/browser.mjs';
import { ROOT } from '../harness/server.mjs';
import { summarize } from './stats.mjs';

const { values } = parseArgs({ options: { models: { type: 'string', default: join(ROOT, '.cache', 'bench-models') }, model: { type: 'string', default: 'bench-nestar-n64' }, repeats: { type: 'string', default: '5' } } });
const repeats = Number(values.repeats);
if (!Number.isInteger(repeats) || repeats < 1) throw new Error(`--repeats must be a whole number >= 1, is ${values.repeats}`);

const TYPES = { '.html': 'text/html', '.mjs': 'text/javascript', '.wasm': 'application/wasm' };
/** Serves the probe page, onnxruntime-web's files and the models folder, nothing else. */
function serve(modelsDir) {
  const routes = [['/probe/', join(ROOT, 'bench')], ['/node_modules/onnxruntime-web/dist/', join(ROOT, 'node_modules', 'onnxruntime-web', 'dist')], ['/models/', modelsDir]];
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
    const route = routes.find(([prefix]) => path.startsWith(prefix));
    const file = route && normalize(join(route[1], path.slice(route[0].length)));
    if (!file || !file.startsWith(route[1])) return res.writeHead(404).end();
    try {
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${server.address().port}`, close: () => server.close() })));
}

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

const site = await serve(values.models);
const browser = await openBrowser();
try {
  await browser.page.goto(`${site.url}/probe/webgpuProbe.html`);
  await browser.page.waitForFunction(() => window.probeReady === true, null, { timeout: 60_000 });
  const time = (url, inputs) => browser.page.evaluate(([u, i, n]) => window.timeCalls(u, i, n), [url, inputs, repeats]);
  const out = { adapter: await browser.page.evaluate(async () => { const a = await navigator.gpu?.requestAdapter(); return a ? `${a.info.vendor} ${a.info.architecture}`.trim() : null; }), repeats, matmul: [], calls: [] };
  for (const m of matmuls) {
    const ms = summarize(await time(`/models/matmul/${m.file}`, { a: ['float32', [m.m, m.k]], b: ['float32', [m.k, m.n]] }));
    out.matmul.push({ shape: `${m.m}x${m.k}x${m.n}`, ms, gflops: m.flops / (ms.min / 1000) / 1e9 });
  }
  out.peakGflops = Math.max(...out.matmul.map((m) => m.gflops));
  for (const c of smallest) out.calls.push({ what: c.what, ms: summarize(await time(`/models/${values.model}/${c.file}`, c.inputs)) });
  for (const m of out.matmul) console.log(`matmul ${m.shape}: ${m.ms.median.toFixed(1)} ms per call (fastest ${m.ms.min.toFixed(1)}), ${m.gflops.toFixed(2)} GFLOP/s`);
  for (const c of out.calls) console.log(`${c.what}: ${c.ms.median.toFixed(1)} ms per call (${c.ms.min.toFixed(1)}-${c.ms.max.toFixed(1)})`);
  console.log(JSON.stringify(out));
} finally {
  await browser.close();
  site.close();
}
