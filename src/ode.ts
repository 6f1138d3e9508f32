/**
 * The flow ODE dx/dt = v(x, t), integrated from t = 0 to 1 in S equal steps (docs/contract.md, "Sampling").
 * The velocity is a callback (one flow-head call each), so the step count is a runtime setting and the integrator
 * knows nothing about sessions, guidance or cancellation.
 *
 * Arithmetic rounds to float32 after every operation, like the PyTorch sampler's float32 tensors, so the two
 * sides agree to a few float32 ulps rather than drifting by float64-vs-float32 differences.
 */
import type { Solver } from './types';

/** The solvers that integrate the ODE (the few-step sampler is one session call, not an integration). */
export type OdeSolver = Exclude<Solver, 'few_step'>;

/** v(x, t) for all N*dim values of x at once; must not modify x. */
export type Velocity = (x: Float32Array, t: number) => Promise<Float32Array>;

const f32 = Math.fround;

/** Integrates from x0 (not modified) and returns x(1). */
export async function integrate(x0: Float32Array, solver: OdeSolver, steps: number, velocity: Velocity): Promise<Float32Array> {
  if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`ODE steps must be a positive integer, got ${steps}`);
  // dt and t in float64 as in models/nestar/sampler.py (t = i*dt); float32 only where a tensor would hold them.
  const dt64 = 1 / steps;
  const dt = f32(dt64);
  const x = Float32Array.from(x0);
  const size = x.length;
  const checkLength = (v: Float32Array): void => {
    if (v.length !== size) throw new RangeError(`velocity has ${v.length} values, x has ${size}`);
  };
  for (let i = 0; i < steps; i++) {
    // t = i*dt rather than an accumulated t += dt: no drift, and the reference computes it the same way.
    const t = i * dt64;
    const v1 = await velocity(x, t);
    checkLength(v1);
    if (solver === 'euler') {
      for (let e = 0; e < size; e++) x[e] = f32(x[e]! + f32(dt * v1[e]!));
      continue;
    }
    // Heun (explicit trapezoid), also on the last step: the contract fixes it so both sides take 2S evaluations.
    const x1 = new Float32Array(size);
    for (let e = 0; e < size; e++) x1[e] = f32(x[e]! + f32(dt * v1[e]!));
    const v2 = await velocity(x1, t + dt64);
    checkLength(v2);
    for (let e = 0; e < size; e++) x[e] = f32(x[e]! + f32(f32(dt * f32(v1[e]! + v2[e]!)) / 2));
  }
  return x;
}

/** Velocity evaluations one integration makes (for progress and tests). */
export function velocityCalls(solver: OdeSolver, steps: number): number {
  return solver === 'heun' ? 2 * steps : steps;
}
