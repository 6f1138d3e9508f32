/**
 * The benchmark page (bench.html): NestAR vs the raster-AR baseline on this machine, on the ODE path and the
 * few-step path, the same protocol as `npm run bench`, with a table of the results and the raw JSON to copy into a
 * report.
 * `?nestar=<id>&raster=<id>` pick other model folders (same token count), `?ep=webgpu|wasm` a backend.
 */
import { useEffect, useRef, useState } from 'react';
import { createNestarClient } from '../../src/client';
import { evaluationsLabel } from '../format';
import { parseUrl } from '../urlState';
import { isNestarError, NestarError } from '../../src/errors';
import type { BackendRequest } from '../../src/types';
import type { Architecture } from '../../bench/interleave.mjs';
import { Brand } from '../components/Brand';
import { modelFolderUrl, parseBackend } from '../modelSource';
import { ARCHITECTURES, PATHS, runPageBenchmark, type BenchClients, type BenchReport, type BenchSettings, type SamplingPath } from './pageBenchmark';
import { BenchResults } from './BenchResults';

const DEFAULT_MODELS: Record<Architecture, string> = { nestar: 'emoji32-nestar', raster: 'emoji32-raster' };

function modelIds(search: string): Record<Architecture, string> {
  const params = new URLSearchParams(search);
  return { nestar: params.get('nestar') ?? DEFAULT_MODELS.nestar, raster: params.get('raster') ?? DEFAULT_MODELS.raster };
}

type Phase = { status: 'idle' } | { status: 'running'; what: string } | { status: 'done'; report: BenchReport } | { status: 'error'; message: string };

function describeError(e: unknown): string {
  if (isNestarError(e)) return `${e.code}: ${e.message}`;
  return e instanceof Error ? e.message : String(e);
}

