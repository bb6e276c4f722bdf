"""The smaller extras against torch: hardtanh, logsigmoid, softsign, PReLU, normalize,
cosine_similarity, huber_loss, kl_div (value and gradients, float64), with their modules."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import hosila
from hosila import nn
from hosila.nn import functional as F
from tests.nn.helpers import gradcheck, layer_parity
from tests.parity import check_parity

RNG = np.random.default_rng(6)


def lib_F(lib):
    return F if lib is hosila else torch.nn.functional


def lib_nn(lib):
    return nn if lib is hosila else torch.nn


@pytest.mark.parametrize(
    "name,kwargs",
    [
        ("hardtanh", {}),
        ("hardtanh", {"min_val": -0.5, "max_val": 2.0}),
        ("logsigmoid", {}),
        ("softsign", {}),
    ],
)
def test_extra_activations(name, kwargs):
    x = RNG.standard_normal((3, 5)) * 3
    x[0, :3] = [0.0, -1.0, 1.0]  # the kinks
    x[1, 0], x[1, 1] = 60.0, -60.0
    check_parity(lambda lib, x: getattr(lib_F(lib), name)(x, **kwargs), x)


def test_extra_activation_modules_and_errors():
    for h, t in [
        (nn.Hardtanh(-2.0, 3.0), torch.nn.Hardtanh(-2.0, 3.0)),
        (nn.LogSigmoid(), torch.nn.LogSigmoid()),
        (nn.Softsign(), torch.nn.Softsign()),
    ]:
        assert repr(h) == repr(t)
        layer_parity(h, t, RNG.standard_normal((2, 4)) * 3)
    gradcheck(F.logsigmoid, RNG.standard_normal((2, 3)))
    with pytest.raises(ValueError, match="hardtanh"):
        F.hardtanh(hosila.randn(2), 1.0, -1.0)


@pytest.mark.parametrize("num", [1, 3])
@pytest.mark.parametrize("shape", [(4, 3), (2, 3, 5), (2, 3, 2, 2)])
def test_prelu_parity(num, shape):
    h, t = nn.PReLU(num), torch.nn.PReLU(num)
    assert repr(h) == repr(t) and h.weight.data.tolist() == [0.25] * num
    with torch.no_grad():
        t.weight.copy_(torch.tensor(RNG.uniform(-0.5, 0.5, num)))
    x = RNG.standard_normal(shape)
    x.flat[0] = 0.0
    layer_parity(h, t, x)


def test_prelu_errors_and_gradcheck():
    gradcheck(
        lambda x, w: F.prelu(x, w), RNG.standard_normal((2, 3)) + 0.1, np.array([0.2, -0.1, 0.4])
    )
    with pytest.raises(ValueError, match="prelu"):
        F.prelu(hosila.randn(2, 4), hosila.ones(3))


@pytest.mark.parametrize("p", [2.0, 1.0, 3.0, float("inf")])
@pytest.mark.parametrize("dim", [1, 0, -1])
def test_normalize_parity(p, dim):
    x = RNG.standard_normal((3, 4, 2))
    check_parity(lambda lib, x: lib_F(lib).normalize(x, p=p, dim=dim), x)


@pytest.mark.parametrize("dim", [1, -1])
def test_cosine_similarity_parity(dim):
    a, b = RNG.standard_normal((4, 5)), RNG.standard_normal((4, 5))
    check_parity(lambda lib, a, b: lib_F(lib).cosine_similarity(a, b, dim=dim), a, b)
    check_parity(lambda lib, a, b: lib_nn(lib).CosineSimilarity(dim)(a, b), a, b[:1])
    tiny = np.array([[3.0, 4.0], [1e-9, 0.0]])
    check_parity(lambda lib, a: lib_F(lib).cosine_similarity(a, a * 0.5), tiny, grad=False)
    with pytest.raises(ValueError, match="cosine_similarity"):
        F.cosine_similarity(hosila.randn(2, 3), hosila.randn(4, 3))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("delta", [1.0, 0.3, 2.5])
def test_huber_parity(reduction, delta):
    x, t = RNG.standard_normal((4, 3)) * 2, RNG.standard_normal((4, 3))
    check_parity(
        lambda lib, x, t: lib_F(lib).huber_loss(x, t, reduction=reduction, delta=delta), x, t
    )
    w = RNG.uniform(0.2, 2, (4, 3))
    check_parity(
        lambda lib, x, t: lib_F(lib).huber_loss(
            x,
            t,
            reduction=reduction,
            delta=delta,
            weight=hosila.tensor(w) if lib is hosila else torch.tensor(w),
        ),
        x,
        t,
    )
    check_parity(lambda lib, x, t: lib_nn(lib).HuberLoss(reduction, delta)(x, t), x, t)
    assert repr(nn.HuberLoss()) == repr(torch.nn.HuberLoss())


@pytest.mark.filterwarnings("ignore:reduction")
@pytest.mark.parametrize("reduction", ["batchmean", "mean", "sum", "none"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div_parity(reduction, log_target):
    x = np.log(RNG.dirichlet(np.ones(4), size=3))
    t = RNG.dirichlet(np.ones(4), size=3)
    if log_target:
        t = np.log(t)
    check_parity(
        lambda lib, x, t: lib_F(lib).kl_div(x, t, reduction=reduction, log_target=log_target), x, t
    )
    check_parity(
        lambda lib, x, t: lib_nn(lib).KLDivLoss(reduction=reduction, log_target=log_target)(x, t),
        x,
        t,
    )


def test_kl_div_zero_target_and_errors():
    x = np.log(np.array([[0.5, 0.25, 0.25]]))
    t = np.array([[0.0, 0.5, 0.5]])
    check_parity(lambda lib, x, t: lib_F(lib).kl_div(x, t, reduction="sum"), x, t, grad=False)
    with pytest.raises(ValueError, match="kl_div: reduction"):
        F.kl_div(hosila.tensor(x), hosila.tensor(t), reduction="avg")
