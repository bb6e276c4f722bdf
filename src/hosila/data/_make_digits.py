"""Regenerate ``digits.npz``, the 8×8 digits shipped inside hosila (run once; needs
scikit-learn, which hosila itself does not depend on)::

    python -m hosila.data._make_digits          # pip install -e '.[bench]' first

Source: the test part of the UCI "Optical Recognition of Handwritten Digits" data set
(E. Alpaydin, C. Kaynak, 1998; https://archive.ics.uci.edu/dataset/80; licence CC BY 4.0),
as embedded in scikit-learn (``sklearn.datasets.load_digits``): 1 797 images of 8×8
blocks, each value the number of inked pixels (0-16) in a 4×4 block of a 32×32 bitmap.

The file holds ``images`` (uint8, (1797, 8, 8), 0-16), ``targets`` (int64, (1797,)) and
``train`` (bool, (1797,)): a fixed stratified 80/20 split, drawn once here with
``numpy.random.default_rng(0)`` (per class, a random 20 % rounded to the nearest integer
goes to the test part) and stored, so it never depends on the NumPy version.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from hosila.data._util import atomic_write

TEST_FRACTION = 0.2
SEED = 0


def stratified_train_mask(targets: np.ndarray, test_fraction: float, seed: int) -> np.ndarray:
    """A boolean mask (N,): True for training examples, a random ``test_fraction`` of
    each class False."""
    rng = np.random.default_rng(seed)
    train = np.ones(targets.shape[0], dtype=bool)
    for c in np.unique(targets):
        idx = np.flatnonzero(targets == c)
        n_test = int(round(test_fraction * idx.size))
        train[rng.permutation(idx)[:n_test]] = False
    return train


def main() -> None:
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = digits.images
    if not np.array_equal(images, np.round(images)) or images.min() < 0 or images.max() > 16:
        raise ValueError("expected integer pixel counts 0-16 from load_digits")
    images = images.astype(np.uint8)
    targets = digits.target.astype(np.int64)
    train = stratified_train_mask(targets, TEST_FRACTION, SEED)
    out = Path(__file__).with_name("digits.npz")
    with atomic_write(out) as f:
        np.savez_compressed(f, images=images, targets=targets, train=train)
    print(
        f"wrote {out}: {images.shape[0]} images, {int(train.sum())} train / "
        f"{int((~train).sum())} test"
    )


if __name__ == "__main__":
    main()
