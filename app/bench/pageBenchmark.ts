/**
 * The speed benchmark of `npm run bench`, run on the visitor's own hardware: the trained NestAR model and the
 * raster-AR baseline of identical module size (one token per step), each in its own worker, on each sampling path
 * (the ODE reference and, where the models have one, the distilled few-step sampler), generating alternately
 * (bench/interleave.mjs: NestAR ODE, raster ODE, NestAR few-step, raster few-step, again ...; the first run of each
 * a warm-up that is not kept), at each batch size. Times are the worker's own (performance.now around the schedule),
 * per scale from the scale events; ratios are medians of the per-round ratios (bench/stats.mjs pairedRatio).
 */
import { interleaved, type Architecture } from '../../bench/interleave.mjs';
import { pairedRatio, summarizeRuns, type RunSummaries, type RunTiming } from '../../bench/stats.mjs';
import type { NestarClient } from '../../src/client';
import type { BackendRequest, FewStepInfo, ModelInfo, RuntimeInfo, SamplingSettings } from '../../src/types';
import { evaluationsLabel } from '../format';

export const ARCHITECTURES: Architecture[] = ['nestar', 'raster'];

/** 'ode': the flow ODE (the model's default ODE solver, or Heun), the old path; 'few_step': the few-step sampler. */
export type SamplingPath = 'ode' | 'few_step';
export const PATHS: SamplingPath[] = ['ode', 'few_step'];
export const PATH_NAMES: Record<SamplingPath, string> = { ode: 'ODE', few_step: 'few-step' };

export interface BenchSettings {
  backend: BackendRequest;
  batches: number[];
  repeats: number;
  /** ODE steps per token step on the ODE path for both models; null: each model's default. */
  odeSteps: number | null;
  /** The sampling paths to time; few_step runs only for a model that has a few-step sampler. */
  paths: SamplingPath[];
}

/** Session calls of one generation (the whole batch goes through each call), from the model's schedule. */
export interface Calls {
  backbone: number;
  flow: number;
  fewStep: number;
  total: number;
}

export interface ArchResult extends RunSummaries {
  arch: Architecture;
  path: SamplingPath;
  model: string;
  steps: number;
  calls: Calls;
  /** ms per image of each kept run, in round order (paired with the other series for the ratios). */
  msPerImageRuns: number[];
}

export interface PathResult {
  path: SamplingPath;
  /** e.g. "16 heun ODE steps" or "few-step sampler, 2 evaluations". */
  sampling: string;
  nestar: ArchResult | null;
  raster: ArchResult | null;
  /** NestAR time per image / raster's, and NestAR's first preview / raster's only (final) image; null unless both ran. */
  timeRatio: number | null;
  firstPreviewRatio: number | null;
}

export interface BatchResult {
  batch: number;
  paths: PathResult[];
  /** Per model: its ODE time per image / its few-step time (how much faster the new path is); null unless both ran. */
  speedup: Record<Architecture, number | null>;
}

export interface BenchReport {
  tool: 'NestAR Studio page benchmark';
  date: string;
  userAgent: string;
  hardwareConcurrency: number | null;
  backend: string | null;
  adapter: string | null;
  settings: BenchSettings;
  models: Record<Architecture, { id: string; tokens: number; sequentialSteps: number; odeSteps: number; solver: string; fewStep: FewStepInfo | null }>;
  /** Why a path asked for did not run for a model (no few-step sampler, or default settings outside its ranges). */
  skipped: string[];
  results: BatchResult[];
}

export type BenchClients = Record<Architecture, { client: NestarClient; info: RuntimeInfo; id: string }>;

/** The ODE path's solver and steps: the model's default ODE solver (Heun when its default is the few-step sampler). */
function odeSettings(model: ModelInfo, settings: BenchSettings): SamplingSettings {
  const d = model.defaults;
  return { ...d, solver: d.solver === 'few_step' ? 'heun' : d.solver, odeSteps: settings.odeSteps ?? d.odeSteps };
}

/** The sampling settings of `path` for `model`, or why it cannot run it. */
export function pathSettings(model: ModelInfo, settings: BenchSettings, path: SamplingPath): SamplingSettings | string {
  if (path === 'ode') return odeSettings(model, settings);
  const few = model.fewStep;
  if (!few) return `${model.id} has no few-step sampler (models/distill.py makes one)`;
  const { guidance, coarseGuidance = guidance, temperature } = model.defaults;
  const inside = (v: number, [lo, hi]: [number, number]) => v >= lo && v <= hi;
  if (!inside(guidance, few.guidance) || !inside(coarseGuidance, few.guidance) || !inside(temperature, few.temperature)) {
    return `${model.id}'s default guidance ${guidance} (coarse ${coarseGuidance}) and temperature ${temperature} lie outside its few-step sampler's trained ranges`;
  }
  return { ...model.defaults, solver: 'few_step' };
}

/** Calls per generation, as src/scheduler.ts makes them: one backbone call per step, then the ODE's velocity
 * evaluations (Heun: two per ODE step) or one few-step call. The decoder's calls (latent models) are not counted. */
export function callsOf(model: ModelInfo, sampling: SamplingSettings): Calls {
  const steps = model.sequentialSteps;
  const perStep = sampling.solver === 'few_step' ? 0 : sampling.odeSteps * (sampling.solver === 'heun' ? 2 : 1);
  const fewStep = sampling.solver === 'few_step' ? steps : 0;
  return { backbone: steps, flow: steps * perStep, fewStep, total: steps + steps * perStep + fewStep };
}

