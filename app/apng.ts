/**
 * Animated PNG from PNG frames of one size: the growth of an image, one frame per scale. Each frame is a PNG from
 * any encoder (the canvas here, fast-png in tests); its IDAT data becomes the frame's data (IDAT for the first frame,
 * fdAT after), under one IHDR, with an acTL (frame count, loop forever) and an fcTL per frame (APNG 1.0).
 */
import { crc32 } from './pngText';

const SIGNATURE = new Uint8Array([137, 80, 78, 71, 13, 10, 26, 10]);

interface Chunk {
  type: string;
  data: Uint8Array;
}

/** The chunks of a PNG, in order. */
export function pngChunks(png: Uint8Array): Chunk[] {
  if (png.length < 8 || !SIGNATURE.every((b, i) => png[i] === b)) throw new RangeError('not a PNG');
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const chunks: Chunk[] = [];
  let at = 8;
  while (at + 12 <= png.length) {
    const length = view.getUint32(at);
    const type = String.fromCharCode(...png.subarray(at + 4, at + 8));
    chunks.push({ type, data: png.subarray(at + 8, at + 8 + length) });
    if (type === 'IEND') break;
    at += 12 + length;
  }
  return chunks;
}

function encodeChunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

function u32s(...values: number[]): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setUint32(i * 4, v));
  return out;
}

/**
 * One APNG of `frames` (PNG files of the same size and pixel format), each shown `delaysMs[i]` ms, looping forever.
 * Throws RangeError when the frames' headers differ.
 */
export function assembleApng(frames: Uint8Array[], delaysMs: number[]): Uint8Array<ArrayBuffer> {
  if (frames.length === 0) throw new RangeError('an animation needs at least one frame');
  const parsed = frames.map(pngChunks);
  const ihdr = parsed[0]!.find((c) => c.type === 'IHDR');
  if (!ihdr) throw new RangeError('frame 0 has no IHDR');
  const width = new DataView(ihdr.data.buffer, ihdr.data.byteOffset).getUint32(0);
  const height = new DataView(ihdr.data.buffer, ihdr.data.byteOffset).getUint32(4);
  const parts: Uint8Array[] = [SIGNATURE, encodeChunk('IHDR', ihdr.data), encodeChunk('acTL', u32s(frames.length, 0))];
  let sequence = 0;
  parsed.forEach((chunks, i) => {
    const header = chunks.find((c) => c.type === 'IHDR');
    if (!header || header.data.join() !== ihdr.data.join()) throw new RangeError(`frame ${i} differs in size or pixel format from frame 0`);
    // fcTL: sequence, width, height, x, y, delay numerator/denominator (ms/1000), dispose none, blend source.
    const fctl = new Uint8Array(26);
    fctl.set(u32s(sequence++, width, height, 0, 0), 0);
    const view = new DataView(fctl.buffer);
    view.setUint16(20, Math.max(1, Math.round(delaysMs[i] ?? 500)));
    view.setUint16(22, 1000);
    parts.push(encodeChunk('fcTL', fctl));
    for (const c of chunks.filter((c) => c.type === 'IDAT')) {
      if (i === 0) {
        parts.push(encodeChunk('IDAT', c.data));
      } else {
        const fdat = new Uint8Array(4 + c.data.length);
        fdat.set(u32s(sequence++), 0);
        fdat.set(c.data, 4);
        parts.push(encodeChunk('fdAT', fdat));
      }
    }
  });
  parts.push(encodeChunk('IEND', new Uint8Array(0)));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
