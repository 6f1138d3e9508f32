/** The stage: the selected image's newest scale, large and pixelated, with the run's progress over it. */
import type { ModelInfo } from '../../src/types';
import { formatBytes, gridLabel } from '../format';
import { newestImage } from '../images';
import type { RunState } from '../studioState';
import { useDelayedFlag } from '../useDelayedFlag';
import { ImageCanvas } from './ImageCanvas';

/**
 * The spinner waits this long for the first preview: most runs show one within ~20 ms, and a spinner drawn for a few
 * frames would be a flash, each of its frames a repaint on the generator's CPU; a slow start (heads downloading, a
 * WebGPU compile) still gets it.
 */
const SPINNER_AFTER_MS = 300;

interface Props {
  info: ModelInfo;
  run: RunState;
  selected: number;
  caption: string;
}

/** The first run with the non-default solver fetches its heads first: say so, or the wait looks like a hang. */
function headsLabel(heads: NonNullable<RunState['heads']>): string {
  return heads.phase === 'download' ? `Downloading this solver's heads · ${formatBytes(heads.loaded)} / ${formatBytes(heads.total)}` : "Preparing this solver's heads…";
}

export function PreviewCanvas({ info, run, selected, caption }: Props) {
  const image = newestImage(run, selected);
  const last = run.frames[run.frames.length - 1];
  const grid = run.final ? info.grid : last?.grid;
  const progress = last ? last.stepsDone / last.stepsTotal : 0;
  const slowStart = useDelayedFlag(run.status === 'running' && !last, SPINNER_AFTER_MS);
  return (
    <figure className="stage" data-status={run.status}>
      <div className="stage-frame">
        <ImageCanvas
          image={image}
          placeholderSize={info.imageSize}
          label={image ? `Generated image: ${caption}` : 'No image yet'}
          className="stage-canvas"
          data-testid="preview-canvas"
          data-grid={grid ?? ''}
          data-status={run.status}
          data-final={run.final ? 'true' : 'false'}
        />
        {!image && run.status !== 'running' && (
          <div className="stage-empty">
            <span className="stage-empty-grid" aria-hidden="true" />
            <span>Pick a class and press Generate</span>
          </div>
        )}
        {run.status === 'running' && (
          <div className="stage-chip" aria-live="polite">
            {/* Until the first preview (heads downloading, a slow first step); then the previews show the progress. */}
            {slowStart && <span className="spinner spinner-small" aria-hidden="true" />}
            {last ? `Scale ${last.scale}/${info.scales.length} · ${gridLabel(last.grid)}` : run.heads ? headsLabel(run.heads) : 'Starting…'}
          </div>
        )}
        {run.status === 'running' && (
          <div className="stage-progress" style={{ transform: `scaleX(${progress})` }} aria-hidden="true" />
        )}
      </div>
      <figcaption className="stage-caption">{caption}</figcaption>
    </figure>
  );
}
