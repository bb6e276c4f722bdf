"""One SGD step of a 3072-500-10 ReLU MLP with softmax cross-entropy (batch 256, float32),
hosila vs PyTorch CPU, same thread count.

    python benchmarks/mlp_step.py [--threads 1] [--repeats 20]

The model is written with tensor ops only (matmul, add, relu, log_softmax, integer
indexing for the loss), the same expression in both libraries; a second PyTorch row uses
``F.cross_entropy`` (its fused kernel) as a stricter reference. A step is: forward, loss,
zero the grads, backward, ``p -= lr * p.grad``. The best (minimum) step time is reported.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import machine, paired_best, set_threads  # noqa: E402


def make_step(lib, params, x, y, fused: bool = False):
    import torch

    w1, b1, w2, b2 = params
    rows = lib.arange(x.shape[0])
    lr = 0.01

    def step():
        h = (x @ w1 + b1).relu()
        logits = h @ w2 + b2
        if fused:
            loss = torch.nn.functional.cross_entropy(logits, y)
        else:
            loss = -logits.log_softmax(1)[rows, y].mean()
        for p in params:
            p.grad = None
        loss.backward()
        with lib.no_grad():
            for p in params:
                if lib is torch:
                    p.sub_(lr * p.grad)
                else:
                    p.data -= lr * p.grad
        return loss

    return step


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--repeats", type=int, default=20)
    p.add_argument("--batch", type=int, default=256)
    args = p.parse_args(argv)
    set_threads(args.threads)
    import numpy as np
    import torch

    import hosila

    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    arrays = [
        (rng.standard_normal((3072, 500)) * 0.02).astype(np.float32),
        np.zeros(500, np.float32),
        (rng.standard_normal((500, 10)) * 0.05).astype(np.float32),
        np.zeros(10, np.float32),
    ]
    x = rng.standard_normal((args.batch, 3072)).astype(np.float32)
    y = rng.integers(0, 10, args.batch)

    h_params = [hosila.tensor(a.copy(), requires_grad=True) for a in arrays]
    t_params = [torch.tensor(a.copy(), requires_grad=True) for a in arrays]
    h_step = make_step(hosila, h_params, hosila.tensor(x), hosila.tensor(y))
    t_step = make_step(torch, t_params, torch.tensor(x), torch.tensor(y))
    # same start, same data: the first losses must agree
    lh, lt = h_step().item(), t_step().item()
    assert abs(lh - lt) < 1e-4 * max(1.0, abs(lt)), (lh, lt)
    tf_params = [torch.tensor(a.copy(), requires_grad=True) for a in arrays]
    tf_step = make_step(torch, tf_params, torch.tensor(x), torch.tensor(y), fused=True)

    th, tt, tf = paired_best([h_step, t_step, tf_step], args.repeats, 0.0)
    print(machine(args.threads))
    print(f"batch {args.batch}, 3072-500-10 ReLU MLP, float32, best of {args.repeats} steps")
    print("| implementation | step (ms) | hosila / this |")
    print("|---|---:|---:|")
    print(f"| hosila (tensor ops) | {th * 1e3:.2f} | 1.00 |")
    print(f"| torch (same tensor ops) | {tt * 1e3:.2f} | {th / tt:.2f} |")
    print(f"| torch (F.cross_entropy) | {tf * 1e3:.2f} | {th / tf:.2f} |")


if __name__ == "__main__":
    main()
