"""ImageFolder on tiny PNG/JPEG folders written by the test."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from hosila.data import DataLoader, ImageFolder
from hosila.data import transforms as T


def _write_folder(root: Path, rng: np.random.Generator, ext: str = "png", n: int = 3):
    """root/<class>/<k>.<ext> for classes b, a, c (written out of order on purpose)."""
    images = {}
    for name in ["b", "a", "c"]:
        (root / name).mkdir(parents=True)
        for k in range(n):
            arr = rng.integers(0, 256, size=(6, 5, 3), dtype=np.uint8)
            path = root / name / f"{k:02d}.{ext}"
            Image.fromarray(arr).save(path)
            images[str(path)] = arr
    return images


def test_layout_labels_and_pixels(tmp_path):
    rng = np.random.default_rng(0)
    images = _write_folder(tmp_path / "imgs", rng)
    (tmp_path / "imgs" / "a" / "notes.txt").write_text("not an image")
    ds = ImageFolder(tmp_path / "imgs", cache_dir=tmp_path / "cache")
    assert ds.classes == ["a", "b", "c"]
    assert ds.class_to_idx == {"a": 0, "b": 1, "c": 2}
    assert len(ds) == 9
    assert ds.data.shape == (9, 6, 5, 3) and ds.data.dtype == np.uint8
    assert ds.targets.dtype == np.int64
    np.testing.assert_array_equal(ds.targets, [0, 0, 0, 1, 1, 1, 2, 2, 2])
    for i, (path, label) in enumerate(ds.samples):
        assert Path(path).parent.name == ds.classes[label]
        np.testing.assert_array_equal(ds.data[i], images[path])  # PNG is lossless
    img, label = ds[4]
    np.testing.assert_array_equal(img, images[ds.samples[4][0]])
    assert label == 1 and isinstance(label, int)


def test_cache_is_reused_and_invalidated(tmp_path):
    rng = np.random.default_rng(1)
    _write_folder(tmp_path / "imgs", rng)
    first = ImageFolder(tmp_path / "imgs", cache_dir=tmp_path / "cache")
    assert not first.from_cache and first.cache_path.is_file()
    assert first.cache_path.suffix == ".npy"
    second = ImageFolder(tmp_path / "imgs", cache_dir=tmp_path / "cache")
    assert second.from_cache
    np.testing.assert_array_equal(first.data, second.data)
    # Changing one image changes the fingerprint: the cache is not used.
    path = Path(first.samples[0][0])
    new = np.full((6, 5, 3), 7, np.uint8)
    Image.fromarray(new).save(path)
    os.utime(path, ns=(1, 1))
    third = ImageFolder(tmp_path / "imgs", cache_dir=tmp_path / "cache")
    assert not third.from_cache
    np.testing.assert_array_equal(third.data[0], new)
    # No temporary files are left behind.
    assert not [p for p in (tmp_path / "cache").iterdir() if p.suffix == ".tmp"]


def test_damaged_cache_is_rebuilt(tmp_path):
    _write_folder(tmp_path / "imgs", np.random.default_rng(2))
    first = ImageFolder(tmp_path / "imgs", cache_dir=tmp_path / "cache")
    first.cache_path.write_bytes(b"garbage")
    with pytest.warns(UserWarning, match="unreadable cache"):
        again = ImageFolder(tmp_path / "imgs", cache_dir=tmp_path / "cache")
    assert not again.from_cache
    np.testing.assert_array_equal(again.data, first.data)


def test_cache_off(tmp_path):
    _write_folder(tmp_path / "imgs", np.random.default_rng(3))
    ds = ImageFolder(tmp_path / "imgs", cache=False, num_workers=1)
    assert ds.cache_path is None and len(ds) == 9


def test_jpeg_grey_mode_and_threads(tmp_path):
    rng = np.random.default_rng(4)
    _write_folder(tmp_path / "imgs", rng, ext="jpg", n=120)
    rgb = ImageFolder(tmp_path / "imgs", cache=False, num_workers=2)
    one = ImageFolder(tmp_path / "imgs", cache=False, num_workers=1)
    np.testing.assert_array_equal(rgb.data, one.data)
    with Image.open(rgb.samples[5][0]) as im:
        np.testing.assert_array_equal(rgb.data[5], np.asarray(im.convert("RGB")))
    grey = ImageFolder(tmp_path / "imgs", mode="L", cache=False)
    assert grey.data.shape == (360, 6, 5)
    with Image.open(grey.samples[7][0]) as im:
        np.testing.assert_array_equal(grey.data[7], np.asarray(im.convert("L")))


def test_sizes_must_agree_unless_resized(tmp_path):
    _write_folder(tmp_path / "imgs", np.random.default_rng(5))
    odd = tmp_path / "imgs" / "c" / "zz.png"
    Image.fromarray(np.zeros((9, 9, 3), np.uint8)).save(odd)
    with pytest.raises(ValueError, match="zz.png.*size=") as err:
        ImageFolder(tmp_path / "imgs", cache=False)
    assert "(9, 9, 3)" in str(err.value)
    ds = ImageFolder(tmp_path / "imgs", size=(4, 4), cache=False)
    assert ds.data.shape == (10, 4, 4, 3)


def test_corrupt_image_names_the_file(tmp_path):
    _write_folder(tmp_path / "imgs", np.random.default_rng(6))
    bad = tmp_path / "imgs" / "b" / "broken.png"
    good = (tmp_path / "imgs" / "b" / "00.png").read_bytes()
    bad.write_bytes(good[: len(good) // 2])  # truncated
    with pytest.raises(ValueError, match="broken.png"):
        ImageFolder(tmp_path / "imgs", cache=False)
    bad.write_bytes(b"this is not an image")
    with pytest.raises(ValueError, match="broken.png.*cannot decode"):
        ImageFolder(tmp_path / "imgs", cache=False)


def test_missing_and_empty_folders_explain_the_layout(tmp_path):
    with pytest.raises(FileNotFoundError, match="one sub-folder per class"):
        ImageFolder(tmp_path / "nowhere")
    (tmp_path / "flat").mkdir()
    with pytest.raises(FileNotFoundError, match="no class sub-folders"):
        ImageFolder(tmp_path / "flat")
    (tmp_path / "flat" / "cat").mkdir()
    with pytest.raises(FileNotFoundError, match="cat"):
        ImageFolder(tmp_path / "flat")


def test_bad_arguments(tmp_path):
    _write_folder(tmp_path / "imgs", np.random.default_rng(7))
    with pytest.raises(ValueError, match="mode"):
        ImageFolder(tmp_path / "imgs", mode="CMYK")
    with pytest.raises(ValueError, match="size"):
        ImageFolder(tmp_path / "imgs", size=(0, 3))


def test_loader_over_image_folder(tmp_path):
    _write_folder(tmp_path / "imgs", np.random.default_rng(8))
    ds = ImageFolder(
        tmp_path / "imgs", transform=T.Compose([T.ToTensor()]), cache_dir=tmp_path / "c"
    )
    batches = list(DataLoader(ds, batch_size=4))
    images = np.concatenate([np.asarray(getattr(x, "data", x)) for x, _ in batches])
    labels = np.concatenate([np.asarray(getattr(y, "data", y)) for _, y in batches])
    np.testing.assert_allclose(images, ds.data.transpose(0, 3, 1, 2) / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(labels, ds.targets)


def test_is_valid_file_selects_images(tmp_path):
    _write_folder(tmp_path / "imgs", np.random.default_rng(9))
    ds = ImageFolder(tmp_path / "imgs", is_valid_file=lambda p: p.endswith("01.png"), cache=False)
    assert len(ds) == 3 and all(p.endswith("01.png") for p, _ in ds.samples)
    with pytest.raises(TypeError, match="is_valid_file"):
        ImageFolder(tmp_path / "imgs", is_valid_file=3)


def test_cache_is_per_folder(tmp_path):
    import shutil

    _write_folder(tmp_path / "a", np.random.default_rng(10))
    shutil.copytree(tmp_path / "a", tmp_path / "b")  # same names, sizes and mtimes
    first = ImageFolder(tmp_path / "a", cache_dir=tmp_path / "c")
    second = ImageFolder(tmp_path / "b", cache_dir=tmp_path / "c")
    assert not second.from_cache and second.cache_path != first.cache_path
