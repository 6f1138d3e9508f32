// Issue 10's browser scenarios (WASM): stop and continue, variations from a scale, the URL round trip, bad URL
// parameters. Each opens its own fresh browser profile. Exactness is checked on pixels the page shows: WASM in one
// page is deterministic, so "the same image" means every channel of every pixel equal.
import { join } from 'node:path';
import { openBrowser } from '../harness/browser.mjs';
import { BANNER, openStudio, readCanvas, readForm, setForm } from '../harness/page.mjs';
import { compareImages } from './pixels.mjs';
import { pickClass, SHOTS } from './scenarios.mjs';

const FINAL_CANVAS = '[data-testid="preview-canvas"][data-final="true"]';
const STAGE = '[data-testid="preview-canvas"]';
const FILM_CANVAS = '[data-testid="scale-frame"] canvas';
/** Few ODE steps keep these runs short; exactness does not depend on the step count. */
const ODE_STEPS = 4;

function check(condition, message) {
  if (!condition) throw new Error(message);
}

function identical(a, b) {
  const diff = compareImages(a, b, 0);
  return diff.sameSize && diff.max === 0;
}

/**
 * Runs `click` (null: nothing, the page starts runs itself) and waits until `runs` more runs than before have
 * started and the last of them has ended (RunStatus' data-run counts the page's runs). Returns the final status.
 */
async function runAndWait(page, click, { runs = 1, timeoutMs = 300_000, from } = {}) {
  const before = from ?? Number((await page.getAttribute('[data-testid="run-status"]', 'data-run')) ?? 0);
  if (click) await click();
  await page.waitForSelector(
    `[data-testid="run-status"][data-run="${before + runs}"]:is([data-status="done"], [data-status="cancelled"], [data-status="failed"])`,
    { timeout: timeoutMs },
  );
  return page.getAttribute('[data-testid="run-status"]', 'data-status');
}

/** A middle scale of the model (not the first, not the last), the one the scenarios stop after and vary from. */
function middleScale(model) {
  const scales = model.manifest.scales;
  return scales[Math.max(0, Math.floor((scales.length - 1) / 2))];
}

async function openWasm(ctx, extra = {}) {
  const browser = await openBrowser();
  const opened = await openStudio(browser.page, ctx.baseUrl, { ...ctx.modelParam, ep: 'wasm', ...extra }, 300_000);
  return { browser, opened };
}

/**
 * (i) "Stop after" a middle scale: the run ends there (its filmstrip stops at that scale, no final image), Continue
 * finishes it, and the result is pixel-identical to an uninterrupted run of the same settings; so is each preview.
 */
export async function stopContinueScenario(ctx) {
  const { model } = ctx;
  const { browser, opened } = await openWasm(ctx);
  const { page, problems } = browser;
  try {
    check(opened.ready, `model did not load: ${opened.message}`);
    const stop = middleScale(model);
    const stopIndex = model.manifest.scales.indexOf(stop);
    await setForm(page, { classLabel: pickClass(model.manifest).label, seed: ctx.seed, odeSteps: ODE_STEPS });
    await page.getByLabel('Stop after', { exact: true }).selectOption(String(stop.scale));

    let status = await runAndWait(page, () => page.getByRole('button', { name: 'Generate', exact: true }).click());
    check(status === 'done', `the stopped run ended ${status}`);
    check((await page.getAttribute('[data-testid="run-status"]', 'data-stopped')) === String(stop.scale), 'the status does not say the run stopped after the chosen scale');
    check((await page.$$('[data-testid="scale-frame"]')).length === stopIndex + 1, `the filmstrip does not stop at scale ${stop.scale}`);
    check((await page.$(FINAL_CANVAS)) === null, 'a run stopped early shows a final image');
    const stoppedStage = await readCanvas(page, STAGE);
    const stoppedShot = join(SHOTS, 'stopped.png');
    await page.screenshot({ path: stoppedShot, fullPage: true });

    const continueButton = page.getByTestId('continue');
    check((await continueButton.getAttribute('data-scale')) === String(stop.scale), 'Continue does not resume after the stop scale');
    status = await runAndWait(page, () => continueButton.click());
    check(status === 'done', `the continued run ended ${status}`);
    check((await page.getByTestId('continue').count()) === 0, 'Continue is still offered after the image is complete');
    const continued = await readCanvas(page, FINAL_CANVAS);
    const continuedPreviews = [];
    for (let i = 0; i < model.manifest.scales.length; i++) continuedPreviews.push(await readCanvas(page, FILM_CANVAS, i));
    check(identical(continuedPreviews[stopIndex], stoppedStage), 'the continued run shows a different preview at the stop scale than the stopped run');

    await page.getByLabel('Stop after', { exact: true }).selectOption('');
    status = await runAndWait(page, () => page.getByRole('button', { name: 'Generate', exact: true }).click());
    check(status === 'done', `the uninterrupted run ended ${status}`);
    const whole = await readCanvas(page, FINAL_CANVAS);
    const diff = compareImages(continued, whole, 0);
    check(diff.sameSize && diff.max === 0, `stop + continue differs from the uninterrupted run: ${JSON.stringify(diff)}`);
    for (let i = 0; i < model.manifest.scales.length; i++) {
      check(identical(await readCanvas(page, FILM_CANVAS, i), continuedPreviews[i]), `preview ${i} of the continued run differs from the uninterrupted run's`);
    }
    check(problems.pageErrors.length === 0, `uncaught page errors: ${problems.pageErrors.join(' | ')}`);
    return { stopScale: stop.scale, shot: stoppedShot };
  } finally {
    await browser.close();
  }
}

