// The measurement protocol shared by every backend: per (tokens, batch), the NestAR and raster models run
// alternately (A B A B ...) so that drift in the machine's load (thermal, other processes) hits both alike; the
// first run of each is a warm-up (session compilation, allocator growth, JIT) and is not kept.

/**
 * `generate(name, batch, seed)` -> one Timing. Returns {[name]: Timing[]} for `names` (NestAR against raster unless
 * told otherwise). Seeds differ per repeat so no cache of results can flatter a repeat.
 */
export async function interleaved(generate, batch, repeats, log = () => {}, names = ['nestar', 'raster']) {
  const runs = Object.fromEntries(names.map((name) => [name, []]));
  for (let r = -1; r < repeats; r++) {
    for (const arch of names) {
      const t = await generate(arch, batch, 1000 + r);
      log(`    ${r < 0 ? 'warm-up' : `run ${r + 1}/${repeats}`} ${arch}: ${t.totalMs.toFixed(0)} ms`);
      if (r >= 0) runs[arch].push(t);
    }
  }
  return runs;
}
