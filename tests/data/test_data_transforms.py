"""Transforms, against hand-computed results (torchvision's definitions)."""

from __future__ import annotations

import numpy as np
import pytest

from hosila.data import ArrayDataset
from hosila.data import transforms as T


def rng(seed=0):
    return np.random.default_rng(seed)


def test_to_tensor_single_batch_and_grey():
    img = np.array([[[0, 51, 255], [102, 0, 1]]], dtype=np.uint8)  # (H=1, W=2, C=3)
    out = T.ToTensor()(img)
    assert out.shape == (3, 1, 2) and out.dtype == np.float32
    np.testing.assert_allclose(out[:, 0, 0], [0.0, 0.2, 1.0], rtol=1e-7)
    np.testing.assert_allclose(out[:, 0, 1], [0.4, 0.0, 1 / 255], rtol=1e-7)
    batch = np.stack([img, 255 - img])
    b = T.ToTensor().apply_batch(batch)
    assert b.shape == (2, 3, 1, 2)
    np.testing.assert_array_equal(b[0], out)
    grey = np.array([[0, 255], [51, 102]], dtype=np.uint8)
    g = T.ToTensor()(grey)
    assert g.shape == (1, 2, 2)
    np.testing.assert_allclose(g[0], [[0, 1], [0.2, 0.4]], rtol=1e-7)
    t = np.ones((3, 2, 2), np.float32)
    assert T.ToTensor()(t) is not None and np.array_equal(T.ToTensor()(t), t)
    with pytest.raises(TypeError, match="uint8"):
        T.ToTensor()(np.zeros((2, 2, 3), np.int16))
    with pytest.raises(ValueError, match="shape"):
        T.ToTensor().apply_batch(np.zeros((2, 2), np.uint8))


def test_normalize_per_channel():
    x = np.arange(12, dtype=np.float32).reshape(3, 2, 2) / 10
    out = T.Normalize([0.1, 0.5, 1.0], [0.5, 2.0, 0.25])(x)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out[0], (x[0] - 0.1) / 0.5, rtol=1e-6)
    np.testing.assert_allclose(out[1], (x[1] - 0.5) / 2.0, rtol=1e-6)
    np.testing.assert_allclose(out[2], (x[2] - 1.0) / 0.25, rtol=1e-6)
    np.testing.assert_allclose(out[2, 1, 1], (1.1 - 1.0) / 0.25, rtol=1e-5)
    b = T.Normalize([0.5], [0.5]).apply_batch(np.stack([x, x]).astype(np.float64))
    assert b.dtype == np.float64
    np.testing.assert_allclose(b[1], (x - 0.5) / 0.5, rtol=1e-6)
    y = x.copy()
    out = T.Normalize([0.1, 0.5, 1.0], [0.5, 2.0, 0.25], inplace=True)(y)
    assert np.shares_memory(out, y)
    np.testing.assert_allclose(y[1], (x[1] - 0.5) / 2.0, rtol=1e-6)
    with pytest.raises(TypeError, match="ToTensor"):
        T.Normalize([0.5], [0.5])(np.zeros((2, 2, 3), np.uint8))
    with pytest.raises(ValueError, match="2 channel values but the tensor has 3"):
        T.Normalize([0.5, 0.5], [1, 1])(x)
    with pytest.raises(ValueError, match="zeros"):
        T.Normalize([0.5], [0.0])
    with pytest.raises(ValueError, match="same length"):
        T.Normalize([0.5, 0.1], [1.0])


def test_subtract_mean_fit_and_apply():
    data = rng().integers(0, 256, size=(10, 4, 4, 3), dtype=np.uint8)
    tf = T.SubtractMean.fit(data, batch_size=3)
    np.testing.assert_allclose(tf.mean, data.mean(axis=0), rtol=1e-6)
    out = tf.apply_batch(data)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, data - data.mean(axis=0), atol=1e-4)
    np.testing.assert_allclose(out.mean(axis=0), 0, atol=1e-4)
    # On tensors, fitted on a data set through its transform.
    ds = ArrayDataset(data, np.zeros(10, np.int64), transform=T.ToTensor())
    tf2 = T.SubtractMean.fit(ds, scale=True, batch_size=4)
    assert tf2.mean.shape == (3, 4, 4)
    x = T.ToTensor().apply_batch(data)
    expected = (x - x.mean(axis=0)) / x.std(axis=0)
    np.testing.assert_allclose(tf2.apply_batch(x), expected, atol=1e-4)
    with pytest.raises(ValueError, match="does not match"):
        tf2(np.zeros((3, 5, 5), np.float32))
    with pytest.raises(ValueError, match="at least one"):
        T.SubtractMean.fit(np.zeros((0, 2)))


