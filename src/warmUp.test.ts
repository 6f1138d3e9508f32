import { describe, expect, it } from 'vitest';
import { parseManifest } from './manifest';
import { makeManifestJson } from './testManifest';
import { warmUpRequest } from './warmUp';

describe('warmUpRequest', () => {
  it("is batch 1 of class 0, seed 0 at the model's defaults; an ODE default runs its fewest Euler steps (same sessions, same shapes)", () => {
    const ode = parseManifest(makeManifestJson({ grid: 8 }));
    expect(ode.defaults.solver).not.toBe('few_step');
    expect(warmUpRequest(ode)).toEqual({ ...ode.defaults, solver: 'euler', odeSteps: ode.limits.odeSteps[0], classIndex: 0, seed: 0, batch: 1 });
    const json = makeManifestJson({ grid: 8, fewStep: true }) as { sampling: { defaults: { solver: string } } };
    json.sampling.defaults.solver = 'few_step';
    const fewStep = parseManifest(json);
    expect(warmUpRequest(fewStep)).toEqual({ ...fewStep.defaults, classIndex: 0, seed: 0, batch: 1 });
  });
});
