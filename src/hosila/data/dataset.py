"""Data sets: the map-style :class:`Dataset` protocol, data sets held as whole arrays
(:class:`ArrayDataset`, :class:`TensorDataset`), :class:`Subset` and :func:`random_split`.

A data set is anything with ``__len__`` and ``__getitem__(i)`` returning one example
(usually ``(image, label)``). Data sets that hold their examples in arrays also offer
``_get_batch(indices, generator)``, which gathers a whole batch with one fancy index and
applies the transforms to the batch at once; :class:`~hosila.data.DataLoader` uses it
when it is there and otherwise collates examples one by one.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from hosila.data._util import as_array, resolve_generator


class Dataset:
    """Base class of map-style data sets: subclasses define ``__len__`` and
    ``__getitem__(index)``."""

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must define __len__")

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def __add__(self, other: Dataset) -> ConcatDataset:
        return ConcatDataset([self, other])


def _check_index(index: Any, n: int) -> int:
    """A Python int in ``[0, n)`` from ``index`` (negative indices count from the end)."""
    if isinstance(index, (bool, np.bool_)) or not isinstance(index, (int, np.integer)):
        raise TypeError(f"index must be an int, got {type(index).__name__}")
    i = int(index)
    if not -n <= i < n:
        raise IndexError(f"index {i} is out of range for a data set of length {n}")
    return i + n if i < 0 else i


def _check_indices(indices: Any, n: int) -> np.ndarray:
    """Indices as an int64 array in ``[0, n)``."""
    idx = np.asarray(indices)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"indices must be integers, got dtype {idx.dtype}")
    idx = idx.astype(np.int64, copy=False).reshape(-1)
    if idx.size and (idx.min() < -n or idx.max() >= n):
        raise IndexError(f"indices out of range for a data set of length {n}")
    return np.where(idx < 0, idx + n, idx)


class ArrayDataset(Dataset):
    """A labelled data set held in memory as two arrays.

    Attributes:
        data: the examples, ``(N, ...)``; images are ``uint8`` ``(N, H, W, C)`` or
            ``(N, H, W)`` for grey images, as decoded from the files.
        targets: ``int64`` labels, ``(N,)``.
        classes: the class names; ``targets`` index into it.
        transform: applied to each image (``dataset[i]``) or to a whole batch (the
            :class:`~hosila.data.DataLoader` fast path); see :mod:`hosila.data.transforms`.
        target_transform: applied to each label.

    ``dataset[i]`` returns ``(image, label)`` with ``label`` a Python ``int`` (before
    ``target_transform``).
    """

    def __init__(
        self,
        data: np.ndarray,
        targets: np.ndarray,
        classes: Sequence[str] | None = None,
        transform: Callable[..., Any] | None = None,
        target_transform: Callable[..., Any] | None = None,
    ) -> None:
        data = as_array(data)
        targets = as_array(targets)
        if targets.ndim != 1:
            raise ValueError(f"targets must be 1-D (N,), got shape {targets.shape}")
        if data.ndim < 1 or data.shape[0] != targets.shape[0]:
            raise ValueError(
                f"data and targets must have the same length, got data {data.shape} "
                f"and targets {targets.shape}"
            )
        if targets.dtype.kind not in "iu":
            raise TypeError(f"targets must be integers, got dtype {targets.dtype}")
        self.data = data
        self.targets = targets.astype(np.int64, copy=False)
        if classes is None:
            n_classes = int(self.targets.max()) + 1 if len(self.targets) else 0
            classes = [str(c) for c in range(n_classes)]
        self.classes = list(classes)
        self.transform = transform
        self.target_transform = target_transform

    @property
    def class_to_idx(self) -> dict[str, int]:
        """Map from class name to label."""
        return {name: i for i, name in enumerate(self.classes)}

    def __len__(self) -> int:
        return int(self.data.shape[0])

    def _images(self, index: int | np.ndarray) -> np.ndarray:
        """The stored image(s) at ``index`` before any transform (a hook for subclasses
        that store images in a different form than they hand them out)."""
        return self.data[index]

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        from hosila.data.transforms import apply_single

        i = _check_index(index, len(self))
        img: Any = self._images(i)
        target: Any = int(self.targets[i])
        if self.transform is not None:
            img = apply_single(self.transform, img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def _get_batch(
        self, indices: np.ndarray, generator: np.random.Generator | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The examples at ``indices`` as ``(images (B, ...), targets (B,))``, gathered
        with one fancy index, transforms applied to the batch."""
        from hosila.data.transforms import apply_batch

        idx = _check_indices(indices, len(self))
        images = self._images(idx)
        targets: Any = self.targets[idx]
        if self.transform is not None:
            images = apply_batch(self.transform, images, generator)
        if self.target_transform is not None:
            targets = np.asarray([as_array(self.target_transform(int(t))) for t in targets])
        return images, targets

    def summary(self) -> str:
        """A few lines describing the data set: size, array shapes, value range and the
        number of examples per class."""
        counts = np.bincount(self.targets, minlength=len(self.classes))
        lo, hi = (self.data.min(), self.data.max()) if self.data.size else (0, 0)
        lines = [
            f"{type(self).__name__}: {len(self)} examples, {len(self.classes)} classes",
            f"  data    {self.data.dtype} {tuple(self.data.shape)}, values {lo}..{hi}",
            f"  targets {self.targets.dtype} {tuple(self.targets.shape)}",
        ]
        width = max((len(c) for c in self.classes), default=0)
        for name, count in zip(self.classes, counts, strict=False):
            lines.append(f"  {name:<{width}}  {count}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        lines = [
            f"{type(self).__name__}(",
            f"    examples: {len(self)}, data: {self.data.dtype} {tuple(self.data.shape)},",
            f"    classes: {len(self.classes)}",
        ]
        if self.transform is not None:
            lines.append(f"    transform: {self.transform!r}")
        return "\n".join(lines) + "\n)"


