// The options of `npm run bench`, parsed and checked in one place, and the plan they imply: which cells each backend
// runs and which bench models must be exported. Pure (no I/O), so bench/options.test.mjs checks every option without
// running the benchmark.

/** Token counts models/bench_models.py can export (its IMAGE_AND_PATCH). */
export const TOKEN_COUNTS = [64, 256, 1024];
export const BACKENDS = ['node-wasm', 'node-cpu', 'browser-wasm', 'browser-webgpu'];
export const ARCHS = ['nestar', 'raster'];
/**
 * Sampling paths (issue 9): 'ode' = each model's default solver (16 Heun steps, guidance doubling the batch), the
 * old path; 'few_step' = solver "few_step", the distilled sampler in one call per step on the undoubled batch.
 */
export const PATHS = ['ode', 'few_step'];

export const USAGE = `npm run bench [-- options]   (defaults = the full run)
  --repeats=5             kept runs per cell in Node (after one warm-up each)
  --browser-repeats=7     kept runs per cell in the page on WASM (its spread is wide: with 3, the first preview
                          moved 10 -> 13 ms between two full runs)
  --tokens=64,256,1024    token counts (the cost curve, batch 1); at least one of ${TOKEN_COUNTS.join(', ')}
  --batch8-tokens=64,256  token counts also run at batch 8 (1024 x 8 is minutes per run on 2 cores); may be empty
  --browser-tokens=64,256 token counts run in Chromium at batch 1; may be empty
  --webgpu-repeats=1, --webgpu-ode-steps=1   SwiftShader WebGPU is a CPU emulation ~70 ms per call here: with the
                          default 16 Heun steps one raster n=256 image takes ~10 min, so it runs 1 ODE step
  --backends=node-wasm,node-cpu,browser-wasm,browser-webgpu   (node-cpu only if onnxruntime-node is installed)
  --paths=ode,few_step    sampling paths, timed interleaved in every cell: ode = the models' default 16-step Heun
                          ODE with guidance (--webgpu-ode-steps applies to it), few_step = the one-call few-step sampler
  --no-build              reuse dist/ for the browser runs
  --report-only           rewrite RESULTS.md, the PNG and the README section from bench/results.json
  --help                  this text
--batch8-tokens and --browser-tokens pick among --tokens: when given, every count must be in --tokens; their
defaults are cut down to --tokens.`;

/** kind: 'count' (a whole number >= 1), 'tokens' (a list of TOKEN_COUNTS) or 'backends' (a list of BACKENDS). */
const VALUED = {
  repeats: { key: 'repeats', kind: 'count', default: '5' },
  'browser-repeats': { key: 'browserRepeats', kind: 'count', default: '7' },
  tokens: { key: 'tokens', kind: 'tokens', default: '64,256,1024' },
  'batch8-tokens': { key: 'batch8Tokens', kind: 'tokens', default: '64,256' },
  'browser-tokens': { key: 'browserTokens', kind: 'tokens', default: '64,256' },
  'webgpu-repeats': { key: 'webgpuRepeats', kind: 'count', default: '1' },
  'webgpu-ode-steps': { key: 'webgpuOdeSteps', kind: 'count', default: '1' },
  backends: { key: 'backends', kind: 'backends', default: 'node-wasm,node-cpu,browser-wasm,browser-webgpu' },
  paths: { key: 'paths', kind: 'paths', default: 'ode,few_step' },
};
const FLAGS = { 'no-build': 'noBuild', 'report-only': 'reportOnly', help: 'help' };

/** The default value of every valued option, as written on the command line. */
export const DEFAULTS = Object.fromEntries(Object.entries(VALUED).map(([name, spec]) => [name, spec.default]));

/** A bad command line; the message says which argument and what would be accepted. */
export class BenchOptionError extends Error {
  constructor(message) {
    super(`${message}\n(npm run bench -- --help lists the options)`);
    this.name = 'BenchOptionError';
  }
}

function parseValue(name, kind, text) {
  if (kind === 'count') {
    if (!/^[0-9]+$/.test(text) || Number(text) < 1) throw new BenchOptionError(`--${name}=${text}: expected a whole number >= 1`);
    return Number(text);
  }
  if (text === '') return [];
  const items = text.split(',');
  if (items.some((x) => x === '')) throw new BenchOptionError(`--${name}=${text}: empty entry in the list`);
  const dup = items.find((x, i) => items.indexOf(x) !== i);
  if (dup !== undefined) throw new BenchOptionError(`--${name}=${text}: ${dup} is listed twice`);
  if (kind === 'backends') {
    const bad = items.find((b) => !BACKENDS.includes(b));
    if (bad !== undefined) throw new BenchOptionError(`--${name}=${text}: unknown backend "${bad}" (known: ${BACKENDS.join(', ')})`);
    return items;
  }
  if (kind === 'paths') {
    const bad = items.find((p) => !PATHS.includes(p));
    if (bad !== undefined) throw new BenchOptionError(`--${name}=${text}: unknown path "${bad}" (known: ${PATHS.join(', ')})`);
    return items;
  }
  const bad = items.find((t) => !TOKEN_COUNTS.includes(Number(t)) || !/^[0-9]+$/.test(t));
  if (bad !== undefined) throw new BenchOptionError(`--${name}=${text}: "${bad}" is not a bench token count (${TOKEN_COUNTS.join(', ')})`);
  return items.map(Number);
}

