// The browser scenarios. Each opens its own fresh browser profile, so no model cache leaks between them.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { openBrowser } from '../harness/browser.mjs';
import { BANNER, clickGenerate, openStudio, readCanvas, readForm, readTimings, recordFrames, recordRunAnimations, recordSettingsLock, recordedFrames, recordedRunAnimations, setForm, settingsLookedLocked, switchModel, waitRunEnd } from '../harness/page.mjs';
import { ROOT } from '../harness/server.mjs';
import { compareImages, meanSquaredDiff, rgbVariance } from './pixels.mjs';

export const SHOTS = join(ROOT, 'test-results', 'e2e');
mkdirSync(SHOTS, { recursive: true });

const FINAL_CANVAS = '[data-testid="preview-canvas"][data-final="true"]';
const FILM_CANVAS = '[data-testid="scale-frame"] canvas';
/** Mean squared difference (8-bit levels²) below which two previews count as the same picture. */
const SAME_PICTURE_MSE = 1;

function check(condition, message) {
  if (!condition) throw new Error(message);
}

async function shot(page, name) {
  const path = join(SHOTS, `${name}.png`);
  await page.evaluate(() => window.scrollTo(0, 0)); // clicks scroll the page; the sticky sidebar would look displaced
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** The class/seed the generation scenarios use: the smiling face when the model has it. */
export function pickClass(manifest) {
  const classes = manifest.classes;
  return classes.find((c) => c.label === 'face-smiling') ?? classes[Math.min(1, classes.length - 1)];
}

/** Tolerances against the Node reference, per backend (WASM is the same engine as Node; WebGPU is not). */
const TOLERANCE = {
  wasm: { channel: 2, maxMean: 0.5, maxOutliers: 0.01 },
  webgpu: { channel: 8, maxMean: 3, maxOutliers: 0.05 },
};

function withinTolerance(diff, tol) {
  return diff.sameSize && diff.mean <= tol.maxMean && diff.outliers <= tol.maxOutliers;
}

/**
 * The filmstrip after a run, as a visitor sees it: every scale's preview is a full-size picture (image.size² source
 * pixels, whatever the scale's grid), equal to the Node reference's preview of that scale, different from the preview
 * before it, and closer to the final image than the one before it (mean squared difference falls scale by scale,
 * to 0 at the last scale, which is the image).
 */
async function checkPreviews(page, model, image, expectedPreviews, tol, log) {
  const { scales, image: { size } } = model.manifest;
  check(expectedPreviews.length === scales.length, `the Node reference made ${expectedPreviews.length} previews, expected ${scales.length}`);
  const toFinal = [];
  let previous = null;
  for (const [i, s] of scales.entries()) {
    const preview = await readCanvas(page, FILM_CANVAS, i);
    const name = `preview ${i} (${s.grid}x${s.grid})`;
    check(preview.width === size && preview.height === size, `${name} is ${preview.width}x${preview.height} px, expected the full ${size}x${size}`);
    const diff = compareImages(preview, expectedPreviews[i].image, tol.channel);
    check(withinTolerance(diff, tol), `${name} differs from the Node reference's preview: ${JSON.stringify(diff)}`);
    toFinal.push(meanSquaredDiff(preview, image));
    if (previous) check(meanSquaredDiff(preview, previous) > SAME_PICTURE_MSE, `${name} shows the same picture as the preview before it`);
    previous = preview;
  }
  log(`    previews: mean squared difference to the final image ${toFinal.map((m) => m.toFixed(1)).join(' > ')}`);
  toFinal.forEach((mse, i) => {
    if (i === toFinal.length - 1) check(mse === 0, `the last preview is not the final image (mean squared difference ${mse.toFixed(2)})`);
    else check(mse > SAME_PICTURE_MSE && mse > toFinal[i + 1], `preview ${i} is not further from the final image than preview ${i + 1}: ${toFinal.map((m) => m.toFixed(1)).join(', ')}`);
  });
  return toFinal;
}

/** "About this model" names what a token is: latents of the tokenizer (and its decoder), or pixel patches. */
async function checkAbout(page, model) {
  const layout = (await page.textContent('[data-testid="model-token-layout"]')) ?? '';
  const tokenizer = await page.$('[data-testid="model-tokenizer"]');
  const { layout: kind, decoder } = model.manifest.tokens;
  if (kind === 'latent') {
    check(layout.includes('latents') && layout.includes(`${model.manifest.tokens.dim}-channel`), `About says tokens are "${layout}"`);
    const text = tokenizer === null ? '' : await tokenizer.textContent();
    check(text.includes(decoder), 'About does not name the tokenizer\'s decoder');
    const previewDecoder = model.manifest.tokens.preview_decoder;
    check(!previewDecoder || text.includes(previewDecoder), `About does not name the preview decoder ${previewDecoder}`);
  } else {
    check(layout.includes('pixel patches') && tokenizer === null, `About says tokens are "${layout}"${tokenizer ? ' and shows a tokenizer' : ''}`);
  }
}

/**
 * The page's cross-origin isolation and the WASM thread count its stats show (src/backend.ts: chooseWasmThreads).
 * `isolated`: served with COOP/COEP (then half the logical cores, at least 1 and at most 4, or exactly `asked` when
 * the page was opened with ?threads=<asked>); otherwise exactly one thread, and the stats say the page is not
 * cross-origin isolated.
 */
export async function checkThreads(page, isolated, asked = null) {
  const env = await page.evaluate(() => ({ isolated: crossOriginIsolated, shared: typeof SharedArrayBuffer === 'function', cores: navigator.hardwareConcurrency }));
  const stat = page.locator('[data-testid="stat-threads"]');
  const threads = Number(await stat.getAttribute('data-threads'));
  const text = await stat.innerText();
  const reason = (await stat.getAttribute('title')) ?? '';
  check(env.isolated === isolated && env.shared === isolated, `crossOriginIsolated is ${env.isolated} (SharedArrayBuffer ${env.shared ? 'present' : 'missing'}), expected ${isolated}`);
  if (isolated) {
    const expected = asked ?? Math.min(Math.ceil(env.cores / 2), 4);
    check(threads === expected, `stats show ${threads} WASM threads on ${env.cores} cores${asked ? ` (?threads=${asked})` : ''}, expected ${expected}`);
    if (asked) check(reason.includes(`?threads=${asked}`), `the stats do not say the thread count was asked for: "${reason}"`);
  } else {
    check(threads === 1, `stats show ${threads} WASM threads without cross-origin isolation, expected 1`);
    check(/not cross-origin isolated/.test(text) && /COOP\/COEP/.test(reason), `the stats do not say why there is one thread: "${text}" / "${reason}"`);
  }
  return { threads, cores: env.cores, isolated: env.isolated, reason };
}

/**
 * (a)/(b)/(g)/(h): load on one backend (with `switchTo`: the default model first, then model `switchTo` from the header's
 * switcher), generate class X seed Y batch 1, check the scales arrive coarse to fine, the final image is not blank and
 * matches the Node reference, and so does every preview, each closer to the image than the last; then (wasm) a batch
 * of 8 whose image 0 equals the batch-1 image.
 */
export async function generationScenario(ctx, ep, { odeSteps, batch8 = false, switchTo, warmRunBelowMs = 120_000, screenshots = {}, isolated = true, threads = null } = {}) {
  const { baseUrl, model, reference, log } = ctx;
  const browser = await openBrowser();
  const { page, problems } = browser;
  const out = { backend: ep };
  try {
    let opened = await openStudio(page, baseUrl, { ...ctx.modelParam, ep, ...(threads ? { threads } : {}) }, 300_000);
    if (switchTo && opened.ready) opened = await switchModel(page, switchTo, 300_000);
    check(opened.ready, `model did not load on ${ep}: ${opened.message}`);
    if (switchTo) check((await page.getByLabel('Model', { exact: true }).inputValue()) === model.id, `the model switcher does not show ${model.id}`);
    check(opened.backend === ep, `backend badge says ${opened.backend}, expected ${ep}`);
    out.adapter = await page.getAttribute('[data-testid="backend-badge"]', 'title');
    const badgeText = await page.innerText('[data-testid="backend-badge"]');
    check(badgeText.includes(ep === 'webgpu' ? 'WebGPU' : 'WASM'), `backend badge reads "${badgeText}"`);
    out.threads = await checkThreads(page, isolated, threads);
    log(`    ${out.threads.threads} WASM thread(s) on ${out.threads.cores} cores: ${out.threads.reason}`);
    if (screenshots.idle) out.idleShot = await shot(page, screenshots.idle);

    const cls = pickClass(model.manifest);
    await setForm(page, { classLabel: cls.label, seed: ctx.seed, ...(odeSteps ? { odeSteps } : {}) });
    const form = await readForm(page);
    check(form.classLabel === cls.label, `class picker shows ${form.classLabel}, expected ${cls.label}`);

    await recordFrames(page);
    await recordRunAnimations(page);
    await clickGenerate(page);
    if (screenshots.mid) {
      await page.waitForSelector('[data-testid="scale-frame"]', { timeout: 300_000 });
      out.midShot = await shot(page, screenshots.mid);
    }
    const end = await waitRunEnd(page, 540_000);
    check(end.status === 'done', `run ended ${end.status}${end.banner ? `: ${end.banner}` : ''}`);

    // Scales arrive one by one, coarse to fine, in worker time and in page time.
    const frames = await recordedFrames(page);
    const scales = model.manifest.scales;
    check(frames.length === scales.length, `saw ${frames.length} scale previews, expected ${scales.length}`);
    frames.forEach((f, i) => {
      check(f.scale === scales[i].scale && f.grid === scales[i].grid, `preview ${i} is scale ${f.scale} (${f.grid}x${f.grid}), expected ${scales[i].grid}x${scales[i].grid}`);
      if (i > 0) {
        check(f.grid > frames[i - 1].grid, `grid did not grow at preview ${i}`);
        check(f.ms >= frames[i - 1].ms, `preview ${i} has an earlier worker time than preview ${i - 1}`);
        check(f.seenAt >= frames[i - 1].seenAt, `preview ${i} reached the DOM before preview ${i - 1}`);
      }
    });
    out.frames = frames.map((f) => `${f.grid}x${f.grid}@${f.ms.toFixed(0)}ms`).join(' ');
    // Once previews arrive they are the only motion: anything animated competes with the generator for the CPU.
    const animations = await recordedRunAnimations(page);
    check(animations.length === 0, `the page animated during the run: ${[...new Set(animations)].join('; ')}`);

    const finalGrid = Number(await page.getAttribute(FINAL_CANVAS, 'data-grid'));
    check(finalGrid === model.manifest.tokens.grid, `final canvas grid ${finalGrid}, expected ${model.manifest.tokens.grid}`);
    const image = await readCanvas(page, FINAL_CANVAS);
    check(image.width === model.manifest.image.size, `final canvas is ${image.width} px wide, expected ${model.manifest.image.size}`);
    out.variance = rgbVariance(image);
    check(out.variance > 25, `final image is (nearly) blank: RGB variance ${out.variance.toFixed(1)}`);
    Object.assign(out, await readTimings(page));
    // "In sessions": every session call counted (src/callTimer.ts) and timed within the run's total.
    const sessionsStat = page.locator('[data-testid="stat-sessions"]');
    const sessions = { calls: Number(await sessionsStat.getAttribute('data-calls')), ms: Number(await sessionsStat.getAttribute('data-ms')) };
    check(sessions.ms > 0 && sessions.ms <= out.totalMs + 1, `the stats say ${sessions.ms} ms in sessions of a ${out.totalMs} ms run`);
    if (form.solver === 'few_step') {
      // Per step a transformer and a few-step call; a latent model decodes each scale's preview once (the last is the image).
      const want = 2 * model.manifest.sequential_steps + (model.manifest.tokens.layout === 'latent' ? model.manifest.scales.length : 0);
      check(sessions.calls === want, `the stats count ${sessions.calls} session calls, expected ${want}`);
    } else check(sessions.calls > model.manifest.sequential_steps, `the stats count ${sessions.calls} session calls`);
    out.sessions = sessions;
    await checkAbout(page, model);
    if (screenshots.done) out.doneShot = await shot(page, screenshots.done);

    // Same model, seed and settings in Node (src's scheduler on onnxruntime-web's wasm backend; a latent model's
    // pixels come from its decoder and preview decoder sessions there too).
    const request = {
      classIndex: cls.index, seed: ctx.seed, batch: 1, odeSteps: form.odeSteps, solver: form.solver, guidance: form.guidance, temperature: form.temperature,
      ...(form.coarseGuidance !== null ? { coarseGuidance: form.coarseGuidance } : {}),
    };
    out.request = request;
    const expected = await reference(request);
    const tol = TOLERANCE[ep];
    const diff = compareImages(image, expected.image, tol.channel);
    out.referenceDiff = diff;
    log(`    reference diff (${ep}): mean ${diff.mean.toFixed(3)}, max ${diff.max}, >${tol.channel}: ${(diff.outliers * 100).toFixed(2)}%`);
    check(withinTolerance(diff, tol), `page image differs from the Node reference: ${JSON.stringify(diff)}`);
    out.previewToFinalMse = await checkPreviews(page, model, image, expected.previews, tol, log);

    // A second identical run: same pixels (determinism), and warm timings (no first-run shader/JIT compilation).
    if (out.totalMs < warmRunBelowMs) {
      await recordSettingsLock(page);
      await clickGenerate(page);
      const endWarm = await waitRunEnd(page, 540_000);
      check(endWarm.status === 'done', `repeat run ended ${endWarm.status}${endWarm.banner ? `: ${endWarm.banner}` : ''}`);
      const again = compareImages(await readCanvas(page, FINAL_CANVAS), image, 0);
      check(again.max === 0, `the same seed and settings gave a different image the second time: ${JSON.stringify(again)}`);
      out.warm = await readTimings(page);
      // The load's warm-up generation (src/warmUp.ts) took the first runs' one-off costs: the first Generate after
      // load is about as fast as the next. On SwiftShader without it the first took 15.5 s against 3.8 s; WASM runs
      // are too short to compare reliably on a loaded machine.
      if (ep === 'webgpu') check(out.totalMs < 1.5 * out.warm.totalMs + 500, `the first run after load took ${out.totalMs.toFixed(0)} ms, the next ${out.warm.totalMs.toFixed(0)} ms: was the load's warm-up skipped?`);
      // A run this short must not flash the settings grey (app/useDelayedFlag.ts: they lock after 250 ms). totalMs is
      // the worker's time; the page's running window adds messages and renders, hence the margin below 250.
      const lookedLocked = await settingsLookedLocked(page);
      if (out.warm.totalMs < 100) check(!lookedLocked, `a ${out.warm.totalMs.toFixed(0)} ms run greyed out the settings`);
    }

    if (batch8) {
      await setForm(page, { batch: 8 });
      await clickGenerate(page);
      const endBatch = await waitRunEnd(page, 540_000);
      check(endBatch.status === 'done', `batch run ended ${endBatch.status}${endBatch.banner ? `: ${endBatch.banner}` : ''}`);
      const cells = await page.$$('[data-testid="batch-canvas"]');
      check(cells.length === 8, `batch grid shows ${cells.length} images, expected 8`);
      const first = await readCanvas(page, '[data-testid="batch-canvas"]', 0);
      const batchDiff = compareImages(first, image, tol.channel);
      check(withinTolerance(batchDiff, tol), `batch image 0 differs from the batch-1 image of the same seed: ${JSON.stringify(batchDiff)}`);
      const variances = [];
      for (let b = 0; b < 8; b++) variances.push(rgbVariance(await readCanvas(page, '[data-testid="batch-canvas"]', b)));
      check(variances.every((v) => v > 25), `a batch image is blank: variances ${variances.map((v) => v.toFixed(0)).join(',')}`);
      const t = await readTimings(page);
      out.batch8 = { firstPreviewMs: t.firstPreviewMs, totalMs: t.totalMs, perImageMs: t.totalMs / 8 };
      if (screenshots.batch) out.batchShot = await shot(page, screenshots.batch);
    }
    check(problems.pageErrors.length === 0, `uncaught page errors: ${problems.pageErrors.join(' | ')}`);
    return out;
  } finally {
    out.consoleErrors = problems.consoleErrors;
    await browser.close();
  }
}

/** (c): Cancel during a long run stops it (no final image, status cancelled) and the next Generate works. */
export async function cancelScenario(ctx, ep, { heavy }) {
  const { baseUrl, model } = ctx;
  const browser = await openBrowser();
  const { page, problems } = browser;
  const out = { backend: ep };
  try {
    const opened = await openStudio(page, baseUrl, { ...ctx.modelParam, ep }, 300_000);
    check(opened.ready, `model did not load: ${opened.message}`);
    await setForm(page, heavy);
    await recordFrames(page);
    await clickGenerate(page);
    await page.waitForSelector('[data-testid="scale-frame"]', { timeout: 300_000 });
    // A long run locks the settings (after 250 ms: app/useDelayedFlag.ts).
    const locked = await page.waitForSelector('fieldset.class-picker:disabled', { timeout: 10_000 }).then(() => true, () => false);
    check(locked, 'the settings were not locked during a long run');
    await page.getByRole('button', { name: 'Cancel', exact: true }).click();
    const end = await waitRunEnd(page, 120_000);
    check(end.status === 'cancelled', `after Cancel the run ended "${end.status}" (if done: the run finished before the cancel landed)`);
    await page.waitForTimeout(1000); // a late 'done' would flip the status or paint a final image
    check((await page.getAttribute('[data-testid="run-status"]', 'data-status')) === 'cancelled', 'status left "cancelled" after the cancel');
    check((await page.$(FINAL_CANVAS)) === null, 'a final image appeared after Cancel');
    check((await page.$(BANNER)) === null, 'Cancel showed an error banner');
    const frames = await recordedFrames(page);
    out.framesBeforeCancel = frames.length;
    check(frames.length < model.manifest.scales.length, `all ${frames.length} scales arrived despite Cancel`);
    check(await page.getByRole('button', { name: 'Generate', exact: true }).isEnabled(), 'Generate is not available after Cancel');

    await setForm(page, { batch: 1, odeSteps: model.manifest.sampling.limits.ode_steps[0] });
    await clickGenerate(page);
    const again = await waitRunEnd(page, 300_000);
    check(again.status === 'done', `the run after Cancel ended ${again.status}${again.banner ? `: ${again.banner}` : ''}`);
    check((await page.$(FINAL_CANVAS)) !== null, 'the run after Cancel painted no final image');
    check(problems.pageErrors.length === 0, `uncaught page errors: ${problems.pageErrors.join(' | ')}`);
    return out;
  } finally {
    await browser.close();
  }
}

/** (d): a model whose ONNX file has one flipped byte, and a model that does not exist, each get their banner. */
export async function brokenModelScenario(ctx, modelId, expectedCode, expectedTitle, screenshot) {
  const browser = await openBrowser();
  const { page, problems } = browser;
  try {
    const opened = await openStudio(page, ctx.baseUrl, { model: modelId, ep: 'wasm' }, 120_000);
    check(!opened.ready, `model "${modelId}" loaded although it should not`);
    check(opened.code === expectedCode, `banner code ${opened.code}, expected ${expectedCode}: ${opened.message}`);
    check(opened.message.includes(expectedTitle), `banner does not say "${expectedTitle}": ${opened.message}`);
    const message = (await page.textContent('[data-testid="error-message"]'))?.trim() ?? '';
    check(message.length > 0, 'banner shows no runtime message');
    check(problems.pageErrors.length === 0, `uncaught page errors: ${problems.pageErrors.join(' | ')}`);
    const out = { code: opened.code, message };
    if (screenshot) out.shot = await shot(page, screenshot);
    return out;
  } finally {
    await browser.close();
  }
}

/** (e): an absurd value typed into a field gives a validation message and a disabled Generate, not a crash. */
export async function validationScenario(ctx) {
  const browser = await openBrowser();
  const { page, problems } = browser;
  try {
    const opened = await openStudio(page, ctx.baseUrl, { ...ctx.modelParam, ep: 'wasm' }, 300_000);
    check(opened.ready, `model did not load: ${opened.message}`);
    const [, maxSteps] = ctx.model.manifest.sampling.limits.ode_steps;
    await setForm(page, { solver: 'heun', odeSteps: 100000 });
    const error = page.getByTestId('field-error');
    await error.waitFor({ timeout: 5000 });
    const text = (await error.innerText()).trim();
    check(text.includes('ODE steps') && text.includes(String(maxSteps)), `validation message does not name the field and its limit: "${text}"`);
    check(await page.getByRole('button', { name: 'Generate', exact: true }).isDisabled(), 'Generate stays enabled with ODE steps = 100000');
    check((await page.getByLabel('ODE steps', { exact: true }).getAttribute('aria-invalid')) === 'true', 'the field is not marked aria-invalid');
    const shotPath = await shot(page, 'validation');
    await setForm(page, { odeSteps: maxSteps, seed: 'abc' });
    check((await page.getByTestId('field-error').innerText()).includes('Seed'), 'a non-numeric seed is not reported');
    await setForm(page, { seed: 7 });
    check((await page.getByTestId('field-error').count()) === 0, 'a validation message stays after the values were fixed');
    check(await page.getByRole('button', { name: 'Generate', exact: true }).isEnabled(), 'Generate stays disabled after the values were fixed');
    check(problems.pageErrors.length === 0, `uncaught page errors: ${problems.pageErrors.join(' | ')}`);
    return { message: text, shot: shotPath };
  } finally {
    await browser.close();
  }
}

/**
 * (f) The benchmark page (bench.html) on WASM: one batch-1 measurement of the trained NestAR model against the raster
 * baseline, with few ODE steps to keep it short, on the ODE and (where the models have one) the few-step path.
 * Checks the table, the JSON a visitor would copy, and that NestAR's time per image is below raster's (the claim the
 * page exists to let people check). Bad settings disable the run.
 */
export async function benchPageScenario(ctx, { odeSteps = 2, repeats = 2 } = {}) {
  const browser = await openBrowser();
  const { page, problems } = browser;
  try {
    await page.goto(new URL('bench.html?ep=wasm', ctx.baseUrl).href);
    const runButton = page.getByTestId('bench-run');
    await runButton.waitFor({ timeout: 60_000 });
    await page.getByTestId('bench-repeats').fill('0');
    check(await runButton.isDisabled(), 'Run stays enabled with 0 repeats');
    check((await page.getByRole('alert').first().innerText()).includes('Repeats'), 'no message names the bad repeats value');
    await page.getByTestId('bench-repeats').fill(String(repeats));
    await page.getByTestId('bench-ode-steps').fill(String(odeSteps));
    await page.getByTestId('bench-batch-8').uncheck({ force: true }); // a chip: the input itself is invisible
    await runButton.click();
    await page.waitForSelector('[data-testid="bench-results"], [data-testid="bench-error"]', { timeout: 600_000 });
    const error = await page.getByTestId('bench-error').count();
    check(error === 0, `benchmark failed: ${error ? await page.getByTestId('bench-error').innerText() : ''}`);
    const report = JSON.parse(await page.getByTestId('bench-json').inputValue());
    check(report.backend === 'wasm', `report backend ${report.backend}`);
    check(report.results.length === 1 && report.results[0].batch === 1, 'expected one batch-1 result');
    // Both sampling paths were asked for: the few-step one ran, or the report says why not (a model without one).
    const { paths } = report.results[0];
    const r = paths.find((p) => p.path === 'ode');
    const few = paths.find((p) => p.path === 'few_step');
    check(r?.nestar && r?.raster, 'no ODE path result for both models');
    check(few || report.skipped.some((s) => s.startsWith('few-step path')), 'few-step path neither measured nor explained');
    check(r.nestar.msPerImage.n === repeats && r.raster.msPerImage.n === repeats, 'warm-up not excluded or repeats lost');
    check(r.nestar.steps < r.raster.steps, `NestAR steps ${r.nestar.steps} not below raster's ${r.raster.steps}`);
    check(r.nestar.scaleMs.length > 1 && r.raster.scaleMs.length >= 1, 'per-scale times missing');
    check(r.timeRatio > 0 && r.timeRatio < 1, `NestAR/raster time per image ${r.timeRatio.toFixed(2)}, expected below 1`);
    if (few?.nestar) check(few.nestar.calls.total === 2 * few.nestar.steps, `few-step NestAR makes ${few.nestar.calls.total} calls, not 2(3M + 1)`);
    const shown = await page.getByTestId('bench-ratio-1-ode').innerText();
    check(shown === `${r.timeRatio.toFixed(2)}x`, `table shows ${shown}, JSON says ${r.timeRatio}`);
    const benchShot = await shot(page, 'bench-page');
    // Stop mid-run: the workers go, the page says so and can run again. The most repeats make a run long enough that
    // Stop lands in it (a short run from cached models can end between Playwright's check and its click).
    await page.getByTestId('bench-repeats').fill('50');
    await runButton.click();
    await page.getByTestId('bench-stop').click();
    await page.waitForFunction(() => document.querySelector('[data-testid="bench-log"]')?.textContent?.endsWith('stopped'), null, { timeout: 30_000 })
      .catch(async (e) => {
        const logText = (await page.getByTestId('bench-log').innerText().catch(() => '(no log)')).slice(-400);
        throw new Error(`Stop did not end the run within 30 s (${e.message}); the log ends: ${logText}`);
      });
    check(await runButton.isEnabled(), 'Run stays disabled after Stop');
    check((await page.getByTestId('bench-error').count()) === 0, 'Stop shows an error');
    check(problems.pageErrors.length === 0, `uncaught page errors: ${problems.pageErrors.join(' | ')}`);
    return { timeRatio: r.timeRatio, firstPreviewRatio: r.firstPreviewRatio, shot: benchShot };
  } finally {
    await browser.close();
  }
}