/**
 * (j) "Vary from here" on a middle scale of a finished batch-1 image: a batch of 4 whose previews up to that scale are
 * pixel-identical to the source's (the prefix tokens are kept bit for bit), whose finals differ from the source and
 * from each other. Then the variation's link, opened in a fresh browser, makes the same variation.
 */
export async function variationScenario(ctx) {
  const { model } = ctx;
  const { browser, opened } = await openWasm(ctx);
  const { page, problems } = browser;
  const out = {};
  try {
    check(opened.ready, `model did not load: ${opened.message}`);
    const vary = middleScale(model);
    const varyIndex = model.manifest.scales.indexOf(vary);
    await setForm(page, { classLabel: pickClass(model.manifest).label, seed: ctx.seed, odeSteps: ODE_STEPS, batch: 1 });
    let status = await runAndWait(page, () => page.getByRole('button', { name: 'Generate', exact: true }).click());
    check(status === 'done', `the source run ended ${status}`);
    const source = await readCanvas(page, FINAL_CANVAS);
    const sourcePreviews = [];
    for (let i = 0; i <= varyIndex; i++) sourcePreviews.push(await readCanvas(page, FILM_CANVAS, i));

    const button = page.locator(`[data-testid="vary-from-here"][data-scale="${vary.scale}"]`);
    check((await page.getByTestId('vary-from-here').count()) === model.manifest.scales.length - 1, 'not every scale but the last offers "Vary from here"');
    status = await runAndWait(page, () => button.click());
    check(status === 'done', `the variation run ended ${status}`);
    const cells = page.getByTestId('batch-canvas');
    const count = await cells.count();
    check(count === 4, `the variation made ${count} images, expected 4`);
    const finals = [];
    for (let b = 0; b < count; b++) {
      await page.locator('.batch-cell').nth(b).click();
      for (let i = 0; i <= varyIndex; i++) {
        check(identical(await readCanvas(page, FILM_CANVAS, i), sourcePreviews[i]), `variation ${b}: preview of scale ${i + 1} differs from the source's`);
      }
      finals.push(await readCanvas(page, FINAL_CANVAS));
      check(!identical(finals[b], source), `variation ${b} is the source image itself`);
    }
    for (let a = 0; a < count; a++) for (let b = a + 1; b < count; b++) check(!identical(finals[a], finals[b]), `variations ${a} and ${b} are the same image`);
    out.shot = join(SHOTS, 'variations.png');
    await page.screenshot({ path: out.shot, fullPage: true });

    // The link of variation 0 (its own seed, the source's seed and the scale) in a fresh browser.
    await page.locator('.batch-cell').nth(0).click();
    await page.getByTestId('copy-link').click();
    const link = await page.getByTestId('link-field').inputValue();
    const url = new URL(link);
    check(url.searchParams.get('source_seed') === String(ctx.seed) && url.searchParams.get('source_scale') === String(vary.scale), `the variation link lacks its source: ${link}`);
    out.link = link;
    out.linkDiff = await openLinkAndCompare(link, finals[0], { runs: 2, previews: sourcePreviews, exact: false });
    check(problems.pageErrors.length === 0, `uncaught page errors: ${problems.pageErrors.join(' | ')}`);
    return out;
  } finally {
    await browser.close();
  }
}

