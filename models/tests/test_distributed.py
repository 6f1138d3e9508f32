"""The data-parallel path users with GPUs take (train.py under torchrun / DDP), exercised on CPU with gloo: two
processes train a few steps, save, and a second invocation resumes from the checkpoint. The processes are started
with the environment torchrun would give them (RANK, LOCAL_RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT), because
Debian's torchrun 1.13 crashes under Python 3.11 before it starts workers (README)."""
import json
import os
import socket
import subprocess
import sys

import numpy as np
import torch

TRAIN = os.path.join(os.path.dirname(__file__), "..", "train.py")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fake_data_set(root: str, size: int = 16, classes: int = 70, per_class: int = 2) -> str:
    """A random emoji-<size> folder in the builder's format, so the test needs no rendered data set."""
    folder = os.path.join(root, f"emoji-{size}")
    os.makedirs(folder, exist_ok=True)
    count = classes * per_class
    np.random.default_rng(0).integers(0, 256, count * size * size * 3, dtype=np.uint8).tofile(
        os.path.join(folder, "images.u8"))
    index = {"size": size, "count": count, "classes": [{"name": f"class {c}", "group": "g"} for c in range(classes)],
             "items": [{"class": i % classes, "split": "train"} for i in range(count)]}
    with open(os.path.join(folder, "index.json"), "w") as f:
        json.dump(index, f)
    return root


def run_two_ranks(out: str, steps: int, data_root: str):
    port = free_port()
    procs = []
    for rank in range(2):
        env = {**os.environ, "RANK": str(rank), "LOCAL_RANK": str(rank), "WORLD_SIZE": "2",
               "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port)}
        procs.append(subprocess.Popen(
            [sys.executable, TRAIN, "--preset", "tiny", "--out", out, "--batch-size", "8", "--max-steps", str(steps),
             "--warmup-steps", "2", "--checkpoint-every", "2", "--log-every", "1", "--sample-every", "100000",
             "--threads", "1", "--device", "cpu", "--data-root", data_root],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
    outputs = [p.communicate(timeout=240)[0] for p in procs]
    for rank, (p, text) in enumerate(zip(procs, outputs)):
        assert p.returncode == 0, f"rank {rank} failed:\n{text}"
    return outputs


def test_two_process_run_trains_saves_and_resumes(tmp_path):
    out = str(tmp_path / "ddp")
    data_root = fake_data_set(str(tmp_path / "data"))
    first = run_two_ranks(out, 3, data_root)
    assert "2 x cpu" in first[0]  # rank 0 reports the world it trained in
    state = torch.load(os.path.join(out, "checkpoint.pt"))
    assert state["step"] == 3 and state["samples_seen"] == 3 * 8
    weights = {k: v.clone() for k, v in state["model"].items()}

    second = run_two_ranks(out, 5, data_root)
    assert "resumed" in second[0] and "at step 3" in second[0]
    state = torch.load(os.path.join(out, "checkpoint.pt"))
    assert state["step"] == 5
    assert any(not torch.equal(weights[k], v) for k, v in state["model"].items())  # it kept training
    with open(os.path.join(out, "log.jsonl")) as f:
        steps = [json.loads(line)["step"] for line in f]
    assert steps == [1, 2, 3, 4, 5]  # only rank 0 logs, and the resumed run continues the curve
