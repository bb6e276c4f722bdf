"""Linear classifiers f(x) = x W (+ b by the bias trick), trained with minibatch SGD on the
multiclass SVM (hinge) loss or the softmax (cross-entropy) loss.

Each loss exists twice: a *naive* version with explicit loops, written to be read next to
the formulas, and a *vectorised* one for training. Both return ``(loss, dW)`` with the
analytic gradient; the tests hold naive = vectorised = hosila autograd = numerical gradient.

Shapes: ``W: (D, C)``, ``X: (N, D)``, ``y: (N,)`` integer labels in ``[0, C)``. The loss is
the mean data loss over the N examples plus the regularisation term of :func:`regularization`.
The bias trick: append a constant-1 feature to every x (:func:`append_bias`) and the last row
of W is the bias b (it is regularised together with W, as in the course's notes).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

_REG_TYPES = ("l2", "l1", "elastic")


def append_bias(X: np.ndarray) -> np.ndarray:
    """The bias trick: X (N, D) -> (N, D + 1) with a last column of ones (same dtype)."""
    X = np.asarray(X)
    if X.ndim != 2:
        raise ValueError(f"append_bias: X must be (N, D), got shape {X.shape}")
    return np.hstack([X, np.ones((X.shape[0], 1), dtype=X.dtype)])


def regularization(
    W: np.ndarray, reg: float, reg_type: str = "l2", l1_ratio: float = 0.5
) -> tuple[float, np.ndarray]:
    """Regularisation penalty R(W) and its gradient dR/dW (same shape as W).

    * ``"l2"``: ``reg * sum(W**2)`` (gradient ``2 reg W``), the default;
    * ``"l1"``: ``reg * sum(|W|)`` (subgradient ``reg sign(W)``, 0 at 0);
    * ``"elastic"``: ``reg * (l1_ratio sum|W| + (1 - l1_ratio) sum W**2)``.
    """
    if reg_type not in _REG_TYPES:
        raise ValueError(f"reg_type must be one of {_REG_TYPES}, got {reg_type!r}")
    if not 0.0 <= l1_ratio <= 1.0:
        raise ValueError(f"l1_ratio must be in [0, 1], got {l1_ratio!r}")
    if reg_type == "l2":
        a, b = 0.0, 1.0
    elif reg_type == "l1":
        a, b = 1.0, 0.0
    else:
        a, b = l1_ratio, 1.0 - l1_ratio
    loss = reg * (a * float(np.abs(W).sum()) + b * float((W * W).sum()))
    grad = reg * (a * np.sign(W) + 2.0 * b * W)
    return loss, grad.astype(W.dtype, copy=False)


def _check(W: Any, X: Any, y: Any, op: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    W, X, y = np.asarray(W), np.asarray(X), np.asarray(y)
    if W.ndim != 2 or X.ndim != 2 or X.shape[1] != W.shape[0]:
        raise ValueError(f"{op}: expected W (D, C) and X (N, D), got W {W.shape}, X {X.shape}")
    if y.shape != (X.shape[0],) or y.dtype.kind not in "iu":
        raise ValueError(
            f"{op}: y must be (N,) = ({X.shape[0]},) integer labels, "
            f"got shape {y.shape} dtype {y.dtype}"
        )
    if y.size and (y.min() < 0 or y.max() >= W.shape[1]):
        raise ValueError(f"{op}: labels must be in [0, {W.shape[1]}), got {y.min()}..{y.max()}")
    return W, X, y


# ---------------------------------------------------------------- multiclass SVM
def svm_loss_naive(
    W: np.ndarray,
    X: np.ndarray,
    y: np.ndarray,
    reg: float,
    reg_type: str = "l2",
    l1_ratio: float = 0.5,
) -> tuple[float, np.ndarray]:
    """Multiclass SVM loss with loops: L_i = sum_{j != y_i} max(0, s_j - s_{y_i} + 1).

    W: (D, C), X: (N, D), y: (N,) -> (loss, dW (D, C)).
    """
    W, X, y = _check(W, X, y, "svm_loss_naive")
    num_train, num_classes = X.shape[0], W.shape[1]
    dW = np.zeros_like(W, dtype=np.result_type(W, X))
    loss = 0.0
    for i in range(num_train):
        scores = X[i] @ W
        correct = scores[y[i]]
        for j in range(num_classes):
            if j == y[i]:
                continue
            margin = scores[j] - correct + 1.0
            if margin > 0:
                loss += margin
                dW[:, j] += X[i]  # d margin / d W[:, j]
                dW[:, y[i]] -= X[i]  # d margin / d W[:, y_i]
    loss /= num_train
    dW /= num_train
    r, dr = regularization(W, reg, reg_type, l1_ratio)
    return float(loss + r), dW + dr


def svm_loss_vectorized(
    W: np.ndarray,
    X: np.ndarray,
    y: np.ndarray,
    reg: float,
    reg_type: str = "l2",
    l1_ratio: float = 0.5,
) -> tuple[float, np.ndarray]:
    """Multiclass SVM loss without loops; same result as :func:`svm_loss_naive`."""
    W, X, y = _check(W, X, y, "svm_loss_vectorized")
    n = X.shape[0]
    rows = np.arange(n)
    scores = X @ W  # (N, C)
    margins = scores - scores[rows, y][:, None] + 1.0
    margins[rows, y] = 0.0
    np.maximum(margins, 0.0, out=margins)
    loss = float(margins.sum(dtype=np.float64)) / n
    # Each positive margin adds x_i to column j and subtracts it from column y_i.
    mask = (margins > 0).astype(scores.dtype)
    mask[rows, y] = -mask.sum(axis=1)
    dW = X.T @ mask / n
    r, dr = regularization(W, reg, reg_type, l1_ratio)
    return loss + r, dW + dr


# ---------------------------------------------------------------- softmax
def softmax_loss_naive(
    W: np.ndarray,
    X: np.ndarray,
    y: np.ndarray,
    reg: float,
    reg_type: str = "l2",
    l1_ratio: float = 0.5,
) -> tuple[float, np.ndarray]:
    """Softmax (cross-entropy) loss with loops: L_i = -log(e^{s_{y_i}} / sum_j e^{s_j}),
    computed stably by subtracting max_j s_j first.

    W: (D, C), X: (N, D), y: (N,) -> (loss, dW (D, C)).
    """
    W, X, y = _check(W, X, y, "softmax_loss_naive")
    num_train, num_classes = X.shape[0], W.shape[1]
    dW = np.zeros_like(W, dtype=np.result_type(W, X))
    loss = 0.0
    for i in range(num_train):
        scores = X[i] @ W
        scores = scores - scores.max()
        total = 0.0
        for j in range(num_classes):
            total += np.exp(scores[j])
        loss += np.log(total) - scores[y[i]]
        for j in range(num_classes):
            p = np.exp(scores[j]) / total
            dW[:, j] += (p - (j == y[i])) * X[i]  # dL_i/ds_j = p_j - [j == y_i]
    loss /= num_train
    dW /= num_train
    r, dr = regularization(W, reg, reg_type, l1_ratio)
    return float(loss + r), dW + dr


def softmax_loss_vectorized(
    W: np.ndarray,
    X: np.ndarray,
    y: np.ndarray,
    reg: float,
    reg_type: str = "l2",
    l1_ratio: float = 0.5,
) -> tuple[float, np.ndarray]:
    """Softmax loss without loops; same result as :func:`softmax_loss_naive`."""
    W, X, y = _check(W, X, y, "softmax_loss_vectorized")
    n = X.shape[0]
    rows = np.arange(n)
    scores = X @ W
    scores -= scores.max(axis=1, keepdims=True)
    exp = np.exp(scores)
    sums = exp.sum(axis=1, keepdims=True)
    loss = float((np.log(sums[:, 0]) - scores[rows, y]).sum(dtype=np.float64)) / n
    probs = exp / sums
    probs[rows, y] -= 1.0
    dW = X.T @ probs / n
    r, dr = regularization(W, reg, reg_type, l1_ratio)
    return loss + r, dW + dr


# ---------------------------------------------------------------- classifiers
class LinearClassifier:
    """A linear classifier trained by minibatch SGD on :meth:`loss`.

    Args:
        bias: append a constant-1 feature to the inputs (the bias trick), so ``W`` is
            ``(D + 1, C)`` and its last row is the bias.
        reg_type, l1_ratio: the regularisation (see :func:`regularization`).
        dtype: the dtype of W and of the training arithmetic (float32 by default).
        seed: seeds the initial weights and the minibatch sampling.

    After :meth:`train`, ``W`` holds the weights and ``loss_history`` one loss per step.
    """

    def __init__(
        self,
        bias: bool = True,
        reg_type: str = "l2",
        l1_ratio: float = 0.5,
        dtype: Any = np.float32,
        seed: int | None = 0,
    ) -> None:
        if reg_type not in _REG_TYPES:
            raise ValueError(
                f"{type(self).__name__}: reg_type must be one of {_REG_TYPES}, got {reg_type!r}"
            )
        self.bias = bias
        self.reg_type = reg_type
        self.l1_ratio = l1_ratio
        self.dtype = np.dtype(dtype)
        self.seed = seed
        self.W: np.ndarray | None = None
        self.loss_history: list[float] = []

    def loss(self, X: np.ndarray, y: np.ndarray, reg: float) -> tuple[float, np.ndarray]:
        """(loss, dW) on a minibatch; X already has the bias column."""
        raise NotImplementedError

    def _inputs(self, X: Any) -> np.ndarray:
        X = np.asarray(X.numpy() if hasattr(X, "numpy") else X)
        X = X.reshape(X.shape[0], -1).astype(self.dtype, copy=False)
        return append_bias(X) if self.bias else X

    def train(
        self,
        X: Any,
        y: Any,
        learning_rate: float = 1e-3,
        reg: float = 1e-5,
        num_iters: int = 100,
        batch_size: int = 200,
        verbose: bool = False,
    ) -> list[float]:
        """Minibatch SGD: ``num_iters`` steps of ``W -= learning_rate * dW`` on batches of
        ``batch_size`` examples drawn with replacement. X: (N, ...) (flattened to (N, D)),
        y: (N,) labels. Returns the loss of each step (also kept in ``loss_history``)."""
        Xb = self._inputs(X)
        y = np.asarray(y)
        if y.shape != (Xb.shape[0],) or y.dtype.kind not in "iu":
            raise ValueError(
                f"train: y must be (N,) = ({Xb.shape[0]},) integer labels, "
                f"got shape {y.shape} dtype {y.dtype}"
            )
        for name, v in (("num_iters", num_iters), ("batch_size", batch_size)):
            if not isinstance(v, (int, np.integer)) or v < 1:
                raise ValueError(f"train: {name} must be a positive int, got {v!r}")
        if learning_rate <= 0:
            raise ValueError(f"train: learning_rate must be > 0, got {learning_rate!r}")
        rng = np.random.default_rng(self.seed)
        num_classes = int(y.max()) + 1
        if self.W is None or self.W.shape != (Xb.shape[1], max(num_classes, self.W.shape[1])):
            self.W = (0.001 * rng.standard_normal((Xb.shape[1], num_classes))).astype(self.dtype)
        history = []
        for it in range(num_iters):
            idx = rng.integers(0, Xb.shape[0], size=batch_size)
            loss, dW = self.loss(Xb[idx], y[idx], reg)
            self.W -= (learning_rate * dW).astype(self.dtype, copy=False)
            history.append(loss)
            if verbose and (it % 100 == 0 or it == num_iters - 1):
                print(f"iteration {it} / {num_iters}: loss {loss:.6f}")
        self.loss_history.extend(history)
        return history

    def scores(self, X: Any) -> np.ndarray:
        """Class scores (N, C) for X: (N, ...)."""
        if self.W is None:
            raise RuntimeError(f"{type(self).__name__}: call train() before predict()")
        Xb = self._inputs(X)
        if Xb.shape[1] != self.W.shape[0]:
            raise ValueError(
                f"predict: X has {Xb.shape[1] - self.bias} features, the model "
                f"{self.W.shape[0] - self.bias}"
            )
        return Xb @ self.W

    def predict(self, X: Any) -> np.ndarray:
        """Predicted labels (N,) int64: the class with the highest score."""
        return self.scores(X).argmax(axis=1).astype(np.int64)

    def score(self, X: Any, y: Any) -> float:
        """Accuracy on (X, y)."""
        return float(np.mean(self.predict(X) == np.asarray(y)))

    def templates(self) -> np.ndarray:
        """The weights without the bias row, one column per class: (D, C)."""
        if self.W is None:
            raise RuntimeError(f"{type(self).__name__}: not trained")
        return self.W[:-1] if self.bias else self.W


class LinearSVM(LinearClassifier):
    """Linear classifier with the multiclass SVM (hinge) loss."""

    def loss(self, X: np.ndarray, y: np.ndarray, reg: float) -> tuple[float, np.ndarray]:
        return svm_loss_vectorized(self.W, X, y, reg, self.reg_type, self.l1_ratio)  # type: ignore[arg-type]


class SoftmaxClassifier(LinearClassifier):
    """Linear classifier with the softmax (cross-entropy) loss."""

    def loss(self, X: np.ndarray, y: np.ndarray, reg: float) -> tuple[float, np.ndarray]:
        return softmax_loss_vectorized(self.W, X, y, reg, self.reg_type, self.l1_ratio)  # type: ignore[arg-type]


# ---------------------------------------------------------------- random search
@dataclass
class SearchResult:
    """Outcome of :func:`random_search`: one ``(learning_rate, reg, train_acc, val_acc)``
    per trial, the best validation accuracy and the model that reached it."""

    trials: list[tuple[float, float, float, float]] = field(default_factory=list)
    best_val: float = -1.0
    best_params: dict[str, float] = field(default_factory=dict)
    best_model: Any = None


def random_search(
    make_model: Any,
    X_train: Any,
    y_train: Any,
    X_val: Any,
    y_val: Any,
    learning_rates: tuple[float, float] = (1e-7, 1e-5),
    regs: tuple[float, float] = (1e2, 1e5),
    n_iter: int = 10,
    num_iters: int = 1500,
    batch_size: int = 200,
    seed: int = 0,
    verbose: bool = False,
) -> SearchResult:
    """Random search over the learning rate and the regularisation strength, both drawn
    log-uniformly from their (low, high) ranges; each trial trains ``make_model()`` on the
    training split and is scored on the validation split.

    make_model: a callable returning a fresh :class:`LinearClassifier` (e.g. ``LinearSVM``).
    """
    for name, (lo, hi) in (("learning_rates", learning_rates), ("regs", regs)):
        if not 0 < lo <= hi:
            raise ValueError(
                f"random_search: {name} must be (low, high) with 0 < low <= high, got {(lo, hi)!r}"
            )
    if n_iter < 1:
        raise ValueError(f"random_search: n_iter must be >= 1, got {n_iter!r}")
    rng = np.random.default_rng(seed)
    result = SearchResult()
    for _ in range(n_iter):
        lr = float(10 ** rng.uniform(np.log10(learning_rates[0]), np.log10(learning_rates[1])))
        reg = float(10 ** rng.uniform(np.log10(regs[0]), np.log10(regs[1])))
        model = make_model()
        model.train(X_train, y_train, lr, reg, num_iters, batch_size)
        tr, va = model.score(X_train, y_train), model.score(X_val, y_val)
        result.trials.append((lr, reg, tr, va))
        if verbose:
            print(f"lr {lr:.3e} reg {reg:.3e}: train {tr:.4f} val {va:.4f}")
        if va > result.best_val:
            result.best_val = va
            result.best_params = {"learning_rate": lr, "reg": reg}
            result.best_model = model
    return result


def plot_templates(
    W: np.ndarray,
    path: str,
    image_shape: tuple[int, ...] = (32, 32, 3),
    class_names: list[str] | None = None,
) -> None:
    """Save the weights as one image per class (PNG): W (D, C) with D = prod(image_shape),
    each column rescaled to 0..255 on its own (the course's "templates")."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    W = np.asarray(W)
    if W.ndim != 2 or W.shape[0] != int(np.prod(image_shape)):
        raise ValueError(
            f"plot_templates: W must be (D, C) with D = prod{image_shape} = "
            f"{int(np.prod(image_shape))}, got {W.shape}"
        )
    C = W.shape[1]
    fig, axes = plt.subplots(1, C, figsize=(1.3 * C, 1.6), squeeze=False)
    for c in range(C):
        w = W[:, c].astype(np.float64)
        img = (255.0 * (w - w.min()) / max(float(np.ptp(w)), 1e-12)).reshape(image_shape)
        ax = axes[0, c]
        ax.imshow(img.astype(np.uint8), cmap="gray" if len(image_shape) == 2 else None)
        ax.set_axis_off()
        ax.set_title(class_names[c] if class_names else str(c), fontsize=8)
    fig.tight_layout()
    _save_fig(fig, path)
    plt.close(fig)


def _save_fig(fig: Any, path: str) -> None:
    """Write a matplotlib figure atomically (temporary file, then rename)."""
    import os
    import tempfile

    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, suffix=".png")
    os.close(fd)
    try:
        fig.savefig(tmp, format="png", dpi=100)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
