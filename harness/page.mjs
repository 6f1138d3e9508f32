// Shared by e2e/ and bench/: driving NestAR Studio the way a visitor does (labels, buttons), and reading back what
// it shows.

export const READY = '[data-testid="backend-badge"]:not([data-backend=""])';
export const BANNER = '[data-testid="error-banner"]';
const RUN_ENDED = '[data-testid="run-status"]:is([data-status="done"], [data-status="cancelled"], [data-status="failed"])';

/** Opens the page with the given query parameters and waits for the model to be ready or for an error banner. */
export async function openStudio(page, baseUrl, params, timeoutMs = 120_000) {
  const url = new URL(baseUrl);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  await page.goto(url.href);
  return waitLoaded(page, timeoutMs);
}

/**
 * Picks model `id` in the header's model switcher (the page loads it in place, with ?model=id in the address bar)
 * and waits as openStudio does.
 */
export async function switchModel(page, id, timeoutMs = 120_000) {
  await page.getByLabel('Model', { exact: true }).selectOption(id);
  await page.waitForURL((url) => url.searchParams.get('model') === id, { timeout: timeoutMs });
  await page.waitForSelector(`.app[data-model-id="${id}"]:is([data-load="ready"], [data-load="failed"])`, { timeout: timeoutMs });
  return waitLoaded(page, timeoutMs);
}

async function waitLoaded(page, timeoutMs) {
  await page.waitForSelector(`${READY}, ${BANNER}`, { timeout: timeoutMs });
  const banner = await page.$(BANNER);
  if (banner) return { ready: false, code: await banner.getAttribute('data-code'), message: await banner.innerText() };
  return { ready: true, backend: await page.getAttribute(READY, 'data-backend') };
}

/**
 * Fills the generation form. The solver is set first: it decides the guidance and temperature ranges, and the fast
 * few-step sampler has no ODE steps (its field is disabled), so `odeSteps` only applies under an ODE solver.
 */
export async function setForm(page, { classLabel, seed, odeSteps, solver, guidance, coarseGuidance, temperature, batch }) {
  if (solver !== undefined) await page.getByLabel('Solver', { exact: true }).selectOption(solver);
  if (classLabel !== undefined) await page.getByRole('radio', { name: classLabel, exact: true }).check({ force: true });
  if (seed !== undefined) await page.getByLabel('Seed', { exact: true }).fill(String(seed));
  if (guidance !== undefined) await page.getByLabel('Guidance', { exact: true }).fill(String(guidance));
  if (coarseGuidance !== undefined) await page.getByLabel('Coarse guidance', { exact: true }).fill(String(coarseGuidance));
  if (temperature !== undefined) await page.getByLabel('Temperature', { exact: true }).fill(String(temperature));
  const steps = page.getByLabel('ODE steps', { exact: true });
  if (odeSteps !== undefined && (await steps.isEnabled())) await steps.fill(String(odeSteps));
  if (batch !== undefined) await page.getByRole('radio', { name: `Batch ${batch}`, exact: true }).check({ force: true });
}

/** The form's values as the page holds them (after defaults from the manifest); coarseGuidance null for a one-module model. */
export async function readForm(page) {
  const coarse = page.getByLabel('Coarse guidance', { exact: true });
  return {
    classLabel: await page.textContent('[data-testid="selected-class"]'),
    seed: Number(await page.getByLabel('Seed', { exact: true }).inputValue()),
    guidance: Number(await page.getByLabel('Guidance', { exact: true }).inputValue()),
    coarseGuidance: (await coarse.count()) > 0 ? Number(await coarse.inputValue()) : null,
    temperature: Number(await page.getByLabel('Temperature', { exact: true }).inputValue()),
    odeSteps: Number(await page.getByLabel('ODE steps', { exact: true }).inputValue()),
    solver: await page.getByLabel('Solver', { exact: true }).inputValue(),
  };
}

/** Records, in page time, every filmstrip frame as it is added to the DOM (so arrival order is observed, not assumed). */
export async function recordFrames(page) {
  await page.evaluate(() => {
    const w = /** @type {any} */ (window);
    w.__e2eFrames = [];
    w.__e2eObserver?.disconnect();
    w.__e2eObserver = new MutationObserver((mutations) => {
      for (const m of mutations) {
        for (const node of m.addedNodes) {
          if (!(node instanceof HTMLElement)) continue;
          const items = node.matches('[data-testid="scale-frame"]') ? [node] : [...node.querySelectorAll('[data-testid="scale-frame"]')];
          for (const el of items) {
            w.__e2eFrames.push({ scale: Number(el.dataset.scale), grid: Number(el.dataset.grid), ms: Number(el.dataset.ms), seenAt: performance.now() });
          }
        }
      }
      // An animation or transition that started before the run did (a pulse, a spinner, the click's own hover or
      // press colours) fires no start event afterwards: when recordRunAnimations is on, each new frame also lists
      // those still running.
      const running = document.querySelector('[data-testid="run-status"]')?.getAttribute('data-status') === 'running';
      if (Array.isArray(w.__e2eAnimations) && running && document.querySelector('[data-testid="scale-frame"]')) {
        for (const a of document.getAnimations()) {
          const name = /** @type {any} */ (a).animationName ?? /** @type {any} */ (a).transitionProperty;
          if (a.playState !== 'running' || !name) continue;
          const el = /** @type {any} */ (a.effect)?.target;
          w.__e2eAnimations.push(`running ${name} on ${el ? `${el.tagName.toLowerCase()}.${[...el.classList].join('.')}` : '?'}`);
        }
      }
    });
    w.__e2eObserver.observe(document.body, { childList: true, subtree: true });
  });
}

