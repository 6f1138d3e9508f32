/**
 * Every scale of the selected image, coarse to fine, each with its grid and the time it was finished at. Once a run
 * has ended, each finished scale but the last offers "Vary from here": a batch that keeps that scale exactly.
 */
import type { ModelInfo } from '../../src/types';
import { formatMs, gridLabel } from '../format';
import type { RunState } from '../studioState';
import { ImageCanvas } from './ImageCanvas';

interface Props {
  info: ModelInfo;
  run: RunState;
  selected: number;
  /** Starts a variation of the selected image from `scale`; absent or disabled while nothing may start. */
  onVary?(scale: number): void;
  varyDisabled?: boolean;
}

export function Filmstrip({ info, run, selected, onVary, varyDisabled = false }: Props) {
  const lastScale = info.scales.at(-1)?.scale;
  const ended = run.status === 'done' || run.status === 'cancelled';
  return (
    <ol className="filmstrip" aria-label="Scales, coarse to fine">
      {info.scales.map((s, i) => {
        const frame = run.frames.find((f) => f.scale === s.scale);
        const active = run.status === 'running' && !frame && i === run.frames.length;
        if (!frame) {
          return (
            <li key={`pending-${s.scale}`} className="film-item film-pending" data-active={active} data-testid="scale-pending">
              <div className="film-thumb film-thumb-empty" />
              <span className="film-grid">{gridLabel(s.grid)}</span>
              <span className="film-ms">{active ? 'running' : '–'}</span>
              {onVary && s.scale !== lastScale && <span className="film-vary film-vary-slot" aria-hidden="true" />}
            </li>
          );
        }
        return (
          <li
            key={`frame-${s.scale}`}
            className="film-item"
            data-testid="scale-frame"
            data-scale={frame.scale}
            data-grid={frame.grid}
            data-ms={frame.elapsedMs.toFixed(1)}
          >
            <ImageCanvas image={frame.images[selected] ?? null} placeholderSize={info.imageSize} label={`Scale ${frame.scale}, ${gridLabel(frame.grid)} tokens`} className="film-thumb" />
            <span className="film-grid">{gridLabel(frame.grid)}</span>
            <span className="film-ms">{formatMs(frame.elapsedMs)}</span>
            {onVary && frame.scale !== lastScale && (ended ? (
              <button
                type="button"
                className="btn btn-secondary btn-small film-vary"
                onClick={() => onVary(frame.scale)}
                disabled={varyDisabled}
                aria-label={`Vary from here: keep scale ${frame.scale} (${gridLabel(frame.grid)}) of this image, resample the finer scales`}
                title="A batch that keeps this scale exactly and resamples the finer ones with new seeds"
                data-testid="vary-from-here"
                data-scale={frame.scale}
              >
                Vary from here
              </button>
            ) : (
              <span className="film-vary film-vary-slot" aria-hidden="true" />
            ))}
          </li>
        );
      })}
    </ol>
  );
}