@pytest.mark.parametrize(
    "mode,row",
    [
        ("constant", [9, 9, 1, 2, 3, 9, 9]),
        ("edge", [1, 1, 1, 2, 3, 3, 3]),
        ("reflect", [3, 2, 1, 2, 3, 2, 1]),
        ("symmetric", [2, 1, 1, 2, 3, 3, 2]),
    ],
)
def test_random_crop_padding_modes(mode, row):
    img = np.tile(np.array([1, 2, 3], np.uint8)[None, :, None], (3, 1, 1))  # (3, 3, 1)
    crop = T.RandomCrop(7, padding=2, padding_mode=mode, fill=9)
    out = crop(img, generator=rng())  # the crop is the whole padded image
    assert out.shape == (7, 7, 1)
    np.testing.assert_array_equal(out[3, :, 0], row)


def test_random_crop_windows_are_uniform_and_per_image():
    n = 400
    data = np.broadcast_to(np.arange(36, dtype=np.uint8).reshape(1, 6, 6, 1), (n, 6, 6, 1)).copy()
    out = T.RandomCrop((3, 2)).apply_batch(data, generator=rng(1))
    assert out.shape == (n, 3, 2, 1)
    # Each crop is the window whose top-left value is out[k, 0, 0] = 6 i + j.
    tops, lefts = out[:, 0, 0, 0] // 6, out[:, 0, 0, 0] % 6
    for k in range(n):
        np.testing.assert_array_equal(
            out[k, :, :, 0], data[k, tops[k] : tops[k] + 3, lefts[k] : lefts[k] + 2, 0]
        )
    # All 4 x 5 positions occur, roughly equally often.
    counts = np.bincount(tops * 5 + lefts, minlength=20)
    assert counts.min() > 5 and set(tops) == {0, 1, 2, 3} and set(lefts) == {0, 1, 2, 3, 4}


def test_random_crop_same_windows_for_images_and_tensors():
    data = rng(2).integers(0, 256, size=(8, 5, 5, 3), dtype=np.uint8)
    crop = T.RandomCrop(4, padding=(1, 2))
    a = crop.apply_batch(data, generator=rng(3))
    b = crop.apply_batch(T.ToTensor().apply_batch(data), generator=rng(3))
    assert a.shape == (8, 4, 4, 3) and b.shape == (8, 3, 4, 4)
    np.testing.assert_allclose(T.ToTensor().apply_batch(a), b)
    grey = crop.apply_batch(data[..., 0], generator=rng(3))
    np.testing.assert_array_equal(grey, a[..., 0])


def test_random_crop_pad_if_needed_and_errors():
    img = np.ones((2, 3, 3), np.uint8)
    out = T.RandomCrop((4, 3), pad_if_needed=True)(img, generator=rng())
    assert out.shape == (4, 3, 3)
    same = T.RandomCrop((2, 3)).apply_batch(img[None])  # full size: a copy, not a view
    np.testing.assert_array_equal(same[0], img)
    assert not np.shares_memory(same, img)
    with pytest.raises(ValueError, match="larger than"):
        T.RandomCrop(5)(img)
    with pytest.raises(ValueError, match="padding_mode"):
        T.RandomCrop(2, padding_mode="wrap")
    with pytest.raises(ValueError, match="padding"):
        T.RandomCrop(2, padding=(1, 2, 3))
    with pytest.raises(ValueError, match="reflect"):
        T.RandomCrop(2, padding=3, padding_mode="reflect")(img)


def test_center_crop():
    img = np.arange(5 * 6, dtype=np.uint8).reshape(5, 6, 1)
    out = T.CenterCrop((2, 3))(img)
    # top = round(1.5) = 2, left = round(1.5) = 2 (halves to even, as Python's round)
    np.testing.assert_array_equal(out[..., 0], img[2:4, 2:5, 0])
    out = T.CenterCrop(4)(img)  # top = round(0.5) = 0, left = 1
    np.testing.assert_array_equal(out[..., 0], img[0:4, 1:5, 0])
    big = T.CenterCrop((7, 6))(img)  # one zero row above, one below
    assert big.shape == (7, 6, 1)
    np.testing.assert_array_equal(big[1:6, :, 0], img[..., 0])
    assert big[0].sum() == 0 and big[6].sum() == 0
    x = T.ToTensor()(np.repeat(img, 3, axis=2))
    np.testing.assert_allclose(T.CenterCrop(4)(x), T.ToTensor()(np.repeat(img, 3, 2)[0:4, 1:5]))


