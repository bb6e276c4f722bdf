"""Normalisation layers against torch.nn: outputs, gradients, running statistics, errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import hosila
from hosila import nn
from hosila.nn import functional as F
from tests.nn.helpers import gradcheck, layer_parity
from tests.parity import check_parity

RNG = np.random.default_rng(2)


def randn(*shape):
    return RNG.standard_normal(shape) * 2 + 0.5


BN_OPTIONS = [
    {},
    {"momentum": None},
    {"momentum": 0.3, "eps": 1e-3},
    {"affine": False},
    {"bias": False},
    {"track_running_stats": False},
]


@pytest.mark.parametrize("kwargs", BN_OPTIONS)
@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5)])
def test_batchnorm1d_train_then_eval(kwargs, shape):
    h, t = nn.BatchNorm1d(3, **kwargs), torch.nn.BatchNorm1d(3, **kwargs)
    assert repr(h) == repr(t)
    layer_parity(h, t, randn(*shape), train=True, steps=4)
    layer_parity(h, t, randn(*shape), train=False, steps=2)


@pytest.mark.parametrize("kwargs", BN_OPTIONS)
def test_batchnorm2d_train_then_eval(kwargs):
    h, t = nn.BatchNorm2d(3, **kwargs), torch.nn.BatchNorm2d(3, **kwargs)
    assert repr(h) == repr(t)
    layer_parity(h, t, randn(4, 3, 3, 2), train=True, steps=4)
    if kwargs.get("track_running_stats", True):
        assert int(h.num_batches_tracked.item()) == 4
    layer_parity(h, t, randn(2, 3, 3, 2), train=False, steps=2)


def test_batchnorm_state_dict_and_init():
    bn = nn.BatchNorm2d(5)
    sd = bn.state_dict()
    assert list(sd) == list(torch.nn.BatchNorm2d(5).state_dict())
    assert sd["num_batches_tracked"].dtype == np.int64 and sd["num_batches_tracked"].shape == ()
    np.testing.assert_array_equal(bn.weight.data, 1)
    np.testing.assert_array_equal(bn.bias.data, 0)
    np.testing.assert_array_equal(bn.running_var.data, 1)
    assert bn.running_mean.dtype == np.float32
    assert nn.BatchNorm1d(3, affine=False).weight is None


def test_batchnorm_functional_parity_and_gradcheck():
    x, w, b = randn(5, 3, 2), randn(3), randn(3)
    rm, rv = np.zeros(3), np.ones(3)

    def fn(lib, x, w, b):
        m = lib.tensor(rm.copy()) if lib is hosila else torch.tensor(rm.copy())
        v = lib.tensor(rv.copy()) if lib is hosila else torch.tensor(rv.copy())
        F_ = F if lib is hosila else torch.nn.functional
        out = F_.batch_norm(x, m, v, w, b, training=True, momentum=0.2)
        return out, F_.batch_norm(x, m, v, w, b, training=False)

    check_parity(fn, x, w, b)
    gradcheck(
        lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
        randn(4, 2),
        randn(2),
        randn(2),
    )


def test_batchnorm_errors_name_layer_and_shapes():
    with pytest.raises(ValueError, match=r"BatchNorm2d\(3\).*4D.*\(N, C, H, W\).*3D.*\(2, 3, 4\)"):
        nn.BatchNorm2d(3)(hosila.randn(2, 3, 4))
    with pytest.raises(ValueError, match=r"BatchNorm2d\(3\).*expected 3 channels.*got 4"):
        nn.BatchNorm2d(3)(hosila.randn(2, 4, 2, 2))
    with pytest.raises(ValueError, match=r"BatchNorm1d\(3\).*2D or 3D"):
        nn.BatchNorm1d(3)(hosila.randn(2, 3, 4, 4))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        nn.BatchNorm1d(3)(hosila.randn(1, 3))
    nn.BatchNorm1d(3).eval()(hosila.randn(1, 3))  # fine in eval mode
    with pytest.raises(ValueError, match=r"batch_norm: weight must have shape \(3,\)"):
        F.batch_norm(hosila.randn(2, 3), None, None, hosila.ones(4), training=True)


@pytest.mark.parametrize("shape,norm", [((4, 5), 5), ((2, 3, 4), (3, 4)), ((3, 2, 6), [6])])
@pytest.mark.parametrize(
    "kwargs", [{}, {"elementwise_affine": False}, {"bias": False}, {"eps": 1e-2}]
)
def test_layernorm_parity(shape, norm, kwargs):
    h, t = nn.LayerNorm(norm, **kwargs), torch.nn.LayerNorm(norm, **kwargs)
    assert repr(h) == repr(t)
    layer_parity(h, t, randn(*shape))
    # non-trivial affine parameters
    if h.weight is not None:
        with torch.no_grad():
            t.weight.copy_(torch.tensor(randn(*t.weight.shape)))
            if t.bias is not None:
                t.bias.copy_(torch.tensor(randn(*t.bias.shape)))
        layer_parity(h, t, randn(*shape))


def test_layernorm_gradcheck_and_errors():
    gradcheck(lambda x, w, b: F.layer_norm(x, (3,), w, b), randn(2, 3), randn(3), randn(3))
    with pytest.raises(ValueError, match=r"LayerNorm\(\(4,\).*\(\*, 4\).*\(2, 3\)"):
        nn.LayerNorm(4)(hosila.randn(2, 3))
    with pytest.raises(ValueError, match="layer_norm"):
        F.layer_norm(hosila.randn(2, 3), (4,))


@pytest.mark.parametrize("groups,channels", [(2, 4), (1, 3), (3, 3), (2, 6)])
@pytest.mark.parametrize("shape_tail", [(), (5,), (3, 2)])
def test_groupnorm_parity(groups, channels, shape_tail):
    h, t = nn.GroupNorm(groups, channels), torch.nn.GroupNorm(groups, channels)
    assert repr(h) == repr(t)
    with torch.no_grad():
        t.weight.copy_(torch.tensor(randn(channels)))
        t.bias.copy_(torch.tensor(randn(channels)))
    layer_parity(h, t, randn(2, channels, *shape_tail))


def test_groupnorm_no_affine_gradcheck_errors():
    h, t = nn.GroupNorm(2, 4, affine=False), torch.nn.GroupNorm(2, 4, affine=False)
    assert repr(h) == repr(t)
    layer_parity(h, t, randn(3, 4, 2))
    gradcheck(lambda x, w, b: F.group_norm(x, 2, w, b), randn(2, 4, 2), randn(4), randn(4))
    with pytest.raises(ValueError, match="divisible"):
        nn.GroupNorm(3, 4)
    with pytest.raises(ValueError, match=r"GroupNorm\(2, 4.*\(N, 4, \*\).*\(2, 6\)"):
        nn.GroupNorm(2, 4)(hosila.randn(2, 6))


def test_batchnorm2d_float32_close_to_torch():
    x = (RNG.standard_normal((8, 4, 5, 5)) * 3 + 2).astype(np.float32)
    h, t = nn.BatchNorm2d(4), torch.nn.BatchNorm2d(4)
    hx, tx = hosila.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ho, to = h(hx), t(tx)
    assert ho.dtype == np.float32
    np.testing.assert_allclose(ho.data, to.detach().numpy(), atol=1e-5)
    g = RNG.standard_normal(x.shape).astype(np.float32)
    ho.backward(hosila.tensor(g))
    to.backward(torch.tensor(g))
    assert hx.grad.dtype == np.float32
    np.testing.assert_allclose(hx.grad, tx.grad.numpy(), atol=1e-5)
    np.testing.assert_allclose(h.weight.grad, t.weight.grad.numpy(), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(h.running_var.data, t.running_var.numpy(), rtol=1e-5)


@settings(max_examples=8, deadline=None)
@given(
    n=st.integers(2, 4),
    c=st.integers(1, 4),
    h=st.integers(1, 3),
    w=st.integers(1, 3),
    seed=st.integers(0, 1000),
)
def test_batchnorm2d_and_layernorm_shapes(n, c, h, w, seed):
    x = np.random.default_rng(seed).standard_normal((n, c, h, w))
    layer_parity(nn.BatchNorm2d(c), torch.nn.BatchNorm2d(c), x, steps=2)
    layer_parity(nn.LayerNorm([h, w]), torch.nn.LayerNorm([h, w]), x)
    layer_parity(nn.GroupNorm(1, c), torch.nn.GroupNorm(1, c), x)


def test_batchnorm_loads_a_state_dict_without_num_batches_tracked_like_torch():
    t = torch.nn.BatchNorm2d(3)
    sd = {k: v for k, v in t.state_dict().items() if k != "num_batches_tracked"}
    t.load_state_dict(sd)  # torch accepts it
    h = nn.BatchNorm2d(3)
    h.num_batches_tracked.data[...] = 7
    res = h.load_state_dict({k: v.numpy() for k, v in sd.items()})
    assert res.missing_keys == [] and int(h.num_batches_tracked.item()) == 7
