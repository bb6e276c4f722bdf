"""Optimizer step time: hosila vs PyTorch on the same float32 parameters and gradients.

Run: python benchmarks/bench_optim.py [--params 4000000] [--repeats 20]

The parameters are shaped like a small CNN's (a few large matrices and many small vectors),
all float32. Each workload times ``optimizer.step()`` only (gradients are set once, as fixed
arrays), taking the median over ``--repeats`` steps after warm-up. PyTorch runs its default
CPU implementation (``foreach=None``) with ``--torch-threads`` threads (default 1: NumPy's
elementwise operations are single-threaded).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

import numpy as np
import torch

import hosila
from hosila import optim


def shapes(total: int) -> list[tuple[int, ...]]:
    """Layer shapes whose sizes add up to about ``total`` elements."""
    out: list[tuple[int, ...]] = []
    n = 0
    c = 32
    while n < total:
        for s in ((c, c, 3, 3), (c,), (c,), (c,)):
            out.append(s)
            n += int(np.prod(s))
        c = min(c * 2, 512)
    out.append((10, 512))
    out.append((10,))
    return out


WORKLOADS = [
    (
        "SGD momentum+nesterov+wd",
        "SGD",
        dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=5e-4),
    ),
    ("Adam", "Adam", dict(lr=1e-3)),
    ("AdamW amsgrad", "AdamW", dict(lr=1e-3, amsgrad=True)),
    ("RMSprop centered+momentum", "RMSprop", dict(lr=1e-3, centered=True, momentum=0.9)),
    ("Adagrad", "Adagrad", dict(lr=1e-2)),
]


def time_steps(opt, repeats: int) -> float:
    for _ in range(3):
        opt.step()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        opt.step()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--params", type=int, default=4_000_000)
    ap.add_argument("--repeats", type=int, default=20)
    ap.add_argument(
        "--torch-threads",
        type=int,
        default=1,
        help="PyTorch intra-op threads (NumPy's "
        "elementwise ops use one thread, so 1 is the like-for-like comparison)",
    )
    args = ap.parse_args()
    torch.set_num_threads(args.torch_threads)
    rng = np.random.default_rng(0)
    layer_shapes = shapes(args.params)
    data = [rng.standard_normal(s).astype(np.float32) for s in layer_shapes]
    grads = [rng.standard_normal(s).astype(np.float32) * 1e-2 for s in layer_shapes]
    total = sum(a.size for a in data)

    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(
        f"NumPy {np.__version__}, PyTorch {torch.__version__} ({torch.get_num_threads()} threads)"
    )
    try:
        cfg = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        print(f"BLAS: {cfg.get('name')} {cfg.get('version', '')}")
    except Exception:  # noqa: BLE001 - informational only
        pass
    print(
        f"{len(layer_shapes)} tensors, {total:,} float32 parameters; "
        f"median of {args.repeats} steps\n"
    )
    print(f"{'workload':30s} {'hosila (ms)':>12s} {'torch (ms)':>12s} {'ratio':>7s}")
    for label, name, kwargs in WORKLOADS:
        hp = [hosila.tensor(a.copy(), requires_grad=True) for a in data]
        for p, g in zip(hp, grads, strict=True):
            p.grad = g.copy()
        tp = [torch.tensor(a.copy(), requires_grad=True) for a in data]
        for p, g in zip(tp, grads, strict=True):
            p.grad = torch.tensor(g.copy())
        h = time_steps(getattr(optim, name)(hp, **kwargs), args.repeats)
        t = time_steps(getattr(torch.optim, name)(tp, **kwargs), args.repeats)
        print(f"{label:30s} {h * 1e3:12.2f} {t * 1e3:12.2f} {h / t:7.2f}")


if __name__ == "__main__":
    main()
