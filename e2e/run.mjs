#!/usr/bin/env node
// NestAR Studio end to end: build the app, serve dist/ with `vite preview`, drive Debian's Chromium headless
// (WASM and SwiftShader WebGPU) through every scenario, print a summary, exit non-zero on any failure.
//
//   node e2e/run.mjs [--no-build] [--only=a,b,c,...,z]
//
// (i)-(r) are issue 10's features (e2e/features.mjs): stop/continue, variations, links, PNG text, growth
// animation, keyboard and phone width, history, live mode, cancel/continue.
// (s)-(z) are issue 11's faults (e2e/faults.mjs), against harness/faultServer.mjs: network faults, storage and the
// cache manager, offline, lying manifests, a lost GPU, the CSP and same-origin requests, a short soak.
//
// Screenshots go to test-results/e2e/. The reference images and previews of (a)/(b)/(g)/(h) are computed in Node by src's
// scheduler on onnxruntime-web's wasm backend (e2e/reference.mjs), never by the page under test.
import { startFaultServer } from '../harness/faultServer.mjs';
import { build, startPreview } from '../harness/server.mjs';
import { defaultModel, listedInIndex, makeCorruptCopy, modelFolder } from './models.mjs';
import { benchPageScenario, brokenModelScenario, cancelScenario, generationScenario, validationScenario, SHOTS } from './scenarios.mjs';
import { createReference } from './reference.mjs';

const args = process.argv.slice(2);
const noBuild = args.includes('--no-build');
const only = args.find((a) => a.startsWith('--only='))?.slice('--only='.length).split(',');
const wanted = (id) => !only || only.includes(id);
const log = (line) => console.log(line);

const SEED = 1234;
const CORRUPT_ID = 'e2e-corrupt';
/** The v1 model (32 px, pixel patches), kept in the page's switcher: (g) covers the pixel-patch layout in the page. */
const PIXEL_PATCH_ID = 'emoji32-nestar';

