/** What went wrong, switched on the runtime's error code, with the runtime's own message and a way forward. */
import type { ErrorCode } from '../../src/types';
import { withModel } from '../modelSource';
import type { StudioError } from '../studioState';

/** Codes that mean "this model folder is unusable": offer the site's default model instead. */
const MODEL_PROBLEMS: ErrorCode[] = ['MODEL_NOT_FOUND', 'MODEL_CORRUPT', 'MANIFEST_INVALID'];

interface Explanation {
  title: string;
  advice: string;
  /** reload: load the model again (a Retry button after a failed load); dismiss: just close the banner. */
  retry?: 'reload' | 'dismiss';
}

function explain(code: ErrorCode, modelId: string | null, during: StudioError['during']): Explanation {
  const model = modelId ? `“${modelId}”` : 'the model';
  switch (code) {
    case 'MODEL_NOT_FOUND':
      return { title: 'Model not found', advice: `The files of ${model} could not be downloaded. Check the ?model= name or the models/ folder.`, retry: 'reload' };
    case 'NETWORK':
      return {
        title: 'Download failed',
        advice: `The connection to the server failed while loading ${model}. Files that finished are kept; Retry downloads the rest.`,
        retry: 'reload',
      };
    case 'MODEL_CORRUPT':
      return {
        title: 'Model files are corrupt',
        advice: `A file of ${model} does not match its manifest (size or checksum); nothing of it was kept. Retry downloads it again; if it fails again, re-export the model.`,
        retry: 'reload',
      };
    case 'MANIFEST_INVALID':
      return { title: 'Model manifest is invalid', advice: `The manifest of ${model} fails validation or disagrees with its ONNX files.` };
    case 'BACKEND_UNAVAILABLE':
      return { title: 'Backend unavailable', advice: 'This browser cannot run the backend the URL asks for. Remove ?ep= to let the page choose.' };
    case 'DEVICE_LOST':
      return {
        title: 'GPU device lost',
        advice: 'The graphics device went away during the run. The model is loaded again on WASM (the CPU); the next Generate runs there. Reload the page to try the GPU again.',
        retry: 'dismiss',
      };
    case 'BAD_NUMBERS':
      return {
        title: 'The model produced invalid numbers',
        advice: 'A network returned NaN or Inf (the message says where), so no image was made. Try another seed or lower guidance; if it happens on every run, the model files or the GPU are at fault: try ?ep=wasm.',
        retry: 'dismiss',
      };
    case 'BAD_REQUEST':
      return { title: 'Invalid settings', advice: 'The runtime refused these settings.', retry: 'dismiss' };
    case 'NOT_LOADED':
      return { title: 'Model not loaded', advice: 'Wait for the model to finish loading.', retry: 'reload' };
    case 'BUSY':
      return { title: 'Already generating', advice: 'One image at a time: wait for the current run or cancel it.', retry: 'dismiss' };
    case 'CANCELLED':
      return during === 'load'
        ? { title: 'Loading cancelled', advice: `Loading ${model} was stopped. Files that finished are kept; Retry continues with the rest.`, retry: 'reload' }
        : { title: 'Cancelled', advice: 'The run was cancelled.', retry: 'dismiss' };
    case 'INTERNAL':
      return { title: 'Something went wrong', advice: 'An unexpected error stopped the runtime.', retry: 'reload' };
  }
}

interface Props {
  error: StudioError;
  modelId: string | null;
  /** The URL asked for a model explicitly (?model=), so the default one is worth offering. */
  explicitModel: boolean;
  onReload(): void;
  onDismiss(): void;
}

export function ErrorBanner({ error, modelId, explicitModel, onReload, onDismiss }: Props) {
  const { title, advice, retry } = explain(error.code, modelId, error.during);
  /** A load the visitor cancelled is their choice, not a failure: a notice, not an alarm. */
  const quiet = error.code === 'CANCELLED';
  return (
    <div className={quiet ? 'banner banner-notice' : 'banner banner-error'} role="alert" data-testid="error-banner" data-code={error.code}>
      <svg className="banner-icon" viewBox="0 0 24 24" width="22" height="22" aria-hidden="true">
        <path d="M12 3 2 21h20L12 3z" fill="none" stroke="currentColor" strokeWidth="2" strokeLinejoin="round" />
        <path d="M12 10v5M12 18v.5" stroke="currentColor" strokeWidth="2" strokeLinecap="round" />
      </svg>
      <div className="banner-body">
        <strong className="banner-title">{title}</strong>
        <p className="banner-advice">{advice}</p>
        <p className="banner-message">
          <code>{error.code}</code> <span data-testid="error-message">{error.message}</span>
        </p>
      </div>
      {explicitModel && MODEL_PROBLEMS.includes(error.code) && (
        <a className="btn btn-secondary" href={withModel(null)}>
          Open the default model
        </a>
      )}
      {retry === 'reload' && (
        <button type="button" className="btn btn-secondary" onClick={onReload} data-testid="error-retry">
          {error.during === 'load' ? 'Retry' : 'Reload model'}
        </button>
      )}
      {retry === 'dismiss' && (
        <button type="button" className="btn btn-ghost" onClick={onDismiss} aria-label="Dismiss">
          Dismiss
        </button>
      )}
    </div>
  );
}
