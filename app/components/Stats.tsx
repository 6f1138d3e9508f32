/** Run statistics measured in the worker: time to first preview, total time, sequential steps, backend, WASM threads. */
import type { RuntimeInfo } from '../../src/types';
import { formatMs } from '../format';
import type { RunState } from '../studioState';

export function Stats({ run, runtime }: { run: RunState; runtime: RuntimeInfo | null }) {
  const last = run.frames[run.frames.length - 1];
  const steps = last ? `${last.stepsDone} / ${last.stepsTotal}` : `– / ${runtime?.model?.sequentialSteps ?? '–'}`;
  const ode = !run.request
    ? '–'
    : run.request.solver === 'few_step'
      ? `fast · ${runtime?.model?.fewStep?.evaluations ?? '?'} evals`
      : `${run.request.odeSteps} × ${run.request.solver}`;
  const threads = runtime?.wasmThreads;
  const perImage = run.totalMs !== null && run.request ? run.totalMs / run.request.batch : null;
  return (
    <dl className="stats" data-testid="stats">
      <div className="stat">
        <dt>First preview</dt>
        <dd data-testid="stat-first-preview" data-ms={run.firstPreviewMs ?? ''}>
          {formatMs(run.firstPreviewMs)}
        </dd>
      </div>
      <div className="stat">
        <dt>Total</dt>
        <dd data-testid="stat-total" data-ms={run.totalMs ?? ''}>
          {formatMs(run.totalMs)}
          {perImage !== null && run.request && run.request.batch > 1 && <small> ({formatMs(perImage)}/image)</small>}
        </dd>
      </div>
      <div className="stat">
        <dt>Sequential steps</dt>
        <dd data-testid="stat-steps">{steps}</dd>
      </div>
      <div className="stat">
        <dt>Sampler</dt>
        <dd>{ode}</dd>
      </div>
      <div className="stat">
        <dt>Backend</dt>
        <dd data-testid="stat-backend">{runtime?.backend ?? '–'}</dd>
      </div>
      <div className="stat">
        <dt>WASM threads</dt>
        <dd data-testid="stat-threads" data-threads={threads?.count ?? ''} data-isolated={threads ? String(threads.isolated) : ''} title={threads?.reason}>
          {threads?.count ?? '–'}
          {threads && !threads.isolated && <small> (page not cross-origin isolated)</small>}
        </dd>
      </div>
    </dl>
  );
}
