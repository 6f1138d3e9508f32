#!/usr/bin/env python3
"""Copies a checkpoint without its optimizer state (half the size), for keeping a run in git across sessions.
train.py resumes from it (with fresh Adam moments).

  /usr/bin/python3 models/slim_checkpoint.py runs/emoji32-nestar/checkpoint.pt models/checkpoints/emoji32-nestar.pt
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nestar import checkpoint  # noqa: E402

if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    state = checkpoint.load(sys.argv[1])
    state.pop("optimizer", None)
    os.makedirs(os.path.dirname(os.path.abspath(sys.argv[2])), exist_ok=True)
    checkpoint.save(sys.argv[2], state)
    print(f"wrote {sys.argv[2]}: {os.path.getsize(sys.argv[2]) / 1e6:.1f} MB, step {state['step']}")
