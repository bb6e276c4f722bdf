"""Transforms that work on one image or on a whole batch at once.

Layout convention (the role Pillow images and tensors play in torchvision):

* **integer arrays are images** as decoded from files: ``(H, W, C)`` or ``(H, W)``,
  values 0-255; a batch adds a leading axis: ``(N, H, W, C)`` / ``(N, H, W)``;
* **floating arrays are tensors**: ``(C, H, W)``, a batch ``(N, C, H, W)`` (a 2-D float
  image ``(H, W)`` / batch ``(N, H, W)`` is read as one channel).

:class:`ToTensor` turns the first into the second. The geometric and colour transforms
accept both and keep the layout and dtype they were given.

Every transform is a :class:`Transform`: ``t(img)`` transforms one image and
``t.apply_batch(batch)`` a batch, vectorised (no Python loop over images or pixels).
Random transforms draw one independent set of parameters per image. Their random numbers
come from the ``generator`` argument, or, when it is ``None``, from hosila's global
generator (``hosila.manual_seed``). The :class:`~hosila.data.DataLoader` passes each batch
its own generator, derived from its seed, so augmentation is reproducible and the same
with or without prefetching.

Any plain callable may also be used in :class:`Compose`; on a batch it is applied image
by image.
"""

from __future__ import annotations

import itertools
import numbers
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from hosila.data._util import as_array, default_generator

# ITU-R 601-2 luma weights, as used by Pillow's ``convert('L')`` and torchvision.
_GRAY_WEIGHTS = (0.2989, 0.587, 0.114)


class Transform:
    """Base class: subclasses implement :meth:`apply_batch`."""

    def apply_batch(self, batch: np.ndarray, generator: np.random.Generator | None = None) -> Any:
        """Transform a batch (leading axis N) and return the new batch."""
        raise NotImplementedError(f"{type(self).__name__} must define apply_batch")

    def __call__(self, img: Any, generator: np.random.Generator | None = None) -> Any:
        """Transform one image (a batch of one, under the hood). A hosila Tensor in gives
        a Tensor out; arrays give arrays."""
        return _like(img, self.apply_batch(as_array(img)[None], generator)[0])

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_"))
        return f"{type(self).__name__}({args})"


def _like(template: Any, out: Any) -> Any:
    """``out`` as a hosila Tensor if ``template`` was one."""
    if isinstance(template, np.ndarray) or not isinstance(
        getattr(template, "data", None), np.ndarray
    ):
        return out
    from hosila.data.dataloader import _to_tensor

    return _to_tensor(np.asarray(out))


def apply_single(transform: Callable[..., Any], img: Any, generator: Any = None) -> Any:
    """Apply ``transform`` to one image (a :class:`Transform` or a plain callable)."""
    if isinstance(transform, Transform):
        return transform(img, generator=generator)
    return transform(img)


def apply_batch(transform: Callable[..., Any], batch: Any, generator: Any = None) -> Any:
    """Apply ``transform`` to a batch: vectorised for a :class:`Transform`, image by
    image (then stacked) for a plain callable."""
    if isinstance(transform, Transform):
        return transform.apply_batch(as_array(batch), generator=generator)
    return np.stack([as_array(transform(img)) for img in batch])


def _rng(generator: np.random.Generator | None) -> np.random.Generator:
    return generator if generator is not None else default_generator()


def _check_batch(batch: Any, name: str) -> np.ndarray:
    batch = as_array(batch)
    if batch.dtype.kind not in "uif":
        raise TypeError(f"{name} expects an integer image or a float tensor, got {batch.dtype}")
    if batch.ndim not in (3, 4):
        raise ValueError(
            f"{name} expects a batch (N, H, W, C) / (N, H, W) of images or (N, C, H, W) of "
            f"tensors (one image: one axis less), got shape {batch.shape}"
        )
    return batch


