"""In-place changes through views reach the base, values and gradients as in PyTorch."""

import numpy as np
import pytest
import torch

import hosila

W = [[1.0, 2.0], [3.0, 4.0]]


def _run(lib, body, z=False):
    """Run ``body(y, z)`` on y = x * 1 (x a leaf that requires grad) with both libraries and
    return y's value, x's gradient and z's gradient."""
    x = lib.tensor([[0.5, 1.0], [2.0, -3.0]], dtype=lib.float64, requires_grad=True)
    zz = lib.tensor([2.0, -1.5], dtype=lib.float64, requires_grad=True) if z else None
    y = x * 1
    body(y, zz)
    (y * lib.tensor(W, dtype=lib.float64)).sum().backward()
    val = y.detach().numpy() if lib is torch else y.data
    gz = None if zz is None or zz.grad is None else np.asarray(zz.grad)
    return np.array(val), np.asarray(x.grad), gz


def _check(body, z=False):
    hv, hg, hz = _run(hosila, body, z)
    tv, tg, tz = _run(torch, body, z)
    np.testing.assert_allclose(hv, tv)
    np.testing.assert_allclose(hg, tg)
    assert (hz is None) == (tz is None)
    if tz is not None:
        np.testing.assert_allclose(hz, tz)


def _iadd_col(y, z):
    y[:, 1] += z


def _set_flat(y, z):
    y.view(-1)[1] = 7.0


def _set_t(y, z):
    y.T[0, 1] = 9.0


def _chain(y, z):
    y[0][1:].add_(1)
    y.view(4)[2:].view(2, 1).mul_(-2)
    y.T.reshape(4)[0] = 5.0


def _sibling(y, z):
    a, b = y[0], y[:, 1]
    a.mul_(3)  # b was taken before: it still sees a's change
    b.add_(z)
    b.exp_()


def _setitem_z(y, z):
    y.T[1] = z


def _copy(y, z):
    y[1].copy_(z)
    y.t()[0].clamp_(min=1.0)


@pytest.mark.parametrize(
    "body",
    [
        lambda y, z: y[0].mul_(3),
        _iadd_col,
        _set_flat,
        _set_t,
        lambda y, z: y[0][1:].add_(1),
        _chain,
        _sibling,
        _setitem_z,
        _copy,
        lambda y, z: y.permute(1, 0)[1].sub_(z),
        lambda y, z: y.unsqueeze(0)[0, :, 1].div_(z),
        lambda y, z: y[1, 0].mul_(4),  # one element: a 0-d view
    ],
)
def test_inplace_through_view_matches_torch(body):
    _check(body, z=True)


def test_view_sees_a_later_inplace_change_of_its_base():
    for lib in (hosila, torch):
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = x * 2
        v = y[1:]
        y.mul_(10)
        assert v.tolist() == [40.0, 60.0]
        v.sum().backward()
        assert x.grad.tolist() == [0.0, 20.0, 20.0]


def test_base_without_grad_joins_the_graph():
    out = {}
    for lib in (hosila, torch):
        z = lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True)
        y = lib.zeros(2, 2, dtype=lib.float64)
        y[:, 0].add_(z * z)
        assert y.requires_grad
        (y * lib.tensor(W, dtype=lib.float64)).sum().backward()
        out[lib] = (np.array(y.tolist()), np.asarray(z.grad))
    np.testing.assert_allclose(out[hosila][0], out[torch][0])
    np.testing.assert_allclose(out[hosila][1], out[torch][1])


@pytest.mark.parametrize(
    "body",
    [
        lambda x: x[0].mul_(2),
        lambda x: x.view(-1).__setitem__(0, 1.0),
        lambda x: x.view(4)[1:].view(3, 1).add_(1),
        lambda x: x.T.add_(1),
    ],
)
def test_view_of_a_leaf_that_requires_grad_is_refused(body):
    x = hosila.ones(2, 2, requires_grad=True)
    with pytest.raises(RuntimeError, match="view of a leaf"):
        body(x)
    assert x.data.tolist() == [[1.0, 1.0], [1.0, 1.0]]
    tx = torch.ones(2, 2, requires_grad=True)
    with pytest.raises(RuntimeError, match="view of a leaf"):
        body(tx)


def test_view_of_a_leaf_under_no_grad_writes_the_leaf():
    x = hosila.ones(2, 2, requires_grad=True)
    with hosila.no_grad():
        x[0].mul_(3)
        x.view(-1)[3] = 5.0
    assert x.data.tolist() == [[3.0, 3.0], [1.0, 5.0]]
    assert x.is_leaf and x.requires_grad


def test_expanded_view_refused_in_the_graph():
    y = hosila.ones(1, 3, requires_grad=True) * 1
    with pytest.raises(RuntimeError, match="expanded"):
        y.expand(2, 3).mul_(2)
    with pytest.raises(RuntimeError, match="single memory location"):
        torch.ones(1, 3, requires_grad=True).mul(1).expand(2, 3).mul_(2)


def test_views_outside_the_graph_share_numpy_memory():
    y = hosila.zeros(2, 3)
    y[0].add_(1)
    y.view(-1)[5] = 7.0
    y.T[0, 1] = 9.0
    y[1, 1].fill_(4)
    assert y.tolist() == [[1.0, 1.0, 1.0], [9.0, 4.0, 7.0]]
    assert np.shares_memory(y[0].data, y.data)
    v = y.view(6)
    y.mul_(2)  # the base changed in place: the view sees it
    assert v.tolist() == [2.0, 2.0, 2.0, 18.0, 8.0, 14.0]


