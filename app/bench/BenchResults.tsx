/** The benchmark's table: per batch size, NestAR and raster side by side, and the ratios that matter. */
import { fmt, spread } from '../../bench/stats.mjs';
import type { ArchResult, BenchReport } from './pageBenchmark';

function Row({ r, label }: { r: ArchResult; label: string }) {
  return (
    <tr>
      <th scope="row">{label}</th>
      <td>{r.steps}</td>
      <td>{spread(r.msPerImage)}</td>
      <td>{spread(r.totalMs)}</td>
      <td>{spread(r.firstPreviewMs)}</td>
      <td>{r.scaleMs.map((s) => fmt(s.median)).join(' / ')}</td>
    </tr>
  );
}

export function BenchResults({ report }: { report: BenchReport }) {
  return (
    <section className="card bench-results" data-testid="bench-results">
      <div className="card-head">
        <h2 className="card-title">Results</h2>
        <span className="muted small">
          {report.backend === 'webgpu' ? `WebGPU${report.adapter ? ` (${report.adapter})` : ''}` : 'WASM (CPU)'} · {report.models.nestar.odeSteps} {report.models.nestar.solver} ODE steps · {report.settings.repeats} repeats
        </span>
      </div>
      {report.results.map((b) => (
        <div key={b.batch} className="bench-batch">
          <h3>
            Batch {b.batch}: NestAR takes <strong data-testid={`bench-ratio-${b.batch}`}>{b.timeRatio.toFixed(2)}x</strong> the raster model's time per
            image; its first preview comes after <strong>{(b.firstPreviewRatio * 100).toFixed(0)}%</strong> of the raster model's time to its only image.
          </h3>
          <table className="bench-table">
            <thead>
              <tr>
                <th scope="col">model</th>
                <th scope="col">steps</th>
                <th scope="col">ms per image</th>
                <th scope="col">ms per batch</th>
                <th scope="col">first preview ms</th>
                <th scope="col">each scale done (median ms)</th>
              </tr>
            </thead>
            <tbody>
              <Row r={b.nestar} label={`NestAR (${b.nestar.model})`} />
              <Row r={b.raster} label={`raster (${b.raster.model})`} />
            </tbody>
          </table>
        </div>
      ))}
    </section>
  );
}
