// Runs exported ONNX graphs with onnxruntime-web's wasm backend in Node (the engine the page uses) on the cases
// export.py computed with PyTorch; prints {"max_abs_error": e} as its last line.
//   node models/onnx_parity.mjs <model folder> <cases.json>
import fs from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-web';

ort.env.wasm.numThreads = 1;
const [folder, casesPath] = process.argv.slice(2);
const cases = JSON.parse(fs.readFileSync(casesPath, 'utf8'));

const decode = ({ dtype, shape, data }) => {
  const buf = Buffer.from(data, 'base64');
  const bytes = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
  const array = dtype === 'int64' ? new BigInt64Array(bytes) : new Float32Array(bytes);
  return new ort.Tensor(dtype, array, shape);
};

const sessions = new Map();
let maxError = 0;
for (const c of cases) {
  if (!sessions.has(c.file)) {
    const bytes = fs.readFileSync(path.join(folder, c.file));
    sessions.set(c.file, await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], logSeverityLevel: 3 }));
  }
  const feeds = Object.fromEntries(Object.entries(c.inputs).map(([k, v]) => [k, decode(v)]));
  const out = await sessions.get(c.file).run(feeds);
  for (const [name, want] of Object.entries(c.outputs)) {
    const expected = decode(want);
    const got = out[name];
    if (got.dims.join(',') !== expected.dims.join(',')) {
      console.error(`${c.file} ${name}: shape ${got.dims} != ${expected.dims}`);
      process.exit(1);
    }
    for (let i = 0; i < got.data.length; i++) maxError = Math.max(maxError, Math.abs(got.data[i] - expected.data[i]));
  }
}
console.log(JSON.stringify({ max_abs_error: maxError, cases: cases.length }));
