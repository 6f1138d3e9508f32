/**
 * Static check of a manifest's generation schedule (docs/contract.md, "Generation schedule"), used by manifest.ts.
 */
import type { ManifestModule, ManifestScale } from './manifest';
import { invalid } from './manifestJson';

/**
 * Replays the schedule on an empty grid: every cell is generated exactly once, content and parents are only ever
 * cells already generated, and every scale's sub-grid is complete at the step it claims. This is what lets the
 * scheduler run the schedule as data without checks of its own.
 */
export function checkSchedule(modules: ManifestModule[], scales: ManifestScale[], grid: number): void {
  const n = grid * grid;
  const done = new Uint8Array(n);
  let order = 0;
  const stepOrder = new Map<string, number>();
  modules.forEach((mod, k) =>
    mod.steps.forEach((step, j) => {
      const sp = `modules[${k}].steps[${j}].`;
      step.contentCells.forEach((c, i) => {
        if (c === n) {
          if (j !== 0 || i !== 0) throw invalid(`${sp}content_cells[${i}]`, 'is the class token, allowed only first at step 0');
        } else if (!done[c]) {
          throw invalid(`${sp}content_cells[${i}]`, `is cell ${c}, which is not generated yet`);
        }
      });
      step.queryParentCells.forEach((c, i) => {
        if (c >= 0 && !done[c]) throw invalid(`${sp}query_parent_cells[${i}]`, `is cell ${c}, which is not generated yet`);
      });
      step.queryCells.forEach((c, i) => {
        if (done[c]) throw invalid(`${sp}query_cells[${i}]`, `generates cell ${c} a second time`);
        done[c] = 1;
      });
      stepOrder.set(`${k}/${j}`, order++);
    }),
  );
  const missing = done.indexOf(0);
  if (missing >= 0) throw invalid('modules', `never generate cell ${missing}`);

  if (scales.length === 0) throw invalid('scales', 'must not be empty');
  let previous = -1;
  scales.forEach((s, i) => {
    const path = `scales[${i}]`;
    const at = stepOrder.get(`${s.module}/${s.step}`);
    if (at === undefined) throw invalid(`${path}.module/step`, `(${s.module}, ${s.step}) is not a step of the schedule`);
    if (at < previous) throw invalid(path, 'must come in generation order');
    previous = at;
    if (s.grid * s.stride !== grid) throw invalid(`${path}.stride`, `times grid must be tokens.grid ${grid}, is ${s.stride} x ${s.grid}`);
    // Replay up to and including that step, then require the sub-grid to be complete.
    const seen = new Uint8Array(n);
    let o = 0;
    for (const mod of modules) for (const step of mod.steps) if (o++ <= at) for (const c of step.queryCells) seen[c] = 1;
    for (let r = 0; r < s.grid; r++) {
      for (let c = 0; c < s.grid; c++) {
        const cell = r * s.stride * grid + c * s.stride;
        if (!seen[cell]) throw invalid(path, `claims the ${s.grid}x${s.grid} sub-grid is done, but cell ${cell} is not generated yet`);
      }
    }
  });
  const last = scales[scales.length - 1];
  if (last && last.grid !== grid) throw invalid(`scales[${scales.length - 1}].grid`, `must be the full grid ${grid} (the last scale is the image)`);
}
