/**
 * Run statistics measured in the worker: time to first preview, total time, time inside session calls (with the
 * calls per kind in its tooltip), sequential steps, backend, WASM threads.
 */
import { callTotals, type CallStats } from '../../src/callTimer';
import type { RuntimeInfo } from '../../src/types';
import { evaluationsLabel, formatMs } from '../format';
import type { RunState } from '../studioState';

export function Stats({ run, runtime }: { run: RunState; runtime: RuntimeInfo | null }) {
  const last = run.frames[run.frames.length - 1];
  const steps = last ? `${last.stepsDone} / ${last.stepsTotal}` : `– / ${runtime?.model?.sequentialSteps ?? '–'}`;
  const ode = !run.request
    ? '–'
    : run.request.solver === 'few_step'
      ? `fast · ${evaluationsLabel(runtime?.model?.fewStep?.evaluations)} evals`
      : `${run.request.odeSteps} × ${run.request.solver}`;
  const threads = runtime?.wasmThreads;
  const sessions = run.calls ? callTotals(run.calls) : null;
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
        <dt>In sessions</dt>
        <dd data-testid="stat-sessions" data-ms={sessions?.ms ?? ''} data-calls={sessions?.calls ?? ''} title={run.calls ? callBreakdown(run.calls) : undefined}>
          {formatMs(sessions?.ms ?? null)}
          {sessions && <small> ({sessions.calls} calls)</small>}
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

const CALL_NAMES: Record<keyof CallStats, string> = {
  backbone: 'transformer',
  flowHead: 'flow head (ODE)',
  fewStep: 'few-step sampler',
  decode: 'decoder',
  previewDecode: 'preview decoder',
};

/** e.g. "transformer: 10 calls, 41 ms · few-step sampler: 10 calls, 22 ms · decoder: 4 calls, 18 ms". */
export function callBreakdown(calls: CallStats): string {
  return (Object.keys(CALL_NAMES) as (keyof CallStats)[])
    .filter((kind) => calls[kind].calls > 0)
    .map((kind) => `${CALL_NAMES[kind]}: ${calls[kind].calls} calls, ${formatMs(calls[kind].ms)}`)
    .join(' · ');
}
