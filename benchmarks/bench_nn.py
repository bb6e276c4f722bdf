"""Layer forward+backward time: hosila.nn vs torch.nn on the same float32 inputs (CPU).

Run: python benchmarks/bench_nn.py [--repeats 10] [--torch-threads 1]

Each workload builds the layer in both libraries with the same weights, then times one
forward pass plus the backward of ``(out * g).sum()`` (a fixed random upstream gradient),
taking the best (min) of ``--repeats`` runs after warm-up. Shapes are CIFAR-10 sized
(batch 64). PyTorch runs with ``--torch-threads`` threads (default 1, to compare one core
with one core: NumPy's elementwise work is single-threaded; BLAS may use more).
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np
import torch

import hosila
from hosila import nn


def workloads():
    return [
        ("BatchNorm2d(64) train, 64x64x32x32", lambda m: m.BatchNorm2d(64), (64, 64, 32, 32), True),
        ("BatchNorm2d(64) eval, 64x64x32x32", lambda m: m.BatchNorm2d(64), (64, 64, 32, 32), False),
        ("LayerNorm(512), 64x128x512", lambda m: m.LayerNorm(512), (64, 128, 512), True),
        ("GroupNorm(8, 64), 64x64x16x16", lambda m: m.GroupNorm(8, 64), (64, 64, 16, 16), True),
        ("Linear(2048, 512), 64x2048", lambda m: m.Linear(2048, 512), (64, 2048), True),
        ("Dropout(0.5), 64x64x32x32", lambda m: m.Dropout(0.5), (64, 64, 32, 32), True),
        ("ReLU, 64x64x32x32", lambda m: m.ReLU(), (64, 64, 32, 32), True),
        ("GELU, 64x256x256", lambda m: m.GELU(), (64, 256, 256), True),
        ("CrossEntropyLoss, 4096x1000", None, (4096, 1000), True),
    ]


def best_time(fn, repeats: int) -> float:
    for _ in range(2):
        fn()
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=10)
    ap.add_argument("--torch-threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.torch_threads)
    rng = np.random.default_rng(0)
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, NumPy {np.__version__}, torch {torch.__version__} "
        f"({args.torch_threads} thread(s))"
    )
    print(f"{'workload':40s} {'hosila ms':>10s} {'torch ms':>10s} {'ratio':>7s}")
    for name, make, shape, train in workloads():
        x = rng.standard_normal(shape).astype(np.float32)
        if make is None:  # the loss
            y = rng.integers(0, shape[1], shape[0])
            hx, tx = hosila.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
            hy, ty = hosila.tensor(y), torch.tensor(y)

            def run_h(hx=hx, hy=hy):
                hx.grad = None
                nn.functional.cross_entropy(hx, hy).backward()

            def run_t(tx=tx, ty=ty):
                tx.grad = None
                torch.nn.functional.cross_entropy(tx, ty).backward()

        else:
            h, t = make(nn), make(torch.nn)
            h.load_state_dict({k: v.detach().numpy() for k, v in t.state_dict().items()})
            h.train(train)
            t.train(train)
            hx, tx = hosila.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
            with torch.no_grad():
                out_shape = t(tx).shape
            g = rng.standard_normal(tuple(out_shape)).astype(np.float32)
            hg, tg = hosila.tensor(g), torch.tensor(g)

            def run_h(h=h, hx=hx, hg=hg):
                hx.grad = None
                h.zero_grad()
                h(hx).backward(hg)

            def run_t(t=t, tx=tx, tg=tg):
                tx.grad = None
                t.zero_grad()
                t(tx).backward(tg)

        th = best_time(run_h, args.repeats)
        tt = best_time(run_t, args.repeats)
        print(f"{name:40s} {th * 1e3:10.2f} {tt * 1e3:10.2f} {th / tt:7.2f}")


if __name__ == "__main__":
    main()
