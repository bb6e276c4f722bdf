"""Training plots as PNG files: loss and accuracy curves, the confusion matrix, a grid of
images with their predicted and true labels.

The figures are drawn with matplotlib's Agg canvas directly (no GUI backend, no global
``pyplot`` state) and written atomically.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from hosila.data._util import atomic_write
from hosila.train.history import History


def _figure(width: float, height: float) -> Any:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(fig)
    return fig


def _save(fig: Any, path: str | os.PathLike[str]) -> str:
    path = os.fspath(path)
    with atomic_write(path) as f:
        fig.savefig(f, format="png")
    return path


def plot_history(history: History | Sequence[dict[str, Any]], path: str | os.PathLike[str]) -> str:
    """Loss (left) and accuracy (right) per epoch, training and validation; returns the
    path of the PNG written."""
    h = history if isinstance(history, History) else History(list(history))
    if len(h) == 0:
        raise ValueError("plot_history: the history is empty")
    epochs = h["epoch"]
    fig = _figure(10, 4)
    for k, (metric, title) in enumerate((("loss", "loss"), ("acc", "accuracy"))):
        ax = fig.add_subplot(1, 2, k + 1)
        for split in ("train", "val"):
            key = f"{split}_{metric}"
            if key in h.keys():
                values = [np.nan if v is None else v for v in h[key]]
                ax.plot(epochs, values, marker="o", markersize=3, label=split)
        ax.set_xlabel("epoch")
        ax.set_title(title)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    return _save(fig, path)


def plot_confusion_matrix(
    matrix: np.ndarray, classes: Sequence[str], path: str | os.PathLike[str]
) -> str:
    """The confusion matrix (C, C) (rows: true class, columns: predicted) as a heat map
    with the counts written in the cells."""
    m = np.asarray(matrix)
    if m.ndim != 2 or m.shape[0] != m.shape[1] or m.shape[0] != len(classes):
        raise ValueError(
            f"plot_confusion_matrix: matrix must be (C, C) with C = {len(classes)} classes, "
            f"got shape {m.shape}"
        )
    c = m.shape[0]
    size = max(4.0, 0.5 * c + 2)
    fig = _figure(size, size)
    ax = fig.add_subplot(1, 1, 1)
    ax.imshow(m, cmap="Blues")
    ax.set_xticks(range(c), labels=list(classes), rotation=45, ha="right")
    ax.set_yticks(range(c), labels=list(classes))
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    if c <= 20:
        top = m.max() if m.size else 0
        for i in range(c):
            for j in range(c):
                color = "white" if top and m[i, j] > top / 2 else "black"
                ax.text(j, i, str(m[i, j]), ha="center", va="center", fontsize=7, color=color)
    acc = np.trace(m) / max(m.sum(), 1)
    ax.set_title(f"confusion matrix (accuracy {acc:.3f})")
    fig.tight_layout()
    return _save(fig, path)


def plot_predictions(
    images: np.ndarray,
    predicted: Sequence[int],
    true: Sequence[int],
    classes: Sequence[str],
    path: str | os.PathLike[str],
    ncols: int = 8,
) -> str:
    """A grid of images ``(N, H, W, C)`` / ``(N, H, W)`` (uint8, or float in [0, 1]), each
    titled ``predicted (true)``, green when right and red when wrong."""
    imgs = np.asarray(images)
    n = imgs.shape[0]
    if n == 0 or imgs.ndim not in (3, 4) or len(predicted) != n or len(true) != n:
        raise ValueError(
            f"plot_predictions: need N >= 1 images (N, H, W[, C]) and N labels, got images "
            f"{imgs.shape}, {len(predicted)} predicted and {len(true)} true labels"
        )
    ncols = max(1, min(int(ncols), n))
    nrows = -(-n // ncols)
    fig = _figure(1.4 * ncols, 1.6 * nrows)
    for k in range(n):
        ax = fig.add_subplot(nrows, ncols, k + 1)
        img = imgs[k]
        grey = img.ndim == 2 or img.shape[-1] == 1
        if grey:
            top = 255 if img.dtype == np.uint8 else 1.0
            ax.imshow(img.squeeze(-1) if img.ndim == 3 else img, cmap="gray", vmin=0, vmax=top)
        else:
            ax.imshow(img)
        ok = int(predicted[k]) == int(true[k])
        ax.set_title(
            f"{classes[int(predicted[k])]}\n({classes[int(true[k])]})",
            fontsize=7,
            color="green" if ok else "red",
        )
        ax.axis("off")
    fig.tight_layout()
    return _save(fig, path)
