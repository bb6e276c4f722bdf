"""Digits: the 8×8 handwritten digits that ship inside hosila (no download needed).

1 797 images from the UCI "Optical Recognition of Handwritten Digits" data set
(Alpaydin & Kaynak, 1998, CC BY 4.0), as embedded in scikit-learn's ``load_digits``;
stored in ``hosila/data/digits.npz`` by ``hosila/data/_make_digits.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources
from typing import Any

import numpy as np

from hosila.data.dataset import ArrayDataset


def _load_file() -> dict[str, np.ndarray]:
    with resources.files("hosila.data").joinpath("digits.npz").open("rb") as f:
        with np.load(f, allow_pickle=False) as z:
            return {k: z[k] for k in ("images", "targets", "train")}


class Digits(ArrayDataset):
    """Scikit-learn's 8×8 digits: 1 797 grey images of the digits 0-9, each pixel the
    count (0-16) of inked pixels in a 4×4 block of the original 32×32 bitmap.

    Args:
        train: the training part (1 438 images) or the test part (359): a fixed
            stratified 80/20 split (20 % of each class, drawn once with seed 0 and stored
            with the data), so the two never overlap. ``None`` gives all 1 797.
        transform, target_transform: see :class:`~hosila.data.ArrayDataset`; they
            receive the float tensors described below.
        flatten: hand out vectors (64,) instead of (1, 8, 8) images.

    ``dataset[i]`` is ``(x, label)`` with ``x`` float32 (1, 8, 8) in [0, 1]
    (``count / 16``), so it is ready for a network as it is (``ToTensor`` leaves it
    unchanged). ``data`` keeps the original counts: uint8 (N, 8, 8), 0-16.
    """

    def __init__(
        self,
        train: bool | None = True,
        transform: Callable[..., Any] | None = None,
        target_transform: Callable[..., Any] | None = None,
        flatten: bool = False,
    ) -> None:
        arrays = _load_file()
        if train is None:
            keep = np.ones(arrays["targets"].shape, dtype=bool)
        else:
            keep = arrays["train"] if train else ~arrays["train"]
        self.train = train
        self.flatten = bool(flatten)
        classes = [str(d) for d in range(10)]
        super().__init__(
            arrays["images"][keep], arrays["targets"][keep], classes, transform, target_transform
        )

    def _images(self, index: int | np.ndarray) -> np.ndarray:
        x = self.data[index].astype(np.float32) / np.float32(16)
        if self.flatten:
            return x.reshape(*x.shape[:-2], 64)
        return x[..., None, :, :]
