"""hosila.data.sources: the shared data-opening path and the stratified subset."""

import numpy as np
import pytest
from PIL import Image

from hosila.data.sources import read_split, stratified_indices, uses_image_folder


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


def _jpeg_tree(root, names=("airplane", "cat"), per_class=2):
    for part in ("train", "test"):
        for c, name in enumerate(names):
            (root / part / name).mkdir(parents=True)
            for k in range(per_class):
                Image.fromarray(np.full((4, 4, 3), 90 * c + k, np.uint8)).save(
                    root / part / name / f"{k:04d}.jpg"
                )
    return root


def test_read_split_cifar10_copy_honours_the_cache_options(tmp_path):
    root = _jpeg_tree(tmp_path / "cifar10")
    assert uses_image_folder("cifar10", str(root)) and uses_image_folder("folder", "x")
    assert not uses_image_folder("cifar10", str(tmp_path)) and not uses_image_folder("mnist", "x")
    x, y, classes = read_split("cifar10", str(root), False, cache_dir=str(tmp_path / "c"))
    assert x.shape == (4, 4, 4, 3) and y.tolist() == [0, 0, 1, 1] and classes == ["airplane", "cat"]
    assert len(list((tmp_path / "c").glob("*.npy"))) == 1
    read_split("folder", str(root), True, cache=False, cache_dir=str(tmp_path / "d"))
    assert not (tmp_path / "d").exists()


def _message(*args, **kwargs) -> str:
    with pytest.raises((FileNotFoundError, ValueError)) as info:
        read_split(*args, **kwargs)
    return str(info.value)


def test_wrong_cifar_root_describes_both_layouts_and_the_cli_options(tmp_path):
    for root in (tmp_path, tmp_path / "missing"):
        text = _message("cifar10", str(root), True)
        assert text.startswith(f"--root {root}:")
        for part in (f"{root}/cifar-10-batches-py/", f"{root}/cifar-10-python.tar.gz",
                     f"{root}/train/<class>/", f"{root}/test/<class>/", "--root DIR",
                     "'hosila data cifar10 DIR --download'"):  # fmt: skip
            assert part in text
        assert "CIFAR10(" not in text and "\n" not in text
    # the official folder without the test batch: still the command-line text
    (tmp_path / "cifar-10-batches-py").mkdir()
    text = _message("cifar10", str(tmp_path), False)
    assert "the test files (test_batch) are missing" in text and "CIFAR10(" not in text


def test_wrong_folder_and_mnist_roots_name_the_layouts(tmp_path):
    text = _message("folder", str(tmp_path / "none"), True)
    assert "is not a folder" in text and f"{tmp_path}/none/train/<class>/*" in text
    text = _message("folder", str(tmp_path), True)
    assert "no class sub-folders" in text and "ImageFolder(" not in text and "\n" not in text
    text = _message("mnist", str(tmp_path), True)
    assert "t10k-images-idx3-ubyte[.gz]" in text and "'hosila data mnist DIR --download'" in text
    assert "MNIST(" not in text
    assert "needs --root DIR" in _message("mnist", None, True)
    assert "--download fetches official" in _message("folder", str(tmp_path), True, download=True)


def test_digits_refuse_a_root():
    assert "--root is not used by --data digits" in _message("digits", "/tmp", True)
