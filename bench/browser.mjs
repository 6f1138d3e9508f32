// Browser backends through the real page: the bench models are copied into the built site (dist/models/), each
// model gets its own Chromium (harness/browser.mjs, so the two tabs never throttle each other), and a run is a click
// on Generate; times are the worker's own (the stats panel's data-ms), per-scale times those of the filmstrip.
import { cpSync, rmSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { openBrowser } from '../harness/browser.mjs';
import { clickGenerate, openStudio, readTimings, recordedFrames, recordFrames, setForm, waitRunEnd } from '../harness/page.mjs';
import { build, DIST, startPreview } from '../harness/server.mjs';
import { interleaved } from './interleave.mjs';
import { byPath, cellNames } from './node.mjs';

/**
 * Builds the app (unless told not to), copies the model folders in (each under its folder's name, the page's model id)
 * and serves dist/. Returns {url, stop}.
 */
export async function serveSite(folders, { noBuild }) {
  const ids = folders.map((folder) => basename(folder));
  if (new Set(ids).size !== ids.length) throw new Error(`the page serves each model under its folder's name: ${ids.join(', ')} collide`);
  if (!noBuild) build();
  for (const folder of folders) {
    const dest = join(DIST, 'models', basename(folder));
    if (resolve(dest) === resolve(folder)) continue; // already served from there
    rmSync(dest, { recursive: true, force: true });
    cpSync(folder, dest, { recursive: true });
  }
  return startPreview();
}

/** A Chromium of its own with model `id` loaded on `ep`; `extra`: more page parameters (e.g. threads). */
export async function openModelPage(url, id, ep, extra = {}) {
  const browser = await openBrowser();
  const opened = await openStudio(browser.page, url, { model: id, ep, ...extra }, 300_000);
  if (!opened.ready || opened.backend !== ep) {
    await browser.close();
    throw new Error(`${id} on ${ep}: ${opened.ready ? `page chose ${opened.backend}` : opened.message}`);
  }
  return browser;
}

/** `path`: 'ode' (the model's default solver, `odeSteps` of it when given) or 'few_step'. */
export async function generateOnPage(page, batch, seed, odeSteps, path, defaultSolver) {
  // setForm picks the solver first (the ODE steps field is disabled under the few-step sampler).
  await setForm(page, { solver: path === 'few_step' ? 'few_step' : defaultSolver, seed, batch, ...(odeSteps && path === 'ode' ? { odeSteps } : {}) });
  await recordFrames(page);
  await clickGenerate(page);
  const end = await waitRunEnd(page, 600_000);
  if (end.status !== 'done') throw new Error(`run ended ${end.status}: ${end.banner}`);
  const { totalMs, firstPreviewMs } = await readTimings(page);
  const frames = await recordedFrames(page);
  return { totalMs, firstPreviewMs, scaleMs: frames.map((f) => f.ms) };
}

/**
 * Interleaved page runs of the NestAR and raster models of `tokens` on `ep` ('wasm' or 'webgpu') on each sampling
 * path of `paths` (as node.mjs's runPair: every model on every path, round after round); `odeSteps` overrides the
 * ODE path's step count (same solver), null keeps the model's default. `defaultSolver`: the models' default solver,
 * which the ODE path selects again after a few-step run. Returns {[path]: {nestar, raster}}.
 */
export async function runPairInBrowser(url, tokens, ep, batch, repeats, log, odeSteps = null, paths = ['ode'], defaultSolver = 'heun') {
  const browsers = {};
  try {
    for (const arch of ['nestar', 'raster']) {
      browsers[arch] = await openModelPage(url, `bench-${arch}-n${tokens}`, ep);
      if (ep === 'wasm') log(`    ${arch}: ${await browsers[arch].page.getAttribute('[data-testid="stat-threads"]', 'title')}`);
    }
    const generate = (name, b, seed) => {
      const [arch, path] = name.split(' ');
      return generateOnPage(browsers[arch].page, b, seed, odeSteps, path, defaultSolver);
    };
    return byPath(await interleaved(generate, batch, repeats, log, cellNames(paths)), paths);
  } finally {
    for (const b of Object.values(browsers)) await b.close();
  }
}
