"""Regularisation penalties and gradient clipping (PyTorch's clip_grad_* semantics)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import hosila
from hosila import nn
from hosila.nn import regularization as R
from hosila.nn.utils import (
    clip_grad_norm_,
    clip_grad_value_,
    parameters_to_vector,
    vector_to_parameters,
)
from tests.nn.helpers import gradcheck

RNG = np.random.default_rng(3)


def test_penalties_values_and_gradients():
    a, b = RNG.standard_normal((3, 2)), RNG.standard_normal(4)
    ta, tb = hosila.tensor(a, requires_grad=True), hosila.tensor(b, requires_grad=True)
    l1 = R.l1([ta, tb])
    l2 = R.l2([ta, tb])
    assert l1.shape == () and l1.item() == pytest.approx(np.abs(a).sum() + np.abs(b).sum())
    assert l2.item() == pytest.approx((a**2).sum() + (b**2).sum())  # no factor 1/2
    (l1 + l2).backward()
    np.testing.assert_allclose(ta.grad, np.sign(a) + 2 * a)
    en = R.elastic_net([ta, tb], l1_ratio=0.3)
    assert en.item() == pytest.approx(0.3 * l1.item() + 0.7 * l2.item())
    gradcheck(lambda x: R.elastic_net(x, 0.4), a)
    gradcheck(R.l2, a)


def test_penalties_accept_module_generator_and_check_input():
    m = nn.Linear(3, 2)
    expected = sum((p.data.astype(np.float64) ** 2).sum() for p in m.parameters())
    assert R.l2(m).item() == pytest.approx(expected, rel=1e-5)
    assert R.l2(m.parameters()).item() == pytest.approx(expected, rel=1e-5)
    assert R.l1([]).item() == 0
    with pytest.raises(ValueError, match="l1_ratio"):
        R.elastic_net(m, 1.5)
    with pytest.raises(TypeError, match="l1"):
        R.l1(3.0)
    with pytest.raises(TypeError, match="floating"):
        R.l2([hosila.tensor([1, 2])])


def test_l2_penalty_equals_sgd_weight_decay():
    # lam * l2 has gradient 2 * lam * w, i.e. weight_decay = 2 * lam
    m = nn.Linear(2, 2)
    lam = 0.05
    w0 = m.weight.data.copy()
    (R.l2([m.weight]) * lam).backward()
    np.testing.assert_allclose(m.weight.grad, 2 * lam * w0, rtol=1e-6)


def _pair(seed=0):
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal((3, 4)) * 5, rng.standard_normal(4) * 5]
    h = [hosila.tensor(a, requires_grad=True) for a in arrays]
    t = [torch.tensor(a, requires_grad=True) for a in arrays]
    grads = [rng.standard_normal(a.shape) * 5 for a in arrays]
    for hp, tp, g in zip(h, t, grads, strict=True):
        hp.grad = g.copy()
        tp.grad = torch.tensor(g.copy())
    return h, t


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3, math.inf])
@pytest.mark.parametrize("max_norm", [1.0, 1e6])
def test_clip_grad_norm_matches_torch(norm_type, max_norm):
    h, t = _pair()
    hn = clip_grad_norm_(h, max_norm, norm_type)
    tn = torch.nn.utils.clip_grad_norm_(t, max_norm, norm_type)
    assert isinstance(hn, hosila.Tensor) and hn.dtype == np.float64
    assert hn.item() == pytest.approx(tn.item(), rel=1e-10)
    for hp, tp in zip(h, t, strict=True):
        np.testing.assert_allclose(hp.grad, tp.grad.numpy(), rtol=1e-10)


def test_clip_grad_norm_nonfinite_and_none_grads():
    p = hosila.tensor([1.0, 2.0], requires_grad=True)
    assert clip_grad_norm_([p], 1.0).item() == 0  # no gradients yet
    p.grad = np.array([np.inf, 1.0], dtype=np.float32)
    with pytest.raises(RuntimeError, match="non-finite"):
        clip_grad_norm_(p, 1.0, error_if_nonfinite=True)
    assert math.isinf(clip_grad_norm_(p, 1.0).item())
    m = nn.Linear(3, 3)
    m(hosila.randn(2, 3)).sum().backward()
    total = clip_grad_norm_(m.parameters(), 0.1)
    assert total.dtype == np.float32 and total.item() > 0.1
    after = math.sqrt(sum((p.grad.astype(np.float64) ** 2).sum() for p in m.parameters()))
    assert after == pytest.approx(0.1, rel=1e-4)


def test_clip_grad_value_matches_torch():
    h, t = _pair(1)
    clip_grad_value_(h, 2.5)
    torch.nn.utils.clip_grad_value_(t, 2.5)
    for hp, tp in zip(h, t, strict=True):
        np.testing.assert_array_equal(hp.grad, tp.grad.numpy())


def test_parameters_vector_round_trip():
    m = nn.Linear(3, 2)
    v = parameters_to_vector(m.parameters())
    assert v.shape == (8,)
    vector_to_parameters(hosila.tensor(np.arange(8.0)), m.parameters())
    np.testing.assert_array_equal(m.bias.data, [6, 7])
    with pytest.raises(ValueError):
        vector_to_parameters(hosila.zeros(3), m.parameters())
