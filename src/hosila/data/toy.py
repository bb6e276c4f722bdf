"""Small seeded 2-D data sets for first experiments: moons, spiral and blobs.

Each generator returns ``(X, y)`` NumPy arrays: ``X`` of shape ``(N, n_features)`` (float32 by
default, ``dtype=`` to change) and ``y`` of shape ``(N,)``, int64 class labels. The same
``seed`` gives the same data on every machine (NumPy's PCG64 generator).
"""

from __future__ import annotations

import numpy as np

from hosila.data._util import resolve_generator

__all__ = ["make_blobs", "make_moons", "make_spiral"]


def _check_count(value: int, name: str, fn: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{fn}: {name} must be an int, got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{fn}: {name} must be >= {minimum}, got {value}")
    return int(value)


def _check_scale(value: float, name: str, fn: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
        raise TypeError(f"{fn}: {name} must be a number, got {type(value).__name__}")
    if not value >= 0:
        raise ValueError(f"{fn}: {name} must be >= 0, got {value}")
    return float(value)


def make_moons(
    n_samples: int = 100,
    noise: float = 0.1,
    seed: int | None = None,
    shuffle: bool = True,
    dtype: type | np.dtype = np.float32,
    generator: np.random.Generator | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles (the "two moons"), a classic non-linear problem.

    Class 0 lies on the upper half of the unit circle centred at (0, 0); class 1 on the lower
    half of the unit circle centred at (1, 0.5). Gaussian noise of standard deviation
    ``noise`` is added to every coordinate.

    Args:
        n_samples: total number of points; class 0 gets ``n_samples // 2``.
        noise: standard deviation of the Gaussian noise (0 for exact circles).
        seed: seed for a fresh generator (or pass ``generator=``; neither: hosila's global one).
        shuffle: shuffle the points (otherwise class 0 comes first).
        dtype: dtype of ``X``.

    Returns:
        ``X``: (n_samples, 2), ``y``: (n_samples,) int64 in {0, 1}.
    """
    n = _check_count(n_samples, "n_samples", "make_moons")
    noise = _check_scale(noise, "noise", "make_moons")
    rng = resolve_generator(generator, seed)
    n0 = n // 2
    n1 = n - n0
    t0 = np.linspace(0.0, np.pi, n0)
    t1 = np.linspace(0.0, np.pi, n1)
    upper = np.stack([np.cos(t0), np.sin(t0)], axis=1)
    lower = np.stack([1.0 - np.cos(t1), 0.5 - np.sin(t1)], axis=1)
    X = np.concatenate([upper, lower])
    y = np.concatenate([np.zeros(n0, np.int64), np.ones(n1, np.int64)])
    if noise > 0:
        X = X + rng.normal(0.0, noise, size=X.shape)
    if shuffle:
        perm = rng.permutation(n)
        X, y = X[perm], y[perm]
    return X.astype(dtype), y


def make_spiral(
    n_points_per_class: int = 100,
    n_classes: int = 3,
    noise: float = 0.2,
    seed: int | None = None,
    dtype: type | np.dtype = np.float32,
    generator: np.random.Generator | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The CS231n spiral: ``n_classes`` arms, each an Archimedean spiral from the centre.

    Point ``i`` of class ``k`` has radius ``r = i / (n - 1)`` and angle
    ``t = 4 (k + r) + noise * N(0, 1)`` (in radians), and sits at ``(r sin t, r cos t)``.
    Points come ordered by class, as in the course notes.

    Returns:
        ``X``: (n_points_per_class * n_classes, 2), ``y``: (same,) int64 in [0, n_classes).
    """
    n = _check_count(n_points_per_class, "n_points_per_class", "make_spiral")
    k = _check_count(n_classes, "n_classes", "make_spiral")
    noise = _check_scale(noise, "noise", "make_spiral")
    rng = resolve_generator(generator, seed)
    r = np.tile(np.linspace(0.0, 1.0, n), k)
    cls = np.repeat(np.arange(k, dtype=np.int64), n)
    t = 4.0 * (cls + r) + rng.normal(0.0, 1.0, size=n * k) * noise
    X = np.stack([r * np.sin(t), r * np.cos(t)], axis=1)
    return X.astype(dtype), cls


def make_blobs(
    n_samples: int = 100,
    centers: int | np.ndarray = 3,
    n_features: int = 2,
    cluster_std: float = 1.0,
    center_box: tuple[float, float] = (-10.0, 10.0),
    seed: int | None = None,
    shuffle: bool = True,
    dtype: type | np.dtype = np.float32,
    generator: np.random.Generator | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Isotropic Gaussian blobs: each class is a normal cloud around its centre.

    Args:
        n_samples: total number of points, split as evenly as possible (the first
            ``n_samples % n_centers`` classes get one more).
        centers: the number of classes (centres drawn uniformly from ``center_box`` in every
            coordinate), or an array of centres of shape (n_centers, n_features).
        n_features: dimension of each point (ignored when ``centers`` is an array).
        cluster_std: standard deviation of every blob.

    Returns:
        ``X``: (n_samples, n_features), ``y``: (n_samples,) int64 in [0, n_centers).
    """
    n = _check_count(n_samples, "n_samples", "make_blobs")
    std = _check_scale(cluster_std, "cluster_std", "make_blobs")
    rng = resolve_generator(generator, seed)
    if isinstance(centers, (int, np.integer)) and not isinstance(centers, bool):
        n_centers = _check_count(centers, "centers", "make_blobs")
        d = _check_count(n_features, "n_features", "make_blobs")
        lo, hi = (float(v) for v in center_box)
        if not lo <= hi:
            raise ValueError(f"make_blobs: center_box must be (low, high), got {center_box}")
        means = rng.uniform(lo, hi, size=(n_centers, d))
    else:
        means = np.asarray(centers, dtype=np.float64)
        if means.ndim != 2 or means.shape[0] == 0:
            raise ValueError(
                f"make_blobs: centers must be an int or an array (n_centers, n_features), "
                f"got shape {means.shape}"
            )
        n_centers, d = means.shape
    counts = np.full(n_centers, n // n_centers)
    counts[: n % n_centers] += 1
    y = np.repeat(np.arange(n_centers, dtype=np.int64), counts)
    X = means[y] + rng.normal(0.0, std, size=(n, d))
    if shuffle:
        perm = rng.permutation(n)
        X, y = X[perm], y[perm]
    return X.astype(dtype), y
