"""conv2d: the fast im2col version against a loop reference, PyTorch, and centred differences."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from tests.parity import check_parity

import hosila
from hosila.ops import conv as conv_ops
from hosila.ops.conv import conv2d


@pytest.fixture(params=["one product", "per sample"])
def layout(request, monkeypatch):
    """Run a test through both im2col layouts of Conv2d (the threshold picks one by size)."""
    per_sample = request.param == "per sample"
    monkeypatch.setattr(conv_ops, "PER_SAMPLE_MAX_K", 10**9 if per_sample else -1)
    monkeypatch.setattr(conv_ops, "PER_SAMPLE_MIN_HW", 0 if per_sample else 10**9)
    return request.param


# --------------------------------------------------------------------------------------------
# The straightforward reference: nested loops over output pixels (forward and backward)
# --------------------------------------------------------------------------------------------


def loop_conv2d(x, w, b, stride, padding, dilation, groups):
    """Direct definition: y[n, o, r, q] = b[o] + sum_{c,i,j} w[o,c,i,j] * xp[n, g*Cg + c,
    r*sh + i*dh, q*sw + j*dw] over the group g of output channel o."""
    n, c, h, wd = x.shape
    c_out, c_g, kh, kw = w.shape
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    ho = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    wo = (wd + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    per_group = c_out // groups
    y = np.zeros((n, c_out, ho, wo))
    for s in range(n):
        for o in range(c_out):
            g = o // per_group
            for r in range(ho):
                for q in range(wo):
                    acc = 0.0 if b is None else b[o]
                    for ci in range(c_g):
                        for i in range(kh):
                            for j in range(kw):
                                acc += (
                                    w[o, ci, i, j]
                                    * xp[s, g * c_g + ci, r * sh + i * dh, q * sw + j * dw]
                                )
                    y[s, o, r, q] = acc
    return y


def loop_conv2d_backward(x, w, gy, stride, padding, dilation, groups):
    """dL/dx, dL/dw, dL/db by the chain rule applied to each term of the loop above."""
    n, c, h, wd = x.shape
    c_out, c_g, kh, kw = w.shape
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    dxp, dw_ = np.zeros_like(xp), np.zeros_like(w)
    per_group = c_out // groups
    ho, wo = gy.shape[2:]
    for s in range(n):
        for o in range(c_out):
            g = o // per_group
            for r in range(ho):
                for q in range(wo):
                    for ci in range(c_g):
                        for i in range(kh):
                            for j in range(kw):
                                pos = (s, g * c_g + ci, r * sh + i * dh, q * sw + j * dw)
                                dxp[pos] += w[o, ci, i, j] * gy[s, o, r, q]
                                dw_[o, ci, i, j] += xp[pos] * gy[s, o, r, q]
    dx = dxp[:, :, ph : ph + h, pw : pw + wd]
    return dx, dw_, gy.sum(axis=(0, 2, 3))


# (N, C, H, W), (Cout, kh, kw), stride, padding, dilation, groups: odd shapes on purpose
CASES = [
    ((2, 3, 7, 6), (4, 3, 3), (1, 1), (0, 0), (1, 1), 1),
    ((2, 3, 8, 7), (2, 3, 3), (2, 2), (1, 1), (1, 1), 1),
    ((1, 2, 9, 10), (3, 5, 5), (1, 1), (2, 2), (1, 1), 1),
    ((1, 2, 9, 8), (2, 3, 3), (1, 1), (1, 1), (2, 2), 1),
    ((2, 4, 7, 7), (6, 3, 3), (1, 1), (1, 1), (1, 1), 2),
    ((1, 4, 9, 11), (4, 3, 2), (2, 3), (1, 0), (2, 1), 2),
    ((2, 6, 5, 6), (6, 1, 3), (1, 2), (0, 1), (1, 1), 6),  # depthwise
    ((2, 3, 4, 5), (5, 1, 1), (1, 1), (0, 0), (1, 1), 1),  # 1x1
    # wide enough for the "wide rows" path of stride 1 (Wp/Wo <= 9/8)
    ((2, 2, 5, 17), (3, 3, 3), (1, 1), (1, 1), (1, 1), 1),
    ((1, 4, 6, 33), (2, 3, 3), (1, 1), (2, 2), (2, 2), 2),
    ((1, 3, 4, 20), (2, 2, 3), (1, 1), (0, 1), (1, 1), 1),
    # Cout <= C at stride 1: the input gradient as a transposed convolution
    ((2, 4, 6, 7), (4, 3, 3), (1, 1), (1, 1), (1, 1), 1),
    ((1, 4, 5, 18), (3, 3, 3), (1, 1), (1, 1), (1, 1), 1),
    ((1, 4, 7, 6), (2, 3, 2), (1, 1), (2, 0), (2, 3), 2),
    ((1, 3, 4, 5), (2, 1, 1), (1, 1), (1, 1), (1, 1), 1),  # padding > kernel reach: col2im
    ((2, 3, 6, 6), (3, 3, 3), (1, 1), (1, 1), (1, 1), 3),  # depthwise, stride 1
]


def _arrays(case, seed=0, dtype=np.float64):
    shape, (c_out, kh, kw), _, _, _, groups = case
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape).astype(dtype)
    w = rng.standard_normal((c_out, shape[1] // groups, kh, kw)).astype(dtype)
    b = rng.standard_normal(c_out).astype(dtype)
    return x, w, b


@pytest.mark.parametrize("case", CASES)
def test_matches_loop_reference(case, layout):
    x, w, b = _arrays(case)
    _, _, stride, padding, dilation, groups = case
    hx, hw, hb = (hosila.tensor(a, requires_grad=True) for a in (x, w, b))
    y = conv2d(hx, hw, hb, stride, padding, dilation, groups)
    ref = loop_conv2d(x, w, b, stride, padding, dilation, groups)
    np.testing.assert_allclose(y.data, ref, rtol=1e-10, atol=1e-10)
    gy = np.random.default_rng(1).standard_normal(ref.shape)
    y.backward(hosila.tensor(gy))
    dx, dw, db = loop_conv2d_backward(x, w, gy, stride, padding, dilation, groups)
    np.testing.assert_allclose(hx.grad, dx, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(hw.grad, dw, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(hb.grad, db, rtol=1e-10, atol=1e-10)


def _conv(lib):
    return conv2d if lib is hosila else TF.conv2d


@pytest.mark.parametrize("case", CASES)
def test_parity_with_torch(case, layout):
    x, w, b = _arrays(case, seed=2)
    _, _, stride, padding, dilation, groups = case
    check_parity(
        lambda lib, x, w, b: _conv(lib)(x, w, b, stride, padding, dilation, groups), x, w, b
    )


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize(
    "kernel, dilation, padding",
    [(3, 1, "same"), (4, 1, "same"), ((2, 5), (2, 1), "same"), (3, 2, "valid"), (2, 1, "same")],
)
@pytest.mark.parametrize("width, c_out", [(8, 3), (24, 2), (8, 1)])
def test_string_padding_parity(kernel, dilation, padding, width, c_out):
    rng = np.random.default_rng(3)
    kh, kw = (kernel, kernel) if isinstance(kernel, int) else kernel
    x = rng.standard_normal((2, 2, 7, width))
    w = rng.standard_normal((c_out, 2, kh, kw))
    check_parity(lambda lib, x, w: _conv(lib)(x, w, None, 1, padding, dilation), x, w, atol=1e-10)


def test_unbatched_input_and_no_bias():
    rng = np.random.default_rng(4)
    x, w = rng.standard_normal((3, 6, 5)), rng.standard_normal((2, 3, 3, 3))
    check_parity(lambda lib, x, w: _conv(lib)(x, w, stride=2, padding=1), x, w)


@pytest.mark.parametrize("stride, padding", [(1, 0), (1, 1), (2, 1)])
def test_non_contiguous_input(stride, padding, layout):
    """A transposed view (as permute makes) goes through the strided windows correctly."""
    x = np.random.default_rng(9).standard_normal((2, 3, 6, 7))
    w = np.random.default_rng(10).standard_normal((4, 3, 3, 2))
    check_parity(
        lambda lib, x, w: _conv(lib)(x.permute(0, 1, 3, 2), w, None, stride, padding), x, w
    )


def test_weight_grad_only_when_input_is_a_constant(layout):
    rng = np.random.default_rng(5)
    x = hosila.tensor(rng.standard_normal((2, 3, 5, 5)))
    w = hosila.tensor(rng.standard_normal((4, 3, 3, 3)), requires_grad=True)
    conv2d(x, w, padding=1).sum().backward()
    tw = torch.tensor(w.data, requires_grad=True)
    TF.conv2d(torch.tensor(x.data), tw, padding=1).sum().backward()
    assert x.grad is None
    np.testing.assert_allclose(w.grad, tw.grad.numpy(), rtol=1e-10)


def test_centred_differences(layout):
    """d(sum(y * g))/d(each input) by (f(a + eps) - f(a - eps)) / 2eps, on a tiny case."""
    case = ((1, 2, 5, 4), (2, 3, 2), (2, 1), (1, 1), (1, 2), 2)
    x, w, b = _arrays(case, seed=6)
    _, _, stride, padding, dilation, groups = case
    gy = None

    def f(x, w, b):
        nonlocal gy
        y = conv2d(*(hosila.tensor(a) for a in (x, w, b)), stride, padding, dilation, groups)
        if gy is None:
            gy = np.random.default_rng(7).standard_normal(y.shape)
        return float((y.data * gy).sum())

    f(x, w, b)
    ts = [hosila.tensor(a, requires_grad=True) for a in (x, w, b)]
    y = conv2d(*ts, stride, padding, dilation, groups)
    y.backward(hosila.tensor(gy))
    arrays = [x, w, b]
    eps = 1e-6
    for k, t in enumerate(ts):
        num = np.zeros_like(arrays[k])
        for idx in np.ndindex(arrays[k].shape):
            plus = [a.copy() for a in arrays]
            minus = [a.copy() for a in arrays]
            plus[k][idx] += eps
            minus[k][idx] -= eps
            num[idx] = (f(*plus) - f(*minus)) / (2 * eps)
        np.testing.assert_allclose(t.grad, num, rtol=1e-6, atol=1e-8)
    engine_gradcheck = getattr(hosila.autograd, "gradcheck", None)
    if engine_gradcheck is not None:  # the engine's own checker too, once it has one
        fresh = [hosila.tensor(a, requires_grad=True) for a in arrays]
        assert engine_gradcheck(
            lambda x, w, b: conv2d(x, w, b, stride, padding, dilation, groups), tuple(fresh)
        )


def test_float32_forward_and_dtype():
    x, w, b = _arrays(CASES[5], seed=8, dtype=np.float32)
    _, _, stride, padding, dilation, groups = CASES[5]
    hx, hw, hb = (hosila.tensor(a, requires_grad=True) for a in (x, w, b))
    y = conv2d(hx, hw, hb, stride, padding, dilation, groups)
    ref = TF.conv2d(*(torch.tensor(a) for a in (x, w, b)), stride, padding, dilation, groups)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y.data, ref.numpy(), rtol=1e-5, atol=1e-5)
    y.sum().backward()
    assert hx.grad.dtype == hw.grad.dtype == hb.grad.dtype == np.float32


# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------


def _t(*shape, dtype=np.float32):
    return hosila.tensor(np.zeros(shape, dtype=dtype))


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        (dict(input=_t(2, 4, 5, 5), weight=_t(2, 3, 3, 3)), ValueError, "4 channels.*expects 3"),
        (
            dict(input=_t(2, 4, 5, 5), weight=_t(2, 3, 3, 3), groups=2),
            ValueError,
            "expects 6 channels",
        ),
        (dict(input=_t(2, 4, 5, 5), weight=_t(3, 2, 3, 3), groups=2), ValueError, "divisible"),
        (dict(input=_t(4, 5, 5, 5, 1), weight=_t(2, 4, 3, 3)), ValueError, "5-D input"),
        (dict(input=_t(5, 5), weight=_t(2, 4, 3, 3)), ValueError, "2-D input"),
        (dict(input=_t(1, 3, 0, 5), weight=_t(2, 3, 3, 3)), ValueError, "non-zero"),
        (dict(input=_t(1, 3, 5, 5), weight=_t(2, 3, 3)), ValueError, "weight must be 4-D"),
        (dict(input=_t(1, 3, 2, 5), weight=_t(2, 3, 3, 3)), ValueError, r"larger than.*\(2 x 5\)"),
        (
            dict(input=_t(1, 3, 4, 4), weight=_t(2, 3, 3, 3), dilation=2, padding=0),
            ValueError,
            r"\(5 x 5, dilation",
        ),
        (dict(input=_t(1, 3, 5, 5), weight=_t(2, 3, 3, 3), stride=0), ValueError, "stride"),
        (dict(input=_t(1, 3, 5, 5), weight=_t(2, 3, 3, 3), padding=-1), ValueError, "padding"),
        (dict(input=_t(1, 3, 5, 5), weight=_t(2, 3, 3, 3), dilation=(1, 0)), ValueError, "dilat"),
        (dict(input=_t(1, 3, 5, 5), weight=_t(2, 3, 3, 3), groups=0), ValueError, "groups"),
        (
            dict(input=_t(1, 3, 5, 5), weight=_t(2, 3, 3, 3), padding="same", stride=2),
            ValueError,
            "same.*strided",
        ),
        (dict(input=_t(1, 3, 5, 5), weight=_t(2, 3, 3, 3), padding="full"), ValueError, "full"),
        (
            dict(input=_t(1, 3, 5, 5), weight=_t(2, 3, 3, 3), bias=_t(3)),
            ValueError,
            r"bias.*\(2,\)",
        ),
        (
            dict(input=_t(1, 3, 5, 5), weight=_t(2, 3, 3, 3, dtype=np.float64)),
            TypeError,
            "dtype",
        ),
        (
            dict(input=_t(1, 3, 5, 5), weight=_t(2, 3, 3, 3), bias=_t(2, dtype=np.float64)),
            TypeError,
            "bias dtype",
        ),
        (dict(input=np.zeros((1, 3, 5, 5)), weight=_t(2, 3, 3, 3)), TypeError, "input must be"),
        (
            dict(
                input=hosila.tensor(np.zeros((1, 3, 5, 5), dtype=np.int64)), weight=_t(2, 3, 3, 3)
            ),
            TypeError,
            "floating",
        ),
        (dict(input=_t(1, 3, 5, 5), weight=_t(2, 3, 3, 3), stride=(1, 2, 3)), TypeError, "stride"),
    ],
)
def test_errors(kwargs, exc, match):
    with pytest.raises(exc, match=match) as info:
        conv2d(**kwargs)
    assert "conv2d" in str(info.value)
