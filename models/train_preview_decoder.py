#!/usr/bin/env python3
"""Trains the preview decoder (models/nestar/preview_decoder.py) of a nested tokenizer, by distillation: on the
training split's latents, each coarse scale's sub-grid must give the full decoder's expanded-sub-grid preview,
pooled to the sub-grid's size. Minutes on one CPU thread; export.py --preview-decoder ships it.

  /usr/bin/python3 models/train_preview_decoder.py models/checkpoints/emoji64-nestar.pt \
      --out models/checkpoints/emoji64-nestar.preview_decoder.pt --minutes 10

The first argument is a generator checkpoint that carries its tokenizer, or a tokenizer file (train_tokenizer.py).
Writes the decoder with its held-out metrics: mean squared error of its full-size preview to the full decoder's
preview and to the final image, per scale, next to the full decoder's own.
"""
import argparse
import math
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nestar import checkpoint  # noqa: E402
from nestar.data import EmojiDataset  # noqa: E402
from nestar.preview_decoder import (FORMAT, PreviewDecoder, PreviewDecoderConfig, subgrid,  # noqa: E402
                                    teacher_preview, tokenizer_fingerprint, upsample)
from nestar.runtime import configure_threads  # noqa: E402
from nestar.tokenizer import expand_subgrid, images_to_input  # noqa: E402


def load_tokenizer(path: str):
    state = torch.load(path, map_location="cpu")
    entry = state["tokenizer"] if "tokenizer" in state else checkpoint.tokenizer_entry(path)
    return checkpoint.tokenizer_of({"tokenizer": entry})


@torch.no_grad()
def latents_and_targets(tokenizer, images_BHWC, pixels_per_latent: int, batch: int = 128):
    """Normalised latents of the images and the teacher's pooled preview of every coarse scale."""
    zs, targets = [], {s: [] for s in range(1, tokenizer.config.num_scales)}
    for i in range(0, len(images_BHWC), batch):
        z = tokenizer.encode(images_to_input(images_BHWC[i:i + batch]))
        zs.append(z)
        for s in targets:
            targets[s].append(teacher_preview(tokenizer, z, s, pixels_per_latent))
    return torch.cat(zs), {s: torch.cat(t) for s, t in targets.items()}


@torch.no_grad()
def held_out_metrics(tokenizer, decoder, images_BHWC) -> dict:
    """Per scale, the mean squared error (images in [-1, 1], clamped) of the full-size previews: the preview
    decoder's against the full decoder's expanded-sub-grid preview, and each against the final reconstruction."""
    z = tokenizer.encode(images_to_input(images_BHWC))
    final = tokenizer.decode(z).clamp(-1, 1)
    size = final.shape[-1]
    mse = lambda a, b: F.mse_loss(a.clamp(-1, 1), b).item()  # noqa: E731
    out = {}
    for s in range(1, tokenizer.config.num_scales):
        full_decoder = tokenizer.decode(expand_subgrid(z, s)).clamp(-1, 1)
        ours = upsample(decoder(subgrid(z, s)).clamp(-1, 1), size)  # clamped before scaling, as the page does
        out[f"scale{s}"] = {"vs_full_decoder_preview": mse(ours, full_decoder), "to_final": mse(ours, final),
                            "full_decoder_to_final": mse(full_decoder, final)}
    return out


def train_preview_decoder(tokenizer, images_BHWC, cfg: PreviewDecoderConfig, minutes: float = None,
                          max_steps: int = None, batch_size: int = 64, lr: float = 2e-3, noise: float = 0.1,
                          log=print) -> tuple:
    """Distils a preview decoder for `tokenizer` on `images_BHWC` (the training split) for a wall-clock budget or
    a number of steps (cosine learning rate over whichever is given); returns (decoder in eval mode, steps)."""
    z_all, targets = latents_and_targets(tokenizer, images_BHWC, cfg.pixels_per_latent)
    decoder = PreviewDecoder(cfg)
    optimizer = torch.optim.AdamW(decoder.parameters(), lr=lr, weight_decay=0.0)
    budget = minutes * 60 if minutes is not None else None
    start, step, loss_avg = time.time(), 0, None
    progress = lambda: (time.time() - start) / budget if budget else step / max_steps  # noqa: E731
    while progress() < 1:
        idx = torch.randint(0, len(z_all), (batch_size,))
        # Noisy input, clean target: the generator's latents are near the encoder's, not equal (the teacher's
        # previews are computed once, on the encoder's latents, which keeps a step cheap).
        z_in = z_all[idx] + noise * torch.randn(batch_size, *z_all.shape[1:])
        loss = 0.0
        for s, target in targets.items():
            pred = decoder(subgrid(z_in, s))
            loss = loss + F.mse_loss(pred, target[idx]) + F.l1_loss(pred, target[idx])
        for group in optimizer.param_groups:
            group["lr"] = lr * 0.5 * (1 + math.cos(min(1.0, progress()) * math.pi))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        step += 1
        loss_avg = loss.item() if loss_avg is None else 0.98 * loss_avg + 0.02 * loss.item()
        if step % 1000 == 0:
            log(f"step {step:6d}  loss {loss_avg:.4f}  {time.time() - start:.0f} s")
    return decoder.eval(), step


def save(path: str, decoder: PreviewDecoder, tokenizer, metrics: dict):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    torch.save({"format": FORMAT, "config": decoder.config.to_dict(), "model": decoder.state_dict(),
                "tokenizer_fingerprint": tokenizer_fingerprint(tokenizer), "metrics": metrics}, path)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("source", help="a latent generator's checkpoint (carries its tokenizer) or a tokenizer file")
    p.add_argument("--out", required=True)
    p.add_argument("--minutes", type=float, default=10.0)
    p.add_argument("--pixels-per-latent", type=int, default=16,
                   help="the picture's pixels per latent side (the tokenizer's blurred targets hold 4)")
    p.add_argument("--width", type=int, default=96)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    configure_threads(args.threads)
    torch.manual_seed(args.seed)
    tokenizer = load_tokenizer(args.source)
    tcfg = tokenizer.config
    cfg = PreviewDecoderConfig(latent_channels=tcfg.latent_channels, pixels_per_latent=args.pixels_per_latent,
                               width=args.width)
    start = time.time()
    decoder, steps = train_preview_decoder(tokenizer, EmojiDataset("train", tcfg.image_size).images, cfg,
                                           minutes=args.minutes, log=lambda m: print(m, flush=True))
    metrics = held_out_metrics(tokenizer, decoder, EmojiDataset("eval", tcfg.image_size).images[:512])
    metrics.update(steps=steps, seconds=round(time.time() - start, 1),
                   parameters=sum(p.numel() for p in decoder.parameters()))
    for s in range(1, tcfg.num_scales):
        m = metrics[f"scale{s}"]
        print(f"scale {s}: MSE vs the full decoder's preview {m['vs_full_decoder_preview']:.4f}; to the final image "
              f"{m['to_final']:.4f} (full decoder's preview: {m['full_decoder_to_final']:.4f})", flush=True)
    save(args.out, decoder, tokenizer, metrics)
    print(f"wrote {args.out}: {metrics['parameters']} parameters, {steps} steps", flush=True)


if __name__ == "__main__":
    main()
