"""matmul with PyTorch's rules for 1-D, 2-D and batched operands (broadcast batch dims)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import hosila
from tests.parity import check_parity
from tests.tensor._ops import check_grad, rand

PAIRS = [
    ((3,), (3,)),
    ((2, 3), (3,)),
    ((3,), (3, 4)),
    ((2, 3), (3, 4)),
    ((5, 2, 3), (3, 4)),
    ((2, 3), (5, 3, 4)),
    ((5, 2, 3), (5, 3, 4)),
    ((5, 1, 2, 3), (4, 3, 2)),
    ((4, 2, 3), (3,)),
    ((3,), (2, 3, 4)),
    ((1, 2, 3), (6, 3, 1)),
]


@pytest.mark.parametrize("sa,sb", PAIRS)
def test_matmul_parity(sa, sb):
    a, b = rand(*sa), rand(*sb, seed=1)
    check_parity(lambda L, x, y: x @ y, a, b)
    check_parity(lambda L, x, y: L.matmul(x, y), a, b)
    check_parity(lambda L, x, y: x.matmul(y), a, b)


@pytest.mark.parametrize("sa,sb", PAIRS)
def test_matmul_gradcheck(sa, sb):
    check_grad(lambda L, x, y: x @ y, rand(*sa, seed=2), rand(*sb, seed=3))


@settings(max_examples=25, deadline=None)
@given(
    batch=st.lists(st.integers(1, 3), max_size=2),
    other=st.lists(st.integers(1, 3), max_size=2),
    n=st.integers(1, 3),
    k=st.integers(1, 3),
    m=st.integers(1, 3),
    seed=st.integers(0, 1000),
)
def test_matmul_broadcast_batches(batch, other, n, k, m, seed):
    # other's batch dims broadcast with batch's: use 1 where they might differ
    ob = [1 if i % 2 else b for i, b in enumerate(batch[-len(other) :])] if other else []
    check_parity(lambda L, x, y: x @ y, rand(*batch, n, k, seed=seed), rand(*ob, k, m, seed=1))


def test_mm_and_reflected_matmul_with_arrays():
    a, b = rand(2, 3), rand(3, 4, seed=1)
    check_parity(lambda L, x, y: L.mm(x, y), a, b)
    check_parity(lambda L, x, y: x.mm(y), a, b)
    out = b.T @ hosila.tensor(a).T  # ndarray @ Tensor: Tensor.__rmatmul__
    assert isinstance(out, hosila.Tensor)
    np.testing.assert_allclose(out.data, b.T @ a.T)


def test_matmul_errors_name_both_shapes():
    with pytest.raises(ValueError, match=r"matmul: \(3, 4\) @ \(5, 2\): inner dimensions 4 and 5"):
        hosila.ones(3, 4) @ hosila.ones(5, 2)
    with pytest.raises(ValueError, match=r"matmul: .*\(3,\).*\(4,\)"):
        hosila.ones(3) @ hosila.ones(4)
    with pytest.raises(ValueError, match=r"batch dimensions \(2,\) and \(3,\)"):
        hosila.ones(2, 3, 4) @ hosila.ones(3, 4, 5)
    with pytest.raises(ValueError, match="at least 1 dimension"):
        hosila.matmul(hosila.tensor(2.0), hosila.ones(2))
    with pytest.raises(ValueError, match="mm: expects two 2-D"):
        hosila.mm(hosila.ones(2), hosila.ones(2, 2))
    with pytest.raises(RuntimeError):  # also a RuntimeError, like torch's
        hosila.ones(3, 4) @ hosila.ones(5, 2)


def test_matmul_dtypes():
    # PyTorch refuses mixed dtypes in matmul (tests/tensor/test_parity_leftovers.py)
    assert (hosila.ones(2, 2) @ hosila.ones(2, 2)).dtype == hosila.float32
    assert (
        hosila.ones(2, 2, dtype=hosila.int64) @ hosila.ones(2, dtype=hosila.int64)
    ).tolist() == [2, 2]


EINSUM = [
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("bij,bjk->bik", [(2, 2, 3), (2, 3, 4)]),
    ("ij->ji", [(2, 3)]),
    ("ij->", [(2, 3)]),
    ("ij->j", [(2, 3)]),
    ("i,i->", [(3,), (3,)]),
    ("i,j->ij", [(3,), (2,)]),
    ("ij,ij->i", [(2, 3), (2, 3)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]),
    ("ik,jk", [(2, 3), (4, 3)]),  # implicit output: "ij"
    ("bhqd,bhkd->bhqk", [(1, 2, 3, 2), (1, 2, 4, 2)]),
    ("ij,k->ik", [(2, 3), (4,)]),  # j summed away in operand 0 only
]


@pytest.mark.parametrize("eq,shapes", EINSUM)
def test_einsum_parity_and_gradcheck(eq, shapes):
    arrays = [rand(*s, seed=i) for i, s in enumerate(shapes)]
    check_parity(lambda L, *xs: L.einsum(eq, *xs), *arrays)
    check_grad(lambda L, *xs: L.einsum(eq, *xs), *arrays)
    check_parity(lambda L, *xs: L.einsum(eq, list(xs)), *arrays)


def test_einsum_errors():
    a = hosila.ones(2, 3)
    with pytest.raises(ValueError, match=r"operand 0 has 2 dims"):
        hosila.einsum("i,i->", a, a)
    with pytest.raises(ValueError, match="letter 'j' has sizes 3 and 2"):
        hosila.einsum("ij,jk->ik", a, a)
    with pytest.raises(ValueError, match="names 2 operands"):
        hosila.einsum("ij,jk->ik", a)