def _to_nhwc(batch: np.ndarray) -> tuple[np.ndarray, Callable[[np.ndarray], np.ndarray]]:
    """A (N, H, W, C) view of ``batch`` and the function that maps a result in that
    layout back to the layout of ``batch``."""
    if batch.ndim == 3:
        return batch[..., None], lambda y: y[..., 0]
    if batch.dtype.kind == "f":
        return batch.transpose(0, 2, 3, 1), lambda y: y.transpose(0, 3, 1, 2)
    return batch, lambda y: y


class Compose(Transform):
    """Apply ``transforms`` one after another."""

    def __init__(self, transforms: Sequence[Callable[..., Any]]) -> None:
        transforms = list(transforms)
        for k, t in enumerate(transforms):
            if not callable(t):
                raise TypeError(f"transforms[{k}] must be callable, got {type(t).__name__}")
        self.transforms = transforms

    def __call__(self, img: Any, generator: np.random.Generator | None = None) -> Any:
        for t in self.transforms:
            img = apply_single(t, img, generator)
        return img

    def apply_batch(self, batch: Any, generator: np.random.Generator | None = None) -> Any:
        for t in self.transforms:
            batch = apply_batch(t, batch, generator)
        return batch

    def __repr__(self) -> str:
        inner = "".join(f"\n    {t!r}," for t in self.transforms)
        return f"Compose([{inner}\n])"


class Lambda(Transform):
    """Wrap a function. With ``batched=True`` it receives whole batches, otherwise it
    is applied image by image."""

    def __init__(self, fn: Callable[[Any], Any], batched: bool = False) -> None:
        if not callable(fn):
            raise TypeError(f"fn must be callable, got {type(fn).__name__}")
        self.fn = fn
        self.batched = batched

    def __call__(self, img: Any, generator: np.random.Generator | None = None) -> Any:
        return self.fn(img) if not self.batched else self.fn(as_array(img)[None])[0]

    def apply_batch(self, batch: Any, generator: np.random.Generator | None = None) -> Any:
        if self.batched:
            return self.fn(batch)
        return np.stack([as_array(self.fn(img)) for img in batch])


class ToTensor(Transform):
    """Image ``(H, W, C)`` uint8 in [0, 255] → tensor ``(C, H, W)`` float32 in [0, 1]
    (``x / 255``); a grey image ``(H, W)`` becomes ``(1, H, W)``. A batch
    ``(N, H, W, C)`` becomes ``(N, C, H, W)``.

    Floating input is already a tensor by hosila's layout convention and is returned as
    it is (as torchvision returns non-uint8 input unscaled)."""

    def apply_batch(self, batch: Any, generator: np.random.Generator | None = None) -> Any:
        batch = _check_batch(batch, "ToTensor")
        if batch.dtype.kind == "f":
            return batch
        if batch.dtype != np.uint8:
            raise TypeError(f"ToTensor expects uint8 images, got {batch.dtype}")
        if batch.ndim == 3:
            batch = batch[:, None, :, :]
        else:
            batch = batch.transpose(0, 3, 1, 2)
        return np.ascontiguousarray(batch, dtype=np.float32) / np.float32(255)


def _per_channel(values: Any, name: str) -> np.ndarray:
    arr = np.asarray(values, dtype=np.float64).reshape(-1)
    if arr.size == 0:
        raise ValueError(f"{name} must not be empty")
    return arr