/**
 * Opens `link` in a fresh browser, waits for the `runs` it starts, and compares the final image with `expected`:
 * pixel-identical when `exact`, else within WASM's batch tolerance (a variation made in a batch of 4 is remade as
 * batch 1). `previews`: the first previews, which must be pixel-identical either way.
 */
async function openLinkAndCompare(link, expected, { runs = 1, previews = [], exact = true } = {}) {
  const browser = await openBrowser();
  const { page, problems } = browser;
  try {
    await page.goto(link);
    const status = await runAndWait(page, null, { runs, from: 0 });
    check(status === 'done', `the linked image's run ended ${status}`);
    check((await page.getByTestId('url-problems').count()) === 0, `the link gave a notice: ${await page.getByTestId('url-problems').allInnerTexts()}`);
    const image = await readCanvas(page, FINAL_CANVAS);
    for (const [i, preview] of previews.entries()) check(identical(await readCanvas(page, FILM_CANVAS, i), preview), `the linked image's preview ${i} differs`);
    const diff = compareImages(image, expected, exact ? 0 : 2);
    if (exact) check(diff.sameSize && diff.max === 0, `the image from the link differs: ${JSON.stringify(diff)}`);
    else check(diff.sameSize && diff.mean <= 0.5 && diff.outliers <= 0.01, `the image from the link differs beyond WASM's batch tolerance: ${JSON.stringify(diff)}`);
    check(problems.pageErrors.length === 0, `uncaught page errors: ${problems.pageErrors.join(' | ')}`);
    return { ...diff, form: await readForm(page), url: page.url() };
  } finally {
    await browser.close();
  }
}

/**
 * (k) Copy link on a finished image with non-default settings; a fresh browser (no cache, no state) opening that link
 * restores the settings and generates a pixel-identical image.
 */
export async function urlRoundTripScenario(ctx) {
  const { model } = ctx;
  const { browser, opened } = await openWasm(ctx);
  const { page, problems } = browser;
  try {
    check(opened.ready, `model did not load: ${opened.message}`);
    const { limits } = model.manifest.sampling;
    const settings = {
      classLabel: pickClass(model.manifest).label,
      seed: 3141592653,
      odeSteps: ODE_STEPS,
      solver: 'euler',
      guidance: Math.min(limits.guidance[1], 1.75),
      // A model with several modules has a coarse guidance of its own; the link must carry it too.
      ...(model.manifest.modules.length > 1 ? { coarseGuidance: Math.min(limits.guidance[1], 1.25) } : {}),
      // Not the model's default temperature, so that the link has to carry it.
      temperature: Math.max(limits.temperature[0], model.manifest.sampling.defaults.temperature === 0.8 ? 0.9 : 0.8),
      batch: 1,
    };
    await setForm(page, settings);
    const status = await runAndWait(page, () => page.getByRole('button', { name: 'Generate', exact: true }).click());
    check(status === 'done', `the run ended ${status}`);
    const image = await readCanvas(page, FINAL_CANVAS);
    await page.getByTestId('copy-link').click();
    const link = await page.getByTestId('link-field').inputValue();
    // The address bar follows once the image has stayed for a moment (app/App.tsx, ADDRESS_BAR_DELAY_MS).
    const followed = await page.waitForURL(link, { timeout: 5_000 }).then(() => true, () => false);
    check(followed, `the address bar (${page.url()}) does not follow the finished image (${link})`);
    const out = await openLinkAndCompare(link, image);
    const { form } = out;
    check(
      form.classLabel === settings.classLabel && form.seed === settings.seed && form.odeSteps === settings.odeSteps && form.solver === settings.solver && form.guidance === settings.guidance && form.coarseGuidance === (settings.coarseGuidance ?? null) && form.temperature === settings.temperature,
      `the linked page restored ${JSON.stringify(form)}, expected ${JSON.stringify(settings)}`,
    );
    check(problems.pageErrors.length === 0, `uncaught page errors: ${problems.pageErrors.join(' | ')}`);
    return { link, ...out };
  } finally {
    await browser.close();
  }
}

