// `npm run bench` option handling (bench/options.mjs): every documented option, bad values, and, for every
// combination of token lists and backends, which model folders the run will read (issue 9: a run read the n = 64
// models that it had not asked for).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ARCHS, BACKENDS, BenchOptionError, DEFAULTS, modelId, parseOptions, PATHS, planRun, TOKEN_COUNTS, USAGE } from './options.mjs';

const ids = (tokenCounts) => tokenCounts.flatMap((n) => ARCHS.map((arch) => modelId(arch, n)));
const subsets = (xs) => xs.reduce((acc, x) => [...acc, ...acc.map((s) => [...s, x])], [[]]);
const bad = (argv, pattern) => expect(() => parseOptions(argv)).toThrow(pattern);

describe('parseOptions', () => {
  it('gives the full run without arguments', () => {
    const o = parseOptions([]);
    expect(o).toMatchObject({
      repeats: 5, browserRepeats: 7, tokens: [64, 256, 1024], batch8Tokens: [64, 256], browserTokens: [64, 256],
      webgpuRepeats: 1, webgpuOdeSteps: 1, backends: BACKENDS, paths: ['ode', 'few_step'], noBuild: false, reportOnly: false, help: false,
    });
    expect(o.changed).toEqual([]);
  });

  it.each([
    ['--repeats=2', { repeats: 2 }],
    ['--browser-repeats=1', { browserRepeats: 1 }],
    ['--tokens=1024', { tokens: [1024], batch8Tokens: [], browserTokens: [] }],
    ['--batch8-tokens=1024', { batch8Tokens: [1024] }],
    ['--batch8-tokens=', { batch8Tokens: [] }],
    ['--browser-tokens=256,1024', { browserTokens: [256, 1024] }],
    ['--browser-tokens=', { browserTokens: [] }],
    ['--webgpu-repeats=3', { webgpuRepeats: 3 }],
    ['--webgpu-ode-steps=4', { webgpuOdeSteps: 4 }],
    ['--backends=browser-webgpu,node-wasm', { backends: ['browser-webgpu', 'node-wasm'] }],
    ['--paths=ode', { paths: ['ode'] }],
    ['--paths=few_step', { paths: ['few_step'] }],
  ])('%s', (arg, expected) => {
    const o = parseOptions([arg]);
    expect(o).toMatchObject(expected);
    expect(o.changed).toEqual([arg]);
  });

  it.each([
    ['--no-build', { noBuild: true }],
    ['--report-only', { reportOnly: true }],
    ['--help', { help: true }],
  ])('flag %s', (arg, expected) => {
    expect(parseOptions([arg])).toMatchObject(expected);
    expect(parseOptions([arg]).changed).toEqual([]);
  });

  it('counts an explicit default, in any order, as unchanged', () => {
    expect(parseOptions(['--repeats=5', '--tokens=1024,64,256', `--backends=${DEFAULTS.backends}`, '--paths=few_step,ode']).changed).toEqual([]);
  });

  it('cuts the default batch-8 and browser lists down to --tokens', () => {
    expect(parseOptions(['--tokens=256,1024'])).toMatchObject({ batch8Tokens: [256], browserTokens: [256] });
  });

  it('rejects bad values with the option named', () => {
    for (const v of ['0', '-1', '1.5', 'two', '', ' 2']) bad([`--repeats=${v}`], `--repeats=${v}: expected a whole number >= 1`);
    bad(['--webgpu-ode-steps=0'], /--webgpu-ode-steps=0/);
    bad(['--tokens='], '--tokens= is empty');
    bad(['--tokens=32'], '"32" is not a bench token count (64, 256, 1024)');
    bad(['--tokens=64.0'], '"64.0" is not a bench token count');
    bad(['--tokens=64,64'], '64 is listed twice');
    bad(['--tokens=64,'], 'empty entry');
    bad(['--backends='], '--backends= is empty');
    bad(['--backends=node-gpu'], 'unknown backend "node-gpu"');
    bad(['--paths='], '--paths= is empty');
    bad(['--paths=heun'], 'unknown path "heun" (known: ode, few_step)');
    bad(['--paths=ode,ode'], 'ode is listed twice');
    bad(['--tokens=64', '--batch8-tokens=256'], '--batch8-tokens=256: 256 not in --tokens=64');
    bad(['--tokens=64', '--browser-tokens=64,1024'], '--browser-tokens=64,1024: 1024 not in --tokens=64');
  });

  it('rejects what it does not understand', () => {
    bad(['--repeat=2'], 'unknown option --repeat');
    bad(['--tokens', '64'], '--tokens needs a value');
    bad(['64'], 'unexpected argument "64"');
    bad(['-h'], 'unexpected argument "-h"');
    bad(['--no-build=yes'], '--no-build takes no value');
    bad(['--repeats=1', '--repeats=2'], '--repeats is given twice');
    expect(() => parseOptions(['--nope'])).toThrow(BenchOptionError);
  });

  it('documents every option in USAGE', () => {
    for (const name of [...Object.keys(DEFAULTS), 'no-build', 'report-only', 'help']) expect(USAGE).toContain(`--${name}`);
  });
});

