"""Functions PyTorch users reach for (as_tensor, diag, trace, erf, log2/log10, cumprod,
var_mean/std_mean, tensordot, addmm, ...): PyTorch parity (float64) and gradient checks."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import hosila
from tests.parity import check_parity
from tests.tensor._ops import check_grad, rand

A23 = rand(2, 3, seed=1)
A34 = rand(3, 4, seed=2)
POS = rand(2, 3, seed=3, low=0.2, high=3.0)
ZEROS = np.array([[1.5, 0.0, 2.0, -0.5], [0.0, 0.0, 3.0, 1.2], [2.0, -1.0, 0.5, 0.0]])

DIFF = {
    "erf": (lambda L, a: L.erf(a), (rand(3, 4, seed=4, low=-4.0, high=4.0),)),
    "erf_method": (lambda L, a: a.erf(), (A23,)),
    "log2": (lambda L, a: L.log2(a), (POS,)),
    "log10": (lambda L, a: a.log10(), (POS,)),
    "cumprod_1": (lambda L, a: L.cumprod(a, 1), (rand(2, 3, 4, seed=5),)),
    "cumprod_neg": (lambda L, a: a.cumprod(-3), (rand(3, 2, 2, seed=6),)),
    "cumprod_zeros": (lambda L, a: L.cumprod(a, dim=1), (ZEROS,)),
    "cumprod_zeros_dim0": (lambda L, a: L.cumprod(a, 0), (ZEROS,)),
    "diag_vec": (lambda L, a: L.diag(a), (rand(3, seed=7),)),
    "diag_vec_up": (lambda L, a: L.diag(a, 2), (rand(3, seed=8),)),
    "diag_vec_down": (lambda L, a: a.diag(-1), (rand(2, seed=9),)),
    "diag_mat": (lambda L, a: L.diag(a), (A34,)),
    "diag_mat_up": (lambda L, a: L.diag(a, 1), (A34,)),
    "diag_mat_down": (lambda L, a: L.diag(a, diagonal=-2), (A34,)),
    "diag_mat_outside": (lambda L, a: L.diag(a, 5), (A34,)),
    "trace": (lambda L, a: L.trace(a), (A34,)),
    "trace_method": (lambda L, a: a.trace(), (rand(3, 3, seed=10),)),
    "var_mean": (lambda L, a: L.var_mean(a, 1), (rand(3, 4, seed=11),)),
    "var_mean_all": (lambda L, a: L.var_mean(a), (A34,)),
    "var_mean_keep_corr": (
        lambda L, a: L.var_mean(a, dim=(0, 1), keepdim=True, correction=0),
        (rand(2, 3, 2, seed=12),),
    ),
    "var_mean_unbiased": (lambda L, a: L.var_mean(a, 0, False), (A34,)),
    "std_mean": (lambda L, a: L.std_mean(a, dim=0), (A34,)),
    "std_mean_keep": (lambda L, a: L.std_mean(a, -1, keepdim=True), (A23,)),
    "tensordot_int": (lambda L, a, b: L.tensordot(a, b, 1), (A23, A34)),
    "tensordot_default": (
        lambda L, a, b: L.tensordot(a, b),
        (rand(2, 3, 4, seed=13), rand(3, 4, 2, seed=14)),
    ),
    "tensordot_lists": (
        lambda L, a, b: L.tensordot(a, b, dims=([0, 2], [2, 0])),
        (rand(2, 3, 4, seed=15), rand(4, 5, 2, seed=16)),
    ),
    "tensordot_zero": (lambda L, a, b: L.tensordot(a, b, 0), (rand(2, seed=17), A23)),
    "addmm": (lambda L, c, a, b: L.addmm(c, a, b), (rand(2, 4, seed=18), A23, A34)),
    "addmm_broadcast_scaled": (
        lambda L, c, a, b: L.addmm(c, a, b, beta=0.5, alpha=-2.0),
        (rand(4, seed=19), A23, A34),
    ),
    "addmm_beta0": (lambda L, c, a, b: L.addmm(c, a, b, beta=0), (rand(1, 4, seed=20), A23, A34)),
}


@pytest.mark.parametrize("name", sorted(DIFF))
def test_parity(name):
    fn, arrays = DIFF[name]
    check_parity(fn, *arrays)


@pytest.mark.parametrize("name", sorted(DIFF))
def test_gradcheck(name):
    fn, arrays = DIFF[name]
    check_grad(fn, *arrays)


def test_erf_float32_and_integers():
    x = np.linspace(-5, 5, 41)
    np.testing.assert_allclose(
        hosila.erf(hosila.tensor(x.astype(np.float32))).data,
        torch.erf(torch.tensor(x, dtype=torch.float32)).numpy(),
        atol=2e-7,
    )
    for name in ("erf", "log2", "log10"):
        h = getattr(hosila, name)(hosila.tensor([1, 2, 8]))
        t = getattr(torch, name)(torch.tensor([1, 2, 8]))
        assert h.dtype == hosila.float32 and t.dtype == torch.float32
        np.testing.assert_allclose(h.data, t.numpy(), rtol=1e-6)
    assert hosila.log2(hosila.tensor([8.0, 1024.0])).tolist() == [3.0, 10.0]


def test_cumprod_integer_dtype_and_0d():
    h = hosila.cumprod(hosila.tensor([[1, 2], [3, 4]], dtype=hosila.int32), 1)
    t = torch.cumprod(torch.tensor([[1, 2], [3, 4]], dtype=torch.int32), 1)
    assert h.dtype == hosila.int64 and t.dtype == torch.int64 and h.tolist() == t.tolist()
    assert hosila.cumprod(hosila.tensor([1, 2]), 0, dtype=hosila.float64).dtype == hosila.float64
    assert hosila.cumprod(hosila.tensor(3.0), 0).tolist() == 3.0


def test_diag_trace_integers_and_errors():
    m = [[1, 2, 3], [4, 5, 6]]
    assert hosila.trace(hosila.tensor(m)).tolist() == torch.trace(torch.tensor(m)).item()
    assert hosila.trace(hosila.tensor(m)).dtype == hosila.int64
    assert hosila.diag(hosila.tensor([1, 2])).tolist() == torch.diag(torch.tensor([1, 2])).tolist()
    with pytest.raises(ValueError, match="diag"):
        hosila.diag(hosila.zeros(2, 2, 2))
    with pytest.raises(ValueError, match="trace"):
        hosila.trace(hosila.zeros(3))


def test_tensordot_and_addmm_errors():
    a, b = hosila.zeros(2, 3), hosila.zeros(4, 5)
    with pytest.raises(ValueError, match="tensordot"):
        hosila.tensordot(a, b, 1)
    with pytest.raises(ValueError, match="tensordot"):
        hosila.tensordot(a, b, 3)
    with pytest.raises(TypeError, match="tensordot"):
        hosila.tensordot(a, b, "x")
    with pytest.raises(ValueError, match="addmm"):
        hosila.addmm(hosila.zeros(3), a, hosila.zeros(3, 4))
    with pytest.raises(ValueError, match="addmm"):
        hosila.addmm(hosila.zeros(2, 4), hosila.zeros(2), hosila.zeros(3, 4))


def test_addmm_beta0_ignores_nan():
    c = hosila.tensor([[float("nan")] * 2] * 2)
    a = hosila.eye(2)
    assert hosila.addmm(c, a, a, beta=0).tolist() == [[1.0, 0.0], [0.0, 1.0]]
    tc = torch.full((2, 2), float("nan"))
    assert torch.addmm(tc, torch.eye(2), torch.eye(2), beta=0).tolist() == [[1.0, 0.0], [0.0, 1.0]]


def test_as_tensor_shares_and_converts():
    arr = np.arange(3.0)
    t = hosila.as_tensor(arr)
    arr[0] = 5.0
    assert t.tolist()[0] == 5.0 and t.dtype == hosila.float64
    assert torch.as_tensor(arr).dtype == torch.float64
    x = hosila.tensor([1.0, 2.0])
    assert hosila.as_tensor(x) is x
    assert hosila.as_tensor(x, dtype=hosila.float64).dtype == hosila.float64
    assert hosila.as_tensor([1, 2]).dtype == hosila.int64
    assert hosila.as_tensor(arr, dtype=hosila.float32).dtype == hosila.float32
    with pytest.raises(ValueError, match="as_tensor"):
        hosila.as_tensor(arr, device="cuda")


def test_small_functions():
    x = hosila.tensor([[1.0, float("nan")], [float("inf"), 0.0]])
    tx = torch.tensor([[1.0, float("nan")], [float("inf"), 0.0]])
    assert hosila.numel(x) == torch.numel(tx) == 4
    for name in ("isnan", "isinf", "isfinite", "logical_not"):
        assert getattr(hosila, name)(x).tolist() == getattr(torch, name)(tx).tolist()
        assert getattr(hosila, name)(x).dtype == hosila.bool_


@pytest.mark.parametrize("name", ["rand_like", "randn_like"])
def test_random_like(name):
    base = hosila.zeros(3, 4, dtype=hosila.float64)
    hosila.manual_seed(0)
    a = getattr(hosila, name)(base)
    assert a.shape == (3, 4) and a.dtype == hosila.float64 and not a.requires_grad
    hosila.manual_seed(0)
    assert getattr(hosila, name)(base).tolist() == a.tolist()
    b = getattr(hosila, name)(base, dtype=hosila.float32, requires_grad=True)
    assert b.dtype == hosila.float32 and b.requires_grad
    if name == "rand_like":
        assert (a.data >= 0).all() and (a.data < 1).all()
    with pytest.raises(TypeError):
        getattr(hosila, name)(hosila.tensor([1, 2]))
    with pytest.raises(RuntimeError):
        getattr(torch, name)(torch.tensor([1, 2]))


NONFINITE = np.array([[1.5, np.nan, np.inf], [-np.inf, -2.0, 0.25]])


@pytest.mark.parametrize(
    "fn",
    [
        lambda L, a: L.nan_to_num(a),
        lambda L, a: L.nan_to_num(a, nan=1.0, posinf=2.0),
        lambda L, a: a.nan_to_num(neginf=-5.0),
    ],
)
def test_nan_to_num_parity(fn):
    check_parity(fn, NONFINITE)


def test_nan_to_num_gradcheck_and_inplace():
    check_grad(lambda L, a: L.nan_to_num(a) * a, rand(2, 3, seed=21))
    x = hosila.tensor([1.0, float("nan")])
    x.nan_to_num_(nan=3.0)
    assert x.tolist() == [1.0, 3.0]
    assert hosila.nan_to_num(hosila.tensor([1, 2])).dtype == hosila.int64


def test_count_nonzero_argwhere():
    m = [[0, 1, 2], [3, 0, 0]]
    h, t = hosila.tensor(m), torch.tensor(m)
    assert hosila.count_nonzero(h).tolist() == torch.count_nonzero(t).item()
    for dim in (0, 1, (0, 1), -1):
        assert hosila.count_nonzero(h, dim).tolist() == torch.count_nonzero(t, dim).tolist()
        assert hosila.count_nonzero(h, dim).dtype == hosila.int64
    assert h.count_nonzero(1).tolist() == [2, 1]
    assert hosila.argwhere(h).tolist() == torch.argwhere(t).tolist()
    assert h.argwhere().dtype == hosila.int64


def test_broadcast_tensors():
    check_parity(
        lambda L, a, b, c: L.broadcast_tensors(a, b, c),
        rand(2, 1, seed=22),
        rand(3, seed=23),
        rand(1, 1, seed=24),
    )
    check_grad(lambda L, a, b: L.broadcast_tensors(a, b)[0] * 2, rand(2, 1), rand(3))
    with pytest.raises(ValueError, match="broadcast_tensors"):
        hosila.broadcast_tensors(hosila.zeros(2), hosila.zeros(3))