class TensorDataset(Dataset):
    """Wraps arrays (or hosila Tensors) that share their first dimension:
    ``dataset[i] = tuple(a[i] for a in arrays)``.

    >>> ds = TensorDataset(np.zeros((100, 3)), np.arange(100))
    >>> x, y = ds[5]        # x: (3,), y: ()
    """

    def __init__(self, *arrays: Any) -> None:
        if not arrays:
            raise ValueError("TensorDataset needs at least one array")
        self.arrays = tuple(as_array(a) for a in arrays)
        n = self.arrays[0].shape[0] if self.arrays[0].ndim else None
        for k, a in enumerate(self.arrays):
            if a.ndim == 0 or a.shape[0] != n:
                shapes = [tuple(b.shape) for b in self.arrays]
                raise ValueError(
                    f"all arrays must have the same first dimension, got shapes {shapes} "
                    f"(argument {k})"
                )

    # PyTorch's name for the same attribute.
    @property
    def tensors(self) -> tuple[np.ndarray, ...]:
        return self.arrays

    def __len__(self) -> int:
        return int(self.arrays[0].shape[0])

    def __getitem__(self, index: int) -> tuple[np.ndarray, ...]:
        i = _check_index(index, len(self))
        return tuple(a[i] for a in self.arrays)

    def _get_batch(
        self, indices: np.ndarray, generator: np.random.Generator | None = None
    ) -> tuple[np.ndarray, ...]:
        idx = _check_indices(indices, len(self))
        return tuple(a[idx] for a in self.arrays)


