// Summary statistics of repeated timings: the median and the spread (min, max, quartiles by linear interpolation).

function quantile(sorted, q) {
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (at - lo);
}

/** {median, min, max, q1, q3, n} of a non-empty list of numbers. */
export function summarize(values) {
  if (values.length === 0) throw new Error('summarize: no values');
  const sorted = [...values].sort((a, b) => a - b);
  return {
    median: quantile(sorted, 0.5),
    min: sorted[0],
    max: sorted[sorted.length - 1],
    q1: quantile(sorted, 0.25),
    q3: quantile(sorted, 0.75),
    n: sorted.length,
  };
}

/**
 * The timing summaries of one model's repeated runs at `batch`: per batch, per image, first preview and each scale
 * (runs: [{totalMs, firstPreviewMs, scaleMs: number[]}]). Shared by npm run bench and the in-app benchmark page.
 */
export function summarizeRuns(runs, batch) {
  return {
    msPerImage: summarize(runs.map((r) => r.totalMs / batch)),
    totalMs: summarize(runs.map((r) => r.totalMs)),
    firstPreviewMs: summarize(runs.map((r) => r.firstPreviewMs)),
    scaleMs: runs[0].scaleMs.map((_, s) => summarize(runs.map((r) => r.scaleMs[s]))),
  };
}

/**
 * The median of the per-repeat ratios a[i] / b[i] of two interleaved series (repeat i of both ran in the same round,
 * so a drift in the machine's load cancels out of each ratio). Falls back to the ratio of medians when the series
 * do not pair up.
 */
export function pairedRatio(a, b) {
  if (a.length === 0 || a.length !== b.length) return summarize(a).median / summarize(b).median;
  return summarize(a.map((x, i) => x / b[i])).median;
}

/** A time for a table: 3 significant-ish digits. */
export const fmt = (v) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));

/** A summary as "median (min–max)". */
export const spread = (s) => `${fmt(s.median)} (${fmt(s.min)}–${fmt(s.max)})`;
