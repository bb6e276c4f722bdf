"""One way to open a data set by name, shared by every command (``hosila train``,
``evaluate``, ``knn``, ``linear``, ``data``), and a seeded class-stratified subset.

* :func:`open_split` opens one part (train or test) of ``digits``, ``cifar10`` (the
  official python batches or archive, or an image-folder copy with ``train/<class>/`` and
  ``test/<class>/``, such as the CIFAR-10 JPEG copy), ``mnist`` (IDX files), ``folder``
  (``ROOT/<class>/*`` or ``ROOT/{train,test}/<class>/*``) or ``cifar100`` (official files,
  for ``hosila data``) as a data set object; :func:`read_split` gives its arrays (uint8
  images, int64 labels, class names). A wrong ``--root`` is reported here, once for every
  command, with both layouts and the command-line options that fix it;
* :func:`stratified_indices` picks ``n`` examples with every class represented in
  proportion to its size, seeded: what ``--limit``, ``--train-size`` / ``--test-size`` and
  the prediction grids take, so a class-sorted folder never yields a test set of airplanes
  only.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from hosila.data.dataset import ArrayDataset

DATA_SETS = ("digits", "cifar10", "mnist", "folder")
DEFAULT_CIFAR_ROOT = "~/.cache/hosila/cifar10"
# what `hosila data` can also describe (official files only; not a training set here)
EXTRA_DATA_SETS = ("cifar100",)
_MNIST_FILES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)


def digits_uint8(train: bool) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """The 8×8 digits as ordinary 8-bit grey images: uint8 ``(N, 8, 8)`` (counts 0..16
    scaled to 0..255), labels int64 ``(N,)`` and the class names."""
    from hosila.data.digits import Digits

    ds = Digits(train=train)
    return _digits_to_uint8(ds.data), ds.targets, ds.classes


def _digits_to_uint8(counts: np.ndarray) -> np.ndarray:
    # counts 0..16 -> 0..255, so that the images are ordinary 8-bit grey images (as an
    # image file given to `hosila predict` is)
    return ((counts.astype(np.uint16) * 255 + 8) // 16).astype(np.uint8)


def has_split_folders(root: Path) -> bool:
    """Whether ``root`` holds a ``train/`` folder (the ``{train,test}/<class>/`` layout)."""
    return (root / "train").is_dir()


def _folder_layouts(path: Path) -> str:
    return (
        f"image folders {path}/train/<class>/* and {path}/test/<class>/* (one sub-folder "
        f"per class, e.g. the CIFAR-10 JPEG copy), or {path}/<class>/* (a training part only)"
    )


def _cifar_layouts(path: Path, cls: type, name: str) -> str:
    official = (
        f"the official python version ({path}/{cls.base_folder}/ or the archive "
        f"{path}/{cls.filename})"
    )
    if name != "cifar10":
        return official
    return (
        f"{official}, or an image-folder copy ({path}/train/<class>/*.jpg and "
        f"{path}/test/<class>/*.jpg)"
    )


def _cifar_missing(path: Path, cls: type, name: str, detail: str) -> FileNotFoundError:
    return FileNotFoundError(
        f"--root {path}: {detail}. Expected {_cifar_layouts(path, cls, name)}. Give the "
        f"folder that holds them with --root DIR, or fetch the official archive into it "
        f"with 'hosila data {name} DIR --download' ({cls.url})"
    )


def _has_official(path: Path, cls: type, train: bool) -> bool:
    split = cls.train_list if train else cls.test_list
    return (
        (path / cls.base_folder).is_dir()
        or (path / cls.filename).is_file()
        or all((path / n).is_file() for n in split)
    )


def _open_cifar(
    name: str, root: str | None, train: bool, download: bool, folder_options: dict
) -> ArrayDataset | None:
    from hosila.data.cifar import CIFAR10, CIFAR100

    cls = CIFAR10 if name == "cifar10" else CIFAR100
    if root is None and name != "cifar10":
        raise ValueError(
            f"--data {name} needs --root DIR ({_cifar_layouts(Path('DIR'), cls, name)})"
        )
    path = Path(root or DEFAULT_CIFAR_ROOT).expanduser()
    default = " (the default --root)" if root is None else ""
    if uses_image_folder(name, root, train):
        folder = path / ("train" if train else "test")
        if not folder.is_dir():
            return None
        return _open_folder(folder, folder_options, path)
    if not download:
        if not path.is_dir():
            raise _cifar_missing(path, cls, name, f"no such folder{default}")
        if not _has_official(path, cls, train):
            title = cls.__name__.replace("CIFAR", "CIFAR-")
            raise _cifar_missing(path, cls, name, f"no {title} files there{default}")
    try:
        return cls(path, train=train, download=download)
    except FileNotFoundError:
        part = "training" if train else "test"
        files = ", ".join((*cls.train_list, *cls.test_list) if train else cls.test_list)
        raise _cifar_missing(path, cls, name, f"the {part} files ({files}) are missing") from None


def _open_folder(path: Path, options: dict, root: Path | None = None) -> ArrayDataset:
    from hosila.data.folder import ImageFolder

    shown = root or path
    try:
        return ImageFolder(path, **options)
    except FileNotFoundError as exc:
        # ImageFolder's own help shows Python calls; the command line needs the layouts
        first = str(exc).split("\n", 1)[0].rstrip(".")
        raise FileNotFoundError(
            f"--root {shown}: {first}. Expected {_folder_layouts(shown)}"
        ) from None


def _open_mnist(root: str | None, train: bool, download: bool) -> ArrayDataset:
    from hosila.data.mnist import MNIST

    files = ", ".join(f"{n}[.gz]" for n in _MNIST_FILES)
    if root is None:
        raise ValueError(f"--data mnist needs --root DIR (the folder with the IDX files {files})")
    path = Path(root).expanduser()
    try:
        return MNIST(path, train=train, download=download)
    except FileNotFoundError:
        raise FileNotFoundError(
            f"--root {path}: the MNIST IDX files are not there. Expected {files} in "
            f"{path}/ (or in {path}/MNIST/raw/). Give their folder with --root DIR, or fetch "
            f"them with 'hosila data mnist DIR --download'"
        ) from None


def uses_image_folder(data: str, root: str | None, train: bool = True) -> bool:
    """Whether :func:`open_split` reads ``data`` under ``root`` from image folders (so that
    the ImageFolder cache options apply): always for ``folder``, for ``cifar10`` when
    ``root`` holds the ``train/`` / ``test/`` copy and not the official files."""
    if data == "folder":
        return True
    if data != "cifar10":
        return False
    from hosila.data.cifar import CIFAR10

    path = Path(root or DEFAULT_CIFAR_ROOT).expanduser()
    return not _has_official(path, CIFAR10, train) and has_split_folders(path)


def open_split(
    data: str,
    root: str | None,
    train: bool,
    size: tuple[int, int] | None = None,
    mode: str = "RGB",
    *,
    cache: bool = True,
    cache_dir: str | None = None,
    download: bool = False,
) -> ArrayDataset | None:
    """One part of the data set ``data`` as a data set object (``Digits``, ``CIFAR10``,
    ``MNIST``, ``ImageFolder``, ...), or ``None`` when it has no such part (a folder
    without ``test/``). The arguments are those of :func:`read_split`; ``digits`` keeps
    its counts 0..16 here."""
    if data == "digits":
        from hosila.data.digits import Digits

        if root is not None:
            raise ValueError(
                f"--root is not used by --data digits (the digits ship with hosila), got {root!r}"
            )
        return Digits(train=train)
    folder_options = {"size": size, "mode": mode, "cache": cache, "cache_dir": cache_dir}
    if data == "mnist":
        return _open_mnist(root, train, download)
    if data in ("cifar10", "cifar100"):
        return _open_cifar(data, root, train, download, folder_options)
    if data == "folder":
        if download:
            raise ValueError("--download fetches official data sets; --data folder has none")
        if root is None:
            raise ValueError(f"--data folder needs --root DIR ({_folder_layouts(Path('DIR'))})")
        path = Path(root).expanduser()
        if not path.is_dir():
            raise FileNotFoundError(
                f"--root {path} is not a folder. Expected {_folder_layouts(path)}"
            )
        if has_split_folders(path):
            part = path / ("train" if train else "test")
            if not part.is_dir():
                return None
            return _open_folder(part, folder_options, path)
        if not train:
            return None
        return _open_folder(path, folder_options)
    known = ", ".join(DATA_SETS + EXTRA_DATA_SETS)
    raise ValueError(f"--data must be one of {known}, got {data!r}")


def read_split(
    data: str,
    root: str | None,
    train: bool,
    size: tuple[int, int] | None = None,
    mode: str = "RGB",
    *,
    cache: bool = True,
    cache_dir: str | None = None,
    download: bool = False,
) -> tuple[np.ndarray, np.ndarray, list[str]] | None:
    """One part of the data set ``data`` (one of :data:`DATA_SETS`, or ``cifar100``).

    Args:
        data: ``digits``, ``cifar10``, ``mnist`` or ``folder`` (or ``cifar100``).
        root: where its files are (refused for ``digits``; ``cifar10`` defaults to
            :data:`DEFAULT_CIFAR_ROOT`).
        train: the training part (True) or the test part (False).
        size: ``(H, W)`` to resize image-folder images to on load (None: as stored).
        mode: ``"RGB"`` or ``"L"`` for image-folder images.
        cache, cache_dir: image folders: whether to use the decoded-array cache, and where
            it goes (None: ``~/.cache/hosila/imagefolder``).
        download: ``cifar10`` / ``cifar100`` / ``mnist``: fetch the official files into
            ``root`` when they are missing.

    Returns:
        ``(images uint8 (N, H, W[, C]), labels int64 (N,), class names)``, or ``None``
        when the data set has no such part (a folder without ``test/``). The digits come
        scaled to 0..255.

    Raises:
        FileNotFoundError: ``root`` lacks the files; the message shows the layouts
            expected and the options (``--root DIR``, ``--download``) that fix it.
        ValueError: an unknown ``data``, a missing ``root``, or a corrupt file.
    """
    ds = open_split(
        data, root, train, size, mode, cache=cache, cache_dir=cache_dir, download=download
    )
    if ds is None:
        return None
    images = _digits_to_uint8(ds.data) if data == "digits" else ds.data
    return images, ds.targets, list(ds.classes)


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
