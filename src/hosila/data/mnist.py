"""MNIST (and Fashion-MNIST) from the official IDX files.

Expected layout (each file may also be gzipped, with ``.gz`` appended)::

    root/train-images-idx3-ubyte    60 000 images, 28×28, uint8
    root/train-labels-idx1-ubyte    60 000 labels, 0-9
    root/t10k-images-idx3-ubyte     10 000 test images
    root/t10k-labels-idx1-ubyte     10 000 test labels

The files may also sit in ``root/MNIST/raw/`` (torchvision's layout). IDX files start
with a magic number (``0x00000803`` for the images, ``0x00000801`` for the labels) and the
big-endian sizes; both are checked against the file length.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from hosila.data._files import read_idx, read_maybe_gzip
from hosila.data.dataset import ArrayDataset


class MNIST(ArrayDataset):
    """MNIST handwritten digits: 60 000 training and 10 000 test images, 28×28 grey.

    Args:
        root: folder holding the four IDX files (raw or ``.gz``), directly or in
            ``MNIST/raw/``.
        train: the training files (True) or the ``t10k`` test files (False).
        transform, target_transform: see :class:`~hosila.data.ArrayDataset`.

    Attributes: ``data`` uint8 (N, 28, 28), ``targets`` int64 (N,), ``classes``.
    """

    folder: ClassVar[str] = "MNIST"
    url: ClassVar[str] = (
        "http://yann.lecun.com/exdb/mnist/ (mirror: https://ossci-datasets.s3.amazonaws.com/mnist/)"
    )
    classes_default: ClassVar[tuple[str, ...]] = tuple(
        f"{d} - {w}"
        for d, w in enumerate(
            ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
        )
    )

    def __init__(
        self,
        root: str | os.PathLike[str],
        train: bool = True,
        transform: Callable[..., Any] | None = None,
        target_transform: Callable[..., Any] | None = None,
    ) -> None:
        self.root = Path(root).expanduser()
        self.train = bool(train)
        prefix = "train" if self.train else "t10k"
        images_path = self._find(f"{prefix}-images-idx3-ubyte")
        labels_path = self._find(f"{prefix}-labels-idx1-ubyte")
        images = read_idx(read_maybe_gzip(images_path), str(images_path))
        labels = read_idx(read_maybe_gzip(labels_path), str(labels_path))
        if images.dtype != np.uint8 or images.ndim != 3:
            raise ValueError(
                f"{images_path}: expected uint8 images (magic 0x00000803, N×rows×cols), "
                f"got {images.dtype} of shape {images.shape}"
            )
        if labels.dtype != np.uint8 or labels.ndim != 1:
            raise ValueError(
                f"{labels_path}: expected uint8 labels (magic 0x00000801, N), got "
                f"{labels.dtype} of shape {labels.shape}"
            )
        if images.shape[0] != labels.shape[0]:
            raise ValueError(
                f"{images_path} has {images.shape[0]} images but {labels_path} has "
                f"{labels.shape[0]} labels"
            )
        n_classes = len(self.classes_default)
        if labels.size and labels.max() >= n_classes:
            raise ValueError(
                f"{labels_path}: labels must lie in [0, {n_classes}), got {labels.max()}"
            )
        super().__init__(
            images, labels.astype(np.int64), self.classes_default, transform, target_transform
        )

    def _find(self, stem: str) -> Path:
        for folder in (self.root, self.root / self.folder / "raw", self.root / "raw"):
            for name in (stem, stem + ".gz"):
                if (folder / name).is_file():
                    return folder / name
        names = [
            "train-images-idx3-ubyte",
            "train-labels-idx1-ubyte",
            "t10k-images-idx3-ubyte",
            "t10k-labels-idx1-ubyte",
        ]
        listing = "\n".join(f"  {self.root}/{n}[.gz]" for n in names)
        raise FileNotFoundError(
            f"{type(self).__name__}: {stem}[.gz] not found in {self.root} (nor in "
            f"{self.root}/{self.folder}/raw). Expected the four IDX files:\n{listing}\n"
            f"Download them from {self.url} into {self.root} (gzipped is fine)."
        )


class FashionMNIST(MNIST):
    """Fashion-MNIST (Zalando): the same file names and format as :class:`MNIST`, with
    10 kinds of clothing; files in ``root`` or ``root/FashionMNIST/raw``."""

    folder = "FashionMNIST"
    url = "https://github.com/zalandoresearch/fashion-mnist (data/fashion)"
    classes_default = (
        "T-shirt/top",
        "Trouser",
        "Pullover",
        "Dress",
        "Coat",
        "Sandal",
        "Shirt",
        "Sneaker",
        "Bag",
        "Ankle boot",
    )
