#!/usr/bin/env python3
"""Scores tokenizers' held-out reconstructions the way `npm run eval` scores its ceiling row.

  /usr/bin/python3 models/eval/tokenizer_fid.py models/checkpoints/emoji64-nestar.pt runs/tokenizer64-dec/tokenizer.pt

Each argument is a tokenizer file (models/train_tokenizer.py) or a latent generator checkpoint (its tokenizer). The
1,627 held-out images go through encode and decode, are rounded as the page rounds, and are scored in the eval's
feature space against the training split (FID, precision, recall, right class), next to the real floor (the
held-out images themselves). The reconstruction FID is the ceiling of a generator on that tokenizer's latents:
use it to decide whether a new tokenizer or a fine-tuned decoder (train_tokenizer.py --decoder-only) is worth
shipping before spending a release on it.
"""
import argparse
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))
from evaluate import Scorer, feature_net  # noqa: E402
from nestar import checkpoint  # noqa: E402
from nestar.data import EmojiDataset  # noqa: E402
from nestar.reconstructions import reconstruct  # noqa: E402
from nestar.runtime import configure_threads  # noqa: E402
from nestar.tokenizer import NestedTokenizer  # noqa: E402


def load_tokenizer(path: str) -> NestedTokenizer:
    """The tokenizer of a tokenizer file or of a latent generator checkpoint, in eval mode."""
    state = checkpoint.read(path)
    if checkpoint.is_tokenizer(state):
        state = {"tokenizer": state}  # tokenizer_of reads a tokenizer where a generator checkpoint carries it
    elif not checkpoint.is_generator(state):
        raise ValueError(f"{path} is neither a tokenizer (train_tokenizer.py) nor a generator checkpoint")
    tokenizer = checkpoint.tokenizer_of(state)
    if tokenizer is None:
        raise ValueError(f"{path} models pixel patches: it has no tokenizer")
    return tokenizer


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("files", nargs="+", help="tokenizer files or latent generator checkpoints")
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args()
    try:
        tokenizers = [(path, load_tokenizer(path)) for path in args.files]
    except (FileNotFoundError, ValueError) as e:
        raise SystemExit(f"tokenizer_fid: {e}")
    configure_threads(args.threads)
    train, heldout = EmojiDataset("train"), EmojiDataset("eval")
    net, _ = feature_net(train, heldout)
    scorer = Scorer(net, train, len(heldout))
    floor = scorer.score(heldout.images, heldout.labels.numpy())
    print(f"| | FID | x floor | precision | recall | right class |\n|---|---|---|---|---|---|")
    print(f"| real held-out images (floor) | {floor['fid']:.2f} | 1.0 | {floor['precision']:.2f} | "
          f"{floor['recall']:.2f} | {floor['class_accuracy']:.0%} |")
    for path, tokenizer in tokenizers:
        images = EmojiDataset("eval", tokenizer.config.image_size)
        with torch.no_grad():
            m = scorer.score(reconstruct(tokenizer, images.images), images.labels.numpy())
        print(f"| {path} | {m['fid']:.2f} | {m['fid'] / floor['fid']:.1f} | {m['precision']:.2f} | {m['recall']:.2f} | "
              f"{m['class_accuracy']:.0%} |", flush=True)


if __name__ == "__main__":
    main()
