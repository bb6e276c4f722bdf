"""MNIST (and Fashion-MNIST) from the official IDX files.

Expected layout (each file may also be gzipped, with ``.gz`` appended)::

    root/train-images-idx3-ubyte    60 000 images, 28×28, uint8
    root/train-labels-idx1-ubyte    60 000 labels, 0-9
    root/t10k-images-idx3-ubyte     10 000 test images
    root/t10k-labels-idx1-ubyte     10 000 test labels

The files may also sit in ``root/MNIST/raw/`` (torchvision's layout). IDX files start
with a magic number (``0x00000803`` for the images, ``0x00000801`` for the labels) and the
big-endian sizes; both are checked against the file length. A gzipped file is inflated as
a stream and only as far as its header implies (at most :attr:`MNIST.max_file_bytes`), so
a decompression bomb is refused after reading a few bytes too many, not inflated whole.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from hosila.data._files import download as download_file
from hosila.data._files import read_idx_file
from hosila.data.dataset import ArrayDataset


class MNIST(ArrayDataset):
    """MNIST handwritten digits: 60 000 training and 10 000 test images, 28×28 grey.

    Args:
        root: folder holding the four IDX files (raw or ``.gz``), directly or in
            ``MNIST/raw/``.
        train: the training files (True) or the ``t10k`` test files (False).
        transform, target_transform: see :class:`~hosila.data.ArrayDataset`.
        download: fetch the missing files (gzipped, MD5-checked) into
            ``root/MNIST/raw``.

    Attributes: ``data`` uint8 (N, 28, 28), ``targets`` int64 (N,), ``classes``.

    ``max_file_bytes`` (class attribute): the largest size an IDX file's header may
    claim, 256 MiB (MNIST's training images are 47 MB); larger headers are refused.
    """

    folder: ClassVar[str] = "MNIST"
    max_file_bytes: ClassVar[int] = 256 << 20
    # Where download=True looks, in order, and the MD5 of each official file.
    mirrors: ClassVar[tuple[str, ...]] = (
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "http://yann.lecun.com/exdb/mnist/",
    )
    resources: ClassVar[tuple[tuple[str, str], ...]] = (
        ("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
        ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
        ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
        ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c"),
    )
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
        download: bool = False,
    ) -> None:
        self.root = Path(root).expanduser()
        self.train = bool(train)
        if download:
            self.download()
        prefix = "train" if self.train else "t10k"
        images_path = self._find(f"{prefix}-images-idx3-ubyte")
        labels_path = self._find(f"{prefix}-labels-idx1-ubyte")
        images = read_idx_file(images_path, self.max_file_bytes)
        labels = read_idx_file(labels_path, self.max_file_bytes)
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

    def download(self) -> None:
        """Fetch the four gzipped IDX files that are missing into ``root/<folder>/raw``,
        trying each mirror in turn and checking every file's MD5."""
        raw = self.root / self.folder / "raw"
        for filename, md5 in self.resources:
            stem = filename.removesuffix(".gz")
            if self._locate(stem) is not None:
                continue
            errors: list[Exception] = []
            for mirror in self.mirrors:
                try:
                    download_file(mirror + filename, raw / filename, md5)
                    break
                except (OSError, ValueError) as exc:
                    errors.append(exc)
            else:
                # A file that arrived but failed its MD5 check is a ValueError (bad data);
                # only unreachable mirrors make an OSError.
                kind = ValueError if any(isinstance(e, ValueError) for e in errors) else OSError
                detail = "; ".join(str(e) for e in errors)
                raise kind(f"could not download {filename}: {detail}")

    def _locate(self, stem: str) -> Path | None:
        for folder in (self.root, self.root / self.folder / "raw", self.root / "raw"):
            for name in (stem, stem + ".gz"):
                if (folder / name).is_file():
                    return folder / name
        return None

    def _find(self, stem: str) -> Path:
        found = self._locate(stem)
        if found is not None:
            return found
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
            f"Get them with {type(self).__name__}(root, download=True), or download them "
            f"from {self.url} into {self.root} (gzipped is fine)."
        )


class FashionMNIST(MNIST):
    """Fashion-MNIST (Zalando): the same file names and format as :class:`MNIST`, with
    10 kinds of clothing; files in ``root`` or ``root/FashionMNIST/raw``."""

    folder = "FashionMNIST"
    url = "https://github.com/zalandoresearch/fashion-mnist (data/fashion)"
    mirrors = ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",)
    resources = (
        ("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
        ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
        ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
        ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310"),
    )
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
