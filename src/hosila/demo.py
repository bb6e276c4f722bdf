"""The moons demo (``hosila demo moons``): the micrograd lecture's network learns two moons.

A 2-16-16-1 ReLU MLP of :class:`hosila.Value` scalars is trained on 100 points of the two-moons
data set with the max-margin (hinge) loss plus L2 regularisation, by full-batch gradient descent
with a learning rate decaying from 1.0 to 0.1, as in micrograd's demo notebook. Afterwards the
decision boundary is plotted and the graph of one small neuron is drawn.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hosila.data._util import atomic_write
from hosila.data.toy import make_moons
from hosila.engine import Value
from hosila.nn.scalar import MLP

__all__ = ["MoonsResult", "lecture_neuron", "moons_loss", "run_moons", "train_moons"]


@dataclass
class MoonsResult:
    """What :func:`train_moons` returns: the model, the data and the history per step."""

    model: MLP
    X: np.ndarray  # (N, 2)
    y: np.ndarray  # (N,) in {-1, +1}
    losses: list[float] = field(default_factory=list)
    accuracies: list[float] = field(default_factory=list)


def moons_loss(
    model: MLP, X: list[list[float]], y: list[float], alpha: float = 1e-4
) -> tuple[Value, float]:
    """Mean hinge loss ``max(0, 1 - y * score)`` plus ``alpha * sum(p²)``, and the accuracy.

    X: N points of 2 numbers; y: N labels in {-1, +1}. Returns (loss Value, accuracy in [0, 1]).
    """
    scores = [model(x) for x in X]
    data_loss = Value.sum((1.0 - yi * s).relu() for yi, s in zip(y, scores, strict=True))
    params = model.parameters()
    loss = data_loss / len(y) + alpha * Value.dot(params, params)
    correct = sum((yi > 0) == (s.data > 0) for yi, s in zip(y, scores, strict=True))
    return loss, correct / len(y)


def train_moons(
    steps: int = 100, seed: int = 0, n_samples: int = 100, progress: bool = True
) -> MoonsResult:
    """Train ``MLP(2, [16, 16, 1])`` on ``make_moons(n_samples, noise=0.1, seed=seed)``.

    Full-batch gradient descent for ``steps`` steps, learning rate ``1 - 0.9 k / steps``.
    ``progress``: a tqdm bar on stderr, drawn only when stderr is a terminal (no carriage
    returns in a log file or a pipe).
    """
    from tqdm.auto import tqdm

    if steps < 1:
        raise ValueError(f"train_moons: steps must be >= 1, got {steps}")
    X_np, labels = make_moons(n_samples, noise=0.1, seed=seed, dtype=np.float64)
    y_np = 2.0 * labels - 1.0
    X, y = X_np.tolist(), y_np.tolist()
    model = MLP(2, [16, 16, 1], seed=seed)
    result = MoonsResult(model, X_np, y_np)
    bar = tqdm(range(steps), desc="moons", disable=None if progress else True, leave=True)
    for k in bar:
        loss, acc = moons_loss(model, X, y)
        model.zero_grad()
        loss.backward()
        lr = 1.0 - 0.9 * k / steps
        for p in model.parameters():
            p.data -= lr * p.grad
        result.losses.append(loss.data)
        result.accuracies.append(acc)
        bar.set_postfix(loss=f"{loss.data:.4f}", acc=f"{acc:.0%}", refresh=False)
    # accuracy of the final weights (the loop reports the accuracy before each update)
    _, result.accuracies[-1] = moons_loss(model, X, y)
    return result


def plot_decision_boundary(result: MoonsResult, path: str | Path, grid: int = 60) -> Path:
    """Plot the model's decision regions and the training points into ``path`` (PNG).

    The model is evaluated on a ``grid`` x ``grid`` mesh around the data. Uses matplotlib's
    Agg canvas directly (no pyplot, no global backend change). Written atomically.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    X, y = result.X, result.y
    lo, hi = X.min(axis=0) - 0.5, X.max(axis=0) + 0.5
    xs, ys = np.linspace(lo[0], hi[0], grid), np.linspace(lo[1], hi[1], grid)
    xx, yy = np.meshgrid(xs, ys)
    points = np.stack([xx.ravel(), yy.ravel()], axis=1).tolist()
    scores = np.array([result.model(p).data for p in points]).reshape(xx.shape)

    fig = Figure(figsize=(5, 4), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.contourf(xx, yy, scores > 0, levels=[-0.5, 0.5, 1.5], colors=["#c2d4f4", "#f4c2c2"])
    ax.contour(xx, yy, scores, levels=[0.0], colors="k", linewidths=1)
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap="coolwarm", s=20, edgecolors="k", linewidths=0.5)
    acc = result.accuracies[-1] if result.accuracies else float("nan")
    ax.set_title(f"MLP 2-16-16-1 on two moons: training accuracy {acc:.0%}")
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    path = Path(path)
    with atomic_write(path) as f:
        fig.savefig(f, format=path.suffix.lstrip(".") or "png")
    return path


def lecture_neuron() -> Value:
    """The lecture's neuron, after backward: o = tanh(x1 w1 + x2 w2 + b) with
    x1=2, x2=0, w1=-3, w2=1, b=6.8813735870195432 (o ≈ 0.7071)."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    x1w1 = x1 * w1
    x1w1.label = "x1*w1"
    x2w2 = x2 * w2
    x2w2.label = "x2*w2"
    x1w1x2w2 = x1w1 + x2w2
    x1w1x2w2.label = "x1*w1 + x2*w2"
    n = x1w1x2w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    o.backward()
    return o


def run_moons(
    out: str | Path = "runs/moons", steps: int = 100, seed: int = 0, progress: bool = True
) -> dict:
    """The whole demo: train, plot ``decision_boundary.png``, draw ``neuron.svg`` into ``out``.

    ``progress``: show the progress bar (only when its stream, stderr, is a terminal).
    Returns a dict with the final ``loss``, ``accuracy`` and the written ``files``. Without
    graphviz's ``dot`` program the neuron is saved as ``neuron.dot`` (DOT text) instead.
    """
    from hosila.viz import GraphvizNotFoundError, save_graph

    out = Path(out)
    result = train_moons(steps=steps, seed=seed, progress=progress)
    files = [plot_decision_boundary(result, out / "decision_boundary.png")]
    neuron = lecture_neuron()
    try:
        files.append(save_graph(neuron, out / "neuron.svg"))
    except GraphvizNotFoundError as exc:
        print(f"note: {exc}")
        files.append(save_graph(neuron, out / "neuron.dot"))
    return {"loss": result.losses[-1], "accuracy": result.accuracies[-1], "files": files}