async function main() {
  const results = [];
  const timings = [];
  const run = async (id, name, fn) => {
    if (!wanted(id)) return;
    log(`\n(${id}) ${name}`);
    const started = Date.now();
    try {
      const details = await fn();
      results.push({ id, name, ok: true, seconds: (Date.now() - started) / 1000, details });
      log(`  PASS in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      return details;
    } catch (e) {
      results.push({ id, name, ok: false, seconds: (Date.now() - started) / 1000, error: e instanceof Error ? e.message : String(e) });
      log(`  FAIL: ${e instanceof Error ? e.message : e}`);
      return null;
    }
  };

  if (!noBuild) log(`built the app in ${(build() / 1000).toFixed(1)} s`);
  const model = defaultModel();
  const corrupt = makeCorruptCopy(model, CORRUPT_ID);
  log(`model "${model.id}" (${model.manifest.scales.length} scales, ${model.manifest.classes.length} classes); corrupt copy "${corrupt.id}": byte ${corrupt.offset} of ${corrupt.file} flipped`);
  const reference = createReference(model);
  const v1 = wanted('g') ? modelFolder(PIXEL_PATCH_ID) : null;
  const v1Reference = v1 ? createReference(v1) : null;
  const server = await startPreview();
  log(`serving dist/ at ${server.url}`);
  // The page loads its default model (models/index.json) unless E2E_MODEL names another one.
  const modelParam = process.env.E2E_MODEL ? { model: model.id } : {};
  const ctx = { baseUrl: server.url, model, modelParam, seed: SEED, reference, log };
  const { limits, defaults } = model.manifest.sampling;

  try {
    const a = await run('a', 'WASM: cross-origin isolated, threads for half the cores; load, generate, scales in order, matches the Node reference; batch of 8', () =>
      generationScenario(ctx, 'wasm', { batch8: true, screenshots: { idle: 'idle', done: 'finished', batch: 'batch-8' } }),
    );
    if (a) timings.push({ ...a, backend: `wasm (${a.threads.threads} thread${a.threads.threads === 1 ? '' : 's'})` });

    // SwiftShader is 30-50x slower than WASM here: fewer ODE steps keep an ODE run short (the reference uses the same);
    // the few-step sampler (with the KV cache and z kept on the GPU between calls) needs no shortening.
    const webgpuSteps = Math.max(limits.ode_steps[0], Math.min(defaults.ode_steps, Number(process.env.E2E_WEBGPU_ODE_STEPS ?? 4)));
    const webgpuSampler = defaults.solver === 'few_step' ? 'the few-step sampler' : `${webgpuSteps} ODE steps`;
    const b = await run('b', `WebGPU (SwiftShader): badge says webgpu, scales in order, matches the Node reference (${webgpuSampler})`, () =>
      generationScenario(ctx, 'webgpu', { odeSteps: webgpuSteps, screenshots: { mid: 'mid-generation', done: 'finished-webgpu' } }),
    );
    if (b) timings.push({ backend: 'webgpu (SwiftShader)', ...b });

    await run('c', 'Cancel mid-run stops it, the next Generate works', () =>
      cancelScenario(ctx, 'wasm', { heavy: { batch: Math.min(8, limits.batch[1]), odeSteps: limits.ode_steps[1], solver: 'heun' } }),
    );

    // (i)-(l): issue 10's features (e2e/features.mjs), all on WASM, exact to the pixel where the feature promises it.
    const features = () => import('./features.mjs');
    await run('i', 'Stop after a middle scale, Continue: pixel-identical to an uninterrupted run (image and every preview)', async () => (await features()).stopContinueScenario(ctx));
    await run('j', 'Vary from here: 4 variations keep the chosen scale pixel-identical, differ after it; their link remakes the variation', async () =>
      (await features()).variationScenario(ctx),
    );
    await run('k', 'Copy link -> a fresh browser restores the settings and makes a pixel-identical image', async () => (await features()).urlRoundTripScenario(ctx));
    await run('l', 'Unknown and invalid URL parameters give a notice naming each, no run, no crash', async () => (await features()).badUrlScenario(ctx));
    await run('m', 'Download PNG: its pixels and text chunks (settings, model files sha256, backend); dropped on a fresh page it remakes the image', async () =>
      (await features()).pngRoundTripScenario(ctx),
    );
    await run('n', 'Growth animation (APNG, one frame per scale, each the preview) and filmstrip PNG downloads', async () => (await features()).growthScenario(ctx));
    await run('o', 'Keyboard only at desktop and 375 px: Generate, download, Copy link, Vary from here, each with visible focus; no sideways overflow', async () =>
      (await features()).keyboardScenario(ctx),
    );
    await run('p', 'History: finished images as thumbnails that survive a reload, restore settings and exact pixels without a run, Clear', async () =>
      (await features()).historyScenario(ctx),
    );
    await run('q', 'Live mode: quick seed and arrow-key class changes, never two runs in flight, ends on the last setting, shows images/s', async () =>
      (await features()).liveScenario(ctx),
    );
    await run('r', 'Cancel after the first scale keeps the finished scales; Continue then equals an uninterrupted run, pixel for pixel', async () =>
      (await features()).cancelContinueScenario(ctx),
    );

    await run('d', 'Corrupt model -> MODEL_CORRUPT banner; missing model -> MODEL_NOT_FOUND banner', async () => ({
      corrupt: await brokenModelScenario(ctx, CORRUPT_ID, 'MODEL_CORRUPT', 'Model files are corrupt', 'error-banner'),
      missing: await brokenModelScenario(ctx, 'does-not-exist', 'MODEL_NOT_FOUND', 'Model not found', 'error-missing'),
    }));

    await run('e', 'ODE steps = 100000 gives a validation message, not a crash', () => validationScenario(ctx));

    await run('f', 'Benchmark page (WASM): NestAR vs the raster baseline, table and JSON agree, NestAR faster per image, Stop works', () => benchPageScenario(ctx));

    await run('g', `Switcher to ${PIXEL_PATCH_ID} (v1, pixel patches) on WASM with ?threads=2 (a 2-thread pool): scales in order, image and previews match the Node reference`, () => {
      check(listedInIndex(PIXEL_PATCH_ID), `models/index.json does not list ${PIXEL_PATCH_ID}, so the switcher does not offer it`);
      check(v1.manifest.tokens.layout === 'pixel_patch', `${PIXEL_PATCH_ID} has token layout ${v1.manifest.tokens.layout}, expected pixel_patch`);
      return generationScenario({ ...ctx, model: v1, reference: v1Reference }, 'wasm', { switchTo: PIXEL_PATCH_ID, threads: 2, screenshots: { done: 'finished-v1' } });
    });

    await run('h', 'Served without COOP/COEP (a static host that cannot set headers): 1 WASM thread, the stats say why, the image still matches', async () => {
      const plain = await startPreview({ isolated: false });
      try {
        return await generationScenario({ ...ctx, baseUrl: plain.url }, 'wasm', { isolated: false, warmRunBelowMs: 0 });
      } finally {
        plain.stop();
      }
    });

    // (s)-(z): issue 11's faults, on the fault server (dist/ with the site's headers, faults set per path).
    const faultIds = ['s', 't', 'u', 'v', 'w', 'x', 'y', 'z'];
    if (faultIds.some(wanted)) {
      const faults = await import('./faults.mjs');
      const faultServer = await startFaultServer();
      log(`\nfault server at ${faultServer.url}`);
      try {
        await run('s', 'Network faults while loading (cut connection, HTTP 500/503, truncated file, slow server + Cancel): clear banner, no broken cache entry, Retry loads', () =>
          faults.networkFaultsScenario(ctx, faultServer),
        );
        await run('t', 'Storage: the cache manager lists and deletes the stored model; storage full or blocked: runs from memory, the page says it is not kept', () =>
          faults.storageScenario(ctx, faultServer),
        );
        await run('u', 'Offline: the other solver\'s heads download at its first run only; a changed file (new sha256) replaces its old cache entry, only it is downloaded; with the server stopped the page, model and Generate work after one visit', () =>
          faults.offlineScenario(ctx, faultServer),
        );
        await run('v', 'Manifests that lie (renamed input, wrong width, another model\'s manifest, absurd sizes, more classes than the graphs) -> MANIFEST_INVALID naming it; hostile text shown as text', () =>
          faults.lyingManifestScenario(ctx, faultServer),
        );
        await run('w', 'A GPU lost mid-run (SwiftShader, device destroyed from the test): the run ends with a notice, the model reloads on WASM, the next Generate works', () =>
          faults.deviceLostScenario(ctx, faultServer),
        );
        await run('y', 'Long session (reduced; npm run soak runs 300/100/20): 64 generations batch 1 and 8, heaps after warm-up and at the end, 40 rapid Generate/Cancel clicks, 4 model switches with the worker\'s sessions counted', async () =>
          (await import('./soak.mjs')).soakScenario({ ...ctx, otherModelId: PIXEL_PATCH_ID }, faultServer, { generations: 64, clicks: 40, switches: 4, odeSteps: 2 }),
        );
        await run('x', 'Security: served with the CSP, load and generation make no request outside the origin and no CSP violation; other origins refused in page and worker', () =>
          faults.securityScenario(ctx, faultServer),
        );
      } finally {
        await faultServer.stop();
      }
    }
  } finally {
    server.stop();
    await reference.close?.();
    await v1Reference?.close?.();
  }

  log('\n==================== NestAR Studio e2e ====================');
  for (const r of results) log(`${r.ok ? 'PASS' : 'FAIL'}  (${r.id}) ${r.name}  [${r.seconds.toFixed(1)} s]${r.ok ? '' : `\n        ${r.error}`}`);
  if (timings.length) {
    log('\nTimings measured in the page (worker performance.now), batch 1, one image; first = first run after load (whose warm-up generation took the one-off costs):');
    for (const t of timings) {
      const sampler = t.request.solver === 'few_step' ? 'few-step sampler' : `${t.request.odeSteps} ODE steps ${t.request.solver}`;
      const coarse = t.request.coarseGuidance !== undefined ? ` (coarse ${t.request.coarseGuidance})` : '';
      const ode = `${sampler}, guidance ${t.request.guidance}${coarse}`;
      log(`  ${t.backend.padEnd(22)} first: first preview ${t.firstPreviewMs.toFixed(0).padStart(6)} ms   total ${t.totalMs.toFixed(0).padStart(7)} ms   (${ode})`);
      if (t.warm) log(`  ${''.padEnd(22)} next:  first preview ${t.warm.firstPreviewMs.toFixed(0).padStart(6)} ms   total ${t.warm.totalMs.toFixed(0).padStart(7)} ms`);
      if (t.batch8) log(`  ${''.padEnd(22)} batch of 8: total ${t.batch8.totalMs.toFixed(0)} ms, ${t.batch8.perImageMs.toFixed(0)} ms per image`);
      log(`  ${''.padEnd(22)} scales: ${t.frames}`);
    }
  }
  log(`\nScreenshots: ${SHOTS}`);
  const failed = results.filter((r) => !r.ok).length;
  log(failed ? `\n${failed} of ${results.length} scenarios FAILED` : `\nall ${results.length} scenarios passed`);
  return failed === 0;
}

function check(condition, message) {
  if (!condition) throw new Error(message);
}

main().then(
  (ok) => process.exit(ok ? 0 : 1),
  (e) => {
    console.error(`e2e aborted: ${e instanceof Error ? e.stack : e}`);
    process.exit(1);
  },
);
