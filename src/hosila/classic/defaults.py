"""Default hyperparameters of ``hosila linear``, per data set, features and loss.

Each entry was chosen on validation data only (never the test set): a search on the
validation split (the command's default size: 10 % of the training images, at most 1 000;
seed 0) or cross-validation on the training images, as noted per entry. docs/classic.md
gives the commands and the accuracies they reach. A data set without an entry (``folder``,
``mnist``) takes the centre of the search ranges of its features. ``lr_range`` /
``reg_range`` are what ``--search N`` draws from (log-uniformly).
"""

from __future__ import annotations

from typing import Any

# the search ranges of --search, per kind of features
SEARCH_RANGES: dict[str, dict[str, tuple[float, float]]] = {
    "raw": {"lr_range": (1e-4, 2e-3), "reg_range": (1e-2, 1e0)},
    "hog+color": {"lr_range": (1e-3, 1e-1), "reg_range": (1e-4, 1e0)},
}
# digits: the wide ranges the defaults below were searched in
_DIGITS_RANGES: dict[str, dict[str, tuple[float, float]]] = {
    "raw": {"lr_range": (1e-4, 1e0), "reg_range": (1e-5, 1e0)},
    "hog+color": {"lr_range": (1e-4, 1e0), "reg_range": (1e-5, 1e0)},
}

# (data, features, loss) -> learning rate, regularisation, SGD steps (batch 200)
LINEAR: dict[tuple[str, str, str], dict[str, float]] = {
    # digits, raw: the best mean accuracy of 5-fold cross-validation on the 1 438 training
    # images (grid: lr 1e-3..1 in 7 log steps, reg 1e-5..1e-2, 1 500 or 4 000 steps)
    ("digits", "raw", "svm"): {"lr": 3.16e-2, "reg": 1e-2, "num_iters": 1500},
    ("digits", "raw", "softmax"): {"lr": 1.0, "reg": 1e-3, "num_iters": 4000},
    # digits, HOG: the best validation accuracy of a 40-trial random search (lr 1e-4..1,
    # reg 1e-5..1, log-uniform, seed 0, on the default 144 validation images)
    ("digits", "hog+color", "svm"): {"lr": 6.3e-3, "reg": 9.6e-2, "num_iters": 1500},
    ("digits", "hog+color", "softmax"): {"lr": 1.9e-2, "reg": 4.1e-4, "num_iters": 1500},
    # CIFAR-10: the values --search 8 chose in docs/results.md
    ("cifar10", "raw", "svm"): {"lr": 8.9e-4, "reg": 2.2e-2, "num_iters": 3000},
    ("cifar10", "raw", "softmax"): {"lr": 1.15e-3, "reg": 1.0e-2, "num_iters": 3000},
    ("cifar10", "hog+color", "svm"): {"lr": 1.2e-3, "reg": 1.2e-4, "num_iters": 1500},
    ("cifar10", "hog+color", "softmax"): {"lr": 2.9e-2, "reg": 5.0e-4, "num_iters": 1500},
}

# (data, features) -> the two-layer net's learning rate, weight decay and epochs (Adam)
TWO_LAYER: dict[tuple[str, str], dict[str, float]] = {
    ("cifar10", "hog+color"): {"lr": 1e-3, "reg": 1e-3, "epochs": 15},
}
_TWO_LAYER_FALLBACK = {"lr": 1e-3, "reg": 1e-4, "epochs": 10}


def linear_defaults(data: str, features: str, loss: str) -> dict[str, Any]:
    """``lr``, ``reg``, ``num_iters`` and the search ranges ``lr_range`` / ``reg_range``
    for a linear classifier (``loss`` 'svm' or 'softmax') on ``features`` of ``data``."""
    if features not in SEARCH_RANGES:
        raise ValueError(f"--features must be one of {', '.join(SEARCH_RANGES)}, got {features!r}")
    if loss not in ("svm", "softmax"):
        raise ValueError(f"--loss must be 'svm' or 'softmax', got {loss!r}")
    ranges = (_DIGITS_RANGES if data == "digits" else SEARCH_RANGES)[features]
    entry = LINEAR.get((data, features, loss))
    if entry is None:  # the geometric centre of the ranges, the course's 1 500 steps
        (lr_lo, lr_hi), (reg_lo, reg_hi) = ranges["lr_range"], ranges["reg_range"]
        entry = {"lr": (lr_lo * lr_hi) ** 0.5, "reg": (reg_lo * reg_hi) ** 0.5, "num_iters": 1500}
    return {**entry, "num_iters": int(entry["num_iters"]), **ranges}


def two_layer_defaults(data: str, features: str) -> dict[str, Any]:
    """``lr``, ``reg`` (weight decay) and ``epochs`` of the two-layer net (``--hidden``)."""
    entry = TWO_LAYER.get((data, features), _TWO_LAYER_FALLBACK)
    return {**entry, "epochs": int(entry["epochs"])}
