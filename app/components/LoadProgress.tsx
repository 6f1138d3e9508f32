/** Download progress per model file (bytes), then which session is being compiled, then the warm-up generation. */
import type { StudioState } from '../studioState';
import { formatBytes } from '../format';
import type { Backend } from '../../src/types';

/** What the warm-up generation (src/warmUp.ts) does on each backend, in the visitor's words. */
const WARM_UP_STAGE: Record<Backend, string> = {
  webgpu: 'Preparing the GPU: a first image compiles its shaders, so that yours start fast',
  wasm: 'A first image, so that yours start fast',
};

/** `onCancel` stops the downloads (the runtime's cancel): the page then offers Retry, which keeps finished files. */
export function LoadProgress({ load, totalBytes, onCancel }: { load: StudioState['load']; totalBytes: number | null; onCancel?: () => void }) {
  const loaded = load.files.reduce((sum, f) => sum + f.loaded, 0);
  const total = totalBytes ?? load.files.reduce((sum, f) => sum + f.total, 0);
  const fraction = total > 0 ? Math.min(1, loaded / total) : 0;
  const stage = load.warmingUp
    ? WARM_UP_STAGE[load.warmingUp]
    : load.compiling
      ? `Compiling ${load.compiling}`
      : load.files.length
        ? 'Downloading model'
        : 'Reading manifest';
  return (
    <section className="card load-card" aria-label="Model loading" data-testid="load-progress" data-loaded={loaded}>
      <div className="load-head">
        <span className="spinner" aria-hidden="true" />
        <span className="load-stage">{stage}…</span>
        <span className="load-total">
          {formatBytes(loaded)} / {total > 0 ? formatBytes(total) : '…'}
        </span>
        {onCancel && (
          <button type="button" className="btn btn-ghost btn-small" onClick={onCancel} data-testid="load-cancel">
            Cancel
          </button>
        )}
      </div>
      <progress className="bar bar-total" max={1} value={fraction} aria-label="Total download progress" />
      <ul className="file-list">
        {load.files.map((f) => {
          const done = f.total > 0 && f.loaded >= f.total;
          return (
            <li key={f.file} className="file-row" data-done={done}>
              <span className="file-name" title={f.file}>
                {f.file}
              </span>
              <progress className="bar" max={Math.max(1, f.total)} value={f.loaded} aria-label={`${f.file} download progress`} />
              <span className="file-bytes">
                {f.fromCache ? 'cached' : `${formatBytes(f.loaded)} / ${formatBytes(f.total)}`}
              </span>
              <span className="file-state" aria-hidden="true">
                {load.compiled.includes(f.file) ? '✓' : load.compiling === f.file ? '⚙' : done ? '↓' : ''}
              </span>
            </li>
          );
        })}
      </ul>
    </section>
  );
}