/** (l) Unknown and invalid URL parameters: a notice names each, nothing crashes, nothing runs, Generate works. */
export async function badUrlScenario(ctx) {
  const { browser, opened } = await openWasm(ctx, { class: 'no-such-class', seed: 'abc', guidance: '1e9', solver: 'rk4', source_scale: '99', colour: 'red' });
  const { page, problems } = browser;
  try {
    check(opened.ready, `model did not load: ${opened.message}`);
    const notice = page.getByTestId('url-problems');
    await notice.waitFor({ timeout: 10_000 });
    const text = await notice.innerText();
    for (const word of ['class=no-such-class', 'seed', 'guidance', 'solver=rk4', 'source_seed', 'colour']) check(text.includes(word), `the notice does not mention ${word}: ${text}`);
    await page.waitForTimeout(1000);
    check((await page.getAttribute('[data-testid="run-status"]', 'data-status')) === 'idle', 'a link with bad parameters started a run');
    check((await page.$(BANNER)) === null, 'bad URL parameters gave an error banner');
    const shot = join(SHOTS, 'bad-url.png');
    await page.screenshot({ path: shot, fullPage: true });
    await page.getByRole('button', { name: 'Dismiss' }).click();
    check((await notice.count()) === 0, 'the notice stays after Dismiss');
    await setForm(page, { odeSteps: ODE_STEPS });
    const status = await runAndWait(page, () => page.getByRole('button', { name: 'Generate', exact: true }).click());
    check(status === 'done', `Generate after a bad link ended ${status}`);
    check(problems.pageErrors.length === 0, `uncaught page errors: ${problems.pageErrors.join(' | ')}`);
    return { notice: text, shot };
  } finally {
    await browser.close();
  }
}

/** tEXt and uncompressed iTXt chunks of a PNG file (keyword -> text), read independently of the page's code. */
function pngText(bytes) {
  const out = new Map();
  let at = 8;
  while (at + 12 <= bytes.length) {
    const length = bytes.readUInt32BE(at);
    const type = bytes.toString('latin1', at + 4, at + 8);
    const data = bytes.subarray(at + 8, at + 8 + length);
    const zero = data.indexOf(0);
    if (type === 'tEXt' && zero > 0) out.set(data.toString('latin1', 0, zero), data.toString('latin1', zero + 1));
    if (type === 'iTXt' && zero > 0 && data[zero + 1] === 0) {
      const language = data.indexOf(0, zero + 3);
      const translated = data.indexOf(0, language + 1);
      out.set(data.toString('latin1', 0, zero), data.toString('utf8', translated + 1));
    }
    if (type === 'IEND') break;
    at += 12 + length;
  }
  return out;
}

/**
 * (m) Download PNG: the file's pixels are the image's, its text chunks hold the settings, the model id, every model
 * file's sha256 and the backend. Dropped on a fresh page, it restores the settings and makes a pixel-identical image.
 */
