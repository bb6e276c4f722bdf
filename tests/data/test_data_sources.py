"""hosila.data.sources: the shared data-opening path and the stratified subset."""

import numpy as np
import pytest

from hosila.data.sources import read_split, stratified_indices


def test_stratified_indices_keeps_every_class_of_a_sorted_label_list():
    labels = np.repeat(np.arange(10), 100)  # class-sorted, as an ImageFolder
    idx = stratified_indices(labels, 50, seed=0)
    assert idx.shape == (50,)
    assert np.all(np.diff(idx) > 0)  # sorted, no repeats
    assert np.bincount(labels[idx], minlength=10).tolist() == [5] * 10


def test_stratified_indices_is_proportional_seeded_and_random_within_classes():
    labels = np.array([0] * 70 + [1] * 20 + [2] * 10)
    idx = stratified_indices(labels, 10, seed=3)
    assert np.bincount(labels[idx], minlength=3).tolist() == [7, 2, 1]
    assert np.array_equal(idx, stratified_indices(labels, 10, seed=3))
    assert not np.array_equal(idx, stratified_indices(labels, 10, seed=4))
    assert not np.array_equal(idx[:7], np.arange(7))  # not just the first files


def test_stratified_indices_remainders_and_limits():
    labels = np.array([0, 0, 1, 1, 2, 2])
    idx = stratified_indices(labels, 4, seed=0)
    counts = np.bincount(labels[idx], minlength=3)
    assert counts.sum() == 4 and counts.max() - counts.min() <= 1
    assert np.array_equal(stratified_indices(labels, 6), np.arange(6))
    assert np.array_equal(stratified_indices(labels, 100), np.arange(6))
    with pytest.raises(ValueError, match="n must be"):
        stratified_indices(labels, 0)
    with pytest.raises(ValueError, match="one-dimensional"):
        stratified_indices(labels.reshape(2, 3), 2)


def test_read_split_digits_and_bad_name():
    x, y, classes = read_split("digits", None, True)
    assert x.dtype == np.uint8 and x.shape[1:] == (8, 8) and x.max() == 255
    assert y.shape == (x.shape[0],) and len(classes) == 10
    with pytest.raises(ValueError, match="--data must be one of"):
        read_split("imagenet", None, True)
