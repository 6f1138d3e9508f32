/** The seed (uint32) with a dice button that rolls a fresh random one. Image b of a batch uses seed + b. */
import { useId } from 'react';
import { FieldError } from './FieldError';

interface Props {
  value: string;
  onChange(text: string): void;
  onRoll(): void;
  error?: string;
  disabled: boolean;
}

export function SeedField({ value, onChange, onRoll, error, disabled }: Props) {
  const id = useId();
  return (
    <div className="field" data-invalid={error ? true : undefined}>
      <div className="field-row">
        <label className="field-label" htmlFor={id}>
          Seed
        </label>
        <span className="field-hint">image b uses seed + b</span>
      </div>
      <div className="field-controls">
        <input
          id={id}
          className="input input-seed"
          type="text"
          inputMode="numeric"
          spellCheck={false}
          autoComplete="off"
          value={value}
          onChange={(e) => onChange(e.target.value)}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? `${id}-error` : undefined}
          disabled={disabled}
        />
        <button type="button" className="btn btn-icon" onClick={onRoll} disabled={disabled} aria-label="Random seed" title="Random seed">
          <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true">
            <rect x="3" y="3" width="18" height="18" rx="4" fill="none" stroke="currentColor" strokeWidth="2" />
            <circle cx="8" cy="8" r="1.6" fill="currentColor" />
            <circle cx="16" cy="8" r="1.6" fill="currentColor" />
            <circle cx="12" cy="12" r="1.6" fill="currentColor" />
            <circle cx="8" cy="16" r="1.6" fill="currentColor" />
            <circle cx="16" cy="16" r="1.6" fill="currentColor" />
          </svg>
        </button>
      </div>
      <FieldError id={id} error={error} />
    </div>
  );
}
