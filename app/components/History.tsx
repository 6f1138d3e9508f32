/** The last generations of this browser as thumbnails: click one to get its settings and image back; Clear forgets them. */
import type { HistoryEntry } from '../history';
import { ImageCanvas } from './ImageCanvas';

interface Props {
  entries: HistoryEntry[];
  onRestore(entry: HistoryEntry): void;
  onClear(): void;
  disabled: boolean;
}

export function History({ entries, onRestore, onClear, disabled }: Props) {
  return (
    <section className="card history-card" aria-label="History">
      <div className="card-head">
        <h2 className="card-title">History</h2>
        <span className="muted small">{entries.length ? `${entries.length} of the last 50, on this browser only` : 'Finished images appear here'}</span>
        {entries.length > 0 && (
          <button type="button" className="btn btn-ghost btn-small" onClick={onClear} data-testid="history-clear">
            Clear history
          </button>
        )}
      </div>
      {entries.length > 0 && (
        <ul className="history-grid" data-testid="history" data-count={entries.length}>
          {entries.map((e) => (
            <li key={e.id}>
              <button
                type="button"
                className="history-item"
                onClick={() => onRestore(e)}
                disabled={disabled}
                aria-label={`Restore ${e.label}, made ${new Date(e.createdAt).toLocaleString()}`}
                title={e.label}
                data-testid="history-item"
              >
                <ImageCanvas image={e.image} placeholderSize={e.image.width} label={e.label} className="history-thumb" />
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
