/** The backend the model runs on, the GPU adapter (if any) and why the runtime chose it. */
import type { RuntimeInfo } from '../../src/types';

export function BackendBadge({ runtime, loading }: { runtime: RuntimeInfo | null; loading: boolean }) {
  if (!runtime?.backend) {
    return (
      <span className="badge badge-pending" data-testid="backend-badge" data-backend="">
        <span className="badge-dot" aria-hidden="true" />
        {loading ? 'Starting runtime…' : 'No backend'}
      </span>
    );
  }
  const name = runtime.backend === 'webgpu' ? 'WebGPU' : 'WASM';
  return (
    <span
      className={`badge badge-${runtime.backend}`}
      data-testid="backend-badge"
      data-backend={runtime.backend}
      title={runtime.reason}
    >
      <span className="badge-dot" aria-hidden="true" />
      <strong>{name}</strong>
      {runtime.adapter && <span className="badge-adapter">{runtime.adapter}</span>}
      <span className="visually-hidden">: {runtime.reason}</span>
    </span>
  );
}
