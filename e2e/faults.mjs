// Issue 11's fault scenarios: network faults while loading, storage missing or full and the cache manager, offline
// use, manifests that lie, a lost GPU, the Content-Security-Policy, long sessions. Each opens its own fresh profile
// against the fault server (harness/faultServer.mjs: dist/ with the site's headers, faults set per path) and uses
// the WASM backend unless the fault is the GPU's. `withStudio` is the shared open/check/close scaffolding.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openBrowser } from '../harness/browser.mjs';
import { BANNER, READY, clickGenerate, openStudio, setForm, waitRunEnd } from '../harness/page.mjs';
import { DIST } from '../harness/server.mjs';
import { SHOTS } from './scenarios.mjs';

const DIST_MODELS = join(DIST, 'models');

const FINAL_CANVAS = '[data-testid="preview-canvas"][data-final="true"]';
/** Few ODE steps keep the runs after a fault short; what is checked is that they finish. */
const QUICK = { odeSteps: 2, batch: 1 };

export function check(condition, message) {
  if (!condition) throw new Error(message);
}

async function shot(page, name) {
  const path = join(SHOTS, `${name}.png`);
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path, fullPage: true });
  return path;
}

/**
 * Opens a fresh browser, runs `body({ page, browser, problems })`, checks that the page threw nothing, closes.
 * `browser` options go to openBrowser (prepareProfile, extraArgs).
 */
export async function withStudio(body, browserOptions = {}) {
  const browser = await openBrowser(browserOptions);
  const { page, problems } = browser;
  try {
    const out = await body({ page, browser, problems });
    check(problems.pageErrors.length === 0, `uncaught page errors: ${problems.pageErrors.join(' | ')}`);
    return out;
  } finally {
    await browser.close();
  }
}

/**
 * The runtime worker of the page (src/client.ts names it "nestar-runtime"). Its WASM threads (em-pthread) share
 * its script URL and may sit in Atomics.wait, where an evaluate never returns: each is asked with a timeout.
 */
export async function runtimeWorker(page) {
  for (const w of page.workers()) {
    const name = await Promise.race([w.evaluate(() => self.name).catch(() => null), new Promise((r) => setTimeout(() => r(null), 2000))]);
    if (name === 'nestar-runtime') return w;
  }
  return null;
}

/** Opens the studio on `baseUrl` (WASM unless `params.ep` says otherwise) and waits for ready or a banner. */
function open(page, baseUrl, params = {}) {
  return openStudio(page, baseUrl, { ep: 'wasm', ...params }, 300_000);
}

/** The banner's code, title and message; fails when there is none. */
async function banner(page) {
  const el = await page.waitForSelector(BANNER, { timeout: 120_000 });
  return { code: await el.getAttribute('data-code'), text: await el.innerText() };
}

/** Clicks the banner's Retry and waits for the load it starts to end; fails unless the model is ready. */
async function retry(page, what) {
  await page.getByTestId('error-retry').click();
  await page.waitForSelector(BANNER, { state: 'detached', timeout: 30_000 });
  await page.waitForSelector(`${READY}, ${BANNER}`, { timeout: 300_000 });
  const left = await page.$(BANNER);
  check(left === null, `${what}: Retry failed: ${left ? await left.innerText() : ''}`);
}

/** One quick generation: it must finish and paint a final image. */
async function generateOnce(page, what) {
  await setForm(page, QUICK);
  await clickGenerate(page).catch(async (e) => {
    const invalid = await page.locator('#form-invalid').innerText().catch(() => '');
    await shot(page, 'fault-generate-stuck');
    throw new Error(`${what}: Generate could not be clicked${invalid ? ` (the form says: ${invalid})` : ''}: ${e.message.split('\n')[0]}`);
  });
  const end = await waitRunEnd(page, 300_000);
  check(end.status === 'done', `${what}: the run ended ${end.status}${end.banner ? `: ${end.banner}` : ''}`);
  check((await page.$(FINAL_CANVAS)) !== null, `${what}: no final image`);
}

/**
 * Every entry of the page's model cache, with whether its bytes hash to the sha256 its key names: a fault must
 * never leave a broken or partial entry behind.
 */
