/** PNG export of the selected final image: at full resolution (the model's native size) or upscaled. */
import type { RgbaImage } from '../../src/types';
import { downloadFilmstrip, downloadGrowth, downloadPng } from '../images';

/** Upscaled exports aim at this many pixels a side (nearest neighbour, so every model pixel stays a square). */
const UPSCALED_SIDE = 512;

interface Props {
  image: RgbaImage | null;
  /** The model's image side: the labels name the sizes before there is an image, so the buttons keep their size. */
  imageSize: number;
  /** The finished image's previews, coarse to fine (the last is the image); empty until the image is finished. */
  growth: RgbaImage[];
  basename: string;
  /** The image's settings, written into every PNG as text chunks (dropping one on the page restores them). */
  text: [string, string][];
}

export function DownloadButtons({ image, imageSize, growth, basename, text }: Props) {
  const side = image?.width ?? imageSize;
  const factor = Math.max(2, Math.round(UPSCALED_SIDE / side));
  return (
    <div className="downloads" role="group" aria-label="Download">
      <button
        type="button"
        className="btn btn-secondary"
        disabled={!image}
        onClick={() => image && void downloadPng(image, 1, `${basename}.png`, text)}
        title="The image exactly as the model made it"
      >
        <span>Download PNG {side}×{side}</span>
        <span className="muted">full resolution</span>
      </button>
      <button
        type="button"
        className="btn btn-secondary"
        disabled={!image}
        onClick={() => image && void downloadPng(image, factor, `${basename}-x${factor}.png`, text)}
        title="Nearest-neighbour upscale: each model pixel becomes a square block"
      >
        <span>Download PNG {side * factor}×{side * factor}</span>
        <span className="muted">upscaled ×{factor}</span>
      </button>
      <button
        type="button"
        className="btn btn-secondary"
        disabled={growth.length === 0}
        onClick={() => void downloadGrowth(growth, `${basename}-growth.png`, text)}
        title="An animated PNG: one frame per scale, coarse to fine"
        data-testid="download-growth"
      >
        <span>Growth animation</span>
        <span className="muted">animated PNG, {growth.length || '–'} frames</span>
      </button>
      <button
        type="button"
        className="btn btn-secondary"
        disabled={growth.length === 0}
        onClick={() => void downloadFilmstrip(growth, `${basename}-filmstrip.png`, text)}
        title="Every scale side by side in one PNG"
        data-testid="download-filmstrip"
      >
        <span>Filmstrip</span>
        <span className="muted">one PNG strip</span>
      </button>
    </div>
  );
}
