// Two shipped models side by side in Node on onnxruntime-web's wasm backend (the page's engine, one thread as in
// the page): each on each sampling path (`ode`: its ODE defaults, or the Heun reference of its few-step sampler;
// `few_step`: the few-step sampler, where the model has one), batch 1, previews rendered as the page renders them (a
// latent model's decoder included), all series interleaved with a warm-up each, so machine drift hits all alike.
//   node bench/versions.mjs [--a emoji64-nestar] [--b emoji32-nestar] [--repeats 10] [--batch 1] [--paths ode,few_step]
// --a/--b: a shipped model's id, or a path to an exported model folder (e.g. two exports of one model).
// Prints per model and path the median ms per image (and range), first preview, calls per image, and the ratios.
import { join, resolve } from 'node:path';
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
    paths: { type: 'string', default: 'ode,few_step' },
  },
});
const paths = values.paths.split(',').map((p) => p.trim()).filter(Boolean);
if (!paths.length || paths.some((p) => p !== 'ode' && p !== 'few_step')) throw new Error(`--paths must list ode and/or few_step, got ${values.paths}`);
const repeats = Number(values.repeats);
const batch = Number(values.batch);
if (!Number.isInteger(repeats) || repeats < 1) throw new Error(`--repeats must be an integer >= 1, got ${values.repeats}`);
if (!Number.isInteger(batch) || batch < 1 || batch > 16) throw new Error(`--batch must be an integer in 1..16, got ${values.batch}`);

const ort = await import('onnxruntime-web');
ort.env.wasm.numThreads = 1;
const entry = await loadEntry();
const models = {};
try {
  for (const id of [values.a, values.b]) models[id] = await entry.openBenchModel(ort, id.includes('/') ? resolve(id) : join(ROOT, 'public', 'models', id), 'wasm');
  // One series per model and path ("<id> <path>"); a model without a few-step sampler has no few_step series.
  const series = Object.keys(models).flatMap((id) => paths.filter((p) => p === 'ode' || models[id].manifest.fewStep).map((p) => `${id} ${p}`));
  const runs = await interleaved((name, b, seed) => {
    const [id, path] = name.split(' ');
    return models[id].generate(b, seed, path);
  }, batch, repeats, (line) => console.log(line), series);
  const result = {};
  for (const name of series) {
    const r = runs[name];
    const perImage = summarize(r.map((t) => t.totalMs / batch));
    result[name] = {
      msPerImage: perImage,
      firstPreviewMs: summarize(r.map((t) => t.firstPreviewMs)).median,
      callsPerImage: (r[0].backboneCalls + r[0].flowCalls + r[0].fewStepCalls + r[0].decodeCalls + r[0].previewDecodeCalls) / batch,
      decodeCalls: r[0].decodeCalls,
      previewDecodeCalls: r[0].previewDecodeCalls,
      // Where the time goes: the median ms per image inside each kind of session call.
      callMsPerImage: Object.fromEntries(Object.keys(r[0].callMs).map((kind) => [kind, summarize(r.map((t) => t.callMs[kind] / batch)).median])),
    };
    console.log(`${name}: ${perImage.median.toFixed(0)} ms/image (range ${perImage.min.toFixed(0)}-${perImage.max.toFixed(0)}), ` +
      `first preview ${result[name].firstPreviewMs.toFixed(0)} ms, ${result[name].callsPerImage} calls per image ` +
      `(${r[0].decodeCalls} decoder, ${r[0].previewDecodeCalls} preview decoder); in calls: ` +
      Object.entries(result[name].callMsPerImage).filter(([, ms]) => ms > 0).map(([kind, ms]) => `${kind} ${ms.toFixed(1)}`).join(', ') + ' ms');
  }
  const ratios = {};
  for (const id of Object.keys(models)) {
    if (result[`${id} ode`] && result[`${id} few_step`]) {
      ratios[`${id} ode / few_step`] = result[`${id} ode`].msPerImage.median / result[`${id} few_step`].msPerImage.median;
    }
  }
  for (const p of paths) {
    const [a, b] = [result[`${values.a} ${p}`], result[`${values.b} ${p}`]];
    if (a && b) ratios[`${values.a} / ${values.b} (${p})`] = a.msPerImage.median / b.msPerImage.median;
  }
  for (const [name, r] of Object.entries(ratios)) console.log(`${name}: ${r.toFixed(2)}x`);
  console.log(`(batch ${batch}, ${repeats} interleaved repeats)`);
  console.log(JSON.stringify({ batch, repeats, ratios, result }));
} finally {
  for (const m of Object.values(models)) await m.close();
}