/**
 * Records every CSS transition that starts while a run is going on (its start included: the controls change then),
 * every keyframe animation that starts once a scale has been shown (before, a spinner may say that a slow first step
 * is under way), and (through recordFrames' observer) every animation or transition still running when a scale
 * appears (the page animates nothing then: app/styles.css, "Nothing animates while a run is going on").
 */
export async function recordRunAnimations(page) {
  await page.evaluate(() => {
    const w = /** @type {any} */ (window);
    w.__e2eAnimations = [];
    if (w.__e2eAnimationListener) return;
    w.__e2eAnimationListener = (/** @type {any} */ e) => {
      const running = document.querySelector('[data-testid="run-status"]')?.getAttribute('data-status') === 'running';
      if (!running || (e.type === 'animationstart' && !document.querySelector('[data-testid="scale-frame"]'))) return;
      const el = /** @type {Element} */ (e.target);
      // A transition set off just before the run (the click's press, the pointer leaving an input) is reported only
      // at the next frame, when the run has started and cancelled it: only one that still runs counts.
      // (subtree: a pseudo-element's transition is reported on its host element, and only a subtree query lists it.)
      const stillRuns = (/** @type {any} */ a) => a.transitionProperty === e.propertyName && a.effect?.target === el && (a.effect?.pseudoElement ?? '') === (e.pseudoElement ?? '') && a.playState === 'running';
      if (e.type === 'transitionrun' && !el.getAnimations({ subtree: true }).some(stillRuns)) return;
      w.__e2eAnimations.push(`${e.type} ${e.animationName ?? e.propertyName} on ${el.tagName.toLowerCase()}.${[...el.classList].join('.')}`);
    };
    document.addEventListener('animationstart', w.__e2eAnimationListener, true);
    document.addEventListener('transitionrun', w.__e2eAnimationListener, true);
  });
}

export async function recordedRunAnimations(page) {
  return page.evaluate(() => /** @type {any} */ (window).__e2eAnimations ?? []);
}

/** Records whether the settings looked locked (the class picker's fieldset disabled) at any moment from now. */
export async function recordSettingsLock(page) {
  await page.evaluate(() => {
    const w = /** @type {any} */ (window);
    w.__e2eLocked = false;
    w.__e2eLockObserver?.disconnect();
    w.__e2eLockObserver = new MutationObserver(() => {
      if (document.querySelector('fieldset.class-picker:disabled')) w.__e2eLocked = true;
    });
    w.__e2eLockObserver.observe(document.body, { subtree: true, attributes: true, attributeFilter: ['disabled'] });
  });
}

/** Whether the settings looked locked since recordSettingsLock; stops recording (no observer left in the page). */
export async function settingsLookedLocked(page) {
  return page.evaluate(() => {
    const w = /** @type {any} */ (window);
    w.__e2eLockObserver?.disconnect();
    w.__e2eLockObserver = undefined;
    return w.__e2eLocked === true;
  });
}

export async function recordedFrames(page) {
  return page.evaluate(() => /** @type {any} */ (window).__e2eFrames ?? []);
}

export async function clickGenerate(page) {
  await page.getByRole('button', { name: 'Generate', exact: true }).click();
  await page.waitForSelector('[data-testid="run-status"][data-status="running"], [data-testid="run-status"]:not([data-status="idle"])');
}

/**
 * Waits for the run to end; returns its status (done, cancelled, failed) and the banner if it failed. It polls every
 * 50 ms: Playwright's waitForSelector polls on every animation frame, which made the page render a frame per vsync
 * throughout the run, and on a 2-core machine those frames took CPU from the worker being timed (bench/README.md). A
 * MutationObserver inside page.evaluate avoids polling but left the page's heap ~10-14 KB larger per run (the soak test).
 */
export async function waitRunEnd(page, timeoutMs) {
  const ended = await page.waitForFunction((selector) => document.querySelector(selector)?.getAttribute('data-status'), RUN_ENDED, {
    polling: 50,
    timeout: timeoutMs,
  });
  const status = await ended.jsonValue();
  await ended.dispose();
  const banner = await page.$(BANNER);
  return { status, banner: banner ? await banner.innerText() : null };
}

/** The worker-measured times the stats panel shows (data-ms holds the raw number). */
export async function readTimings(page) {
  const ms = async (id) => Number(await page.getAttribute(`[data-testid="${id}"]`, 'data-ms'));
  return { firstPreviewMs: await ms('stat-first-preview'), totalMs: await ms('stat-total') };
}

/** A canvas' own pixels (the model's native resolution), as a plain array. */
export async function readCanvas(page, selector, index = 0) {
  return page.evaluate(
    ([sel, i]) => {
      const canvas = /** @type {HTMLCanvasElement} */ (document.querySelectorAll(sel)[i]);
      if (!canvas) throw new Error(`no canvas ${sel}[${i}]`);
      const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      return { width: canvas.width, height: canvas.height, data: Array.from(data) };
    },
    [selector, index],
  );
}