export function BenchPage() {
  const ids = modelIds(window.location.search);
  const [backend, setBackend] = useState<BackendRequest>(parseBackend(new URLSearchParams(window.location.search).get('ep')));
  const [batches, setBatches] = useState<number[]>([1, 8]);
  const [repeats, setRepeats] = useState(5);
  const [odeSteps, setOdeSteps] = useState('');
  const [paths, setPaths] = useState<SamplingPath[]>(PATHS);
  const [phase, setPhase] = useState<Phase>({ status: 'idle' });
  const [log, setLog] = useState<string[]>([]);
  const [copied, setCopied] = useState(false);
  // Filled one model at a time while loading, so Stop may find only the first.
  const clients = useRef<Partial<BenchClients> | null>(null);
  // Set by Stop: a run checks it after each model load, so a Stop that lands between two loads (when the first
  // model's client is already there and the second not yet) still ends the run instead of starting the second.
  const stopRequested = useRef(false);

  const disposeClients = () => {
    if (clients.current) for (const arch of ARCHITECTURES) clients.current[arch]?.client.dispose();
    clients.current = null;
  };
  useEffect(() => disposeClients, []);

  const odeStepsValue = odeSteps.trim() === '' ? null : Number(odeSteps);
  const settingsError =
    batches.length === 0
      ? 'Pick at least one batch size.'
      : paths.length === 0
        ? 'Pick at least one sampling path.'
        : !Number.isInteger(repeats) || repeats < 1 || repeats > 50
          ? 'Repeats must be a whole number from 1 to 50.'
          : odeStepsValue !== null && (!Number.isInteger(odeStepsValue) || odeStepsValue < 1 || odeStepsValue > 100)
            ? 'ODE steps must be empty (model default) or a whole number from 1 to 100.'
            : null;
  const running = phase.status === 'running';

  const append = (line: string) => setLog((l) => [...l, line]);
  // Lines of a run that was stopped: a download event can still arrive after Stop and must not follow "stopped".
  const appendUnlessStopped = (line: string) => {
    if (!stopRequested.current) append(line);
  };

  const run = async () => {
    if (settingsError || running) return;
    const settings: BenchSettings = { backend, batches: [...batches].sort((a, b) => a - b), repeats, odeSteps: odeStepsValue, paths: PATHS.filter((p) => paths.includes(p)) };
    setLog([]);
    setCopied(false);
    disposeClients(); // fresh workers: the backend may have changed, and nothing of a previous run may warm this one
    stopRequested.current = false;
    const loaded: Partial<BenchClients> = {};
    const throwIfStopped = () => {
      if (stopRequested.current) throw new NestarError('CANCELLED', 'the benchmark was stopped');
    };
    try {
      clients.current = loaded;
      for (const arch of ARCHITECTURES) {
        throwIfStopped();
        const id = ids[arch];
        setPhase({ status: 'running', what: `loading ${id}` });
        const client = createNestarClient({ wasmThreads: parseUrl(window.location.search).wasmThreads ?? undefined });
        loaded[arch] = { client, id, info: { backend: null, adapter: null, reason: '', wasmThreads: { count: 1, isolated: false, reason: '' }, model: null } };
        const info = await client.load({ baseUrl: modelFolderUrl(id), backend }, (e) => {
          if (e.type === 'download' && e.loaded === e.total) appendUnlessStopped(`${id}: ${e.file} ${(e.total / 1e6).toFixed(1)} MB${e.fromCache ? ' (cached)' : ''}`);
        });
        loaded[arch] = { client, id, info };
        const few = info.model?.fewStep;
        append(`${id}: ${info.model?.architecture} model on ${info.backend}${info.backend === 'webgpu' && info.adapter ? ` (${info.adapter})` : ''}, ${info.wasmThreads.reason}; ${few ? `few-step sampler with ${evaluationsLabel(few.evaluations)} evaluations` : 'no few-step sampler'}`);
      }
      throwIfStopped();
      setPhase({ status: 'running', what: 'measuring' });
      const report = await runPageBenchmark(loaded as BenchClients, settings, appendUnlessStopped);
      setPhase({ status: 'done', report });
    } catch (e) {
      if (isNestarError(e) && e.code === 'CANCELLED') {
        append('stopped');
        setPhase({ status: 'idle' });
      } else {
        setPhase({ status: 'error', message: describeError(e) });
      }
    } finally {
      disposeClients();
      for (const arch of ARCHITECTURES) loaded[arch]?.client.dispose(); // also one created after Stop
    }
  };

  const stop = () => {
    stopRequested.current = true;
    disposeClients(); // pending calls reject with CANCELLED
  };

  const json = phase.status === 'done' ? JSON.stringify(phase.report, null, 1) : '';
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(json);
      setCopied(true);
    } catch {
      setCopied(false); // the textarea stays there to select by hand
    }
  };

  const toggleBatch = (b: number) => setBatches((bs) => (bs.includes(b) ? bs.filter((x) => x !== b) : [...bs, b]));
  const togglePath = (p: SamplingPath) => setPaths((ps) => (ps.includes(p) ? ps.filter((x) => x !== p) : [...ps, p]));

  return (
    <div className="app bench-page">
      <header className="app-header">
        <Brand name="NestAR Studio · Benchmark" tagline="NestAR against token-by-token autoregression, on your hardware" />
        <a className="btn btn-secondary" href="./">
          Back to the studio
        </a>
      </header>

      <section className="card bench-intro">
        <p>
          Both models have modules of the same size (by default width 128, depth 4, the same flow head) and make the same tokens.
          <strong> NestAR</strong> ({ids.nestar}) makes them in a few steps, coarse to fine; the <strong>raster</strong> baseline ({ids.raster})
          makes one token per step. They run alternately, each in its own worker, and the first run of each is a warm-up that is not counted.
          Times are medians with the range over the repeats.
        </p>
        <p>
          Each model samples its tokens on two paths: the <strong>ODE</strong> path (the reference: 16 Heun steps, 32 flow-head calls per step, the
          batch doubled for guidance) and the <strong>few-step</strong> path (a distilled sampler: one call per step with guidance folded in, where
          the model has one). Both paths run side by side, so the speed-up is measured under the same conditions.
        </p>
      </section>

      <section className="card bench-form" aria-label="Benchmark settings">
        <label className="field">
          <span className="field-label">Backend</span>
          <select className="input" value={backend} disabled={running} onChange={(e) => setBackend(e.target.value as BackendRequest)} data-testid="bench-backend">
            <option value="auto">auto (WebGPU when a real GPU is there)</option>
            <option value="webgpu">WebGPU</option>
            <option value="wasm">WASM (CPU)</option>
          </select>
        </label>
        <fieldset className="field">
          <legend className="field-label">Batch sizes</legend>
          <div className="chips">
            {[1, 8].map((b) => (
              <label key={b} className="chip" data-selected={batches.includes(b)}>
                <input type="checkbox" checked={batches.includes(b)} disabled={running} onChange={() => toggleBatch(b)} data-testid={`bench-batch-${b}`} />
                batch {b}
              </label>
            ))}
          </div>
        </fieldset>
        <fieldset className="field">
          <legend className="field-label">Sampling paths</legend>
          <div className="chips">
            {PATHS.map((p) => (
              <label key={p} className="chip" data-selected={paths.includes(p)}>
                <input type="checkbox" checked={paths.includes(p)} disabled={running} onChange={() => togglePath(p)} data-testid={`bench-path-${p}`} />
                {p === 'ode' ? 'ODE (reference)' : 'few-step (fast)'}
              </label>
            ))}
          </div>
        </fieldset>
        <label className="field">
          <span className="field-label">Repeats</span>
          <input className="input" type="number" min={1} max={50} value={repeats} disabled={running} onChange={(e) => setRepeats(e.target.valueAsNumber)} data-testid="bench-repeats" />
        </label>
        <label className="field">
          <span className="field-label">ODE steps (ODE path)</span>
          <input className="input" type="number" min={1} max={100} placeholder="model default" value={odeSteps} disabled={running} onChange={(e) => setOdeSteps(e.target.value)} data-testid="bench-ode-steps" />
        </label>
        <div className="bench-actions">
          <button className="btn btn-primary" disabled={running || settingsError !== null} onClick={() => void run()} data-testid="bench-run">
            {running ? `Running: ${phase.what}…` : 'Run benchmark'}
          </button>
          {running && (
            <button className="btn btn-secondary" onClick={stop} data-testid="bench-stop">
              Stop
            </button>
          )}
        </div>
        {settingsError && <p className="field-error" role="alert">{settingsError}</p>}
      </section>

      {phase.status === 'error' && (
        <section className="card bench-error" role="alert" data-testid="bench-error">
          <strong>The benchmark stopped.</strong> {phase.message}
        </section>
      )}

      {phase.status === 'done' && <BenchResults report={phase.report} />}

      {phase.status === 'done' && (
        <section className="card bench-json">
          <div className="card-head">
            <h2 className="card-title">Raw results (JSON)</h2>
            <button className="btn btn-secondary" onClick={() => void copy()} data-testid="bench-copy">
              {copied ? 'Copied' : 'Copy JSON'}
            </button>
          </div>
          <textarea className="bench-json-text" readOnly value={json} rows={12} data-testid="bench-json" />
        </section>
      )}

      {log.length > 0 && (
        <section className="card bench-log">
          <h2 className="card-title">Log</h2>
          <pre data-testid="bench-log">{log.join('\n')}</pre>
        </section>
      )}

      <footer className="app-footer">Runs entirely in your browser. Nothing is sent anywhere; copy the JSON to share it.</footer>
    </div>
  );
}
