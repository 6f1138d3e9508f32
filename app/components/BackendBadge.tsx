/** The backend the model runs on, the device it runs on and why the runtime chose it. */
import type { RuntimeInfo } from '../../src/types';

export function BackendBadge({ runtime, loading }: { runtime: RuntimeInfo | null; loading: boolean }) {
  if (!runtime?.backend) {
    return (
      <div className="backend" data-testid="backend-badge" data-backend="">
        <span className="badge badge-pending">
          <span className="badge-dot" aria-hidden="true" />
          {loading ? 'Starting runtime…' : 'No backend'}
        </span>
      </div>
    );
  }
  const webgpu = runtime.backend === 'webgpu';
  // WASM runs on the CPU; the GPU adapter it passed over (if any) is named in the reason.
  const device = webgpu ? (runtime.adapter ?? 'GPU') : 'CPU';
  const why = runtime.reason.replace(/^WASM: /, '');
  return (
    <div className="backend" data-testid="backend-badge" data-backend={runtime.backend} title={runtime.reason}>
      <span className={`badge badge-${runtime.backend}`}>
        <span className="badge-dot" aria-hidden="true" />
        <strong>{webgpu ? 'WebGPU' : 'WASM'}</strong>
        <span className="badge-adapter">{device}</span>
      </span>
      <span className="backend-why" data-testid="backend-reason">
        {why}
      </span>
    </div>
  );
}
