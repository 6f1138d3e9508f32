/** A labelled numeric setting: text as typed, optional slider, the allowed range and an inline validation message. */
import { useId } from 'react';
import { FieldError } from './FieldError';

interface Props {
  label: string;
  value: string;
  onChange(text: string): void;
  range: [number, number];
  step: number;
  error?: string;
  slider?: boolean;
  disabled: boolean;
  /** Shown instead of the range, e.g. why the field does not apply. */
  note?: string;
}

export function NumberField({ label, value, onChange, range, step, error, slider, disabled, note }: Props) {
  const id = useId();
  const [min, max] = range;
  const numeric = Number(value);
  return (
    <div className="field" data-invalid={error ? true : undefined}>
      <div className="field-row">
        <label className="field-label" htmlFor={id}>
          {label}
        </label>
        <span className="field-hint">{note ?? `${min}–${max}`}</span>
      </div>
      <div className="field-controls">
        {slider && (
          <input
            type="range"
            className="slider"
            aria-label={`${label} slider`}
            min={min}
            max={max}
            step={step}
            value={Number.isFinite(numeric) ? Math.min(max, Math.max(min, numeric)) : min}
            onChange={(e) => onChange(e.target.value)}
            disabled={disabled}
            tabIndex={-1}
          />
        )}
        <input
          id={id}
          className="input input-number"
          type="number"
          inputMode="decimal"
          min={min}
          max={max}
          step={step}
          value={value}
          onChange={(e) => onChange(e.target.value)}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? `${id}-error` : undefined}
          disabled={disabled}
        />
      </div>
      <FieldError id={id} error={error} />
    </div>
  );
}
