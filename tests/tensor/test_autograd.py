"""The engine: gradcheck, jacobian, grad, detect_anomaly, backward semantics (deep graphs,
retain_graph, freed graphs), grad mode, detach, requires_grad_, in-place rules."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import hosila
from hosila.autograd import Function, GradcheckError, gradcheck, jacobian
from tests.tensor._ops import rand


class _WrongSquare(Function):
    """x² with a deliberately wrong derivative (2.1 x), to see gradcheck catch it."""

    def forward(self, a):
        self.saved = (a,)
        return a * a

    def backward(self, grad):
        return grad * 2.1 * self.saved[0]


# ---- gradcheck --------------------------------------------------------------------------------


def test_gradcheck_passes_on_a_correct_graph_and_returns_true():
    x = hosila.tensor(rand(3, 4), requires_grad=True)
    w = hosila.tensor(rand(4, 2, seed=1), requires_grad=True)
    assert gradcheck(lambda a, b: (a @ b).tanh().sum(0), (x, w)) is True


def test_gradcheck_names_the_worst_element_and_both_values():
    x = hosila.tensor([[1.0, -2.0], [3.0, 0.5]], requires_grad=True)
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda a: _WrongSquare.apply(a), x)
    msg = str(info.value)
    # the worst absolute error is at the largest |x| = 3.0, element (1, 0): 6.3 vs 6.0
    assert "input 0 at element (1, 0)" in msg
    assert "analytical 6.3" in msg and "numerical 6.0" in msg and "relative error 0.05" in msg
    assert isinstance(info.value, RuntimeError)
    assert gradcheck(lambda a: _WrongSquare.apply(a), x, raise_exception=False) is False


def test_gradcheck_uses_float64_even_for_float32_inputs():
    x = hosila.tensor(rand(5), requires_grad=True, dtype=hosila.float32)
    # float32 centred differences with eps=1e-6 would be noise; in float64 this passes
    assert gradcheck(lambda a: (a * a).exp().sum(), x)


def test_gradcheck_with_a_constant_input_and_tuple_outputs():
    x = hosila.tensor(rand(2, 3), requires_grad=True)
    c = hosila.tensor(rand(2, 3, seed=1))
    idx = hosila.tensor([1, 0])
    assert gradcheck(lambda a, b, i: (a * b, a[i], a.max(1)), (x, c, idx))


def test_gradcheck_needs_an_input_that_requires_grad():
    with pytest.raises(ValueError, match="requires_grad"):
        gradcheck(lambda a: a * 2, hosila.ones(2))


def test_gradcheck_catches_a_missing_gradient():
    x = hosila.tensor(rand(3), requires_grad=True)
    with pytest.raises(GradcheckError):
        gradcheck(lambda a: a * a.detach(), x)


# ---- jacobian ---------------------------------------------------------------------------------


def _tj(fn, xs):
    return torch.autograd.functional.jacobian(fn, xs)


def test_jacobian_single_input_single_output_matches_torch():
    x = rand(3, 2)
    J = jacobian(lambda a: (a.exp() * 2).sum(1), hosila.tensor(x))
    T = _tj(lambda a: (a.exp() * 2).sum(1), torch.tensor(x))
    assert J.shape == (3, 3, 2) == tuple(T.shape)
    np.testing.assert_allclose(J.data, T.numpy(), rtol=1e-12)


def test_jacobian_is_the_lecture_matrix():
    """y = W x: J = W."""
    W = rand(4, 3)
    J = jacobian(lambda x: hosila.tensor(W) @ x, hosila.tensor(rand(3, seed=1)))
    np.testing.assert_allclose(J.data, W)


def test_jacobian_tuple_inputs_and_outputs_match_torch():
    x, w = rand(2, 3), rand(3, 4, seed=1)

    def f(lib):
        return lambda a, b: ((a @ b).tanh(), a.sum())

    J = jacobian(f(hosila), (hosila.tensor(x), hosila.tensor(w)))
    T = _tj(f(torch), (torch.tensor(x), torch.tensor(w)))
    assert isinstance(J, tuple) and len(J) == 2 and all(len(row) == 2 for row in J)
    for jrow, trow in zip(J, T, strict=True):
        for j, t in zip(jrow, trow, strict=True):
            assert j.shape == tuple(t.shape)
            np.testing.assert_allclose(j.data, t.numpy(), rtol=1e-12, atol=1e-15)


def test_jacobian_tuple_inputs_single_output_and_unused_input():
    x, y = rand(3), rand(2, seed=1)
    J = jacobian(lambda a, b: a * 3, (hosila.tensor(x), hosila.tensor(y)))
    T = _tj(lambda a, b: a * 3, (torch.tensor(x), torch.tensor(y)))
    assert [j.shape for j in J] == [tuple(t.shape) for t in T] == [(3, 3), (3, 2)]
    for j, t in zip(J, T, strict=True):
        np.testing.assert_allclose(j.data, t.numpy())


def test_jacobian_does_not_touch_grads_of_other_tensors():
    w = hosila.tensor(rand(3), requires_grad=True)
    jacobian(lambda a: a * w, hosila.tensor(rand(3, seed=1)))
    assert w.grad is None


# ---- grad / backward(inputs=) ------------------------------------------------------------------


def test_autograd_grad_returns_without_accumulating():
    x = hosila.tensor([1.0, 2.0], requires_grad=True)
    y = hosila.tensor([3.0, 4.0], requires_grad=True)
    (gx,) = hosila.autograd.grad((x * y).sum(), x)
    np.testing.assert_array_equal(gx.data, [3.0, 4.0])
    assert x.grad is None and y.grad is None
    z = hosila.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="not used"):
        hosila.autograd.grad((x * 2).sum(), [x, z])
    assert hosila.autograd.grad((x * 2).sum(), [x, z], allow_unused=True)[1] is None


def test_backward_inputs_accumulates_only_into_those():
    x = hosila.tensor([1.0, 2.0], requires_grad=True)
    y = hosila.tensor([3.0, 4.0], requires_grad=True)
    (x * y).sum().backward(inputs=[y])
    assert x.grad is None
    np.testing.assert_array_equal(y.grad, [1.0, 2.0])


# ---- detect_anomaly ------------------------------------------------------------------------------


def test_detect_anomaly_names_the_op_in_forward():
    x = hosila.tensor([0.0, 1.0], requires_grad=True)
    with hosila.detect_anomaly(), np.errstate(divide="ignore"):
        with pytest.raises(RuntimeError, match=r"Log\.forward produced inf"):
            x.log()


def test_detect_anomaly_names_the_op_in_backward():
    x = hosila.tensor([0.0, 1.0], requires_grad=True)
    y = x.sqrt()  # finite forward, infinite derivative at 0
    with hosila.detect_anomaly(), np.errstate(divide="ignore"):
        with pytest.raises(RuntimeError, match=r"Sqrt\.backward produced inf"):
            y.sum().backward()


def test_detect_anomaly_nan_and_decorator_and_off_outside():
    @hosila.detect_anomaly()
    def f(a):
        return a * float("nan")

    with pytest.raises(RuntimeError, match="nan"):
        f(hosila.ones(2))
    assert np.isnan((hosila.ones(2) * float("nan")).data).all()  # no check outside


# ---- backward semantics ------------------------------------------------------------------


def test_deep_chain_of_10000_ops():
    x = hosila.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(10_000):
        y = y * 1.0001
    y.backward()
    np.testing.assert_allclose(x.grad, 1.0001**10_000, rtol=1e-3)


def test_non_scalar_backward_needs_gradient_and_names_shape():
    y = hosila.ones(2, 3, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match=r"\(2, 3\)"):
        y.backward()
    with pytest.raises(RuntimeError, match="shape"):
        y.backward(hosila.ones(3))
    y.backward(hosila.ones(2, 3))


def test_backward_on_tensor_without_grad_fails():
    with pytest.raises(RuntimeError, match="does not require grad"):
        hosila.ones(2).sum().backward()


def test_second_backward_through_freed_graph_fails_unless_retained():
    x = hosila.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_array_equal(x.grad, [4.0, 8.0])
    with pytest.raises(RuntimeError, match="second time.*retain_graph"):
        y.backward()


def test_gradients_accumulate_and_reset():
    x = hosila.tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    (x * 3).sum().backward()
    np.testing.assert_array_equal(x.grad, [6.0, 6.0])
    x.grad = None
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 4.0])


def test_shared_gradient_arrays_are_not_aliased_between_leaves():
    a = hosila.tensor([1.0, 2.0], requires_grad=True)
    b = hosila.tensor([1.0, 2.0], requires_grad=True)
    (a + b).sum().backward()
    a.grad += 10  # must not change b.grad
    np.testing.assert_array_equal(b.grad, [1.0, 1.0])
    g = np.ones(2)
    c = hosila.tensor([1.0, 2.0], requires_grad=True, dtype=hosila.float64)
    (c * 1).backward(g)
    c.grad += 1  # must not change the caller's gradient array
    np.testing.assert_array_equal(g, [1.0, 1.0])


def test_a_tensor_used_twice_sums_its_gradients():
    x = hosila.tensor([2.0], requires_grad=True)
    y = x * x + x
    z = y * y
    z.backward()
    np.testing.assert_allclose(x.grad, [2 * 6 * 5])


def test_retain_grad_and_leaf_grad_of_intermediate():
    x = hosila.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    h.retain_grad()
    (h * h).sum().backward()
    np.testing.assert_array_equal(h.grad, [4.0, 8.0])
    assert not h.is_leaf and x.is_leaf
    assert hosila.tensor(1.0).is_leaf


def test_backward_of_several_outputs():
    x = hosila.tensor([1.0, 2.0], requires_grad=True)
    hosila.autograd.backward([x.sum(), (x * x).sum()])
    np.testing.assert_array_equal(x.grad, [3.0, 5.0])


# ---- grad mode ----------------------------------------------------------------------------------


def test_no_grad_context_and_decorator():
    x = hosila.ones(2, requires_grad=True)
    with hosila.no_grad():
        y = x * 2
        assert not hosila.is_grad_enabled()
    assert hosila.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None

    @hosila.no_grad()
    def f(a):
        return a * 3

    assert not f(x).requires_grad
    with hosila.no_grad(), hosila.enable_grad():
        assert (x * 2).requires_grad
    with hosila.set_grad_enabled(False):
        assert not (x * 2).requires_grad


def test_no_grad_restores_mode_after_an_exception():
    with pytest.raises(ZeroDivisionError), hosila.no_grad():
        1 / 0  # noqa: B018
    assert hosila.is_grad_enabled()


def test_detach_shares_data_and_cuts_the_graph():
    x = hosila.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    d = y.detach()
    assert not d.requires_grad and d.is_leaf
    assert np.shares_memory(d.data, y.data)
    (x * d).sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 4.0])


def test_requires_grad_rules():
    x = hosila.ones(2)
    assert x.requires_grad_() is x and x.requires_grad
    x.requires_grad_(False)
    assert not x.requires_grad
    for dt in (hosila.int64, hosila.int32, hosila.bool_, hosila.uint8):
        with pytest.raises(TypeError, match="floating-point"):
            hosila.ones(2, dtype=dt).requires_grad_()
        with pytest.raises(RuntimeError, match="floating-point"):
            hosila.tensor([1, 0], dtype=dt, requires_grad=True)
    y = hosila.ones(2, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="detach"):
        y.requires_grad_(False)


def test_in_place_on_leaf_requiring_grad_is_refused_outside_no_grad():
    w = hosila.ones(3, requires_grad=True)
    for op in (
        lambda: w.add_(1),
        lambda: w.mul_(2),
        lambda: w.zero_(),
        lambda: w.fill_(1.0),
        lambda: w.copy_(hosila.zeros(3)),
        lambda: w.clamp_(0, 1),
        lambda: w.__setitem__(0, 5.0),
        lambda: w.__iadd__(1.0),
    ):
        with pytest.raises(RuntimeError, match="leaf"):
            op()
    np.testing.assert_array_equal(w.data, [1.0, 1.0, 1.0])
    with hosila.no_grad():
        w -= 0.5
        w.mul_(2)
        w[0] = 7.0
    np.testing.assert_array_equal(w.data, [7.0, 1.0, 1.0])
    assert w.requires_grad and w.is_leaf


def test_augmented_assignment_in_the_graph_updates_the_object_like_torch():
    for lib in (hosila, torch):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = x * 1
        alias = y
        before = y * 10  # uses the old value of y
        y += x
        y *= 3
        assert alias is y
        (y.sum() + before.sum()).backward()
        np.testing.assert_array_equal(np.asarray(x.grad), [16.0, 16.0])
        # a constant accumulator becomes part of the graph when a grad-requiring tensor is
        # added to it (as in PyTorch), instead of silently dropping the gradient
        acc = lib.zeros(2)
        acc += x * x
        acc -= x
        assert acc.requires_grad and not acc.is_leaf
        x.grad = None
        acc.sum().backward()
        np.testing.assert_array_equal(np.asarray(x.grad), [1.0, 3.0])


def test_grads_that_are_views_never_alias_the_callers_gradient_or_each_other():
    g = np.ones((4, 3), dtype=np.float32)
    c = hosila.ones(2, 3, requires_grad=True)
    d = hosila.ones(2, 3, requires_grad=True)
    hosila.cat([c, d]).backward(g)  # the backward slices g: views of the caller's array
    assert not np.shares_memory(c.grad, g) and not np.shares_memory(d.grad, g)
    a = hosila.ones(2, 3, requires_grad=True)
    b = hosila.ones(2, 3, requires_grad=True)
    (hosila.cat([a, b]) * 2).sum().backward()  # views of a temporary: may be kept
    a.grad += 1
    np.testing.assert_array_equal(b.grad, np.full((2, 3), 2.0))
    np.testing.assert_array_equal(a.grad, np.full((2, 3), 3.0))


def test_in_place_ops_keep_the_dtype():
    x = hosila.tensor([1.0, 2.0], dtype=hosila.float64, requires_grad=True)
    acc = hosila.zeros(2)
    acc += x * 2
    assert acc.dtype == hosila.float32
    acc.sum().backward()
    assert x.grad.dtype == np.float64 and x.grad.tolist() == [2.0, 2.0]
    counts = hosila.zeros(2, dtype=hosila.int64)
    with pytest.raises(TypeError, match="can't be cast"):
        counts += x
    counts += 1
    assert counts.tolist() == [1, 1]


def test_add_mul_methods_in_place_join_the_graph_like_torch():
    for lib in (hosila, torch):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        acc = lib.ones(2)
        acc.add_(x, alpha=2).mul_(x).sub_(x).div_(2.0)  # ((1 + 2x) * x - x) / 2 = x²
        acc.sum().backward()
        np.testing.assert_allclose(np.asarray(x.grad), [2.0, 4.0])


def test_copy_from_a_grad_requiring_tensor_is_recorded():
    for lib in (hosila, torch):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        buf = lib.zeros(3, 2)
        buf.copy_(x * 3)
        (buf * buf).sum().backward()
        np.testing.assert_allclose(np.asarray(x.grad), [54.0, 108.0])
