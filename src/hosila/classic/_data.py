"""Loading the training and test images for the ``hosila knn`` / ``hosila linear`` commands.

Which images "the first N" are:

* ``cifar10`` (the official python batches): file order, ``data_batch_1`` .. ``data_batch_5``
  then ``test_batch`` -- the course's "first 5 000 training / 500 test images";
* ``folder`` (an ImageFolder tree ``ROOT/train/<class>/*``, ``ROOT/test/<class>/*``, e.g. the
  JPEG copy of CIFAR-10): ImageFolder sorts by class, so taking the first N would give only
  airplanes. The order used instead is *round robin over the classes*: the first file (in
  sorted name order) of every class, then the second of every class, ... So the first N
  images are the first N / C files of each class: deterministic and class-balanced;
* ``digits`` (the 8x8 digits shipped with hosila): the stored order of its train / test parts.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

DATA_KINDS = ("cifar10", "folder", "digits")


@dataclass
class Split:
    """Images ``(N, H, W[, C])`` uint8 and labels ``(N,)`` of one part, with class names."""

    images: np.ndarray
    labels: np.ndarray
    classes: list[str]


def round_robin_order(labels: np.ndarray) -> np.ndarray:
    """Indices that visit the examples class by class in turn: the i-th example (in the
    current order) of class 0, of class 1, ..., then the (i+1)-th of each class."""
    labels = np.asarray(labels)
    order = np.argsort(labels, kind="stable")
    sorted_labels = labels[order]
    starts = np.searchsorted(sorted_labels, sorted_labels, side="left")
    rank = np.arange(labels.size) - starts  # position of each example within its class
    return order[np.lexsort((sorted_labels, rank))]


def _take(images: np.ndarray, labels: np.ndarray, n: int | None, what: str) -> tuple:
    if n is None:
        return images, labels
    if n < 1 or n > len(labels):
        raise ValueError(f"--{what}-size must be between 1 and {len(labels)}, got {n}")
    return images[:n], labels[:n]


def load_splits(
    kind: str, root: str | None, train_size: int | None, test_size: int | None
) -> tuple[Split, Split]:
    """The first ``train_size`` training and ``test_size`` test images (all if None) of the
    data set ``kind`` ('cifar10', 'folder' or 'digits') under ``root``."""
    from hosila import data

    if kind not in DATA_KINDS:
        raise ValueError(f"--data must be one of {', '.join(DATA_KINDS)}, got {kind!r}")
    if kind != "digits" and root is None:
        raise ValueError(f"--data {kind} needs --root DIR")
    parts = []
    for train in (True, False):
        ds: data.ArrayDataset
        if kind == "digits":
            ds = data.Digits(train=train)
            images, labels = ds.data, ds.targets
        elif kind == "cifar10":
            ds = data.CIFAR10(os.path.expanduser(str(root)), train=train)
            images, labels = ds.data, ds.targets
        else:
            sub = os.path.join(os.path.expanduser(str(root)), "train" if train else "test")
            if not os.path.isdir(sub):
                raise FileNotFoundError(f"--data folder expects {sub} (ROOT/train and ROOT/test)")
            ds = data.ImageFolder(sub)
            order = round_robin_order(ds.targets)
            n = train_size if train else test_size
            order = order if n is None else order[:n]
            images, labels = ds.data[order], ds.targets[order]
        images, labels = _take(
            images, labels, train_size if train else test_size, "train" if train else "test"
        )
        parts.append(Split(np.ascontiguousarray(images), labels.astype(np.int64), ds.classes))
    return parts[0], parts[1]


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
