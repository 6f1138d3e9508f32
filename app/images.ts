/** Picking the newest image of a run, and PNG export through a canvas (nearest-neighbour upscaling). */
import type { RgbaImage } from '../src/types';
import { withTextChunks } from './pngText';
import type { RunState } from './studioState';

/** Image b of the newest thing the run produced: the final image, else the latest finished scale. */
export function newestImage(run: RunState, b: number): RgbaImage | null {
  if (run.final) return run.final[b] ?? null;
  const last = run.frames[run.frames.length - 1];
  return last?.images[b] ?? null;
}

export async function pngBlob(image: RgbaImage, scale: number): Promise<Blob> {
  const source = document.createElement('canvas');
  source.width = image.width;
  source.height = image.height;
  source.getContext('2d')!.putImageData(new ImageData(new Uint8ClampedArray(image.data), image.width, image.height), 0, 0);
  let canvas = source;
  if (scale > 1) {
    canvas = document.createElement('canvas');
    canvas.width = image.width * scale;
    canvas.height = image.height * scale;
    const ctx = canvas.getContext('2d')!;
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(source, 0, 0, canvas.width, canvas.height);
  }
  return new Promise((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('PNG encoding failed'))), 'image/png'));
}

/** Saves the image as a PNG; `text`: entries written as PNG text chunks (the image's settings, pngText.ts). */
export async function downloadPng(image: RgbaImage, scale: number, filename: string, text: [string, string][] = []): Promise<void> {
  let blob = await pngBlob(image, scale);
  if (text.length > 0) blob = new Blob([withTextChunks(new Uint8Array(await blob.arrayBuffer()), text)], { type: 'image/png' });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
