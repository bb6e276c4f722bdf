"""hosila.train.metrics against direct counts (and torch where it has the metric)."""

from __future__ import annotations

import numpy as np
import pytest

import hosila
from hosila.train import accuracy, confusion_matrix, correct, topk_accuracy


def test_accuracy_and_correct():
    scores = np.array([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7], [0.6, 0.4]], dtype=np.float32)
    labels = np.array([1, 0, 0, 1])
    assert correct(scores, labels) == 2
    assert accuracy(scores, labels) == 0.5
    assert accuracy(hosila.tensor(scores), hosila.tensor(labels)) == 0.5


def test_topk_matches_a_direct_count():
    rng = np.random.default_rng(0)
    scores = rng.normal(size=(50, 7))
    labels = rng.integers(0, 7, size=50)
    for k in (1, 3, 7, 10):
        rank = (scores > scores[np.arange(50), labels][:, None]).sum(axis=1)
        assert topk_accuracy(scores, labels, k) == pytest.approx(np.mean(rank < k))
    assert topk_accuracy(scores, labels, 1) == accuracy(scores, labels)


def test_confusion_matrix():
    pred = np.array([0, 1, 1, 2, 2, 2])
    true = np.array([0, 1, 2, 2, 2, 0])
    m = confusion_matrix(pred, true, 3)
    assert m.dtype == np.int64
    np.testing.assert_array_equal(m, [[1, 0, 1], [0, 1, 0], [0, 1, 2]])
    assert m.sum() == 6 and np.trace(m) == 4
    scores = np.eye(3)[pred]
    np.testing.assert_array_equal(confusion_matrix(scores, true, 3), m)


def test_bad_input():
    with pytest.raises(ValueError, match="outputs must be scores"):
        accuracy(np.zeros(3), np.zeros(3, dtype=int))
    with pytest.raises(ValueError, match="targets must be labels"):
        accuracy(np.zeros((3, 2)), np.zeros(4, dtype=int))
    with pytest.raises(TypeError, match="integer labels"):
        accuracy(np.zeros((3, 2)), np.zeros(3))
    with pytest.raises(ValueError, match=r"must lie in \[0, 3\)"):
        confusion_matrix(np.array([0, 3]), np.array([0, 1]), 3)
    with pytest.raises(ValueError, match="k must be"):
        topk_accuracy(np.zeros((2, 2)), np.zeros(2, dtype=int), 0)
