"""The data-parallel path users with GPUs take (train.py under torchrun / DDP), exercised on CPU with gloo: two
processes train a few steps, save, and a second invocation resumes from the checkpoint. The processes are started
with the environment torchrun would give them (RANK, LOCAL_RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT), because
Debian's torchrun 1.13 crashes under Python 3.11 before it starts workers (README)."""
import json
import os
import socket
import subprocess
import sys

import torch

TRAIN = os.path.join(os.path.dirname(__file__), "..", "train.py")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_two_ranks(out: str, steps: int):
    port = free_port()
    procs = []
    for rank in range(2):
        env = {**os.environ, "RANK": str(rank), "LOCAL_RANK": str(rank), "WORLD_SIZE": "2",
               "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port)}
        procs.append(subprocess.Popen(
            [sys.executable, TRAIN, "--preset", "tiny", "--out", out, "--batch-size", "8", "--max-steps", str(steps),
             "--warmup-steps", "2", "--checkpoint-every", "2", "--log-every", "1", "--sample-every", "100000",
             "--threads", "1", "--device", "cpu"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
    outputs = [p.communicate(timeout=240)[0] for p in procs]
    for rank, (p, text) in enumerate(zip(procs, outputs)):
        assert p.returncode == 0, f"rank {rank} failed:\n{text}"
    return outputs


def test_two_process_run_trains_saves_and_resumes(tmp_path):
    out = str(tmp_path / "ddp")
    first = run_two_ranks(out, 3)
    assert "2 x cpu" in first[0]  # rank 0 reports the world it trained in
    state = torch.load(os.path.join(out, "checkpoint.pt"))
    assert state["step"] == 3 and state["samples_seen"] == 3 * 8
    weights = {k: v.clone() for k, v in state["model"].items()}

    second = run_two_ranks(out, 5)
    assert "resumed" in second[0] and "at step 3" in second[0]
    state = torch.load(os.path.join(out, "checkpoint.pt"))
    assert state["step"] == 5
    assert any(not torch.equal(weights[k], v) for k, v in state["model"].items())  # it kept training
    with open(os.path.join(out, "log.jsonl")) as f:
        steps = [json.loads(line)["step"] for line in f]
    assert steps == [1, 2, 3, 4, 5]  # only rank 0 logs, and the resumed run continues the curve