export async function pngRoundTripScenario(ctx) {
  const { model } = ctx;
  const { readFileSync } = await import('node:fs');
  const { decode } = await import('fast-png');
  const { browser, opened } = await openWasm(ctx);
  const { page, problems } = browser;
  let file;
  let image;
  const settings = { classLabel: pickClass(model.manifest).label, seed: 2718281828, odeSteps: ODE_STEPS, solver: 'heun', batch: 1 };
  try {
    check(opened.ready, `model did not load: ${opened.message}`);
    await setForm(page, settings);
    const status = await runAndWait(page, () => page.getByRole('button', { name: 'Generate', exact: true }).click());
    check(status === 'done', `the run ended ${status}`);
    image = await readCanvas(page, FINAL_CANVAS);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: /full resolution/ }).click()]);
    file = join(SHOTS, 'download.png');
    await download.saveAs(file);
    check(problems.pageErrors.length === 0, `uncaught page errors: ${problems.pageErrors.join(' | ')}`);
  } finally {
    await browser.close();
  }

  const bytes = readFileSync(file);
  const png = decode(bytes);
  check(png.width === image.width && png.height === image.height, `the PNG is ${png.width}x${png.height}, the image ${image.width}x${image.height}`);
  // Expand to RGBA whatever the encoder chose (an opaque image may be stored as RGB).
  const data = [];
  for (let i = 0; i < png.width * png.height; i++) {
    for (let c = 0; c < 3; c++) data.push(png.data[i * png.channels + c]);
    data.push(255);
  }
  check(identical({ width: png.width, height: png.height, data }, image), 'the PNG\'s pixels are not the image\'s');
  const text = pngText(bytes);
  const expectText = { 'nestar:model': model.id, 'nestar:ep': 'wasm', 'nestar:backend': 'wasm', 'nestar:class': settings.classLabel, 'nestar:seed': String(settings.seed), 'nestar:steps': String(ODE_STEPS), 'nestar:solver': 'heun' };
  for (const [k, v] of Object.entries(expectText)) check(text.get(k) === v, `PNG text ${k} is ${JSON.stringify(text.get(k))}, expected ${JSON.stringify(v)}`);
  for (const [name, f] of Object.entries(model.manifest.files)) check((text.get('nestar:files') ?? '').includes(`${name} sha256:${f.sha256}`), `PNG text nestar:files lacks ${name}'s sha256`);

  // A fresh browser: drop the file on the page.
  const fresh = await openWasm(ctx);
  try {
    check(fresh.opened.ready, `model did not load: ${fresh.opened.message}`);
    const p = fresh.browser.page;
    const before = Number(await p.getAttribute('[data-testid="run-status"]', 'data-run'));
    await p.evaluate((data) => {
      const transfer = new DataTransfer();
      transfer.items.add(new File([new Uint8Array(data)], 'dropped.png', { type: 'image/png' }));
      document.body.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
    }, Array.from(bytes));
    const status = await runAndWait(p, null, { from: before });
    check(status === 'done', `the run from the dropped PNG ended ${status}`);
    const form = await readForm(p);
    check(form.classLabel === settings.classLabel && form.seed === settings.seed && form.odeSteps === ODE_STEPS && form.solver === 'heun', `the dropped PNG restored ${JSON.stringify(form)}`);
    const again = await readCanvas(p, FINAL_CANVAS);
    const diff = compareImages(again, image, 0);
    check(diff.sameSize && diff.max === 0, `the image from the dropped PNG differs: ${JSON.stringify(diff)}`);
    check(fresh.browser.problems.pageErrors.length === 0, `uncaught page errors: ${fresh.browser.problems.pageErrors.join(' | ')}`);
    return { file, text: Object.fromEntries([...text].filter(([k]) => k !== 'nestar:files')) };
  } finally {
    await fresh.browser.close();
  }
}

/** Every `factor`-th pixel of an upscaled RGBA(channels) image: the picture at its native size, as RGBA. */
function downsample(data, width, channels, factor) {
  const side = width / factor;
  const out = [];
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const o = (y * factor * width + x * factor) * channels;
      out.push(data[o], data[o + 1], data[o + 2], 255);
    }
  }
  return { width: side, height: side, data: out };
}

/**
 * (n) The growth animation (an APNG, one frame per scale, each the scale's preview upscaled crisply, the last the
 * image) and the filmstrip PNG (every preview side by side), both with the image's settings in their text chunks.
 */
export async function growthScenario(ctx) {
  const { model } = ctx;
  const { readFileSync } = await import('node:fs');
  const { decode, decodeApng } = await import('fast-png');
  const { browser, opened } = await openWasm(ctx);
  const { page, problems } = browser;
  try {
    check(opened.ready, `model did not load: ${opened.message}`);
    await setForm(page, { classLabel: pickClass(model.manifest).label, seed: ctx.seed, odeSteps: ODE_STEPS, batch: 1 });
    const status = await runAndWait(page, () => page.getByRole('button', { name: 'Generate', exact: true }).click());
    check(status === 'done', `the run ended ${status}`);
    const scales = model.manifest.scales.length;
    const previews = [];
    for (let i = 0; i < scales; i++) previews.push(await readCanvas(page, FILM_CANVAS, i));

    const save = async (testId, name) => {
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId(testId).click()]);
      const file = join(SHOTS, name);
      await download.saveAs(file);
      return readFileSync(file);
    };
    const apngBytes = await save('download-growth', 'growth.png');
    const apng = decodeApng(apngBytes);
    check(apng.numberOfFrames === scales && apng.frames.length === scales, `the animation has ${apng.numberOfFrames} frames, expected one per scale (${scales})`);
    const factor = apng.width / model.manifest.image.size;
    check(Number.isInteger(factor) && factor >= 1, `the animation is ${apng.width} px wide, not a whole multiple of ${model.manifest.image.size}`);
    apng.frames.forEach((f, i) => {
      check(identical(downsample(f.data, apng.width, apng.channels, factor), previews[i]), `animation frame ${i} is not scale ${i + 1}'s preview`);
    });
    check(pngText(apngBytes).get('nestar:seed') === String(ctx.seed), 'the animation does not carry the seed in its text chunks');

    const stripBytes = await save('download-filmstrip', 'filmstrip.png');
    const strip = decode(stripBytes);
    const side = model.manifest.image.size * factor;
    check(strip.height === side && strip.width === scales * side + (scales - 1) * 8, `the filmstrip PNG is ${strip.width}x${strip.height}`);
    check(pngText(stripBytes).get('nestar:seed') === String(ctx.seed), 'the filmstrip PNG does not carry the seed');
    check(problems.pageErrors.length === 0, `uncaught page errors: ${problems.pageErrors.join(' | ')}`);
    return { frames: apng.numberOfFrames, width: apng.width, strip: `${strip.width}x${strip.height}` };
  } finally {
    await browser.close();
  }
}

