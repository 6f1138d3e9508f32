// Two shipped models side by side in Node on onnxruntime-web's wasm backend (the page's engine, one thread: what the
// page runs on a 2-core machine, src/backend.ts): each on each sampling path (`ode`: its ODE defaults, or the Heun reference of its few-step sampler;
// `few_step`: the few-step sampler, where the model has one), batch 1, previews rendered as the page renders them (a
// latent model's decoder included), all series interleaved with a warm-up each, so machine drift hits all alike.
//   node bench/versions.mjs [--a emoji64-nestar] [--b emoji32-nestar] [--repeats 10] [--batch 1] [--paths ode,few_step]
//                           [--in node|page] [--warmups N]
// --a/--b: a shipped model's id, or a path to an exported model folder (e.g. two exports of one model).
// Prints per model and path the median ms per image (and range), first preview, calls per image, and the ratios.
//
// --in=page runs the same comparison in the real page instead (each model in a Chromium of its own, the page's own
// WASM thread choice, previews painted as a visitor sees them; the app is built and served here): what a visitor's
// run costs, the engine's time plus what the page adds to it (bench/README.md, "Why the page is slower than Node").
// The page reports times and no per-call split; --warmups runs per series before the kept ones (the page needs 3-4).
import { readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
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
    in: { type: 'string', default: 'node' },
    warmups: { type: 'string' },
  },
});
const paths = values.paths.split(',').map((p) => p.trim()).filter(Boolean);
if (!paths.length || paths.some((p) => p !== 'ode' && p !== 'few_step')) throw new Error(`--paths must list ode and/or few_step, got ${values.paths}`);
const repeats = Number(values.repeats);
const batch = Number(values.batch);
if (!Number.isInteger(repeats) || repeats < 1) throw new Error(`--repeats must be an integer >= 1, got ${values.repeats}`);
if (!Number.isInteger(batch) || batch < 1 || batch > 16) throw new Error(`--batch must be an integer in 1..16, got ${values.batch}`);
if (values.in !== 'node' && values.in !== 'page') throw new Error(`--in must be node or page, got ${values.in}`);
const onPage = values.in === 'page';
const warmups = Number(values.warmups ?? (onPage ? 4 : 1));
if (!Number.isInteger(warmups) || warmups < 1) throw new Error(`--warmups must be an integer >= 1, got ${values.warmups}`);

/** A model's folder: a shipped model's id, or a path to an exported model folder. */
const folderOf = (id) => (id.includes('/') ? resolve(id) : join(ROOT, 'public', 'models', id));

/** Node: the page's engine on onnxruntime-web's wasm backend, one thread. {[id]: {manifest, generate, close}} */
async function nodeModels(ids) {
  const ort = await import('onnxruntime-web');
  ort.env.wasm.numThreads = 1;
  const entry = await loadEntry();
  const models = {};
  try {
    for (const id of ids) {
      const model = await entry.openBenchModel(ort, folderOf(id), 'wasm');
      models[id] = { manifest: { fewStep: model.manifest.fewStep }, generate: (b, seed, path) => model.generate(b, seed, path), close: () => model.close() };
    }
  } catch (e) {
    await closeAll(models);
    throw e;
  }
  return models;
}

/** Closes every opened model, each on its own: one that fails to close does not keep the others (or a server) alive. */
async function closeAll(models) {
  for (const m of Object.values(models)) await m.close().catch((e) => console.error(`closing a model: ${e.message}`));
}

/** The page: each model copied into the built site under its folder's name and opened in a Chromium of its own. */
async function pageModels(ids) {
  const { openModelPage, generateOnPage, serveSite } = await import('./browser.mjs');
  const site = await serveSite(ids.map(folderOf), { noBuild: false });
  const models = {};
  try {
    for (const id of ids) {
      const manifest = JSON.parse(readFileSync(join(folderOf(id), 'manifest.json'), 'utf8'));
      const defaults = manifest.sampling.defaults;
      const odeSolver = defaults.solver === 'few_step' ? 'heun' : defaults.solver; // the ODE path's solver
      const browser = await openModelPage(site.url, basename(folderOf(id)), 'wasm');
      models[id] = { manifest: { fewStep: manifest.few_step ?? null }, generate: (b, seed, path) => generateOnPage(browser.page, b, seed, null, path, odeSolver), close: () => browser.close() };
    }
  } catch (e) {
    await closeAll(models);
    site.stop();
    throw e;
  }
  return { models, stop: () => site.stop() };
}

