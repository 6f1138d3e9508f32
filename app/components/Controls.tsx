/** The generation form: class, seed, sampling settings (bounds from the manifest), batch size, Generate / Cancel. */
import type { FormEvent } from 'react';
import type { ModelInfo, Solver } from '../../src/types';
import { evaluationsLabel, gridLabel } from '../format';
import { batchChoices, hasCoarseGuidance, randomSeed, settingRanges, solversFor, type FieldErrors, type FormState } from '../settings';
import { FieldError } from './FieldError';
import { ClassPicker } from './ClassPicker';
import { NumberField } from './NumberField';
import { SeedField } from './SeedField';

interface Props {
  info: ModelInfo;
  form: FormState;
  errors: FieldErrors;
  onChange(patch: Partial<FormState>): void;
  onGenerate(): void;
  onCancel(): void;
  running: boolean;
  /** Whether the settings look locked: `running`, once the run has gone on for a moment (app/useDelayedFlag.ts). */
  lockShown: boolean;
  cancelling: boolean;
  /** Live mode: every change regenerates, so the fields stay editable during runs. */
  live: boolean;
  onLiveChange(live: boolean): void;
  /** Finished live images per second, when known. */
  liveRate: number | null;
}

/** The solver select's words: the few-step sampler is the fast one, the ODE the reference it was distilled from. */
function solverLabel(solver: Solver, info: ModelInfo): { name: string; hint: string } {
  if (solver === 'few_step') return { name: 'Fast', hint: `${evaluationsLabel(info.fewStep?.evaluations)} evals/token` };
  return solver === 'heun' ? { name: 'Heun ODE', hint: '2 evals/step' } : { name: 'Euler ODE', hint: '1 eval/step' };
}

export function Controls({ info, form, errors, onChange, onGenerate, onCancel, running, lockShown, cancelling, live, onLiveChange, liveRate }: Props) {
  const invalid = Object.keys(errors).length > 0;
  const ranges = settingRanges(info, form.solver);
  const fast = form.solver === 'few_step';
  const locked = lockShown && !live;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!running && !invalid) onGenerate();
  };
  return (
    <form className="controls" onSubmit={submit} aria-label="Generation settings" noValidate>
      <ClassPicker classes={info.classes} value={form.classIndex} onChange={(classIndex) => onChange({ classIndex })} disabled={locked} />

      <div className="card settings-card">
        <SeedField
          value={form.seed}
          onChange={(seed) => onChange({ seed })}
          onRoll={() => onChange({ seed: String(randomSeed()) })}
          error={errors.seed}
          disabled={locked}
        />
        <div className="field-pair">
          <NumberField
            label="Guidance"
            value={form.guidance}
            onChange={(guidance) => onChange({ guidance })}
            range={ranges.guidance}
            step={0.1}
            error={errors.guidance}
            slider
            disabled={locked}
          />
          <NumberField
            label="Temperature"
            value={form.temperature}
            onChange={(temperature) => onChange({ temperature })}
            range={ranges.temperature}
            step={0.05}
            error={errors.temperature}
            slider
            disabled={locked}
          />
        </div>
        {hasCoarseGuidance(info) && (
          // Guidance per module (docs/contract.md): the first module lays out the coarsest scale; a lower guidance
          // there varies the composition while the detail keeps the Guidance above.
          <NumberField
            label="Coarse guidance"
            value={form.coarseGuidance}
            onChange={(coarseGuidance) => onChange({ coarseGuidance })}
            range={ranges.guidance}
            step={0.1}
            error={errors.coarseGuidance}
            slider
            disabled={locked}
            note={`${gridLabel(info.scales[0]!.grid)} layout · ${ranges.guidance[0]}–${ranges.guidance[1]}`}
          />
        )}
        <div className="field-pair">
          <NumberField
            label="ODE steps"
            value={form.odeSteps}
            onChange={(odeSteps) => onChange({ odeSteps })}
            range={info.limits.odeSteps}
            step={1}
            error={errors.odeSteps}
            disabled={locked || fast}
            note={fast ? 'unused' : undefined}
          />
          <div className="field">
            <div className="field-row">
              <label className="field-label" htmlFor="solver">
                Solver
              </label>
              <span className="field-hint">{solverLabel(form.solver, info).hint}</span>
            </div>
            <select
              id="solver"
              className="input"
              value={form.solver}
              onChange={(e) => onChange({ solver: e.target.value as Solver })}
              disabled={locked}
            >
              {solversFor(info).map((s) => (
                <option key={s} value={s}>
                  {solverLabel(s, info).name}
                </option>
              ))}
            </select>
            <FieldError id="solver" error={errors.solver} />
          </div>
        </div>
        <div className="field">
          <div className="field-row">
            <label className="field-label" htmlFor="stop-after">
              Stop after
            </label>
            <span className="field-hint">Continue finishes it later</span>
          </div>
          <select
            id="stop-after"
            className="input"
            value={form.stopAfter ?? ''}
            onChange={(e) => onChange({ stopAfter: e.target.value === '' ? null : Number(e.target.value) })}
            disabled={locked}
          >
            <option value="">Whole image</option>
            {info.scales.slice(0, -1).map((s) => (
              <option key={s.scale} value={s.scale}>
                Scale {s.scale} · {gridLabel(s.grid)}
              </option>
            ))}
          </select>
        </div>
        <fieldset className="field" disabled={locked}>
          <legend className="field-label">Batch size</legend>
          <div className="segmented" role="radiogroup" aria-label="Batch size">
            {batchChoices(info).map((b) => (
              <label key={b} className="segment" data-selected={form.batch === b}>
                <input type="radio" name="batch" value={b} checked={form.batch === b} onChange={() => onChange({ batch: b })} aria-label={`Batch ${b}`} />
                <span>{b}</span>
              </label>
            ))}
          </div>
        </fieldset>
      </div>

      <label className="live-toggle">
        <input type="checkbox" checked={live} onChange={(e) => onLiveChange(e.target.checked)} data-testid="live" />
        <span>
          <strong>Live</strong> · regenerate (one image) as you change the class, seed, guidance or temperature
        </span>
      </label>
      {live && (
        <p className="muted small live-rate" role="status" data-testid="live-rate" data-rate={liveRate ?? ''}>
          {liveRate === null ? 'Live: waiting for the first image' : `Live: ${liveRate.toFixed(liveRate < 10 ? 2 : 1)} images/s`}
        </p>
      )}

      <div className="actions">
        {running && !live ? (
          <button type="button" className="btn btn-secondary btn-wide" onClick={onCancel} disabled={cancelling}>
            {cancelling ? 'Cancelling…' : 'Cancel'}
          </button>
        ) : (
          <button type="submit" className="btn btn-primary btn-wide" disabled={invalid || running} aria-describedby={invalid ? 'form-invalid' : undefined}>
            Generate
          </button>
        )}
        {invalid && !running && (
          <p id="form-invalid" className="muted small" data-testid="form-invalid">
            Fix the highlighted setting to generate.
          </p>
        )}
      </div>
    </form>
  );
}
