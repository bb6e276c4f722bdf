"""Classification metrics on NumPy arrays: accuracy, top-k accuracy, the confusion matrix.

Every function accepts hosila Tensors or array-likes (``outputs``: scores ``(N, C)``,
``targets``: integer labels ``(N,)``) and works on whole arrays (no Python loop over
examples).
"""

from __future__ import annotations

from typing import Any

import numpy as np


def _array(x: Any, name: str) -> np.ndarray:
    data = getattr(x, "data", x) if not isinstance(x, np.ndarray) else x
    return np.asarray(data)


def _check(outputs: Any, targets: Any, op: str) -> tuple[np.ndarray, np.ndarray]:
    out = _array(outputs, "outputs")
    tgt = _array(targets, "targets")
    if out.ndim != 2:
        raise ValueError(f"{op}: outputs must be scores (N, C), got shape {out.shape}")
    if tgt.ndim != 1 or tgt.shape[0] != out.shape[0]:
        raise ValueError(
            f"{op}: targets must be labels (N,) with N = {out.shape[0]}, got shape {tgt.shape}"
        )
    if tgt.dtype.kind not in "iu":
        raise TypeError(f"{op}: targets must be integer labels, got dtype {tgt.dtype}")
    return out, tgt


def correct(outputs: Any, targets: Any) -> int:
    """Number of rows of ``outputs`` (N, C) whose arg-max equals ``targets`` (N,)."""
    out, tgt = _check(outputs, targets, "correct")
    return int(np.count_nonzero(out.argmax(axis=1) == tgt))


def accuracy(outputs: Any, targets: Any) -> float:
    """Fraction of rows of ``outputs`` (N, C) whose arg-max equals ``targets`` (N,);
    ``nan`` for N = 0."""
    out, tgt = _check(outputs, targets, "accuracy")
    if out.shape[0] == 0:
        return float("nan")
    return float(np.count_nonzero(out.argmax(axis=1) == tgt)) / out.shape[0]


def topk_accuracy(outputs: Any, targets: Any, k: int = 5) -> float:
    """Fraction of rows whose ``k`` highest scores include the target (ties broken by
    ``argsort``); ``k`` larger than C counts every row as correct."""
    out, tgt = _check(outputs, targets, "topk_accuracy")
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
        raise ValueError(f"topk_accuracy: k must be an int >= 1, got {k!r}")
    if out.shape[0] == 0:
        return float("nan")
    k = min(int(k), out.shape[1])
    top = np.argpartition(-out, k - 1, axis=1)[:, :k]
    return float(np.count_nonzero((top == tgt[:, None]).any(axis=1))) / out.shape[0]


def confusion_matrix(predictions: Any, targets: Any, num_classes: int) -> np.ndarray:
    """Counts ``m[i, j]`` of examples of true class ``i`` predicted as class ``j``.

    Args:
        predictions: predicted labels (N,), or scores (N, C) (their arg-max is taken).
        targets: true labels (N,).
        num_classes: C; labels must lie in ``[0, C)``.

    Returns: int64 (C, C); row sums are the class counts, the trace is the number correct.
    """
    pred = _array(predictions, "predictions")
    tgt = _array(targets, "targets")
    if pred.ndim == 2:
        pred = pred.argmax(axis=1)
    if isinstance(num_classes, bool) or not isinstance(num_classes, int | np.integer):
        raise TypeError(f"confusion_matrix: num_classes must be an int, got {num_classes!r}")
    if num_classes < 1:
        raise ValueError(f"confusion_matrix: num_classes must be >= 1, got {num_classes}")
    if pred.shape != tgt.shape or pred.ndim != 1:
        raise ValueError(
            f"confusion_matrix: predictions and targets must both be (N,), got "
            f"{pred.shape} and {tgt.shape}"
        )
    if pred.dtype.kind not in "iu" or tgt.dtype.kind not in "iu":
        raise TypeError("confusion_matrix: labels must be integers")
    for name, a in (("predictions", pred), ("targets", tgt)):
        if a.size and (a.min() < 0 or a.max() >= num_classes):
            raise ValueError(
                f"confusion_matrix: {name} must lie in [0, {num_classes}), "
                f"got values {a.min()}..{a.max()}"
            )
    flat = tgt.astype(np.int64) * num_classes + pred.astype(np.int64)
    counts = np.bincount(flat, minlength=num_classes * num_classes)
    return counts.reshape(num_classes, num_classes)
