#!/usr/bin/env python3
"""How much each coarse-to-fine preview already shows of the final image: for each scale, the mean squared
error (pixels in [0, 1]) between that scale's preview and the finished image, both at full size as the page
shows them (docs/contract.md, "Previews"), averaged over samples drawn with the reference sampler. A good
preview is a blurred version of the image, so the error falls with every scale and is small already at 2x2.
Also writes a filmstrip per model: rows of images, columns the previews of each scale.

  /usr/bin/python3 models/eval/preview_error.py models/checkpoints/emoji32-nestar.pt models/checkpoints/emoji64-nestar.pt \
      --preview-decoder models/checkpoints/emoji64-nestar.preview_decoder.pt
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
from nestar import preview_decoder as preview  # noqa: E402
from nestar.layout import scale_previews  # noqa: E402
from nestar.runtime import configure_threads  # noqa: E402
from nestar.sampler import SamplingSettings, sample  # noqa: E402


def log(message: str):
    print(message, flush=True)


def matching_preview_decoder(tokenizer, paths: list):
    """The first of `paths` trained for this tokenizer (preview_decoder.load checks its fingerprint), or None."""
    for path in paths if tokenizer is not None else []:
        try:
            return path, preview.load(path, tokenizer)
        except ValueError as e:
            log(f"not for this checkpoint: {e}")
    return None, None


def measure(path: str, samples: int, settings: SamplingSettings, preview_decoder_paths: list, per_class_batch: int = 4):
    """With a preview decoder for the checkpoint's tokenizer, its previews are the page's and the full decoder's
    (rule expand_subgrid) are measured on the same samples too."""
    state = checkpoint.load(path)
    model, tokenizer = checkpoint.load_model(path), checkpoint.tokenizer_of(state)
    preview_path, preview_decoder = matching_preview_decoder(tokenizer, preview_decoder_paths)
    num_classes = model.config.num_classes
    # Per scale, the summed (over images) mean squared error of each preview [S, B, H, W, 3] to the final image.
    error_to_final = lambda p: ((p - p[-1:]) ** 2).mean(dim=(2, 3, 4)).sum(dim=1)  # noqa: E731
    sums, full_sums, count, strip = 0, 0, 0, []
    for k in range(0, samples, per_class_batch):
        batch = min(per_class_batch, samples - k)
        # Sampled once; both preview rules render the same token grids.
        tokens = sample(model, (k // per_class_batch) % num_classes, 1000 + k, settings, batch)
        p = scale_previews(model, tokens, tokenizer, preview_decoder).float() / 255
        sums = sums + error_to_final(p)
        if preview_decoder is not None:
            full_sums = full_sums + error_to_final(scale_previews(model, tokens, tokenizer).float() / 255)
        count += batch
        if len(strip) < 8:
            strip.append(p[:, 0])
    out = {"scales": [s.grid for s in model.scales], "mse_vs_final": (sums / count).tolist(), "samples": count,
           "image_size": model.config.image_size, "layout": model.config.token_layout,
           "preview_rule": "preview_decoder" if preview_decoder is not None else
           ("expand_subgrid" if tokenizer is not None else "nearest_subgrid"), "preview_decoder": preview_path}
    if preview_decoder is not None:
        out["mse_vs_final_expand_subgrid"] = (full_sums / count).tolist()
    return out, torch.stack(strip)


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
    p.add_argument("--preview-decoder", action="append", default=[],
                   help="a preview decoder file (train_preview_decoder.py); used for the checkpoint whose tokenizer "
                        "it was trained for (repeatable)")
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args()
    configure_threads(args.threads)
    os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
    results = {}
    for path in args.checkpoints:
        r, strip = measure(path, args.samples, SamplingSettings(**args.settings), args.preview_decoder)
        name = os.path.basename(os.path.dirname(path)) if path.endswith("checkpoint.pt") else \
            os.path.splitext(os.path.basename(path))[0]
        film = os.path.join(os.path.dirname(args.out), f"filmstrip-{name}.png")
        save_filmstrip(strip, film)
        results[name] = {**r, "checkpoint": path, "filmstrip": film, "settings": args.settings}
        cells = ", ".join(f"{g}x{g}: {m:.4f}" for g, m in zip(r["scales"], r["mse_vs_final"]))
        print(f"{name} ({r['layout']}, {r['image_size']} px, {r['samples']} samples, {r['preview_rule']}): "
              f"MSE vs final {cells}", flush=True)
        if "mse_vs_final_expand_subgrid" in r:
            cells = ", ".join(f"{g}x{g}: {m:.4f}" for g, m in zip(r["scales"], r["mse_vs_final_expand_subgrid"]))
            print(f"    the same samples, previews by the full decoder (expand_subgrid): {cells}", flush=True)
    with open(args.out, "w") as f:
        json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
