// Two shipped models side by side in Node on onnxruntime-web's wasm backend (the page's engine, one thread as in
// the page): each at its own manifest defaults, batch 1, previews rendered as the page renders them (a latent
// model's decoder included), runs interleaved A B A B with a warm-up each, so machine drift hits both alike.
//   node bench/versions.mjs [--a emoji64-nestar] [--b emoji32-nestar] [--repeats 10] [--batch 1]
// Prints per model the median ms per image (and range), first preview, calls per image, and the ratio a / b.
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadEntry, ROOT } from './bundle.mjs';
import { interleaved } from './interleave.mjs';
import { summarize } from './stats.mjs';

const { values } = parseArgs({
  options: {
    a: { type: 'string', default: 'emoji64-nestar' },
    b: { type: 'string', default: 'emoji32-nestar' },
    repeats: { type: 'string', default: '10' },
    batch: { type: 'string', default: '1' },
  },
});
const repeats = Number(values.repeats);
const batch = Number(values.batch);
if (!Number.isInteger(repeats) || repeats < 1) throw new Error(`--repeats must be an integer >= 1, got ${values.repeats}`);
if (!Number.isInteger(batch) || batch < 1 || batch > 16) throw new Error(`--batch must be an integer in 1..16, got ${values.batch}`);

const ort = await import('onnxruntime-web');
ort.env.wasm.numThreads = 1;
const entry = await loadEntry();
const ids = [values.a, values.b];
const models = {};
try {
  for (const id of ids) models[id] = await entry.openBenchModel(ort, join(ROOT, 'public', 'models', id), 'wasm');
  const runs = await interleaved((id, b, seed) => models[id].generate(b, seed), batch, repeats,
    (line) => console.log(line), ids);
  const result = {};
  for (const id of ids) {
    const r = runs[id];
    const perImage = summarize(r.map((t) => t.totalMs / batch));
    result[id] = {
      msPerImage: perImage,
      firstPreviewMs: summarize(r.map((t) => t.firstPreviewMs)).median,
      callsPerImage: (r[0].backboneCalls + r[0].flowCalls + r[0].decodeCalls) / batch,
      decodeCalls: r[0].decodeCalls,
      settings: models[id].manifest.defaults,
    };
    console.log(`${id}: ${perImage.median.toFixed(0)} ms/image (range ${perImage.min.toFixed(0)}-${perImage.max.toFixed(0)}), ` +
      `first preview ${result[id].firstPreviewMs.toFixed(0)} ms, ${result[id].callsPerImage} calls per image ` +
      `(${r[0].decodeCalls} decoder), defaults ${JSON.stringify(result[id].settings)}`);
  }
  const ratio = result[ids[0]].msPerImage.median / result[ids[1]].msPerImage.median;
  console.log(`${ids[0]} / ${ids[1]} time per image: ${ratio.toFixed(2)}x (batch ${batch}, ${repeats} interleaved repeats)`);
  console.log(JSON.stringify({ batch, repeats, ratio, result }));
} finally {
  for (const m of Object.values(models)) await m.close();
}
