/**
 * `flag`, except that it turns true only once `flag` has stayed true for `delayMs` (it turns false at once).
 *
 * The page greys out its settings and history while a run goes on. A few-step run takes ~50-150 ms, so doing it at
 * once flashed the whole sidebar grey and back on every Generate, and restyling and repainting ~120 controls twice
 * per run cost this 2-core machine more CPU than the run's own previews (a Chrome trace: style invalidations of the
 * class picker's inputs, the selects' options and the history's buttons). Runs shorter than the delay never grey
 * anything; longer ones do, as before.
 */
import { useEffect, useState } from 'react';

export function useDelayedFlag(flag: boolean, delayMs: number): boolean {
  const [late, setLate] = useState(false);
  useEffect(() => {
    if (!flag) {
      setLate(false);
      return;
    }
    const timer = setTimeout(() => setLate(true), delayMs);
    return () => clearTimeout(timer);
  }, [flag, delayMs]);
  return flag && late;
}
