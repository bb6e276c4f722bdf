"""HOG and colour-histogram features on crafted images; extraction and standardisation."""

from __future__ import annotations

import colorsys

import numpy as np
import pytest

from hosila.classic import Standardizer, extract_features
from hosila.classic.features import color_histogram_hsv, hog_features, rgb_to_gray, rgb_to_hsv


def _edge(vertical: bool, size=16):
    img = np.zeros((size, size, 3), dtype=np.uint8)
    if vertical:
        img[:, size // 2 :] = 255  # dark | bright: gradient points along +x
    else:
        img[size // 2 :, :] = 255  # gradient along +y
    return img


def test_hog_shape_and_dtype():
    imgs = np.random.default_rng(0).integers(0, 256, (3, 32, 32, 3), dtype=np.uint8)
    f = hog_features(imgs)
    assert f.shape == (3, 4 * 4 * 9) and f.dtype == np.float32
    assert (f >= 0).all()
    assert hog_features(imgs[..., 0]).shape == (3, 144)  # grey images
    assert hog_features(imgs[:, :20, :27]).shape == (3, 2 * 3 * 9)  # partial cells dropped


def test_hog_vertical_edge_votes_into_bin_0_and_horizontal_into_bin_4():
    f = hog_features(np.stack([_edge(True), _edge(False)])).reshape(2, 2, 2, 9)
    v, h = f[0].sum(axis=(0, 1)), f[1].sum(axis=(0, 1))
    assert v.argmax() == 0 and np.count_nonzero(v) == 1  # 0 degrees
    assert h.argmax() == 4 and np.count_nonzero(h) == 1  # 90 degrees: [80, 100)
    # the edge sits between cell columns 0 and 1: only those cells see it
    assert f[0, :, 0, 0].min() > 0 and f[0, :, 1, 0].min() > 0
    # magnitude: the central difference 255 / 2 on the cell's last pixel column (8 of its
    # 64 pixels), averaged over the cell
    np.testing.assert_allclose(f[0, 0, 0, 0], 8 * 127.5 / 64, rtol=1e-5)
    np.testing.assert_allclose(rgb_to_gray(_edge(True)[None])[0, 0, -1], 255, rtol=1e-6)


def test_hog_diagonal_edge_and_constant_image():
    yy, xx = np.mgrid[0:16, 0:16]
    diag = np.where(xx + yy > 15, 255, 0).astype(np.uint8)  # gradient along (+1, +1): 45 deg
    f = hog_features(diag[None]).reshape(4, 9).sum(0)
    assert f.argmax() == 2  # [40, 60)
    assert not hog_features(np.full((1, 16, 16), 7, np.uint8)).any()


def test_hsv_matches_colorsys():
    rng = np.random.default_rng(1)
    px = rng.integers(0, 256, (50, 3))
    ours = rgb_to_hsv(px)
    ref = np.array([colorsys.rgb_to_hsv(*(p / 255.0)) for p in px])
    np.testing.assert_allclose(ours, ref, atol=1e-6)


@pytest.mark.parametrize(
    ("rgb", "bin_"), [((255, 0, 0), 0), ((0, 255, 0), 3), ((0, 0, 255), 6), ((255, 0, 255), 8)]
)
def test_pure_hue_falls_in_its_bin(rgb, bin_):
    img = np.broadcast_to(np.array(rgb, np.uint8), (1, 4, 4, 3))
    h = color_histogram_hsv(img)
    assert h.shape == (1, 10) and h.dtype == np.float32
    expected = np.zeros(10, np.float32)
    expected[bin_] = 1.0
    np.testing.assert_array_equal(h[0], expected)


def test_histogram_fractions_per_image():
    img = np.zeros((2, 2, 4, 3), np.uint8)
    img[0, :, :2] = (255, 0, 0)
    img[0, :, 2:] = (0, 0, 255)
    img[1] = (0, 255, 0)
    h = color_histogram_hsv(img, nbin=6)  # 6 bins: red 0, green 2, blue 4
    np.testing.assert_allclose(h[0], [0.5, 0, 0, 0, 0.5, 0])
    np.testing.assert_allclose(h[1], [0, 0, 1, 0, 0, 0])
    with pytest.raises(ValueError, match="needs colour images"):
        color_histogram_hsv(img[..., 0])
    with pytest.raises(ValueError, match="nbin must be >= 1"):
        color_histogram_hsv(img, nbin=0)


def test_extract_features_batches_equal_one_batch():
    imgs = np.random.default_rng(2).integers(0, 256, (7, 16, 16, 3), dtype=np.uint8)
    a = extract_features(imgs, batch_size=3, progress=False)
    b = extract_features(imgs, batch_size=100, progress=False)
    assert a.shape == (7, 2 * 2 * 9 + 10) and a.dtype == np.float32
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a[:, :36], hog_features(imgs))
    np.testing.assert_array_equal(a[:, 36:], color_histogram_hsv(imgs))
    with pytest.raises(ValueError, match="batch_size must be >= 1"):
        extract_features(imgs, batch_size=0)
    with pytest.raises(ValueError, match="feature_fns is empty"):
        extract_features(imgs, feature_fns=())


def test_standardizer():
    rng = np.random.default_rng(3)
    X = rng.normal(5.0, 3.0, (100, 4))
    X[:, 2] = 1.0  # constant column: centred only
    s = Standardizer().fit(X)
    Z = s.transform(X)
    assert Z.dtype == np.float32
    np.testing.assert_allclose(Z.mean(0), 0, atol=1e-5)
    np.testing.assert_allclose(Z.std(0), [1, 1, 0, 1], atol=1e-5)
    np.testing.assert_allclose(s.transform(X[:3]), Z[:3])
    with pytest.raises(RuntimeError, match="call fit"):
        Standardizer().transform(X)
    with pytest.raises(ValueError, match=r"X must be \(N, 4\)"):
        s.transform(X[:, :3])


def test_feature_argument_errors():
    with pytest.raises(ValueError, match=r"images must be \(N, H, W, 3\) or \(N, H, W\)"):
        hog_features(np.zeros((2, 4, 4, 2)))
    with pytest.raises(ValueError, match="smaller than one cell"):
        hog_features(np.zeros((1, 4, 4)))
    with pytest.raises(TypeError, match="must be numeric"):
        hog_features(np.zeros((1, 8, 8), dtype=object))
