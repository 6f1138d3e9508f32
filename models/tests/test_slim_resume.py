"""A run kept in git: slim_checkpoint.py leaves out the optimizer state (and with --ema-only the raw weights too),
and train.py resumes from either, training on from the EMA weights when the raw ones are gone."""
import os
import subprocess
import sys

import torch

from test_distributed import TRAIN, fake_data_set

SLIM = os.path.join(os.path.dirname(__file__), "..", "slim_checkpoint.py")


def train(out: str, steps: int, data_root: str) -> str:
    done = subprocess.run(
        [sys.executable, TRAIN, "--preset", "tiny", "--out", out, "--batch-size", "8", "--max-steps", str(steps),
         "--warmup-steps", "2", "--checkpoint-every", "2", "--log-every", "1", "--sample-every", "100000",
         "--threads", "1", "--device", "cpu", "--data-root", data_root],
        capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_an_ema_only_checkpoint_resumes_from_its_ema_weights(tmp_path):
    data_root = fake_data_set(str(tmp_path / "data"))
    out = str(tmp_path / "run")
    train(out, 3, data_root)
    ckpt = os.path.join(out, "checkpoint.pt")
    full_size = os.path.getsize(ckpt)
    done = subprocess.run([sys.executable, SLIM, "--ema-only", ckpt, ckpt], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    slim = torch.load(ckpt)
    assert "model" not in slim and "optimizer" not in slim and slim["step"] == 3
    assert os.path.getsize(ckpt) < 0.4 * full_size
    log = train(out, 5, data_root)
    assert "EMA weights only" in log and "optimizer starts afresh" in log and "at step 3" in log
    state = torch.load(ckpt)
    assert state["step"] == 5 and "model" in state and "optimizer" in state
    assert any(not torch.equal(slim["ema"][k], v) for k, v in state["model"].items())  # it trained on
