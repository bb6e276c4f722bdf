"""k-nearest neighbours on small generated data."""

from __future__ import annotations

import numpy as np
import pytest

from hosila.classic import KNearestNeighbor


def _data(seed=0, n_train=40, n_test=13, d=7, dtype=np.float64):
    rng = np.random.default_rng(seed)
    Xtr = rng.standard_normal((n_train, d)).astype(dtype)
    Xte = rng.standard_normal((n_test, d)).astype(dtype)
    ytr = rng.integers(0, 4, n_train)
    return Xtr, ytr, Xte


def _reference(Xtr, ytr, Xte, k, metric):
    """Brute force in float64: sort by (distance, index), vote, ties to the smallest label."""
    a, b = Xte.astype(np.float64), Xtr.astype(np.float64)
    out = []
    for x in a:
        diff = b - x
        d = (diff**2).sum(1) if metric == "l2" else np.abs(diff).sum(1)
        near = np.lexsort((np.arange(len(d)), d))[:k]
        counts = np.bincount(ytr[near], minlength=ytr.max() + 1)
        out.append(int(np.flatnonzero(counts == counts.max())[0]))
    return np.array(out)


@pytest.mark.parametrize("metric", ["l2", "l1"])
def test_three_distance_versions_agree(metric):
    Xtr, ytr, Xte = _data()
    knn = KNearestNeighbor(metric=metric).fit(Xtr, ytr)
    d2 = knn.compute_distances(Xte, loops=2)
    d1 = knn.compute_distances(Xte, loops=1)
    d0 = knn.compute_distances(Xte, loops=0)
    assert d2.shape == (13, 40)
    np.testing.assert_allclose(d1, d2, rtol=1e-12)
    np.testing.assert_allclose(d0, d2, rtol=1e-4, atol=1e-4)  # float32 fast path
    ref = (
        np.sqrt(((Xte[:, None] - Xtr[None]) ** 2).sum(-1))
        if metric == "l2"
        else (np.abs(Xte[:, None] - Xtr[None]).sum(-1))
    )
    np.testing.assert_allclose(d2, ref, rtol=1e-12)


def test_l2_is_clamped_at_zero_for_identical_points():
    Xtr, ytr, _ = _data(d=50)
    Xtr = Xtr * 1e3 + 1e4  # large norms: |x|^2 + |y|^2 - 2xy cancels badly
    knn = KNearestNeighbor().fit(Xtr, ytr)
    d = knn.compute_distances(Xtr[:5], loops=0)
    assert (d >= 0).all()
    assert np.argmin(d, axis=1).tolist() == [0, 1, 2, 3, 4]


@pytest.mark.parametrize("metric", ["l2", "l1"])
@pytest.mark.parametrize("k", [1, 3, 6])
def test_predict_matches_brute_force_reference(metric, k):
    Xtr, ytr, Xte = _data(seed=k)
    knn = KNearestNeighbor(metric=metric).fit(Xtr, ytr)
    np.testing.assert_array_equal(knn.predict(Xte, k=k), _reference(Xtr, ytr, Xte, k, metric))
    assert knn.predict(Xte, k=k).dtype == np.int64


@pytest.mark.parametrize("metric", ["l2", "l1"])
def test_uint8_images_match_reference(metric):
    rng = np.random.default_rng(3)
    Xtr = rng.integers(0, 256, (60, 2, 3, 3), dtype=np.uint8)
    Xte = rng.integers(0, 256, (9, 2, 3, 3), dtype=np.uint8)
    ytr = rng.integers(0, 3, 60)
    knn = KNearestNeighbor(metric=metric).fit(Xtr, ytr)
    f = lambda a: a.reshape(len(a), -1)  # noqa: E731
    for k in (1, 4):
        np.testing.assert_array_equal(
            knn.predict(Xte, k), _reference(f(Xtr), ytr, f(Xte), k, metric)
        )


@pytest.mark.parametrize("metric", ["l2", "l1"])
def test_chunking_does_not_change_the_result(metric):
    Xtr, ytr, Xte = _data(seed=5, n_train=57, n_test=23)
    full = KNearestNeighbor(metric=metric).fit(Xtr, ytr)
    base_d, base_p = full.compute_distances(Xte), full.predict(Xte, k=3)
    for kw in ({"chunk_size": 1}, {"chunk_size": 4}, {"max_memory": 1}, {"max_memory": 4 * 57 * 5}):
        knn = KNearestNeighbor(metric=metric, **kw).fit(Xtr, ytr)
        np.testing.assert_allclose(knn.compute_distances(Xte), base_d, rtol=1e-6)
        np.testing.assert_array_equal(knn.predict(Xte, k=3), base_p)


def test_vote_ties_go_to_the_smallest_label():
    # test point at 0; neighbours at distance 1 (label 2) and 2 (label 1): k=2 is a 1-1 tie
    Xtr = np.array([[1.0], [2.0], [10.0]])
    ytr = np.array([2, 1, 0])
    knn = KNearestNeighbor().fit(Xtr, ytr)
    assert knn.predict(np.array([[0.0]]), k=2).tolist() == [1]
    assert knn.predict(np.array([[0.0]]), k=1).tolist() == [2]
    # three-way tie with k=3 -> label 0
    assert knn.predict(np.array([[0.0]]), k=3).tolist() == [0]


