"""Loading the training and test images for the ``hosila knn`` / ``hosila linear`` commands.

The images come from :func:`hosila.data.sources.read_split`, the data-opening path every
command shares: ``digits`` (the 8x8 digits shipped with hosila, scaled to 0..255),
``cifar10`` (the official python batches or archive, or an image-folder copy with
``ROOT/train/<class>/*`` and ``ROOT/test/<class>/*`` such as the CIFAR-10 JPEG copy),
``mnist`` (IDX files) or ``folder`` (``ROOT/train/<class>/*`` and ``ROOT/test/<class>/*``).

A subset (``--train-size N`` / ``--test-size N``) is a seeded class-stratified choice
(:func:`hosila.data.sources.stratified_indices` with ``--seed``): every class in
proportion to its size, its members drawn at random -- never "the first N" files, which on
a class-sorted folder would all be airplanes. The same rule as ``hosila train --limit``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DATA_KINDS = ("digits", "cifar10", "mnist", "folder")


@dataclass
class Split:
    """Images ``(N, H, W[, C])`` uint8 and labels ``(N,)`` of one part, with class names."""

    images: np.ndarray
    labels: np.ndarray
    classes: list[str]


def _subset(images: np.ndarray, labels: np.ndarray, n: int | None, what: str, seed: int) -> tuple:
    if n is None:
        return images, labels
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 1 <= n <= len(labels):
        raise ValueError(f"--{what}-size must be between 1 and {len(labels)}, got {n!r}")
    from hosila.data.sources import stratified_indices

    keep = stratified_indices(labels, int(n), seed)
    return images[keep], labels[keep]


def load_splits(
    kind: str,
    root: str | None,
    train_size: int | None,
    test_size: int | None,
    seed: int = 0,
) -> tuple[Split, Split]:
    """``train_size`` training and ``test_size`` test images (all if None) of the data set
    ``kind`` (one of :data:`DATA_KINDS`) under ``root``, each a seeded class-stratified
    subset (``seed``). Images uint8 ``(N, H, W[, C])``, labels int64 ``(N,)``.

    Raises FileNotFoundError / ValueError (from :mod:`hosila.data.sources`) for a wrong
    ``root``, and ValueError for sizes out of range or a data set without a test part."""
    from hosila.data.sources import read_split

    if kind not in DATA_KINDS:
        raise ValueError(f"--data must be one of {', '.join(DATA_KINDS)}, got {kind!r}")
    parts = []
    for train, n, what in ((True, train_size, "train"), (False, test_size, "test")):
        part = read_split(kind, root, train)
        if part is None:
            raise ValueError(
                f"--root {root}: no test part; --data {kind} expects ROOT/train/<class>/* and "
                f"ROOT/test/<class>/* (a folder of class folders alone has no test images)"
            )
        images, labels = _subset(part[0], part[1], n, what, seed)
        parts.append(Split(np.ascontiguousarray(images), labels.astype(np.int64), part[2]))
    if parts[0].classes != parts[1].classes:
        raise ValueError(
            f"--root {root}: the test images have classes {parts[1].classes} but the "
            f"training images {parts[0].classes}"
        )
    return parts[0], parts[1]


def val_count(val_size: float | None, n: int) -> int:
    """How many of ``n`` training images to hold out: ``val_size`` a count (>= 1) or a
    fraction (0 < f < 1, rounded, at least 1); None: 10 % of them, at most 1 000 -- a
    fraction for small data sets (144 of the 1 437 digits), the course's 1 000 for CIFAR-10.
    Raises ValueError unless 1 <= count < n."""
    if val_size is None:
        count = min(1000, max(1, round(0.1 * n)))
    elif 0 < val_size < 1:
        count = max(1, round(val_size * n))
    elif float(val_size).is_integer():
        count = int(val_size)
    else:
        raise ValueError(f"--val-size must be a count or a fraction < 1, got {val_size!r}")
    if not 1 <= count < n:
        raise ValueError(
            f"--val-size must leave training images: between 1 and {n - 1} of the {n} "
            f"(or a fraction < 1), got {val_size!r}"
        )
    return count


def validation_split(
    images: np.ndarray, labels: np.ndarray, val_size: int, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A seeded random ``val_size`` examples held out for validation:
    (train images, train labels, val images, val labels)."""
    n = len(labels)
    if not 1 <= val_size < n:
        raise ValueError(f"--val-size must be between 1 and {n - 1}, got {val_size}")
    perm = np.random.default_rng(seed).permutation(n)
    val, tr = np.sort(perm[:val_size]), np.sort(perm[val_size:])
    return images[tr], labels[tr], images[val], labels[val]