async function cacheEntries(page) {
  return page.evaluate(async () => {
    if (!('caches' in self)) return [];
    const cache = await caches.open('nestar-models-v1');
    const out = [];
    for (const request of await cache.keys()) {
      const url = new URL(request.url);
      if (!url.pathname.startsWith('/sha256/')) continue;
      const bytes = await (await cache.match(request)).arrayBuffer();
      const digest = [...new Uint8Array(await crypto.subtle.digest('SHA-256', bytes))].map((b) => b.toString(16).padStart(2, '0')).join('');
      const sha = url.pathname.split('/').at(-1);
      out.push({ file: url.searchParams.get('file'), model: url.searchParams.get('model'), sha, ok: digest === sha, bytes: bytes.byteLength });
    }
    return out;
  });
}

function checkCacheSound(entries, faultyFile) {
  const broken = entries.filter((e) => !e.ok);
  check(broken.length === 0, `the cache holds entries whose bytes do not match their sha256: ${JSON.stringify(broken)}`);
  check(!entries.some((e) => e.file === faultyFile), `the cache holds ${faultyFile}, whose download failed`);
}

/** Deletes the stored model with the cache manager's button and waits until its row is gone. */
async function deleteStored(page, modelId) {
  const row = page.locator(`[data-testid="cache-row"][data-model="${modelId}"]`);
  await row.waitFor({ timeout: 30_000 });
  const button = row.getByTestId('cache-delete');
  try {
    await button.click({ timeout: 60_000 });
  } catch (e) {
    const state = await button.evaluate((b) => ({ disabled: b.disabled, box: JSON.stringify(b.getBoundingClientRect()), scrollY: window.scrollY })).catch(() => null);
    await shot(page, 'fault-delete-stuck');
    throw new Error(`the cache manager's Delete could not be clicked (${JSON.stringify(state)}): ${e.message.split('\n')[0]}`);
  }
  await row.waitFor({ state: 'detached', timeout: 30_000 });
}

/**
 * (s) Network faults while loading: the connection cut halfway through a file, HTTP 500, a truncated file, a very
 * slow server (progress moves; Cancel stops the load). Each: a clear banner, no broken cache entry, Retry loads.
 * One page; between faults the cache manager deletes the stored model, so the next fault meets a download.
 */
export async function networkFaultsScenario(ctx, server) {
  const { model, log } = ctx;
  const dir = `/models/${model.id}/`;
  const files = model.loadFiles;
  const bigFile = files.find((f) => f.includes('backbone')) ?? files[0];
  const faults = [
    { name: 'connection cut halfway', file: bigFile, fault: { kind: 'drop' }, code: 'NETWORK', title: 'Download failed', says: /broke off/ },
    { name: 'HTTP 500', file: files.at(-1), fault: { kind: 'status', status: 500 }, code: 'NETWORK', title: 'Download failed', says: /HTTP 500/ },
    { name: 'truncated file', file: bigFile, fault: { kind: 'truncate' }, code: 'MODEL_CORRUPT', title: 'Model files are corrupt', says: /ended after \d+ bytes.*incomplete/ },
    { name: 'manifest HTTP 503', file: 'manifest.json', fault: { kind: 'status', status: 503 }, code: 'NETWORK', title: 'Download failed', says: /HTTP 503/ },
  ];
  return withStudio(async ({ page }) => {
    const out = {};
    for (const [i, f] of faults.entries()) {
      server.fault(dir + f.file, f.fault);
      const opened = await open(page, server.url, { model: model.id });
      check(!opened.ready, `${f.name}: the model loaded despite the fault`);
      const b = await banner(page);
      check(b.code === f.code, `${f.name}: banner code ${b.code}, expected ${f.code}: ${b.text}`);
      check(b.text.includes(f.title) && f.says.test(b.text), `${f.name}: the banner does not say what happened: ${b.text}`);
      checkCacheSound(await cacheEntries(page), f.file);
      if (i === 0) out.shot = await shot(page, 'fault-network');
      server.fault(dir + f.file, null);
      await retry(page, f.name);
      const entries = await cacheEntries(page);
      checkCacheSound(entries, null);
      check(entries.filter((e) => e.model === model.manifest.id).length === files.length, `${f.name}: after Retry the cache holds ${entries.length} files, expected ${files.length}`);
      if (i === 0) await generateOnce(page, `${f.name}, after Retry`);
      await deleteStored(page, model.manifest.id);
      out[f.name] = b.text.split('\n').at(-1);
      log(`    ${f.name}: ${b.code}, Retry loaded`);
    }

    // A very slow server: progress keeps moving, Cancel stops the load, Retry (at full speed) loads.
    server.fault(dir + bigFile, { kind: 'slow', bytesPerSecond: 200_000 });
    await page.goto(new URL(`?model=${model.id}&ep=wasm`, server.url).href);
    const progress = page.getByTestId('load-progress');
    const loadedAt = async () => Number(await progress.getAttribute('data-loaded'));
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="load-progress"]')?.getAttribute('data-loaded')) > 0, null, { timeout: 60_000 });
    const samples = [await loadedAt()];
    for (let k = 0; k < 2; k++) {
      await page.waitForTimeout(1500);
      samples.push(await loadedAt());
    }
    check(samples[1] > samples[0] && samples[2] > samples[1], `progress did not keep moving on a slow server: ${samples.join(' -> ')} bytes`);
    const requestsBefore = server.requests.length;
    out.progressShot = await shot(page, 'fault-slow-progress');
    await page.getByTestId('load-cancel').click();
    const b = await banner(page);
    check(b.code === 'CANCELLED' && b.text.includes('Loading cancelled'), `Cancel during a slow load: ${b.code}: ${b.text}`);
    checkCacheSound(await cacheEntries(page), bigFile);
    out.slowShot = await shot(page, 'fault-cancelled-load');
    server.fault(dir + bigFile, null);
    await retry(page, 'after a cancelled load');
    out.slow = { progressBytes: samples, requestsAfterCancel: server.requests.length - requestsBefore };
    log(`    slow server: progress ${samples.join(' -> ')} bytes, cancelled, Retry loaded`);
    return out;
  });
}

