// Pixel statistics and image comparison for the e2e assertions.

/** Variance of the RGB values (0 for a blank or flat image). */
export function rgbVariance({ data }) {
  let sum = 0;
  let sum2 = 0;
  let n = 0;
  for (let i = 0; i < data.length; i += 4) {
    for (let c = 0; c < 3; c++) {
      sum += data[i + c];
      sum2 += data[i + c] * data[i + c];
      n++;
    }
  }
  const mean = sum / n;
  return sum2 / n - mean * mean;
}

/** Absolute RGB differences: mean, max, and the fraction of channel values off by more than `tolerance`. */
export function compareImages(a, b, tolerance) {
  if (a.width !== b.width || a.height !== b.height) return { sameSize: false, mean: Infinity, max: Infinity, outliers: 1 };
  let total = 0;
  let max = 0;
  let over = 0;
  let n = 0;
  for (let i = 0; i < a.data.length; i += 4) {
    for (let c = 0; c < 3; c++) {
      const d = Math.abs(a.data[i + c] - b.data[i + c]);
      total += d;
      max = Math.max(max, d);
      if (d > tolerance) over++;
      n++;
    }
  }
  return { sameSize: true, mean: total / n, max, outliers: over / n };
}

/** Mean squared RGB difference of two images of the same size (in 8-bit levels²; 0 for identical pixels). */
export function meanSquaredDiff(a, b) {
  if (a.width !== b.width || a.height !== b.height) throw new Error(`cannot compare ${a.width}x${a.height} with ${b.width}x${b.height}`);
  let total = 0;
  let n = 0;
  for (let i = 0; i < a.data.length; i += 4) {
    for (let c = 0; c < 3; c++) {
      const d = a.data[i + c] - b.data[i + c];
      total += d * d;
      n++;
    }
  }
  return total / n;
}
