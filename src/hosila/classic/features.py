"""Hand-made image features: HOG (histogram of oriented gradients) and an HSV colour
histogram, a batch extractor with a progress bar, and standardisation.

All functions take a batch of images ``(N, H, W, 3)`` (or ``(N, H, W)`` grey) with values in
0..255 (any numeric dtype) and are vectorised over the batch: no Python loop over images or
pixels.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np


def _images(images: Any, op: str) -> np.ndarray:
    arr = np.asarray(images)
    if arr.ndim not in (3, 4) or (arr.ndim == 4 and arr.shape[-1] != 3):
        raise ValueError(f"{op}: images must be (N, H, W, 3) or (N, H, W), got {arr.shape}")
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{op}: images must be numeric, got dtype {arr.dtype}")
    return arr


def rgb_to_gray(images: Any) -> np.ndarray:
    """Luma (ITU-R BT.601): 0.299 R + 0.587 G + 0.114 B. (N, H, W, 3) -> (N, H, W) float32;
    grey input (N, H, W) is returned as float32."""
    arr = _images(images, "rgb_to_gray")
    if arr.ndim == 3:
        return arr.astype(np.float32)
    return arr.astype(np.float32) @ np.array([0.299, 0.587, 0.114], dtype=np.float32)


def hog_features(images: Any, orientations: int = 9, cell_size: int = 8) -> np.ndarray:
    """Histogram of oriented gradients (Dalal & Triggs, 2005), in the simple form of the
    course: no block normalisation.

    The grey image's gradient is taken by central differences (one-sided at the border);
    each pixel votes its gradient magnitude into the bin of its unsigned orientation
    ``atan2(gy, gx) mod 180°`` (``orientations`` equal bins, bin 0 = [0°, 20°) for 9 bins:
    a vertical edge, whose gradient is horizontal, votes into bin 0); the votes are
    averaged over each ``cell_size × cell_size`` cell (pixels beyond the last whole cell
    are dropped).

    images: (N, H, W, 3) or (N, H, W) -> (N, (H // cell) * (W // cell) * orientations)
    float32, ordered (cell row, cell column, orientation).
    """
    if orientations < 1 or cell_size < 1:
        raise ValueError(
            f"hog_features: orientations and cell_size must be >= 1, got "
            f"{orientations} and {cell_size}"
        )
    gray = rgb_to_gray(images)
    n, h, w = gray.shape
    ch, cw = h // cell_size, w // cell_size
    if ch == 0 or cw == 0:
        raise ValueError(f"hog_features: images ({h}x{w}) smaller than one cell ({cell_size})")
    gx = np.gradient(gray, axis=2)
    gy = np.gradient(gray, axis=1)
    mag = np.sqrt(gx * gx + gy * gy)
    ori = np.rad2deg(np.arctan2(gy, gx)) % 180.0
    bins = np.minimum((ori * (orientations / 180.0)).astype(np.int64), orientations - 1)
    # scatter the magnitudes into a one-hot (N, H, W, bins) tensor, then pool per cell
    votes = np.zeros((n, ch * cell_size, cw * cell_size, orientations), dtype=np.float32)
    crop = (slice(None), slice(0, ch * cell_size), slice(0, cw * cell_size))
    np.put_along_axis(votes, bins[crop][..., None], mag[crop][..., None], axis=3)
    cells = votes.reshape(n, ch, cell_size, cw, cell_size, orientations).mean(axis=(2, 4))
    return cells.reshape(n, -1).astype(np.float32)


def rgb_to_hsv(images: Any) -> np.ndarray:
    """RGB (..., 3) in 0..255 -> HSV (..., 3) float32 with hue, saturation, value in [0, 1]
    (hue 0 = red, 1/3 = green, 2/3 = blue; grey pixels have hue 0)."""
    rgb = np.asarray(images, dtype=np.float32) / 255.0
    if rgb.shape[-1] != 3:
        raise ValueError(f"rgb_to_hsv: the last axis must be RGB (3), got shape {rgb.shape}")
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    v = rgb.max(axis=-1)
    delta = v - rgb.min(axis=-1)
    safe = np.where(delta > 0, delta, 1.0)
    s = np.where(v > 0, delta / np.where(v > 0, v, 1.0), 0.0)
    h = np.where(
        v == r, ((g - b) / safe) % 6.0, np.where(v == g, (b - r) / safe + 2.0, (r - g) / safe + 4.0)
    )
    h = np.where(delta > 0, h / 6.0, 0.0) % 1.0
    return np.stack([h, s, v], axis=-1).astype(np.float32)


def color_histogram_hsv(images: Any, nbin: int = 10) -> np.ndarray:
    """Histogram of the hue of each image: the fraction of pixels whose hue falls in each of
    ``nbin`` equal bins of [0, 1) (each row sums to 1).

    images: (N, H, W, 3) RGB in 0..255 -> (N, nbin) float32.
    """
    arr = _images(images, "color_histogram_hsv")
    if arr.ndim != 4:
        raise ValueError(f"color_histogram_hsv: needs colour images (N, H, W, 3), got {arr.shape}")
    if nbin < 1:
        raise ValueError(f"color_histogram_hsv: nbin must be >= 1, got {nbin}")
    hue = rgb_to_hsv(arr)[..., 0].reshape(arr.shape[0], -1)
    bins = np.minimum((hue * nbin).astype(np.int64), nbin - 1)
    offset = np.arange(arr.shape[0])[:, None] * nbin
    counts = np.bincount((bins + offset).ravel(), minlength=arr.shape[0] * nbin)
    return (counts.reshape(arr.shape[0], nbin) / hue.shape[1]).astype(np.float32)


def extract_features(
    images: Any,
    feature_fns: Sequence[Callable[[np.ndarray], np.ndarray]] = (hog_features, color_histogram_hsv),
    batch_size: int = 1000,
    progress: bool = True,
) -> np.ndarray:
    """Apply each batch feature function to ``images`` (N, H, W, 3) in batches of
    ``batch_size`` (with a tqdm progress bar) and concatenate the results: (N, F) float32."""
    from tqdm.auto import tqdm

    arr = np.asarray(images)
    if arr.ndim < 3:
        raise ValueError(f"extract_features: images must be (N, H, W[, 3]), got {arr.shape}")
    if batch_size < 1:
        raise ValueError(f"extract_features: batch_size must be >= 1, got {batch_size}")
    if not feature_fns:
        raise ValueError("extract_features: feature_fns is empty")
    parts: list[np.ndarray] = []
    starts = range(0, arr.shape[0], batch_size)
    for s in tqdm(starts, desc="features", unit="batch", disable=not progress):
        batch = arr[s : s + batch_size]
        parts.append(np.hstack([np.asarray(fn(batch), dtype=np.float32) for fn in feature_fns]))
    return np.vstack(parts)


class Standardizer:
    """Feature standardisation: subtract the training mean and divide by the training
    standard deviation of each column (columns with std 0 are only centred)."""

    def __init__(self) -> None:
        self.mean: np.ndarray | None = None
        self.std: np.ndarray | None = None

    def fit(self, X: Any) -> Standardizer:
        """Learn the column means and standard deviations of X: (N, F)."""
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[0] == 0:
            raise ValueError(f"Standardizer.fit: X must be (N, F) with N > 0, got {X.shape}")
        self.mean = X.mean(axis=0)
        std = X.std(axis=0)
        self.std = np.where(std > 0, std, 1.0)
        return self

    def transform(self, X: Any) -> np.ndarray:
        """(X - mean) / std as float32: (N, F) -> (N, F)."""
        if self.mean is None or self.std is None:
            raise RuntimeError("Standardizer: call fit() first")
        X = np.asarray(X)
        if X.ndim != 2 or X.shape[1] != self.mean.shape[0]:
            raise ValueError(
                f"Standardizer.transform: X must be (N, {self.mean.shape[0]}), got {X.shape}"
            )
        return ((X - self.mean) / self.std).astype(np.float32)

    def fit_transform(self, X: Any) -> np.ndarray:
        """fit(X) then transform(X)."""
        return self.fit(X).transform(X)
