/**
 * The scheduler's view of the networks: per module one backbone step, one flow-head evaluation and the one-call
 * few-step sampler, with the KV cache and z as opaque handles (on WebGPU they stay on the GPU between calls), and
 * the decoder of a latent model. onnxruntime-web implements it in ortRunner.ts (worker and Node tests); unit tests
 * implement it with plain arithmetic. Shapes follow docs/contract.md, "ONNX sessions".
 */

export interface BackboneFeeds {
  /** Rows of the (possibly guidance-doubled) batch. */
  batch: number;
  /** [batch] int64: the class, or the null class for the unconditional half. */
  classLabel_B: BigInt64Array;
  /** [batch, Lc, dim]: values of contentCells (zeros at the class slot). */
  content_BLD: Float32Array;
  /** [Lc] int64. */
  contentCells_L: BigInt64Array;
  /** [batch, Lq, dim]: values at the query parents (zeros for -1). */
  queryParent_BLD: Float32Array;
  /** [Lq] int64. */
  queryCells_L: BigInt64Array;
}

export interface BackboneResult<H> {
  /** [batch, Lq, width]: the condition for the flow head (the runner has checked its shape). */
  z: H;
  /** [layers, 2, batch, heads, Lpast + Lc, headDim], fed back as past_kv at the module's next step. */
  presentKv: H;
}

export interface SessionRunner<H = unknown> {
  /** One backbone step of module `module`; `pastKv` is null at the module's first step (an empty cache). */
  backbone(module: number, feeds: BackboneFeeds, pastKv: H | null): Promise<BackboneResult<H>>;
  /** v = flow_head(z, x, t) for N = batch*Lq rows: z the backbone's (as [N, width]), x [N, dim], t [N, 1] -> [N, dim]. */
  flowHead(module: number, z: H, x_ND: Float32Array, t_N1: Float32Array): Promise<Float32Array>;
  /**
   * The few-step sampler (docs/contract.md, "Few-step sampler"): tokens [N, dim] from z (the backbone's, as
   * [N, width]), x0 = temperature * noise [N, dim] and the guidance scale per row [N, 1]. One call per step.
   */
  fewStep(module: number, z: H, x0_ND: Float32Array, guidance_N1: Float32Array): Promise<Float32Array>;
  /**
   * The decoder session of a latent model (docs/contract.md, "ONNX sessions"): token grids tokens [batch, G², dim]
   * -> pixels [batch, H, W, 3], RGB in [0, 1]. One call decodes a whole batch. Part of this interface, not of the
   * renderer, so that whatever wraps a runner (counting, tracing) sees every session call. A runner of a
   * pixel_patch model has no decoder and throws.
   */
  decode(tokens_BND: Float32Array, batch: number): Promise<Float32Array>;
  /**
   * The preview decoder session of a latent model with the preview rule "preview_decoder" (docs/contract.md,
   * "Previews"): sub-grids tokens [batch, grid, grid, dim] -> pixels [batch, grid*q, grid*q, 3] in [0, 1]. Other
   * models have none and throw.
   */
  decodePreview(tokens_BggD: Float32Array, batch: number, grid: number): Promise<Float32Array>;
  /** Frees a cache or a z the scheduler will not feed again (device tensors are not garbage collected). */
  release(handle: H): void;
}
