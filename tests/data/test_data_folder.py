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


def _one_image_folder(root: Path, name: str, save) -> Path:
    (root / "cls").mkdir(parents=True)
    save(root / "cls" / name)
    return root


def test_16_bit_png_is_scaled_by_its_bit_depth_not_saturated(tmp_path):
    values = np.array([[0, 1000, 32767, 32768], [40000, 65280, 65534, 65535]], dtype=np.uint16)
    root = _one_image_folder(tmp_path / "png", "a.png", lambda p: Image.fromarray(values).save(p))
    assert Image.open(root / "cls" / "a.png").mode == "I;16"
    expected = np.rint(values.astype(np.float64) * 255 / 65535).astype(np.uint8)
    grey = ImageFolder(root, mode="L", cache=False).data[0]
    np.testing.assert_array_equal(grey, expected)  # was 0 and 255 only (saturated)
    rgb = ImageFolder(root, cache=False).data[0]
    np.testing.assert_array_equal(rgb, np.repeat(expected[..., None], 3, axis=2))


def test_16_bit_pgm_and_float_tiff(tmp_path):
    from hosila.data.folder import decode_image

    pgm = tmp_path / "a.pgm"
    vals = np.array([[0, 500, 1023, 300]], dtype=">u2")
    pgm.write_bytes(b"P5 4 1 1023\n" + vals.tobytes())  # Pillow scales maxval to 16 bits
    np.testing.assert_array_equal(
        decode_image(pgm, "L")[0], np.rint(vals[0].astype(float) * 255 / 1023)
    )

    floats = np.array([[0.0, 0.25, 0.5, 1.0]], dtype=np.float32)
    tif = tmp_path / "f.tif"
    Image.fromarray(floats).save(tif)
    assert Image.open(tif).mode == "F"
    np.testing.assert_array_equal(decode_image(tif, "L"), [[0, 64, 128, 255]])  # was all 0
    root = _one_image_folder(tmp_path / "tif", "f.tif", lambda p: Image.fromarray(floats).save(p))
    np.testing.assert_array_equal(
        ImageFolder(root, cache=False).data[0, 0, :, 1], [0, 64, 128, 255]
    )


@pytest.mark.parametrize(
    "array,match",
    [
        (np.array([[0.0, 2.5]], dtype=np.float32), r"float image with values in \[0, 2.5\]"),
        (np.array([[-1.0, 0.5]], dtype=np.float32), r"float image with values in \[-1, 0.5\]"),
        (np.array([[np.nan, 0.5]], dtype=np.float32), r"float image .* and NaN"),
        (np.array([[0, 70000]], dtype=np.int32), "32-bit integer TIFF image: its bit depth"),
    ],
)
def test_images_without_a_known_scale_are_refused(tmp_path, array, match):
    root = _one_image_folder(tmp_path / "d", "x.tif", lambda p: Image.fromarray(array).save(p))
    with pytest.raises(ValueError, match=r"x\.tif: " + match):
        ImageFolder(root, cache=False)


def test_decode_image_is_public_and_checks_its_arguments(tmp_path):
    from hosila.data.folder import decode_image

    arr = np.arange(24, dtype=np.uint8).reshape(2, 4, 3)
    Image.fromarray(arr).save(tmp_path / "a.png")
    np.testing.assert_array_equal(decode_image(tmp_path / "a.png"), arr)
    assert decode_image(str(tmp_path / "a.png"), "L").shape == (2, 4)
    assert decode_image(tmp_path / "a.png", size=(3, 5)).shape == (3, 5, 3)
    assert decode_image(tmp_path / "a.png", size=6).shape == (6, 6, 3)
    with pytest.raises(ValueError, match="mode must be 'RGB' or 'L'"):
        decode_image(tmp_path / "a.png", "CMYK")
    with pytest.raises(ValueError, match="size must be positive"):
        decode_image(tmp_path / "a.png", size=(0, 3))
    (tmp_path / "bad.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    with pytest.raises(ValueError, match=r"bad\.png: cannot decode image"):
        decode_image(tmp_path / "bad.png")