class Normalize(Transform):
    """Per-channel standardisation of a float tensor ``(C, H, W)``:
    ``out[c] = (x[c] - mean[c]) / std[c]`` (torchvision's definition).

    ``mean`` and ``std`` are sequences of length C (or of length 1 for all channels).
    The dtype of the input is kept; ``inplace=True`` overwrites the input."""

    def __init__(self, mean: Sequence[float], std: Sequence[float], inplace: bool = False) -> None:
        self.inplace = bool(inplace)
        self.mean = _per_channel(mean, "mean")
        self.std = _per_channel(std, "std")
        if self.mean.size != self.std.size:
            raise ValueError(
                f"mean and std must have the same length, got {self.mean.size} and {self.std.size}"
            )
        if np.any(self.std == 0):
            raise ValueError(f"std must not contain zeros, got {self.std.tolist()}")

    def apply_batch(self, batch: Any, generator: np.random.Generator | None = None) -> Any:
        batch = _check_batch(batch, "Normalize")
        if batch.dtype.kind != "f":
            raise TypeError(
                f"Normalize expects a float tensor (C, H, W), got {batch.dtype} "
                f"(apply ToTensor() first)"
            )
        c = 1 if batch.ndim == 3 else batch.shape[1]
        if self.mean.size not in (1, c):
            raise ValueError(
                f"Normalize has {self.mean.size} channel values but the tensor has {c} "
                f"channels (shape {batch.shape})"
            )
        shape = (1, -1, 1, 1) if batch.ndim == 4 else (1, 1, 1)
        mean = self.mean.astype(batch.dtype).reshape(shape)
        std = self.std.astype(batch.dtype).reshape(shape)
        if self.inplace and batch.flags.writeable:
            batch -= mean
            batch /= std
            return batch
        return (batch - mean) / std

    def __repr__(self) -> str:
        return (
            f"Normalize(mean={self.mean.tolist()}, std={self.std.tolist()}, inplace={self.inplace})"
        )


class SubtractMean(Transform):
    """Mean-image subtraction, the course's preprocessing: ``out = x - mean_image``
    (and ``/ std`` if given), with the mean image computed on the training set.

    ``mean`` (and ``std``) must broadcast against one image as the transform sees it:
    fit it on the same kind of input, e.g.::

        tf = SubtractMean.fit(ToTensor().apply_batch(train.data))   # mean: (C, H, W)
        train.transform = Compose([ToTensor(), tf])

    Integer images are converted to float32 first (keeping their (H, W, C) layout, as
    in the course, where raw pixel values minus the mean image are the input)."""

    def __init__(self, mean: Any, std: Any = None) -> None:
        self.mean = np.asarray(as_array(mean), dtype=np.float32)
        self.std = None if std is None else np.asarray(as_array(std), dtype=np.float32)
        if self.std is not None and np.any(self.std == 0):
            raise ValueError("std must not contain zeros")

    @classmethod
    def fit(cls, source: Any, scale: bool = False, batch_size: int = 1024) -> SubtractMean:
        """Compute the mean image (and, with ``scale=True``, the per-pixel standard
        deviation) over the first axis of ``source``: an array ``(N, ...)`` or a data set
        whose examples are ``(image, label)`` (its transform applied)."""
        total = total_sq = None
        n = 0
        for chunk in _chunks(source, batch_size):
            chunk = chunk.astype(np.float64)
            s, s2 = chunk.sum(axis=0), (chunk * chunk).sum(axis=0) if scale else None
            total = s if total is None else total + s
            if scale:
                total_sq = s2 if total_sq is None else total_sq + s2
            n += chunk.shape[0]
        if n == 0 or total is None:
            raise ValueError("SubtractMean.fit needs at least one example")
        mean = total / n
        std = None
        if scale:
            assert total_sq is not None
            std = np.sqrt(np.maximum(total_sq / n - mean * mean, 0.0))
            std[std == 0] = 1.0
        return cls(mean, std)

    def apply_batch(self, batch: Any, generator: np.random.Generator | None = None) -> Any:
        batch = as_array(batch)
        if not _broadcasts(self.mean.shape, batch.shape[1:]):
            raise ValueError(
                f"mean image of shape {self.mean.shape} does not match images of shape "
                f"{batch.shape[1:]}"
            )
        x = batch.astype(np.float32) if batch.dtype.kind != "f" else batch
        out = x - self.mean.astype(x.dtype)
        if self.std is not None:
            out = out / self.std.astype(x.dtype)
        return out

    def __repr__(self) -> str:
        return f"SubtractMean(mean: {self.mean.shape}, scaled={self.std is not None})"


def _broadcasts(small: tuple[int, ...], big: tuple[int, ...]) -> bool:
    try:
        return np.broadcast_shapes(small, big) == tuple(big)
    except ValueError:
        return False


