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
export interface RunTiming {
  totalMs: number;
  firstPreviewMs: number;
  scaleMs: number[];
}
export interface RunSummaries {
  msPerImage: Summary;
  totalMs: Summary;
  firstPreviewMs: Summary;
  scaleMs: Summary[];
}
export function summarizeRuns(runs: RunTiming[], batch: number): RunSummaries;
export function pairedRatio(a: number[], b: number[]): number;
export function fmt(v: number): string;
export function spread(s: Summary): string;
