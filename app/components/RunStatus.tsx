/** One line saying what the current run is doing (announced to screen readers). */
import type { RunState } from '../studioState';

const TEXT: Record<RunState['status'], string> = {
  idle: 'Ready',
  running: 'Generating…',
  done: 'Done',
  cancelled: 'Cancelled',
  failed: 'Failed',
};

export function RunStatus({ run }: { run: RunState }) {
  // A run that stopped after a chosen scale is done, but its image is that scale's preview.
  const stopped = run.status === 'done' && run.final === null && run.lastScale !== null;
  return (
    <p className="run-status" role="status" data-testid="run-status" data-status={run.status} data-run={run.id} data-stopped={stopped ? run.lastScale : undefined}>
      <span className="run-dot" aria-hidden="true" />
      {stopped ? `Stopped after scale ${run.lastScale}` : TEXT[run.status]}
    </p>
  );
}
