/** Small display formatters shared by the components. */

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  if (bytes < 1024 * 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
  return `${(bytes / (1024 * 1024 * 1024)).toFixed(1)} GB`;
}

export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(ms < 10000 ? 2 : 1)} s`;
}

export function gridLabel(grid: number): string {
  return `${grid}×${grid}`;
}

/** A few-step sampler's head evaluations per token: "2", or per module coarse to fine, "2/2/1". */
export function evaluationsLabel(evaluations: readonly number[] | undefined): string {
  if (!evaluations || evaluations.length === 0) return '?';
  return evaluations.every((k) => k === evaluations[0]) ? String(evaluations[0]) : evaluations.join('/');
}
