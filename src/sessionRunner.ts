/**
 * The scheduler's view of the networks: one backbone step and one flow-head evaluation per module, with the KV
 * cache as an opaque handle, and the decoder of a latent model. onnxruntime-web implements it in ortRunner.ts (worker and Node tests); unit tests
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

export interface BackboneResult<Kv> {
  /** [batch, Lq, width]: the condition for the flow head. */
  z_BLW: Float32Array;
  /** [layers, 2, batch, heads, Lpast + Lc, headDim], fed back as past_kv at the module's next step. */
  presentKv: Kv;
}

export interface SessionRunner<Kv = unknown> {
  /** One backbone step of module `module`; `pastKv` is null at the module's first step (an empty cache). */
  backbone(module: number, feeds: BackboneFeeds, pastKv: Kv | null): Promise<BackboneResult<Kv>>;
  /** v = flow_head(z, x, t) for N rows: z [N, width], x [N, dim], t [N, 1] -> [N, dim]. */
  flowHead(module: number, z_NW: Float32Array, x_ND: Float32Array, t_N1: Float32Array): Promise<Float32Array>;
  /**
   * The decoder session of a latent model (docs/contract.md, "ONNX sessions"): token grids tokens [batch, G², dim]
   * -> pixels [batch, H, W, 3], RGB in [0, 1]. One call decodes a whole batch. Part of this interface, not of the
   * renderer, so that whatever wraps a runner (counting, tracing) sees every session call. A runner of a
   * pixel_patch model has no decoder and throws.
   */
  decode(tokens_BND: Float32Array, batch: number): Promise<Float32Array>;
  /** Frees a cache the scheduler will not feed again (device tensors are not garbage collected). */
  releaseKv(kv: Kv): void;
}