/**
 * (t) Storage: the cache manager lists the stored model with its size and deletes it; with the site's quota
 * forced tiny (DevTools Storage.overrideQuotaForOrigin) the model still loads and runs from memory and the page
 * says it will not be kept; with all site data blocked (the profile's content setting) the same.
 */
export async function storageScenario(ctx, server) {
  const { model, log } = ctx;
  const total = model.loadFiles.reduce((s, f) => s + model.manifest.files[f].bytes, 0);
  const out = {};
  // Normal storage: kept, listed with its size, deleted.
  out.normal = await withStudio(async ({ page }) => {
    const opened = await open(page, server.url, { model: model.id });
    check(opened.ready, `model did not load: ${opened.message}`);
    const status = page.getByTestId('cache-status');
    await page.waitForSelector('[data-testid="cache-status"][data-kept="true"]', { timeout: 30_000 });
    const row = page.locator(`[data-testid="cache-row"][data-model="${model.manifest.id}"]`);
    await row.waitFor({ timeout: 30_000 });
    const listed = Number(await row.getAttribute('data-bytes'));
    check(listed === total, `the cache manager lists ${listed} bytes for ${model.manifest.id}, its files have ${total}`);
    check((await row.innerText()).includes('in use'), 'the loaded model is not marked "in use"');
    const shotPath = await shot(page, 'cache-manager');
    await deleteStored(page, model.manifest.id);
    check((await cacheEntries(page)).length === 0, 'Delete left files in the cache');
    check((await status.getAttribute('data-kept')) === 'false' && (await status.innerText()).includes('Deleted'), `after Delete the status says: ${await status.innerText()}`);
    await generateOnce(page, 'after deleting the stored model');
    return { listed, shot: shotPath };
  });
  log(`    cache manager: listed ${out.normal.listed} bytes, deleted`);

  // Over quota: every put fails (or most), the model runs from memory, the page says it is not kept.
  out.quota = await withStudio(async ({ page, browser }) => {
    const cdp = await browser.context.newCDPSession(page);
    await cdp.send('Storage.overrideQuotaForOrigin', { origin: new URL(server.url).origin, quotaSize: 1_000_000 });
    const opened = await open(page, server.url, { model: model.id });
    check(opened.ready, `model did not load with a full storage: ${opened.message}`);
    const notice = page.getByTestId('storage-notice');
    await notice.waitFor({ timeout: 30_000 });
    const text = await notice.innerText();
    check(/will not be kept/.test(text) && /Storage is full/.test(text), `the storage notice says: ${text}`);
    await generateOnce(page, 'with a full storage');
    const stored = (await cacheEntries(page)).reduce((s, e) => s + e.bytes, 0);
    check(stored < total, `all ${total} bytes were stored despite a 1 MB quota`);
    return { notice: text, storedBytes: stored, shot: await shot(page, 'storage-full') };
  });
  log(`    quota 1 MB: loaded from memory, ${out.quota.storedBytes} bytes stored, notice shown`);

  // Site data blocked (as in some private modes): Cache Storage refuses to open; the model still runs.
  out.blocked = await withStudio(
    async ({ page }) => {
      const opened = await open(page, server.url, { model: model.id });
      check(opened.ready, `model did not load without storage: ${opened.message}`);
      const available = await page.evaluate(() => caches.open('probe').then(() => true, () => false));
      check(!available, 'Cache Storage still opens with site data blocked: the scenario does not test what it says');
      const notice = page.getByTestId('storage-notice');
      await notice.waitFor({ timeout: 30_000 });
      const text = await notice.innerText();
      check(/cannot use storage/.test(text), `the storage notice says: ${text}`);
      await generateOnce(page, 'without storage');
      return { notice: text };
    },
    { prepareProfile: blockSiteData },
  );
  log('    site data blocked: loaded from memory, notice shown');
  return out;
}

