// Types of bench/stats.mjs, so the in-app benchmark page (app/bench/) uses the same statistics as npm run bench.
export interface Summary {
  median: number;
  min: number;
  max: number;
  q1: number;
  q3: number;
  n: number;
}
export function summarize(values: number[]): Summary;
