/**
 * The generation form: raw field text as typed, and its validation against the loaded model's limits.
 *
 * Every default and bound comes from ModelInfo (the manifest); nothing here knows a model number. A field holds
 * the text the visitor typed so that an out-of-range value stays visible next to its message instead of being
 * silently clamped.
 */
import type { GenerateRequest, ModelInfo, Solver } from '../src/types';

export interface FormState {
  classIndex: number;
  seed: string;
  guidance: string;
  /** The first module's guidance (the coarsest scale's layout); used only by models with more than one module. */
  coarseGuidance: string;
  temperature: string;
  odeSteps: string;
  solver: Solver;
  batch: number;
  /** Stop after this scale (Continue finishes the image later); null = run to the whole image. */
  stopAfter: number | null;
}

export type FieldName = 'seed' | 'guidance' | 'coarseGuidance' | 'temperature' | 'odeSteps' | 'solver' | 'batch';
export type FieldErrors = Partial<Record<FieldName, string>>;

/** Every solver name the runtime knows (URL validation); solversFor says which a model offers. */
export const SOLVERS: Solver[] = ['few_step', 'heun', 'euler'];

/** The solvers a model offers, fastest first: its few-step sampler when it has one, then the ODE. */
export function solversFor(info: ModelInfo): Solver[] {
  return info.fewStep ? SOLVERS : SOLVERS.filter((s) => s !== 'few_step');
}

/** The guidance and temperature ranges of a solver: the few-step sampler's trained ranges, else the manifest's limits. */
export function settingRanges(info: ModelInfo, solver: Solver): { guidance: [number, number]; temperature: [number, number] } {
  if (solver === 'few_step' && info.fewStep) return { guidance: info.fewStep.guidance, temperature: info.fewStep.temperature };
  return { guidance: info.limits.guidance, temperature: info.limits.temperature };
}
/** Whether a model has a coarse scale of its own to guide apart (docs/contract.md, "Settings and guidance per module"). */
export function hasCoarseGuidance(info: ModelInfo): boolean {
  return info.modules > 1;
}

/** The batch sizes the page offers; those outside the model's batch limits are not shown. */
export const BATCH_CHOICES = [1, 4, 8];
const UINT32_MAX = 0xffffffff;

export function randomSeed(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0]!;
}

export function batchChoices(info: ModelInfo): number[] {
  const [min, max] = info.limits.batch;
  const choices = BATCH_CHOICES.filter((b) => b >= min && b <= max);
  return choices.length > 0 ? choices : [min];
}

export function defaultForm(info: ModelInfo, seed: number = randomSeed()): FormState {
  return {
    classIndex: info.classes[0]?.index ?? 0,
    seed: String(seed),
    guidance: String(info.defaults.guidance),
    coarseGuidance: String(info.defaults.coarseGuidance ?? info.defaults.guidance),
    temperature: String(info.defaults.temperature),
    odeSteps: String(info.defaults.odeSteps),
    solver: info.defaults.solver,
    batch: batchChoices(info)[0]!,
    stopAfter: null,
  };
}

function parseNumber(text: string): number | null {
  if (text.trim() === '') return null;
  const value = Number(text);
  return Number.isFinite(value) ? value : null;
}

function checkRange(label: string, text: string, [min, max]: [number, number], integer: boolean): string | undefined {
  const value = parseNumber(text);
  if (value === null) return `${label} must be a number.`;
  if (integer && !Number.isInteger(value)) return `${label} must be a whole number.`;
  if (value < min || value > max) return `${label} must be between ${min} and ${max} (you typed ${text.trim()}).`;
  return undefined;
}

export function validate(form: FormState, info: ModelInfo): FieldErrors {
  const errors: FieldErrors = {};
  const seed = checkRange('Seed', form.seed, [0, UINT32_MAX], true);
  if (seed) errors.seed = seed;
  const ranges = settingRanges(info, form.solver);
  const guidance = checkRange('Guidance', form.guidance, ranges.guidance, false);
  if (guidance) errors.guidance = guidance;
  if (hasCoarseGuidance(info)) {
    const coarse = checkRange('Coarse guidance', form.coarseGuidance, ranges.guidance, false);
    if (coarse) errors.coarseGuidance = coarse;
  }
  const temperature = checkRange('Temperature', form.temperature, ranges.temperature, false);
  if (temperature) errors.temperature = temperature;
  if (form.solver !== 'few_step') {
    const odeSteps = checkRange('ODE steps', form.odeSteps, info.limits.odeSteps, true);
    if (odeSteps) errors.odeSteps = odeSteps;
  }
  if (!solversFor(info).includes(form.solver)) errors.solver = 'This model has no fast sampler: choose Heun or Euler.';
  const batch = checkRange('Batch size', String(form.batch), info.limits.batch, true);
  if (batch) errors.batch = batch;
  return errors;
}

/** The request for a valid form; call only when `validate` returned no errors. */
export function toRequest(form: FormState, info: ModelInfo): GenerateRequest {
  return {
    classIndex: form.classIndex,
    seed: Number(form.seed) >>> 0,
    guidance: Number(form.guidance),
    ...(hasCoarseGuidance(info) ? { coarseGuidance: Number(form.coarseGuidance) } : {}),
    temperature: Number(form.temperature),
    odeSteps: Number(form.odeSteps),
    solver: form.solver,
    batch: form.batch,
    ...(form.stopAfter !== null ? { stopAfterScale: form.stopAfter } : {}),
  };
}

/** The batch size of "Vary from here": 4, within the model's batch limits. */
export function variationBatch(info: ModelInfo): number {
  const [min, max] = info.limits.batch;
  return Math.max(min, Math.min(4, max));
}