/** Writes a profile whose content settings block all site data (cookies, and with them Cache Storage and IndexedDB). */
function blockSiteData(profile) {
  mkdirSync(join(profile, 'Default'), { recursive: true });
  writeFileSync(join(profile, 'Default', 'Preferences'), JSON.stringify({ profile: { default_content_setting_values: { cookies: 2 } } }));
}

/** A label with markup and a script that would set window.__pwned if it ever ran. */
const HOSTILE = '<img src=x onerror="window.__pwned=1"><b>bold</b>';

/**
 * (v) Manifests that lie. Copies of the model in dist/models/ whose manifest or files disagree: an ONNX input
 * renamed, a width that is not the graph's, another model's manifest over these files, a file size of a petabyte,
 * a 5 MB manifest, more classes than the graphs have (found by the load's warm-up generation); each a
 * MANIFEST_INVALID banner naming what disagrees, within seconds. Then hostile text: labels, groups, title and
 * description with markup and absurd limits: shown as text, nothing injected. (A huge class list that does load is
 * app/classFilter.test.ts's: the picker renders at most 300 radios.)
 */
export async function lyingManifestScenario(ctx, server) {
  const { model, log } = ctx;
  const { makeEditedCopy, rehash, replaceBytes, modelFolder } = await import('./models.mjs');
  const backbone = model.manifest.modules[0].backbone;
  // The head load() compiles is the default solver's: the width lie shows there first.
  const mod0 = model.manifest.modules[0];
  const loadedHead = model.manifest.sampling.defaults.solver === 'few_step' ? mod0.few_step : mod0.flow_head;
  const other = modelFolder('emoji32-nestar');
  const cases = [
    {
      name: 'an ONNX input renamed',
      copy: makeEditedCopy(model, 'e2e-renamed', (m, dir) => {
        replaceBytes(dir, backbone, 'query_cells', 'query_cellz');
        rehash(dir, m, backbone);
      }),
      says: new RegExp(`${backbone.replace('.', '\\.')}.*query_cellz`),
    },
    {
      name: 'a width the graph does not have',
      copy: makeEditedCopy(model, 'e2e-width', (m) => {
        m.modules[0].width = m.modules[0].width / 2;
      }),
      says: new RegExp(`${loadedHead.replace('.', '\\.')}: input z has shape .*modules\\[0\\]\\.width says`),
    },
    {
      name: "another model's manifest",
      copy: makeEditedCopy(model, 'e2e-other', () => {
        const lie = JSON.parse(JSON.stringify(other.manifest));
        lie.id = 'e2e-other';
        for (const f of Object.keys(lie.files)) rehash(join(DIST_MODELS, 'e2e-other'), lie, f);
        return lie;
      }),
      says: /tokens\.dim says 48/,
    },
    {
      name: 'a petabyte file',
      copy: makeEditedCopy(model, 'e2e-petabyte', (m) => {
        m.files[backbone].bytes = 1e15;
      }),
      says: /bytes is 1000000000000000, more than/,
    },
    {
      name: 'more classes than the graphs have',
      copy: makeEditedCopy(model, 'e2e-classes', (m) => {
        m.classes = Array.from({ length: 30_000 }, (_, i) => ({ index: i, label: `class-${i}`, group: 'g' }));
        m.null_class = 30_000;
      }),
      says: /first generation \(the load's warm-up, on wasm\) failed: .*Gather/s,
    },
    {
      name: 'a 5 MB manifest',
      copy: makeEditedCopy(model, 'e2e-huge-manifest', (m) => {
        m.description = 'x'.repeat(5 * 1024 * 1024);
      }),
      says: /more than 4194304 is not a manifest/,
    },
  ];
  const out = {};
  await withStudio(async ({ page }) => {
    for (const c of cases) {
      const started = Date.now();
      const opened = await open(page, server.url, { model: c.copy.id });
      const seconds = (Date.now() - started) / 1000;
      check(!opened.ready, `${c.name}: the model loaded`);
      check(opened.code === 'MANIFEST_INVALID', `${c.name}: banner ${opened.code}: ${opened.message}`);
      check(c.says.test(opened.message), `${c.name}: the banner does not say what disagrees: ${opened.message}`);
      out[c.name] = { seconds, message: opened.message.split('\n').at(-1) };
      log(`    ${c.name}: MANIFEST_INVALID in ${seconds.toFixed(1)} s`);
    }
    out.shot = await shot(page, 'fault-manifest');
  });

  // Hostile text and absurd limits: rendered as text, nothing injected, the form stays small and usable.
  const hostile = makeEditedCopy(model, 'e2e-hostile', (m) => {
    m.title = `Hostile ${HOSTILE}`;
    m.description = `Described with ${HOSTILE}<script>window.__pwned=2</script>`;
    m.classes = m.classes.map((c, i) => ({ ...c, label: i === 0 ? HOSTILE : c.label, group: i % 2 ? `<i>group</i> ${i % 7}` : c.group }));
    m.sampling.limits.ode_steps = [1, 1e9];
    m.sampling.limits.batch = [1, 1e6];
  });
  const classCount = hostile.manifest.classes.length;
  const lastLabel = hostile.manifest.classes.at(-1).label;
  out.hostile = await withStudio(async ({ page }) => {
    const started = Date.now();
    const opened = await open(page, server.url, { model: hostile.id });
    check(opened.ready, `the hostile-text model did not load: ${opened.message}`);
    const seconds = (Date.now() - started) / 1000;
    const label = await page.textContent('[data-testid="selected-class"]');
    check(label === HOSTILE, `the first class label is not shown as its literal text: ${label}`);
    const injected = await page.evaluate(() => ({
      pwned: window.__pwned ?? null,
      imgs: document.querySelectorAll('main img[src="x"], header img[src="x"]').length,
      bold: [...document.querySelectorAll('b')].filter((b) => b.textContent === 'bold').length,
      scripts: [...document.querySelectorAll('script')].filter((s) => s.textContent.includes('__pwned')).length,
    }));
    check(injected.pwned === null && injected.imgs === 0 && injected.bold === 0 && injected.scripts === 0, `manifest text was inserted as HTML: ${JSON.stringify(injected)}`);
    const radios = await page.locator('input[name="class"]').count();
    check(radios === classCount, `the class picker renders ${radios} radios for ${classCount} classes`);
    await page.getByLabel('Search classes').fill(lastLabel);
    await page.getByRole('radio', { name: lastLabel, exact: true }).check({ force: true });
    check((await page.textContent('[data-testid="selected-class"]')) === lastLabel, 'the last class cannot be picked by searching');
    const batchChoices = await page.locator('input[name="batch"]').count();
    check(batchChoices <= 8, `a batch limit of 1e6 gives ${batchChoices} batch choices`);
    const shotPath = await shot(page, 'fault-hostile-text');
    log(`    hostile text: loaded in ${seconds.toFixed(1)} s, text literal, ${radios} radios rendered`);
    return { seconds, radios, shot: shotPath };
  });
  return out;
}

/**
 * (x) Security: the page is served with the site's Content-Security-Policy (siteHeaders.mjs) and works under it:
 * load and a generation make no request outside the page's origin and trigger no CSP violation; the policy is in
 * force in the page and in the runtime worker (a fetch to another origin is refused in both).
 */
export async function securityScenario(ctx, server) {
  const origin = new URL(server.url).origin;
  return withStudio(async ({ page, browser, problems }) => {
    const requests = [];
    browser.context.on('request', (r) => requests.push(r.url()));
    await page.addInitScript(() => {
      window.__cspViolations = [];
      document.addEventListener('securitypolicyviolation', (e) => window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`));
    });
    const response = await page.goto(new URL(`?model=${ctx.model.id}&ep=wasm`, server.url).href);
    const csp = response.headers()['content-security-policy'] ?? '';
    check(/script-src 'self' 'wasm-unsafe-eval'/.test(csp) && /connect-src 'self'/.test(csp) && /worker-src 'self'/.test(csp), `the page is served without the expected CSP: "${csp}"`);
    await page.waitForSelector(`${READY}, ${BANNER}`, { timeout: 300_000 });
    check((await page.$(BANNER)) === null, `the model did not load under the CSP: ${(await page.$(BANNER)) ? await page.innerText(BANNER) : ''}`);
    await generateOnce(page, 'under the CSP');
    const foreign = requests.filter((u) => !u.startsWith(`${origin}/`) && !u.startsWith('data:') && !u.startsWith('blob:'));
    check(foreign.length === 0, `requests left the origin: ${foreign.slice(0, 5).join(', ')}`);
    const violations = await page.evaluate(() => window.__cspViolations);
    const cspConsole = problems.consoleErrors.filter((m) => /Content Security Policy|Content-Security-Policy/i.test(m));
    check(violations.length === 0 && cspConsole.length === 0, `CSP violations during load and generation: ${[...violations, ...cspConsole].join(' | ')}`);

    // The policy is in force: a fetch to another origin is refused by the CSP (a securitypolicyviolation on
    // connect-src, not merely a CORS failure) in the page and in the runtime worker.
    const elsewhere = `http://localhost:${server.port}/models/index.json`; // another origin (host differs), same server
    const probe = async (u) => {
      const seen = [];
      self.addEventListener('securitypolicyviolation', (e) => seen.push(`${e.violatedDirective} ${e.blockedURI}`));
      const result = await fetch(u).then(() => 'fetched', () => 'refused');
      await new Promise((r) => setTimeout(r, 200));
      return { result, violations: seen };
    };
    const fromPage = await page.evaluate(probe, elsewhere);
    const worker = await runtimeWorker(page);
    check(worker, 'no runtime worker to check');
    const fromWorker = await worker.evaluate(probe, elsewhere);
    for (const [where, r] of [['page', fromPage], ['worker', fromWorker]]) {
      check(r.result === 'refused' && r.violations.some((v) => v.startsWith('connect-src') && v.includes('localhost')), `the CSP did not refuse another origin in the ${where}: ${JSON.stringify(r)}`);
    }
    log(ctx, `    ${requests.length} requests, all same-origin; no CSP violation; another origin refused in the page and the worker`);
    return { requests: requests.length, csp };
  });
}

function log(ctx, line) {
  ctx.log(line);
}

/**
 * (u) Offline and new versions. A model copy is loaded (its files stored), then "released again" with one file
 * changed (a new sha256): a reload downloads only that file and the cache holds the new version, not the old.
 * Then, after one visit, the server stops: a reload still opens the page (service worker) and the model (model
 * cache, kept manifest), and Generate works. The server is restarted at the end for the scenarios after this one.
 */
export async function offlineScenario(ctx, server) {
  const { model, log } = ctx;
  const { loadFileNames, makeEditedCopy, rehash } = await import('./models.mjs');
  const versioned = makeEditedCopy(model, 'e2e-versioned', () => undefined);
  const changed = model.manifest.tokens?.decoder ?? model.manifest.modules[0].backbone; // a file every load fetches
  const onnxSince = (mark) => server.requests.slice(mark).filter((r) => r.path.endsWith('.onnx')).map((r) => r.path.split('/').at(-1));
  return withStudio(async ({ page }) => {
    const out = {};
    const loadFiles = loadFileNames(versioned.manifest);
    const firstMark = server.requests.length;
    let opened = await open(page, server.url, { model: versioned.id });
    check(opened.ready, `the model did not load: ${opened.message}`);
    // onnxruntime's WebAssembly: the build of the backend this page runs on (WASM here: the plain build, not the
    // WebGPU build's asyncify one), downloaded once and kept by the service worker on that use (app/serviceWorker.js).
    const wasm = server.requests.slice(firstMark).filter((r) => r.path.endsWith('.wasm')).map((r) => r.path.split('/').at(-1));
    check(opened.backend !== 'wasm' || (wasm.length === 1 && !wasm[0].includes('asyncify')), `the first visit on WASM fetched ${wasm.join(', ') || 'no .wasm'}; expected the plain build once`);
    const fetched = onnxSince(firstMark);
    check(fetched.length === loadFiles.length && loadFiles.every((f) => fetched.includes(f)), `the first load fetched ${fetched.join(', ')}; expected ${loadFiles.join(', ')}`);
    const before = await cacheEntries(page);
    const oldSha = before.find((e) => e.file === changed)?.sha;
    check(oldSha && before.length === loadFiles.length, `the first load stored ${before.length} files`);

    // The other solver's heads: not part of the load; fetched once, at the first run that asks for that solver.
    const other = versioned.manifest.sampling.defaults.solver === 'few_step' ? 'heun' : versioned.manifest.few_step ? 'few_step' : null;
    if (other) {
      const mark = server.requests.length;
      await setForm(page, { ...QUICK, solver: other });
      await clickGenerate(page);
      const end = await waitRunEnd(page, 300_000);
      check(end.status === 'done', `the first ${other} run ended ${end.status}${end.banner ? `: ${end.banner}` : ''}`);
      const heads = onnxSince(mark);
      const want = Object.keys(versioned.manifest.files).filter((f) => !loadFiles.includes(f));
      check(heads.length === want.length && want.every((f) => heads.includes(f)), `the first ${other} run fetched ${heads.join(', ') || 'nothing'}; expected ${want.join(', ')}`);
      const second = server.requests.length;
      await clickGenerate(page);
      check((await waitRunEnd(page, 300_000)).status === 'done', `the second ${other} run did not finish`);
      check(onnxSince(second).length === 0, `the second ${other} run fetched ${onnxSince(second).join(', ')}`);
      const stored = (await cacheEntries(page)).filter((e) => e.model === versioned.id);
      check(stored.length === Object.keys(versioned.manifest.files).length, `after the ${other} runs the cache holds ${stored.length} files`);
      await setForm(page, { solver: versioned.manifest.sampling.defaults.solver });
      out.onDemand = { solver: other, fetched: heads };
      log(`    first ${other} run fetched its heads (${heads.length} files), the next none`);
    }

    // Version 2: the same model with `changed` re-exported (one more protobuf field: producer_version "v2").
    const path = join(versioned.dir, changed);
    writeFileSync(path, Buffer.concat([readFileSync(path), Buffer.from([0x1a, 0x02, 0x76, 0x32])]));
    rehash(versioned.dir, versioned.manifest, changed);
    writeFileSync(join(versioned.dir, 'manifest.json'), JSON.stringify(versioned.manifest));
    const mark = server.requests.length;
    opened = await open(page, server.url, { model: versioned.id });
    check(opened.ready, `version 2 did not load: ${opened.message}`);
    const downloaded = server.requests.slice(mark).filter((r) => r.path.endsWith('.onnx')).map((r) => r.path.split('/').at(-1));
    check(downloaded.length === 1 && downloaded[0] === changed, `version 2 downloaded ${downloaded.join(', ') || 'nothing'}, expected only ${changed}`);
    await page.waitForTimeout(500); // pruning runs after ready
    const after = (await cacheEntries(page)).filter((e) => e.model === versioned.id);
    const newSha = versioned.manifest.files[changed].sha256;
    check(after.some((e) => e.file === changed && e.sha === newSha), 'the new version of the file is not in the cache');
    check(!after.some((e) => e.sha === oldSha), 'the old version of the file is still in the cache');
    check(after.length === before.length + (out.onDemand?.fetched.length ?? 0), `the cache holds ${after.length} files of the model after the update`);
    out.update = { downloaded, replaced: `${oldSha.slice(0, 12)} -> ${newSha.slice(0, 12)}` };
    log(`    new version: downloaded only ${changed}; cache ${out.update.replaced}`);

    // One visit of the default model, with a generation; then the server goes away.
    opened = await open(page, server.url, { model: model.id });
    check(opened.ready, `the model did not load: ${opened.message}`);
    await generateOnce(page, 'online');
    await page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));
    await page.waitForFunction(async () => (await caches.keys()).some((k) => k.startsWith('nestar-shell-')) && navigator.serviceWorker.controller !== null, null, { timeout: 60_000 }).catch(() => undefined);

    // A new deployment while online (a new sw.js: another shell version). Its install no longer fetches the .wasm;
    // the one the old shell kept moves into the new shell cache, so the offline visit below still has it.
    const swPath = join(DIST, 'sw.js');
    const deployed = readFileSync(swPath, 'utf8');
    const redeployed = deployed.replace(/const SHELL_VERSION = "([0-9a-f]+)";/, 'const SHELL_VERSION = "$1-e2e";');
    check(redeployed !== deployed, 'dist/sw.js has no SHELL_VERSION to change');
    writeFileSync(swPath, redeployed);
    try {
      await page.evaluate(() => navigator.serviceWorker.getRegistration().then((r) => r?.update()));
      const shellCaches = () => page.evaluate(async () => (await caches.keys()).filter((k) => k.startsWith('nestar-shell-')));
      const deadline = Date.now() + 60_000;
      let names = await shellCaches();
      while (!(names.length === 1 && names[0].endsWith('-e2e')) && Date.now() < deadline) {
        await page.waitForTimeout(250);
        names = await shellCaches();
      }
      check(names.length === 1 && names[0].endsWith('-e2e'), `after the new deployment the shell caches are ${names.join(', ')}`);
      const kept = await page.evaluate(async (name) => (await (await caches.open(name)).keys()).filter((r) => r.url.endsWith('.wasm')).length, names[0]);
      check(kept === 1, `after the new deployment the shell cache holds ${kept} .wasm files, expected the one kept before`);
      log('    new deployment: the new shell took over the kept .wasm');
    } finally {
      writeFileSync(swPath, deployed);
    }
    await server.stop();
    try {
      const offlineStarted = Date.now();
      const reachable = await page.evaluate((u) => fetch(u, { cache: 'no-store' }).then(() => true, () => false), new URL(`models/${model.id}/manifest.json?probe`, server.url).href); // not a path the service worker answers
      check(!reachable, 'the server still answers after stop()');
      await page.reload();
      await page.waitForSelector(`${READY}, ${BANNER}`, { timeout: 120_000 });
      const left = await page.$(BANNER);
      check(left === null, `offline, the model did not load: ${left ? await left.innerText() : ''}`);
      await generateOnce(page, 'offline');
      out.offlineSeconds = (Date.now() - offlineStarted) / 1000;
      out.shot = await shot(page, 'offline');
      log(`    offline: page, model and a generation in ${out.offlineSeconds.toFixed(1)} s with the server stopped`);
    } finally {
      await server.restart();
    }
    return out;
  });
}

/**
 * (w) A GPU lost mid-run (SwiftShader WebGPU, forced with ?ep=webgpu): the runtime worker's GPUDevice is recorded
 * as onnxruntime creates it and destroyed from the test while a generation runs. The run ends (no hang) with a
 * notice that says the GPU was lost; the page loads the model again on WASM, and the next Generate finishes there.
 */
export async function deviceLostScenario(ctx, server) {
  const { model, log } = ctx;
  return withStudio(async ({ page }) => {
    // Record every GPUDevice the runtime worker creates (the em-pthread workers are WASM threads: no GPU there).
    page.on('worker', (worker) => {
      void worker
        .evaluate(() => {
          if (self.name !== 'nestar-runtime') return; // its WASM threads (em-pthread) share the script URL
          const original = GPUAdapter.prototype.requestDevice;
          self.__nestarDevices = [];
          GPUAdapter.prototype.requestDevice = async function (...args) {
            const device = await original.apply(this, args);
            self.__nestarDevices.push(device);
            return device;
          };
        })
        .catch(() => undefined);
    });
    const opened = await open(page, server.url, { model: model.id, ep: 'webgpu' });
    check(opened.ready && opened.backend === 'webgpu', `the model did not load on WebGPU: ${opened.message ?? opened.backend}`);
    const runtime = await runtimeWorker(page);
    check(runtime, 'no runtime worker');
    const devices = await runtime.evaluate(() => self.__nestarDevices?.length ?? 0);
    check(devices > 0, 'no GPUDevice was recorded in the runtime worker (the patch came too late?)');

    // The ODE path (not a model's few-step default): on SwiftShader its run lasts long enough to lose the GPU in it.
    await setForm(page, { solver: 'heun', odeSteps: 2, batch: 1 });
    await clickGenerate(page);
    await page.waitForTimeout(1500); // mid-run: SwiftShader takes seconds per scale
    check((await page.getAttribute('[data-testid="run-status"]', 'data-status')) === 'running', 'the run ended before the device could be lost mid-run');
    const lostAt = Date.now();
    await runtime.evaluate(() => self.__nestarDevices.forEach((d) => d.destroy()));
    const notice = page.getByTestId('device-notice');
    await notice.waitFor({ timeout: 60_000 });
    const endedSeconds = (Date.now() - lostAt) / 1000;
    const text = await notice.innerText();
    check(/GPU was lost/.test(text) && /WASM/.test(text), `the notice does not say what happened: ${text}`);
    await page.waitForSelector(`${READY}[data-backend="wasm"], ${BANNER}`, { timeout: 120_000 });
    check((await page.$(BANNER)) === null, `reloading on WASM failed: ${(await page.$(BANNER)) ? await page.innerText(BANNER) : ''}`);
    const shotPath = await shot(page, 'fault-device-lost');
    await generateOnce(page, 'after the lost GPU');
    check((await page.getAttribute(READY, 'data-backend')) === 'wasm', 'the run after the lost GPU did not run on WASM');
    log(`    device destroyed mid-run: run ended in ${endedSeconds.toFixed(1)} s, notice shown, next Generate ran on WASM`);
    return { endedSeconds, notice: text, shot: shotPath };
  });
}
