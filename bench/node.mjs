// Node backends: onnxruntime-web's wasm backend (the engine the page runs, here on one thread; the page runs 1-4,
// src/backend.ts, and `npm run bench:threads` compares thread counts) and,
// when it is installed, onnxruntime-node's CPU provider.
import { join } from 'node:path';
import { interleaved } from './interleave.mjs';

/** The backends importable here: [{name, ort, ep}]. onnxruntime-node is not a dependency (bench/README.md). */
export async function nodeBackends(wanted) {
  const out = [];
  if (wanted.includes('node-wasm')) {
    const ort = await import('onnxruntime-web');
    ort.env.wasm.numThreads = 1; // one thread: the cost curve measures calls and FLOPs, not the thread pool
    out.push({ name: 'node-wasm', ort, ep: 'wasm' });
  }
  if (wanted.includes('node-cpu')) {
    try {
      const ort = await import('onnxruntime-node');
      out.push({ name: 'node-cpu', ort, ep: 'cpu' });
    } catch {
      console.log('onnxruntime-node is not installed: skipping the node-cpu backend');
    }
  }
  return out;
}

/**
 * A backend's matmul peak: per MatMul graph, ms per call and GFLOP/s of its fastest call (other load on the machine
 * only ever slows a call down); `best` is the highest rate over the graphs. Called before and after the model runs.
 */
export async function matmulRate(entry, backend, modelsDir, specs, repeats, summarize) {
  const graphs = [];
  for (const spec of specs) {
    const times = await entry.timeMatmul(backend.ort, join(modelsDir, 'matmul', spec.file), [spec.m, spec.k, spec.n], backend.ep, repeats);
    const ms = summarize(times);
    graphs.push({ shape: `${spec.m}x${spec.k}x${spec.n}`, ms, gflops: spec.flops / (ms.min / 1000) / 1e9 });
  }
  return { graphs, gflops: Math.max(...graphs.map((g) => g.gflops)) };
}

/** The interleave names of a cell: every architecture on every path, e.g. 'nestar ode', 'raster few_step'. */
export const cellNames = (paths) => paths.flatMap((path) => ['nestar', 'raster'].map((arch) => `${arch} ${path}`));

/** {nestar ode: runs, ...} (interleaved's result) -> {[path]: {nestar: runs, raster: runs}}. */
export function byPath(runs, paths) {
  return Object.fromEntries(paths.map((path) => [path, { nestar: runs[`nestar ${path}`], raster: runs[`raster ${path}`] }]));
}

/**
 * Interleaved runs of the NestAR and raster models of `tokens` at `batch` on every sampling path of `paths`
 * ('ode', 'few_step'): nestar ode, raster ode, nestar few_step, raster few_step, again ... so that the old/new
 * speed-up and both NestAR/raster ratios come from runs side by side. Returns {[path]: {nestar, raster}}.
 */
export async function runPair(entry, backend, modelsDir, tokens, batch, repeats, log, paths = ['ode']) {
  const models = {};
  try {
    for (const arch of ['nestar', 'raster']) {
      models[arch] = await entry.openBenchModel(backend.ort, join(modelsDir, `bench-${arch}-n${tokens}`), backend.ep);
    }
    const generate = (name, b, seed) => {
      const [arch, path] = name.split(' ');
      return models[arch].generate(b, seed, path);
    };
    return byPath(await interleaved(generate, batch, repeats, log, cellNames(paths)), paths);
  } finally {
    for (const m of Object.values(models)) await m.close();
  }
}