def test_horizontal_and_vertical_flip():
    data = rng(4).integers(0, 256, size=(200, 3, 4, 3), dtype=np.uint8)
    np.testing.assert_array_equal(T.RandomHorizontalFlip(1.0).apply_batch(data), data[:, :, ::-1])
    np.testing.assert_array_equal(T.RandomHorizontalFlip(0.0).apply_batch(data), data)
    np.testing.assert_array_equal(T.RandomVerticalFlip(1.0).apply_batch(data), data[:, ::-1])
    out = T.RandomHorizontalFlip(0.5).apply_batch(data, generator=rng(5))
    flipped = np.all(out == data[:, :, ::-1], axis=(1, 2, 3))
    same = np.all(out == data, axis=(1, 2, 3))
    assert np.all(flipped | same)
    assert 60 < flipped.sum() < 140
    # Tensors (N, C, H, W): the width is the last axis.
    x = T.ToTensor().apply_batch(data)
    np.testing.assert_array_equal(T.RandomHorizontalFlip(1.0).apply_batch(x), x[..., ::-1])
    with pytest.raises(ValueError, match="probability"):
        T.RandomHorizontalFlip(1.5)


GRAY = np.array([0.2989, 0.587, 0.114])


def test_color_jitter_fixed_factors_on_tensors():
    x = rng(6).random((3, 2, 2)).astype(np.float32)
    gray = np.tensordot(GRAY, x, axes=1)  # (2, 2)
    out = T.ColorJitter(brightness=(1.5, 1.5))(x)
    np.testing.assert_allclose(out, np.clip(1.5 * x, 0, 1), rtol=1e-6)
    out = T.ColorJitter(contrast=(0.3, 0.3))(x)
    np.testing.assert_allclose(out, np.clip(0.3 * x + 0.7 * gray.mean(), 0, 1), rtol=1e-5)
    out = T.ColorJitter(saturation=(0.0, 0.0))(x)
    np.testing.assert_allclose(out, np.broadcast_to(gray, x.shape), rtol=1e-5)
    out = T.ColorJitter(saturation=(2.0, 2.0))(x)
    np.testing.assert_allclose(out, np.clip(2 * x - gray, 0, 1), rtol=1e-5, atol=1e-6)


def test_color_jitter_hue():
    red = np.zeros((3, 1, 2), np.float32)
    red[0] = 1.0
    red[:, 0, 1] = [0.5, 0.25, 0.25]  # h = 0, s = 0.5, v = 0.5
    out = T.ColorJitter(hue=(0.5, 0.5))(red)
    np.testing.assert_allclose(out[:, 0, 0], [0, 1, 1], atol=1e-6)  # red -> cyan
    np.testing.assert_allclose(out[:, 0, 1], [0.25, 0.5, 0.5], atol=1e-6)
    back = T.ColorJitter(hue=(-0.5, -0.5))(out)
    np.testing.assert_allclose(back, red, atol=1e-6)
    # a hue shift keeps value (max) and saturation of every pixel
    x = rng(7).random((3, 4, 4))
    y = T.ColorJitter(hue=0.5)(x, generator=rng(8))
    np.testing.assert_allclose(y.max(axis=0), x.max(axis=0), atol=1e-9)
    sat = lambda a: (a.max(0) - a.min(0)) / a.max(0)  # noqa: E731
    np.testing.assert_allclose(sat(y), sat(x), atol=1e-9)


def test_color_jitter_uint8_truncates_like_torchvision():
    img = np.array([[[200, 100, 7]]], dtype=np.uint8)  # (1, 1, 3)
    out = T.ColorJitter(brightness=(0.5, 0.5))(img)
    assert out.dtype == np.uint8
    np.testing.assert_array_equal(out[0, 0], [100, 50, 3])
    out = T.ColorJitter(brightness=(2.0, 2.0))(img)
    np.testing.assert_array_equal(out[0, 0], [255, 200, 14])
    g = int(0.2989 * 200 + 0.587 * 100 + 0.114 * 7)  # 119, truncated
    out = T.ColorJitter(saturation=(0.0, 0.0))(img)
    np.testing.assert_array_equal(out[0, 0], [g, g, g])
    out = T.ColorJitter(contrast=(0.5, 0.5))(img)
    np.testing.assert_array_equal(out[0, 0], np.trunc(0.5 * img[0, 0] + 0.5 * g))
    red = np.array([[[255, 0, 0]]], np.uint8)
    np.testing.assert_array_equal(T.ColorJitter(hue=(0.5, 0.5))(red)[0, 0], [0, 255, 255])


