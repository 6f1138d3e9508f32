#!/usr/bin/env python3
"""A quick quality score of training checkpoints, for ablations: the PyTorch reference sampler (which the page's
sampler reproduces to float tolerance, src/parity.test.ts) instead of exported ONNX, fewer samples, the same
feature net and metrics as evaluate.py, and the real floor scored at the same set size so rows compare.

  /usr/bin/python3 models/eval/quick_score.py runs/ablation-v2/*/checkpoint.pt --samples 350 --out runs/ablation-v2/scores.json
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, HERE)
from evaluate import CLASS_SEED_STRIDE, Scorer, class_counts, feature_net, log  # noqa: E402
from nestar import checkpoint  # noqa: E402
from nestar.data import EmojiDataset  # noqa: E402
from nestar.grid import images_of  # noqa: E402
from nestar.runtime import configure_threads  # noqa: E402
from nestar.sampler import SamplingSettings  # noqa: E402


def draw(path: str, counts: list, settings: SamplingSettings, seed: int, max_batch: int = 16):
    state = checkpoint.load(path)
    model = checkpoint.load_model(path)
    tokenizer = checkpoint.tokenizer_of(state)
    images, labels = [], []
    start = time.time()
    for c, count in enumerate(counts):
        for first in range(0, count, max_batch):
            batch = min(max_batch, count - first)
            images.append(images_of(model, c, (seed + c * CLASS_SEED_STRIDE + first) % 2**32, settings, batch, tokenizer))
            labels += [c] * batch
    return torch.cat(images), np.array(labels), (time.time() - start) / len(labels), state


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("checkpoints", nargs="+")
    p.add_argument("--samples", type=int, default=350)
    p.add_argument("--settings", type=json.loads, default={"ode_steps": 16, "solver": "heun", "guidance": 4.0,
                                                           "temperature": 0.8})
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--out", default=None, help="JSON file the scores are added to (keyed by checkpoint and settings)")
    args = p.parse_args()
    configure_threads(args.threads)
    train, heldout = EmojiDataset("train"), EmojiDataset("eval")
    net, _ = feature_net(train, heldout)
    scorer = Scorer(net, train, args.samples)
    rng = np.random.default_rng(2)
    floor_pick = rng.permutation(len(heldout))[: args.samples]
    results = {}
    if args.out and os.path.exists(args.out):
        with open(args.out) as f:
            results = json.load(f)
    results["floor"] = scorer.score(heldout.images[floor_pick], heldout.labels.numpy()[floor_pick])
    counts = class_counts(train.labels.numpy(), len(train.classes), args.samples)
    settings = SamplingSettings(**args.settings)
    for path in args.checkpoints:
        images, labels, s_per_image, state = draw(path, counts, settings, args.seed)
        m = scorer.score(images, labels)
        m.update(seconds_per_image=s_per_image, steps=state["step"], hours=state["elapsed_s"] / 3600,
                 settings=args.settings, model_config=state["model_config"])
        results[f"{path} {json.dumps(args.settings, sort_keys=True)}"] = m
        log(f"{path}: FID {m['fid']:.2f} (floor {results['floor']['fid']:.2f}) recall {m['recall']:.3f} "
            f"class acc {m['class_accuracy']:.3f} recall in class {m['class_recall']:.3f} "
            f"({state['step']} steps, {s_per_image:.3f} s/image)")
    if args.out:
        with open(args.out, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
