#!/usr/bin/env node
// Threaded WASM: the same model on onnxruntime-web's wasm backend with 1 thread and with N threads, side by side.
// `npm run bench:threads [-- options]`; prints the table and writes bench/threads.json (--in=page:
// bench/threads-page-n<tokens>-b<batch>.json).
//
// --in=page runs the real page in Chromium instead, one browser per thread count and model, opened with
// ?threads=N (the page's own thread choice is src/backend.ts's), generations alternating between them the same way.
//
// onnxruntime starts its WASM runtime once per JavaScript context, with the thread count it finds then (the page
// decides it in src/backend.ts), so each thread count lives in its own Node process, forked once. The parent sends
// them the same generations in turn, one at a time (1, N, 1, N, ...), so drift in the machine's load hits every count
// alike; the first run of each is a warm-up. Reported: ms per image per count, and the speed-up as the median of the
// per-repeat ratios (each ratio from two neighbouring runs), next to the ratio of medians.
import { fork, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { generateOnPage, openModelPage, serveSite } from './browser.mjs';
import { loadEntry, ROOT } from './bundle.mjs';
import { TRAINER_RUNNING, trainerState } from './trainerState.mjs';
import { modelId, TOKEN_COUNTS, ARCHS } from './options.mjs';
import { fmt, summarize } from './stats.mjs';

const MODELS = join(ROOT, '.cache', 'bench-models');
const ENTRY = join(ROOT, '.cache', 'bench-build', 'entry.mjs'); // what loadEntry() builds

export const THREADS_USAGE = `npm run bench:threads [-- options]
  --tokens=256        one bench token count (${TOKEN_COUNTS.join(', ')})
  --batch=8           images per generation
  --repeats=5         kept runs per thread count (after one warm-up each)
  --threads=1,2       thread counts compared; the first is the baseline of the speed-up
  --archs=nestar      models: nestar, raster or both (nestar,raster)
  --path=ode          sampling: ode (the models' default 16-step Heun) or few_step (the one-call few-step sampler)
  --in=node           node (onnxruntime-web's wasm in Node) or page (the page in Chromium, built and served here)
  --warmups=1         runs per count and model dropped before the kept ones (the page needs more: 4-8)
  --help              this text`;

const DEFAULTS = { tokens: '256', batch: '8', repeats: '5', threads: '1,2', archs: 'nestar', path: 'ode', in: 'node', warmups: '1' };
const PATHS = ['ode', 'few_step'];
const WHERE = ['node', 'page'];

/** Parses the options above; throws an Error naming the bad argument. Pure, for bench/threads.test.mjs. */
export function parseThreadOptions(argv) {
  const given = {};
  let help = false;
  for (const arg of argv) {
    const m = /^--([a-z]+)(?:=(.*))?$/s.exec(arg);
    if (!m) throw new Error(`unexpected argument "${arg}": options are written --name=value`);
    const [, name, value] = m;
    if (name === 'help' && value === undefined) help = true;
    else if (!(name in DEFAULTS)) throw new Error(`unknown option --${name} (known: ${Object.keys(DEFAULTS).map((n) => `--${n}`).join(', ')}, --help)`);
    else if (value === undefined || value === '') throw new Error(`--${name} needs a value, e.g. --${name}=${DEFAULTS[name]}`);
    else if (name in given) throw new Error(`--${name} is given twice`);
    else given[name] = value;
  }
  const text = { ...DEFAULTS, ...given };
  const count = (name, s) => {
    if (!/^[0-9]+$/.test(s) || Number(s) < 1) throw new Error(`--${name}=${text[name]}: expected whole numbers >= 1`);
    return Number(s);
  };
  const list = (name) => {
    const items = text[name].split(',');
    const dup = items.find((x, i) => items.indexOf(x) !== i);
    if (dup !== undefined) throw new Error(`--${name}=${text[name]}: ${dup} is listed twice`);
    return items;
  };
  const tokens = count('tokens', text.tokens);
  if (!TOKEN_COUNTS.includes(tokens)) throw new Error(`--tokens=${text.tokens}: not a bench token count (${TOKEN_COUNTS.join(', ')})`);
  const threads = list('threads').map((t) => count('threads', t));
  if (threads.length < 2) throw new Error(`--threads=${text.threads}: give at least two counts to compare`);
  const archs = list('archs');
  const bad = archs.find((a) => !ARCHS.includes(a));
  if (bad !== undefined) throw new Error(`--archs=${text.archs}: unknown model "${bad}" (${ARCHS.join(', ')})`);
  const oneOf = (name, known) => {
    if (!known.includes(text[name])) throw new Error(`--${name}=${text[name]}: expected one of ${known.join(', ')}`);
    return text[name];
  };
  if (!/^[0-9]+$/.test(text.warmups)) throw new Error(`--warmups=${text.warmups}: expected a whole number >= 0`);
  return {
    tokens,
    batch: count('batch', text.batch),
    repeats: count('repeats', text.repeats),
    threads,
    archs,
    path: oneOf('path', PATHS),
    where: oneOf('in', WHERE),
    warmups: Number(text.warmups),
    help,
    changed: Object.keys(given),
  };
}

/** Median of the per-repeat ratios baseline/other (> 1: `other` is faster) and the ratio of the medians. */
export function speedup(baselineMs, otherMs) {
  if (baselineMs.length !== otherMs.length || baselineMs.length === 0) throw new Error('speedup: needs paired, non-empty runs');
  return {
    pairedMedian: summarize(baselineMs.map((b, i) => b / otherMs[i])).median,
    ofMedians: summarize(baselineMs).median / summarize(otherMs).median,
  };
}

// ---- child: one thread count, its models open, generations on request ----
async function child(threads, tokens, archs, path) {
  const ort = await import('onnxruntime-web');
  ort.env.wasm.numThreads = threads; // before the first session (the runtime starts with it)
  const entry = await import(pathToFileURL(ENTRY).href);
  const models = {};
  for (const arch of archs) models[arch] = await entry.openBenchModel(ort, join(MODELS, modelId(arch, tokens)), 'wasm');
  process.on('message', async ({ arch, batch, seed }) => {
    try {
      process.send({ timing: await models[arch].generate(batch, seed, path) });
    } catch (e) {
      process.send({ error: e instanceof Error ? e.stack : String(e) });
    }
  });
  process.on('disconnect', () => process.exit(0));
  process.send({ ready: true, threads: ort.env.wasm.numThreads });
}

function startChild(threads, tokens, archs, path) {
  const proc = fork(new URL(import.meta.url).pathname, ['--child', String(threads), String(tokens), archs.join(','), path], { stdio: 'inherit' });
  let pending = null;
  const ready = new Promise((resolve, reject) => {
    proc.once('message', (m) => (m.ready ? resolve(m) : reject(new Error(`child ${threads}: ${JSON.stringify(m)}`))));
    proc.once('exit', (code) => reject(new Error(`the ${threads}-thread process exited (${code}) before it was ready`)));
  });
  proc.on('message', (m) => {
    if (!pending || m.ready) return;
    const { resolve, reject } = pending;
    pending = null;
    if (m.error) reject(new Error(`${threads} threads: ${m.error}`));
    else resolve(m.timing);
  });
  return {
    ready,
    generate: (arch, batch, seed) =>
      new Promise((resolve, reject) => {
        pending = { resolve, reject };
        proc.send({ arch, batch, seed });
      }),
    stop: () => proc.connected && proc.disconnect(),
  };
}

/** The ODE solver of a bench model's ODE path: its default, or heun where its default is the few-step sampler. */
function odeSolver(arch, tokens) {
  const solver = JSON.parse(readFileSync(join(MODELS, modelId(arch, tokens), 'manifest.json'), 'utf8')).sampling.defaults.solver;
  return solver === 'few_step' ? 'heun' : solver;
}

/** The --in=page counterpart of startChild: per model a Chromium with the page opened at ?threads=`threads`. */
function startPageChild(url, threads, tokens, archs, path) {
  const pages = {};
  const solvers = Object.fromEntries(archs.map((arch) => [arch, odeSolver(arch, tokens)]));
  const ready = (async () => {
    for (const arch of archs) {
      const browser = await openModelPage(url, modelId(arch, tokens), 'wasm', { threads });
      pages[arch] = browser;
      const shown = Number(await browser.page.getAttribute('[data-testid="stat-threads"]', 'data-threads'));
      if (shown !== threads) throw new Error(`the page opened with ?threads=${threads} runs ${shown} thread(s) (is it cross-origin isolated?)`);
    }
    return { threads };
  })();
  return {
    ready,
    generate: async (arch, batch, seed) => generateOnPage(pages[arch].page, batch, seed, null, path, solvers[arch]),
    stop: () => Promise.all(Object.values(pages).map((b) => b.close())),
  };
}

/**
 * This process's scheduling priority. With Linux autogroups on, `nice` only ranks processes within one session;
 * against a trainer in another session, what counts is the session's autogroup nice (/proc/self/autogroup).
 */
function priority() {
  let autogroup = null;
  try {
    autogroup = readFileSync('/proc/self/autogroup', 'utf8').trim();
  } catch {
    // not Linux, or no autogroups
  }
  return { nice: os.getPriority(), autogroup };
}

async function main(argv) {
  const options = parseThreadOptions(argv);
  if (options.help) return console.log(THREADS_USAGE);
  const { tokens, batch, repeats, threads, archs, path, where, warmups } = options;
  const log = (line) => console.log(line);
  log(`writing the bench models (${archs.map((a) => modelId(a, tokens)).join(', ')}; cached in ${MODELS})`);
  const exported = spawnSync('/usr/bin/python3', [join(ROOT, 'models', 'bench_models.py'), '--out', MODELS, '--tokens', String(tokens)], { stdio: 'inherit' });
  if (exported.status !== 0) throw new Error(`models/bench_models.py failed (exit ${exported.status})`);
  const started = Date.now();
  let site = null;
  let children = [];
  try {
    if (where === 'page') {
      site = await serveSite(archs.map((a) => join(MODELS, modelId(a, tokens))), { noBuild: false });
      // One browser at a time: several starting together on 2 cores time out.
      for (const t of threads) {
        children.push(startPageChild(site.url, t, tokens, archs, path));
        await children.at(-1).ready;
      }
    } else {
      await loadEntry(); // builds ENTRY once, for every child
      children = threads.map((t) => startChild(t, tokens, archs, path));
      await Promise.all(children.map((c) => c.ready));
    }
    const runs = Object.fromEntries(archs.map((a) => [a, threads.map(() => [])]));
    for (let r = -warmups; r < repeats; r++) {
      for (const arch of archs) {
        // The order of the counts alternates each round, so that neither always runs right after the other.
        const order = (r + warmups) % 2 ? [...children.keys()].reverse() : [...children.keys()];
        for (const i of order) {
          const t = await children[i].generate(arch, batch, 1000 + r);
          log(`  ${r < 0 ? 'warm-up' : `run ${r + 1}/${repeats}`} ${arch} ${threads[i]} thread(s): ${t.totalMs.toFixed(0)} ms (${(t.totalMs / batch).toFixed(0)} ms/image)`);
          if (r >= 0) runs[arch][i].push(t.totalMs / batch);
        }
      }
    }
    const trainer = trainerState();
    const load = trainer === 'paused' ? 'models/train.py was paused (stopped) during the run' : trainer === 'running' ? TRAINER_RUNNING : null;
    const results = {
      meta: {
        command: ['npm run bench:threads', ...(argv.length ? ['--', ...argv] : [])].join(' '),
        date: new Date().toISOString(),
        cpus: os.cpus().length,
        cpu: os.cpus()[0]?.model ?? 'unknown',
        node: process.version,
        load,
        priority: priority(),
        in: where,
        path,
        tokens,
        batch,
        repeats,
        warmups,
        seconds: Math.round((Date.now() - started) / 1000),
      },
      records: archs.flatMap((arch) =>
        threads.map((t, i) => ({
          arch,
          threads: t,
          msPerImage: summarize(runs[arch][i]),
          runsMsPerImage: runs[arch][i],
          speedupVsBaseline: i === 0 ? null : speedup(runs[arch][0], runs[arch][i]),
        })),
      ),
    };
    const file = where === 'page' ? `threads-page-n${tokens}-b${batch}.json` : 'threads.json';
    writeFileSync(join(ROOT, 'bench', file), JSON.stringify(results, null, 1) + '\n');
    const engine = where === 'page' ? 'the page in Chromium (WASM)' : `onnxruntime-web wasm in Node ${process.version}`;
    log(`\n${engine}, n = ${tokens}, batch ${batch}, ${path === 'few_step' ? 'few-step sampler' : 'ODE'}, ${repeats} interleaved runs per count after ${warmups} warm-up(s), ${os.cpus().length} cores${load ? ` (${load})` : ''}`);
    log('model    threads  ms/image median (min-max)   speed-up vs ' + threads[0] + ' (median of paired ratios; ratio of medians)');
    for (const rec of results.records) {
      const s = rec.msPerImage;
      const up = rec.speedupVsBaseline ? `${rec.speedupVsBaseline.pairedMedian.toFixed(2)}x; ${rec.speedupVsBaseline.ofMedians.toFixed(2)}x` : 'baseline';
      log(`${rec.arch.padEnd(8)} ${String(rec.threads).padStart(7)}  ${`${fmt(s.median)} (${fmt(s.min)}-${fmt(s.max)})`.padEnd(26)} ${up}`);
    }
    log(`wrote bench/${file} in ${results.meta.seconds} s`);
  } finally {
    await Promise.all(children.map((c) => c.stop()));
    await site?.stop();
  }
}

if (process.argv[2] === '--child') {
  child(Number(process.argv[3]), Number(process.argv[4]), process.argv[5].split(','), process.argv[6]).catch((e) => {
    console.error(e);
    process.exit(1);
  });
} else if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((e) => {
    console.error(`npm run bench:threads: ${e instanceof Error ? e.message : e}`);
    process.exit(1);
  });
}
