"""Causality through the real network, and the cached step path against teacher forcing."""
import pytest
import torch

from nestar.config import ModelConfig
from nestar.model import NestAR, step_bias
from nestar.schedule import NO_PARENT


def small(architecture="nestar"):
    torch.manual_seed(0)
    widths = (32, 32, 32) if architecture == "nestar" else (32,)
    cfg = ModelConfig(architecture=architecture, image_size=32, patch_size=4, module_widths=widths,
                      module_depths=(2,) * len(widths), head_dim=16, flow_width=16, flow_depth=1, num_classes=5)
    return NestAR(cfg).eval()


@pytest.mark.parametrize("architecture", ["nestar", "raster"])
def test_queries_never_see_their_own_patch_or_later_patches(architecture):
    model = small(architecture)
    cfg = model.config
    tokens = torch.randn(2, cfg.num_tokens, cfg.token_dim)
    labels = torch.tensor([1, 3])
    for k, steps in enumerate(model.schedule):
        base = model.module_conditions(k, tokens, labels)
        sizes = [len(s.query_cells) for s in steps]
        starts = [sum(sizes[:j]) for j in range(len(steps))]
        for j in range(0, len(steps), max(1, len(steps) // 6)):  # raster: a sample of its 64 steps
            perturbed = tokens.clone()
            later = [c for s in steps[j:] for c in s.query_cells]
            perturbed[:, later] += torch.randn(2, len(later), cfg.token_dim) * 3
            z = model.module_conditions(k, perturbed, labels)
            until = starts[j] + sizes[j]
            torch.testing.assert_close(z[:, :until], base[:, :until], atol=1e-5, rtol=0)
            if j + 1 < len(steps):  # and the test can fail: the next step does see this patch
                assert (z[:, until:] - base[:, until:]).abs().max() > 1e-3


def step_conditions(model, k, tokens_BNC, labels_B):
    """Module k run step by step with the explicit cache, as the sampler and the browser run it."""
    B, N, C = tokens_BNC.shape
    padded = torch.cat([tokens_BNC, tokens_BNC.new_zeros(B, 1, C)], dim=1)
    net = model.backbones[k]
    past, outs = net.empty_cache(B), []
    for step in model.schedule[k]:
        content = torch.tensor(step.content_cells)
        queries = torch.tensor(step.query_cells)
        parents = torch.tensor([N if p == NO_PARENT else p for p in step.query_parent_cells])
        z, past = net(labels_B, padded[:, content], content, padded[:, parents], queries, past,
                      step_bias(past.shape[4], len(content), len(queries)))
        outs.append(z)
    return torch.cat(outs, dim=1)


def test_cached_steps_equal_teacher_forcing():
    model = small()
    cfg = model.config
    tokens = torch.randn(3, cfg.num_tokens, cfg.token_dim)
    labels = torch.tensor([0, 4, cfg.null_class])
    with torch.no_grad():
        for k in range(len(model.schedule)):
            torch.testing.assert_close(step_conditions(model, k, tokens, labels),
                                       model.module_conditions(k, tokens, labels), atol=1e-5, rtol=1e-5)
