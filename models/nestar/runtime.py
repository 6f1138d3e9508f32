"""Start-of-run machine checks (RECIPES.md): thread count and BLAS speed, loudly."""
import os
import sys
import time

import torch


def configure_threads(threads: int = 0) -> int:
    """torch defaults to 1 thread on this kind of machine; use every core unless told otherwise.

    This is torch's own pool only: Debian's OpenBLAS keeps one thread per core for large matmuls, which is what a lone
    job wants (v3 training, --threads 1: 31.5 samples/s, 22.1 with OpenBLAS held to one thread too). Jobs that share
    the cores run faster with OPENBLAS_NUM_THREADS=1 in their environment (README, "Threads and processes")."""
    n = threads or os.cpu_count() or 1
    torch.set_num_threads(n)
    return n


def cpu_hardware(threads: int) -> str:
    """How a run records CPU hardware (checkpoints, manifests, model cards)."""
    return f"CPU ({threads} thread{'' if threads == 1 else 's'})"


def check_blas(min_gflops: float = 20.0) -> float:
    """Times a 512x512 fp32 matmul. Debian's reference BLAS runs at ~6 GFLOP/s where OpenBLAS gives ~70: a 10x
    slower training run that looks normal unless someone measures it."""
    a = torch.randn(512, 512)
    a @ a
    reps, t0 = 20, time.perf_counter()
    for _ in range(reps):
        a @ a
    gflops = reps * 2 * 512 ** 3 / (time.perf_counter() - t0) / 1e9
    if gflops < min_gflops:
        print("\n" + "!" * 78 + f"\n!! BLAS runs at {gflops:.1f} GFLOP/s: this is the slow reference BLAS.\n"
              "!! Install OpenBLAS: apt-get install -y libopenblas0-pthread\n" + "!" * 78 + "\n",
              file=sys.stderr, flush=True)
    return gflops
