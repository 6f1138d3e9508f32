/**
 * Counter-based PRNG "lowbias32-boxmuller-v1", bit for bit the same as models/nestar/prng.py (docs/contract.md).
 *
 * Every noise value is a pure function of (seed, stream, index), so the sampler carries no RNG state and the
 * browser reproduces the PyTorch sampler's starting noise in any order and any batch split.
 */

export const PRNG_ALGORITHM = 'lowbias32-boxmuller-v1';

const GOLDEN = 0x9e3779b9;
const TWO_POW_32 = 4294967296;

/** lowbias32 (C. Wellons' hash-prospector): a bijective avalanche on uint32. `Math.imul` wraps like numpy uint32. */
export function mix32(x: number): number {
  x = x >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

/** The per-(seed, stream) key; hoisted out of loops since it does not depend on the counter. */
function streamKey(seed: number, stream: number): number {
  return mix32(mix32((seed ^ GOLDEN) >>> 0) ^ stream);
}

function checkUint32(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 0 || v >= TWO_POW_32) {
    throw new RangeError(`${name} must be a uint32, got ${v}`);
  }
}

/** Raw 32-bit words for the given counters (uint32, wrapping). */
export function bits(seed: number, stream: number, counters: ArrayLike<number>): number[] {
  checkUint32('seed', seed);
  checkUint32('stream', stream);
  const key = streamKey(seed, stream);
  const out: number[] = new Array<number>(counters.length);
  for (let i = 0; i < counters.length; i++) out[i] = mix32((key + (counters[i] ?? 0)) >>> 0);
  return out;
}

/**
 * `count` standard normals as float32: element i from counters 2i and 2i+1 (Box-Muller, cosine branch), computed
 * in float64 and rounded to float32 on store, exactly like prng.py.
 */
export function normal(seed: number, stream: number, count: number, out?: Float32Array): Float32Array {
  checkUint32('seed', seed);
  checkUint32('stream', stream);
  const result = out ?? new Float32Array(count);
  if (result.length < count) throw new RangeError(`output holds ${result.length} values, need ${count}`);
  const key = streamKey(seed, stream);
  for (let i = 0; i < count; i++) {
    // Counters are uint32 and wrap, like numpy's (2*i).astype(np.uint32).
    const u1 = (mix32((key + 2 * i) >>> 0) + 0.5) / TWO_POW_32;
    const u2 = (mix32((key + 2 * i + 1) >>> 0) + 0.5) / TWO_POW_32;
    result[i] = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }
  return result;
}

/** Stream of (module k, step j) = k * streamStride + j; the stride comes from manifest.prng.stream_stride. */
export function streamOf(moduleIndex: number, stepIndex: number, streamStride: number): number {
  if (!Number.isInteger(stepIndex) || stepIndex < 0 || stepIndex >= streamStride) {
    throw new RangeError(`step ${stepIndex} does not fit the stream stride ${streamStride}`);
  }
  return moduleIndex * streamStride + stepIndex;
}
