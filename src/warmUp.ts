/**
 * The warm-up generation a load ends with. A session's first runs cost far more than the later ones: onnxruntime
 * sizes its buffers then and, on WebGPU, compiles a shader pipeline for each kernel the first time it runs. So the
 * engine runs one generation of its own while loading, batch 1 at the model's defaults (the settings a visitor starts
 * from; an ODE in one Euler step, below), and drops it: the cost falls on the load, where the page shows progress,
 * and not on the visitor's first Generate. Measured in the page on this project's machine (v3, batch 1, few-step),
 * the first Generate after load without and with the warm-up: SwiftShader WebGPU 14.3-15.5 s -> 4.1 s (the next runs
 * 3.8-4.2 s), WASM 160-178 -> 102-111 ms; the load takes one warm generation longer plus what the first runs compile
 * (SwiftShader 6.1 -> 22.6 s, WASM +0.2 s).
 */
import type { Manifest } from './manifest';
import { runSchedule } from './scheduler';
import type { SessionRunner } from './sessionRunner';
import type { GenerateRequest } from './types';

/**
 * Batch 1 of class 0, seed 0, at the model's default sampling settings; an ODE default in its fewest Euler steps: every
 * ODE step calls the same flow-head sessions at the same shapes, so one step warms up what 16 Heun steps would, for
 * 1/32 of the calls (a raster model at n = 256 on SwiftShader: 512 calls instead of 8448; its load took 96 s).
 */
export function warmUpRequest(manifest: Manifest): GenerateRequest {
  const { defaults, limits } = manifest;
  const sampling = defaults.solver === 'few_step' ? defaults : { ...defaults, solver: 'euler' as const, odeSteps: limits.odeSteps[0] };
  return { ...sampling, classIndex: 0, seed: 0, batch: 1 };
}

/**
 * Runs the warm-up generation on `runner` and drops its images; `signal` stops it (CANCELLED). It takes every
 * preview as a run for the page does: the scheduler renders previews only for a listener, and without one the preview
 * decoder stayed cold (v3 on SwiftShader: its first two calls 2.75 s, later ones 44 ms).
 */
export async function warmUp<H>(manifest: Manifest, runner: SessionRunner<H>, signal?: AbortSignal): Promise<void> {
  await runSchedule(manifest, runner, warmUpRequest(manifest), { signal, onScale: () => undefined });
}
