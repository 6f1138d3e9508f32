/**
 * The speed benchmark of `npm run bench`, run on the visitor's own hardware: the trained NestAR model and the
 * raster-AR baseline of identical module size (one token per step), each in its own worker, generating
 * alternately (bench/interleave.mjs: A B A B ..., first run of each a warm-up that is not kept), at each batch
 * size. Times are the worker's own (performance.now around the schedule), per scale from the scale events.
 */
import { interleaved, type Architecture } from '../../bench/interleave.mjs';
import { summarizeRuns, type RunSummaries, type RunTiming } from '../../bench/stats.mjs';
import type { NestarClient } from '../../src/client';
import type { BackendRequest, RuntimeInfo } from '../../src/types';

export const ARCHITECTURES: Architecture[] = ['nestar', 'raster'];

export interface BenchSettings {
  backend: BackendRequest;
  batches: number[];
  repeats: number;
  /** ODE steps per token step for both models (same solver as their defaults); null: each model's default. */
  odeSteps: number | null;
}

export interface ArchResult extends RunSummaries {
  arch: Architecture;
  model: string;
  steps: number;
}

export interface BatchResult {
  batch: number;
  nestar: ArchResult;
  raster: ArchResult;
  /** Medians: NestAR time per image / raster's, and NestAR's first preview / raster's only (final) image. */
  timeRatio: number;
  firstPreviewRatio: number;
}

export interface BenchReport {
  tool: 'NestAR Studio page benchmark';
  date: string;
  userAgent: string;
  hardwareConcurrency: number | null;
  backend: string | null;
  adapter: string | null;
  settings: BenchSettings;
  models: Record<Architecture, { id: string; tokens: number; sequentialSteps: number; odeSteps: number; solver: string }>;
  results: BatchResult[];
}

export type BenchClients = Record<Architecture, { client: NestarClient; info: RuntimeInfo; id: string }>;

async function timeOne(client: NestarClient, info: RuntimeInfo, settings: BenchSettings, batch: number, seed: number): Promise<RunTiming> {
  const model = info.model!;
  const scaleMs: number[] = [];
  const result = await client.generate(
    { ...model.defaults, ...(settings.odeSteps ? { odeSteps: settings.odeSteps } : {}), classIndex: 0, seed, batch },
    (e) => {
      if (e.type === 'scale') scaleMs.push(e.elapsedMs);
    },
  );
  return { totalMs: result.totalMs, firstPreviewMs: result.firstPreviewMs, scaleMs };
}

function archResult(clients: BenchClients, arch: Architecture, batch: number, runs: RunTiming[]): ArchResult {
  return { arch, model: clients[arch].id, steps: clients[arch].info.model!.sequentialSteps, ...summarizeRuns(runs, batch) };
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

export async function runPageBenchmark(clients: BenchClients, settings: BenchSettings, log: (line: string) => void, now: () => Date = () => new Date()): Promise<BenchReport> {
  checkComparable(clients);
  const results: BatchResult[] = [];
  for (const batch of settings.batches) {
    log(`batch ${batch}:`);
    const runs = await interleaved(
      (arch, b, seed) => timeOne(clients[arch].client, clients[arch].info, settings, b, seed),
      batch,
      settings.repeats,
      log,
    );
    const nestar = archResult(clients, 'nestar', batch, runs.nestar);
    const raster = archResult(clients, 'raster', batch, runs.raster);
    results.push({
      batch,
      nestar,
      raster,
      timeRatio: nestar.msPerImage.median / raster.msPerImage.median,
      firstPreviewRatio: nestar.firstPreviewMs.median / raster.totalMs.median,
    });
  }
  const info = clients.nestar.info;
  const describe = (arch: Architecture) => {
    const m = clients[arch].info.model!;
    return { id: clients[arch].id, tokens: m.tokenCount, sequentialSteps: m.sequentialSteps, odeSteps: settings.odeSteps ?? m.defaults.odeSteps, solver: m.defaults.solver };
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
    results,
  };
}
