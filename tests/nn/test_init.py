"""hosila.nn.init: distributions (checked statistically on large tensors), gains, fans, seeding."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import hosila
from hosila import nn
from hosila.nn import init


def big(*shape):
    return nn.Parameter(hosila.empty(*shape))


@pytest.mark.parametrize(
    "name,param",
    [
        ("linear", None),
        ("conv2d", None),
        ("sigmoid", None),
        ("tanh", None),
        ("relu", None),
        ("leaky_relu", None),
        ("leaky_relu", 0.2),
        ("selu", None),
    ],
)
def test_calculate_gain_matches_torch(name, param):
    assert init.calculate_gain(name, param) == pytest.approx(
        torch.nn.init.calculate_gain(name, param)
    )


def test_calculate_gain_errors():
    with pytest.raises(ValueError, match="unsupported nonlinearity"):
        init.calculate_gain("swish")
    with pytest.raises(ValueError, match="negative_slope"):
        init.calculate_gain("leaky_relu", "x")


@pytest.mark.parametrize("shape", [(3, 4), (8, 2, 3, 3), (5, 7, 2)])
def test_fans_match_torch(shape):
    assert init._calculate_fan_in_and_fan_out(hosila.empty(*shape)) == (
        torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(*shape))
    )
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init._calculate_fan_in_and_fan_out(hosila.empty(3))


def _stats(t):
    return t.data.mean(), t.data.std(), t.data.min(), t.data.max()


def test_uniform_normal_constant():
    hosila.manual_seed(0)
    m, s, lo, hi = _stats(init.uniform_(big(300, 300), -2, 3))
    assert -2 <= lo and hi < 3 and abs(m - 0.5) < 0.03 and abs(s - 5 / math.sqrt(12)) < 0.02
    m, s, *_ = _stats(init.normal_(big(300, 300), 1.5, 0.5))
    assert abs(m - 1.5) < 0.01 and abs(s - 0.5) < 0.01
    t = init.constant_(big(2, 3), 0.25)
    assert (t.data == 0.25).all()
    assert not init.zeros_(big(2, 2)).data.any()
    assert (init.ones_(big(2, 2)).data == 1).all()
    np.testing.assert_array_equal(init.eye_(big(2, 3)).data, np.eye(2, 3))
    with pytest.raises(ValueError):
        init.eye_(big(2, 2, 2))


def test_trunc_normal_bounds():
    hosila.manual_seed(1)
    t = init.trunc_normal_(big(200, 200), mean=0.0, std=1.0, a=-1.0, b=1.5)
    assert t.data.min() >= -1.0 and t.data.max() <= 1.5
    # truncated standard normal on [-1, 1.5]: mean = (φ(a) − φ(b)) / (Φ(b) − Φ(a))
    phi = lambda z: math.exp(-z * z / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    cdf = lambda z: 0.5 * (1 + math.erf(z / math.sqrt(2)))  # noqa: E731
    expected = (phi(-1.0) - phi(1.5)) / (cdf(1.5) - cdf(-1.0))
    assert abs(t.data.mean() - expected) < 0.01


@pytest.mark.parametrize("shape", [(200, 300), (64, 32, 3, 3)])
def test_xavier(shape):
    hosila.manual_seed(2)
    fan_in, fan_out = init._calculate_fan_in_and_fan_out(hosila.empty(*shape))
    std = 1.3 * math.sqrt(2 / (fan_in + fan_out))
    m, s, lo, hi = _stats(init.xavier_uniform_(big(*shape), gain=1.3))
    assert abs(m) < 0.02 * std and abs(s - std) < 0.02 * std
    assert hi <= math.sqrt(3) * std and hi > 0.98 * math.sqrt(3) * std
    m, s, *_ = _stats(init.xavier_normal_(big(*shape), gain=1.3))
    assert abs(m) < 0.02 * std and abs(s - std) < 0.02 * std


@pytest.mark.parametrize("mode", ["fan_in", "fan_out"])
@pytest.mark.parametrize("nonlinearity,a", [("relu", 0), ("leaky_relu", 0.1), ("tanh", 0)])
def test_kaiming(mode, nonlinearity, a):
    hosila.manual_seed(3)
    shape = (128, 64, 3, 3)
    fan = init._calculate_fan_in_and_fan_out(hosila.empty(*shape))[0 if mode == "fan_in" else 1]
    std = init.calculate_gain(nonlinearity, a) / math.sqrt(fan)
    m, s, lo, hi = _stats(init.kaiming_uniform_(big(*shape), a, mode, nonlinearity))
    assert abs(s - std) < 0.02 * std and hi <= math.sqrt(3) * std
    m, s, *_ = _stats(init.kaiming_normal_(big(*shape), a, mode, nonlinearity))
    assert abs(s - std) < 0.02 * std and abs(m) < 0.02 * std
    tt = torch.empty(*shape)
    torch.nn.init.kaiming_normal_(tt, a, mode, nonlinearity)
    assert abs(tt.std().item() - std) < 0.02 * std
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        init.kaiming_uniform_(big(2, 2), mode="fan_avg")


def test_orthogonal_and_dirac():
    hosila.manual_seed(4)
    q = init.orthogonal_(big(6, 10), gain=2.0).data
    np.testing.assert_allclose(q @ q.T, 4 * np.eye(6), atol=1e-5)
    q = init.orthogonal_(big(10, 3)).data
    np.testing.assert_allclose(q.T @ q, np.eye(3), atol=1e-5)
    w = init.dirac_(big(4, 4, 3, 3)).data
    assert w.sum() == 4 and (w[:, :, 1, 1] == np.eye(4)).all()


def test_seeded_and_works_on_parameters_requiring_grad():
    p = big(5, 5)
    assert p.requires_grad
    hosila.manual_seed(7)
    a = init.normal_(p).data.copy()
    hosila.manual_seed(7)
    b = init.normal_(p).data.copy()
    np.testing.assert_array_equal(a, b)
    assert p.dtype == np.float32 and p.is_leaf
    with pytest.raises(TypeError, match="normal_"):
        init.normal_(np.zeros(3))


def test_layer_defaults_embedding_norms():
    hosila.manual_seed(5)
    e = nn.Embedding(1000, 64)
    assert abs(e.weight.data.mean()) < 0.01 and abs(e.weight.data.std() - 1) < 0.01
    e = nn.Embedding(10, 4, padding_idx=3)
    assert not e.weight.data[3].any()
    ln, gn = nn.LayerNorm(3), nn.GroupNorm(1, 3)
    for p in (ln.weight, gn.weight):
        assert (p.data == 1).all()
    for p in (ln.bias, gn.bias):
        assert not p.data.any()