def test_old_value_kept_for_ops_that_used_it():
    # PyTorch raises "modified by an inplace operation" at backward here; hosila records
    # in-place changes as new nodes, so the backward uses the value the op saw
    x = hosila.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1
    v = y[0]
    s = (v * v).sum()
    y.add_(1)
    assert v.tolist() == 2.0  # the view shows the base's new value
    s.backward()
    assert x.grad.tolist() == [2.0, 0.0]


def test_views_are_pickled_without_their_links():
    import copy
    import pickle

    y = hosila.arange(6.0).reshape(2, 3)
    v = y[0]
    v2 = pickle.loads(pickle.dumps(v))
    c = copy.deepcopy(y)
    assert v2.tolist() == [0.0, 1.0, 2.0] and c.tolist() == y.tolist()
    v2.add_(1)
    assert y.tolist()[0] == [0.0, 1.0, 2.0]


def test_view_of_a_replaced_array_is_left_alone():
    x = hosila.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 1
    v = y[2]
    y.data = np.zeros(2, dtype=np.float32)  # v keeps the old memory (as PyTorch's .data =)
    y.add_(x[:2])
    assert y.tolist() == [1.0, 2.0] and v.tolist() == 3.0
    v.mul_(2)  # no longer reaches y
    assert y.tolist() == [1.0, 2.0] and v.tolist() == 6.0


def test_recurrent_writes_into_one_output():
    # out[:, t] = f(out[:, t - 1]): every step reads the previous column of the same tensor
    res = {}
    for lib in (hosila, torch):
        w = lib.tensor([[0.5, -0.2], [0.3, 0.8]], dtype=lib.float64, requires_grad=True)
        out = lib.zeros(2, 5, 2, dtype=lib.float64)
        out[:, 0] = lib.ones(2, 2, dtype=lib.float64)
        for t in range(1, 5):
            out[:, t] = lib.tanh(out[:, t - 1].clone() @ w)  # torch: clone (versions)
        (out * out).sum().backward()
        res[lib] = (np.array(out.tolist()), np.asarray(w.grad))
    np.testing.assert_allclose(res[hosila][0], res[torch][0])
    np.testing.assert_allclose(res[hosila][1], res[torch][1])


def _run_lib(lib, body):
    x = lib.tensor([[0.5, 1.0, -2.0], [2.0, -3.0, 1.5]], dtype=lib.float64, requires_grad=True)
    y = x * 1
    body(lib, y)
    (y * lib.tensor([[1.0, 2, 3], [4, 5, 6]], dtype=lib.float64)).sum().backward()
    return np.array(y.tolist()), np.asarray(x.grad)


VIEW_OPS = {
    "narrow": lambda L, y: y.narrow(1, 1, 2).mul_(3),
    "flatten": lambda L, y: y.flatten()[4:].mul_(3),
    "movedim": lambda L, y: L.movedim(y, 0, 1)[0].mul_(3),
    "swapaxes": lambda L, y: y.swapaxes(0, 1)[2].mul_(3),
    "mT": lambda L, y: y.mT[1].mul_(3),
    "unsqueeze_squeeze": lambda L, y: y.unsqueeze(1).squeeze(1)[0].mul_(3),
    "view_as": lambda L, y: y.view_as(L.zeros(3, 2))[0].mul_(3),
    "relu_": lambda L, y: y[1].relu_(),
    "clamp_": lambda L, y: y[:, 1:].clamp_(min=0.0),
    "masked_fill_": lambda L, y: y[0].masked_fill_(L.tensor([True, False, True]), 0.0),
    "setitem_mask": lambda L, y: y[1].__setitem__(L.tensor([True, False, True]), 7.0),
    "setitem_list": lambda L, y: y.T.__setitem__([0, 2], 7.0),
    "advanced_index_copies": lambda L, y: y[[0, 1]][0].mul_(3),
    "ellipsis": lambda L, y: y[..., 1].mul_(3),
    "row_plus_row": lambda L, y: y.__setitem__(0, y[0].add_(y[1])),  # y[0] += y[1]
    "contiguous_copy": lambda L, y: y.T.contiguous()[0].mul_(5),  # a copy: y unchanged
    "reshape_view": lambda L, y: y.reshape(-1)[0].mul_(5),
    "reshape_copy": lambda L, y: y.T.reshape(-1)[0].mul_(5),  # a copy: y unchanged
    "two_views": lambda L, y: (
        y.view(3, 2).__setitem__((0, 1), 4.0),
        y.T[2].mul_(2),
        y.add_(y.T.T.clone()),
    ),
    "none": lambda L, y: y[None, 1].mul_(3),
}


@pytest.mark.parametrize("name", sorted(VIEW_OPS))
def test_view_ops_inplace_match_torch(name):
    h, t = _run_lib(hosila, VIEW_OPS[name]), _run_lib(torch, VIEW_OPS[name])
    np.testing.assert_allclose(h[0], t[0])
    np.testing.assert_allclose(h[1], t[1])


@pytest.mark.parametrize(
    "body",
    [
        lambda L, y: y.chunk(3, 1)[1].mul_(2),
        lambda L, y: L.split(y, 1, 0)[1].add_(1),
        lambda L, y: y.unbind(1)[2].mul_(-1),
    ],
)
def test_multi_output_views_refused_in_the_graph(body):
    for lib in (hosila, torch):
        with pytest.raises(RuntimeError, match="returns multiple views"):
            _run_lib(lib, body)
    y = hosila.ones(2, 3)
    body(hosila, y)  # outside the graph: written through memory
    assert not (y.data == 1).all()
