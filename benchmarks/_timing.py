"""Shared timing helpers for the tensor benchmarks (hosila vs PyTorch in one process)."""

from __future__ import annotations

import os
import platform
import sys
import time
from collections.abc import Callable


def set_threads(n: int) -> None:
    """Give NumPy's BLAS and PyTorch the same number of threads. Must run before NumPy is
    imported (the BLAS reads these variables when it loads)."""
    if "numpy" in sys.modules:
        raise RuntimeError("set_threads must run before numpy is imported")
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(n)


def best_time(fn: Callable[[], object], repeats: int = 7, target: float = 0.05) -> float:
    """The minimum over ``repeats`` of the mean time of one call (seconds); each repeat runs
    enough calls to last about ``target`` seconds."""
    fn()
    t0 = time.perf_counter()
    fn()
    one = max(time.perf_counter() - t0, 1e-7)
    loops = max(1, int(target / one))
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(loops):
            fn()
        best = min(best, (time.perf_counter() - t0) / loops)
    return best


def paired_best(
    fns: list[Callable[[], object]], repeats: int = 7, target: float = 0.05
) -> list[float]:
    """:func:`best_time` for several functions with their repeats interleaved (a, b, a, b,
    ...), so that a load change on a shared machine hits all of them alike."""
    loops = []
    for fn in fns:
        fn()
        t0 = time.perf_counter()
        fn()
        loops.append(max(1, int(target / max(time.perf_counter() - t0, 1e-7))))
    best = [float("inf")] * len(fns)
    for _ in range(repeats):
        for k, fn in enumerate(fns):
            t0 = time.perf_counter()
            for _ in range(loops[k]):
                fn()
            best[k] = min(best[k], (time.perf_counter() - t0) / loops[k])
    return best


def machine(threads: int) -> str:
    """One line naming the machine: CPU, cores, thread setting, NumPy/BLAS and torch."""
    import numpy as np
    import torch

    try:
        cfg = np.show_config(mode="dicts")
        blas = cfg["Build Dependencies"]["blas"]
        blas_s = f"{blas.get('name')} {blas.get('version')}"
    except Exception:  # pragma: no cover - older NumPy
        blas_s = "unknown BLAS"
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return (
        f"{cpu}, {os.cpu_count()} cores; threads: BLAS {threads}, torch "
        f"{torch.get_num_threads()}; Python {platform.python_version()}, NumPy "
        f"{np.__version__} ({blas_s}), torch {torch.__version__}"
    )
