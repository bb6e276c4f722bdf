"""One training step of the moons demo in hosila.Value and in micrograd, timed in one run.

Both engines train the same 2-16-16-1 ReLU MLP (the same initial weights, copied from hosila
into micrograd) on the same 100 moons points with the same loss: the mean max-margin (hinge)
loss plus 1e-4 times the sum of squared weights, then one SGD update. A step is forward, zero
grad, backward and update. The two engines take turns step by step, so load on the machine
hits both alike; the best (minimum) time per step is reported, with the median.

Two hosila rows: ``hosila`` is the library's own forward (each neuron's weighted sum is one
``Value.dot`` node, the loss sums with ``Value.sum``, as ``hosila demo moons`` trains);
``hosila-plain`` runs the very code that the micrograd row runs (written like micrograd's demo:
one node per ``+`` and ``*``), which measures the engine alone.

    python benchmarks/scalar_moons.py [--steps 20]

Needs ``micrograd==0.1.0`` (the ``bench`` extra). The script checks that both engines compute
the same loss at every step and end with the same weights.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time

import numpy as np
from micrograd.engine import Value as MgValue
from micrograd.nn import MLP as MgMLP

from hosila import Value
from hosila.data import make_moons
from hosila.nn.scalar import MLP

ALPHA = 1e-4  # L2 strength, as in micrograd's demo


def hosila_step(model: MLP, X: list[list[float]], y: list[float], lr: float) -> float:
    scores = [model(x) for x in X]
    data_loss = Value.sum((1.0 - yi * s).relu() for yi, s in zip(y, scores, strict=True)) / len(y)
    params = model.parameters()
    loss = data_loss + ALPHA * Value.dot(params, params)
    model.zero_grad()
    loss.backward()
    for p in params:
        p.data -= lr * p.grad
    return loss.data


def plain_step(forward, params: list, X: list[list[float]], y: list[float], lr: float) -> float:
    """The step as micrograd's demo writes it; the same code runs on both engines."""
    scores = [forward(x) for x in X]
    losses = [(1 + -yi * s).relu() for yi, s in zip(y, scores, strict=True)]
    data_loss = sum(losses) * (1.0 / len(losses))
    loss = data_loss + ALPHA * sum(p * p for p in params)
    for p in params:
        p.grad = 0
    loss.backward()
    for p in params:
        p.data -= lr * p.grad
    return loss.data


def hosila_plain_forward(model: MLP):
    """hosila's MLP forward written like micrograd's: one node per + and *, no Value.dot."""

    def forward(x: list[float]) -> Value:
        for layer in model.layers:
            outs = []
            for n in layer.neurons:
                act = sum((wi * xi for wi, xi in zip(n.w, x, strict=True)), n.b)
                outs.append(act if n.nonlin == "linear" else act.relu())
            x = outs
        return x[0]

    return forward


def micrograd_forward(model: MgMLP):
    return lambda x: model([MgValue(xi) for xi in x])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    X_np, y_np = make_moons(100, noise=0.1, seed=args.seed, dtype=np.float64)
    X, y = X_np.tolist(), (2.0 * y_np - 1.0).tolist()  # labels in {-1, +1}
    ours = MLP(2, [16, 16, 1], seed=args.seed)
    plain = MLP(2, [16, 16, 1], seed=args.seed)  # the same weights
    theirs = MgMLP(2, [16, 16, 1])
    assert len(ours.parameters()) == len(theirs.parameters()) == 337
    for p, q in zip(ours.parameters(), theirs.parameters(), strict=True):
        q.data = p.data

    plain_fwd, plain_params = hosila_plain_forward(plain), plain.parameters()
    their_fwd, their_params = micrograd_forward(theirs), theirs.parameters()
    times: dict[str, list[float]] = {"hosila": [], "hosila-plain": [], "micrograd": []}
    for k in range(args.steps):
        lr = 1.0 - 0.9 * k / args.steps
        t0 = time.perf_counter()
        loss_h = hosila_step(ours, X, y, lr)
        t1 = time.perf_counter()
        loss_p = plain_step(plain_fwd, plain_params, X, y, lr)
        t2 = time.perf_counter()
        loss_m = plain_step(their_fwd, their_params, X, y, lr)
        t3 = time.perf_counter()
        times["hosila"].append(t1 - t0)
        times["hosila-plain"].append(t2 - t1)
        times["micrograd"].append(t3 - t2)
        for other in (loss_p, loss_m):
            assert abs(loss_h - other) <= 1e-9 * max(1.0, abs(other)), (k, loss_h, other)
    pairs = zip(ours.parameters(), theirs.parameters(), strict=True)
    worst = max(abs(p.data - q.data) for p, q in pairs)
    assert worst < 1e-9, worst

    print(
        f"machine: {os.cpu_count()} cores, Python {platform.python_version()} "
        f"({platform.python_implementation()}), {platform.machine()}, NumPy {np.__version__}"
    )
    print(f"moons training step (100 points, MLP 2-16-16-1, 337 parameters), {args.steps} steps")
    print(f"{'engine':<13} {'best ms/step':>13} {'median ms/step':>15} {'ratio (best)':>13}")
    best = {name: min(ts) * 1e3 for name, ts in times.items()}
    for name, ts in times.items():
        ratio = best[name] / best["micrograd"]
        med = statistics.median(ts) * 1e3
        print(f"{name:<13} {best[name]:>13.2f} {med:>15.2f} {ratio:>13.3f}")
    print(f"ratio hosila/micrograd (best): {best['hosila'] / best['micrograd']:.3f}")
    print(f"final loss (both engines): {loss_h:.6f}; max weight difference {worst:.1e}")


if __name__ == "__main__":
    sys.exit(main())
