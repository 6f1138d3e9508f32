import { describe, expect, it } from 'vitest';
import { parseManifest, toModelInfo } from '../src/manifest';
import { makeManifestJson } from '../src/testManifest';
import { defaultForm, toRequest, validate } from './settings';

function info(opts: Parameters<typeof makeManifestJson>[0], defaults: Record<string, unknown> = {}) {
  const json = makeManifestJson(opts) as { sampling: { defaults: Record<string, unknown> } };
  Object.assign(json.sampling.defaults, defaults);
  return toModelInfo(parseManifest(json));
}

describe('the generation form: coarse guidance', () => {
  it("starts from the manifest's coarse guidance, or its guidance when it names none", () => {
    expect(defaultForm(info({}, { guidance: 4, coarse_guidance: 2.5 }), 1).coarseGuidance).toBe('2.5');
    expect(defaultForm(info({}, { guidance: 4 }), 1).coarseGuidance).toBe('4');
  });

  it('is checked against the solver’s guidance range and sent as coarseGuidance', () => {
    const model = info({ fewStep: true }, { solver: 'few_step', guidance: 5, temperature: 1 });
    const form = { ...defaultForm(model, 1), coarseGuidance: '0.5' };
    expect(validate(form, model).coarseGuidance).toBe('Coarse guidance must be between 1 and 6 (you typed 0.5).');
    // The ODE solvers take the manifest's wider limits.
    expect(validate({ ...form, solver: 'heun' }, model).coarseGuidance).toBeUndefined();
    expect(toRequest({ ...form, coarseGuidance: '2' }, model)).toMatchObject({ guidance: 5, coarseGuidance: 2 });
  });

  it('a one-module model (raster) has no coarse scale: the field is neither checked nor sent', () => {
    const raster = info({ architecture: 'raster' });
    expect(raster.modules).toBe(1);
    const form = { ...defaultForm(raster, 1), coarseGuidance: 'not a number' };
    expect(validate(form, raster)).toEqual({});
    expect(toRequest(form, raster)).not.toHaveProperty('coarseGuidance');
  });
});