def _chunks(source: Any, batch_size: int) -> Any:
    """Batches of images from an array or a data set."""
    if (
        hasattr(source, "__len__")
        and hasattr(source, "__getitem__")
        and not isinstance(source, np.ndarray)
        and not hasattr(source, "shape")
    ):
        n = len(source)
        get_batch = getattr(source, "_get_batch", None)
        for start in range(0, n, batch_size):
            idx = np.arange(start, min(n, start + batch_size))
            if get_batch is not None:
                yield as_array(get_batch(idx)[0])
            else:
                yield np.stack([as_array(source[int(i)][0]) for i in idx])
        return
    arr = as_array(source)
    for start in range(0, arr.shape[0], batch_size):
        yield arr[start : start + batch_size]


def _padding4(padding: Any) -> tuple[int, int, int, int]:
    """torchvision's padding argument as (left, top, right, bottom)."""
    if isinstance(padding, numbers.Integral):
        p = int(padding)
        pads = (p, p, p, p)
    elif isinstance(padding, Sequence) and len(padding) == 2:
        pads = (int(padding[0]), int(padding[1]), int(padding[0]), int(padding[1]))
    elif isinstance(padding, Sequence) and len(padding) == 4:
        pads = tuple(int(p) for p in padding)  # type: ignore[assignment]
    else:
        raise ValueError(
            f"padding must be an int or a sequence of 2 (left/right, top/bottom) or "
            f"4 (left, top, right, bottom) ints, got {padding!r}"
        )
    if min(pads) < 0:
        raise ValueError(f"padding must be non-negative, got {padding!r}")
    return pads


def _size2(size: Any, name: str = "size") -> tuple[int, int]:
    if isinstance(size, numbers.Integral):
        out = (int(size), int(size))
    elif isinstance(size, Sequence) and len(size) in (1, 2):
        out = (int(size[0]), int(size[-1]))
    else:
        raise ValueError(f"{name} must be an int or a sequence (H, W), got {size!r}")
    if min(out) < 1:
        raise ValueError(f"{name} must be positive, got {size!r}")
    return out


_PAD_MODES = {
    "constant": "constant",
    "edge": "edge",
    "reflect": "reflect",
    "symmetric": "symmetric",
}


class RandomCrop(Transform):
    """Crop a random ``size`` window, after optional padding (torchvision's RandomCrop).

    Args:
        size: ``(h, w)`` of the crop, or an int for a square.
        padding: added before cropping: an int (all sides), ``(left/right, top/bottom)``
            or ``(left, top, right, bottom)``.
        pad_if_needed: pad images smaller than ``size`` (by the difference, on both sides).
        fill: value of the padding for ``padding_mode='constant'``.
        padding_mode: ``'constant'``, ``'edge'`` (repeat the border pixel),
            ``'reflect'`` (mirror without repeating the border: 3 2 | 1 2 3 | 2 1) or
            ``'symmetric'`` (mirror repeating it: 2 1 | 1 2 3 | 3 2).

    The top-left corner of each crop is uniform over all positions:
    ``i ~ U{0, ..., H - h}``, ``j ~ U{0, ..., W - w}``, one draw per image.
    """

    def __init__(
        self,
        size: int | Sequence[int],
        padding: int | Sequence[int] | None = None,
        pad_if_needed: bool = False,
        fill: float = 0,
        padding_mode: str = "constant",
    ) -> None:
        self.size = _size2(size)
        self.padding = None if padding is None else _padding4(padding)
        self.pad_if_needed = bool(pad_if_needed)
        if not isinstance(fill, numbers.Number):
            raise TypeError(f"fill must be a number, got {type(fill).__name__}")
        self.fill = fill
        if padding_mode not in _PAD_MODES:
            raise ValueError(
                f"padding_mode must be one of {sorted(_PAD_MODES)}, got {padding_mode!r}"
            )
        self.padding_mode = padding_mode

    def _pad(self, x: np.ndarray, left: int, top: int, right: int, bottom: int) -> np.ndarray:
        width = ((0, 0), (top, bottom), (left, right), (0, 0))
        if self.padding_mode == "constant":
            n, h, w, c = x.shape
            out = np.full((n, h + top + bottom, w + left + right, c), self.fill, dtype=x.dtype)
            out[:, top : top + h, left : left + w] = x
            return out
        if self.padding_mode == "reflect" and (
            max(top, bottom) >= x.shape[1] or max(left, right) >= x.shape[2]
        ):
            raise ValueError(
                f"reflect padding of {(left, top, right, bottom)} needs images larger than "
                f"the padding, got {x.shape[1:3]}"
            )
        return np.pad(x, width, mode=_PAD_MODES[self.padding_mode])

    def apply_batch(self, batch: Any, generator: np.random.Generator | None = None) -> Any:
        batch = _check_batch(batch, "RandomCrop")
        x, back = _to_nhwc(batch)
        th, tw = self.size
        padded = False
        if self.padding is not None and any(self.padding):
            x, padded = self._pad(x, *self.padding), True
        if self.pad_if_needed:
            dh, dw = max(0, th - x.shape[1]), max(0, tw - x.shape[2])
            if dh or dw:
                x, padded = self._pad(x, dw, dh, dw, dh), True
        n, h, w = x.shape[:3]
        if h < th or w < tw:
            raise ValueError(
                f"crop size {(th, tw)} is larger than the (padded) image size {(h, w)}"
            )
        if (h, w) == (th, tw):  # nothing to choose; never hand back a view of the input
            return back(x) if padded else batch.copy()
        rng = _rng(generator)
        i = rng.integers(0, h - th + 1, size=n)
        j = rng.integers(0, w - tw + 1, size=n)
        # All windows as a view (N, H - th + 1, W - tw + 1, C, th, tw); one fancy index
        # picks window (i[k], j[k]) of image k and copies it: (N, C, th, tw).
        windows = sliding_window_view(x, (th, tw), axis=(1, 2))
        out = windows[np.arange(n), i, j]
        return back(out.transpose(0, 2, 3, 1))