function samplingText(s: SamplingSettings, few: FewStepInfo | null): string {
  if (s.solver !== 'few_step') return `${s.odeSteps} ${s.solver} ODE steps`;
  const k = evaluationsLabel(few?.evaluations);
  return `few-step sampler, ${k} evaluation${k === '1' ? '' : 's'}`;
}

async function timeOne(client: NestarClient, sampling: SamplingSettings, batch: number, seed: number): Promise<RunTiming> {
  const scaleMs: number[] = [];
  const result = await client.generate({ ...sampling, classIndex: 0, seed, batch }, (e) => {
    if (e.type === 'scale') scaleMs.push(e.elapsedMs);
  });
  return { totalMs: result.totalMs, firstPreviewMs: result.firstPreviewMs, scaleMs };
}

/** Checks that the two loaded models can be compared: same backend, same token count. Throws a readable Error. */
export function checkComparable(clients: BenchClients): void {
  const [n, r] = [clients.nestar.info, clients.raster.info];
  if (!n.model || !r.model) throw new Error('both models must be loaded');
  if (n.model.architecture !== 'nestar' || r.model.architecture !== 'raster') {
    throw new Error(`expected a NestAR and a raster model, got ${n.model.architecture} and ${r.model.architecture}`);
  }
  if (n.model.tokenCount !== r.model.tokenCount) {
    throw new Error(`the models have different token counts (${n.model.tokenCount} vs ${r.model.tokenCount})`);
  }
  if (n.backend !== r.backend) throw new Error(`the models run on different backends (${n.backend} vs ${r.backend})`);
}

type Series = `${Architecture} ${SamplingPath}`;

export async function runPageBenchmark(clients: BenchClients, settings: BenchSettings, log: (line: string) => void, now: () => Date = () => new Date()): Promise<BenchReport> {
  checkComparable(clients);
  const model = (arch: Architecture) => clients[arch].info.model!;
  // Which model runs which path, with what settings; the rest is reported as skipped.
  const plan = new Map<Series, SamplingSettings>();
  const skipped: string[] = [];
  for (const path of settings.paths) {
    for (const arch of ARCHITECTURES) {
      const s = pathSettings(model(arch), settings, path);
      if (typeof s === 'string') skipped.push(`${PATH_NAMES[path]} path, ${arch}: ${s}`);
      else plan.set(`${arch} ${path}`, s);
    }
  }
  for (const why of skipped) log(`skipped: ${why}`);
  if (plan.size === 0) throw new Error(`nothing to measure: ${skipped.join('; ')}`);

  const results: BatchResult[] = [];
  for (const batch of settings.batches) {
    log(`batch ${batch}:`);
    const names = [...plan.keys()];
    const runs = await interleaved((name: Series, b, seed) => timeOne(clients[name.split(' ')[0] as Architecture].client, plan.get(name)!, b, seed), batch, settings.repeats, log, names);
    const result = (arch: Architecture, path: SamplingPath): ArchResult | null => {
      const sampling = plan.get(`${arch} ${path}`);
      const kept = runs[`${arch} ${path}`];
      if (!sampling || !kept) return null;
      const m = model(arch);
      return { arch, path, model: clients[arch].id, steps: m.sequentialSteps, calls: callsOf(m, sampling), msPerImageRuns: kept.map((r) => r.totalMs / batch), ...summarizeRuns(kept, batch) };
    };
    // Paths that ran for at least one model.
    const paths = settings.paths.flatMap((path): PathResult[] => {
      const [nestar = null, raster = null] = ARCHITECTURES.map((arch) => result(arch, path));
      const ran: Architecture | null = nestar ? 'nestar' : raster ? 'raster' : null;
      if (!ran) return [];
      return [{
        path,
        sampling: samplingText(plan.get(`${ran} ${path}`)!, model(ran).fewStep),
        nestar,
        raster,
        timeRatio: nestar && raster ? pairedRatio(nestar.msPerImageRuns, raster.msPerImageRuns) : null,
        firstPreviewRatio: nestar && raster ? nestar.firstPreviewMs.median / raster.totalMs.median : null,
      }];
    });
    const speedup = Object.fromEntries(
      ARCHITECTURES.map((arch) => {
        const [ode, few] = [result(arch, 'ode'), result(arch, 'few_step')];
        return [arch, ode && few ? pairedRatio(ode.msPerImageRuns, few.msPerImageRuns) : null];
      }),
    ) as Record<Architecture, number | null>;
    results.push({ batch, paths, speedup });
  }
  const info = clients.nestar.info;
  const describe = (arch: Architecture) => {
    const m = model(arch);
    const ode = odeSettings(m, settings);
    return { id: clients[arch].id, tokens: m.tokenCount, sequentialSteps: m.sequentialSteps, odeSteps: ode.odeSteps, solver: ode.solver, fewStep: m.fewStep };
  };
  return {
    tool: 'NestAR Studio page benchmark',
    date: now().toISOString(),
    userAgent: typeof navigator === 'undefined' ? 'unknown' : navigator.userAgent,
    hardwareConcurrency: typeof navigator === 'undefined' ? null : (navigator.hardwareConcurrency ?? null),
    backend: info.backend,
    adapter: info.adapter,
    settings,
    models: { nestar: describe('nestar'), raster: describe('raster') },
    skipped,
    results,
  };
}