@pytest.mark.parametrize("metric", ["l2", "l1"])
def test_equal_distances_go_to_the_smaller_training_index(metric):
    # two training points at exactly the same distance; the first one (label 5) wins
    Xtr = np.array([[1.0, 0.0], [-1.0, 0.0], [0.0, 3.0]])
    ytr = np.array([5, 1, 0])
    knn = KNearestNeighbor(metric=metric).fit(Xtr, ytr)
    assert knn.predict(np.zeros((1, 2)), k=1).tolist() == [5]
    assert knn.kneighbors(np.zeros((1, 2)), k=2).tolist() == [[0, 1]]
    knn = KNearestNeighbor(metric=metric).fit(Xtr[[1, 0, 2]], ytr[[1, 0, 2]])
    assert knn.predict(np.zeros((1, 2)), k=1).tolist() == [1]


def test_near_ties_are_settled_in_float64():
    # distances differ by 1e-9 relative: float32 cannot separate them, float64 can
    base = np.full((1, 30), 1000.0)
    Xtr = np.vstack([base + 1.0 + 1e-6, base + 1.0, base + 50.0])
    ytr = np.array([3, 7, 1])
    knn = KNearestNeighbor().fit(Xtr, ytr)
    assert knn.predict(base, k=1).tolist() == [7]
    assert knn.kneighbors(base, k=2).tolist() == [[1, 0]]


def test_k_larger_than_training_set_and_bad_k():
    Xtr, ytr, Xte = _data()
    knn = KNearestNeighbor().fit(Xtr, ytr)
    with pytest.raises(ValueError, match="k = 41 is larger than the 40 training examples"):
        knn.predict(Xte, k=41)
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match="k must be a positive int"):
            knn.predict(Xte, k=bad)
    with pytest.raises(ValueError, match="k must be a positive int"):
        KNearestNeighbor(k=0)


def test_argument_errors():
    Xtr, ytr, Xte = _data()
    with pytest.raises(ValueError, match="metric must be 'l2' or 'l1', got 'cosine'"):
        KNearestNeighbor(metric="cosine")
    with pytest.raises(ValueError, match="max_memory must be a positive int"):
        KNearestNeighbor(max_memory=0)
    with pytest.raises(ValueError, match="chunk_size"):
        KNearestNeighbor(chunk_size=-3)
    with pytest.raises(RuntimeError, match="call fit"):
        KNearestNeighbor().predict(Xte)
    knn = KNearestNeighbor().fit(Xtr, ytr)
    with pytest.raises(ValueError, match="loops must be 0, 1 or 2"):
        knn.compute_distances(Xte, loops=3)
    with pytest.raises(ValueError, match="6 features per example, the training data 7"):
        knn.predict(np.zeros((2, 6)))
    with pytest.raises(ValueError, match="y must be"):
        KNearestNeighbor().fit(Xtr, ytr[:-1])
    with pytest.raises(TypeError, match="integer labels"):
        KNearestNeighbor().fit(Xtr, ytr.astype(float))
    with pytest.raises(ValueError, match="labels must be >= 0"):
        KNearestNeighbor().fit(Xtr, ytr - 5)


def test_score_and_default_k():
    Xtr, ytr, Xte = _data()
    knn = KNearestNeighbor(k=3).fit(Xtr, ytr)
    pred = knn.predict(Xte)
    np.testing.assert_array_equal(pred, knn.predict(Xte, k=3))
    assert knn.score(Xte, pred) == 1.0
    assert knn.score(Xtr, ytr, k=1) == 1.0  # each training point is its own nearest


def test_near_ties_at_the_k_th_place_keep_the_sure_neighbours():
    base = np.full((1, 30), 1000.0)
    offsets = [50.0, 1.0 + 1e-6, 0.5, 1.0, 1.0 + 2e-6, 0.25]
    Xtr = np.vstack([base + o for o in offsets])
    ytr = np.arange(6)
    knn = KNearestNeighbor().fit(Xtr, ytr)
    assert knn.kneighbors(base, k=4).tolist() == [[5, 2, 3, 1]]
    assert knn.kneighbors(base, k=3).tolist() == [[5, 2, 3]]
    # exact=False gives the raw float32 answer, which may differ but has the right shape
    assert KNearestNeighbor(exact=False).fit(Xtr, ytr).kneighbors(base, k=3).shape == (1, 3)


def test_uint8_l1_distances_are_exact_integers():
    rng = np.random.default_rng(4)
    Xtr = rng.integers(0, 256, (30, 75), dtype=np.uint8)
    Xte = rng.integers(0, 256, (11, 75), dtype=np.uint8)
    knn = KNearestNeighbor(metric="l1", max_memory=5000).fit(Xtr, np.zeros(30, dtype=int))
    ref = np.abs(Xte[:, None].astype(np.int64) - Xtr[None].astype(np.int64)).sum(-1)
    np.testing.assert_array_equal(knn.compute_distances(Xte, loops=0), ref)
    np.testing.assert_array_equal(knn.compute_distances(Xte, loops=2), ref)
