// bench/cost_curve.png: sequential steps and ms per image vs token count n, log-log, NestAR vs raster, the ms on
// each sampling path (ODE solid, few-step dashed). Drawn into an
// RGBA buffer by hand (a 3x5 pixel font, lines, markers) and encoded with fast-png: no plotting dependency.
import { encode } from 'fast-png';

const FONT = {
  A: '010101111101101', B: '110101110101110', C: '011100100100011', D: '110101101101110', E: '111100110100111',
  F: '111100110100100', G: '011100101101011', H: '101101111101101', I: '111010010010111', J: '001001001101010',
  K: '101101110101101', L: '100100100100111', M: '101111111101101', N: '110101101101101', O: '010101101101010',
  P: '110101110100100', Q: '010101101110011', R: '110101110101101', S: '011100010001110', T: '111010010010010',
  U: '101101101101111', V: '101101101101010', W: '101101111111101', X: '101101010101101', Y: '101101010010010',
  Z: '111001010100111', 0: '111101101101111', 1: '010110010010111', 2: '110001010100111', 3: '110001010001110',
  4: '101101111001001', 5: '111100110001110', 6: '011100111101111', 7: '111001010010010', 8: '111101111101111',
  9: '111101111001110', '.': '000000000000010', '-': '000000111000000', '/': '001001010100100', '(': '010100100100010',
  ')': '010001001001010', '=': '000111000111000', ' ': '000000000000000', ',': '000000000010100', ':': '000010000010000',
  '%': '101001010100101',
};
const SCALE = 2; // font pixels per glyph pixel
export const COLORS = { nestar: [37, 99, 235], raster: [234, 88, 12], axis: [30, 30, 30], grid: [225, 225, 225] };

class Canvas {
  constructor(width, height) {
    this.width = width;
    this.height = height;
    this.data = new Uint8Array(width * height * 4).fill(255);
  }
  dot(x, y, [r, g, b]) {
    x = Math.round(x);
    y = Math.round(y);
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    this.data.set([r, g, b, 255], (y * this.width + x) * 4);
  }
  rect(x, y, w, h, color) {
    for (let j = 0; j < h; j++) for (let i = 0; i < w; i++) this.dot(x + i, y + j, color);
  }
  /** `dash`: pixels on, then as many off (0: solid). */
  line(x0, y0, x1, y1, color, width = 1, dash = 0) {
    const steps = Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0), 1);
    const off = Math.floor(width / 2);
    for (let s = 0; s <= steps; s++) {
      if (dash && Math.floor(s / dash) % 2) continue;
      this.rect(x0 + ((x1 - x0) * s) / steps - off, y0 + ((y1 - y0) * s) / steps - off, width, width, color);
    }
  }
  text(x, y, str, color = COLORS.axis) {
    [...str.toUpperCase()].forEach((ch, i) => {
      const glyph = FONT[ch] ?? FONT[' '];
      for (let k = 0; k < 15; k++) if (glyph[k] === '1') this.rect(x + i * 4 * SCALE + (k % 3) * SCALE, y + Math.floor(k / 3) * SCALE, SCALE, SCALE, color);
    });
  }
  textWidth(str) {
    return str.length * 4 * SCALE - SCALE;
  }
}

const decades = (lo, hi) => {
  const out = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) out.push(10 ** e);
  return out;
};

/** One log-log panel at (x, y) of size w x h: series = [{color, dash, points: [[n, value]]}]. */
function panel(c, x, y, w, h, title, series) {
  const ns = [...new Set(series.flatMap((s) => s.points).map(([n]) => n))].sort((a, b) => a - b);
  const values = series.flatMap((s) => s.points).map(([, v]) => v);
  const ticks = decades(Math.min(...values), Math.max(...values));
  const [ylo, yhi] = [Math.log10(ticks[0]), Math.log10(ticks[ticks.length - 1])];
  const [xlo, xhi] = [Math.log2(ns[0]) - 0.5, Math.log2(ns[ns.length - 1]) + 0.5];
  const px = (n) => x + ((Math.log2(n) - xlo) / (xhi - xlo)) * w;
  const py = (v) => y + h - ((Math.log10(v) - ylo) / (yhi - ylo || 1)) * h;
  for (const t of ticks) {
    c.line(x, py(t), x + w, py(t), COLORS.grid);
    const label = t >= 1 ? String(t) : t.toString();
    c.text(x - c.textWidth(label) - 6, py(t) - 5, label);
  }
  for (const n of ns) {
    c.line(px(n), y + h, px(n), y + h + 4, COLORS.axis);
    c.text(px(n) - c.textWidth(String(n)) / 2, y + h + 8, String(n));
  }
  c.line(x, y + h, x + w, y + h, COLORS.axis);
  c.line(x, y, x, y + h, COLORS.axis);
  c.text(x + w / 2 - c.textWidth(title) / 2, y - 22, title);
  c.text(x + w / 2 - c.textWidth('TOKENS N') / 2, y + h + 24, 'TOKENS N');
  for (const { color, dash, points } of series) {
    points.forEach(([n, v], i) => {
      if (dash) {
        c.rect(px(n) - 4, py(v) - 4, 9, 9, color);
        c.rect(px(n) - 2, py(v) - 2, 5, 5, [255, 255, 255]); // hollow marker
      } else {
        c.rect(px(n) - 3, py(v) - 3, 7, 7, color);
      }
      if (i > 0) c.line(px(points[i - 1][0]), py(points[i - 1][1]), px(n), py(v), color, 2, dash);
    });
  }
}

/**
 * PNG bytes: left panel sequential steps, right panel ms per image on each path; `curve` = [{tokens, arch, path,
 * steps, ms}] (path 'ode' or 'few_step'; a point without one is an ODE point).
 */
export function costCurvePng(curve, timeTitle) {
  const c = new Canvas(960, 420);
  const paths = ['ode', 'few_step'].filter((path) => curve.some((p) => (p.path ?? 'ode') === path));
  const points = (arch, path, key) => curve.filter((p) => p.arch === arch && (p.path ?? 'ode') === path).map((p) => [p.tokens, p[key]]);
  const series = (key, onPaths) =>
    onPaths.flatMap((path) => ['nestar', 'raster'].map((arch) => ({ color: COLORS[arch], dash: path === 'few_step' ? 6 : 0, points: points(arch, path, key) })));
  panel(c, 90, 60, 340, 290, 'SEQUENTIAL STEPS', series('steps', paths.slice(0, 1)).map((s) => ({ ...s, dash: 0 })));
  panel(c, 580, 60, 340, 290, timeTitle, series('ms', paths));
  c.rect(90, 395, 14, 8, COLORS.nestar);
  c.text(110, 394, 'NESTAR', COLORS.nestar);
  c.rect(190, 395, 14, 8, COLORS.raster);
  c.text(210, 394, 'RASTER AR', COLORS.raster);
  if (paths.length === 2) {
    c.line(580, 399, 600, 399, COLORS.axis, 2);
    c.text(606, 394, 'ODE PATH');
    c.line(730, 399, 750, 399, COLORS.axis, 2, 6);
    c.text(756, 394, 'FEW-STEP PATH');
  }
  return encode({ width: c.width, height: c.height, data: c.data, channels: 4, depth: 8 });
}