/**
 * Parses `npm run bench` arguments (process.argv.slice(2)). Returns the typed options ({repeats, browserRepeats,
 * tokens, batch8Tokens, browserTokens, webgpuRepeats, webgpuOdeSteps, backends, paths, noBuild, reportOnly, help}) and
 * `changed`: the `--name=value` arguments that differ from the defaults (what makes a run "reduced").
 * Throws BenchOptionError on anything it does not understand.
 */
export function parseOptions(argv) {
  const given = {};
  const flags = { noBuild: false, reportOnly: false, help: false };
  for (const arg of argv) {
    const m = /^--([a-z0-9-]+)(?:=(.*))?$/s.exec(arg);
    if (!m) throw new BenchOptionError(`unexpected argument "${arg}": options are written --name=value or --flag`);
    const [, name, value] = m;
    if (name in FLAGS) {
      if (value !== undefined) throw new BenchOptionError(`--${name} takes no value (got --${name}=${value})`);
      flags[FLAGS[name]] = true;
    } else if (name in VALUED) {
      if (value === undefined) throw new BenchOptionError(`--${name} needs a value, e.g. --${name}=${VALUED[name].default}`);
      if (name in given) throw new BenchOptionError(`--${name} is given twice (${given[name]} and ${value})`);
      given[name] = value;
    } else {
      throw new BenchOptionError(`unknown option --${name} (known: ${[...Object.keys(VALUED), ...Object.keys(FLAGS)].map((n) => `--${n}`).join(', ')})`);
    }
  }

  const options = { ...flags };
  for (const [name, spec] of Object.entries(VALUED)) options[spec.key] = parseValue(name, spec.kind, given[name] ?? spec.default);
  if (options.tokens.length === 0) throw new BenchOptionError(`--tokens= is empty: give at least one of ${TOKEN_COUNTS.join(', ')}`);
  if (options.backends.length === 0) throw new BenchOptionError(`--backends= is empty: give at least one of ${BACKENDS.join(', ')}`);
  if (options.paths.length === 0) throw new BenchOptionError(`--paths= is empty: give at least one of ${PATHS.join(', ')}`);
  for (const name of ['batch8-tokens', 'browser-tokens']) {
    const key = VALUED[name].key;
    if (name in given) {
      const outside = options[key].filter((n) => !options.tokens.includes(n));
      if (outside.length) throw new BenchOptionError(`--${name}=${given[name]}: ${outside.join(', ')} not in --tokens=${options.tokens.join(',')}`);
    } else {
      options[key] = options[key].filter((n) => options.tokens.includes(n));
    }
  }
  // Lists compare as sets: the order of --tokens or --backends changes the order of work, not what is measured.
  const canonical = (name, text) => JSON.stringify([parseValue(name, VALUED[name].kind, text)].flat().sort());
  options.given = Object.keys(given);
  options.changed = options.given.filter((name) => canonical(name, given[name]) !== canonical(name, VALUED[name].default)).map((name) => `--${name}=${given[name]}`);
  return options;
}

export const modelId = (arch, tokens) => `bench-${arch}-n${tokens}`;

/**
 * What a run of `options` does, given the node backends that can actually load here (`missing`: asked-for backends
 * that cannot, e.g. node-cpu without onnxruntime-node). Returns
 *   nodeBackends  ['node-wasm', ...]            each runs every cell of nodeCells, plus the matmul peak
 *   nodeCells     [{tokens, batch}]             in run order
 *   browserEps    ['wasm', 'webgpu']            each runs browserTokens at batch 1
 *   browserTokens [n]                           (empty when no browser backend is asked for)
 *   exportTokens  [n]                           token counts models/bench_models.py must export
 *   modelIds      ['bench-nestar-n256', ...]    the model folders the run reads
 *   browserModelIds                             those copied into the built site
 *   paths         ['ode', 'few_step']           timed in every cell, interleaved with each other (--paths)
 *   needsMatmul, needsBuild
 * Throws BenchOptionError when nothing would be measured.
 */
export function planRun(options, missing = []) {
  const backends = options.backends.filter((b) => !missing.includes(b));
  const nodeBackends = backends.filter((b) => b.startsWith('node-'));
  const browserEps = backends.filter((b) => b.startsWith('browser-')).map((b) => b.slice('browser-'.length));
  const nodeCells = nodeBackends.length
    ? options.tokens.flatMap((tokens) => (options.batch8Tokens.includes(tokens) ? [1, 8] : [1]).map((batch) => ({ tokens, batch })))
    : [];
  const browserTokens = browserEps.length ? options.browserTokens : [];
  if (!nodeCells.length && !browserTokens.length) {
    const why = [];
    if (missing.length) why.push(`${missing.join(', ')} cannot be loaded here`);
    if (browserEps.length) {
      why.push(
        options.given?.includes('browser-tokens')
          ? `the browser backends were given no token counts (--browser-tokens=)`
          : `no count of the default --browser-tokens=${DEFAULTS['browser-tokens']} is in --tokens=${options.tokens.join(',')} (name the browser's counts with --browser-tokens)`,
      );
    }
    throw new BenchOptionError(`nothing to measure with --backends=${options.backends.join(',')}: ${why.join('; ')}`);
  }
  const exportTokens = options.tokens.filter((n) => nodeCells.some((c) => c.tokens === n) || browserTokens.includes(n));
  const ids = (tokenCounts) => tokenCounts.flatMap((n) => ARCHS.map((arch) => modelId(arch, n)));
  return {
    nodeBackends,
    nodeCells,
    browserEps,
    browserTokens,
    exportTokens,
    modelIds: ids(exportTokens),
    browserModelIds: ids(browserTokens),
    paths: options.paths,
    needsMatmul: nodeBackends.length > 0,
    needsBuild: browserTokens.length > 0 && !options.noBuild,
  };
}
