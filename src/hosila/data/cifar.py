"""CIFAR-10 (and CIFAR-100) from the official Python-version files.

Expected layout (what ``cifar-10-python.tar.gz`` unpacks to)::

    root/cifar-10-batches-py/data_batch_1 ... data_batch_5   (10 000 images each)
    root/cifar-10-batches-py/test_batch                       (10 000 images)
    root/cifar-10-batches-py/batches.meta                     (class names)

or the archive itself, ``root/cifar-10-python.tar.gz``, read without unpacking. Each
batch file is a pickle of a dict with ``data`` (uint8, (N, 3072): 1024 red, then 1024
green, then 1024 blue values, rows of 32) and ``labels`` (N ints). The pickles are read
with a restricted unpickler (:func:`hosila.data._files.safe_unpickle`), so a tampered
file cannot execute code or crash the interpreter, and every file (or archive member) is
checked against the largest size the format allows before it is read
(:attr:`CIFAR10.max_batch_bytes`, :attr:`CIFAR10.max_archive_bytes`), so a crafted
archive cannot fill the memory or the disk.
"""

from __future__ import annotations

import os
import tarfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from hosila.data._files import check_member_sizes, extract_folder, md5_of, safe_unpickle
from hosila.data._files import download as download_file
from hosila.data.dataset import ArrayDataset


def _key(d: dict[Any, Any], name: str) -> Any:
    """``d[name]`` whether the pickle stored the key as str or (Python 2) bytes."""
    if name in d:
        return d[name]
    return d.get(name.encode())


def _text(x: Any, where: str) -> str:
    """A class name from the meta file: str, or UTF-8 bytes (Python 2 strings)."""
    if isinstance(x, str):
        return x
    if isinstance(x, bytes):
        try:
            return x.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ValueError(f"{where}: a class name is not valid UTF-8: {exc}") from None
    raise ValueError(f"{where}: class names must be strings, got {type(x).__name__}")


def _int_labels(labels: Any, where: str, key: str) -> np.ndarray:
    """``labels`` (a list or tuple of ints, or an integer array) as int64 (N,); floats
    (even whole ones: the official files hold ints), bools and strings are refused,
    never truncated or converted."""
    if isinstance(labels, np.ndarray):
        if labels.dtype.kind not in "iu" or labels.ndim != 1:
            raise ValueError(f"{where}: {key!r} must be a list of ints, got {_describe(labels)}")
        return labels.astype(np.int64)
    if not isinstance(labels, (list, tuple)):
        raise ValueError(f"{where}: {key!r} must be a list of ints, got {type(labels).__name__}")
    for i, v in enumerate(labels):
        if type(v) is not int:
            raise ValueError(
                f"{where}: {key!r} must be a list of ints, but label {i} is "
                f"{type(v).__name__} {v!r:.40}"
            )
    try:
        return np.asarray(labels, dtype=np.int64).reshape(len(labels))
    except OverflowError:
        raise ValueError(f"{where}: {key!r} holds an int too large for int64") from None


