#!/usr/bin/env python3
"""Copies a checkpoint without its optimizer state (half the size), for keeping a run in git across sessions.
train.py resumes from it (with fresh Adam moments). --ema-only also leaves out the raw training weights (a quarter of
the size): a resumed run then trains on from the EMA weights, which is what keeps a larger model's file under git's
comfortable size. A few-step file of models/distill.py loses its optimizer state the same way (v3's: 56 -> 19 MB;
distill.py resumes from it with fresh Adam moments).

  /usr/bin/python3 models/slim_checkpoint.py runs/emoji32-nestar/checkpoint.pt models/checkpoints/emoji32-nestar.pt
  /usr/bin/python3 models/slim_checkpoint.py --ema-only runs/emoji64-nestar-v3/checkpoint.pt \
      models/checkpoints/emoji64-nestar.pt
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nestar import checkpoint  # noqa: E402

if __name__ == "__main__":
    args = sys.argv[1:]
    ema_only = "--ema-only" in args
    paths = [a for a in args if a != "--ema-only"]
    if len(paths) != 2:
        raise SystemExit(__doc__)
    state = checkpoint.read(paths[0])  # read once: a generator checkpoint is ~100 MB
    few_step = isinstance(state, dict) and state.get("format") == checkpoint.FEW_STEP_FORMAT
    if not few_step and not checkpoint.is_generator(state):
        raise SystemExit(f"{paths[0]} is neither a NestAR checkpoint nor a few-step file (models/distill.py)")
    state.pop("optimizer", None)
    if ema_only and not few_step:
        state.pop("model", None)
    os.makedirs(os.path.dirname(os.path.abspath(paths[1])), exist_ok=True)
    checkpoint.save(paths[1], state)
    print(f"wrote {paths[1]}: {os.path.getsize(paths[1]) / 1e6:.1f} MB, step {state['step']}")
