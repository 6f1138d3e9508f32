/** Every scale of the selected image, coarse to fine, each with its grid and the time it was finished at. */
import type { ModelInfo } from '../../src/types';
import { formatMs, gridLabel } from '../format';
import type { RunState } from '../studioState';
import { ImageCanvas } from './ImageCanvas';

export function Filmstrip({ info, run, selected }: { info: ModelInfo; run: RunState; selected: number }) {
  return (
    <ol className="filmstrip" aria-label="Scales, coarse to fine">
      {info.scales.map((s, i) => {
        const frame = run.frames.find((f) => f.scale === s.scale);
        const active = run.status === 'running' && !frame && i === run.frames.length;
        if (!frame) {
          return (
            <li key={`pending-${s.scale}`} className="film-item film-pending" data-active={active} data-testid="scale-pending">
              <div className="film-thumb film-thumb-empty">{active && <span className="spinner spinner-small" aria-hidden="true" />}</div>
              <span className="film-grid">{gridLabel(s.grid)}</span>
              <span className="film-ms">{active ? 'running' : '–'}</span>
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
          </li>
        );
      })}
    </ol>
  );
}