describe('planRun', () => {
  it('issue 9: --repeats=2 --tokens=256 --batch8-tokens= --backends=node-wasm needs the n = 256 models only', () => {
    const plan = planRun(parseOptions(['--repeats=2', '--tokens=256', '--batch8-tokens=', '--backends=node-wasm']));
    expect(plan).toEqual({
      nodeBackends: ['node-wasm'],
      nodeCells: [{ tokens: 256, batch: 1 }],
      browserEps: [],
      browserTokens: [],
      exportTokens: [256],
      modelIds: ['bench-nestar-n256', 'bench-raster-n256'],
      browserModelIds: [],
      paths: ['ode', 'few_step'],
      needsMatmul: true,
      needsBuild: false,
    });
  });

  it("the README's quick check needs the n = 64 models only", () => {
    const plan = planRun(parseOptions(['--repeats=1', '--tokens=64', '--batch8-tokens=', '--backends=node-wasm']));
    expect(plan.modelIds).toEqual(ids([64]));
    expect(plan.nodeCells).toEqual([{ tokens: 64, batch: 1 }]);
  });

  it('the full run needs everything', () => {
    const plan = planRun(parseOptions([]));
    expect(plan.modelIds).toEqual(ids([64, 256, 1024]));
    expect(plan.browserModelIds).toEqual(ids([64, 256]));
    expect(plan.nodeCells).toEqual([
      { tokens: 64, batch: 1 }, { tokens: 64, batch: 8 }, { tokens: 256, batch: 1 }, { tokens: 256, batch: 8 }, { tokens: 1024, batch: 1 },
    ]);
    expect(plan).toMatchObject({ browserEps: ['wasm', 'webgpu'], needsMatmul: true, needsBuild: true });
  });

  it('browser only exports only the browser counts and skips the matmul', () => {
    const plan = planRun(parseOptions(['--backends=browser-wasm', '--no-build']));
    expect(plan).toMatchObject({ nodeCells: [], exportTokens: [64, 256], needsMatmul: false, needsBuild: false });
  });

  it('drops backends that cannot load, and says so when nothing is left', () => {
    const options = parseOptions(['--backends=node-wasm,node-cpu', '--tokens=64']);
    expect(planRun(options, ['node-cpu']).nodeBackends).toEqual(['node-wasm']);
    expect(() => planRun(parseOptions(['--backends=node-cpu']), ['node-cpu'])).toThrow('node-cpu cannot be loaded here');
  });

  it('says why a browser-only run would measure nothing', () => {
    expect(() => planRun(parseOptions(['--backends=browser-wasm', '--tokens=1024']))).toThrow('no count of the default --browser-tokens=64,256 is in --tokens=1024');
    expect(() => planRun(parseOptions(['--backends=browser-webgpu', '--browser-tokens=']))).toThrow('given no token counts');
  });

  // Every combination of the list options (default, or any explicit subset of the bench's counts), every non-empty
  // set of backends, with and without --no-build, each --paths, and with node-cpu loadable or not: either a clear error, or a plan
  // that reads exactly the models of the cells it runs.
  it('every combination either fails clearly or reads only the models it measures', () => {
    const lists = [null, ...subsets(TOKEN_COUNTS)]; // null: the option is not given
    const backendSets = subsets(BACKENDS).filter((s) => s.length);
    let planned = 0;
    for (const tokens of subsets(TOKEN_COUNTS).filter((s) => s.length)) {
      for (const batch8 of lists) {
        for (const browser of lists) {
          for (const backends of backendSets) {
            for (const [noBuild, paths] of [[false, null], [true, 'ode'], [false, 'few_step'], [true, 'few_step,ode']]) {
              const argv = [`--tokens=${tokens}`, `--backends=${backends}`, ...(noBuild ? ['--no-build'] : []), ...(paths ? [`--paths=${paths}`] : [])];
              if (batch8) argv.push(`--batch8-tokens=${batch8}`);
              if (browser) argv.push(`--browser-tokens=${browser}`);
              const outside = [...(batch8 ?? []), ...(browser ?? [])].some((n) => !tokens.includes(n));
              if (outside) {
                expect(() => parseOptions(argv), argv.join(' ')).toThrow(/not in --tokens/);
                continue;
              }
              const options = parseOptions(argv);
              for (const missing of [[], ['node-cpu']]) {
                const node = backends.filter((b) => b.startsWith('node-') && !missing.includes(b));
                const eps = backends.filter((b) => b.startsWith('browser-'));
                const browserTokens = eps.length ? (browser ?? [64, 256].filter((n) => tokens.includes(n))) : [];
                if (!node.length && !browserTokens.length) {
                  expect(() => planRun(options, missing), argv.join(' ')).toThrow(/^nothing to measure/);
                  continue;
                }
                const plan = planRun(options, missing);
                planned++;
                const batch8Counts = batch8 ?? [64, 256].filter((n) => tokens.includes(n));
                const cells = node.length ? tokens.flatMap((n) => (batch8Counts.includes(n) ? [1, 8] : [1]).map((b) => ({ tokens: n, batch: b }))) : [];
                expect(plan.nodeCells, argv.join(' ')).toEqual(cells);
                expect(plan.browserTokens).toEqual(browserTokens);
                const measured = new Set([...cells.map((c) => c.tokens), ...browserTokens]);
                expect(new Set(plan.modelIds)).toEqual(new Set(ids([...measured])));
                expect(plan.browserModelIds).toEqual(ids(browserTokens));
                expect(plan.needsMatmul).toBe(node.length > 0);
                expect(plan.needsBuild).toBe(browserTokens.length > 0 && !noBuild);
                expect(plan.paths).toEqual(paths ? paths.split(',') : PATHS);
              }
            }
          }
        }
      }
    }
    expect(planned).toBeGreaterThan(1000);
  });
});

describe('run.mjs', () => {
  it('names no model folder of its own: every one comes from the plan', () => {
    const source = readFileSync(new URL('./run.mjs', import.meta.url), 'utf8');
    expect(source).not.toMatch(/bench-(nestar|raster)-n\d/);
    expect(source).toContain("from './options.mjs'");
  });
});
