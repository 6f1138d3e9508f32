// The probe page's script (bench/webgpuProbe.html, driven by bench/webgpuProbe.mjs): onnxruntime-web's WebGPU EP in
// a plain page, no app around it, under the site's own headers (its CSP allows no inline script).
import * as ort from '/node_modules/onnxruntime-web/dist/ort.webgpu.bundle.min.mjs';

ort.env.wasm.numThreads = 1;

/** Float inputs get fixed pseudo-random values, int64 inputs 0, 1, 2, ... (cell indices, class labels). */
function tensor(type, dims) {
  const length = dims.reduce((a, b) => a * b, 1);
  if (type === 'int64') return new ort.Tensor('int64', BigInt64Array.from({ length }, (_, i) => BigInt(i)), dims);
  return new ort.Tensor('float32', Float32Array.from({ length }, (_, i) => ((i * 7919) % 1000) / 1000 - 0.5), dims);
}

/** ms per call of `url` with inputs {name: [type, dims]}, every output read back; one warm-up call not kept. */
window.timeCalls = async (url, inputs, repeats) => {
  const session = await ort.InferenceSession.create(url, { executionProviders: ['webgpu'], logSeverityLevel: 3 });
  const feeds = Object.fromEntries(Object.entries(inputs).map(([name, [type, dims]]) => [name, tensor(type, dims)]));
  const times = [];
  try {
    for (let r = 0; r <= repeats; r++) {
      const start = performance.now();
      const outputs = await session.run(feeds);
      for (const output of Object.values(outputs)) await output.getData();
      if (r > 0) times.push(performance.now() - start);
    }
  } finally {
    await session.release();
  }
  return times;
};
window.probeReady = true;
