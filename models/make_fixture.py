#!/usr/bin/env python3
"""Writes the tiny test-fixture model the TypeScript tests replay: fixtures/tiny-nestar/{manifest.json, ONNX,
reference.json}. The model is trained briefly (a random flow head ignores its condition: its modulation starts at
zero) on the 16 px emoji set, exported the same way as the flagship, then sampled by the reference sampler.

  /usr/bin/python3 models/make_fixture.py [--out fixtures/tiny-nestar] [--steps 150]
"""
import argparse
import json
import os
import sys
from types import SimpleNamespace

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import export  # noqa: E402
from nestar import checkpoint  # noqa: E402
from nestar.config import PRESETS  # noqa: E402
from nestar.data import EmojiDataset  # noqa: E402
from nestar.model import NestAR  # noqa: E402
from nestar.runtime import configure_threads  # noqa: E402
from nestar.sampler import SamplingSettings, sample  # noqa: E402
from nestar.schedule import scale_cells  # noqa: E402

REFERENCE = {"class_index": 3, "seed": 4294967294, "batch": 2,  # seed wraps: image 1 uses seed 4294967295
             "settings": {"ode_steps": 4, "solver": "heun", "guidance": 2.5, "temperature": 0.9}}


def train_tiny(steps: int) -> dict:
    torch.manual_seed(0)
    cfg = PRESETS["tiny"]
    model = NestAR(cfg)
    data = EmojiDataset("train", cfg.image_size)
    tokens = data.tokens(cfg.patch_size, cfg.norm_mean, cfg.norm_std)
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
    g = torch.Generator().manual_seed(0)
    for _ in range(steps):
        idx = torch.randint(0, len(tokens), (64,), generator=g)
        loss, _ = model(tokens[idx], data.labels[idx], g)
        opt.zero_grad()
        loss.backward()
        opt.step()
    print(f"tiny model: {steps} steps, last loss {loss.item():.3f}")
    return {"model_config": cfg.to_dict(), "model": model.state_dict(), "ema": model.state_dict(), "step": steps,
            "elapsed_s": 0, "samples_seen": steps * 64, "hardware": "CPU"}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "fixtures", "tiny-nestar"))
    p.add_argument("--steps", type=int, default=150)
    args = p.parse_args()
    configure_threads()
    os.makedirs(args.out, exist_ok=True)
    ckpt = os.path.join(args.out, "..", "tiny-nestar.pt.tmp")
    checkpoint.save(ckpt, train_tiny(args.steps))
    model, manifest, error = export.export(ckpt, args.out, SimpleNamespace(
        id="tiny-nestar", title="Tiny NestAR (test fixture)", description="Test fixture: 16 px, 2 modules.",
        defaults=REFERENCE["settings"], quality=None))
    os.unlink(ckpt)

    steps, scales = [], []
    settings = SamplingSettings(**REFERENCE["settings"])
    on_step = lambda k, j, noise, x: steps.append({"module": k, "step": j, "noise": noise.flatten().tolist(),  # noqa: E731
                                                   "tokens": x.flatten().tolist()})

    def on_scale(scale, tokens_BNC):
        cells = scale_cells(model.config.grid, scale.scale)
        scales.append({"scale": scale.scale, "grid": scale.grid, "tokens": [t[cells].flatten().tolist() for t in tokens_BNC]})

    final = sample(model, REFERENCE["class_index"], REFERENCE["seed"], settings, REFERENCE["batch"], on_step, on_scale)
    reference = {**REFERENCE, "settings": {**REFERENCE["settings"], "batch": REFERENCE["batch"]},
                 "parity_max_abs_error": error, "steps": steps, "scale_tokens": scales,
                 "final_tokens": [t.flatten().tolist() for t in final]}
    with open(os.path.join(args.out, "reference.json"), "w") as f:
        json.dump(reference, f)
    print(f"wrote {args.out}/reference.json: {len(steps)} steps, {len(scales)} scales")


if __name__ == "__main__":
    main()
