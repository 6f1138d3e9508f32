/** PNG export of the selected final image: at full resolution (the model's native size) or upscaled. */
import type { RgbaImage } from '../../src/types';
import { downloadPng } from '../images';

/** Upscaled exports aim at this many pixels a side (nearest neighbour, so every model pixel stays a square). */
const UPSCALED_SIDE = 512;

/** `text`: the image's settings, written into the PNG as text chunks (dropping it on the page restores them). */
export function DownloadButtons({ image, basename, text }: { image: RgbaImage | null; basename: string; text: [string, string][] }) {
  const factor = image ? Math.max(2, Math.round(UPSCALED_SIDE / image.width)) : 1;
  return (
    <div className="downloads" role="group" aria-label="Download">
      <button
        type="button"
        className="btn btn-secondary"
        disabled={!image}
        onClick={() => image && void downloadPng(image, 1, `${basename}.png`, text)}
        title="The image exactly as the model made it"
      >
        <span>Download PNG {image ? `${image.width}×${image.height}` : ''}</span>
        <span className="muted">full resolution</span>
      </button>
      <button
        type="button"
        className="btn btn-secondary"
        disabled={!image}
        onClick={() => image && void downloadPng(image, factor, `${basename}-x${factor}.png`, text)}
        title="Nearest-neighbour upscale: each model pixel becomes a square block"
      >
        <span>Download PNG {image ? `${image.width * factor}×${image.height * factor}` : ''}</span>
        <span className="muted">{image ? `upscaled ×${factor}` : 'upscaled'}</span>
      </button>
    </div>
  );
}
