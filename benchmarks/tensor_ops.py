"""Forward + backward time of each op family, hosila vs PyTorch CPU, in one run.

    python benchmarks/tensor_ops.py [--threads 1] [--sizes 32 1024]

For each op and each n in --sizes the inputs are (n, n) float32 tensors that require grad;
one timed call runs the forward and a backward with a fixed upstream gradient. The table
gives the best (minimum) time per call over several repeats and the ratio hosila / torch
(below 1 means hosila is faster).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import machine, paired_best, set_threads  # noqa: E402


def ops(lib, n: int):
    """name -> (family, fn(a, b, idx) -> output)."""
    import torch

    F = torch.nn.functional if lib is torch else lib
    half = n // 2
    return {
        "add": ("elementwise", lambda a, b, i: a + b),
        "mul": ("elementwise", lambda a, b, i: a * b),
        "div": ("elementwise", lambda a, b, i: a / (b * b + 1)),
        "exp": ("elementwise", lambda a, b, i: a.exp()),
        "tanh": ("elementwise", lambda a, b, i: a.tanh()),
        "relu": ("elementwise", lambda a, b, i: F.relu(a)),
        "sigmoid": ("elementwise", lambda a, b, i: a.sigmoid()),
        "pow 2": ("elementwise", lambda a, b, i: a**2),
        "add row (broadcast)": ("elementwise", lambda a, b, i: a + b[0]),
        "sum": ("reduce", lambda a, b, i: a.sum()),
        "sum dim": ("reduce", lambda a, b, i: a.sum(1)),
        "mean dim": ("reduce", lambda a, b, i: a.mean(0)),
        "amax dim": ("reduce", lambda a, b, i: a.amax(1)),
        "var dim": ("reduce", lambda a, b, i: a.var(1)),
        "reshape+transpose": ("shape", lambda a, b, i: a.reshape(n * n // 2, 2).t()),
        "slice": ("shape", lambda a, b, i: a[1:half, ::2]),
        "index rows (int tensor)": ("shape", lambda a, b, i: a[i]),
        "cat": ("shape", lambda a, b, i: lib.cat([a, b], 0)),
        "matmul": ("matmul", lambda a, b, i: a @ b),
        "softmax": ("softmax", lambda a, b, i: a.softmax(1)),
        "log_softmax": ("softmax", lambda a, b, i: a.log_softmax(1)),
        "logsumexp": ("softmax", lambda a, b, i: a.logsumexp(1)),
    }


def _stepper(fn, args, grad):
    """One forward + backward of ``fn(*args)`` with upstream gradient ``grad``."""
    a, b, _ = args

    def step():
        a.grad = b.grad = None
        fn(*args).backward(grad)

    return step


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--sizes", type=int, nargs="+", default=[32, 1024])
    p.add_argument("--repeats", type=int, default=7)
    args = p.parse_args(argv)
    set_threads(args.threads)
    import numpy as np
    import torch

    import hosila

    torch.set_num_threads(args.threads)
    print(machine(args.threads))
    print("| op | family | n | hosila (µs) | torch (µs) | ratio |")
    print("|---|---|---|---:|---:|---:|")
    rng = np.random.default_rng(0)
    for n in args.sizes:
        a_np = rng.standard_normal((n, n)).astype(np.float32)
        b_np = rng.standard_normal((n, n)).astype(np.float32)
        i_np = rng.integers(0, n, size=n)
        h_ops, t_ops = ops(hosila, n), ops(torch, n)
        for name, (family, hfn) in h_ops.items():
            tfn = t_ops[name][1]
            ha = hosila.tensor(a_np, requires_grad=True)
            hb = hosila.tensor(b_np, requires_grad=True)
            hi = hosila.tensor(i_np)
            ta = torch.tensor(a_np, requires_grad=True)
            tb = torch.tensor(b_np, requires_grad=True)
            ti = torch.tensor(i_np)
            hg = hosila.ones_like(hfn(ha, hb, hi))
            tg = torch.ones_like(tfn(ta, tb, ti))

            h_step = _stepper(hfn, (ha, hb, hi), hg)
            t_step = _stepper(tfn, (ta, tb, ti), tg)

            target = 0.05 if n <= 256 else 0.2
            repeats = args.repeats if n <= 256 else 3
            th, tt = paired_best([h_step, t_step], repeats, target)
            print(f"| {name} | {family} | {n} | {th * 1e6:.1f} | {tt * 1e6:.1f} | {th / tt:.2f} |")
            sys.stdout.flush()


if __name__ == "__main__":
    main()
