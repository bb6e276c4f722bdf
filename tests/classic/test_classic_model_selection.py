"""cross_validate (grid and random search), plot_cv, and the data order of the CLI."""

from __future__ import annotations

import numpy as np
import pytest

from hosila.classic import KNearestNeighbor, cross_validate, log_uniform, plot_cv
from hosila.classic._data import val_count, validation_split


def _two_clusters(n=30, seed=0):
    rng = np.random.default_rng(seed)
    X = np.vstack([rng.normal(0, 1, (n, 2)), rng.normal(6, 1, (n, 2))])
    return X, np.repeat([0, 1], n)


class _Recorder:
    """A model that remembers what it was trained on and scores a fixed value."""

    calls: list = []

    def __init__(self, a=0, b=0):
        self.a, self.b = a, b

    def fit(self, X, y):
        _Recorder.calls.append(len(X))
        return self

    def score(self, X, y):
        return self.a + 0.01 * len(X)


def test_grid_search_every_combination_and_fold_sizes():
    _Recorder.calls = []
    X, y = np.zeros((23, 3)), np.zeros(23, dtype=int)
    res = cross_validate(_Recorder, X, y, folds=5, grid={"a": [1, 2], "b": [0, 1, 2]})
    assert [r["params"] for r in res.results] == [
        {"a": a, "b": b} for a in (1, 2) for b in (0, 1, 2)
    ]
    assert len(_Recorder.calls) == 6 * 5
    assert sorted(set(_Recorder.calls)) == [18, 19]  # 23 split into folds of 5 and 4
    r = res.results[0]
    assert r["scores"].shape == (5,)
    assert r["mean"] == pytest.approx(np.mean(r["scores"]))
    assert r["std"] == pytest.approx(np.std(r["scores"]))
    assert res.best_params["a"] == 2


def test_knn_cross_validation_finds_the_clusters():
    X, y = _two_clusters()
    res = cross_validate(KNearestNeighbor, X, y, folds=3, grid={"k": [1, 3, 5]})
    assert all(r["mean"] > 0.95 for r in res.results)
    assert res.best_params["k"] in (1, 3, 5)
    # shuffle=False: contiguous folds; a fold of one class only is still scored
    res2 = cross_validate(KNearestNeighbor, X, y, folds=2, grid={"k": [1]}, shuffle=False)
    assert res2.results[0]["scores"].shape == (2,)


def test_random_search_draws_from_lists_and_callables():
    X, y = _two_clusters()
    res = cross_validate(
        KNearestNeighbor,
        X,
        y,
        folds=3,
        n_iter=6,
        seed=1,
        distributions={"k": [1, 3, 7], "metric": ["l1", "l2"]},
    )
    assert len(res.results) == 6
    assert {r["params"]["k"] for r in res.results} <= {1, 3, 7}
    _Recorder.calls = []
    res = cross_validate(
        _Recorder, X, y, folds=2, n_iter=5, distributions={"a": log_uniform(1e-3, 1e-1)}
    )
    vals = [r["params"]["a"] for r in res.results]
    assert all(1e-3 <= v <= 1e-1 for v in vals) and len(set(vals)) == 5
    # seeded: the same draws again
    res_b = cross_validate(
        _Recorder, X, y, folds=2, n_iter=5, distributions={"a": log_uniform(1e-3, 1e-1)}
    )
    assert [r["params"]["a"] for r in res_b.results] == vals


def test_cross_validate_errors():
    X, y = _two_clusters()
    with pytest.raises(ValueError, match="exactly one of grid= or distributions="):
        cross_validate(KNearestNeighbor, X, y)
    with pytest.raises(ValueError, match="exactly one of grid= or distributions="):
        cross_validate(KNearestNeighbor, X, y, grid={"k": [1]}, distributions={"k": [1]})
    with pytest.raises(ValueError, match=r"folds must be an int in \[2, 60\]"):
        cross_validate(KNearestNeighbor, X, y, folds=1, grid={"k": [1]})
    with pytest.raises(ValueError, match="y must be"):
        cross_validate(KNearestNeighbor, X, y[:-1], grid={"k": [1]})
    with pytest.raises(ValueError, match="non-empty list"):
        cross_validate(KNearestNeighbor, X, y, grid={"k": []})
    with pytest.raises(TypeError, match="distribution 'k'"):
        cross_validate(KNearestNeighbor, X, y, distributions={"k": 3})
    with pytest.raises(ValueError, match="log_uniform"):
        log_uniform(0, 1)


def test_plot_cv_writes_png(tmp_path):
    X, y = _two_clusters()
    res = cross_validate(KNearestNeighbor, X, y, folds=3, grid={"k": [1, 5, 3]})
    path = tmp_path / "cv.png"
    plot_cv(res, "k", str(path))
    assert path.read_bytes()[:4] == b"\x89PNG"
    with pytest.raises(ValueError, match="no setting has the parameter 'metric'"):
        plot_cv(res, "metric", str(path))


