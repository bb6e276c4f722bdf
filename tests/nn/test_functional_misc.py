"""Embedding, pad, one_hot and the remaining functional ops against torch.nn.functional."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import hosila
from hosila import nn
from hosila.nn import functional as F
from tests.nn.helpers import gradcheck, layer_parity
from tests.parity import check_parity

RNG = np.random.default_rng(4)


def lib_F(lib):
    return F if lib is hosila else torch.nn.functional


@pytest.mark.parametrize("padding_idx", [None, 2, -1])
@pytest.mark.parametrize("shape", [(5,), (2, 3), ()])
def test_embedding_layer_parity(padding_idx, shape):
    h = nn.Embedding(6, 3, padding_idx=padding_idx)
    t = torch.nn.Embedding(6, 3, padding_idx=padding_idx)
    assert repr(h) == repr(t)
    idx = RNG.integers(0, 6, shape)
    if idx.ndim:
        idx.flat[0] = 2  # a repeated index accumulates
        idx.flat[-1] = 2
    layer_parity(h, t, idx)


def test_embedding_functional_max_norm_and_errors():
    w = RNG.standard_normal((5, 3)) * 3
    idx = np.array([[0, 1], [1, 4]])
    hw, tw = hosila.tensor(w.copy()), torch.tensor(w.copy())
    ho = F.embedding(hosila.tensor(idx), hw, max_norm=1.0)
    to = torch.nn.functional.embedding(torch.tensor(idx), tw, max_norm=1.0)
    np.testing.assert_allclose(ho.data, to.numpy(), rtol=1e-6)
    np.testing.assert_allclose(hw.data, tw.numpy(), rtol=1e-6)  # renormalised in place
    with pytest.raises(ValueError, match=r"embedding: index 5 is out of range.*num_embeddings=5"):
        F.embedding(hosila.tensor([0, 5]), hw)
    with pytest.raises(ValueError, match="embedding.*integer dtype"):
        F.embedding(hosila.tensor([0.0]), hw)
    with pytest.raises(ValueError, match="padding_idx"):
        nn.Embedding(3, 2, padding_idx=3)


def test_embedding_from_pretrained():
    w = hosila.tensor(RNG.standard_normal((4, 2)))
    e = nn.Embedding.from_pretrained(w)
    assert not e.weight.requires_grad
    np.testing.assert_array_equal(e(hosila.tensor([3])).data, w.data[[3]])
    assert nn.Embedding.from_pretrained(w, freeze=False).weight.requires_grad


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("pad", [(1, 2), (2, 0, 1, 1), (0, 1, 1, 0, 1, 1)])
def test_pad_parity(mode, pad):
    # torch's non-constant modes take (N, C, *spatial) with len(pad) // 2 spatial dims
    shape = (2, 3, 4, 5) if mode == "constant" else (2, 3, 4, 5, 3)[: len(pad) // 2 + 2]
    x = RNG.standard_normal(shape)
    check_parity(lambda lib, x: lib_F(lib).pad(x, pad, mode=mode), x)


def test_pad_constant_value_negative_and_errors():
    x = RNG.standard_normal((3, 4))
    check_parity(lambda lib, x: lib_F(lib).pad(x, (1, 1), value=2.5), x)
    check_parity(lambda lib, x: lib_F(lib).pad(x, (-1, 2, 1, -2)), x)
    gradcheck(lambda x: F.pad(x, (1, 1), mode="reflect"), x[:2])
    with pytest.raises(ValueError, match="pad: padding length"):
        F.pad(hosila.tensor(x), (1, 2, 3))
    with pytest.raises(ValueError, match="mode"):
        F.pad(hosila.tensor(x), (1, 1), mode="wrap")


def test_one_hot_matches_torch():
    y = np.array([[0, 2], [1, 3]])
    for n in (-1, 5):
        h = F.one_hot(hosila.tensor(y), n)
        t = torch.nn.functional.one_hot(torch.tensor(y), n)
        assert h.dtype == np.int64
        np.testing.assert_array_equal(h.data, t.numpy())
    with pytest.raises(ValueError, match="one_hot"):
        F.one_hot(hosila.tensor([0, 4]), 3)
    with pytest.raises(ValueError, match="one_hot.*integer"):
        F.one_hot(hosila.tensor([0.0]))


@pytest.mark.parametrize(
    "name,kwargs",
    [
        ("relu", {}),
        ("relu6", {}),
        ("leaky_relu", {"negative_slope": 0.3}),
        ("elu", {"alpha": 0.7}),
        ("gelu", {}),
        ("gelu", {"approximate": "tanh"}),
        ("silu", {}),
        ("softplus", {"beta": 2.0}),
        ("sigmoid", {}),
        ("tanh", {}),
        ("softmax", {"dim": 0}),
        ("log_softmax", {"dim": -1}),
    ],
)
def test_functional_activation_parity(name, kwargs):
    x = RNG.standard_normal((3, 4)) * 4
    check_parity(lambda lib, x: getattr(lib_F(lib), name)(x, **kwargs), x)


def test_linear_and_bilinear_functional():
    x, w, b = RNG.standard_normal((2, 5, 3)), RNG.standard_normal((4, 3)), RNG.standard_normal(4)
    check_parity(lambda lib, x, w, b: lib_F(lib).linear(x, w, b), x, w, b)
    check_parity(lambda lib, x, w: lib_F(lib).linear(x, w), x, w)
    x1, x2 = RNG.standard_normal((3, 2)), RNG.standard_normal((3, 4))
    wb = RNG.standard_normal((5, 2, 4))
    check_parity(
        lambda lib, a, c, w, b: lib_F(lib).bilinear(a, c, w, b), x1, x2, wb, RNG.standard_normal(5)
    )
    with pytest.raises(ValueError, match=r"linear: input of shape \(2, 5, 3\).*in_features=2"):
        F.linear(hosila.tensor(x), hosila.randn(4, 2))