/** Presses Tab until `predicate` (run in the page on document.activeElement) holds; returns whether it did. */
async function tabTo(page, predicate, arg, maxTabs = 120) {
  for (let i = 0; i < maxTabs; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate(predicate, arg)) return true;
  }
  return false;
}

/** The focused element draws a visible focus indicator (an outline, from :focus-visible). */
async function focusVisible(page) {
  return page.evaluate(() => {
    const el = document.activeElement;
    if (!el) return false;
    const target = el.matches('input.visually-hidden') ? el.parentElement : el;
    const style = getComputedStyle(target);
    return style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
  });
}

/**
 * (o) Keyboard only, at desktop and at phone width (375 px): reach Generate with Tab, run it with Enter, reach the
 * full-resolution download and save it with Enter, reach "Vary from here" and run it; every stop shows a visible
 * focus ring; at 375 px nothing overflows sideways. Screenshots of both widths.
 */
export async function keyboardScenario(ctx) {
  const out = {};
  for (const [name, viewport] of [
    ['desktop', { width: 1280, height: 900 }],
    ['phone', { width: 375, height: 800 }],
  ]) {
    const browser = await openBrowser({ viewport, deviceScaleFactor: name === 'phone' ? 2 : 1 });
    const { page, problems } = browser;
    try {
      const opened = await openStudio(page, ctx.baseUrl, { ...ctx.modelParam, ep: 'wasm' }, 300_000);
      check(opened.ready, `model did not load: ${opened.message}`);
      await setForm(page, { odeSteps: ODE_STEPS }); // only to keep the run short; everything below is keyboard
      await page.evaluate(() => document.activeElement instanceof HTMLElement && document.activeElement.blur());
      const before = Number(await page.getAttribute('[data-testid="run-status"]', 'data-run'));
      check(await tabTo(page, () => document.activeElement?.textContent?.trim() === 'Generate'), `${name}: Tab never reaches Generate`);
      check(await focusVisible(page), `${name}: Generate has no visible focus`);
      await page.keyboard.press('Enter');
      const status = await runAndWait(page, null, { from: before });
      check(status === 'done', `${name}: the keyboard run ended ${status}`);

      check(await tabTo(page, () => /full resolution/.test(document.activeElement?.textContent ?? '')), `${name}: Tab never reaches the PNG download`);
      check(await focusVisible(page), `${name}: the download button has no visible focus`);
      const [download] = await Promise.all([page.waitForEvent('download'), page.keyboard.press('Enter')]);
      out[`${name}Download`] = download.suggestedFilename();

      for (const testId of ['copy-link', 'download-growth']) {
        await page.evaluate(() => document.activeElement instanceof HTMLElement && document.activeElement.blur());
        check(await tabTo(page, (id) => document.activeElement?.getAttribute('data-testid') === id, testId), `${name}: Tab never reaches ${testId}`);
        check(await focusVisible(page), `${name}: ${testId} has no visible focus`);
      }
      check(await tabTo(page, () => document.activeElement?.getAttribute('data-testid') === 'vary-from-here'), `${name}: Tab never reaches "Vary from here"`);
      check(await focusVisible(page), `${name}: "Vary from here" has no visible focus`);
      const runs = Number(await page.getAttribute('[data-testid="run-status"]', 'data-run'));
      await page.keyboard.press('Enter');
      check((await runAndWait(page, null, { from: runs })) === 'done', `${name}: the keyboard variation did not finish`);
      check((await page.getByTestId('batch-canvas').count()) === 4, `${name}: the keyboard variation did not make 4 images`);

      if (name === 'phone') {
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        check(overflow <= 0, `at 375 px the page is ${overflow} px wider than the screen`);
      }
      out[`${name}Shot`] = join(SHOTS, `keyboard-${name}.png`);
      await page.evaluate(() => window.scrollTo(0, 0));
      await page.screenshot({ path: out[`${name}Shot`], fullPage: true });
      check(problems.pageErrors.length === 0, `${name}: uncaught page errors: ${problems.pageErrors.join(' | ')}`);
    } finally {
      await browser.close();
    }
  }
  return out;
}

