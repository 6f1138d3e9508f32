/** NestAR Studio: the page. State comes from useNestar; the form state (what the visitor typed) lives here. */
import { useEffect, useMemo, useState } from 'react';
import type { ModelInfo } from '../src/types';
import { BatchGrid } from './components/BatchGrid';
import { Controls } from './components/Controls';
import { DownloadButtons } from './components/DownloadButtons';
import { ErrorBanner } from './components/ErrorBanner';
import { Filmstrip } from './components/Filmstrip';
import { Header } from './components/Header';
import { LoadProgress } from './components/LoadProgress';
import { ModelAbout } from './components/ModelAbout';
import { PreviewCanvas } from './components/PreviewCanvas';
import { RunStatus } from './components/RunStatus';
import { Stats } from './components/Stats';
import { defaultForm, toRequest, validate, type FormState } from './settings';
import { useNestar } from './useNestar';

export function App() {
  const { state, source, generate, cancel, reload, dismissError } = useNestar();
  const info: ModelInfo | null = state.load.status === 'ready' ? (state.runtime?.model ?? null) : null;
  const [form, setForm] = useState<FormState | null>(null);
  const [selected, setSelected] = useState(0);
  const [cancelling, setCancelling] = useState(false);

  useEffect(() => {
    if (info) setForm((f) => f ?? defaultForm(info));
    document.title = info ? `${info.title} · NestAR Studio` : 'NestAR Studio';
  }, [info]);

  const errors = useMemo(() => (info && form ? validate(form, info) : {}), [info, form]);
  const run = state.run;
  const running = run.status === 'running';
  useEffect(() => {
    if (!running) setCancelling(false);
  }, [running]);

  const onGenerate = () => {
    if (!form || Object.keys(errors).length > 0) return;
    setSelected(0);
    void generate(toRequest(form));
  };
  const onCancel = () => {
    setCancelling(true);
    cancel();
  };

  const request = run.request;
  const cls = info?.classes.find((c) => c.index === (request?.classIndex ?? form?.classIndex));
  const seed = request ? (request.seed + selected) >>> 0 : null;
  const caption = cls ? `${cls.label} · ${cls.group}${seed !== null ? ` · seed ${seed}` : ''}` : '';
  const finalImage = run.final?.[selected] ?? null;

  return (
    <div className="app">
      <Header modelId={state.modelId} runtime={state.runtime} models={source?.index?.models ?? []} loading={state.load.status === 'loading'} />
      {state.error && <ErrorBanner
          error={state.error}
          modelId={state.modelId}
          explicitModel={source?.explicit ?? false}
          onReload={reload}
          onDismiss={dismissError}
        />}
      <main className="layout">
        <aside className="sidebar">
          {info && form ? (
            <Controls
              info={info}
              form={form}
              errors={errors}
              onChange={(patch) => setForm((f) => (f ? { ...f, ...patch } : f))}
              onGenerate={onGenerate}
              onCancel={onCancel}
              running={running}
              cancelling={cancelling}
            />
          ) : state.load.status === 'failed' ? (
            <div className="card empty-card small">Settings appear once a model is loaded.</div>
          ) : (
            <div className="card skeleton" aria-hidden="true">
              <div className="skeleton-line" />
              <div className="skeleton-line short" />
              <div className="skeleton-block" />
            </div>
          )}
        </aside>
        <section className="workspace" aria-label="Output">
          {state.load.status === 'loading' && <LoadProgress load={state.load} totalBytes={null} />}
          {state.load.status === 'failed' && (
            <div className="card empty-card">
              <p>No model is loaded.</p>
            </div>
          )}
          {info && (
            <>
              <div className="stage-row">
                <PreviewCanvas info={info} run={run} selected={selected} caption={caption} />
                <div className="stage-side">
                  <RunStatus run={run} />
                  <Stats run={run} runtime={state.runtime} />
                  <DownloadButtons image={finalImage} basename={`nestar-${cls?.label ?? 'image'}-${seed ?? 0}`} />
                </div>
              </div>
              <Filmstrip info={info} run={run} selected={selected} />
              <BatchGrid info={info} run={run} selected={selected} onSelect={setSelected} />
              <ModelAbout info={info} />
            </>
          )}
        </section>
      </main>
      <footer className="app-footer">
        Runs entirely in your browser with ONNX Runtime Web. No image or setting leaves this page.{' '}
        <a href="./bench.html">Benchmark this machine</a>: NestAR against token-by-token generation.
      </footer>
    </div>
  );
}
