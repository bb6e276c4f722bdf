"""Losses against torch.nn.functional: value and gradients (float64), every option, errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import hosila
from hosila import nn
from hosila.nn import functional as F
from tests.nn.helpers import gradcheck
from tests.parity import check_parity

RNG = np.random.default_rng(1)
REDUCTIONS = ["mean", "sum", "none"]


def lib_F(lib):
    return F if lib is hosila else torch.nn.functional


def const(lib, a):
    return hosila.tensor(a) if lib is hosila else torch.tensor(a)


# ---- cross-entropy / nll ---------------------------------------------------------------------


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("shape", [(5, 4), (4,), (3, 4, 2, 3)])
def test_cross_entropy_parity(reduction, smoothing, weighted, shape):
    c = shape[0] if len(shape) == 1 else shape[1]
    x = RNG.standard_normal(shape) * 3
    tshape = () if len(shape) == 1 else (shape[0],) + shape[2:]
    y = RNG.integers(0, c, size=tshape)
    if y.ndim:
        y.flat[0] = -100  # ignored
    w = RNG.uniform(0.5, 2, c)

    def fn(lib, x, y):
        return lib_F(lib).cross_entropy(
            x,
            y,
            weight=const(lib, w) if weighted else None,
            reduction=reduction,
            label_smoothing=smoothing,
        )

    check_parity(fn, x, y)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_ignore_index_custom_and_probability_targets(reduction):
    x = RNG.standard_normal((6, 3))
    y = np.array([0, 2, 1, 2, 2, 0])
    check_parity(
        lambda lib, x, y: lib_F(lib).cross_entropy(x, y, ignore_index=2, reduction=reduction), x, y
    )
    p = RNG.dirichlet(np.ones(3), size=6)
    w = np.array([1.0, 2.0, 0.5])
    for eps in (0.0, 0.1):
        check_parity(
            lambda lib, x, p, eps=eps: lib_F(lib).cross_entropy(
                x, p, weight=const(lib, w), reduction=reduction, label_smoothing=eps
            ),
            x,
            p,
        )


def test_cross_entropy_all_ignored_mean_is_nan_like_torch():
    x = hosila.randn(2, 3)
    y = hosila.tensor([-100, -100])
    assert np.isnan(F.cross_entropy(x, y).item())


def test_cross_entropy_large_logits_stable():
    x = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 3.0]])
    y = np.array([0, 2])
    check_parity(lambda lib, x, y: lib_F(lib).cross_entropy(x, y), x, y)


def test_cross_entropy_gradcheck():
    y = np.array([1, 0, 2])
    gradcheck(
        lambda x: F.cross_entropy(x, hosila.tensor(y), label_smoothing=0.1),
        RNG.standard_normal((3, 3)),
    )
    gradcheck(
        lambda x: F.cross_entropy(x, hosila.tensor(y), reduction="none"),
        RNG.standard_normal((3, 4)),
    )


@settings(max_examples=10, deadline=None)
@given(n=st.integers(1, 5), c=st.integers(2, 5), seed=st.integers(0, 100))
def test_cross_entropy_module_shapes(n, c, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, c))
    y = rng.integers(0, c, n)
    check_parity(
        lambda lib, x, y: (nn if lib is hosila else torch.nn).CrossEntropyLoss()(x, y), x, y
    )


def test_cross_entropy_float32_default():
    out = F.cross_entropy(hosila.randn(4, 3), hosila.tensor([0, 1, 2, 0]))
    assert out.dtype == np.float32 and out.shape == ()


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("shape", [(5, 4), (4,), (2, 4, 3)])
def test_nll_loss_parity(reduction, weighted, shape):
    c = shape[0] if len(shape) == 1 else shape[1]
    x = RNG.standard_normal(shape)
    y = RNG.integers(0, c, size=() if len(shape) == 1 else (shape[0],) + shape[2:])
    w = RNG.uniform(0.5, 2, c)

    def fn(lib, x, y):
        logp = lib_F(lib).log_softmax(x, dim=0 if x.ndim == 1 else 1)
        return lib_F(lib).nll_loss(
            logp, y, weight=const(lib, w) if weighted else None, reduction=reduction
        )

    check_parity(fn, x, y)
    check_parity(
        lambda lib, x, y: lib_F(lib).nll_loss(x, y, ignore_index=1, reduction=reduction), x, y
    )


@pytest.mark.filterwarnings("ignore:size_average and reduce")
def test_legacy_size_average_reduce():
    x = RNG.standard_normal((4, 3))
    y = np.array([0, 1, 2, 1])
    for sa, rd in [(False, None), (None, False), (True, True)]:
        check_parity(
            lambda lib, x, y, sa=sa, rd=rd: lib_F(lib).cross_entropy(
                x, y, size_average=sa, reduce=rd
            ),
            x,
            y,
        )


CLASS_LOSSES = [F.cross_entropy, F.nll_loss, F.multi_margin_loss]


@pytest.mark.parametrize("fn", CLASS_LOSSES)
def test_class_loss_errors(fn):
    name = fn.__name__
    x = hosila.randn(3, 4)
    with pytest.raises(ValueError, match=rf"{name}.*target 4 is out of bounds.*\[0, 4\)"):
        fn(x, hosila.tensor([0, 4, 1]))
    with pytest.raises(ValueError, match=rf"{name}.*target -3 is out of bounds"):
        fn(x, hosila.tensor([0, -3, 1]))
    with pytest.raises(ValueError, match=rf"{name}.*target of shape \(2,\).*\(3, 4\)"):
        fn(x, hosila.tensor([0, 1]))
    if fn is not F.cross_entropy:  # float targets are probabilities in cross_entropy
        with pytest.raises(ValueError, match=rf"{name}.*integer dtype.*float32"):
            fn(x, hosila.tensor([0.0, 1.0, 2.0]))
    with pytest.raises(TypeError, match=name):
        fn(x, [0, 1, 2])
    with pytest.raises(ValueError, match=rf"{name}.*reduction"):
        fn(x, hosila.tensor([0, 1, 2]), reduction="avg")
    with pytest.raises(IndexError):  # PyTorch's type for an out-of-range target too
        fn(x, hosila.tensor([0, 9, 1]))


def test_cross_entropy_more_errors():
    x = hosila.randn(3, 4)
    with pytest.raises(ValueError, match=r"cross_entropy.*weight.*\(4,\)"):
        F.cross_entropy(x, hosila.tensor([0, 1, 2]), weight=hosila.ones(3))
    with pytest.raises(ValueError, match="label_smoothing"):
        F.cross_entropy(x, hosila.tensor([0, 1, 2]), label_smoothing=1.5)
    with pytest.raises(ValueError, match=r"cross_entropy.*probability target"):
        F.cross_entropy(x, hosila.ones(3, 3))
    with pytest.raises(TypeError, match="cross_entropy.*floating"):
        F.cross_entropy(hosila.tensor([[1, 2]]), hosila.tensor([0]))


# ---- multi-margin (SVM) ----------------------------------------------------------------------


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("p", [1, 2])
@pytest.mark.parametrize("margin", [1.0, 0.5])
@pytest.mark.parametrize("weighted", [False, True])
def test_multi_margin_parity(reduction, p, margin, weighted):
    x = RNG.standard_normal((6, 4))
    y = RNG.integers(0, 4, 6)
    w = RNG.uniform(0.5, 2, 4)

    def fn(lib, x, y):
        return lib_F(lib).multi_margin_loss(
            x,
            y,
            p=p,
            margin=margin,
            weight=const(lib, w) if weighted else None,
            reduction=reduction,
        )

    check_parity(fn, x, y)
    check_parity(fn, x[0], y[0])


def test_multi_margin_module_and_errors():
    x = RNG.standard_normal((3, 5))
    y = np.array([4, 0, 2])
    check_parity(
        lambda lib, x, y: (nn if lib is hosila else torch.nn).MultiMarginLoss(p=2)(x, y), x, y
    )
    gradcheck(lambda x: F.multi_margin_loss(x, hosila.tensor(y), p=2), x)
    with pytest.raises(ValueError, match="p == 1 and p == 2"):
        F.multi_margin_loss(hosila.tensor(x), hosila.tensor(y), p=3)
    with pytest.raises(ValueError, match="MultiMarginLoss"):
        nn.MultiMarginLoss(p=3)


# ---- regression losses -----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_mse_l1_parity(name, reduction):
    x, t = RNG.standard_normal((3, 4)), RNG.standard_normal((3, 4))
    t[0, 0] = x[0, 0]
    check_parity(lambda lib, x, t: getattr(lib_F(lib), name)(x, t, reduction=reduction), x, t)
    w = RNG.uniform(0, 2, (3, 4))
    check_parity(
        lambda lib, x, t: getattr(lib_F(lib), name)(
            x, t, reduction=reduction, weight=const(lib, w)
        ),
        x,
        t,
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("beta", [1.0, 0.5, 0.0])
def test_smooth_l1_parity(reduction, beta):
    x, t = RNG.standard_normal((4, 5)) * 2, RNG.standard_normal((4, 5))
    check_parity(
        lambda lib, x, t: lib_F(lib).smooth_l1_loss(x, t, reduction=reduction, beta=beta), x, t
    )


def test_regression_modules_and_broadcast_errors():
    x, t = RNG.standard_normal((3, 2)), RNG.standard_normal((3, 2))
    for h, tt in [
        (nn.MSELoss, torch.nn.MSELoss),
        (nn.L1Loss, torch.nn.L1Loss),
        (nn.SmoothL1Loss, torch.nn.SmoothL1Loss),
    ]:
        check_parity(
            lambda lib, x, t, h=h, tt=tt: (h if lib is hosila else tt)(reduction="sum")(x, t), x, t
        )
        assert repr(h()) == repr(tt())
    with pytest.raises(ValueError, match=r"mse_loss.*\(4,\).*\(3, 2\)"):
        F.mse_loss(hosila.randn(3, 2), hosila.randn(4))
    with pytest.raises(ValueError, match="l1_loss.*weight"):
        F.l1_loss(hosila.randn(3, 2), hosila.randn(3, 2), weight=hosila.ones(2))


# ---- binary losses ---------------------------------------------------------------------------


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_bce_parity(reduction, weighted):
    x = RNG.uniform(0.02, 0.98, (4, 3))
    t = RNG.uniform(0, 1, (4, 3))
    w = RNG.uniform(0.5, 2, (3,))

    def fn(lib, x, t):
        return lib_F(lib).binary_cross_entropy(
            x, t, weight=const(lib, w) if weighted else None, reduction=reduction
        )

    check_parity(fn, x, t)


def test_bce_clamps_logs_like_torch():
    x = np.array([0.0, 1.0, 0.5, 1e-50])
    t = np.array([1.0, 0.0, 1.0, 1.0])
    check_parity(
        lambda lib, x, t: lib_F(lib).binary_cross_entropy(x, t, reduction="sum"), x, t, grad=False
    )
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.binary_cross_entropy(hosila.tensor([1.5]), hosila.tensor([1.0]))
    with pytest.raises(ValueError, match=r"binary_cross_entropy.*target size"):
        F.binary_cross_entropy(hosila.tensor([0.5, 0.5]), hosila.tensor([1.0]))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("pos", [False, True])
def test_bce_with_logits_parity(reduction, weighted, pos):
    x = RNG.standard_normal((4, 3)) * 4
    t = RNG.uniform(0, 1, (4, 3))
    w = RNG.uniform(0.5, 2, (4, 3))
    pw = RNG.uniform(0.5, 3, (3,))

    def fn(lib, x, t):
        return lib_F(lib).binary_cross_entropy_with_logits(
            x,
            t,
            weight=const(lib, w) if weighted else None,
            reduction=reduction,
            pos_weight=const(lib, pw) if pos else None,
        )

    check_parity(fn, x, t)
    gradcheck(
        lambda x, t, pw: F.binary_cross_entropy_with_logits(x, t, pos_weight=pw), x[:2], t[:2], pw
    )


def test_bce_with_logits_extreme_logits_finite():
    x = np.array([1e4, -1e4, 800.0, -800.0])
    t = np.array([0.0, 1.0, 1.0, 0.0])
    check_parity(
        lambda lib, x, t: lib_F(lib).binary_cross_entropy_with_logits(x, t, reduction="none"), x, t
    )
    gradcheck(
        lambda x: F.binary_cross_entropy_with_logits(x, hosila.tensor(t[:2])),
        RNG.standard_normal(2),
    )


def test_binary_loss_modules():
    x = RNG.standard_normal((3, 2))
    t = (RNG.uniform(size=(3, 2)) > 0.5).astype(np.float64)
    pw = np.array([2.0, 0.5])
    check_parity(
        lambda lib, x, t: (
            nn.BCEWithLogitsLoss(pos_weight=hosila.tensor(pw))
            if lib is hosila
            else torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor(pw))
        )(x, t),
        x,
        t,
    )
    check_parity(
        lambda lib, x, t: (nn.BCELoss() if lib is hosila else torch.nn.BCELoss())(
            lib.sigmoid(x), t
        ),
        x,
        t,
    )
    assert repr(nn.BCELoss()) == "BCELoss()"
    assert repr(nn.CrossEntropyLoss()) == repr(torch.nn.CrossEntropyLoss())
    assert "weight" in nn.CrossEntropyLoss(weight=hosila.ones(3)).state_dict()
