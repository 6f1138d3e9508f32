/**
 * The benchmark's results: per batch size, how much faster the few-step path is than the ODE path for each model,
 * NestAR against raster on each path, and a table of every model on every path.
 */
import { fmt, spread } from '../../bench/stats.mjs';
import { PATH_NAMES, type ArchResult, type BatchResult, type BenchReport, type PathResult } from './pageBenchmark';

function callsText(r: ArchResult): string {
  const parts = [`${r.calls.backbone} backbone`];
  if (r.calls.flow) parts.push(`${r.calls.flow} flow`);
  if (r.calls.fewStep) parts.push(`${r.calls.fewStep} few-step`);
  return `${r.calls.total} (${parts.join(' + ')})`;
}

function Row({ r, p, first, rows }: { r: ArchResult; p: PathResult; first: boolean; rows: number }) {
  return (
    <tr data-path={p.path} className={first ? 'bench-path-first' : undefined}>
      {first && (
        <th scope="rowgroup" rowSpan={rows} className="bench-path-cell">
          {PATH_NAMES[p.path]}
          <span className="muted small">{p.sampling}</span>
        </th>
      )}
      <th scope="row">
        {r.arch === 'nestar' ? 'NestAR' : 'raster'} <span className="muted small">{r.model}</span>
      </th>
      <td>{r.steps}</td>
      <td>{callsText(r)}</td>
      <td>
        <strong>{fmt(r.msPerImage.median)}</strong> <span className="muted small">({fmt(r.msPerImage.min)}–{fmt(r.msPerImage.max)})</span>
      </td>
      <td>{spread(r.totalMs)}</td>
      <td>{spread(r.firstPreviewMs)}</td>
      <td>{r.scaleMs.map((s) => fmt(s.median)).join(' / ')}</td>
    </tr>
  );
}

function Summary({ b }: { b: BatchResult }) {
  const lines = [];
  const [nSpeed, rSpeed] = [b.speedup.nestar, b.speedup.raster];
  if (nSpeed !== null || rSpeed !== null) {
    lines.push(
      <li key="speedup">
        The few-step path is{' '}
        {nSpeed !== null && (
          <>
            <strong data-testid={`bench-speedup-${b.batch}-nestar`}>{nSpeed.toFixed(1)}x</strong> faster than the ODE path for NestAR
          </>
        )}
        {nSpeed !== null && rSpeed !== null && ', '}
        {rSpeed !== null && (
          <>
            <strong data-testid={`bench-speedup-${b.batch}-raster`}>{rSpeed.toFixed(1)}x</strong> for raster
          </>
        )}
        .
      </li>,
    );
  }
  for (const p of b.paths) {
    if (p.timeRatio === null || p.firstPreviewRatio === null) continue;
    lines.push(
      <li key={p.path}>
        {PATH_NAMES[p.path].charAt(0).toUpperCase() + PATH_NAMES[p.path].slice(1)} path: NestAR takes <strong data-testid={`bench-ratio-${b.batch}-${p.path}`}>{p.timeRatio.toFixed(2)}x</strong> the raster
        model's time per image; its first preview comes after <strong>{(p.firstPreviewRatio * 100).toFixed(0)}%</strong> of the raster model's time to its only
        image.
      </li>,
    );
  }
  return <ul className="bench-summary">{lines}</ul>;
}

export function BenchResults({ report }: { report: BenchReport }) {
  const ode = report.models.nestar;
  return (
    <section className="card bench-results" data-testid="bench-results">
      <div className="card-head">
        <h2 className="card-title">Results</h2>
        <span className="muted small">
          {report.backend === 'webgpu' ? `WebGPU${report.adapter ? ` (${report.adapter})` : ''}` : 'WASM (CPU)'} · ODE path: {ode.odeSteps} {ode.solver} steps · {report.settings.repeats} repeats
        </span>
      </div>
      {report.skipped.length > 0 && (
        <ul className="bench-skipped" data-testid="bench-skipped">
          {report.skipped.map((s) => (
            <li key={s}>Not measured: {s}.</li>
          ))}
        </ul>
      )}
      {report.results.map((b) => (
        <div key={b.batch} className="bench-batch">
          <h3>Batch {b.batch}</h3>
          <Summary b={b} />
          <div className="bench-table-wrap">
            <table className="bench-table">
              <thead>
                <tr>
                  <th scope="col">path</th>
                  <th scope="col">model</th>
                  <th scope="col">steps</th>
                  <th scope="col">calls per generation</th>
                  <th scope="col">ms per image</th>
                  <th scope="col">ms per batch</th>
                  <th scope="col">first preview ms</th>
                  <th scope="col">each scale done (median ms)</th>
                </tr>
              </thead>
              {b.paths.map((p) => {
                const rows = [p.nestar, p.raster].filter((r): r is ArchResult => r !== null);
                return (
                  <tbody key={p.path}>
                    {rows.map((r, i) => (
                      <Row key={r.arch} r={r} p={p} first={i === 0} rows={rows.length} />
                    ))}
                  </tbody>
                );
              })}
            </table>
          </div>
        </div>
      ))}
      <p className="muted small">
        Times: median (min–max) over the repeats. Ratios: median of the per-round ratios (the runs they divide ran side by side). Calls: session calls per
        generation from the model's schedule (one call serves the whole batch; a latent model's decoder calls are not counted).
      </p>
    </section>
  );
}
