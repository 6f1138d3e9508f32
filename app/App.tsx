/** NestAR Studio: the page. State comes from useNestar; the form state (what the visitor typed) lives here. */
import { useEffect, useMemo, useRef, useState } from 'react';
import type { GenerateRequest, ModelInfo } from '../src/types';
import { BatchGrid } from './components/BatchGrid';
import { CacheManager, storageSentence } from './components/CacheManager';
import { Controls } from './components/Controls';
import { DownloadButtons } from './components/DownloadButtons';
import { ErrorBanner } from './components/ErrorBanner';
import { Filmstrip } from './components/Filmstrip';
import { Header } from './components/Header';
import { History } from './components/History';
import { LinkNotice } from './components/LinkNotice';
import { LoadProgress } from './components/LoadProgress';
import { ModelAbout } from './components/ModelAbout';
import { PreviewCanvas } from './components/PreviewCanvas';
import { RunActions } from './components/RunActions';
import { RunStatus } from './components/RunStatus';
import { Stats } from './components/Stats';
import { defaultForm, randomSeed, toRequest, validate, variationBatch, type FormState } from './settings';
import type { RunOrigin, RunState } from './studioState';
import { useDelayedFlag } from './useDelayedFlag';
import { useLiveScrub } from './useLiveScrub';
import { useModelStorage } from './useModelStorage';
import { useNestar } from './useNestar';
import { openHistory, type HistoryEntry, type HistoryStore } from './history';
import { readTextChunks } from './pngText';
import { hasImageSettings, linkFor, parseUrl, pngEntries, pngSearch, restoreLink, type LinkSettings, type LinkVariation } from './urlState';

/** Runs shorter than this never grey out the settings (a few-step run takes ~50-150 ms); longer ones do. */
const LOCK_SHOWN_AFTER_MS = 250;
/** How long the images must stay the same before the address bar follows them. */
const ADDRESS_BAR_DELAY_MS = 300;

/** The settings of a request without its prefix or stop scale: what a new run from the same image starts with. */
function plainRequest(r: GenerateRequest): GenerateRequest {
  return {
    classIndex: r.classIndex, seed: r.seed, batch: r.batch, odeSteps: r.odeSteps, solver: r.solver, guidance: r.guidance, temperature: r.temperature,
    ...(r.coarseGuidance !== undefined ? { coarseGuidance: r.coarseGuidance } : {}),
  };
}

/** The variation source of image `selected` of `run` when it is varied from `scale` (see RunOrigin). */
function variationOrigin(run: RunState, selected: number, scale: number): RunOrigin {
  const sourceSeed = (run.request!.seed + selected) >>> 0;
  if (run.origin.kind !== 'variation') return { kind: 'variation', sourceSeed, scale, linkable: true };
  // Scales up to the run's own source scale are its source's: the same variation of that source.
  if (scale <= run.origin.scale) return { ...run.origin, scale };
  return { kind: 'variation', sourceSeed, scale, linkable: false };
}

