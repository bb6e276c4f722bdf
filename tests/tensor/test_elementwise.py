"""Elementwise ops: value and gradient against PyTorch (float64, broadcasting shapes from
hypothesis) and against centred differences; the special points (ties, kinks, boundaries)
where PyTorch picks a subgradient; dtype promotion."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import hosila
from tests.parity import check_parity
from tests.tensor._ops import check_grad, rand

# name -> (fn(lib, a), domain): domain "pos" draws from [0.5, 2), else standard normal
UNARY = {
    "neg": (lambda L, a: -a, None),
    "pos": (lambda L, a: +a * 1, None),
    "abs": (lambda L, a: a.abs(), None),
    "abs_fn": (lambda L, a: L.abs(a), None),
    "exp": (lambda L, a: a.exp(), None),
    "log": (lambda L, a: a.log(), "pos"),
    "sqrt": (lambda L, a: L.sqrt(a), "pos"),
    "sin": (lambda L, a: a.sin(), None),
    "cos": (lambda L, a: L.cos(a), None),
    "tanh": (lambda L, a: a.tanh(), None),
    "sigmoid": (lambda L, a: L.sigmoid(a), None),
    "relu": (lambda L, a: L.relu(a), None),
    "relu_method": (lambda L, a: a.relu(), None),
    "clamp": (lambda L, a: a.clamp(-0.5, 0.5), None),
    "clamp_min": (lambda L, a: L.clamp(a, min=-0.2), None),
    "clamp_max": (lambda L, a: a.clamp(max=0.3), None),
    "clip": (lambda L, a: L.clip(a, -1, 1), None),
    "square": (lambda L, a: a.square(), None),
    "reciprocal": (lambda L, a: a.reciprocal(), "pos"),
    "rsqrt": (lambda L, a: a.rsqrt(), "pos"),
    "log1p": (lambda L, a: a.log1p(), "pos"),
    "expm1": (lambda L, a: L.expm1(a), None),
    "floor": (lambda L, a: a.floor() * a, None),
    "ceil": (lambda L, a: L.ceil(a) * a, None),
    "round": (lambda L, a: a.round() + a, None),
    "trunc": (lambda L, a: a.trunc() * a, None),
    "sign": (lambda L, a: a.sign() * a, None),
    "pow_int": (lambda L, a: a**3, None),
    "pow_neg": (lambda L, a: a**-2, "pos"),
    "pow_frac": (lambda L, a: L.pow(a, 0.5), "pos"),
    "pow_zero": (lambda L, a: a**0, None),
    "rpow": (lambda L, a: 2.0**a, None),
    "rpow_int": (lambda L, a: 3**a, None),
    "radd": (lambda L, a: 1 + a, None),
    "rsub": (lambda L, a: 1 - a, None),
    "rmul": (lambda L, a: 2.5 * a, None),
    "rdiv": (lambda L, a: 1 / a, "pos"),
    "div_scalar": (lambda L, a: a / 4, None),
    "sub_alpha": (lambda L, a: L.sub(a, a * a, alpha=2), None),
    "add_alpha": (lambda L, a: a.add(a.exp(), alpha=-0.5), None),
    "mod_scalar": (lambda L, a: a % 0.7, None),
}


def _unary_input(domain, shape=(3, 4), seed=0):
    return (
        rand(*shape, seed=seed, low=0.5, high=2.0) if domain == "pos" else rand(*shape, seed=seed)
    )


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_parity(name):
    fn, domain = UNARY[name]
    check_parity(fn, _unary_input(domain))
    check_parity(fn, _unary_input(domain, shape=()))


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_gradcheck(name):
    fn, domain = UNARY[name]
    check_grad(fn, _unary_input(domain, shape=(2, 3), seed=1))


# name -> (fn(lib, a, b), domain of b)
BINARY = {
    "add": (lambda L, a, b: a + b, None),
    "sub": (lambda L, a, b: a - b, None),
    "mul": (lambda L, a, b: a * b, None),
    "div": (lambda L, a, b: a / b, "pos"),
    "pow": (lambda L, a, b: a.abs() ** b, None),
    "pow_fn": (lambda L, a, b: L.pow(b, a), "pos"),
    "maximum": (lambda L, a, b: L.maximum(a, b), None),
    "minimum": (lambda L, a, b: L.minimum(a, b), None),
    "max_binary": (lambda L, a, b: L.max(a, b), None),
    "min_method": (lambda L, a, b: a.minimum(b), None),
    "where": (lambda L, a, b: L.where(a > b, a * 2, b), None),
    "remainder": (lambda L, a, b: a % b, "pos"),
    "add_fn": (lambda L, a, b: L.add(a, b), None),
    "mul_fn": (lambda L, a, b: L.mul(a, b), None),
    "div_fn": (lambda L, a, b: L.div(a, b), "pos"),
    "clamp_tensor": (lambda L, a, b: L.clamp(a, min=b), None),
    "clamp_tensor_both": (lambda L, a, b: a.clamp(b - 1, b + 1), None),
}


def _pair(shapes, seed, domain):
    a = rand(*shapes[0], seed=seed) + 0.1
    b = (
        rand(*shapes[1], seed=seed + 1, low=0.5, high=2.0)
        if domain == "pos"
        else rand(*shapes[1], seed=seed + 1)
    )
    return a, b


@pytest.mark.parametrize("name", sorted(BINARY))
@settings(max_examples=25, deadline=None)
@given(
    shapes=mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3),
    seed=st.integers(0, 2**16),
)
def test_binary_parity_broadcasting(name, shapes, seed):
    fn, domain = BINARY[name]
    check_parity(fn, *_pair(shapes.input_shapes, seed, domain))


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_gradcheck_broadcasting(name):
    fn, domain = BINARY[name]
    check_grad(fn, *_pair(((2, 1, 3), (4, 1)), 3, domain))


@pytest.mark.parametrize(
    "op",
    [
        lambda a, b: a == b,
        lambda a, b: a != b,
        lambda a, b: a < b,
        lambda a, b: a <= b,
        lambda a, b: a > b,
        lambda a, b: a >= b,
    ],  # fmt: skip
)
def test_comparisons_give_bool(op):
    a = np.array([[1.0, 2.0, 3.0]])
    b = np.array([[2.0], [1.0]])
    out = op(hosila.tensor(a), hosila.tensor(b))
    assert out.dtype == hosila.bool_
    np.testing.assert_array_equal(out.data, op(torch.tensor(a), torch.tensor(b)).numpy())
    np.testing.assert_array_equal(op(hosila.tensor(a), 2.0).data, op(a, 2.0))
    assert not out.requires_grad


def test_comparison_with_none_is_false_like_torch():
    x = hosila.ones(2)
    assert (x == None) is False and (x != None) is True  # noqa: E711


def test_method_comparisons_and_logic():
    a = hosila.tensor([1.0, float("nan"), float("inf")])
    assert a.isnan().tolist() == [False, True, False]
    assert a.isinf().tolist() == [False, False, True]
    assert a.isfinite().tolist() == [True, False, False]
    assert a.eq(1.0).tolist() == [True, False, False]
    assert (a.ge(1.0) & a.le(2.0)).tolist() == [True, False, False]
    assert (~a.isnan()).tolist() == a.isnan().logical_not().tolist()


# ---- points where PyTorch picks a subgradient ---------------------------------------------


def _grad_pair(fn, a, b=None):
    """Gradients from hosila and torch of sum(fn(lib, a[, b]))."""
    out = []
    for lib in (hosila, torch):
        xs = [lib.tensor(np.array(v, dtype=np.float64), requires_grad=True) for v in (a, b)
              if v is not None]  # fmt: skip
        fn(lib, *xs).sum().backward()
        out.append([np.asarray(x.grad) for x in xs])
    return out


@pytest.mark.parametrize(
    "fn",
    [
        lambda L, a, b: L.maximum(a, b),
        lambda L, a, b: L.minimum(a, b),
        lambda L, a, b: L.clamp(a, min=b),
        lambda L, a, b: L.clamp(a, max=b),
        lambda L, a, b: L.clamp(a, b, b + 1),
        lambda L, a, b: L.clamp(a, b + 1, b),  # min > max: the result is max
        lambda L, a, b: L.where(a >= b, a, b),
        lambda L, a, b: a**b,
    ],
)
def test_ties_and_boundaries_match_torch(fn):
    a = [0.0, 1.0, 2.0, -1.0, 3.0]
    b = [0.0, 1.0, 3.0, -1.0, 0.0]
    (h, t) = _grad_pair(fn, a, b)
    for hg, tg in zip(h, t, strict=True):
        np.testing.assert_allclose(hg, tg, equal_nan=True)


@pytest.mark.parametrize(
    "fn",
    [
        lambda L, a: a.abs(),
        lambda L, a: L.relu(a),
        lambda L, a: a.clamp(0.0, 1.0),
        lambda L, a: a.clamp(min=1.0),
        lambda L, a: a.sqrt(),
        lambda L, a: a**0,
        lambda L, a: a**2,
        lambda L, a: a**0.5,
        lambda L, a: 0.0**a,
        lambda L, a: a.sign(),
    ],
)
def test_kinks_match_torch(fn):
    a = [0.0, 1.0, -1.0, 2.0]
    with np.errstate(divide="ignore", invalid="ignore"):
        (h, t) = _grad_pair(fn, a)
    np.testing.assert_allclose(h[0], t[0], equal_nan=True)


def test_pow_negative_base_tensor_exponent():
    a = np.array([-2.0, -1.5, 2.0])
    b = np.array([2.0, 3.0, 0.5])
    with np.errstate(invalid="ignore"):
        (h, t) = _grad_pair(lambda L, x, y: x**y, a, b)
    for hg, tg in zip(h, t, strict=True):
        np.testing.assert_allclose(hg, tg, equal_nan=True)


def test_sqrt_of_zero_has_infinite_gradient_like_torch():
    x = hosila.tensor([0.0, 4.0], requires_grad=True)
    with np.errstate(divide="ignore"):
        x.sqrt().sum().backward()
    assert np.isinf(x.grad[0]) and x.grad[1] == 0.25


def test_floor_divide_forward_and_no_derivative():
    a, b = np.array([5.0, -7.0, 7.5]), np.array([2.0, 3.0, -2.0])
    check_parity(lambda L, x, y: x // y, a, b, grad=False)
    x = hosila.tensor(a, requires_grad=True)
    y = x // 2
    assert y.requires_grad
    with pytest.raises(RuntimeError, match="floor_divide"):
        y.sum().backward()
    assert (hosila.tensor([7, -7]) // 2).tolist() == [3, -4]
    assert (hosila.tensor([7, -7]) % 3).tolist() == [1, 2]


# ---- dtype promotion (PyTorch's rules) --------------------------------------------------------

PROMOTION = [
    (lambda L: L.tensor([1, 2]) + 1.5),
    (lambda L: L.tensor([1, 2]) * 2),
    (lambda L: L.tensor([1, 2]) / L.tensor([2, 2])),
    (lambda L: L.tensor([1, 2]) / 2),
    (lambda L: 1 / L.tensor([1, 2])),
    (lambda L: L.tensor([1.0, 2]) + L.tensor([1.0, 2], dtype=L.float64)),
    (lambda L: L.tensor([1.0, 2]) + L.tensor([1, 2])),
    (lambda L: L.tensor([1, 2], dtype=L.int32) + L.tensor([1, 2])),
    (lambda L: L.tensor([True]) + L.tensor([True])),
    (lambda L: L.tensor([True]) + 1),
    (lambda L: L.tensor([True]) + 1.0),
    (lambda L: L.tensor([1.0, 2], dtype=L.float64) + L.tensor(1.0)),
    (lambda L: L.tensor([1.0, 2]) + L.tensor(1.0, dtype=L.float64)),
    (lambda L: L.tensor([1, 2]) + L.tensor(1.0, dtype=L.float64)),
    (lambda L: L.tensor([1, 2], dtype=L.int32) + L.tensor(1)),
    (lambda L: L.tensor(1, dtype=L.int32) + L.tensor(1)),
    (lambda L: L.tensor([1, 2]) < 1.5),
    (lambda L: L.tensor([1, 2]) ** 2),
    (lambda L: L.tensor([1, 2]) ** 0.5),
    (lambda L: 2 ** L.tensor([1, 2])),
    (lambda L: 2.0 ** L.tensor([1, 2])),
    (lambda L: L.tensor([1, 2]).exp()),
    (lambda L: L.tensor([1, -2]).abs()),
    (lambda L: L.tensor([1, -2]).relu()),
    (lambda L: L.tensor([1, 2], dtype=L.uint8) + L.tensor([1], dtype=L.int8)),
    (lambda L: L.ones(2, dtype=L.float16) + L.ones(2)),
    (lambda L: L.ones(2, dtype=L.int32) + 5),
    (lambda L: L.ones(2) + np.float64(2.0)),
    (lambda L: L.where(L.tensor([True, False]), 1.0, 0.0)),
    (lambda L: L.where(L.tensor([True, False]), L.tensor([1.0, 2.0], dtype=L.float64), 0)),
    (lambda L: L.where(L.tensor([True, False]), L.ones(2, dtype=L.float64), L.ones(2))),
    (lambda L: L.where(L.tensor([True, False]), 1, 0)),
    (lambda L: L.tensor([1, 2]).clamp(0.5, 1.5)),
    (lambda L: L.tensor([1, 2]).clamp(0, 1)),
    (lambda L: L.tensor([5, 6]) // 2),
    (lambda L: L.tensor([5, 6]) % 2),
    (lambda L: L.tensor([5, 6]).float().to(L.float64)),
    (lambda L: L.tensor([1.5, 2.5]).long()),
]


@pytest.mark.parametrize("i", range(len(PROMOTION)))
def test_dtype_promotion_matches_torch(i):
    h, t = PROMOTION[i](hosila), PROMOTION[i](torch)
    assert h.dtype == np.dtype(str(t.dtype).replace("torch.", "")), (h.dtype, t.dtype)
    assert h.shape == tuple(t.shape)
    np.testing.assert_allclose(h.data.astype(np.float64), t.numpy().astype(np.float64))


def test_float32_in_float32_out_and_grad():
    x = hosila.randn(3, requires_grad=True)
    y = (x * 2.5 + 1).exp().sum()
    assert x.dtype == y.dtype == hosila.float32
    y.backward()
    assert x.grad.dtype == np.float32


def test_float64_stays_float64():
    x = hosila.randn(3, dtype=hosila.float64, requires_grad=True)
    y = (x * 2.5 + np.float32(1)).sigmoid().mean()
    assert y.dtype == hosila.float64
    y.backward()
    assert x.grad.dtype == np.float64


def test_mixed_float_graph_gives_each_leaf_its_own_dtype():
    a = hosila.ones(2, requires_grad=True)
    b = hosila.ones(2, dtype=hosila.float64, requires_grad=True)
    (a * b).sum().backward()
    assert a.grad.dtype == np.float32 and b.grad.dtype == np.float64


def test_unsupported_operand_is_a_type_error():
    with pytest.raises(TypeError, match="unsupported operand"):
        hosila.ones(2) + "a"
    with pytest.raises(TypeError):
        hosila.where(hosila.tensor([1, 0]), 1.0, 0.0)
