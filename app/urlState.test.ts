import { describe, expect, it } from 'vitest';
import { parseManifest, toModelInfo } from '../src/manifest';
import { makeManifestJson } from '../src/testManifest';
import { defaultForm } from './settings';
import { linkFor, modelLink, parseUrl, restoreLink } from './urlState';

const info = toModelInfo(parseManifest(makeManifestJson({ grid: 8 }))); // scales 1..3, classes cat/dog/sun
const base = defaultForm(info, 42);
const PAGE = 'https://example.test/studio/?model=old&ep=wasm&seed=1#x';

describe('the page URL', () => {
  it('round-trips an image: linkFor -> parseUrl -> restoreLink gives the same settings and generates', () => {
    const link = linkFor(PAGE, {
      modelId: 'emoji64-nestar',
      backend: 'wasm',
      classLabel: 'dog',
      seed: 4294967295,
      guidance: 2.5,
      coarseGuidance: 1.5,
      temperature: 0.85,
      odeSteps: 7,
      solver: 'euler',
      variation: { sourceSeed: 17, scale: 2 },
    });
    expect(link).toBe(
      'https://example.test/studio/?model=emoji64-nestar&ep=wasm&class=dog&seed=4294967295&guidance=2.5&coarse_guidance=1.5&temperature=0.85&steps=7&solver=euler&source_seed=17&source_scale=2',
    );
    const url = parseUrl(new URL(link).search);
    expect([url.model, url.backend, url.problems]).toEqual(['emoji64-nestar', 'wasm', []]);
    const restored = restoreLink(url.settings, info, base);
    expect(restored.problems).toEqual([]);
    expect(restored.generate).toBe(true);
    expect(restored.variation).toEqual({ sourceSeed: 17, scale: 2 });
    expect(restored.form).toEqual({ ...base, classIndex: 1, seed: '4294967295', guidance: '2.5', coarseGuidance: '1.5', temperature: '0.85', odeSteps: '7', solver: 'euler' });
  });

  it('labels with spaces and unicode survive; no ep for auto', () => {
    const link = linkFor(PAGE, { modelId: 'm', backend: 'auto', classLabel: 'grinning face 😀', seed: 0, guidance: 1, coarseGuidance: null, temperature: 1, odeSteps: 1, solver: 'heun', variation: null });
    const url = parseUrl(new URL(link).search);
    expect(url.settings.classLabel).toBe('grinning face 😀');
    expect(url.backend).toBe('auto');
    expect(new URL(link).searchParams.has('ep')).toBe(false);
    expect(new URL(link).searchParams.has('coarse_guidance')).toBe(false); // a one-module model has none
  });

  it('names every unknown or invalid parameter, falls back to defaults for them, and does not generate', () => {
    const url = parseUrl('?model=x&ep=cuda&colour=red&class=unicorn&seed=-1&guidance=abc&coarse_guidance=-3&temperature=99&steps=2.5&solver=rk4&source_scale=1');
    expect(url.backend).toBe('auto');
    const restored = restoreLink(url.settings, info, base);
    const problems = [...url.problems, ...restored.problems].join('\n');
    for (const word of ['colour', 'ep=cuda', 'class=unicorn', 'seed:', 'guidance:', 'coarse_guidance:', 'temperature:', 'steps:', 'solver=rk4', 'source_seed']) expect(problems).toContain(word);
    expect(restored.generate).toBe(false);
    expect(restored.variation).toBeNull();
    expect(restored.form).toEqual({ ...base });
  });

  it('threads: a count from 1 to 16 is kept for the runtime; anything else is named and left to the page', () => {
    expect(parseUrl('?threads=1')).toMatchObject({ wasmThreads: 1, problems: [] });
    expect(parseUrl('?threads=16').wasmThreads).toBe(16);
    expect(parseUrl('').wasmThreads).toBeNull();
    for (const bad of ['0', '17', '2.5', 'many', '']) {
      const url = parseUrl(`?threads=${bad}`);
      expect(url.wasmThreads).toBeNull();
      expect(url.problems.join('\n')).toContain(`threads=${bad}`);
    }
    expect(modelLink('https://example.test/?model=a&threads=1&seed=3', 'b')).toBe('https://example.test/?model=b&threads=1');
  });

  it('rejects a variation scale that cannot be varied from, and a bad source seed', () => {
    expect(restoreLink({ seed: '1', sourceSeed: '5', sourceScale: '3' }, info, base).problems[0]).toContain('source_scale=3');
    expect(restoreLink({ seed: '1', sourceSeed: '1.5', sourceScale: '1' }, info, base).problems[0]).toContain('source_seed=1.5');
    expect(restoreLink({ seed: '1', sourceSeed: '', sourceScale: '1' }, info, base).problems[0]).toContain('source_seed=');
  });

  it('settings without a seed restore the form but do not generate; no settings, nothing to restore', () => {
    const restored = restoreLink(parseUrl('?class=sun&steps=3').settings, info, base);
    expect([restored.generate, restored.form.classIndex, restored.form.odeSteps]).toEqual([false, 2, '3']);
    expect(parseUrl('?model=a&ep=webgpu')).toEqual({ model: 'a', backend: 'webgpu', wasmThreads: null, settings: {}, problems: [] });
  });

  it('switching model keeps the backend choice and drops the image settings', () => {
    expect(modelLink(PAGE, 'other')).toBe('https://example.test/studio/?model=other&ep=wasm#x');
    expect(modelLink('https://example.test/?model=a&seed=3', null)).toBe('https://example.test/');
  });
});