class ConcatDataset(Dataset):
    """Data sets one after another: examples ``0 .. len(a) - 1`` come from ``a``, the
    next ``len(b)`` from ``b``, and so on (also ``a + b``)."""

    def __init__(self, datasets: Sequence[Dataset]) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset needs at least one data set")
        for k, d in enumerate(self.datasets):
            if not (hasattr(d, "__len__") and hasattr(d, "__getitem__")):
                raise TypeError(f"datasets[{k}] must be a data set, got {type(d).__name__}")
        self.cumulative_sizes = np.cumsum([len(d) for d in self.datasets]).tolist()

    def __len__(self) -> int:
        return int(self.cumulative_sizes[-1])

    def _locate(self, idx: np.ndarray) -> np.ndarray:
        return np.searchsorted(np.asarray(self.cumulative_sizes), idx, side="right")

    def __getitem__(self, index: int) -> Any:
        i = _check_index(index, len(self))
        part = int(self._locate(np.asarray(i)))
        start = self.cumulative_sizes[part - 1] if part else 0
        return self.datasets[part][i - start]

    def __getattr__(self, name: str) -> Any:
        # ``_get_batch`` exists only when every part has it (see Subset).
        parts = self.__dict__.get("datasets")
        if name == "_get_batch" and parts and all(hasattr(d, "_get_batch") for d in parts):

            def _get_batch(
                indices: np.ndarray, generator: np.random.Generator | None = None
            ) -> Any:
                idx = _check_indices(indices, len(self))
                which = self._locate(idx)
                starts = np.concatenate([[0], self.cumulative_sizes[:-1]]).astype(np.int64)
                fields: list[list[np.ndarray]] = []
                order: list[np.ndarray] = []
                for part in np.unique(which):
                    sel = np.flatnonzero(which == part)
                    got = parts[part]._get_batch(idx[sel] - starts[part], generator)
                    fields.append([as_array(f) for f in got])
                    order.append(sel)
                inverse = np.argsort(np.concatenate(order), kind="stable")
                return tuple(
                    np.concatenate([f[k] for f in fields])[inverse] for k in range(len(fields[0]))
                )

            return _get_batch
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")


class Subset(Dataset):
    """The examples of ``dataset`` at ``indices``, in that order."""

    def __init__(self, dataset: Dataset, indices: Sequence[int] | np.ndarray) -> None:
        self.dataset = dataset
        self.indices = _check_indices(np.asarray(indices, dtype=np.int64), len(dataset))

    def __len__(self) -> int:
        return int(self.indices.shape[0])

    def __getitem__(self, index: int) -> Any:
        return self.dataset[int(self.indices[_check_index(index, len(self))])]

    def __getattr__(self, name: str) -> Any:
        # Only ``_get_batch`` is forwarded, and only when the wrapped data set has it,
        # so that DataLoader's fast path also applies to subsets.
        if name == "_get_batch":
            inner = getattr(self.__dict__.get("dataset"), "_get_batch", None)
            if inner is not None:

                def _get_batch(
                    indices: np.ndarray, generator: np.random.Generator | None = None
                ) -> Any:
                    return inner(self.indices[_check_indices(indices, len(self))], generator)

                return _get_batch
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")


def random_split(
    dataset: Dataset,
    lengths: Sequence[int | float],
    generator: np.random.Generator | None = None,
    seed: int | None = None,
) -> list[Subset]:
    """Split ``dataset`` at random into non-overlapping :class:`Subset` s.

    Args:
        lengths: the sizes of the parts, either integers summing to ``len(dataset)``
            or fractions summing to 1 (as in PyTorch: ``floor(f * n)`` each, then the
            remainder handed out one by one to the parts in order).
        generator / seed: where the permutation comes from (default: hosila's global
            generator, so ``hosila.manual_seed`` makes the split reproducible).
    """
    n = len(dataset)
    lengths = list(lengths)
    if not lengths:
        raise ValueError("lengths must not be empty")
    if all(isinstance(x, (int, np.integer)) and not isinstance(x, bool) for x in lengths):
        sizes = [int(x) for x in lengths]
        if any(s < 0 for s in sizes):
            raise ValueError(f"lengths must be non-negative, got {lengths}")
        if sum(sizes) != n:
            raise ValueError(
                f"lengths must sum to the length of the data set ({n}), got {lengths} "
                f"(sum {sum(sizes)})"
            )
    else:
        fracs = [float(x) for x in lengths]
        if any(not 0.0 <= f <= 1.0 for f in fracs) or not math.isclose(sum(fracs), 1.0):
            raise ValueError(f"fractional lengths must lie in [0, 1] and sum to 1, got {lengths}")
        sizes = [math.floor(f * n) for f in fracs]
        for k in range(n - sum(sizes)):
            sizes[k % len(sizes)] += 1
    perm = resolve_generator(generator, seed).permutation(n)
    parts, start = [], 0
    for s in sizes:
        parts.append(Subset(dataset, perm[start : start + s]))
        start += s
    return parts