/**
 * (p) History: two finished images appear as thumbnails (newest first) and survive a reload (IndexedDB); clicking
 * the older one brings back its settings and its exact pixels without a run; Clear empties it for good.
 */
export async function historyScenario(ctx) {
  const { model } = ctx;
  const { browser, opened } = await openWasm(ctx);
  const { page, problems } = browser;
  try {
    check(opened.ready, `model did not load: ${opened.message}`);
    const images = [];
    for (const seed of [11, 22]) {
      await setForm(page, { classLabel: pickClass(model.manifest).label, seed, odeSteps: ODE_STEPS, batch: 1 });
      const status = await runAndWait(page, () => page.getByRole('button', { name: 'Generate', exact: true }).click());
      check(status === 'done', `run with seed ${seed} ended ${status}`);
      images.push(await readCanvas(page, FINAL_CANVAS));
    }
    await page.waitForSelector('[data-testid="history"][data-count="2"]', { timeout: 10_000 });
    // The address bar holds the last image's link (once it has stayed a moment: app/App.tsx, ADDRESS_BAR_DELAY_MS), so
    // the reload makes it again: history keeps one entry for it.
    await page.waitForURL((url) => url.searchParams.get('seed') === '22', { timeout: 5_000 });
    await page.reload();
    check((await runAndWait(page, null, { from: 0 })) === 'done', 'the reload did not remake the last image');
    await page.waitForSelector('[data-testid="history"][data-count="2"]', { timeout: 10_000 });
    const items = page.getByTestId('history-item');
    check((await items.nth(0).getAttribute('aria-label')).includes('seed 22'), 'the newest history entry is not first');
    const runs = await page.getAttribute('[data-testid="run-status"]', 'data-run');
    await items.nth(1).click();
    await page.waitForSelector(FINAL_CANVAS, { timeout: 10_000 });
    check((await page.getAttribute('[data-testid="run-status"]', 'data-run')) === runs, 'restoring from history started a run');
    check(identical(await readCanvas(page, FINAL_CANVAS), images[0]), 'the restored image differs from the one made with seed 11');
    check((await readForm(page)).seed === 11, 'the restored settings do not have seed 11');
    const shot = join(SHOTS, 'history.png');
    await page.screenshot({ path: shot, fullPage: true });
    await page.getByTestId('history-clear').click();
    check((await page.getByTestId('history-item').count()) === 0, 'Clear left history entries');
    await page.goto(new URL(`?${new URLSearchParams({ ...ctx.modelParam, ep: "wasm" })}`, ctx.baseUrl).href); // no image in the URL: nothing is made again
    await page.waitForSelector('[data-testid="backend-badge"]:not([data-backend=""])', { timeout: 300_000 });
    await page.waitForTimeout(500);
    check((await page.getByTestId('history-item').count()) === 0, 'history came back after Clear and a reload');
    check(problems.pageErrors.length === 0, `uncaught page errors: ${problems.pageErrors.join(' | ')}`);
    return { shot };
  } finally {
    await browser.close();
  }
}

/**
 * (q) Live mode: with the switch on, six quick seed changes and an arrow-key class change while runs are going:
 * no BUSY banner (never two runs in flight), the page settles on the last setting (its image equals a plain
 * Generate of that setting afterwards), and a rate is shown.
 */
