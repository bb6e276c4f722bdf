"""Pooling: the fast versions against loop references, PyTorch, and centred differences."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from tests.parity import check_parity

import hosila
from hosila.ops.pool import adaptive_avg_pool2d, adaptive_max_pool2d, avg_pool2d, max_pool2d

# --------------------------------------------------------------------------------------------
# Loop references (PyTorch's definitions, one output pixel at a time)
# --------------------------------------------------------------------------------------------


def _out(size, k, s, p, d, ceil_mode):
    span = size + 2 * p - d * (k - 1) - 1
    out = (math.ceil(span / s) if ceil_mode else span // s) + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


def loop_max_pool(x, k, s, p, d, ceil_mode):
    """Values, flat indices, and a backward that adds g to the element each index names."""
    n, c, h, w = x.shape
    ho, wo = _out(h, k[0], s[0], p[0], d[0], ceil_mode), _out(w, k[1], s[1], p[1], d[1], ceil_mode)
    y, idx = np.zeros((n, c, ho, wo)), np.zeros((n, c, ho, wo), dtype=np.int64)
    for a in range(n):
        for b in range(c):
            for r in range(ho):
                for q in range(wo):
                    best, best_i = -np.inf, None
                    for i in range(k[0]):
                        for j in range(k[1]):
                            row, col = r * s[0] - p[0] + i * d[0], q * s[1] - p[1] + j * d[1]
                            if not (0 <= row < h and 0 <= col < w):
                                continue
                            if best_i is None:
                                best_i = row * w + col  # PyTorch starts at the first pixel
                            v = x[a, b, row, col]
                            if v > best or np.isnan(v):
                                best, best_i = v, row * w + col
                    y[a, b, r, q], idx[a, b, r, q] = best, best_i
    return y, idx


def loop_scatter(idx, g, shape):
    dx = np.zeros(shape)
    n, c = shape[:2]
    for a in range(n):
        for b in range(c):
            for r, q in np.ndindex(idx.shape[2:]):
                dx[a, b].flat[idx[a, b, r, q]] += g[a, b, r, q]
    return dx


def loop_avg_pool(x, k, s, p, ceil_mode, count_include_pad, divisor_override):
    """Values and the backward (each pixel of a window gets g / divisor)."""
    n, c, h, w = x.shape
    ho, wo = _out(h, k[0], s[0], p[0], 1, ceil_mode), _out(w, k[1], s[1], p[1], 1, ceil_mode)
    weights = np.zeros((ho, wo, h, w))  # d y[r, q] / d x[row, col]
    for r in range(ho):
        for q in range(wo):
            h0, w0 = r * s[0] - p[0], q * s[1] - p[1]
            h1, w1 = min(h0 + k[0], h + p[0]), min(w0 + k[1], w + p[1])
            size = (h1 - h0) * (w1 - w0)
            h0, w0, h1, w1 = max(h0, 0), max(w0, 0), min(h1, h), min(w1, w)
            if divisor_override:
                div = divisor_override
            else:
                div = size if count_include_pad else (h1 - h0) * (w1 - w0)
            weights[r, q, h0:h1, w0:w1] = 1 / div
    y = np.einsum("ncij,rqij->ncrq", x, weights)
    return y, lambda g: np.einsum("ncrq,rqij->ncij", g, weights)


def loop_adaptive(x, out_hw, kind):
    n, c, h, w = x.shape
    ho, wo = out_hw
    y, idx = np.zeros((n, c, ho, wo)), np.zeros((n, c, ho, wo), dtype=np.int64)
    for r in range(ho):
        h0, h1 = (r * h) // ho, math.ceil((r + 1) * h / ho)
        for q in range(wo):
            w0, w1 = (q * w) // wo, math.ceil((q + 1) * w / wo)
            patch = x[:, :, h0:h1, w0:w1].reshape(n, c, -1)
            if kind == "avg":
                y[:, :, r, q] = patch.mean(axis=2)
            else:
                best = patch.argmax(axis=2)  # the first maximum
                y[:, :, r, q] = patch.max(axis=2)
                idx[:, :, r, q] = (h0 + best // (w1 - w0)) * w + w0 + best % (w1 - w0)
    return y, idx


# --------------------------------------------------------------------------------------------
# max_pool2d
# --------------------------------------------------------------------------------------------

# kernel, stride, padding, dilation, ceil_mode
MAX_CASES = [
    ((2, 2), (2, 2), (0, 0), (1, 1), False),  # tiles
    ((3, 3), (2, 2), (1, 1), (1, 1), False),
    ((3, 2), (2, 1), (1, 1), (2, 1), True),
    ((3, 3), (2, 2), (0, 0), (1, 1), True),
    ((5, 5), (1, 2), (2, 1), (1, 1), False),
    ((2, 3), (3, 1), (1, 0), (2, 2), True),
]


def _ties(shape, seed):
    """Small integers: many ties inside windows, so the first-max rule is exercised."""
    return np.random.default_rng(seed).integers(-2, 3, size=shape).astype(np.float64)


@pytest.mark.parametrize("case", MAX_CASES)
def test_max_pool_matches_loop_reference(case):
    k, s, p, d, ceil_mode = case
    x = _ties((2, 3, 9, 8), seed=0)
    hx = hosila.tensor(x, requires_grad=True)
    y, idx = max_pool2d(hx, k, s, p, d, ceil_mode, return_indices=True)
    ref, ref_idx = loop_max_pool(x, k, s, p, d, ceil_mode)
    np.testing.assert_array_equal(y.data, ref)
    np.testing.assert_array_equal(idx.data, ref_idx)
    assert idx.dtype == np.int64
    g = np.random.default_rng(1).standard_normal(ref.shape)
    y.backward(hosila.tensor(g))
    np.testing.assert_allclose(hx.grad, loop_scatter(ref_idx, g, x.shape), atol=1e-12)


@pytest.mark.parametrize("case", MAX_CASES)
def test_max_pool_parity_with_torch(case):
    k, s, p, d, ceil_mode = case
    x = _ties((2, 2, 7, 9), seed=2)
    check_parity(lambda lib, x: _f(lib, "max_pool2d")(x, k, s, p, d, ceil_mode), x)
    _, idx = max_pool2d(hosila.tensor(x), k, s, p, d, ceil_mode, return_indices=True)
    _, t_idx = TF.max_pool2d(torch.tensor(x), k, s, p, d, ceil_mode, return_indices=True)
    np.testing.assert_array_equal(idx.data, t_idx.numpy())


def _f(lib, name):
    return getattr(hosila.ops.pool if lib is hosila else TF, name)


def test_max_pool_nan_and_minus_inf_like_torch():
    x = np.random.default_rng(3).standard_normal((1, 2, 6, 6))
    x[0, 0, 1, 1] = np.nan
    x[0, 0, 4, 4] = np.nan
    x[0, 0, 4, 5] = np.nan
    x[0, 1, :3, :3] = -np.inf
    for kw in (dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1)):
        y, idx = max_pool2d(hosila.tensor(x), return_indices=True, **kw)
        t, t_idx = TF.max_pool2d(torch.tensor(x), return_indices=True, **kw)
        np.testing.assert_array_equal(y.data, t.numpy())  # NaN == NaN for this assert
        np.testing.assert_array_equal(idx.data, t_idx.numpy())


def test_max_pool_unbatched_and_defaults():
    x = np.random.default_rng(4).standard_normal((3, 7, 6))
    check_parity(lambda lib, x: _f(lib, "max_pool2d")(x, 3, padding=1, ceil_mode=True), x)
    y, idx = max_pool2d(hosila.tensor(x), 2, return_indices=True)
    _, t_idx = TF.max_pool2d(torch.tensor(x), 2, return_indices=True)
    assert y.shape == (3, 3, 3)
    np.testing.assert_array_equal(idx.data, t_idx.numpy())


def test_max_pool_inference_path_skips_nothing_it_returns():
    """Without a gradient wanted, the argmax is skipped: values (and asked-for indices) stay."""
    x = _ties((2, 3, 7, 8), seed=16)
    ref, ref_idx = TF.max_pool2d(torch.tensor(x), 3, 2, 1, return_indices=True)
    with hosila.no_grad():
        y = max_pool2d(hosila.tensor(x, requires_grad=True), 3, 2, 1)
        y2, idx = max_pool2d(hosila.tensor(x), 3, 2, 1, return_indices=True)
    assert not y.requires_grad
    np.testing.assert_array_equal(y.data, ref.numpy())
    np.testing.assert_array_equal(y2.data, ref.numpy())
    np.testing.assert_array_equal(idx.data, ref_idx.numpy())


@pytest.mark.parametrize("name", ["max_pool2d", "avg_pool2d"])
@pytest.mark.parametrize("args", [(2,), (3, 2, 1)])
def test_non_contiguous_input(name, args):
    x = np.random.default_rng(17).standard_normal((2, 3, 6, 8))
    check_parity(lambda lib, x: _f(lib, name)(x.permute(0, 1, 3, 2), *args), x)


def test_max_pool_centred_differences():
    x = np.random.default_rng(5).permutation(2 * 5 * 6).reshape(1, 2, 5, 6) / 7.0  # no ties
    _centred_check(lambda t: max_pool2d(t, 3, 2, 1), x)


# --------------------------------------------------------------------------------------------
# avg_pool2d
# --------------------------------------------------------------------------------------------

# kernel, stride, padding, ceil_mode, count_include_pad, divisor_override
AVG_CASES = [
    ((2, 2), (2, 2), (0, 0), False, True, None),  # tiles
    ((3, 3), (2, 2), (1, 1), False, True, None),
    ((3, 3), (2, 2), (1, 1), True, False, None),
    ((3, 2), (2, 1), (1, 1), True, True, None),
    ((5, 4), (3, 3), (2, 2), True, True, None),
    ((3, 3), (1, 1), (1, 0), False, False, 4),
    ((2, 2), (2, 2), (0, 0), False, True, 3),  # tiles, override
]


@pytest.mark.parametrize("case", AVG_CASES)
def test_avg_pool_matches_loop_reference(case):
    k, s, p, ceil_mode, cip, div = case
    x = np.random.default_rng(6).standard_normal((2, 3, 8, 9))
    hx = hosila.tensor(x, requires_grad=True)
    y = avg_pool2d(hx, k, s, p, ceil_mode, cip, div)
    ref, ref_back = loop_avg_pool(x, k, s, p, ceil_mode, cip, div)
    np.testing.assert_allclose(y.data, ref, rtol=1e-12, atol=1e-12)
    g = np.random.default_rng(7).standard_normal(ref.shape)
    y.backward(hosila.tensor(g))
    np.testing.assert_allclose(hx.grad, ref_back(g), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("case", AVG_CASES)
def test_avg_pool_parity_with_torch(case):
    k, s, p, ceil_mode, cip, div = case
    x = np.random.default_rng(8).standard_normal((2, 2, 7, 10))
    check_parity(lambda lib, x: _f(lib, "avg_pool2d")(x, k, s, p, ceil_mode, cip, div), x)


def test_avg_pool_unbatched_and_centred_differences():
    x = np.random.default_rng(9).standard_normal((2, 5, 6))
    check_parity(lambda lib, x: _f(lib, "avg_pool2d")(x, 3, 2, 1, count_include_pad=False), x)
    _centred_check(lambda t: avg_pool2d(t, 3, 2, 1, ceil_mode=True), x[None])


# --------------------------------------------------------------------------------------------
# adaptive pooling
# --------------------------------------------------------------------------------------------

ADAPTIVE_SIZES = [1, 3, (2, 5), (None, 3), (4, 4), (7, 2), (5, None)]


@pytest.mark.parametrize("size", ADAPTIVE_SIZES)
def test_adaptive_matches_loop_reference(size):
    x = _ties((2, 3, 7, 9), seed=10)
    oh, ow = (size, size) if isinstance(size, int) else size
    out_hw = (oh or 7, ow or 9)
    ref, ref_idx = loop_adaptive(x, out_hw, "avg")
    np.testing.assert_allclose(adaptive_avg_pool2d(hosila.tensor(x), size).data, ref, atol=1e-12)
    hx = hosila.tensor(x, requires_grad=True)
    y, idx = adaptive_max_pool2d(hx, size, return_indices=True)
    ref, ref_idx = loop_adaptive(x, out_hw, "max")
    np.testing.assert_array_equal(y.data, ref)
    np.testing.assert_array_equal(idx.data, ref_idx)
    g = np.random.default_rng(11).standard_normal(ref.shape)
    y.backward(hosila.tensor(g))
    np.testing.assert_allclose(hx.grad, loop_scatter(ref_idx, g, x.shape), atol=1e-12)


@pytest.mark.parametrize("size", ADAPTIVE_SIZES)
def test_adaptive_parity_with_torch(size):
    x = _ties((2, 2, 7, 9), seed=12)
    check_parity(lambda lib, x: _f(lib, "adaptive_avg_pool2d")(x, size), x)
    check_parity(lambda lib, x: _f(lib, "adaptive_max_pool2d")(x, size), x)
    _, idx = adaptive_max_pool2d(hosila.tensor(x), size, return_indices=True)
    _, t_idx = TF.adaptive_max_pool2d(torch.tensor(x), size, return_indices=True)
    np.testing.assert_array_equal(idx.data, t_idx.numpy())


def test_adaptive_max_nan_and_minus_inf_like_torch():
    x = np.random.default_rng(18).standard_normal((1, 2, 7, 9))
    x[0, 0, 1, 1] = x[0, 0, 2, 3] = x[0, 0, 5, 8] = np.nan
    x[0, 1, :4, :5] = -np.inf
    for size in [(3, 4), 2, (5, 7)]:
        y, idx = adaptive_max_pool2d(hosila.tensor(x), size, return_indices=True)
        t, t_idx = TF.adaptive_max_pool2d(torch.tensor(x), size, return_indices=True)
        np.testing.assert_array_equal(y.data, t.numpy())
        np.testing.assert_array_equal(idx.data, t_idx.numpy())


def test_adaptive_unbatched_and_centred_differences():
    x = np.random.default_rng(13).permutation(2 * 5 * 7).reshape(2, 5, 7) / 9.0
    check_parity(lambda lib, x: _f(lib, "adaptive_avg_pool2d")(x, (3, 4)), x)
    check_parity(lambda lib, x: _f(lib, "adaptive_max_pool2d")(x, (3, 4)), x)
    _centred_check(lambda t: adaptive_avg_pool2d(t, (3, 4)), x[None])
    _centred_check(lambda t: adaptive_max_pool2d(t, (3, 4)), x[None])


# --------------------------------------------------------------------------------------------
# Shared checks
# --------------------------------------------------------------------------------------------


def _centred_check(fn, x, eps=1e-6):
    """Backward of fn against (f(x + eps) - f(x - eps)) / 2eps of sum(fn(x) * g)."""
    t = hosila.tensor(x, requires_grad=True)
    y = fn(t)
    g = np.random.default_rng(14).standard_normal(y.shape)
    y.backward(hosila.tensor(g))
    num = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        plus, minus = x.copy(), x.copy()
        plus[idx] += eps
        minus[idx] -= eps
        fp = (fn(hosila.tensor(plus)).data * g).sum()
        fm = (fn(hosila.tensor(minus)).data * g).sum()
        num[idx] = (fp - fm) / (2 * eps)
    np.testing.assert_allclose(t.grad, num, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize(
    "name, args",
    [
        ("max_pool2d", dict(kernel_size=3, stride=2, padding=1)),
        ("avg_pool2d", dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
        ("adaptive_avg_pool2d", dict(output_size=(3, 5))),
        ("adaptive_max_pool2d", dict(output_size=(3, 5))),
    ],
)
def test_float32_forward_and_dtypes(name, args):
    x = np.random.default_rng(15).standard_normal((2, 3, 8, 11)).astype(np.float32)
    t = hosila.tensor(x, requires_grad=True)
    y = getattr(hosila.ops.pool, name)(t, **args)
    ref = getattr(TF, name)(torch.tensor(x), **args)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y.data, ref.numpy(), rtol=1e-6, atol=1e-6)
    y.sum().backward()
    assert t.grad.dtype == np.float32


# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------


def _t(*shape, dtype=np.float32):
    return hosila.tensor(np.zeros(shape, dtype=dtype))


@pytest.mark.parametrize(
    "fn, kwargs, exc, match",
    [
        (max_pool2d, dict(input=_t(1, 1, 6, 6), kernel_size=2, padding=2), ValueError, "half"),
        (avg_pool2d, dict(input=_t(1, 1, 6, 6), kernel_size=3, padding=2), ValueError, "half"),
        (max_pool2d, dict(input=_t(1, 1, 6, 6), kernel_size=0), ValueError, "kernel_size"),
        (max_pool2d, dict(input=_t(1, 1, 6, 6), kernel_size=2, stride=0), ValueError, "stride"),
        (max_pool2d, dict(input=_t(1, 1, 6, 6), kernel_size=2, dilation=0), ValueError, "dilat"),
        (avg_pool2d, dict(input=_t(1, 1, 6, 6), kernel_size=2, padding=-1), ValueError, "padd"),
        (
            max_pool2d,
            dict(input=_t(1, 1, 2, 6), kernel_size=3),
            ValueError,
            r"\(2 x 6\) is too small",
        ),
        (avg_pool2d, dict(input=_t(1, 2, 1, 6), kernel_size=2), ValueError, "too small"),
        (max_pool2d, dict(input=_t(6, 6), kernel_size=2), ValueError, "2-D input"),
        (avg_pool2d, dict(input=_t(1, 1, 1, 6, 6), kernel_size=2), ValueError, "5-D input"),
        (adaptive_avg_pool2d, dict(input=_t(6), output_size=2), ValueError, "1-D input"),
        (adaptive_max_pool2d, dict(input=_t(6, 6), output_size=2), ValueError, "2-D input"),
        (
            avg_pool2d,
            dict(input=_t(1, 1, 6, 6), kernel_size=2, divisor_override=0),
            ValueError,
            "divisor_override",
        ),
        (adaptive_avg_pool2d, dict(input=_t(1, 1, 6, 6), output_size=0), ValueError, "positive"),
        (
            adaptive_max_pool2d,
            dict(input=_t(1, 1, 6, 6), output_size=(2, -1)),
            ValueError,
            "positive",
        ),
        (adaptive_avg_pool2d, dict(input=_t(1, 1, 6, 6), output_size="2"), TypeError, "output"),
        (max_pool2d, dict(input=_t(1, 1, 6, 6), kernel_size=(2, 2, 2)), TypeError, "kernel"),
        (max_pool2d, dict(input=np.zeros((1, 1, 4, 4)), kernel_size=2), TypeError, "Tensor"),
        (
            avg_pool2d,
            dict(input=_t(1, 1, 4, 4, dtype=np.int64), kernel_size=2),
            TypeError,
            "floating",
        ),
    ],
)
def test_errors(fn, kwargs, exc, match):
    with pytest.raises(exc, match=match) as info:
        fn(**kwargs)
    assert fn.__name__ in str(info.value)
