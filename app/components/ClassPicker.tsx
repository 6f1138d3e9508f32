/**
 * Class picker: the model's classes grouped by their group, filterable by a search box; one radio per class, at
 * most MAX_SHOWN of them (app/classFilter.ts): the search box narrows the rest. Labels are text, never markup (React
 * escapes them).
 */
import { useMemo, useState } from 'react';
import type { ModelClass } from '../../src/types';
import { MAX_SHOWN, visibleClasses } from '../classFilter';

interface Props {
  classes: ModelClass[];
  value: number;
  onChange(index: number): void;
  disabled: boolean;
}

export function ClassPicker({ classes, value, onChange, disabled }: Props) {
  const [query, setQuery] = useState('');
  const { groups, matching } = useMemo(() => visibleClasses(classes, query), [classes, query]);
  const selected = classes.find((c) => c.index === value);

  return (
    <fieldset className="field class-picker" disabled={disabled}>
      <legend className="field-label">
        Class <span className="field-hint">{classes.length} classes</span>
      </legend>
      <div className="class-selected" aria-live="polite">
        <span className="class-selected-label" data-testid="selected-class">
          {selected?.label ?? '—'}
        </span>
        <span className="class-selected-group">{selected?.group}</span>
      </div>
      <input
        type="search"
        className="input"
        placeholder="Search classes or groups…"
        aria-label="Search classes"
        value={query}
        onChange={(e) => setQuery(e.target.value)}
      />
      <div className="class-groups" role="group" aria-label="Classes">
        {groups.length === 0 && <p className="muted small">No class matches “{query}”.</p>}
        {matching > MAX_SHOWN && (
          <p className="muted small" data-testid="class-overflow">
            Showing {MAX_SHOWN} of {matching.toLocaleString('en')} classes: type in the search box to find the others.
          </p>
        )}
        {groups.map(([group, list]) => (
          <div key={group} className="class-group" role="radiogroup" aria-label={group}>
            <div className="class-group-name">{group}</div>
            <div className="chips">
              {list.map((c) => (
                <label key={c.index} className="chip" data-selected={c.index === value}>
                  <input
                    type="radio"
                    name="class"
                    value={c.index}
                    checked={c.index === value}
                    onChange={() => onChange(c.index)}
                    aria-label={c.label}
                  />
                  <span>{c.label}</span>
                </label>
              ))}
            </div>
          </div>
        ))}
      </div>
    </fieldset>
  );
}
