"""Compare hosila's optimizers on one small problem, then checkpoint and resume a run.

A two-layer network (written with plain tensor ops) learns to classify a 3-armed spiral
(300 points in 2-D). Every optimizer starts from the same weights and takes the same number
of full-batch steps; the table shows the final loss and accuracy. The last part trains with
AdamW + OneCycleLR, saves a checkpoint (weights, optimizer, schedule, epoch, RNG state) with
``hosila.save``, resumes from it with ``hosila.load``, and checks that the resumed run ends
with exactly the weights of an uninterrupted one.

Run: python examples/optimizers.py [--steps 200] [--plot losses.png]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np

import hosila
from hosila import optim
from hosila.optim.lr_scheduler import OneCycleLR


def spiral(n_per_class: int = 100, classes: int = 3, seed: int = 0) -> tuple:
    """CS231n's spiral: X (N, 2) float32, y (N,) int64."""
    rng = np.random.default_rng(seed)
    xs, ys = [], []
    for c in range(classes):
        r = np.linspace(0.0, 1.0, n_per_class)
        t = (
            np.linspace(c * 4.0, (c + 1) * 4.0, n_per_class)
            + rng.standard_normal(n_per_class) * 0.2
        )
        xs.append(np.stack([r * np.sin(t), r * np.cos(t)], axis=1))
        ys.append(np.full(n_per_class, c))
    return np.concatenate(xs).astype(np.float32), np.concatenate(ys)


X, Y = spiral()
HIDDEN = 64


def init_params(seed: int = 1) -> list[hosila.Tensor]:
    """W1 (64, 2), b1 (64,), W2 (3, 64), b2 (3,), scaled like PyTorch's Linear init."""
    rng = np.random.default_rng(seed)
    shapes = [(HIDDEN, 2), (HIDDEN,), (3, HIDDEN), (3,)]
    fan_in = [2, 2, HIDDEN, HIDDEN]
    return [
        hosila.tensor((rng.uniform(-1, 1, s) / np.sqrt(f)).astype(np.float32), requires_grad=True)
        for s, f in zip(shapes, fan_in, strict=True)
    ]


def forward(params: list[hosila.Tensor]) -> hosila.Tensor:
    """Logits (N, 3) of relu(X W1ᵀ + b1) W2ᵀ + b2."""
    w1, b1, w2, b2 = params
    return (hosila.tensor(X) @ w1.T + b1).relu() @ w2.T + b2


def loss_and_accuracy(params: list[hosila.Tensor]) -> tuple[hosila.Tensor, float]:
    logits = forward(params)
    loss = -logits.log_softmax(1)[np.arange(len(Y)), Y].mean()
    return loss, float((logits.data.argmax(1) == Y).mean())


def train(make_opt, steps: int) -> list[float]:
    params = init_params()
    opt = make_opt(params)
    losses = []

    def closure():
        opt.zero_grad()
        loss, _ = loss_and_accuracy(params)
        loss.backward()
        return loss

    for _ in range(steps):
        losses.append(float(opt.step(closure)))
    final, acc = loss_and_accuracy(params)
    losses.append(float(final))
    return losses, acc


OPTIMIZERS = {
    "SGD": lambda p: optim.SGD(p, lr=0.5),
    "SGD momentum": lambda p: optim.SGD(p, lr=0.5, momentum=0.9),
    "SGD Nesterov": lambda p: optim.SGD(p, lr=0.5, momentum=0.9, nesterov=True),
    "Adagrad": lambda p: optim.Adagrad(p, lr=0.1),
    "RMSprop": lambda p: optim.RMSprop(p, lr=0.005),
    "Adam": lambda p: optim.Adam(p, lr=0.01),
    "AdamW": lambda p: optim.AdamW(p, lr=0.01, weight_decay=1e-2),
    "Adam amsgrad": lambda p: optim.Adam(p, lr=0.01, amsgrad=True),
}


def checkpoint_demo(steps: int) -> None:
    """Train, save at half-time, resume in fresh objects, compare with an uninterrupted run."""

    def build(weights=None):
        params = init_params()
        if weights is not None:
            for p, w in zip(params, weights, strict=True):
                p.data[...] = w.data
        opt = optim.AdamW(params, lr=1e-3)
        return params, opt, OneCycleLR(opt, max_lr=0.02, total_steps=steps)

    def run(params, opt, sched, n):
        for _ in range(n):
            opt.zero_grad()
            loss, _ = loss_and_accuracy(params)
            loss.backward()
            opt.step()
            sched.step()

    ref = build()
    run(*ref, steps)

    hosila.manual_seed(0)
    params, opt, sched = build()
    run(params, opt, sched, steps // 2)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "checkpoint.safetensors"
        hosila.save(
            {
                "model": {f"p{i}": p for i, p in enumerate(params)},
                "optimizer": opt.state_dict(),
                "scheduler": sched.state_dict(),
                "epoch": steps // 2,
                "rng": hosila.random.get_rng_state(),
            },
            path,
        )
        size = path.stat().st_size
        ckpt = hosila.load(path)
    params, opt, sched = build([ckpt["model"][f"p{i}"] for i in range(4)])
    opt.load_state_dict(ckpt["optimizer"])
    sched.load_state_dict(ckpt["scheduler"])
    hosila.random.set_rng_state(ckpt["rng"])
    run(params, opt, sched, steps - ckpt["epoch"])
    same = all(np.array_equal(a.data, b.data) for a, b in zip(params, ref[0], strict=True))
    loss, acc = loss_and_accuracy(params)
    print(
        f"\nAdamW + OneCycleLR, checkpoint of {size:,} bytes at step {ckpt['epoch']}: resumed run "
        f"ends with loss {float(loss):.4f}, accuracy {acc:.1%}; identical to the uninterrupted "
        f"run: {same}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description="Compare hosila's optimizers on a spiral.")
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--plot", type=Path, default=None, help="save a loss plot (PNG) here")
    args = ap.parse_args()

    results = {name: train(make, args.steps) for name, make in OPTIMIZERS.items()}
    # one L-BFGS iteration per step (each may evaluate the loss several times in its line search)
    results["LBFGS strong-Wolfe"] = train(
        lambda p: optim.LBFGS(p, max_iter=1, line_search_fn="strong_wolfe"), args.steps
    )
    print(f"{'optimizer':20s} {'first loss':>10s} {'final loss':>10s} {'accuracy':>9s}")
    for name, (losses, acc) in results.items():
        print(f"{name:20s} {losses[0]:10.4f} {losses[-1]:10.4f} {acc:9.1%}")

    if args.plot is not None:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(7, 4))
        for name, (losses, _) in results.items():
            ax.plot(losses, label=name)
        ax.set(xlabel="step", ylabel="training loss", yscale="log", title="spiral, 2-layer MLP")
        ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(args.plot, dpi=120)
        print(f"plot saved to {args.plot}")

    checkpoint_demo(args.steps)


if __name__ == "__main__":
    main()
