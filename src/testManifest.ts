/**
 * Test helper: a valid manifest.json object for a tiny NestAR or raster model, built with the same schedule rules
 * as models/nestar/schedule.py, so unit tests need no exported files.
 */

interface StepJson {
  content_cells: number[];
  query_cells: number[];
  query_parent_cells: number[];
}

function scaleCells(grid: number, scale: number): number[] {
  const stride = grid >> scale;
  const side = 1 << scale;
  const cells: number[] = [];
  for (let i = 0; i < side; i++) for (let j = 0; j < side; j++) cells.push(i * stride * grid + j * stride);
  return cells;
}

export function nestarSchedule(grid: number): { modules: StepJson[][]; scales: object[] } {
  const n = grid * grid;
  const half = grid / 2;
  const first = [0, half, half * grid, half * grid + half];
  const modules: StepJson[][] = [
    first.map((cell, k) => ({ content_cells: [k === 0 ? n : first[k - 1]!], query_cells: [cell], query_parent_cells: [-1] })),
  ];
  const scales: object[] = [{ scale: 1, grid: 2, stride: half, module: 0, step: 3 }];
  const numScales = Math.log2(grid);
  for (let m = 2; m <= numScales; m++) {
    const stride = grid >> m;
    const prefix = scaleCells(grid, m - 1);
    const patches = [
      [0, 1],
      [1, 0],
      [1, 1],
    ].map(([dr, dc]) => prefix.map((c) => c + dr! * stride * grid + dc! * stride));
    const content = [[n, ...prefix], patches[0]!, patches[1]!];
    modules.push([0, 1, 2].map((k) => ({ content_cells: content[k]!, query_cells: patches[k]!, query_parent_cells: prefix })));
    scales.push({ scale: m, grid: 1 << m, stride, module: m - 1, step: 2 });
  }
  return { modules, scales };
}

export function rasterSchedule(grid: number): { modules: StepJson[][]; scales: object[] } {
  const n = grid * grid;
  const steps: StepJson[] = [];
  for (let k = 0; k < n; k++) steps.push({ content_cells: [k === 0 ? n : k - 1], query_cells: [k], query_parent_cells: [-1] });
  return { modules: [steps], scales: [{ scale: Math.log2(grid), grid, stride: 1, module: 0, step: n - 1 }] };
}

/**
 * A manifest for a grid x grid model of patch_size `patch` (default: 4x4 grid of 2x2 patches, 8x8 pixels). With
 * layout 'latent', a token is a `latentDim`-channel latent (default 4) decoded by decoder.onnx. With `fewStep`, each
 * module also has a two-evaluation few-step sampler trained for guidance [1, 6] and temperature [0.5, 1.2].
 */
export function makeManifestJson(
  opts: { grid?: number; patch?: number; architecture?: 'nestar' | 'raster'; layout?: 'pixel_patch' | 'latent'; latentDim?: number; fewStep?: boolean; previewDecoder?: boolean } = {},
): Record<string, unknown> {
  const grid = opts.grid ?? 4;
  const patch = opts.patch ?? 2;
  const architecture = opts.architecture ?? 'nestar';
  const latent = opts.layout === 'latent';
  const { modules, scales } = architecture === 'nestar' ? nestarSchedule(grid) : rasterSchedule(grid);
  const files: Record<string, { bytes: number; sha256: string }> = {};
  const mods = modules.map((steps, k) => {
    files[`module${k}_backbone.onnx`] = { bytes: 1000 + k, sha256: 'a'.repeat(64) };
    files[`module${k}_flow_head.onnx`] = { bytes: 500 + k, sha256: 'b'.repeat(64) };
    if (opts.fewStep) files[`module${k}_few_step.onnx`] = { bytes: 600 + k, sha256: 'd'.repeat(64) };
    return {
      backbone: `module${k}_backbone.onnx`,
      flow_head: `module${k}_flow_head.onnx`,
      ...(opts.fewStep ? { few_step: `module${k}_few_step.onnx` } : {}),
      width: 8,
      kv_cache: { layers: 1, heads: 2, head_dim: 4 },
      steps,
    };
  });
  if (latent) files['decoder.onnx'] = { bytes: 300, sha256: 'c'.repeat(64) };
  const previewDecoder = latent && opts.previewDecoder;
  if (previewDecoder) files['preview_decoder.onnx'] = { bytes: 40, sha256: 'e'.repeat(64) };
  const previewRule = previewDecoder
    ? { preview: 'preview_decoder', preview_decoder: 'preview_decoder.onnx', preview_pixels_per_latent: patch }
    : { preview: 'expand_subgrid' };
  const tokens = latent
    ? { grid, count: grid * grid, layout: 'latent', patch_size: patch, dim: opts.latentDim ?? 4, decoder: 'decoder.onnx', ...previewRule }
    : {
        grid,
        count: grid * grid,
        layout: 'pixel_patch',
        patch_size: patch,
        dim: 3 * patch * patch,
        channel_order: 'dy,dx,rgb',
        normalization: { mean: 0.5, std: 0.5 },
      };
  return {
    format: 'nestar-studio/manifest',
    format_version: 1,
    id: `test-${architecture}`,
    title: 'Test model',
    description: 'made by src/testManifest.ts',
    license: 'CC0-1.0',
    data_source: 'none',
    architecture,
    image: { size: grid * patch, channels: 3 },
    tokens,
    classes: [
      { index: 0, label: 'cat', group: 'animals' },
      { index: 1, label: 'dog', group: 'animals' },
      { index: 2, label: 'sun', group: 'sky' },
    ],
    null_class: 3,
    prng: { algorithm: 'lowbias32-boxmuller-v1', stream_stride: 1024 },
    sampling: {
      defaults: { ode_steps: 4, solver: 'heun', guidance: 2, temperature: 1 },
      limits: { ode_steps: [1, 64], guidance: [0, 10], temperature: [0, 2], batch: [1, 8] },
    },
    modules: mods,
    scales,
    io: {
      backbone: {
        inputs: ['class_label', 'content', 'content_cells', 'query_parent', 'query_cells', 'past_kv'],
        outputs: ['z', 'present_kv'],
      },
      flow_head: { inputs: ['z', 'x', 't'], outputs: ['v'] },
      ...(latent ? { decoder: { inputs: ['tokens'], outputs: ['pixels'] } } : {}),
      ...(previewDecoder ? { preview_decoder: { inputs: ['tokens'], outputs: ['pixels'] } } : {}),
      ...(opts.fewStep ? { few_step: { inputs: ['z', 'x0', 'guidance'], outputs: ['tokens'] } } : {}),
    },
    few_step: opts.fewStep ? { evaluations: 2, guidance: [1, 6], temperature: [0.5, 1.2] } : null,
    files,
    quality: { fid: null },
  };
}