class CenterCrop(Transform):
    """Crop the central ``size`` window (torchvision's CenterCrop): the top-left corner
    is ``(round((H - h) / 2), round((W - w) / 2))`` (Python's ``round``, halves to even);
    images smaller than ``size`` are first padded with zeros, ``(h - H) // 2`` above and
    the rest below (likewise left and right)."""

    def __init__(self, size: int | Sequence[int]) -> None:
        self.size = _size2(size)

    def apply_batch(self, batch: Any, generator: np.random.Generator | None = None) -> Any:
        batch = _check_batch(batch, "CenterCrop")
        x, back = _to_nhwc(batch)
        th, tw = self.size
        h, w = x.shape[1:3]
        if h < th or w < tw:
            dh, dw = max(0, th - h), max(0, tw - w)
            padded = np.zeros((x.shape[0], h + dh, w + dw, x.shape[3]), dtype=x.dtype)
            padded[:, dh // 2 : dh // 2 + h, dw // 2 : dw // 2 + w] = x
            x, (h, w) = padded, (h + dh, w + dw)
        top, left = int(round((h - th) / 2.0)), int(round((w - tw) / 2.0))
        return back(x[:, top : top + th, left : left + tw].copy())


class RandomHorizontalFlip(Transform):
    """Mirror each image left-right with probability ``p`` (one draw per image)."""

    def __init__(self, p: float = 0.5) -> None:
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"p must be a probability in [0, 1], got {p}")
        self.p = float(p)

    def apply_batch(self, batch: Any, generator: np.random.Generator | None = None) -> Any:
        batch = _check_batch(batch, "RandomHorizontalFlip")
        x, back = _to_nhwc(batch)
        flip = _rng(generator).random(x.shape[0]) < self.p
        out = x.copy()
        out[flip] = x[flip][:, :, ::-1]
        return back(out)


class RandomVerticalFlip(Transform):
    """Mirror each image upside-down with probability ``p`` (one draw per image)."""

    def __init__(self, p: float = 0.5) -> None:
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"p must be a probability in [0, 1], got {p}")
        self.p = float(p)

    def apply_batch(self, batch: Any, generator: np.random.Generator | None = None) -> Any:
        batch = _check_batch(batch, "RandomVerticalFlip")
        x, back = _to_nhwc(batch)
        flip = _rng(generator).random(x.shape[0]) < self.p
        out = x.copy()
        out[flip] = x[flip][:, ::-1]
        return back(out)


