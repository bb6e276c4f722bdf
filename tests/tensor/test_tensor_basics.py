"""Creating tensors, dtypes, conversions, repr, random numbers."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import hosila


def _same(h, t):
    assert h.dtype == np.dtype(str(t.dtype).replace("torch.", "")), (h.dtype, t.dtype)
    assert h.shape == tuple(t.shape)
    np.testing.assert_allclose(h.data.astype(np.float64), t.numpy().astype(np.float64), atol=1e-6)


CREATION = [
    lambda L: L.tensor(1.5),
    lambda L: L.tensor([1, 2, 3]),
    lambda L: L.tensor([[1.0, 2.0]]),
    lambda L: L.tensor([True, False]),
    lambda L: L.tensor(np.ones(2)),
    lambda L: L.tensor(np.ones(2, dtype=np.int32)),
    lambda L: L.tensor([1, 2], dtype=L.float64),
    lambda L: L.zeros(2, 3),
    lambda L: L.zeros((2, 3)),
    lambda L: L.ones(4, dtype=L.int64),
    lambda L: L.full((2, 2), 3),
    lambda L: L.full((2,), 3.0),
    lambda L: L.full((2,), True),
    lambda L: L.zeros_like(L.tensor([1, 2])),
    lambda L: L.ones_like(L.ones(2, 3, dtype=L.float64)),
    lambda L: L.full_like(L.ones(3), 7),
    lambda L: L.arange(5),
    lambda L: L.arange(1, 4),
    lambda L: L.arange(0, 1, 0.25),
    lambda L: L.arange(5.0),
    lambda L: L.linspace(0, 1, 5),
    lambda L: L.linspace(-1, 1, steps=3),
    lambda L: L.eye(3),
    lambda L: L.eye(2, 3),
    lambda L: L.from_numpy(np.arange(3)),
    lambda L: L.empty(2, 0),
]


@pytest.mark.parametrize("i", range(len(CREATION)))
def test_creation_matches_torch(i):
    _same(CREATION[i](hosila), CREATION[i](torch))


def test_default_dtype_is_float32_and_can_be_changed():
    assert hosila.get_default_dtype() == hosila.float32
    assert hosila.tensor([1.0]).dtype == hosila.float32
    hosila.set_default_dtype(hosila.float64)
    try:
        assert hosila.tensor([1.0]).dtype == hosila.float64
        assert hosila.randn(2).dtype == hosila.float64
        assert (hosila.tensor([1, 2]) / 2).dtype == hosila.float64
    finally:
        hosila.set_default_dtype(hosila.float32)
    with pytest.raises(TypeError, match="floating"):
        hosila.set_default_dtype(hosila.int64)


def test_from_numpy_shares_memory_and_tensor_copies():
    a = np.zeros(3)
    assert np.shares_memory(hosila.from_numpy(a).data, a)
    assert not np.shares_memory(hosila.tensor(a).data, a)
    with pytest.raises(TypeError, match="numpy.ndarray"):
        hosila.from_numpy([1, 2])


def test_bad_data_is_a_type_error():
    for bad in ("abc", None, {"a": 1}):
        with pytest.raises(TypeError, match="tensor"):
            hosila.tensor(bad)
    with pytest.raises(ValueError, match="tensor: data must be a rectangular"):
        hosila.tensor([[1, 2], [3]])
    with pytest.raises(TypeError, match="dtype"):
        hosila.zeros(2, dtype="not-a-dtype")
    with pytest.raises(ValueError, match="non-negative"):
        hosila.zeros(-1)


def test_conversions():
    x = hosila.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert len(x) == 2
    assert x.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    assert hosila.tensor(2.5).item() == 2.5 and isinstance(hosila.tensor(3).item(), int)
    assert float(hosila.tensor([2.0])) == 2.0 and int(hosila.tensor(3)) == 3
    np.testing.assert_array_equal(np.asarray(x), x.data)
    assert np.asarray(x, dtype=np.float64).dtype == np.float64
    assert x.numpy() is x.data
    assert x.shape == (2, 2) and x.ndim == 2 and x.dim() == 2 and x.numel() == 4
    assert x.size() == (2, 2) and x.size(1) == 2 and x.size(-1) == 2
    assert [r.tolist() for r in x] == [[1.0, 2.0], [3.0, 4.0]]
    assert list(range(5))[hosila.tensor(2)] == 2
    with pytest.raises(ValueError, match="one element"):
        x.item()
    with pytest.raises(TypeError, match="0-d"):
        len(hosila.tensor(1.0))
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(x)
    with pytest.raises(RuntimeError, match="detach"):
        hosila.ones(2, requires_grad=True).numpy()


def test_to_and_casts():
    x = hosila.tensor([1.5, -2.5], requires_grad=True)
    y = x.to(hosila.float64)
    assert y.dtype == hosila.float64 and y.requires_grad
    (y * 2).sum().backward()
    assert x.grad.dtype == np.float32 and x.grad.tolist() == [2.0, 2.0]
    assert x.to(hosila.float32) is x and x.to("cpu") is x
    assert x.long().tolist() == [1, -2] and x.long().dtype == hosila.int64
    assert x.int().dtype == hosila.int32 and x.bool().dtype == hosila.bool_
    assert x.double().dtype == hosila.float64 and x.half().dtype == hosila.float16
    assert hosila.tensor([1, 2]).float().dtype == hosila.float32
    assert x.type_as(hosila.ones(1, dtype=hosila.float64)).dtype == hosila.float64
    assert x.is_floating_point() and not x.long().is_floating_point()


def test_repr_is_readable():
    assert repr(hosila.tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert repr(hosila.tensor([1, 2])) == "tensor([1, 2])"
    assert repr(hosila.tensor([1.0], requires_grad=True)) == "tensor([1.], requires_grad=True)"
    assert repr(hosila.tensor([1.0], dtype=hosila.float64)) == "tensor([1.], dtype=float64)"
    r = repr(hosila.tensor([1.0], requires_grad=True) * 2)
    assert r.startswith("tensor([2.], grad_fn=<Mul")
    assert repr(hosila.tensor([True])) == "tensor([ True])"


def test_manual_seed_makes_random_creation_repeatable():
    hosila.manual_seed(123)
    a = (hosila.rand(3), hosila.randn(2, 2), hosila.randint(0, 10, (5,)), hosila.randperm(4))
    hosila.manual_seed(123)
    b = (hosila.rand(3), hosila.randn(2, 2), hosila.randint(0, 10, (5,)), hosila.randperm(4))
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x.data, y.data)
    hosila.manual_seed(124)
    assert not np.array_equal(hosila.rand(3).data, a[0].data)
    with pytest.raises(TypeError):
        hosila.manual_seed(1.5)
    with pytest.raises(ValueError):
        hosila.manual_seed(-1)


def test_random_creation_semantics():
    hosila.manual_seed(0)
    r = hosila.rand(1000)
    assert r.dtype == hosila.float32 and 0 <= r.data.min() and r.data.max() < 1
    n = hosila.randn(20000, dtype=hosila.float64)
    assert n.dtype == hosila.float64 and abs(n.data.mean()) < 0.05 and abs(n.data.std() - 1) < 0.05
    assert hosila.rand((2, 3)).shape == (2, 3) and hosila.randn(2, 3).shape == (2, 3)
    assert hosila.randn(2, requires_grad=True).requires_grad
    i = hosila.randint(3, 7, (500,))
    assert i.dtype == hosila.int64 and set(i.tolist()) == {3, 4, 5, 6}
    j = hosila.randint(4, (300,))  # randint(high, size)
    assert set(j.tolist()) == {0, 1, 2, 3}
    assert hosila.randint(0, 5, size=(2, 2)).shape == (2, 2)
    assert hosila.randint(low=1, high=2, size=(3,)).tolist() == [1, 1, 1]
    assert hosila.randint(0, 5, (3,), dtype=hosila.int32).dtype == hosila.int32
    assert sorted(hosila.randperm(6).tolist()) == list(range(6))
    with pytest.raises(ValueError, match="low < high"):
        hosila.randint(5, 5, (2,))
    with pytest.raises(TypeError, match="size"):
        hosila.randint(5)


def test_random_state_round_trip():
    state = hosila.random.get_rng_state()
    a = hosila.randn(3)
    hosila.random.set_rng_state(state)
    np.testing.assert_array_equal(hosila.randn(3).data, a.data)


def test_integer_and_bool_tensors_work_as_labels_and_masks():
    labels = hosila.tensor([2, 0, 1])
    logits = hosila.randn(3, 4, requires_grad=True)
    picked = logits[hosila.arange(3), labels]
    picked.sum().backward()
    expected = np.zeros((3, 4), dtype=np.float32)
    expected[[0, 1, 2], [2, 0, 1]] = 1
    np.testing.assert_array_equal(logits.grad, expected)
    mask = labels > 0
    assert mask.dtype == hosila.bool_ and (labels * mask).tolist() == [2, 0, 1]
    assert (~mask).tolist() == [False, True, False]
    assert labels.sum().item() == 3 and labels.max().item() == 2


def test_nonzero_where_single_argument_and_closeness_match_torch():
    x = np.array([[0.0, 1.5, 0.0], [2.0, 0.0, -1.0]])
    h, t = hosila.tensor(x), torch.tensor(x)
    np.testing.assert_array_equal(h.nonzero().data, t.nonzero().numpy())
    for hi, ti in zip(hosila.where(h > 0), torch.where(t > 0), strict=True):
        np.testing.assert_array_equal(hi.data, ti.numpy())
    hs = hosila.nonzero(h, as_tuple=True)
    np.testing.assert_array_equal(h[hs].data, x[x != 0])
    assert hosila.allclose(h, h + 1e-9) and not hosila.allclose(h, h + 1e-3)
    assert h.isclose(h * (1 + 1e-7)).all().item()
    assert hosila.equal(h, hosila.tensor(x)) and not hosila.equal(h, h[:1])
    with pytest.raises(TypeError, match="both"):
        hosila.where(h > 0, h)