def test_color_jitter_random_order_and_ranges():
    # (1, 0.2, 0.2) with brightness x2 and contrast x0 (every channel -> mean grey):
    # brightness first: (1, 0.4, 0.4) -> grey; contrast first: grey(x), then doubled.
    x = np.full((300, 3, 1, 1), 0.2, np.float32)
    x[:, 0] = 1.0
    tf = T.ColorJitter(brightness=(2.0, 2.0), contrast=(0.0, 0.0))
    out = tf.apply_batch(x, generator=rng(9))
    bright_first = np.full(3, GRAY @ np.array([1.0, 0.4, 0.4]))
    contrast_first = np.full(3, 2 * (GRAY @ np.array([1.0, 0.2, 0.2])))
    a = np.all(np.isclose(out[:, :, 0, 0], bright_first, atol=1e-5), axis=1)
    b = np.all(np.isclose(out[:, :, 0, 0], contrast_first, atol=1e-5), axis=1)
    assert np.all(a | b) and 100 < a.sum() < 200
    # factors are drawn per image within [max(0, 1 - v), 1 + v]
    tf = T.ColorJitter(brightness=0.4)
    assert tf.brightness == (0.6, 1.4)
    y = tf.apply_batch(np.full((500, 3, 1, 1), 0.5), generator=rng(10))[:, 0, 0, 0] / 0.5
    assert 0.6 <= y.min() < 0.65 and 1.35 < y.max() <= 1.4
    assert T.ColorJitter(contrast=2).contrast == (0.0, 3.0)
    assert T.ColorJitter(hue=0.1).hue == (-0.1, 0.1)
    with pytest.raises(ValueError, match="hue"):
        T.ColorJitter(hue=0.7)
    with pytest.raises(ValueError, match="non-negative"):
        T.ColorJitter(brightness=-1)
    with pytest.raises(ValueError, match="channels"):
        T.ColorJitter(brightness=0.5)(np.zeros((2, 3, 3), np.float32))


def test_color_jitter_grey_images():
    g = rng(11).random((1, 3, 3))
    np.testing.assert_array_equal(T.ColorJitter(saturation=(0.0, 0.0))(g), g)
    out = T.ColorJitter(contrast=(0.5, 0.5))(g)
    np.testing.assert_allclose(out, 0.5 * g + 0.5 * g.mean())


def test_compose_lambda_and_plain_callables():
    data = rng(12).integers(0, 256, size=(4, 3, 3, 3), dtype=np.uint8)
    pipeline = T.Compose([T.ToTensor(), lambda t: t * 2, T.Lambda(lambda b: b + 1, batched=True)])
    out = pipeline.apply_batch(data)
    np.testing.assert_allclose(out, T.ToTensor().apply_batch(data) * 2 + 1, rtol=1e-6)
    np.testing.assert_allclose(pipeline(data[1]), out[1], rtol=1e-6)
    assert "ToTensor" in repr(pipeline)
    with pytest.raises(TypeError, match=r"transforms\[0\]"):
        T.Compose([3])


def test_global_generator_is_used_by_default():
    from hosila.data._util import default_generator

    data = rng(13).integers(0, 256, size=(50, 6, 6, 3), dtype=np.uint8)
    gen = default_generator()
    state = gen.bit_generator.state
    a = T.RandomCrop(4).apply_batch(data)
    gen.bit_generator.state = state
    b = T.RandomCrop(4).apply_batch(data)
    np.testing.assert_array_equal(a, b)


def test_tensor_in_tensor_out(monkeypatch):
    import hosila

    class FakeTensor:  # stands for hosila.Tensor: an object holding its array in .data
        def __init__(self, data):
            self.data = data

    monkeypatch.setattr(hosila, "from_numpy", FakeTensor, raising=False)
    x = np.arange(12, dtype=np.float32).reshape(3, 2, 2)
    out = T.Compose([T.Normalize([1.0], [2.0]), T.RandomHorizontalFlip(1.0)])(FakeTensor(x))
    assert isinstance(out, FakeTensor)
    np.testing.assert_allclose(out.data, ((x - 1) / 2)[..., ::-1])
    assert isinstance(T.Normalize([1.0], [2.0])(x), np.ndarray)  # arrays stay arrays
