"""End to end on the real loss and the real sampler: a tiny model memorises 4 images and samples them back."""
import dataclasses

import torch

from nestar.config import PRESETS
from nestar.model import NestAR
from nestar.sampler import SamplingSettings, sample
from nestar.tokens import patchify


def four_images(size=16):
    yy, xx = torch.meshgrid(torch.linspace(-1, 1, size), torch.linspace(-1, 1, size), indexing="ij")
    disc = (xx ** 2 + yy ** 2 < 0.5).float() * 2 - 1
    return torch.stack([
        torch.stack([xx, yy, -xx], -1),
        torch.stack([disc, yy * 0, xx], -1),
        torch.stack([torch.sin(3 * xx), torch.cos(3 * yy), xx * yy], -1),
        torch.stack([-yy, xx * 0 + 0.5, (yy > 0).float() * 2 - 1], -1),
    ])


def test_tiny_model_overfits_four_images_and_the_sampler_reproduces_them():
    cfg = dataclasses.replace(PRESETS["tiny"], num_classes=4, class_dropout=0.0, prefix_noise_std=0.0,
                              flow_width=64, flow_depth=2)
    torch.manual_seed(0)
    model = NestAR(cfg)
    tokens = patchify(four_images(cfg.image_size), cfg.patch_size)
    labels = torch.arange(4)
    opt = torch.optim.AdamW(model.parameters(), lr=5e-3, weight_decay=0)
    g = torch.Generator().manual_seed(0)
    for _ in range(450):
        loss, _ = model(tokens, labels, g)
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    settings = SamplingSettings(ode_steps=20, solver="heun", guidance=1.0, temperature=1.0)
    for k in range(4):
        got = sample(model, k, seed=123 + k, settings=settings)[0]
        errors = [(got - tokens[j]).abs().mean().item() for j in range(4)]
        assert errors[k] < 0.15, f"class {k}: mean abs error {errors[k]:.3f} to its own image"
        assert min(range(4), key=errors.__getitem__) == k, f"class {k} sampled another image: {errors}"
