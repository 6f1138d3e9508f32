"""Start-of-run machine checks (RECIPES.md): thread count and BLAS speed, loudly."""
import ctypes
import os
import sys
import time

import torch


def loaded_openblas() -> list:
    """Paths of the OpenBLAS libraries mapped into this process (Linux; [] elsewhere or without OpenBLAS)."""
    try:
        with open("/proc/self/maps") as f:
            paths = {line.split()[-1] for line in f if "/" in line}
    except OSError:
        return []
    # Debian maps it under several names (libblas.so.3 and libopenblasp-*.so, one library): each takes the call.
    return sorted(p for p in paths if "openblas" in p.lower())


def set_blas_threads(n: int) -> int:
    """Sets OpenBLAS's own thread pool to n threads; returns how many of its libraries took the call.

    torch.set_num_threads does not reach it: with Debian's torch and OpenBLAS, a "--threads 1" job still ran every
    large matmul on two threads (measured: /proc/self/task showed two busy threads), so two such jobs on this 2-core
    machine ran four threads and slowed each other far more than sharing the cores costs."""
    done = 0
    for path in loaded_openblas():
        try:
            ctypes.CDLL(path).openblas_set_num_threads(ctypes.c_int(n))
            done += 1
        except (OSError, AttributeError):  # a library of the family without the entry point
            pass
    return done


def configure_threads(threads: int = 0) -> int:
    """torch defaults to 1 thread on this kind of machine; use every core unless told otherwise. The BLAS pool
    follows, so that --threads N means N threads."""
    n = threads or os.cpu_count() or 1
    torch.set_num_threads(n)
    set_blas_threads(n)
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
