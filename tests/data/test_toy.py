"""hosila.data toy generators: make_moons, make_spiral, make_blobs."""

from __future__ import annotations

import numpy as np
import pytest

from hosila import data
from hosila.data import make_blobs, make_moons, make_spiral


def test_moons_shapes_dtypes_and_balance():
    X, y = make_moons(101, seed=0)
    assert X.shape == (101, 2) and X.dtype == np.float32
    assert y.shape == (101,) and y.dtype == np.int64
    assert np.bincount(y).tolist() == [50, 51]
    X64, _ = make_moons(10, seed=0, dtype=np.float64)
    assert X64.dtype == np.float64


def test_moons_without_noise_lie_on_the_two_half_circles():
    X, y = make_moons(200, noise=0.0, shuffle=False, dtype=np.float64)
    upper, lower = X[y == 0], X[y == 1]
    assert np.allclose(np.hypot(upper[:, 0], upper[:, 1]), 1.0)
    assert np.all(upper[:, 1] >= -1e-12)
    assert np.allclose(np.hypot(lower[:, 0] - 1.0, lower[:, 1] - 0.5), 1.0)
    assert np.all(lower[:, 1] <= 0.5 + 1e-12)
    assert y[:100].tolist() == [0] * 100  # unshuffled: class 0 first


def test_moons_noise_and_seed():
    a, ya = make_moons(100, noise=0.1, seed=5)
    b, yb = make_moons(100, noise=0.1, seed=5)
    c, _ = make_moons(100, noise=0.1, seed=6)
    assert np.array_equal(a, b) and np.array_equal(ya, yb)
    assert not np.array_equal(a, c)
    clean, yc = make_moons(100, noise=0.0, shuffle=False, dtype=np.float64)
    noisy, _ = make_moons(100, noise=0.1, shuffle=False, seed=1, dtype=np.float64)
    spread = (noisy - clean).std()
    assert 0.07 < spread < 0.13


def test_spiral_matches_the_course_definition():
    X, y = make_spiral(50, 3, noise=0.0, dtype=np.float64)
    assert X.shape == (150, 2) and y.tolist() == [0] * 50 + [1] * 50 + [2] * 50
    r = np.linspace(0.0, 1.0, 50)
    for k in range(3):
        pts = X[y == k]
        assert np.allclose(np.hypot(pts[:, 0], pts[:, 1]), r)  # radius grows linearly
        t = 4.0 * (k + r)
        assert np.allclose(pts, np.stack([r * np.sin(t), r * np.cos(t)], axis=1))
    Xn, _ = make_spiral(50, 3, seed=0, dtype=np.float64)
    assert np.allclose(np.hypot(Xn[:, 0], Xn[:, 1]), np.tile(r, 3))  # noise only turns points
    assert not np.allclose(Xn, X)
    assert np.array_equal(make_spiral(seed=2)[0], make_spiral(seed=2)[0])


def test_blobs_centres_and_spread():
    centers = np.array([[0.0, 0.0, 0.0], [10.0, 10.0, 10.0]])
    X, y = make_blobs(2001, centers=centers, cluster_std=0.5, seed=0, dtype=np.float64)
    assert X.shape == (2001, 3) and np.bincount(y).tolist() == [1001, 1000]
    for k in range(2):
        assert np.allclose(X[y == k].mean(axis=0), centers[k], atol=0.1)
        assert np.allclose(X[y == k].std(axis=0), 0.5, atol=0.05)
    X2, y2 = make_blobs(30, centers=4, n_features=5, seed=1)
    assert X2.shape == (30, 5) and X2.dtype == np.float32 and set(y2.tolist()) == {0, 1, 2, 3}
    assert np.all(np.abs(X2) < 10.0 + 6 * 1.0)
    assert np.array_equal(make_blobs(seed=3)[0], make_blobs(seed=3)[0])


def test_generator_argument():
    g1, g2 = np.random.default_rng(0), np.random.default_rng(0)
    assert np.array_equal(make_moons(generator=g1)[0], make_moons(generator=g2)[0])


def test_bad_arguments():
    with pytest.raises(ValueError, match="make_moons: n_samples must be >= 1, got 0"):
        make_moons(0)
    with pytest.raises(TypeError, match="make_moons: n_samples must be an int, got float"):
        make_moons(10.0)
    with pytest.raises(ValueError, match="make_moons: noise must be >= 0, got -0.1"):
        make_moons(10, noise=-0.1)
    with pytest.raises(ValueError, match="make_spiral: n_classes must be >= 1"):
        make_spiral(10, 0)
    with pytest.raises(ValueError, match=r"make_blobs: centers must be .*got shape \(3,\)"):
        make_blobs(10, centers=[1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="make_blobs: center_box"):
        make_blobs(10, center_box=(1.0, -1.0))
    with pytest.raises(ValueError, match="either generator= or seed="):
        make_moons(seed=0, generator=np.random.default_rng(0))


def test_exported():
    assert {"make_moons", "make_spiral", "make_blobs"} <= set(data.__all__)
