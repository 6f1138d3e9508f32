#!/usr/bin/env python3
"""Writes the tiny test-fixture models the TypeScript tests replay: fixtures/<preset>/{manifest.json, ONNX,
reference.json}. The model is trained briefly (a random flow head ignores its condition: its modulation starts at
zero) on the emoji set, exported the same way as the flagship, then sampled by the reference sampler.
  tiny:        pixel-patch layout, 16 px, 2 modules (fixtures/tiny-nestar)
  tiny-latent: latent layout, 32 px, a 4x4x4 latent grid of a briefly trained nested tokenizer, 2 modules, plus
               the decoder and a preview decoder; its reference also holds the pixels of every preview (preview
               decoder) and of the image (decoder)
Both get briefly distilled few-step heads and their one-call sampler graphs (tiny: K = 2 in both modules, written as
one number; tiny-latent: a list per module, the guided ODE in 2 Heun steps in its first module, then K = 1); reference.json holds a second run of
the same request with solver "few_step" (`few_step`), and both runs again with a coarse guidance of 1
(`coarse_guidance`), which the TypeScript side must reproduce.

  /usr/bin/python3 models/make_fixture.py [--preset tiny] [--out fixtures/tiny-nestar] [--steps 150]
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
from nestar.distillation import condition_pool, distillation_step  # noqa: E402
from nestar.few_step_head import FewStepConfig, FewStepHead, head_evaluations  # noqa: E402
from nestar.layout import images_from_tokens  # noqa: E402
from nestar.model import NestAR  # noqa: E402
from nestar.preview_decoder import PreviewDecoderConfig  # noqa: E402
from nestar.runtime import configure_threads  # noqa: E402
from nestar.sampler import SamplingSettings, sample  # noqa: E402
from nestar.schedule import scale_cells  # noqa: E402
from nestar.tokenizer import NestedTokenizer, TokenizerConfig, images_to_input, latent_tokens  # noqa: E402
from train_preview_decoder import save as save_preview_decoder, train_preview_decoder  # noqa: E402

REFERENCE = {"class_index": 3, "seed": 4294967294, "batch": 2,  # seed wraps: image 1 uses seed 4294967295
             "settings": {"ode_steps": 4, "solver": "heun", "guidance": 2.5, "temperature": 0.9}}


OUT = {"tiny": "tiny-nestar", "tiny-latent": "tiny-latent"}


def train_tiny_tokenizer(data: EmojiDataset, cfg, steps: int) -> dict:
    """A few hundred steps: enough for previews that are pictures, which is all a parity fixture needs."""
    tok = NestedTokenizer(TokenizerConfig(image_size=cfg.image_size, latent_channels=cfg.latent_channels,
                                          downsample=cfg.patch_size, widths=(16, 16), blocks_per_stage=1))
    x = images_to_input(data.images)
    opt = torch.optim.AdamW(tok.parameters(), lr=3e-3)
    g = torch.Generator().manual_seed(0)
    for _ in range(steps):
        loss = tok.losses(x[torch.randint(0, len(x), (32,), generator=g)], g)["total"]
        opt.zero_grad()
        loss.backward()
        opt.step()
    tok.normalise_from(x)
    print(f"tiny tokenizer: {steps} steps, last loss {loss.item():.3f}")
    return {"config": tok.config.to_dict(), "model": tok.state_dict(), "step": steps, "elapsed_s": 0,
            "params": sum(p.numel() for p in tok.parameters()), "hardware": "CPU", "metrics": None}


# K of each fixture's few-step sampler: both manifest forms (one number, one per module) stay covered.
EVALUATIONS = {"tiny": 2, "tiny-latent": ({"solver": "heun", "steps": 2}, 1)}


def distil_tiny(ckpt: str, state: dict, tokens, labels, steps: int, path: str, evaluations):
    """A few distillation steps: the fixture checks that both sides run the same graph, not its quality."""
    model = checkpoint.load_model(ckpt).requires_grad_(False)
    cfg = FewStepConfig(evaluations=evaluations, guidance=(1.0, 6.0), temperature=(0.5, 1.2))
    students = torch.nn.ModuleList(FewStepHead.from_teacher(h) for h in model.heads)
    opt = torch.optim.AdamW(students.parameters(), lr=3e-3)
    g = torch.Generator().manual_seed(0)
    pool = condition_pool(model, tokens, labels)
    settings = REFERENCE["settings"]
    for _ in range(steps):
        losses, _ = distillation_step(students, model.heads, pool, cfg, opt, 64, 1, settings["guidance"],
                                      settings["temperature"], g)
    print(f"tiny few-step heads: {steps} steps, last losses {[round(l, 4) for l in losses]}")
    checkpoint.save_few_step(path, cfg, students, state, steps, 0.0)


def train_tiny_preview_decoder(tokenizer, size: int, steps: int, path: str):
    """A briefly distilled preview decoder (the parity of its rule is what the fixture checks)."""
    cfg = PreviewDecoderConfig(latent_channels=tokenizer.config.latent_channels, pixels_per_latent=8, width=16)
    decoder, steps = train_preview_decoder(tokenizer, EmojiDataset("train", size).images, cfg, max_steps=steps,
                                           log=lambda m: None)
    save_preview_decoder(path, decoder, tokenizer, {"steps": steps, "seconds": 0, "parameters": 0})
    print(f"tiny preview decoder: {steps} steps")
    return decoder


def train_tiny(preset: str, steps: int) -> dict:
    torch.manual_seed(0)
    cfg = PRESETS[preset]
    model = NestAR(cfg)
    data = EmojiDataset("train", cfg.image_size)
    tokenizer_state = None
    if cfg.token_layout == "latent":
        tokenizer_state = train_tiny_tokenizer(data, cfg, 2 * steps)
        tokens = latent_tokens(checkpoint.tokenizer_of({"tokenizer": tokenizer_state}), data.images)
    else:
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
    state = {"model_config": cfg.to_dict(), "model": model.state_dict(), "ema": model.state_dict(), "step": steps,
             "elapsed_s": 0, "samples_seen": steps * 64, "hardware": "CPU", "tokenizer": tokenizer_state}
    return state, tokens, data.labels


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--preset", choices=sorted(OUT), default="tiny")
    p.add_argument("--out", default=None, help="default: fixtures/tiny-nestar or fixtures/tiny-latent")
    p.add_argument("--steps", type=int, default=150)
    args = p.parse_args()
    args.out = args.out or os.path.join(os.path.dirname(__file__), "..", "fixtures", OUT[args.preset])
    configure_threads()
    os.makedirs(args.out, exist_ok=True)
    ckpt = os.path.join(args.out, "..", f"{OUT[args.preset]}.pt.tmp")
    state, tokens, labels = train_tiny(args.preset, args.steps)
    checkpoint.save(ckpt, state)
    few_path = ckpt + ".few_step"
    distil_tiny(ckpt, state, tokens, labels, args.steps // 3, few_path, EVALUATIONS[args.preset])
    size = PRESETS[args.preset].image_size
    tokenizer = checkpoint.tokenizer_of(state)
    preview_path, preview_decoder = None, None
    if tokenizer is not None:
        preview_path = ckpt + ".preview_decoder"
        preview_decoder = train_tiny_preview_decoder(tokenizer, size, args.steps, preview_path)
    model, manifest, error = export.export(ckpt, args.out, SimpleNamespace(
        id=OUT[args.preset], title=f"Tiny NestAR, {PRESETS[args.preset].token_layout} layout (test fixture)",
        description=f"Test fixture: {size} px, 2 modules.", defaults=REFERENCE["settings"], quality=None,
        few_step=few_path, preview_decoder=preview_path))
    for path in (ckpt, few_path, preview_path):
        if path:
            os.unlink(path)

    steps, scales = [], []
    settings = SamplingSettings(**REFERENCE["settings"])
    on_step = lambda k, j, noise, x: steps.append({"module": k, "step": j, "noise": noise.flatten().tolist(),  # noqa: E731
                                                   "tokens": x.flatten().tolist()})

    def on_scale(scale, tokens_BNC):
        cells = scale_cells(model.config.grid, scale.scale)
        entry = {"scale": scale.scale, "grid": scale.grid, "tokens": [t[cells].flatten().tolist() for t in tokens_BNC]}
        if tokenizer is not None:  # the preview the page must show: by the preview decoder, the image by the decoder
            pixels = images_from_tokens(model.config, tokens_BNC, tokenizer, stride=model.config.grid >> scale.scale,
                                        preview_decoder=preview_decoder)
            entry["pixels"] = [p.flatten().tolist() for p in pixels]
        scales.append(entry)

    final = sample(model, REFERENCE["class_index"], REFERENCE["seed"], settings, REFERENCE["batch"], on_step, on_scale)
    reference = {**REFERENCE, "settings": {**REFERENCE["settings"], "batch": REFERENCE["batch"]},
                 "parity_max_abs_error": error, "steps": steps, "scale_tokens": scales,
                 "final_tokens": [t.flatten().tolist() for t in final]}
    if tokenizer is not None:
        reference["final_pixels"] = [p.flatten().tolist() for p in images_from_tokens(model.config, final, tokenizer)]
    fast = SamplingSettings(settings.ode_steps, "few_step", settings.guidance, settings.temperature)
    fast_steps = []
    fast_final = sample(model, REFERENCE["class_index"], REFERENCE["seed"], fast, REFERENCE["batch"],
                        lambda k, j, noise, x: fast_steps.append(x.flatten().tolist()))
    reference["few_step"] = {"solver": "few_step", "evaluations": [head_evaluations(e) for e in
                                                                   model.few_step_config.per_module(len(model.backbones))],
                             "step_tokens": fast_steps, "final_tokens": [t.flatten().tolist() for t in fast_final]}
    # Guidance per module: w = 1 in module 1 runs it undoubled on the ODE path while module 2 is doubled.
    coarse = {"coarse_guidance": 1.0}
    ode_coarse = SamplingSettings(**{**REFERENCE["settings"], **coarse})
    fast_coarse = SamplingSettings(**{**REFERENCE["settings"], **coarse, "solver": "few_step"})
    reference["coarse_guidance"] = {
        **coarse,
        "final_tokens": [t.flatten().tolist() for t in sample(model, REFERENCE["class_index"], REFERENCE["seed"],
                                                                ode_coarse, REFERENCE["batch"])],
        "few_step_final_tokens": [t.flatten().tolist() for t in sample(model, REFERENCE["class_index"],
                                                                         REFERENCE["seed"], fast_coarse,
                                                                         REFERENCE["batch"])]}
    with open(os.path.join(args.out, "reference.json"), "w") as f:
        json.dump(reference, f)
    print(f"wrote {args.out}/reference.json: {len(steps)} steps, {len(scales)} scales")


if __name__ == "__main__":
    main()
