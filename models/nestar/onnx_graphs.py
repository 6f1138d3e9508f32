"""The exported graphs: one backbone step (explicit cache in, cache out), one flow-head velocity evaluation, and the
few-step sampler (few_step_head.FewStepSampler: all of a token's head evaluations in one call; or, for a module that
runs the guided ODE there, ode.GuidedOdeSampler).
Tensor names here are the contract's (docs/contract.md) and are copied into the manifest's `io`."""
import torch
from torch import nn

from .model import ModuleNet, step_bias

BACKBONE_INPUTS = ["class_label", "content", "content_cells", "query_parent", "query_cells", "past_kv"]
BACKBONE_OUTPUTS = ["z", "present_kv"]
FLOW_INPUTS = ["z", "x", "t"]
FLOW_OUTPUTS = ["v"]
BACKBONE_DYNAMIC_AXES = {
    "class_label": {0: "batch"}, "content": {0: "batch", 1: "content_len"}, "content_cells": {0: "content_len"},
    "query_parent": {0: "batch", 1: "query_len"}, "query_cells": {0: "query_len"},
    "past_kv": {2: "batch", 4: "past_len"}, "z": {0: "batch", 1: "query_len"}, "present_kv": {2: "batch", 4: "total_len"},
}
FLOW_DYNAMIC_AXES = {"z": {0: "rows"}, "x": {0: "rows"}, "t": {0: "rows"}, "v": {0: "rows"}}
FEW_STEP_INPUTS = ["z", "x0", "guidance"]
FEW_STEP_OUTPUTS = ["tokens"]
FEW_STEP_DYNAMIC_AXES = {"z": {0: "rows"}, "x0": {0: "rows"}, "guidance": {0: "rows"}, "tokens": {0: "rows"}}
# ode.GuidedOdeSampler: z holds twice the rows (conditional, then unconditional).
GUIDED_FEW_STEP_DYNAMIC_AXES = {**FEW_STEP_DYNAMIC_AXES, "z": {0: "z_rows"}}
# The latent layout's decoder (nestar.tokenizer.ExportedDecoder): normalised latent tokens -> pixels in [0, 1].
DECODER_INPUTS = ["tokens"]
DECODER_OUTPUTS = ["pixels"]
DECODER_DYNAMIC_AXES = {"tokens": {0: "batch"}, "pixels": {0: "batch"}}
DECODER_FILE = "decoder.onnx"
PREVIEW_DECODER_INPUTS = ["tokens"]
PREVIEW_DECODER_OUTPUTS = ["pixels"]
PREVIEW_DECODER_DYNAMIC_AXES = {"tokens": {0: "batch", 1: "grid", 2: "grid"}, "pixels": {0: "batch", 1: "side", 2: "side"}}
PREVIEW_DECODER_FILE = "preview_decoder.onnx"


class BackboneStep(nn.Module):
    """One sampling step of a module: the mask is built from the input lengths inside the graph."""

    def __init__(self, net: ModuleNet):
        super().__init__()
        self.net = net

    def forward(self, class_label, content, content_cells, query_parent, query_cells, past_kv):
        bias = step_bias(past_kv.shape[4], content.shape[1], query_cells.shape[0], content.device)
        return self.net(class_label, content, content_cells, query_parent, query_cells, past_kv, bias)


def example_backbone_inputs(net: ModuleNet, token_dim: int, batch: int, past: int, n_content: int, n_query: int,
                            generator: torch.Generator):
    """Random but valid inputs; cells are drawn from the real cell range, the class slot included."""
    n = net.num_tokens
    attn = net.transformer.blocks[0].attn
    return (
        torch.randint(0, net.class_embedding.num_embeddings, (batch,), generator=generator),
        torch.randn(batch, n_content, token_dim, generator=generator),
        torch.randint(0, n + 1, (n_content,), generator=generator),
        torch.randn(batch, n_query, token_dim, generator=generator),
        torch.randint(0, n, (n_query,), generator=generator),
        torch.randn(len(net.transformer.blocks), 2, batch, attn.heads, past, attn.head_dim, generator=generator),
    )