let models = {};
let stopSite = () => {};
try {
  if (onPage) ({ models, stop: stopSite } = await pageModels([values.a, values.b]));
  else models = await nodeModels([values.a, values.b]);
  // One series per model and path ("<id> <path>"); a model without a few-step sampler has no few_step series.
  const series = Object.keys(models).flatMap((id) => paths.filter((p) => p === 'ode' || models[id].manifest.fewStep).map((p) => `${id} ${p}`));
  const generate = (name, b, seed) => {
    const [id, path] = name.split(' ');
    return models[id].generate(b, seed, path);
  };
  for (let w = 1; w < warmups; w++) for (const name of series) await generate(name, batch, 900 + w); // interleaved() warms each up once more
  const runs = await interleaved(generate, batch, repeats, (line) => console.log(line), series);
  const result = {};
  for (const name of series) {
    const r = runs[name];
    const perImage = summarize(r.map((t) => t.totalMs / batch));
    result[name] = { msPerImage: perImage, firstPreviewMs: summarize(r.map((t) => t.firstPreviewMs)).median };
    let calls = '';
    if (!onPage) {
      // The page reports times only; in Node the engine's call counter says how many calls and where the time goes.
      Object.assign(result[name], {
        callsPerImage: (r[0].backboneCalls + r[0].flowCalls + r[0].fewStepCalls + r[0].decodeCalls + r[0].previewDecodeCalls) / batch,
        decodeCalls: r[0].decodeCalls,
        previewDecodeCalls: r[0].previewDecodeCalls,
        // Where the time goes: the median ms per image inside each kind of session call.
        callMsPerImage: Object.fromEntries(Object.keys(r[0].callMs).map((kind) => [kind, summarize(r.map((t) => t.callMs[kind] / batch)).median])),
      });
      calls = `, ${result[name].callsPerImage} calls per image (${r[0].decodeCalls} decoder, ${r[0].previewDecodeCalls} preview decoder); in calls: ` +
        Object.entries(result[name].callMsPerImage).filter(([, ms]) => ms > 0).map(([kind, ms]) => `${kind} ${ms.toFixed(1)}`).join(', ') + ' ms';
    }
    console.log(`${name}: ${perImage.median.toFixed(0)} ms/image (range ${perImage.min.toFixed(0)}-${perImage.max.toFixed(0)}), ` +
      `first preview ${result[name].firstPreviewMs.toFixed(0)} ms${calls}`);
  }
  const ratios = {};
  for (const id of Object.keys(models)) {
    if (result[`${id} ode`] && result[`${id} few_step`]) {
      ratios[`${id} ode / few_step`] = result[`${id} ode`].msPerImage.median / result[`${id} few_step`].msPerImage.median;
    }
  }
  const pairedRatios = {};
  for (const p of paths) {
    const [a, b] = [result[`${values.a} ${p}`], result[`${values.b} ${p}`]];
    if (!a || !b) continue;
    const name = `${values.a} / ${values.b} (${p})`;
    ratios[name] = a.msPerImage.median / b.msPerImage.median;
    // Each repeat's two runs were neighbours: the median of their ratios is less exposed to drift than the medians'.
    const [ra, rb] = [runs[`${values.a} ${p}`], runs[`${values.b} ${p}`]];
    pairedRatios[name] = summarize(ra.map((t, i) => t.totalMs / rb[i].totalMs)).median;
  }
  for (const [name, r] of Object.entries(ratios)) console.log(`${name}: ${r.toFixed(2)}x (paired: ${(pairedRatios[name] ?? r).toFixed(2)}x)`);
  console.log(`(${onPage ? 'the page in Chromium, WASM' : 'Node, wasm, 1 thread'}, batch ${batch}, ${repeats} interleaved repeats after ${warmups} warm-up(s))`);
  console.log(JSON.stringify({ in: values.in, batch, repeats, warmups, ratios, pairedRatios, result }));
} finally {
  try {
    await closeAll(models);
  } finally {
    stopSite();
  }
}