export function App() {
  const { state, source, generate, cancel, reload, switchModel, dismissError, restore, notice, dismissNotice } = useNestar();
  const info: ModelInfo | null = state.load.status === 'ready' ? (state.runtime?.model ?? null) : null;
  // Read again after a load and after a run that fetched its solver's heads (they are stored then), not after every
  // run: reading the cache cost the page's thread ~9 ms per run, which fell on the next run in Live mode.
  const storage = useModelStorage(info, `${state.load.status} ${state.run.fetchedHeads && state.run.status !== 'running' ? state.run.id : ''}`);
  const storageNote = storageSentence(storage.view.current, storage.view.deletedCurrent);
  const [storageNoteDismissed, setStorageNoteDismissed] = useState(false);
  const [form, setForm] = useState<FormState | null>(null);
  const [selected, setSelected] = useState(0);
  const [cancelling, setCancelling] = useState(false);
  const [urlProblems, setUrlProblems] = useState<string[]>([]);
  /** The link the page was opened with is applied once, when its model is first ready. */
  const linkApplied = useRef(false);

  /** The model the form was made for: another model (switched in the page) gets its own defaults. */
  const formModel = useRef<string | null>(null);
  useEffect(() => {
    document.title = info ? `${info.title} · NestAR Studio` : 'NestAR Studio';
    if (info && formModel.current !== null && formModel.current !== info.id) {
      formModel.current = info.id;
      setForm(defaultForm(info));
      setUrlProblems([]);
      return;
    }
    if (info) formModel.current = info.id;
    if (!info || linkApplied.current) {
      if (info) setForm((f) => f ?? defaultForm(info));
      return;
    }
    linkApplied.current = true;
    const base = defaultForm(info);
    const url = source?.url;
    if (!url || !hasImageSettings(url.settings)) {
      setForm((f) => f ?? base);
      setUrlProblems(url?.problems ?? []);
      return;
    }
    applyLink(info, url.settings, url.problems);
  }, [info]);

  /** Restores a link's settings (from the URL or a dropped PNG) and, when all are valid, generates its image. */
  const applyLink = (model: ModelInfo, settings: LinkSettings, problemsSoFar: string[]) => {
    const restored = restoreLink(settings, model, defaultForm(model));
    setForm(restored.form);
    const problems = [...problemsSoFar, ...restored.problems];
    setUrlProblems(problems);
    if (restored.generate && problems.length === 0) void generateLinked(toRequest(restored.form, model), restored.variation);
  };

  /** A PNG this page saved: its text chunks are a link; another model's PNG opens that model. */
  const openPng = async (file: File) => {
    const search = pngSearch(readTextChunks(new Uint8Array(await file.arrayBuffer())));
    if (!search) {
      setUrlProblems([`${file.name} carries no NestAR settings (only PNGs saved by this page do).`]);
      return;
    }
    const url = parseUrl(search);
    if (url.model !== null && url.model !== state.modelId) {
      window.location.assign(new URL(search, window.location.href).href);
      return;
    }
    if (!info) return;
    if (running) {
      setUrlProblems([`Wait for the current run to end (or cancel it) before opening ${file.name}.`]);
      return;
    }
    applyLink(info, url.settings, url.problems);
  };
  const openPngRef = useRef(openPng);
  openPngRef.current = openPng;
  useEffect(() => {
    // The whole page is a drop target for PNGs.
    const over = (e: DragEvent) => {
      if (e.dataTransfer?.types.includes('Files')) e.preventDefault();
    };
    const drop = (e: DragEvent) => {
      const file = e.dataTransfer?.files[0];
      if (!file) return;
      e.preventDefault();
      void openPngRef.current(file);
    };
    window.addEventListener('dragover', over);
    window.addEventListener('drop', drop);
    return () => {
      window.removeEventListener('dragover', over);
      window.removeEventListener('drop', drop);
    };
  }, []);

  /** The image a link names: a plain run, or (variation) the source up to its scale, then the variation from it. */
  const generateLinked = async (request: GenerateRequest, variation: LinkVariation | null) => {
    setSelected(0);
    if (!variation) {
      await generate(request);
      return;
    }
    const source = await generate({ ...request, batch: 1, seed: variation.sourceSeed, stopAfterScale: variation.scale });
    if (!source) return;
    await generate({ ...request, batch: 1, prefix: { scale: variation.scale, tokens: source.tokens } }, { kind: 'variation', ...variation, linkable: true });
  };

  const errors = useMemo(() => (info && form ? validate(form, info) : {}), [info, form]);
  // Live: one image (batch 1, whole image) per settings change while the switch is on.
  const [live, setLive] = useState(false);
  const liveRequest = live && form && info && Object.keys(errors).length === 0 ? { ...toRequest({ ...form, stopAfter: null }, info), batch: 1 } : null;
  const { imagesPerSecond } = useLiveScrub(liveRequest, generate, cancel);
  const run = state.run;
  const running = run.status === 'running';
  /** Settings and history look locked only once a run has gone on for LOCK_SHOWN_AFTER_MS (useDelayedFlag.ts). */
  const lockShown = useDelayedFlag(running, LOCK_SHOWN_AFTER_MS);
  useEffect(() => {
    if (!running) setCancelling(false);
  }, [running]);

  const onGenerate = () => {
    if (!form || !info || Object.keys(errors).length > 0) return;
    setSelected(0);
    void generate(toRequest(form, info));
  };
  const onCancel = () => {
    setCancelling(true);
    cancel();
  };

  const ended = run.status === 'done' || run.status === 'cancelled';
  const lastFrame = run.frames.at(-1);
  const modelLastScale = info?.scales.at(-1)?.scale;
  const continueFrom = ended && run.request && lastFrame && lastFrame.scale !== modelLastScale ? lastFrame : null;
  const onContinue = () => {
    if (!continueFrom || !run.request) return;
    // Same seeds, so the finer scales are exactly those of an uninterrupted run.
    void generate({ ...plainRequest(run.request), prefix: { scale: continueFrom.scale, tokens: continueFrom.tokens } }, run.origin);
  };
  const onVary = (scale: number) => {
    const frame = run.frames.find((f) => f.scale === scale);
    const tokens = frame?.tokens[selected];
    if (!info || !run.request || !tokens) return;
    const seed = randomSeed();
    const origin = variationOrigin(run, selected, scale);
    setSelected(0);
    setForm((f) => (f ? { ...f, seed: String(seed) } : f));
    void generate({ ...plainRequest(run.request), seed, batch: variationBatch(info), prefix: { scale, tokens: [tokens] } }, origin);
  };

  const request = run.request;
  const cls = info?.classes.find((c) => c.index === (request?.classIndex ?? form?.classIndex));
  const seed = request ? (request.seed + selected) >>> 0 : null;
  const caption = cls ? `${cls.label} · ${cls.group}${seed !== null ? ` · seed ${seed}` : ''}` : '';
  const finalImage = run.final?.[selected] ?? null;

  const backend = state.runtime?.backend ?? null;
  /** The link of image b of the current run, or null while none can be made. */
  const linkOf = (b: number): string | null =>
    info && request && cls && state.modelId && !(run.origin.kind === 'variation' && !run.origin.linkable)
      ? linkFor(window.location.href, {
          modelId: state.modelId,
          backend,
          classLabel: cls.label,
          seed: (request.seed + b) >>> 0,
          guidance: request.guidance,
          coarseGuidance: request.coarseGuidance ?? null,
          temperature: request.temperature,
          odeSteps: request.odeSteps,
          solver: request.solver,
          variation: run.origin.kind === 'variation' ? { sourceSeed: run.origin.sourceSeed, scale: run.origin.scale } : null,
        })
      : null;
  const link = linkOf(selected);
  const pngText = link && info ? pngEntries(link, backend, info.files) : [];
  const growth = run.final ? run.frames.map((f) => f.images[selected]).filter((im): im is NonNullable<typeof im> => im !== undefined) : [];
  const linkNote = run.origin.kind === 'variation' && !run.origin.linkable ? 'A variation of a variation from a finer scale has no link.' : null;
  // History: every finished run that made its scales here (not one restored from history) adds its image 0.
  const [history, setHistory] = useState<HistoryEntry[]>([]);
  const historyStore = useRef<Promise<HistoryStore> | null>(null);
  useEffect(() => {
    historyStore.current = openHistory();
    void historyStore.current
      .then((s) => s.list())
      .then(setHistory)
      .catch(() => undefined);
  }, []);
  const recordedRun = useRef(0);
  const firstLink = linkOf(0);
  const firstImage = run.final?.[0];
  useEffect(() => {
    if (run.status !== 'done' || !firstImage || run.frames.length === 0 || !firstLink || !request || !cls || recordedRun.current === run.id) return;
    recordedRun.current = run.id;
    const entry = { createdAt: Date.now(), link: firstLink, label: `${cls.label} · seed ${request.seed}`, image: firstImage };
    void historyStore.current
      ?.then((s) => s.add(entry))
      .then(setHistory)
      .catch(() => undefined);
  }, [run.status, run.id, firstImage, firstLink, request, cls, run.frames.length]);
  // History's buttons look enabled for a run's first moments (lockShown): a click then is kept and applied when the
  // run ends, rather than lost.
  const [restoreAfterRun, setRestoreAfterRun] = useState<HistoryEntry | null>(null);
  const onRestore = (entry: HistoryEntry) => {
    if (running) {
      setRestoreAfterRun(entry);
      return;
    }
    const url = parseUrl(new URL(entry.link).search);
    if (url.model !== state.modelId) {
      window.location.assign(entry.link); // another model: its link loads it and makes the image again
      return;
    }
    if (!info) return;
    const restored = restoreLink(url.settings, info, defaultForm(info));
    setForm(restored.form);
    setSelected(0);
    setUrlProblems(restored.problems);
    restore({
      request: { ...toRequest(restored.form, info), batch: 1 },
      origin: restored.variation ? { kind: 'variation', ...restored.variation, linkable: true } : { kind: 'seed' },
      image: entry.image,
      lastScale: info.scales.at(-1)!.scale,
    });
  };
  useEffect(() => {
    if (running || !restoreAfterRun) return;
    setRestoreAfterRun(null);
    onRestore(restoreAfterRun);
  }, [running, restoreAfterRun]); // (onRestore is this render's, with the state the run ended in)
  const onClearHistory = () => {
    setHistory([]);
    void historyStore.current?.then((s) => s.clear()).catch(() => undefined);
  };

  // The address bar follows the finished image, so reloading or bookmarking the page keeps it. Once the images stop
  // changing for ADDRESS_BAR_DELAY_MS, and only when it differs: Chromium spends ~7 ms of the page's thread on each
  // replaceState (a trace here), which in Live mode or back-to-back runs fell on the next run's first steps.
  useEffect(() => {
    if (!link || run.status !== 'done' || link === window.location.href) return;
    const timer = setTimeout(() => window.history.replaceState(null, '', link), ADDRESS_BAR_DELAY_MS);
    return () => clearTimeout(timer);
  }, [link, run.status]);

  return (
    <div className="app" data-model-id={state.modelId ?? ''} data-load={state.load.status} data-run={run.status}>
      <Header
        modelId={state.modelId}
        runtime={state.runtime}
        models={source?.index?.models ?? []}
        loading={state.load.status === 'loading'}
        onSwitch={switchModel}
        switchDisabled={running}
      />
      <LinkNotice problems={urlProblems} onDismiss={() => setUrlProblems([])} />
      {notice && (
        <div className="banner banner-notice" role="status" data-testid="device-notice">
          <div className="banner-body">
            <strong className="banner-title">The GPU was lost; now running on WASM</strong>
            <p className="banner-advice">{notice}</p>
          </div>
          <button type="button" className="btn btn-ghost" onClick={dismissNotice}>
            Dismiss
          </button>
        </div>
      )}
      {storageNote && !storageNote.kept && !storageNote.deleted && !storageNoteDismissed && (
        <div className="banner banner-notice" role="status" data-testid="storage-notice">
          <div className="banner-body">
            <strong className="banner-title">This model will not be kept</strong>
            <p className="banner-advice">{storageNote.text}</p>
          </div>
          <button type="button" className="btn btn-ghost" onClick={() => setStorageNoteDismissed(true)}>
            Dismiss
          </button>
        </div>
      )}
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
              lockShown={lockShown}
              cancelling={cancelling}
              live={live}
              onLiveChange={setLive}
              liveRate={imagesPerSecond}
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
          {state.load.status === 'loading' && <LoadProgress load={state.load} totalBytes={null} onCancel={cancel} />}
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
                  <DownloadButtons image={finalImage} imageSize={info.imageSize} growth={growth} basename={`nestar-${cls?.label ?? 'image'}-${seed ?? 0}`} text={pngText} />
                  {request && (
                    <RunActions continueFrom={continueFrom} onContinue={onContinue} link={link} linkNote={linkNote} disabled={running} />
                  )}
                  <label className="btn btn-ghost file-button" title="Or drop a PNG saved by this page anywhere on it">
                    Open a saved PNG
                    <input
                      type="file"
                      accept="image/png"
                      className="visually-hidden"
                      data-testid="open-png"
                      onChange={(e) => {
                        const file = e.target.files?.[0];
                        e.target.value = '';
                        if (file) void openPng(file);
                      }}
                    />
                  </label>
                </div>
              </div>
              <Filmstrip info={info} run={run} selected={selected} onVary={onVary} varyDisabled={running} />
              <BatchGrid info={info} run={run} selected={selected} onSelect={setSelected} />
              <History entries={history} onRestore={onRestore} onClear={onClearHistory} disabled={lockShown} />
              <CacheManager view={storage.view} currentModelId={info.id} onDelete={storage.remove} busy={storage.busy} />
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