class CIFAR10(ArrayDataset):
    """CIFAR-10: 50 000 training and 10 000 test colour images, 32×32, in 10 classes.

    Args:
        root: folder holding ``cifar-10-batches-py/`` or ``cifar-10-python.tar.gz``
            (or the ``cifar-10-batches-py`` folder itself).
        train: the five training batches (True) or the test batch (False).
        transform, target_transform: see :class:`~hosila.data.ArrayDataset`.
        download: fetch the official archive into ``root`` if the files are missing,
            check its MD5 and unpack it.

    Attributes: ``data`` uint8 (N, 32, 32, 3), ``targets`` int64 (N,), ``classes``.

    Size caps (class attributes, from the format): ``max_batch_bytes`` for one batch
    file (a CIFAR-10 batch of 10 000 images is 31 MB: 30.7 MB of pixels plus labels and
    file names), ``max_meta_bytes`` for the meta file and ``max_archive_bytes`` for all
    members of the archive together (the official one unpacks to 186 MB). A larger
    file or member is refused with a ValueError before it is read or unpacked.
    """

    url: ClassVar[str] = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
    filename: ClassVar[str] = "cifar-10-python.tar.gz"
    tgz_md5: ClassVar[str] = "c58f30108f718f92721af3b95e74349a"
    base_folder: ClassVar[str] = "cifar-10-batches-py"
    train_list: ClassVar[tuple[str, ...]] = tuple(f"data_batch_{i}" for i in range(1, 6))
    test_list: ClassVar[tuple[str, ...]] = ("test_batch",)
    meta_file: ClassVar[str] = "batches.meta"
    label_key: ClassVar[str] = "labels"
    names_key: ClassVar[str] = "label_names"
    num_classes: ClassVar[int] = 10
    max_batch_bytes: ClassVar[int] = 40 << 20
    max_meta_bytes: ClassVar[int] = 1 << 20
    max_archive_bytes: ClassVar[int] = 256 << 20

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
        names = [*self._split_files(), self.meta_file]
        files = self._read_files(names)
        parts = [self._parse_batch(files[n], n) for n in names[:-1]]
        data = np.concatenate([p[0] for p in parts])
        targets = np.concatenate([p[1] for p in parts])
        classes = self._parse_meta(files[self.meta_file], self.meta_file)
        super().__init__(data, targets, classes, transform, target_transform)

    # -- locating and reading the files --------------------------------------------------

    def _split_files(self) -> tuple[str, ...]:
        """The batch files of the chosen split."""
        return self.train_list if self.train else self.test_list

    def _folder(self) -> Path | None:
        """The folder holding this split's batch files (only those are required)."""
        for folder in (self.root / self.base_folder, self.root):
            if all((folder / n).is_file() for n in self._split_files()):
                return folder
        return None

    def _missing(self) -> FileNotFoundError:
        listing = "\n".join(
            f"  {self.root}/{self.base_folder}/{n}"
            for n in (*self.train_list, *self.test_list, self.meta_file)
        )
        return FileNotFoundError(
            f"{type(self).__name__} files not found in {self.root}. Expected\n{listing}\n"
            f"or the archive {self.root}/{self.filename}. Get it with "
            f"{type(self).__name__}(root, download=True), or download {self.url} and "
            f"unpack it: tar -xzf {self.filename} -C {self.root}"
        )

    def _read_files(self, names: list[str]) -> dict[str, bytes | None]:
        """The raw bytes of each named batch file (``None`` for a missing meta file)."""
        folder = self._folder()
        if folder is not None:
            out: dict[str, bytes | None] = {}
            for n in names:
                path = folder / n
                if not path.is_file():
                    out[n] = None
                    continue
                size, cap = path.stat().st_size, self._cap(n)
                if size > cap:
                    raise ValueError(
                        f"{path}: {size} bytes, more than the {cap} a {type(self).__name__} "
                        f"file can have ({type(self).__name__}.max_batch_bytes / "
                        f"max_meta_bytes); not a {type(self).__name__} file"
                    )
                out[n] = path.read_bytes()
            return out
        archive = self.root / self.filename
        if not archive.is_file():
            raise self._missing()
        return self._read_archive(archive, names)

    def _cap(self, name: str) -> int:
        """The largest size the format allows for the file ``name``."""
        return self.max_meta_bytes if name == self.meta_file else self.max_batch_bytes

    def _read_archive(self, archive: Path, names: list[str]) -> dict[str, bytes | None]:
        """The named members' bytes; every member's size (from its tar header) is
        checked against the caps before it is read or skipped."""
        out: dict[str, bytes | None] = {n: None for n in names}
        total = 0
        try:
            with tarfile.open(archive, "r:*") as tar:
                for member in tar:
                    total = check_member_sizes(
                        archive, member, total, self.max_batch_bytes, self.max_archive_bytes
                    )
                    base = member.name.rsplit("/", 1)[-1]
                    if base in out and member.isfile():
                        if member.size > self._cap(base):
                            raise ValueError(
                                f"{archive}: member {member.name!r} has {member.size} "
                                f"bytes, more than the {self._cap(base)} a "
                                f"{type(self).__name__} {base} file can have"
                            )
                        f = tar.extractfile(member)
                        assert f is not None
                        out[base] = f.read(member.size)
        except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
            raise ValueError(f"{archive}: corrupt or truncated archive: {exc}") from None
        missing = [n for n in names[:-1] if out[n] is None]
        if missing:
            raise ValueError(f"{archive}: the archive lacks the batch file(s) {missing}")
        return out

    def _parse_batch(self, raw: bytes | None, name: str) -> tuple[np.ndarray, np.ndarray]:
        """(images uint8 (N, 32, 32, 3), labels int64 (N,)) from one batch pickle."""
        where = f"{self.root}: {name}"
        if raw is None:
            raise self._missing()
        obj = safe_unpickle(raw, where)
        if not isinstance(obj, dict):
            raise ValueError(f"{where}: expected a pickled dict, got {type(obj).__name__}")
        data, labels = _key(obj, "data"), _key(obj, self.label_key)
        if data is None or labels is None:
            raise ValueError(f"{where}: the dict lacks 'data' or {self.label_key!r}")
        if not isinstance(data, np.ndarray) or data.dtype != np.uint8:
            raise ValueError(f"{where}: 'data' must be a uint8 array, got {_describe(data)}")
        if data.ndim != 2 or data.shape[1] != 3 * 32 * 32:
            raise ValueError(f"{where}: 'data' must have shape (N, 3072), got {data.shape}")
        labels = _int_labels(labels, where, self.label_key)
        if labels.shape != (data.shape[0],):
            raise ValueError(
                f"{where}: {data.shape[0]} images but {self.label_key!r} has shape {labels.shape}"
            )
        if labels.size and (labels.min() < 0 or labels.max() >= self.num_classes):
            raise ValueError(
                f"{where}: labels must lie in [0, {self.num_classes}), got "
                f"[{labels.min()}, {labels.max()}]"
            )
        images = data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
        return np.ascontiguousarray(images), labels

    def _parse_meta(self, raw: bytes | None, name: str) -> list[str]:
        if raw is None:  # not needed to read the images; fall back to the known names
            return list(self.default_classes())
        where = f"{self.root}: {name}"
        obj = safe_unpickle(raw, where)
        names = _key(obj, self.names_key) if isinstance(obj, dict) else None
        if not isinstance(names, (list, tuple)) or len(names) != self.num_classes:
            raise ValueError(
                f"{where}: expected {self.names_key!r}, a list of {self.num_classes} names"
            )
        return [_text(n, where) for n in names]

    @classmethod
    def default_classes(cls) -> tuple[str, ...]:
        return (
            "airplane",
            "automobile",
            "bird",
            "cat",
            "deer",
            "dog",
            "frog",
            "horse",
            "ship",
            "truck",
        )

    # -- download ---------------------------------------------------------------------------

    def download(self) -> None:
        """Fetch the official archive (unless this split's files are already there),
        check its MD5 and unpack it into ``root``."""
        if self._folder() is not None:
            return
        self.root.mkdir(parents=True, exist_ok=True)
        archive = self.root / self.filename
        if not (archive.is_file() and md5_of(archive) == self.tgz_md5):
            download_file(self.url, archive, self.tgz_md5)
        extract_folder(
            archive, self.base_folder, self.root, self.max_batch_bytes, self.max_archive_bytes
        )


class CIFAR100(CIFAR10):
    """CIFAR-100 (100 fine classes) from ``cifar-100-python/{train,test,meta}``; the same
    format and options as :class:`CIFAR10`."""

    url = "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"
    filename = "cifar-100-python.tar.gz"
    tgz_md5 = "eb9058c3a382ffc7106e4002c42a8d85"
    base_folder = "cifar-100-python"
    train_list = ("train",)
    test_list = ("test",)
    meta_file = "meta"
    label_key = "fine_labels"
    names_key = "fine_label_names"
    num_classes = 100
    max_batch_bytes = 192 << 20  # the training file: 50 000 images, 155 MB

    @classmethod
    def default_classes(cls) -> tuple[str, ...]:
        return tuple(str(i) for i in range(100))


def _describe(x: Any) -> str:
    if isinstance(x, np.ndarray):
        return f"array of {x.dtype} {x.shape}"
    return type(x).__name__
