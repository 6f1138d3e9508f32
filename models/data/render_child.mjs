// Child process of build_emoji_dataset.mjs: rasterises SVGs one at a time.
// It lives in its own process because resvg aborts the whole process (not a JS exception) on a few
// noto icons; the parent restarts a fresh child after the icon that killed this one.
// stdin: JSON lines {i, svg, size}; stdout: JSON lines {i, rgb: base64 of size*size*3 bytes}.
import { Resvg } from '@resvg/resvg-js';
import readline from 'node:readline';

const SUPERSAMPLE = 4; // render at 4x, box-filter down: cleaner antialiasing than resvg at 32 px

/** Composites premultiplied-free RGBA on white and box-averages SUPERSAMPLE x SUPERSAMPLE blocks. */
function toRgbOnWhite(rgba, big, size) {
  const out = Buffer.alloc(size * size * 3);
  const f = big / size;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let r = 0, g = 0, b = 0;
      for (let dy = 0; dy < f; dy++) {
        for (let dx = 0; dx < f; dx++) {
          const o = ((y * f + dy) * big + (x * f + dx)) * 4;
          const a = rgba[o + 3] / 255;
          r += rgba[o] * a + 255 * (1 - a);
          g += rgba[o + 1] * a + 255 * (1 - a);
          b += rgba[o + 2] * a + 255 * (1 - a);
        }
      }
      const n = f * f, p = (y * size + x) * 3;
      out[p] = Math.round(r / n); out[p + 1] = Math.round(g / n); out[p + 2] = Math.round(b / n);
    }
  }
  return out;
}

const rl = readline.createInterface({ input: process.stdin });
for await (const line of rl) {
  if (!line.trim()) continue;
  const { i, svg, size } = JSON.parse(line);
  const big = size * SUPERSAMPLE;
  let rgb = null;
  try {
    const img = new Resvg(svg, { fitTo: { mode: 'width', value: big }, background: 'rgba(0,0,0,0)' }).render();
    if (img.width === big && img.height === big) rgb = toRgbOnWhite(img.pixels, big, size).toString('base64');
  } catch { rgb = null; }
  process.stdout.write(JSON.stringify({ i, rgb }) + '\n');
}
