// Types of bench/interleave.mjs, so the in-app benchmark page (app/bench/) runs the same protocol as npm run bench.
export type Architecture = 'nestar' | 'raster';
/** `names` default to ['nestar', 'raster']; any names may be interleaved (e.g. each model on each sampling path). */
export function interleaved<T extends { totalMs: number }, N extends string = Architecture>(
  generate: (name: N, batch: number, seed: number) => Promise<T>,
  batch: number,
  repeats: number,
  log?: (line: string) => void,
  names?: N[],
): Promise<Record<N, T[]>>;
