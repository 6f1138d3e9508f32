// Whether a trainer (models/train.py) shared the cores during a measurement. The benchmarks record it, and
// `npm run bench` calls a run made beside a running trainer "reduced". A trainer paused with SIGSTOP for the
// measurement (state T in /proc) takes no CPU: it counts as paused, not as load.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** 'running' (at least one trainer not stopped), 'paused' (all stopped) or null (none). */
export function trainerState() {
  const found = spawnSync('pgrep', ['-f', 'models/train.py'], { encoding: 'utf8' });
  if (found.status !== 0) return null;
  const stopped = (pid) => {
    try {
      return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('T') ?? false;
    } catch {
      return true; // gone since pgrep saw it
    }
  };
  const pids = found.stdout.trim().split('\n').filter(Boolean);
  return pids.every(stopped) ? 'paused' : 'running';
}

export const TRAINER_RUNNING = 'models/train.py was running on the same cores';

/** The sentence a benchmark records about other load, or null when the cores were its own. */
export function trainerLoad() {
  return trainerState() === 'running' ? TRAINER_RUNNING : null;
}