export async function liveScenario(ctx) {
  const { model } = ctx;
  const { browser, opened } = await openWasm(ctx);
  const { page, problems } = browser;
  try {
    check(opened.ready, `model did not load: ${opened.message}`);
    await setForm(page, { classLabel: pickClass(model.manifest).label, seed: 100, odeSteps: ODE_STEPS, batch: 1 });
    await page.getByTestId('live').check();
    const seedField = page.getByLabel('Seed', { exact: true });
    for (let seed = 101; seed <= 106; seed++) {
      await seedField.fill(String(seed));
      await page.waitForTimeout(150);
    }
    // Arrow keys walk the classes (a radio group): focus the selected class, move to the next one.
    await page.getByRole('radio', { name: pickClass(model.manifest).label, exact: true }).focus();
    await page.keyboard.press('ArrowRight');
    const lastClass = await page.textContent('[data-testid="selected-class"]');
    check(lastClass !== pickClass(model.manifest).label, 'the arrow key did not change the class');
    // Settled: done, and no new run for 2 s.
    let runs = -1;
    for (let i = 0; i < 120; i++) {
      await page.waitForSelector('[data-testid="run-status"][data-status="done"]', { timeout: 300_000 });
      const now = await page.getAttribute('[data-testid="run-status"]', 'data-run');
      if (now === runs) break;
      runs = now;
      await page.waitForTimeout(2000);
    }
    check((await page.$(BANNER)) === null, `an error banner appeared while scrubbing: ${(await page.$(BANNER)) ? await page.innerText(BANNER) : ''}`);
    const rate = Number(await page.getAttribute('[data-testid="live-rate"]', 'data-rate'));
    check(rate > 0, 'no images/s shown in live mode');
    const form = await readForm(page);
    check(form.seed === 106 && form.classLabel === lastClass, `the form ended on ${JSON.stringify(form)}`);
    const liveImage = await readCanvas(page, FINAL_CANVAS);

    await page.getByTestId('live').uncheck();
    const status = await runAndWait(page, () => page.getByRole('button', { name: 'Generate', exact: true }).click());
    check(status === 'done', `the plain run ended ${status}`);
    check(identical(await readCanvas(page, FINAL_CANVAS), liveImage), 'live mode did not end on the image of the last setting');
    check(problems.pageErrors.length === 0, `uncaught page errors: ${problems.pageErrors.join(' | ')}`);
    return { runs: Number(runs), imagesPerSecond: rate };
  } finally {
    await browser.close();
  }
}

/**
 * (r) Cancel keeps what finished: cancel a long run after its first scale, the finished scales stay on screen and
 * Continue finishes the image, pixel-identical to an uninterrupted run of the same settings.
 */
export async function cancelContinueScenario(ctx) {
  const { model } = ctx;
  const { browser, opened } = await openWasm(ctx);
  const { page, problems } = browser;
  try {
    check(opened.ready, `model did not load: ${opened.message}`);
    const { limits } = model.manifest.sampling;
    // Long enough per scale that Cancel lands before the last one.
    await setForm(page, { classLabel: pickClass(model.manifest).label, seed: ctx.seed, odeSteps: Math.min(limits.ode_steps[1], 48), solver: 'heun', batch: 1 });
    const before = Number(await page.getAttribute('[data-testid="run-status"]', 'data-run'));
    await page.getByRole('button', { name: 'Generate', exact: true }).click();
    await page.waitForSelector('[data-testid="scale-frame"]', { timeout: 300_000 });
    await page.getByRole('button', { name: 'Cancel', exact: true }).click();
    const status = await runAndWait(page, null, { from: before });
    check(status === 'cancelled', `the run ended ${status} (done: it finished before the cancel landed)`);
    const kept = await page.$$('[data-testid="scale-frame"]');
    check(kept.length >= 1 && kept.length < model.manifest.scales.length, `after Cancel the filmstrip shows ${kept.length} scales`);
    const keptPreviews = [];
    for (let i = 0; i < kept.length; i++) keptPreviews.push(await readCanvas(page, FILM_CANVAS, i));

    check((await runAndWait(page, () => page.getByTestId('continue').click())) === 'done', 'Continue after Cancel did not finish');
    const continued = await readCanvas(page, FINAL_CANVAS);
    for (const [i, p] of keptPreviews.entries()) check(identical(await readCanvas(page, FILM_CANVAS, i), p), `Continue changed the kept preview ${i}`);
    check((await runAndWait(page, () => page.getByRole('button', { name: 'Generate', exact: true }).click())) === 'done', 'the uninterrupted run did not finish');
    const diff = compareImages(await readCanvas(page, FINAL_CANVAS), continued, 0);
    check(diff.sameSize && diff.max === 0, `cancel + continue differs from the uninterrupted run: ${JSON.stringify(diff)}`);
    check(problems.pageErrors.length === 0, `uncaught page errors: ${problems.pageErrors.join(' | ')}`);
    return { keptScales: kept.length };
  } finally {
    await browser.close();
  }
}
