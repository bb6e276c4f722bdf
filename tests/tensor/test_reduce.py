"""Reductions and the normalising ops: PyTorch parity (float64) over dims given as ints,
tuples and None, with keepdim; gradient checks; ties; stability at ±1e4."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes

import hosila
from tests.parity import check_parity
from tests.tensor._ops import check_grad, rand

REDUCE = {
    "sum_all": lambda L, a: a.sum(),
    "sum_dim": lambda L, a: a.sum(1),
    "sum_tuple_keep": lambda L, a: L.sum(a, dim=(0, 2), keepdim=True),
    "sum_neg": lambda L, a: a.sum(-1),
    "mean_all": lambda L, a: a.mean(),
    "mean_tuple": lambda L, a: L.mean(a, (0, -1)),
    "mean_keep": lambda L, a: a.mean(dim=1, keepdim=True),
    "var_all": lambda L, a: a.var(),
    "var_dim": lambda L, a: a.var(1),
    "var_tuple_keep": lambda L, a: L.var(a, dim=(0, 2), keepdim=True),
    "var_unbiased_false": lambda L, a: a.var(0, unbiased=False),
    "var_unbiased_positional": lambda L, a: a.var(False),
    "var_correction0": lambda L, a: a.var(dim=2, correction=0),
    "var_correction2": lambda L, a: a.var(dim=(1, 2), correction=2),
    "std_all": lambda L, a: a.std(),
    "std_dim": lambda L, a: L.std(a, 1),
    "std_keep": lambda L, a: a.std(dim=-1, keepdim=True, unbiased=False),
    "std_correction": lambda L, a: a.std((0, 1), correction=0),
    "amax_all": lambda L, a: a.amax(),
    "amax_tuple": lambda L, a: L.amax(a, dim=(0, 2)),
    "amin_keep": lambda L, a: a.amin(1, keepdim=True),
    "max_all": lambda L, a: a.max(),
    "min_all": lambda L, a: L.min(a),
    "max_dim": lambda L, a: a.max(1),
    "max_dim_keep": lambda L, a: L.max(a, dim=-1, keepdim=True),
    "min_dim": lambda L, a: a.min(0),
    "max_values": lambda L, a: a.max(dim=2).values * 2,
    "min_indices": lambda L, a: a.min(dim=2).indices,
    "argmax": lambda L, a: a.argmax(),
    "argmax_dim": lambda L, a: a.argmax(1, keepdim=True),
    "argmin_dim": lambda L, a: L.argmin(a, dim=-1),
    "logsumexp": lambda L, a: a.logsumexp(1),
    "logsumexp_tuple": lambda L, a: L.logsumexp(a, dim=(0, 2), keepdim=True),
    "softmax": lambda L, a: a.softmax(-1),
    "softmax_dim0": lambda L, a: L.softmax(a, 0),
    "log_softmax": lambda L, a: a.log_softmax(1),
    "log_softmax_fn": lambda L, a: L.log_softmax(a, dim=-1),
    "cumsum": lambda L, a: a.cumsum(1),
    "cumsum_fn": lambda L, a: L.cumsum(a, dim=-1),
}


@pytest.mark.parametrize("name", sorted(REDUCE))
def test_reduce_parity(name):
    check_parity(REDUCE[name], rand(2, 3, 4))


@pytest.mark.parametrize("name", sorted(REDUCE))
def test_reduce_gradcheck(name):
    check_grad(REDUCE[name], rand(2, 3, 2, seed=5))


@pytest.mark.parametrize(
    "fn",
    [
        lambda L, a: a.sum(),
        lambda L, a: a.mean(),
        lambda L, a: a.amax(),
        lambda L, a: a.max(),
        lambda L, a: a.max(0)[0],
        lambda L, a: a.logsumexp(0),
        lambda L, a: a.softmax(0),
        lambda L, a: a.var(correction=0),
        lambda L, a: a.std(unbiased=False),
        lambda L, a: a.cumsum(0),
    ],
)
def test_reduce_on_0d_tensors(fn):
    check_parity(fn, np.array(1.5))


@settings(max_examples=25, deadline=None)
@given(shape=array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=4), data=st.data())
def test_reductions_over_random_dims(shape, data):
    ndim = len(shape)
    dims = data.draw(st.lists(st.integers(-ndim, ndim - 1), min_size=1, max_size=ndim))
    dims = tuple(dict.fromkeys(d % ndim for d in dims))
    keepdim = data.draw(st.booleans())
    x = rand(*shape, seed=data.draw(st.integers(0, 1000)))
    for fn in (
        lambda L, a: a.sum(dims, keepdim=keepdim),
        lambda L, a: a.mean(dims, keepdim=keepdim),
        lambda L, a: a.amax(dims, keepdim=keepdim),
        lambda L, a: a.var(dims, keepdim=keepdim, correction=0),
        lambda L, a: a.logsumexp(dims, keepdim=keepdim),
        lambda L, a: a.softmax(dims[0]),
    ):
        check_parity(fn, x)


def test_ties_amax_amin_max_all_share_evenly_max_dim_picks_one():
    x = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]])
    for fn in (
        lambda L, a: a.amax(1),
        lambda L, a: a.amin(),
        lambda L, a: a.max(),
        lambda L, a: a.min(),
        lambda L, a: a.max(1)[0],
        lambda L, a: a.min(0)[0],
        lambda L, a: L.amax(a, (0, 1)),
    ):
        check_parity(fn, x)
    h = hosila.tensor(x, requires_grad=True)
    h.max().backward()
    np.testing.assert_array_equal(h.grad, [[0, 0.5, 0.5], [0, 0, 0]])


def test_sum_and_cumsum_of_ints_are_int64_like_torch():
    for dt in (hosila.int32, hosila.bool_, hosila.uint8):
        x = hosila.ones(3, dtype=dt)
        assert x.sum().dtype == hosila.int64
        assert x.cumsum(0).dtype == hosila.int64
    assert hosila.ones(2, 3).sum(dtype=hosila.float64).dtype == hosila.float64


def test_std_of_a_constant_has_zero_gradient_like_torch():
    x = hosila.tensor([2.0, 2.0, 2.0], requires_grad=True)
    x.std().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0, 0.0])


def test_var_argument_errors():
    x = hosila.ones(2, 3)
    with pytest.raises(TypeError, match="unbiased or correction"):
        x.var(0, unbiased=True, correction=1)
    with pytest.raises(TypeError, match="floating"):
        hosila.tensor([1, 2]).var()
    with pytest.raises(IndexError, match="out of range"):
        x.var(2)
    with pytest.raises(ValueError, match="twice"):
        x.sum((0, 0))
    with pytest.raises(TypeError, match="dim"):
        x.sum(1.5)


def test_max_min_empty_and_bad_dim_errors():
    with pytest.raises(ValueError, match="empty"):
        hosila.zeros(0).max()
    with pytest.raises(TypeError, match="dim must be an int"):
        hosila.ones(2, 2).max((0, 1))
    with pytest.raises(TypeError, match="floating"):
        hosila.tensor([1, 2]).mean()


@pytest.mark.parametrize(
    "fn",
    [
        lambda L, a: a.logsumexp(1),
        lambda L, a: a.softmax(1),
        lambda L, a: a.log_softmax(1),
        lambda L, a: a.log_softmax(0),
    ],
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_stable_at_plus_minus_1e4(fn, dtype):
    x = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4], [1e4, 1e4, -3.0]], dtype=dtype)
    h = hosila.tensor(x, requires_grad=True)
    out = fn(hosila, h)
    assert np.isfinite(out.data).all()
    (out * hosila.tensor(np.arange(out.data.size, dtype=dtype).reshape(out.shape))).sum().backward()
    assert np.isfinite(h.grad).all()
    check_parity(fn, x.astype(np.float64), rtol=1e-6, atol=1e-6)


def test_softmax_of_inf_logits_matches_torch():
    x = np.array([[0.0, -np.inf, 1.0]])
    check_parity(lambda L, a: a.softmax(1), x, grad=False)
    check_parity(lambda L, a: a.logsumexp(1), x, grad=False)


def test_log_softmax_equals_composite():
    """The fused primitive equals a − logsumexp(a) built from primitives (DESIGN 2)."""
    x = rand(4, 5, seed=2)
    fused = hosila.tensor(x, requires_grad=True)
    comp = hosila.tensor(x, requires_grad=True)
    g = rand(4, 5, seed=3)
    a = fused.log_softmax(1)
    b = comp - comp.logsumexp(1, keepdim=True)
    np.testing.assert_allclose(a.data, b.data, rtol=1e-12, atol=1e-12)
    a.backward(hosila.tensor(g))
    b.backward(hosila.tensor(g))
    np.testing.assert_allclose(fused.grad, comp.grad, rtol=1e-10, atol=1e-12)
    s = hosila.tensor(x, requires_grad=True)
    e = hosila.tensor(x, requires_grad=True)
    sa, sb = s.softmax(1), e.exp() / e.exp().sum(1, keepdim=True)
    np.testing.assert_allclose(sa.data, sb.data, rtol=1e-12)
    sa.backward(hosila.tensor(g))
    sb.backward(hosila.tensor(g))
    np.testing.assert_allclose(s.grad, e.grad, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(
    "fn",
    [
        lambda L, a: a.prod(),
        lambda L, a: a.prod(1),
        lambda L, a: L.prod(a, dim=-1, keepdim=True),
    ],
)
@pytest.mark.parametrize("zeros", [0, 1, 2])
def test_prod_parity_and_gradcheck_with_zeros(fn, zeros):
    x = rand(2, 3, 4, seed=zeros) + 0.5
    x.reshape(-1)[: zeros * 5 : 5] = 0.0  # one or two zeros in some rows
    check_parity(fn, x)
    check_grad(fn, x[:, :2, :3])


def test_empty_dim_tuple_reduces_everything_like_torch():
    x = rand(2, 3)
    for fn in (
        lambda L, a: a.sum(dim=()),
        lambda L, a: a.mean(dim=[]),
        lambda L, a: a.amax(dim=()),
    ):
        check_parity(fn, x)
    # torch's var(dim=()) value is the all-dims variance (its gradient there is inf: a torch bug)
    check_parity(lambda L, a: a.var(dim=()), x, grad=False)
    assert hosila.ones(2, dtype=hosila.int32).sum(dtype=hosila.int32).dtype == hosila.int32