def _jitter_range(
    value: Any, name: str, center: float = 1.0, bound: tuple[float, float] = (0.0, np.inf)
) -> tuple[float, float] | None:
    """torchvision's ColorJitter argument check: a number v gives
    ``[max(center - v, bound_lo), center + v]``; a pair is taken as the range."""
    if isinstance(value, numbers.Number) and not isinstance(value, bool):
        v = float(value)  # type: ignore[arg-type]
        if v < 0:
            raise ValueError(f"{name} must be non-negative, got {value}")
        lo, hi = center - v, center + v
        if name != "hue":
            lo = max(lo, 0.0)
    elif isinstance(value, Sequence) and len(value) == 2:
        lo, hi = float(value[0]), float(value[1])
    else:
        raise TypeError(f"{name} must be a number or a (min, max) pair, got {value!r}")
    if not bound[0] <= lo <= hi <= bound[1]:
        raise ValueError(f"{name} range must lie within {bound} with min <= max, got {(lo, hi)}")
    if lo == hi == center:
        return None
    return lo, hi


def _gray(x: np.ndarray) -> np.ndarray:
    """Luma of NHWC float ``x`` (3 channels), (N, H, W, 1)."""
    r, g, b = _GRAY_WEIGHTS
    return (r * x[..., 0:1] + g * x[..., 1:2] + b * x[..., 2:3]).astype(x.dtype, copy=False)


def _blend(x: np.ndarray, other: Any, f: np.ndarray, bound: float, integer: bool) -> np.ndarray:
    """``clip(f * x + (1 - f) * other, 0, bound)``, truncated back to integers for
    integer images (torchvision's ``_blend``)."""
    out = np.clip(f * x + (1 - f) * other, 0, bound)
    return np.trunc(out) if integer else out


def _rgb_to_hsv(x: np.ndarray) -> np.ndarray:
    """RGB in [0, 1] → HSV in [0, 1], channels last."""
    r, g, b = x[..., 0], x[..., 1], x[..., 2]
    maxc = np.maximum(np.maximum(r, g), b)  # faster than reducing a length-3 axis
    minc = np.minimum(np.minimum(r, g), b)
    equal = maxc == minc
    cr = maxc - minc
    s = cr / np.where(equal, 1, maxc)
    div = np.where(equal, 1, cr)
    rc, gc, bc = (maxc - r) / div, (maxc - g) / div, (maxc - b) / div
    h = np.where(maxc == r, bc - gc, np.where(maxc == g, 2.0 + rc - bc, 4.0 + gc - rc))
    h = np.where(equal, 0.0, h)
    h = np.fmod(h / 6.0 + 1.0, 1.0)
    return np.stack([h, s, maxc], axis=-1).astype(x.dtype, copy=False)


def _hsv_to_rgb(x: np.ndarray) -> np.ndarray:
    """HSV in [0, 1] → RGB in [0, 1], channels last. Channel n (R: 5, G: 3, B: 1) is
    ``v - v s clip(min(k, 4 - k), 0, 1)`` with ``k = (n + 6 h) mod 6``: the usual
    six-sector formula written without branches."""
    h6, s, v = x[..., 0] * 6.0, x[..., 1], x[..., 2]
    vs = v * s
    out = np.empty_like(x)
    for c, n in enumerate((5.0, 3.0, 1.0)):
        k = np.mod(n + h6, 6.0)
        out[..., c] = v - vs * np.clip(np.minimum(k, 4.0 - k), 0.0, 1.0)
    return out


