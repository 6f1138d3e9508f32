/**
 * Stored models: what this browser keeps in Cache Storage (src/modelCache.ts), per model with its size, each with a
 * Delete button; and whether the loaded model is kept at all. Without Cache Storage (private modes, blocked site
 * data) or when it is full, the model still runs from memory; the card says it will not be kept.
 */
import type { CachedModel, CacheStatus } from '../../src/modelCache';
import { formatBytes } from '../format';

export interface StorageView {
  models: CachedModel[];
  /** The loaded model's files in the cache; null until known. */
  current: CacheStatus | null;
  /** navigator.storage.estimate(), when the browser has it. */
  estimate: { usage: number; quota: number } | null;
  /** The visitor deleted the loaded model's files here (so "not kept" is their choice, not a full disk). */
  deletedCurrent: boolean;
}

/** One sentence on the loaded model's storage, and whether it is kept. */
export function storageSentence(status: CacheStatus | null, deletedCurrent = false): { kept: boolean; deleted?: boolean; text: string } | null {
  if (!status) return null;
  if (deletedCurrent && status.storedFiles < status.totalFiles) {
    return { kept: false, deleted: true, text: 'Deleted from this browser: the model stays loaded in this tab; the next visit downloads it again.' };
  }
  if (!status.available) {
    return {
      kept: false,
      text: 'This page cannot use storage here (a private window, or site data is blocked): the model runs from memory and will not be kept; it downloads again on the next visit.',
    };
  }
  if (status.storedFiles < status.totalFiles) {
    return {
      kept: false,
      text: `Storage is full: ${status.storedFiles} of ${status.totalFiles} model files could be kept. The model runs from memory; the rest downloads again on the next visit. Delete stored models below to make room.`,
    };
  }
  return { kept: true, text: 'Kept in this browser: the next visit (and offline use) needs no download.' };
}

interface Props {
  view: StorageView;
  currentModelId: string | null;
  onDelete(modelId: string | null): void;
  busy: boolean;
}

export function CacheManager({ view, currentModelId, onDelete, busy }: Props) {
  const sentence = storageSentence(view.current, view.deletedCurrent);
  const total = view.models.reduce((sum, m) => sum + m.bytes, 0);
  return (
    <section className="card cache-card" aria-label="Stored models" data-testid="cache-manager">
      <div className="card-head">
        <h2 className="card-title">Stored models</h2>
        <span className="muted small" data-testid="cache-total" data-bytes={total}>
          {view.models.length ? `${formatBytes(total)} in this browser` : 'Nothing stored'}
          {view.estimate && view.estimate.quota > 0 ? ` · ${formatBytes(Math.max(0, view.estimate.quota - view.estimate.usage))} free for this site` : ''}
        </span>
      </div>
      {sentence && (
        <p className={sentence.kept ? 'cache-status' : 'cache-status cache-status-warn'} data-testid="cache-status" data-kept={sentence.kept} role="status">
          {sentence.text}
        </p>
      )}
      {view.models.length > 0 && (
        <ul className="cache-list">
          {view.models.map((m) => (
            <li key={m.modelId ?? '(older)'} className="cache-row" data-testid="cache-row" data-model={m.modelId ?? ''} data-bytes={m.bytes}>
              <span className="cache-name">
                {m.modelId ?? 'Older entries'}
                {m.modelId === currentModelId && <span className="cache-tag">in use</span>}
              </span>
              <span className="muted small">
                {m.files.length} {m.files.length === 1 ? 'file' : 'files'}
              </span>
              <span className="cache-size">{formatBytes(m.bytes)}</span>
              <button
                type="button"
                className="btn btn-ghost btn-small"
                onClick={() => onDelete(m.modelId)}
                disabled={busy}
                aria-label={`Delete the stored files of ${m.modelId ?? 'older entries'}`}
                data-testid="cache-delete"
              >
                Delete
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
