"""ImageFolder: images sorted into one sub-folder per class, decoded once with Pillow
and cached on disk as a NumPy array so that the next load takes a fraction of a second.

Expected layout::

    root/
      airplane/0000.jpg
      airplane/0001.jpg
      ...
      truck/4999.jpg

Classes are the sub-folder names in sorted order (label 0 = first name); images are
found recursively inside each class folder and taken in sorted path order. Each file is
decoded by :func:`decode_image` (public, so that other readers such as ``hosila predict``
decode images the same way).
"""

from __future__ import annotations

import hashlib
import os
import struct
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from hosila.data._util import atomic_write, cache_home
from hosila.data.dataset import ArrayDataset

IMG_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")

# Bump when the cache file format or the decoding changes: old caches are then ignored.
_CACHE_VERSION = 3  # 3: 16-bit and float images scaled by their bit depth


def _layout_help(root: Path) -> str:
    return (
        f"ImageFolder expects one sub-folder per class under {root}, e.g.\n"
        f"  {root}/cat/0001.jpg\n"
        f"  {root}/dog/0001.png\n"
        f"The CIFAR-10 images used by hosila come as cifar10-jpg.tar.gz; unpack it with\n"
        f"  tar -xzf cifar10-jpg.tar.gz -C ~/.cache/hosila\n"
        f"and use ImageFolder('~/.cache/hosila/cifar10/train') (or .../test)."
    )


def _scan(
    root: Path, extensions: tuple[str, ...], is_valid_file: Callable[[str], bool] | None = None
) -> tuple[list[str], list[tuple[str, int]], list[str]]:
    """Classes, (path, label) samples and one fingerprint line per file."""
    if not root.is_dir():
        raise FileNotFoundError(f"image folder {root} does not exist.\n{_layout_help(root)}")
    classes = sorted(e.name for e in os.scandir(root) if e.is_dir() and not e.name.startswith("."))
    if not classes:
        raise FileNotFoundError(f"no class sub-folders in {root}.\n{_layout_help(root)}")
    samples: list[tuple[str, int]] = []
    lines: list[str] = []
    empty: list[str] = []
    prefix = len(os.path.join(str(root), ""))
    for label, name in enumerate(classes):
        found: list[tuple[str, int, int]] = []
        stack = [os.path.join(str(root), name)]
        while stack:
            with os.scandir(stack.pop()) as entries:
                for entry in entries:
                    if entry.name.startswith("."):
                        continue
                    if entry.is_dir():
                        stack.append(entry.path)
                    elif (
                        is_valid_file(entry.path)
                        if is_valid_file is not None
                        else entry.name.lower().endswith(extensions)
                    ) and entry.is_file():
                        st = entry.stat()
                        found.append((entry.path, st.st_size, st.st_mtime_ns))
        if not found:
            empty.append(name)
        found.sort()
        for path, size, mtime in found:
            samples.append((path, label))
            lines.append(f"{path[prefix:]}\t{label}\t{size}\t{mtime}")
    if empty:
        raise FileNotFoundError(
            f"no image files ({', '.join(extensions)}) in the class folder(s) "
            f"{empty} of {root}.\n{_layout_help(root)}"
        )
    return classes, samples, lines


