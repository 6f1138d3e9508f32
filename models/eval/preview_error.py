#!/usr/bin/env python3
"""How much each coarse-to-fine preview already shows of the final image: for each scale, the mean squared
error (pixels in [0, 1]) between that scale's preview and the finished image, both at full size as the page
shows them (docs/contract.md, "Previews"), averaged over samples drawn with the reference sampler. A good
preview is a blurred version of the image, so the error falls with every scale and is small already at 2x2.
Also writes a filmstrip per model: rows of images, columns the previews of each scale.

  /usr/bin/python3 models/eval/preview_error.py models/checkpoints/emoji32-nestar.pt runs/emoji64-nestar/checkpoint.pt
"""
import argparse
import json
import os
import sys

import torch
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
from nestar import checkpoint  # noqa: E402
from nestar.layout import previews_of  # noqa: E402
from nestar.runtime import configure_threads  # noqa: E402
from nestar.sampler import SamplingSettings  # noqa: E402


def measure(path: str, samples: int, settings: SamplingSettings, per_class_batch: int = 4):
    state = checkpoint.load(path)
    model, tokenizer = checkpoint.load_model(path), checkpoint.tokenizer_of(state)
    num_classes = model.config.num_classes
    sums, count, strip = None, 0, []
    for k in range(0, samples, per_class_batch):
        batch = min(per_class_batch, samples - k)
        p = previews_of(model, tokenizer, (k // per_class_batch) % num_classes, 1000 + k, settings, batch).float() / 255
        err = ((p - p[-1:]) ** 2).mean(dim=(2, 3, 4)).sum(dim=1)  # [S]
        sums = err if sums is None else sums + err
        count += batch
        if len(strip) < 8:
            strip.append(p[:, 0])
    mse = (sums / count).tolist()
    return {"scales": [s.grid for s in model.scales], "mse_vs_final": mse, "samples": count,
            "image_size": model.config.image_size, "layout": model.config.token_layout}, torch.stack(strip)


def save_filmstrip(strip_RSHWC, path: str, size: int = 128):
    """Rows: images; columns: the previews of each scale, each shown at `size` px (nearest)."""
    R, S = strip_RSHWC.shape[:2]
    canvas = Image.new("RGB", (S * (size + 4), R * (size + 4)), "white")
    for r in range(R):
        for s in range(S):
            img = Image.fromarray((strip_RSHWC[r, s] * 255).round().byte().numpy()).resize((size, size), Image.NEAREST)
            canvas.paste(img, (s * (size + 4) + 2, r * (size + 4) + 2))
    canvas.save(path)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("checkpoints", nargs="+")
    p.add_argument("--samples", type=int, default=200)
    p.add_argument("--settings", type=json.loads, default={"ode_steps": 16, "solver": "heun", "guidance": 4.0,
                                                           "temperature": 0.8})
    p.add_argument("--out", default="bench/quality/previews.json")
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args()
    configure_threads(args.threads)
    os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
    results = {}
    for path in args.checkpoints:
        r, strip = measure(path, args.samples, SamplingSettings(**args.settings))
        name = os.path.basename(os.path.dirname(path)) if path.endswith("checkpoint.pt") else \
            os.path.splitext(os.path.basename(path))[0]
        film = os.path.join(os.path.dirname(args.out), f"filmstrip-{name}.png")
        save_filmstrip(strip, film)
        results[name] = {**r, "checkpoint": path, "filmstrip": film, "settings": args.settings}
        cells = ", ".join(f"{g}x{g}: {m:.4f}" for g, m in zip(r["scales"], r["mse_vs_final"]))
        print(f"{name} ({r['layout']}, {r['image_size']} px, {r['samples']} samples): MSE vs final {cells}",
              flush=True)
    with open(args.out, "w") as f:
        json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
