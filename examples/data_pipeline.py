"""The data pipeline in one page: data sets, transforms, a DataLoader.

    python examples/data_pipeline.py                       # Digits only (no files needed)
    python examples/data_pipeline.py --cifar ~/.cache/hosila/cifar10

Loads the 8×8 digits that ship with hosila, then (with --cifar) the CIFAR-10 JPEG
folders, and iterates one augmented epoch, printing shapes, value ranges and timings.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from hosila.data import DataLoader, Digits, ImageFolder
from hosila.data import transforms as T

CIFAR_MEAN = [0.4914, 0.4822, 0.4465]
CIFAR_STD = [0.2470, 0.2435, 0.2616]


def as_numpy(x):
    """A loader output as a NumPy array (hosila Tensors keep theirs in ``.data``)."""
    return x if isinstance(x, np.ndarray) else x.data


def digits() -> None:
    train, test = Digits(train=True), Digits(train=False)
    print(f"Digits: {len(train)} training / {len(test)} test images, classes {train.classes}")
    loader = DataLoader(train, batch_size=64, shuffle=True, seed=0)
    x, y = next(iter(loader))
    x, y = as_numpy(x), as_numpy(y)
    print(f"  first batch: images {x.shape} {x.dtype} in [{x.min():.2f}, {x.max():.2f}], "
          f"labels {y.shape} {y.dtype}: {y[:10]}")  # fmt: skip


def cifar(root: Path) -> None:
    t = time.perf_counter()
    train = ImageFolder(root / "train")
    test = ImageFolder(root / "test")
    how = "from the cache" if train.from_cache else "decoded (cached for next time)"
    print(f"CIFAR-10: {len(train)} + {len(test)} images {how} in {time.perf_counter() - t:.1f} s")
    print(f"  data {train.data.shape} {train.data.dtype}, classes {train.classes}")

    train.transform = T.Compose(
        [
            T.RandomCrop(32, padding=4),
            T.RandomHorizontalFlip(),
            T.ToTensor(),
            T.Normalize(CIFAR_MEAN, CIFAR_STD),
        ]
    )
    loader = DataLoader(train, batch_size=128, shuffle=True, seed=0, prefetch=2)
    t = time.perf_counter()
    n = 0
    for x, _ in loader:
        n += len(as_numpy(x))
    dt = time.perf_counter() - t
    x = as_numpy(x)
    print(f"  one augmented epoch: {n} images in {dt:.2f} s ({n / dt:,.0f} images/s); last "
          f"batch {x.shape}, mean {x.mean():+.3f}, std {x.std():.3f}")  # fmt: skip

    # The course's preprocessing: subtract the mean training image.
    to_tensor = T.ToTensor()
    centre = T.SubtractMean.fit(to_tensor.apply_batch(train.data))  # mean image (3, 32, 32)
    test.transform = T.Compose([to_tensor, centre])
    x, _ = test[0]
    print(f"  mean-subtracted test image: {x.shape}, mean {x.mean():+.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cifar", type=Path, help="folder with cifar10/{train,test}")
    args = parser.parse_args()
    digits()
    if args.cifar is not None:
        cifar(args.cifar.expanduser())


if __name__ == "__main__":
    main()