def test_val_count_default_is_a_fraction_for_small_data_sets():
    assert val_count(None, 1438) == 144  # the digits: 10 %, not 1 000 of 1 438
    assert val_count(None, 50_000) == 1000  # CIFAR-10: the course's 1 000
    assert val_count(0.25, 100) == 25 and val_count(30.0, 100) == 30
    for bad in (100, 0.0, 2.5):
        with pytest.raises(ValueError, match="--val-size"):
            val_count(bad, 100)


def test_validation_split_is_seeded_and_disjoint():
    imgs = np.arange(20)[:, None]
    labels = np.arange(20)
    a = validation_split(imgs, labels, 5, seed=1)
    b = validation_split(imgs, labels, 5, seed=1)
    assert all(np.array_equal(p, q) for p, q in zip(a, b, strict=True))
    assert len(a[3]) == 5 and len(a[1]) == 15
    assert set(a[1]) | set(a[3]) == set(range(20)) and not set(a[1]) & set(a[3])
    with pytest.raises(ValueError, match="--val-size must be between 1 and 19"):
        validation_split(imgs, labels, 20)


def _tied_data(seed=0):
    """Small-integer pixels: many equal distances and many tied votes."""
    rng = np.random.default_rng(seed)
    X = rng.integers(0, 3, (60, 4)).astype(np.uint8)
    return X, rng.integers(0, 4, 60)


@pytest.mark.parametrize("metric", ["l2", "l1"])
@pytest.mark.parametrize("dtype", [np.uint8, np.float64])
def test_predict_ks_equals_predict_for_each_k(metric, dtype):
    X, y = _tied_data()
    X = X.astype(dtype)
    if dtype == np.float64:  # near-ties within float32 rounding, settled in float64
        X = X * 1000.0 + np.random.default_rng(1).normal(0, 1e-4, X.shape)
    knn = KNearestNeighbor(metric=metric).fit(X[:45], y[:45])
    ks = [1, 2, 3, 4, 7, 12, 45, 5]
    got = knn.predict_ks(X[45:], ks)
    assert got.shape == (len(ks), 15) and got.dtype == np.int64
    for row, k in zip(got, ks, strict=True):
        np.testing.assert_array_equal(row, knn.predict(X[45:], k=k))
    with pytest.raises(ValueError, match="ks must be a non-empty list"):
        knn.predict_ks(X[45:], [])
    with pytest.raises(ValueError, match="k must be a positive int"):
        knn.predict_ks(X[45:], [1, 0])


class _CountingKNN(KNearestNeighbor):
    fits = 0

    def fit(self, X, y):
        _CountingKNN.fits += 1
        return super().fit(X, y)


@pytest.mark.parametrize("metric", ["l2", "l1"])
def test_knn_cross_validation_over_k_fits_once_per_fold_and_equals_slow_path(metric):
    X, y = _tied_data(2)
    grid = {"k": [1, 3, 5, 8, 2, 20], "metric": [metric]}
    _CountingKNN.fits = 0
    fast = cross_validate(_CountingKNN, X, y, folds=4, grid=grid, seed=3)
    assert _CountingKNN.fits == 4  # one fit per fold for all six k
    # a given fit= turns the sharing off: every setting fitted on every fold
    _CountingKNN.fits = 0
    slow = cross_validate(
        _CountingKNN, X, y, folds=4, grid=grid, seed=3, fit=lambda m, a, b: m.fit(a, b)
    )
    assert _CountingKNN.fits == 6 * 4
    assert [r["params"] for r in fast.results] == [r["params"] for r in slow.results]
    for f, s in zip(fast.results, slow.results, strict=True):
        np.testing.assert_array_equal(f["scores"], s["scores"])
        assert f["mean"] == s["mean"] and f["std"] == s["std"]
    assert fast.best_params == slow.best_params


def test_cross_validation_shares_work_per_group_of_other_parameters():
    X, y = _tied_data(4)
    dist = {"k": [1, 4, 9], "metric": ["l1", "l2"]}
    fast = cross_validate(KNearestNeighbor, X, y, folds=3, n_iter=8, seed=5, distributions=dist)
    slow = cross_validate(
        KNearestNeighbor,
        X,
        y,
        folds=3,
        n_iter=8,
        seed=5,
        distributions=dist,
        fit=lambda m, a, b: m.fit(a, b),
    )
    assert len({r["params"]["metric"] for r in fast.results}) == 2
    for f, s in zip(fast.results, slow.results, strict=True):
        assert f["params"] == s["params"]
        np.testing.assert_array_equal(f["scores"], s["scores"])
    # a model that is not a KNearestNeighbor but has a k is scored setting by setting
    _Recorder.calls = []
    res = cross_validate(lambda k: _Recorder(a=k), X, y, folds=3, grid={"k": [1, 2]})
    assert len(_Recorder.calls) == 2 * 3
    assert res.best_params == {"k": 2}
