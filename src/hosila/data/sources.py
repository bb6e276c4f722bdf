"""One way to open a data set by name, shared by every command (``hosila train``,
``evaluate``, ``knn``, ``linear``, ``data``), and a seeded class-stratified subset.

* :func:`read_split` reads one part (train or test) of ``digits``, ``cifar10`` (the official
  python batches or archive, or an image-folder copy with ``train/<class>/`` and
  ``test/<class>/``, such as the CIFAR-10 JPEG copy), ``mnist`` (IDX files) or ``folder``
  (``ROOT/<class>/*`` or ``ROOT/{train,test}/<class>/*``) as uint8 images, int64 labels and
  class names;
* :func:`stratified_indices` picks ``n`` examples with every class represented in
  proportion to its size, seeded: what ``--limit`` and the prediction grids take, so a
  class-sorted folder never yields a test set of airplanes only.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

DATA_SETS = ("digits", "cifar10", "mnist", "folder")
DEFAULT_CIFAR_ROOT = "~/.cache/hosila/cifar10"


def digits_uint8(train: bool) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """The 8×8 digits as ordinary 8-bit grey images: uint8 ``(N, 8, 8)`` (counts 0..16
    scaled to 0..255), labels int64 ``(N,)`` and the class names."""
    from hosila.data.digits import Digits

    ds = Digits(train=train)
    # counts 0..16 -> 0..255, so that the images are ordinary 8-bit grey images (as an
    # image file given to `hosila predict` is)
    data = ((ds.data.astype(np.uint16) * 255 + 8) // 16).astype(np.uint8)
    return data, ds.targets, ds.classes


def has_split_folders(root: Path) -> bool:
    """Whether ``root`` holds a ``train/`` folder (the ``{train,test}/<class>/`` layout)."""
    return (root / "train").is_dir()


def _folder(root: Path, size: tuple[int, int] | None, mode: str) -> tuple:
    from hosila.data.folder import ImageFolder

    ds = ImageFolder(root, size=size, mode=mode)
    return ds.data, ds.targets, ds.classes


def read_split(
    data: str,
    root: str | None,
    train: bool,
    size: tuple[int, int] | None = None,
    mode: str = "RGB",
) -> tuple[np.ndarray, np.ndarray, list[str]] | None:
    """One part of the data set ``data`` (one of :data:`DATA_SETS`).

    Args:
        data: ``digits``, ``cifar10``, ``mnist`` or ``folder``.
        root: where its files are (not used for ``digits``; ``cifar10`` defaults to
            :data:`DEFAULT_CIFAR_ROOT`).
        train: the training part (True) or the test part (False).
        size: ``(H, W)`` to resize image-folder images to on load (None: as stored).
        mode: ``"RGB"`` or ``"L"`` for image-folder images.

    Returns:
        ``(images uint8 (N, H, W[, C]), labels int64 (N,), class names)``, or ``None``
        when the data set has no such part (a folder without ``test/``).
    """
    if data == "digits":
        return digits_uint8(train)
    if data == "mnist":
        from hosila.data.mnist import MNIST

        if root is None:
            raise ValueError("--data mnist needs --root DIR (the folder with the IDX files)")
        ds = MNIST(root, train=train)
        return ds.data, ds.targets, ds.classes
    if data == "cifar10":
        from hosila.data.cifar import CIFAR10

        path = Path(root or DEFAULT_CIFAR_ROOT).expanduser()
        official = (path / "cifar-10-batches-py").is_dir() or (
            path / "cifar-10-python.tar.gz"
        ).is_file()
        if official or not has_split_folders(path):
            ds = CIFAR10(path, train=train)
            return ds.data, ds.targets, ds.classes
        folder = path / ("train" if train else "test")
        if not folder.is_dir():
            return None
        return _folder(folder, size, mode)
    if data == "folder":
        if root is None:
            raise ValueError("--data folder needs --root DIR (a folder of class folders)")
        path = Path(root).expanduser()
        if not path.is_dir():
            raise FileNotFoundError(f"--root {path} is not a folder")
        if has_split_folders(path):
            path = path / ("train" if train else "test")
            if not path.is_dir():
                return None
        elif not train:
            return None
        return _folder(path, size, mode)
    raise ValueError(f"--data must be one of {', '.join(DATA_SETS)}, got {data!r}")


def stratified_indices(labels: np.ndarray, n: int, seed: int = 0) -> np.ndarray:
    """``n`` indices into ``labels`` (shape ``(N,)``), sorted, with each class represented
    in proportion to its count (largest remainders get the leftover places, ties to the
    smaller class index) and the members of each class drawn at random with ``seed``.

    ``n >= N`` returns all indices. Raises ValueError for ``n < 1`` or labels that are
    not one-dimensional."""
    labels = np.asarray(labels)
    if labels.ndim != 1:
        raise ValueError(f"labels must be one-dimensional, got shape {labels.shape}")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be an integer >= 1, got {n!r}")
    total = labels.size
    if n >= total:
        return np.arange(total)
    classes, inverse, counts = np.unique(labels, return_inverse=True, return_counts=True)
    exact = counts * (n / total)
    quota = np.floor(exact).astype(np.int64)
    left = n - int(quota.sum())
    if left:
        # the largest remainders first; ties go to the smaller class index (stable sort)
        order = np.argsort(-(exact - quota), kind="stable")
        quota[order[:left]] += 1
    rng = np.random.default_rng(seed)
    chosen = []
    for c in range(classes.size):
        members = np.flatnonzero(inverse == c)
        chosen.append(rng.choice(members, size=int(quota[c]), replace=False))
    return np.sort(np.concatenate(chosen))
