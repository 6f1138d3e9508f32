// Types of bench/interleave.mjs, so the in-app benchmark page (app/bench/) runs the same protocol as npm run bench.
export type Architecture = 'nestar' | 'raster';
export function interleaved<T extends { totalMs: number }>(
  generate: (arch: Architecture, batch: number, seed: number) => Promise<T>,
  batch: number,
  repeats: number,
  log?: (line: string) => void,
): Promise<Record<Architecture, T[]>>;
