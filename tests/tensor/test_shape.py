"""Shape and indexing ops: PyTorch parity (float64) and gradient checks, including
repeated indices (gradients accumulate), __setitem__ with gradients, pad in all modes,
and the errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes

import hosila
from tests.parity import check_parity
from tests.tensor._ops import check_grad, fpad, rand

SHAPE = {
    "reshape": lambda L, a: a.reshape(4, 6),
    "reshape_tuple_neg": lambda L, a: L.reshape(a, (-1, 3)),
    "view": lambda L, a: a.view(2, 12),
    "view_as": lambda L, a: a.view(24).view_as(a),
    "flatten": lambda L, a: a.flatten(),
    "flatten_1": lambda L, a: L.flatten(a, 1),
    "flatten_0_1": lambda L, a: a.flatten(0, 1),
    "squeeze": lambda L, a: a[:, :1].squeeze(),
    "squeeze_dim": lambda L, a: a[:, :1].squeeze(1),
    "squeeze_tuple": lambda L, a: a[None, :, :1].squeeze((0, 2)),
    "squeeze_noop": lambda L, a: a.squeeze(0),
    "unsqueeze": lambda L, a: a.unsqueeze(1),
    "unsqueeze_neg": lambda L, a: L.unsqueeze(a, -1),
    "transpose": lambda L, a: a.transpose(0, 2),
    "transpose_fn": lambda L, a: L.transpose(a, -1, 1),
    "permute": lambda L, a: a.permute(2, 0, 1),
    "permute_tuple": lambda L, a: L.permute(a, (1, 2, 0)),
    "T_2d": lambda L, a: a[0].T,
    "t": lambda L, a: a[1].t(),
    "mT": lambda L, a: a.mT,
    "swapaxes": lambda L, a: a.swapaxes(0, 1),
    "movedim": lambda L, a: a.movedim(0, -1),
    "movedim_tuple": lambda L, a: L.movedim(a, (0, 1), (2, 0)),
    "expand": lambda L, a: a[:, :1].expand(2, 3, 4),
    "expand_new": lambda L, a: a[0, 0].expand(3, 4),
    "expand_neg1": lambda L, a: a[:, :1].expand(5, -1, 3, -1),
    "expand_as": lambda L, a: a[:1].expand_as(a),
    "broadcast_to": lambda L, a: L.broadcast_to(a[:, :1], (2, 2, 3, 4)),
    "repeat": lambda L, a: a.repeat(2, 1, 3),
    "repeat_new_dims": lambda L, a: a.repeat(2, 1, 1, 2),
    "repeat_tuple": lambda L, a: a[0].repeat((3, 2)),
    "flip": lambda L, a: a.flip(0, 2),
    "flip_fn": lambda L, a: L.flip(a, (1,)),
    "split_int": lambda L, a: a.split(2, dim=2),
    "split_uneven": lambda L, a: L.split(a, 2, 1),
    "split_list": lambda L, a: a.split([1, 3], dim=-1),
    "chunk": lambda L, a: a.chunk(2, 1),
    "chunk_fn": lambda L, a: L.chunk(a, 3, dim=2),
    "unbind": lambda L, a: a.unbind(1),
    "narrow": lambda L, a: a.narrow(2, 1, 2),
    "narrow_neg_start": lambda L, a: L.narrow(a, 1, -2, 2),
    "cat": lambda L, a: L.cat([a, a * 2], 1),
    "cat_neg": lambda L, a: L.cat((a[:, :1], a), dim=-2),
    "stack": lambda L, a: L.stack([a, a * 3, a]),
    "stack_dim": lambda L, a: L.stack([a[0], a[1]], dim=-1),
    "contiguous": lambda L, a: a.transpose(0, 1).contiguous().view(-1),
    "clone": lambda L, a: a.clone(),
    "tril": lambda L, a: a.tril(),
    "triu_diag": lambda L, a: L.triu(a, 1),
    "tril_neg": lambda L, a: L.tril(a, -1),
    "gather": lambda L, a: a.gather(1, L.tensor([[[0, 1, 2, 0]] * 2] * 2)),
    "gather_repeat": lambda L, a: L.gather(a, 2, L.tensor([[[0, 0, 0]] * 3] * 2)),
    "gather_smaller": lambda L, a: a.gather(0, L.tensor([[[1, 0]]])),
    "take_along_dim": lambda L, a: L.take_along_dim(a, L.tensor([[[0], [2], [1]]]), 2),
    "index_select": lambda L, a: a.index_select(1, L.tensor([2, 0, 2])),
    "index_select_fn": lambda L, a: L.index_select(a, -1, L.tensor([3, 3])),
    "masked_fill": lambda L, a: a.masked_fill(a > 0.2, -1.0),
    "masked_fill_bcast": lambda L, a: L.masked_fill(a, L.tensor([True, False, True, False]), 0.5),
    "masked_fill_fn": lambda L, a: L.masked_fill(a, a < 0, 0.0),
    "where_mask": lambda L, a: L.where(a > 0, a, a * 0.1),
}


@pytest.mark.parametrize("name", sorted(SHAPE))
def test_shape_parity(name):
    check_parity(SHAPE[name], rand(2, 3, 4))


@pytest.mark.parametrize("name", sorted(SHAPE))
def test_shape_gradcheck(name):
    check_grad(SHAPE[name], rand(2, 3, 4, seed=4))


INDEX = {
    "int": lambda L, a: a[1],
    "neg_int": lambda L, a: a[-1, 0],
    "slice": lambda L, a: a[:, 1:],
    "steps": lambda L, a: a[:, ::2, 1::2],
    "neg_slice": lambda L, a: a[-1:, -2:],
    "none_ellipsis": lambda L, a: a[None, ..., 1],
    "ellipsis_mid": lambda L, a: a[0, ..., None, 2],
    "int_list_repeat": lambda L, a: a[[0, 0, 1]],
    "int_tensor": lambda L, a: a[L.tensor([1, 1, 0])],
    "int_tensor_2d": lambda L, a: a[L.tensor([[0, 0], [1, 0]])],
    "two_arrays": lambda L, a: a[[0, 1, 1], [2, 2, 0]],
    "array_slice_array": lambda L, a: a[[0, 1, 1], :, [3, 3, 0]],
    "array_then_slice": lambda L, a: a[:, [2, 0, 2], 1:3],
    "int_and_list": lambda L, a: a[1, [0, 2, 0]],
    "neg_indices": lambda L, a: a[L.tensor([-1, -1]), L.tensor([-3, 0])],
    "bool_mask": lambda L, a: a[a > 0.3],
    "bool_mask_dim": lambda L, a: a[:, L.tensor([True, False, True])],
    "bool_mask_2d": lambda L, a: a[L.tensor([[True, False, True], [False, False, True]])],
    "zero_d_tensor": lambda L, a: a[L.tensor(1)],
    "scalar_bool": lambda L, a: a[True],
    "empty_result": lambda L, a: a[:, 3:],
    "dup_pairs": lambda L, a: a[L.tensor([0, 0, 1]), L.tensor([2, 2, -1])],
    "dup_rows_negative": lambda L, a: a[L.tensor([-1, 1, 0, -2, 1])],
    "dup_rows_then_slice": lambda L, a: a[L.tensor([[1, 1], [0, 1]]), :],
    "dup_inner_dim": lambda L, a: a[:, L.tensor([2, 2, 0])],
    "empty_index": lambda L, a: a[L.zeros(0, dtype=L.int64)],
    "mask_then_int": lambda L, a: a[L.tensor([True, False]), 1],
}


@pytest.mark.parametrize("name", sorted(INDEX))
def test_getitem_parity(name):
    check_parity(INDEX[name], rand(2, 3, 4))


@pytest.mark.parametrize("name", sorted(INDEX))
def test_getitem_gradcheck(name):
    check_grad(INDEX[name], rand(2, 3, 4, seed=7))


def test_repeated_indices_accumulate():
    x = hosila.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x[[0, 0, 2, 0]].sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 0.0, 1.0])


@settings(max_examples=25, deadline=None)
@given(shape=array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4), data=st.data())
def test_random_basic_and_advanced_indexing(shape, data):
    index = []
    for n in shape[: data.draw(st.integers(1, len(shape)))]:
        kind = data.draw(st.sampled_from(["int", "slice", "list"]))
        if kind == "int":
            index.append(data.draw(st.integers(-n, n - 1)))
        elif kind == "slice":
            start = data.draw(st.none() | st.integers(-n, n))
            stop = data.draw(st.none() | st.integers(-n, n))
            step = data.draw(st.none() | st.integers(1, 3))
            index.append(slice(start, stop, step))
        else:
            index.append(data.draw(st.lists(st.integers(-n, n - 1), min_size=1, max_size=4)))
    lists = [i for i in index if isinstance(i, list)]
    if len({len(i) for i in lists}) > 1:  # advanced indices must broadcast together
        index = [i if not isinstance(i, list) else i[:1] for i in index]
    idx = tuple(index)

    def fn(L, a):
        return a[tuple(L.tensor(i) if isinstance(i, list) else i for i in idx)]

    check_parity(fn, rand(*shape, seed=data.draw(st.integers(0, 100))))


# ---- __setitem__ -------------------------------------------------------------------------------

SETITEM = {
    "int": lambda L, b, v: b.__setitem__(0, v[0, 0]),
    "slice_broadcast": lambda L, b, v: b.__setitem__((slice(None), 1), v[0, 0, :1]),
    "mask": lambda L, b, v: b.__setitem__(b > 0.3, L.tensor(0.0, dtype=L.float64)),
    "number": lambda L, b, v: b.__setitem__((1, slice(0, 2)), 2.5),
    "advanced": lambda L, b, v: b.__setitem__(([0, 1], [2, 0]), v[1, :2]),
    "step": lambda L, b, v: b.__setitem__(
        (slice(None), slice(None), slice(None, None, 2)), v[0, :, :2] * 3
    ),
}


@pytest.mark.parametrize("name", sorted(SETITEM))
def test_setitem_parity_with_gradients(name):
    def fn(L, a, v):
        b = a * 1.0
        c = b * 2.0  # used before the assignment: keeps the old value and gradient path
        SETITEM[name](L, b, v)
        return b * b + c

    check_parity(fn, rand(2, 3, 4), rand(2, 3, 4, seed=1))


def test_setitem_into_a_constant_makes_it_part_of_the_graph():
    for lib in (hosila, torch):
        h = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        z = lib.zeros(2, 3)
        z[0] = h
        z[1] = h * 2
        assert z.requires_grad and not z.is_leaf
        (z * z).sum().backward()
        np.testing.assert_array_equal(np.asarray(h.grad), [10.0, 20.0, 30.0])


def test_setitem_without_graph_writes_in_place_and_views_see_it():
    x = hosila.zeros(2, 3)
    row = x[0]
    x[0, 1] = 5.0
    x[x < 1] = hosila.tensor(-1.0)
    assert row.tolist() == [-1.0, 5.0, -1.0]
    assert x.tolist() == [[-1.0, 5.0, -1.0], [-1.0, -1.0, -1.0]]


def test_setitem_on_leaf_requiring_grad_refused():
    w = hosila.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        w[0] = 2.0


# ---- pad ---------------------------------------------------------------------------------

PADS = [
    ((1, 2), "constant"),
    ((1, 2, 0, 1), "constant"),
    ((1, 1, 2, 0, 1, 1), "constant"),
    ((-1, 2), "constant"),
    ((1, -2, -1, 0), "constant"),
    ((0, 0), "constant"),
    ((2, 1), "reflect"),
    ((1, 2, 2, 1), "reflect"),
    ((3, 1, 0, 2), "replicate"),
    ((2, 3), "replicate"),
    ((1, 2, 3, 0), "circular"),
]


@pytest.mark.parametrize("pads,mode", PADS)
def test_pad_parity(pads, mode):
    def fn(L, a):
        x = a if mode == "constant" or len(pads) // 2 < 2 else a[None]
        return fpad(L)(x, pads, mode=mode)

    check_parity(fn, rand(2, 3, 4))
    check_grad(fn, rand(2, 3, 4, seed=2))


def test_pad_constant_value():
    check_parity(lambda L, a: fpad(L)(a, (1, 1, 2, 0), value=-3.5), rand(3, 2))
    assert hosila.pad(hosila.ones(2, dtype=hosila.int64), (1, 0), value=7).tolist() == [7, 1, 1]


def test_pad_errors():
    x = hosila.ones(2, 3)
    with pytest.raises(ValueError, match="even"):
        hosila.pad(x, (1, 2, 3))
    with pytest.raises(ValueError, match="dims"):
        hosila.pad(x, (1, 1, 1, 1, 1, 1))
    with pytest.raises(ValueError, match="mode"):
        hosila.pad(x, (1, 1), mode="wrap")
    with pytest.raises(ValueError, match="smaller than the size"):
        hosila.pad(x, (3, 0), mode="reflect")
    with pytest.raises(ValueError, match="crops more"):
        hosila.pad(x, (-2, -2))


# ---- errors ------------------------------------------------------------------------------------


def test_shape_errors_name_op_and_shapes():
    x = hosila.ones(3, 4)
    cases = [
        (lambda: x.reshape(5), r"reshape: .*\(3, 4\).*\(5,\)"),
        (lambda: x.view(5, -1), r"view: .*\(5, -1\).*\(3, 4\)"),
        (lambda: x.view(-1, -1), r"view"),
        (lambda: x.T.view(12), r"view: .*\(4, 3\).*without a copy"),
        (lambda: hosila.cat([x, hosila.ones(3, 5)]), r"cat: tensor 1 has shape \(3, 5\).*\(3, 4\)"),
        (lambda: hosila.cat([x, hosila.ones(3)]), r"cat: tensor 1 has shape \(3,\)"),
        (lambda: hosila.cat([]), r"cat: expected a non-empty"),
        (
            lambda: hosila.stack([x, hosila.ones(4, 3)]),
            r"stack: tensor 1 has shape \(4, 3\).*\(3, 4\)",
        ),
        (lambda: x.expand(2, 5), r"expand: .*\(3, 4\).*\(2, 5\)"),
        (lambda: x.permute(0), r"permute"),
        (lambda: x.permute(0, 0), r"permute.*repeat"),
        (lambda: x.repeat(2), r"repeat.*2 dimensions"),
        (lambda: x.split([1, 1]), r"split.*add up to the size 3"),
        (lambda: x.narrow(1, 3, 2), r"narrow"),
        (lambda: x.flatten(1, 0), r"flatten"),
        (lambda: x.gather(1, hosila.tensor([0, 1])), r"gather: index has 1 dims"),
        (
            lambda: x.masked_fill(hosila.tensor([True, False]), 0.0),
            r"masked_fill.*\(2,\).*\(3, 4\)",
        ),
        (lambda: x.t().t().tril() @ hosila.ones(5), r"matmul"),
        (lambda: hosila.ones(2, 2, 2).t(), r"t\(\)"),
    ]
    for fn, pattern in cases:
        with pytest.raises(ValueError, match=pattern):
            fn()
    with pytest.raises(RuntimeError):  # also a RuntimeError, as in PyTorch
        x.view(7)
    with pytest.raises(IndexError, match="out of range"):
        x.squeeze(2)
    with pytest.raises(IndexError):
        x[3]
    with pytest.raises(IndexError):
        x[0, 0, 0]
    with pytest.raises(IndexError):
        x[hosila.tensor([0.0])]
    with pytest.raises(TypeError, match="integer"):
        x.gather(0, hosila.tensor([[0.5]]))
    with pytest.raises(TypeError, match="bool"):
        x.masked_fill(hosila.ones(3, 4), 0.0)


def test_view_shares_memory_and_reshape_copies_only_when_needed():
    x = hosila.arange(12.0).reshape(3, 4)
    assert np.shares_memory(x.view(4, 3).data, x.data)
    assert x.T.is_contiguous() is False
    y = x.T.reshape(12)
    assert y.tolist() == np.arange(12.0).reshape(3, 4).T.reshape(12).tolist()
    assert x.contiguous() is x


MORE = {
    "roll": lambda L, a: a.roll(1, 1),
    "roll_neg_tuple": lambda L, a: L.roll(a, (-1, 2), (0, 2)),
    "roll_flat": lambda L, a: a.roll(5),
    "sort": lambda L, a: a.sort(1),
    "sort_desc": lambda L, a: L.sort(a, dim=-1, descending=True),
    "sort_values": lambda L, a: a.sort(0).values * 2,
    "argsort": lambda L, a: a.argsort(1),
    "argsort_desc": lambda L, a: L.argsort(a, -1, descending=True),
    "topk": lambda L, a: a.topk(2),
    "topk_smallest": lambda L, a: L.topk(a, 2, dim=1, largest=False),
    "outer": lambda L, a: L.outer(a[0, 0], a[1, 1]),
    "dot": lambda L, a: L.dot(a[0, 0], a[1, 2]),
    "bmm": lambda L, a: L.bmm(a, a.transpose(1, 2)),
    "bmm_method": lambda L, a: a.bmm(a.mT),
}


@pytest.mark.parametrize("name", sorted(MORE))
def test_more_ops_parity_and_gradcheck(name):
    check_parity(MORE[name], rand(2, 3, 4))
    check_grad(MORE[name], rand(2, 3, 4, seed=9))


def test_sort_ties_are_stable_like_torch():
    x = np.array([[3.0, 1.0, 3.0], [0.0, 2.0, 0.0]])
    for desc in (False, True):
        check_parity(lambda L, a, d=desc: a.sort(1, descending=d), x)


def test_new_tensor_helpers_and_random_fill():
    x = hosila.ones(2, dtype=hosila.float64)
    assert x.new_zeros(3).dtype == hosila.float64 and x.new_zeros(3).tolist() == [0.0] * 3
    assert x.new_ones((2, 2)).shape == (2, 2)
    assert x.new_full((2,), 7).tolist() == [7.0, 7.0]
    assert x.new_tensor([1, 2]).dtype == hosila.float64
    assert hosila.empty_like(x).shape == (2,)
    hosila.manual_seed(3)
    w = hosila.empty(1000).uniform_(-2, 2)
    assert -2 <= w.data.min() and w.data.max() < 2 and w.dtype == hosila.float32
    n = hosila.empty(5000).normal_(1.0, 0.5)
    assert abs(n.data.mean() - 1.0) < 0.05 and abs(n.data.std() - 0.5) < 0.05
    y = hosila.ones(3)
    y.sub_(hosila.ones(3), alpha=0.5).div_(2)
    assert y.tolist() == [0.25, 0.25, 0.25]
    with pytest.raises(ValueError, match="topk"):
        y.topk(4)


def test_large_repeated_row_indices_accumulate_like_torch():
    """Large gradients take the grouped-rows path (and the add.at fallback for >64 repeats)."""
    rng = np.random.default_rng(0)
    x = rand(50, 120)
    idx = rng.integers(-50, 50, 300)
    check_parity(lambda L, a: a[L.tensor(idx)] * 2, x)
    check_parity(lambda L, a: a[L.tensor(idx), :], x)
    many = np.concatenate([np.zeros(200, dtype=np.int64), idx[:100]])
    check_parity(lambda L, a: a[L.tensor(many)], x)
