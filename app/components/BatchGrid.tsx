/** A batch's images, each showing its newest scale as the run progresses; click one to inspect it on the stage. */
import type { CSSProperties } from 'react';
import type { ModelInfo } from '../../src/types';
import { newestImage } from '../images';
import type { RunState } from '../studioState';
import { ImageCanvas } from './ImageCanvas';

interface Props {
  info: ModelInfo;
  run: RunState;
  selected: number;
  onSelect(b: number): void;
}

export function BatchGrid({ info, run, selected, onSelect }: Props) {
  const request = run.request;
  if (!request || request.batch <= 1) return null;
  const last = run.frames[run.frames.length - 1];
  const grid = run.final ? info.grid : last?.grid;
  return (
    <section className="card batch-card" aria-label="Batch">
      <div className="card-head">
        <h2 className="card-title">Batch of {request.batch}</h2>
        <span className="muted small">{grid ? `${grid}×${grid} tokens` : 'waiting for the first scale'}</span>
      </div>
      <div
        className="batch-grid"
        data-testid="batch-grid"
        data-count={request.batch}
        style={{ '--batch-columns': Math.min(request.batch, 4) } as CSSProperties}
      >
        {Array.from({ length: request.batch }, (_, b) => {
          const seed = (request.seed + b) >>> 0;
          return (
            <button
              key={b}
              type="button"
              className="batch-cell"
              data-selected={b === selected}
              aria-pressed={b === selected}
              onClick={() => onSelect(b)}
              aria-label={`Image ${b + 1}, seed ${seed}`}
            >
              <ImageCanvas
                image={newestImage(run, b)}
                placeholderSize={info.imageSize}
                label={`Image ${b + 1}`}
                data-testid="batch-canvas"
                data-grid={grid ?? ''}
              />
              <span className="batch-seed">#{seed}</span>
            </button>
          );
        })}
      </div>
    </section>
  );
}
