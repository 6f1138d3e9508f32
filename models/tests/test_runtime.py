"""--threads N must mean N threads for the BLAS too (runtime.configure_threads)."""
import os

import pytest
import torch

from nestar.runtime import configure_threads, loaded_openblas


def busy_threads(work) -> list:
    """CPU ticks (user time) each thread of this process spent in work(), for the threads that spent any."""
    def ticks():
        out = {}
        for tid in os.listdir("/proc/self/task"):
            try:
                with open(f"/proc/self/task/{tid}/stat") as f:
                    out[tid] = int(f.read().rsplit(")", 1)[1].split()[11])
            except (OSError, IndexError):
                pass
        return out
    before = ticks()
    work()
    after = ticks()
    return sorted((after[t] - before.get(t, 0) for t in after if after[t] - before.get(t, 0) > 0), reverse=True)


@pytest.mark.skipif(not os.path.exists("/proc/self/task") or not loaded_openblas() or (os.cpu_count() or 1) < 2,
                    reason="needs Linux, OpenBLAS and two cores")
def test_one_thread_keeps_matmuls_on_one_thread():
    a = torch.randn(768, 768)

    def work():
        for _ in range(40):
            a @ a

    try:
        configure_threads(2)
        assert len(busy_threads(work)) >= 2, "OpenBLAS did not use a second thread: this test could not fail"
        configure_threads(1)
        busy = busy_threads(work)
        # The main thread does the work; any other thread may only have been scheduled for a tick or so.
        assert sum(busy[1:]) <= max(2, busy[0] // 10), f"ticks per thread {busy}: BLAS ran on more than one"
    finally:
        configure_threads(0)
