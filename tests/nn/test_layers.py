"""Layers against torch.nn with the same weights: outputs and every gradient, float64."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import hosila
from hosila import nn
from tests.nn.helpers import gradcheck, layer_parity

RNG = np.random.default_rng(0)


def randn(*shape):
    return RNG.standard_normal(shape)


# ---- Linear -----------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(5, 3), (3,), (2, 4, 3)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_parity(shape, bias):
    layer_parity(nn.Linear(3, 4, bias=bias), torch.nn.Linear(3, 4, bias=bias), randn(*shape))


@settings(max_examples=8, deadline=None)
@given(n=st.integers(1, 4), fin=st.integers(1, 5), fout=st.integers(1, 5), lead=st.integers(0, 2))
def test_linear_parity_shapes(n, fin, fout, lead):
    shape = (n,) * lead + (fin,)
    layer_parity(nn.Linear(fin, fout), torch.nn.Linear(fin, fout), randn(*shape))


def test_linear_gradcheck():
    import hosila.nn.functional as F

    gradcheck(F.linear, randn(2, 3), randn(4, 3), randn(4))


def test_linear_default_init_distribution():
    hosila.manual_seed(0)
    layer = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)
    w, b = layer.weight.data, layer.bias.data
    assert w.shape == (300, 400) and b.shape == (300,)
    assert w.dtype == np.float32 and layer.weight.requires_grad
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound
    assert abs(w.mean()) < 0.01 * bound
    np.testing.assert_allclose(w.std(), bound / math.sqrt(3), rtol=0.02)
    assert np.abs(b).max() <= bound and np.abs(b).max() > 0.95 * bound
    # the same distribution as torch's
    t = torch.nn.Linear(400, 300).weight.detach().numpy()
    np.testing.assert_allclose(w.std(), t.std(), rtol=0.03)


def test_linear_seeded():
    hosila.manual_seed(3)
    a = nn.Linear(3, 3).weight.data.copy()
    hosila.manual_seed(3)
    b = nn.Linear(3, 3).weight.data.copy()
    np.testing.assert_array_equal(a, b)


def test_linear_wrong_input():
    layer = nn.Linear(3, 4)
    with pytest.raises(ValueError, match=r"Linear\(in_features=3.*\(\*, 3\).*\(2, 5\)"):
        layer(hosila.randn(2, 5))
    with pytest.raises(TypeError):
        layer(np.zeros((2, 3)))
    with pytest.raises(ValueError):
        nn.Linear(-1, 2)


def test_linear_repr_and_dtype():
    assert repr(nn.Linear(3, 4)) == repr(torch.nn.Linear(3, 4))
    assert repr(nn.Linear(3, 4, bias=False)) == repr(torch.nn.Linear(3, 4, bias=False))
    assert nn.Linear(2, 2, dtype=hosila.float64).weight.dtype == np.float64
    assert nn.Linear(2, 2, bias=False).bias is None


# ---- Flatten / Unflatten / Identity ------------------------------------------------------------


@pytest.mark.parametrize("args", [(), (0,), (1, 2), (2, -1), (-3, -2)])
def test_flatten_parity(args):
    layer_parity(nn.Flatten(*args), torch.nn.Flatten(*args), randn(2, 3, 4, 2))
    assert repr(nn.Flatten(*args)) == repr(torch.nn.Flatten(*args))


@pytest.mark.parametrize("dim,size", [(1, (2, 3)), (-1, (2, -1)), (0, (1, 2))])
def test_unflatten_parity(dim, size):
    x = randn(2, 6) if dim != -1 else randn(3, 4)
    layer_parity(nn.Unflatten(dim, size), torch.nn.Unflatten(dim, size), x)
    assert repr(nn.Unflatten(dim, size)) == repr(torch.nn.Unflatten(dim, size))


def test_unflatten_wrong_size():
    with pytest.raises(ValueError, match="Unflatten"):
        nn.Unflatten(1, (4, 2))(hosila.randn(2, 6))


# ---- Dropout -----------------------------------------------------------------------------------


def test_dropout_statistics_and_scaling():
    hosila.manual_seed(0)
    x = hosila.ones(200, 500)
    y = nn.Dropout(0.3)(x).data
    kept = y != 0
    assert abs(kept.mean() - 0.7) < 0.01
    np.testing.assert_allclose(y[kept], 1 / 0.7, rtol=1e-6)
    assert abs(y.mean() - 1) < 0.02  # inverted dropout keeps the expectation


def test_dropout_eval_identity_and_edge_p():
    x = hosila.randn(3, 4)
    d = nn.Dropout(0.5).eval()
    assert d(x) is x
    np.testing.assert_array_equal(nn.Dropout(0.0)(x).data, x.data)
    assert not nn.Dropout(1.0)(x).data.any()
    assert repr(nn.Dropout(0.2)) == repr(torch.nn.Dropout(0.2))
    for p in (-0.1, 1.5):
        with pytest.raises(ValueError, match="between 0 and 1"):
            nn.Dropout(p)
        with pytest.raises(ValueError, match="between 0 and 1"):
            nn.functional.dropout(x, p)


def test_dropout_seeded_and_gradient_uses_mask():
    hosila.manual_seed(5)
    x = hosila.tensor(RNG.standard_normal((4, 6)), requires_grad=True)
    y = nn.functional.dropout(x, 0.5)
    g = RNG.standard_normal((4, 6))
    y.backward(hosila.tensor(g))
    mask = (y.data != 0) * 2.0
    np.testing.assert_allclose(y.data, x.data * mask)
    np.testing.assert_allclose(x.grad, g * mask)
    hosila.manual_seed(5)
    y2 = nn.functional.dropout(hosila.tensor(x.data), 0.5)
    np.testing.assert_array_equal(y.data, y2.data)
    assert y.dtype == np.float64
    assert nn.functional.dropout(hosila.ones(3), 0.5).dtype == np.float32


# ---- activations -------------------------------------------------------------------------------

ACTIVATIONS = [
    (lambda: nn.ReLU(), lambda: torch.nn.ReLU()),
    (lambda: nn.ReLU6(), lambda: torch.nn.ReLU6()),
    (lambda: nn.LeakyReLU(), lambda: torch.nn.LeakyReLU()),
    (lambda: nn.LeakyReLU(0.2), lambda: torch.nn.LeakyReLU(0.2)),
    (lambda: nn.ELU(), lambda: torch.nn.ELU()),
    (lambda: nn.ELU(0.5), lambda: torch.nn.ELU(0.5)),
    (lambda: nn.GELU(), lambda: torch.nn.GELU()),
    (lambda: nn.GELU("tanh"), lambda: torch.nn.GELU("tanh")),
    (lambda: nn.SiLU(), lambda: torch.nn.SiLU()),
    (lambda: nn.Softplus(), lambda: torch.nn.Softplus()),
    (lambda: nn.Softplus(2.0, 5.0), lambda: torch.nn.Softplus(2.0, 5.0)),
    (lambda: nn.Sigmoid(), lambda: torch.nn.Sigmoid()),
    (lambda: nn.Tanh(), lambda: torch.nn.Tanh()),
    (lambda: nn.Softmax(1), lambda: torch.nn.Softmax(1)),
    (lambda: nn.Softmax(-1), lambda: torch.nn.Softmax(-1)),
    (lambda: nn.LogSoftmax(1), lambda: torch.nn.LogSoftmax(1)),
    (lambda: nn.LogSoftmax(0), lambda: torch.nn.LogSoftmax(0)),
]


@pytest.mark.parametrize("make", ACTIVATIONS)
def test_activation_parity(make):
    h, t = make[0](), make[1]()
    assert repr(h) == repr(t)
    x = randn(3, 4, 2) * 3
    x[0, 0, 0] = 0.0
    layer_parity(h, t, x)


def test_gelu_wide_range_and_erf():
    from hosila.ops.nn import erf

    z = np.linspace(-8, 8, 3201)
    np.testing.assert_allclose(erf(np, z), [math.erf(v) for v in z], atol=2e-15)
    x = np.linspace(-12, 12, 97)
    layer_parity(nn.GELU(), torch.nn.GELU(), x, atol=1e-14)


def test_softmax_default_dim_like_torch():
    x = randn(2, 3)
    np.testing.assert_allclose(
        nn.functional.softmax(hosila.tensor(x)).data,
        torch.nn.functional.softmax(torch.tensor(x), dim=1).numpy(),
    )


@pytest.mark.parametrize(
    "fn",
    [
        lambda x: nn.functional.leaky_relu(x, 0.1),
        lambda x: nn.functional.elu(x, 1.3),
        lambda x: nn.functional.gelu(x),
        lambda x: nn.functional.gelu(x, approximate="tanh"),
        lambda x: nn.functional.softplus(x),
        lambda x: nn.functional.silu(x),
    ],
)
def test_activation_gradcheck(fn):
    gradcheck(fn, randn(3, 4) + 0.05)


def test_gelu_bad_approximate():
    with pytest.raises(ValueError, match="approximate"):
        nn.GELU("fast")
    with pytest.raises(ValueError, match="approximate"):
        nn.functional.gelu(hosila.randn(2), approximate="fast")


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_float32_close_to_torch(approximate):
    x = (RNG.standard_normal(1000) * 4).astype(np.float32)
    h = nn.functional.gelu(hosila.tensor(x), approximate=approximate)
    t = torch.nn.functional.gelu(torch.tensor(x), approximate=approximate)
    assert h.dtype == np.float32
    np.testing.assert_allclose(h.data, t.numpy(), atol=1e-6, rtol=1e-6)


def test_dropout2d_zeros_whole_channels():
    hosila.manual_seed(1)
    x = hosila.tensor(RNG.standard_normal((40, 50, 3, 2)), requires_grad=True)
    d = nn.Dropout2d(0.4)
    assert repr(d) == repr(torch.nn.Dropout2d(0.4))
    y = d(x)
    per_channel = (y.data != 0).reshape(40, 50, -1)
    assert (per_channel.all(-1) | ~per_channel.any(-1)).all()  # all or nothing per channel
    kept = per_channel.all(-1)
    assert abs(kept.mean() - 0.6) < 0.03
    np.testing.assert_allclose(y.data[kept], x.data[kept] / 0.6)
    y.sum().backward()
    np.testing.assert_allclose(x.grad, np.broadcast_to((kept / 0.6)[..., None, None], x.shape))
    assert d.eval()(x) is x
    with pytest.raises(ValueError, match="dropout2d"):
        nn.functional.dropout2d(hosila.randn(3, 4))
