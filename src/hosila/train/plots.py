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
    fig.subplots_adjust(left=0.06, right=0.98, bottom=0.13, top=0.92, wspace=0.2)
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
    margin = min(0.3, 0.1 + 0.012 * max((len(str(c)) for c in classes), default=1))
    fig.subplots_adjust(left=margin, bottom=margin, right=0.97, top=0.93)
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
    titled ``predicted (true)``, green when right and red when wrong.

    The images are laid out in one array (one ``imshow``), which is much faster to draw
    than one axes per image."""
    imgs = np.asarray(images)
    n = imgs.shape[0] if imgs.ndim else 0
    if n == 0 or imgs.ndim not in (3, 4) or len(predicted) != n or len(true) != n:
        raise ValueError(
            f"plot_predictions: need N >= 1 images (N, H, W[, C]) and N labels, got images "
            f"{imgs.shape}, {len(predicted)} predicted and {len(true)} true labels"
        )
    if imgs.dtype != np.uint8:
        imgs = (np.clip(imgs, 0.0, 1.0) * 255).round().astype(np.uint8)
    if imgs.ndim == 3:
        imgs = imgs[..., None]
    if imgs.shape[-1] == 1:
        imgs = np.repeat(imgs, 3, axis=-1)
    h, w = imgs.shape[1:3]
    ncols = max(1, min(int(ncols), n))
    nrows = -(-n // ncols)
    gap, band = max(1, w // 8), max(2, int(round(h * 0.45)))  # between cells; title space
    cell_h, cell_w = h + band, w + gap
    canvas = np.full((nrows * cell_h, ncols * cell_w - gap, 3), 255, dtype=np.uint8)
    fig = _figure(1.3 * ncols, 1.3 * nrows * cell_h / cell_w + 0.2)
    ax = fig.add_axes((0.01, 0.01, 0.98, 0.98))
    for k in range(n):
        r, c = divmod(k, ncols)
        top, left = r * cell_h + band, c * cell_w
        canvas[top : top + h, left : left + w] = imgs[k]
        ok = int(predicted[k]) == int(true[k])
        ax.text(
            left + w / 2,
            top - 0.5,
            f"{classes[int(predicted[k])]}\n({classes[int(true[k])]})",
            ha="center",
            va="bottom",
            fontsize=7,
            color="green" if ok else "red",
        )
    ax.imshow(canvas, interpolation="nearest", aspect="auto")
    ax.axis("off")
    return _save(fig, path)
