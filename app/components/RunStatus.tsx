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
  return (
    <p className="run-status" role="status" data-testid="run-status" data-status={run.status}>
      <span className="run-dot" aria-hidden="true" />
      {TEXT[run.status]}
    </p>
  );
}
