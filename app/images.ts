/** Picking the newest image of a run, and PNG export through a canvas (nearest-neighbour upscaling). */
import type { RgbaImage } from '../src/types';
import { assembleApng } from './apng';
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

/** Side of the growth animation and filmstrip frames: each model pixel becomes an even square block of about this. */
const GROWTH_SIDE = 256;
/** Gap between the frames of the filmstrip PNG, in pixels (transparent). */
const STRIP_GAP = 8;

function save(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

async function pngBytes(blob: Blob, text: [string, string][]): Promise<Blob> {
  if (text.length === 0) return blob;
  return new Blob([withTextChunks(new Uint8Array(await blob.arrayBuffer()), text)], { type: 'image/png' });
}

/** The nearest-neighbour factor that brings `width` to about GROWTH_SIDE (at least 1). */
export function growthFactor(width: number): number {
  return Math.max(1, Math.round(GROWTH_SIDE / width));
}

/**
 * The coarse-to-fine growth as an animated PNG: one frame per scale (`frames`, full-size previews), upscaled crisply,
 * 0.6 s each and the last one 2 s, looping.
 */
export async function downloadGrowth(frames: RgbaImage[], filename: string, text: [string, string][] = []): Promise<void> {
  const factor = growthFactor(frames[0]!.width);
  const pngs = await Promise.all(frames.map(async (f) => new Uint8Array(await (await pngBlob(f, factor)).arrayBuffer())));
  const apng = assembleApng(pngs, frames.map((_, i) => (i === frames.length - 1 ? 2000 : 600)));
  save(await pngBytes(new Blob([apng], { type: 'image/png' }), text), filename);
}

/** The filmstrip as one PNG: every scale's preview side by side, upscaled like the growth animation. */
export async function downloadFilmstrip(frames: RgbaImage[], filename: string, text: [string, string][] = []): Promise<void> {
  const factor = growthFactor(frames[0]!.width);
  const side = frames[0]!.width * factor;
  const canvas = document.createElement('canvas');
  canvas.width = frames.length * side + (frames.length - 1) * STRIP_GAP;
  canvas.height = side;
  const ctx = canvas.getContext('2d')!;
  ctx.imageSmoothingEnabled = false;
  for (const [i, f] of frames.entries()) {
    const source = document.createElement('canvas');
    source.width = f.width;
    source.height = f.height;
    source.getContext('2d')!.putImageData(new ImageData(new Uint8ClampedArray(f.data), f.width, f.height), 0, 0);
    ctx.drawImage(source, i * (side + STRIP_GAP), 0, side, side);
  }
  const blob = await new Promise<Blob>((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('PNG encoding failed'))), 'image/png'));
  save(await pngBytes(blob, text), filename);
}

/** Saves the image as a PNG; `text`: entries written as PNG text chunks (the image's settings, pngText.ts). */
export async function downloadPng(image: RgbaImage, scale: number, filename: string, text: [string, string][] = []): Promise<void> {
  save(await pngBytes(await pngBlob(image, scale), text), filename);
}