class ColorJitter(Transform):
    """Random brightness, contrast, saturation and hue changes (torchvision's
    ColorJitter), one independent draw per image.

    Each argument is a number ``v`` (factor drawn uniformly from ``[max(0, 1 - v), 1 + v]``;
    for hue from ``[-v, v]``, ``0 <= v <= 0.5``) or a ``(min, max)`` pair. For every image
    the enabled adjustments run in a random order, each with its own factor ``f``. With
    ``gray(x) = 0.2989 R + 0.587 G + 0.114 B`` and
    ``blend(a, b, f) = clip(f a + (1 - f) b, 0, max)`` (max = 1 for float tensors, 255 for
    uint8 images):

    * brightness: ``blend(x, 0, f)``;
    * contrast: ``blend(x, m, f)`` with ``m`` the mean of ``gray(x)`` over the image
      (of ``x`` itself for one channel);
    * saturation: ``blend(x, gray(x), f)`` (one-channel images are left unchanged);
    * hue: convert to HSV, ``h = (h + f) mod 1``, convert back (one-channel images are
      left unchanged).

    For uint8 images the grey image and every result are truncated to integers, as
    torchvision does for uint8 tensors (hue works on ``x / 255`` and truncates
    ``255 * rgb``).
    """

    def __init__(
        self,
        brightness: float | Sequence[float] = 0,
        contrast: float | Sequence[float] = 0,
        saturation: float | Sequence[float] = 0,
        hue: float | Sequence[float] = 0,
    ) -> None:
        self.brightness = _jitter_range(brightness, "brightness")
        self.contrast = _jitter_range(contrast, "contrast")
        self.saturation = _jitter_range(saturation, "saturation")
        self.hue = _jitter_range(hue, "hue", center=0.0, bound=(-0.5, 0.5))

    def apply_batch(self, batch: Any, generator: np.random.Generator | None = None) -> Any:
        batch = _check_batch(batch, "ColorJitter")
        ranges = [self.brightness, self.contrast, self.saturation, self.hue]
        active = [k for k, r in enumerate(ranges) if r is not None]
        if not active:
            return batch.copy()
        x, back = _to_nhwc(batch)
        n, c = x.shape[0], x.shape[-1]
        if c not in (1, 3):
            raise ValueError(f"ColorJitter expects 1 or 3 channels, got {c} (shape {batch.shape})")
        integer = batch.dtype.kind != "f"
        work = np.float32 if integer else batch.dtype
        bound = 255.0 if integer else 1.0
        rng = _rng(generator)
        # Per image: a uniformly random order of the enabled adjustments, and a factor
        # for each of them.
        orders = list(itertools.permutations(active))
        order_id = rng.integers(0, len(orders), size=n)
        factors = np.ones((4, n))
        for k in active:
            lo, hi = ranges[k]  # type: ignore[misc]
            factors[k] = rng.uniform(lo, hi, size=n)
        out = x.astype(work)
        # Images that share an order are processed together (at most 24 groups).
        for o in np.unique(order_id):
            order = orders[int(o)]
            sel = order_id == o
            y = out[sel]
            for k in order:
                f = factors[k, sel].astype(work)[:, None, None, None]
                y = self._adjust(k, y, f, bound, integer, c)
            out[sel] = y
        return back(out.astype(batch.dtype))

    @staticmethod
    def _adjust(
        k: int, y: np.ndarray, f: np.ndarray, bound: float, integer: bool, c: int
    ) -> np.ndarray:
        if k == 0:  # brightness
            return _blend(y, 0.0, f, bound, integer)
        if k == 1:  # contrast
            g = _gray(y) if c == 3 else y
            if integer:
                g = np.trunc(g)
            mean = g.mean(axis=(1, 2, 3), keepdims=True, dtype=y.dtype)
            return _blend(y, mean, f, bound, integer)
        if c == 1:
            return y
        if k == 2:  # saturation
            g = np.trunc(_gray(y)) if integer else _gray(y)
            return _blend(y, g, f, bound, integer)
        # hue
        hsv = _rgb_to_hsv(y / 255.0 if integer else y)
        hsv[..., 0] = np.mod(hsv[..., 0] + f[..., 0], 1.0)
        rgb = _hsv_to_rgb(hsv)
        return np.trunc(rgb * 255.0) if integer else rgb