def _high_depth_to_uint8(im: Any, path: str) -> np.ndarray | None:
    """An image whose samples are wider than 8 bits as uint8 (H, W), or ``None`` for
    an ordinary 8-bit image (Pillow converts those itself).

    * 16-bit grey (Pillow modes ``I;16*``; also ``I`` from PNG and PGM/PPM, which Pillow
      scales to the 16-bit range): ``round(v * 255 / 65535)``;
    * float (mode ``F``, e.g. a 32-bit float TIFF): values must lie in [0, 1] (the usual
      convention for float images) and become ``round(v * 255)``; any other range (or a
      NaN) is refused, since no scale can be read from the file;
    * 32-bit integers from other formats (mode ``I``): refused, the bit depth is unknown.
    """
    mode = im.mode
    if mode.startswith("I;16") or (mode == "I" and im.format in ("PNG", "PPM")):
        arr = np.asarray(im).astype(np.int64)
        if arr.size and (arr.min() < 0 or arr.max() > 65535):
            raise ValueError(
                f"{path}: 16-bit image with values in [{arr.min()}, {arr.max()}], "
                f"outside [0, 65535]"
            )
        return ((arr * 255 + 32767) // 65535).astype(np.uint8)
    if mode == "F":
        arr = np.asarray(im, dtype=np.float64)
        if arr.size and not (np.isfinite(arr).all() and arr.min() >= 0.0 and arr.max() <= 1.0):
            low, high = np.nanmin(arr), np.nanmax(arr)
            raise ValueError(
                f"{path}: float image with values in [{low:g}, {high:g}]"
                f"{' and NaN' if np.isnan(arr).any() else ''}: float images must lie in "
                f"[0, 1] (scaled by 255); convert it to 8 or 16 bits first"
            )
        return np.rint(arr * 255.0).astype(np.uint8)
    if mode == "I":
        raise ValueError(
            f"{path}: 32-bit integer {im.format or ''} image: its bit depth is unknown, so "
            f"it cannot be scaled to 8 bits; convert it to an 8- or 16-bit image first"
        )
    return None


def decode_image(
    path: str | os.PathLike[str], mode: str = "RGB", size: int | tuple[int, int] | None = None
) -> np.ndarray:
    """Decode one image file with Pillow into uint8 (H, W, 3) for ``mode='RGB'`` or
    (H, W) for ``mode='L'`` (grey), resized (bilinear) to ``size=(H, W)`` if given.

    Samples wider than 8 bits are scaled by their real bit depth: 16-bit images by
    ``round(v * 255 / 65535)``, float images (which must lie in [0, 1]) by
    ``round(v * 255)``; 16-bit colour PNGs come from Pillow as 8 bits (the high byte).
    Raises ValueError naming ``path`` for a file Pillow cannot decode, a decompression
    bomb (more than twice ``PIL.Image.MAX_IMAGE_PIXELS`` pixels), a float image outside
    [0, 1] or an integer image of unknown bit depth."""
    from PIL import Image

    if mode not in ("RGB", "L"):
        raise ValueError(f"mode must be 'RGB' or 'L', got {mode!r}")
    if size is not None:
        size = (size, size) if isinstance(size, int) else (int(size[0]), int(size[1]))
        if min(size) < 1:
            raise ValueError(f"size must be positive (H, W), got {size}")
    path = os.fspath(path)
    try:
        with Image.open(path) as im:
            wide = _high_depth_to_uint8(im, path)
            if wide is not None:
                im = Image.fromarray(wide, mode="L")
            if im.mode != mode:
                im = im.convert(mode)
            if size is not None and im.size != (size[1], size[0]):
                im = im.resize((size[1], size[0]), Image.Resampling.BILINEAR)
            return np.asarray(im, dtype=np.uint8)
    except Image.DecompressionBombError as exc:
        raise ValueError(f"{path}: refusing a decompression bomb: {exc}") from None
    except ValueError as exc:
        if str(exc).startswith(path):
            raise  # ours, already naming the file
        raise ValueError(f"{path}: cannot decode image ({exc})") from None
    except (OSError, SyntaxError, EOFError, IndexError, TypeError, struct.error) as exc:
        raise ValueError(f"{path}: cannot decode image ({type(exc).__name__}: {exc})") from None


def _decode_all(
    paths: Sequence[str], mode: str, size: tuple[int, int] | None, num_workers: int | None
) -> np.ndarray:
    """Decode ``paths`` into one preallocated uint8 array (N, H, W[, C])."""
    first = decode_image(paths[0], mode, size)
    if num_workers is None:
        # Threads pay off only when decoding (which Pillow does without the GIL) outweighs
        # the per-file Python work (opening, parsing headers); for small images such as
        # CIFAR's 32x32 they only add contention, so one thread is used.
        big = first.shape[0] * first.shape[1] >= 128 * 128
        num_workers = min(8, os.cpu_count() or 1) if big else 1
    out = np.empty((len(paths), *first.shape), dtype=np.uint8)
    out[0] = first

    def work(start: int, stop: int) -> None:
        for i in range(start, stop):
            img = decode_image(paths[i], mode, size)
            if img.shape != first.shape:
                raise ValueError(
                    f"{paths[i]}: image has shape {img.shape} but {paths[0]} has "
                    f"{first.shape}; ImageFolder stacks all images into one array, so "
                    f"they must share a size: pass size=(H, W) to resize on load"
                )
            out[i] = img

    n = len(paths)
    workers = max(1, min(num_workers, (n - 1) // 256 + 1))
    if workers == 1:
        work(1, n)
    else:
        # Pillow releases the GIL while decoding, so threads overlap real work.
        bounds = np.linspace(1, n, 4 * workers + 1).astype(int)
        with ThreadPoolExecutor(max_workers=workers) as pool:
            futures = [
                pool.submit(work, int(a), int(b))
                for a, b in zip(bounds[:-1], bounds[1:], strict=True)
            ]
            for f in futures:
                f.result()
    return out


class ImageFolder(ArrayDataset):
    """Images in ``root/<class>/<file>``, decoded into one uint8 array in memory.

    Args:
        root: the folder holding one sub-folder per class.
        transform, target_transform: see :class:`~hosila.data.ArrayDataset`.
        mode: Pillow mode the images are converted to: ``'RGB'`` gives ``data`` of
            shape (N, H, W, 3), ``'L'`` (grey) gives (N, H, W).
        size: ``(H, W)`` to resize every image to on load (bilinear); by default all
            images must already share one size.
        extensions: file name endings that count as images (case-insensitive).
        is_valid_file: instead of ``extensions``, a function of the path that says
            whether a file is one of the images.
        cache: keep the decoded array on disk and reuse it while no image file has
            changed (the cache key is a SHA-256 of the folder's absolute path, every
            file's path, size and modification time, ``mode`` and ``size``).
        cache_dir: where cache files go (default ``~/.cache/hosila/imagefolder``, see
            :func:`hosila.data._util.cache_home`).
        num_workers: threads used to decode (default: 1 for images smaller than
            128×128, where threads do not help, else up to 8, one per CPU core).

    Attributes: ``data`` (uint8 (N, H, W, C)), ``targets`` (int64 (N,)), ``classes``,
    ``class_to_idx``, ``samples`` (list of ``(path, label)``), ``cache_path`` (the
    ``.npy`` cache file used, or ``None``), ``from_cache`` (whether this load came from it).
    """

    def __init__(
        self,
        root: str | os.PathLike[str],
        transform: Callable[..., Any] | None = None,
        target_transform: Callable[..., Any] | None = None,
        *,
        mode: str = "RGB",
        size: int | tuple[int, int] | None = None,
        extensions: Sequence[str] = IMG_EXTENSIONS,
        is_valid_file: Callable[[str], bool] | None = None,
        cache: bool = True,
        cache_dir: str | os.PathLike[str] | None = None,
        num_workers: int | None = None,
    ) -> None:
        if mode not in ("RGB", "L"):
            raise ValueError(f"mode must be 'RGB' or 'L', got {mode!r}")
        if isinstance(size, int):
            size = (size, size)
        if size is not None:
            size = (int(size[0]), int(size[1]))
            if min(size) < 1:
                raise ValueError(f"size must be positive (H, W), got {size}")
        exts = tuple(e.lower() if e.startswith(".") else "." + e.lower() for e in extensions)
        if not exts:
            raise ValueError("extensions must not be empty")
        self.root = Path(root).expanduser()
        if is_valid_file is not None and not callable(is_valid_file):
            raise TypeError(f"is_valid_file must be callable, got {type(is_valid_file).__name__}")
        classes, samples, lines = _scan(self.root, exts, is_valid_file)
        self.samples = samples
        targets = np.fromiter((s[1] for s in samples), dtype=np.int64, count=len(samples))
        paths = [s[0] for s in samples]

        key = hashlib.sha256()
        header = f"hosila-imagefolder v{_CACHE_VERSION} {self.root.resolve()} {mode} {size}\n"
        key.update(header.encode("utf-8", "surrogateescape"))
        key.update("\n".join(lines).encode("utf-8", "surrogateescape"))
        cache_root = Path(cache_dir).expanduser() if cache_dir else cache_home() / "imagefolder"
        self.cache_path = cache_root / f"{key.hexdigest()[:32]}.npy" if cache else None
        self.from_cache = False

        data = self._load_cache(len(samples)) if self.cache_path else None
        if data is None:
            workers = None if num_workers is None else max(1, int(num_workers))
            data = _decode_all(paths, mode, size, workers)
            if self.cache_path is not None:
                try:
                    with atomic_write(self.cache_path) as f:
                        np.save(f, data, allow_pickle=False)
                except OSError as exc:
                    warnings.warn(
                        f"could not write the ImageFolder cache {self.cache_path}: {exc}",
                        stacklevel=2,
                    )
        else:
            self.from_cache = True
        super().__init__(data, targets, classes, transform, target_transform)

    @property
    def imgs(self) -> list[tuple[str, int]]:
        """Same as ``samples`` (torchvision's older name)."""
        return self.samples

    def _load_cache(self, n: int) -> np.ndarray | None:
        """The cached array if a valid cache file exists, else ``None``. (The labels
        follow from the file list, which is part of the cache key, so only the images
        are stored.)"""
        assert self.cache_path is not None
        if not self.cache_path.is_file():
            return None
        try:
            data = np.load(self.cache_path, allow_pickle=False)
        except Exception as exc:  # a damaged cache is rebuilt, never trusted
            warnings.warn(f"ignoring unreadable cache {self.cache_path}: {exc}", stacklevel=3)
            return None
        if data.dtype != np.uint8 or data.ndim not in (3, 4) or data.shape[0] != n:
            warnings.warn(f"ignoring inconsistent cache {self.cache_path}", stacklevel=3)
            return None
        return data
