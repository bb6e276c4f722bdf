"""Small PyTorch-parity fixes of the tensor surface (docs/audit.md, engine findings 2-10)."""

import numpy as np
import pytest
import torch

import hosila


def test_legacy_tensor_constructor():
    for data in ([1, 2], [[1, 0], [2, 3]], np.arange(3), [True, False], 2.5):
        if isinstance(data, float):  # torch.Tensor(2.5) is a TypeError; hosila makes a 0-d
            assert hosila.Tensor(data).tolist() == 2.5
            continue
        h, t = hosila.Tensor(data), torch.Tensor(data)
        assert h.dtype == hosila.float32 and h.shape == tuple(t.shape)
        assert h.tolist() == t.tolist()
    for sizes in ((2, 3), (4,), (0, 2), ()):
        h, t = hosila.Tensor(*sizes), torch.Tensor(*sizes)
        assert h.shape == tuple(t.shape) and h.dtype == hosila.float32
        assert not h.data.any()
    assert hosila.tensor([1, 2]).dtype == hosila.int64  # tensor() still infers
    assert hosila.Tensor([1.0], requires_grad=True).requires_grad
    assert hosila.Tensor(2, 2, dtype=hosila.float64).dtype == hosila.float64
    with pytest.raises(TypeError, match="Tensor"):
        hosila.Tensor(2, "a")


def test_legacy_constructor_follows_default_dtype():
    hosila.set_default_dtype(hosila.float64)
    try:
        assert hosila.Tensor([1, 2]).dtype == hosila.float64
        assert hosila.Tensor(3).dtype == hosila.float64
    finally:
        hosila.set_default_dtype(hosila.float32)


@pytest.mark.parametrize(
    "index, msg",
    [
        (np.s_[::-1], "step must be greater than zero"),
        (np.s_[:, ::-2], "step must be greater than zero"),
        (np.s_[1::0], "slice step cannot be zero"),
    ],
)
def test_negative_or_zero_step_refused(index, msg):
    x = hosila.arange(6.0).reshape(2, 3)
    with pytest.raises(ValueError, match=msg):
        x[index]
    with pytest.raises(ValueError, match=msg):
        torch.arange(6.0).reshape(2, 3)[index]
    assert x[::2].tolist() == torch.arange(6.0).reshape(2, 3)[::2].tolist()


def test_mean_dtype_and_axis_alias():
    a = [[1, 2, 4], [3, 5, 8]]
    h, t = hosila.tensor(a), torch.tensor(a)
    assert h.mean(dtype=hosila.float64).item() == t.mean(dtype=torch.float64).item()
    assert h.mean(dtype=hosila.float64).dtype == hosila.float64
    np.testing.assert_allclose(
        hosila.mean(h, 1, dtype=hosila.float32).data, torch.mean(t, 1, dtype=torch.float32)
    )
    with pytest.raises(TypeError, match="mean"):
        h.mean()
    hf, tf = h.double(), t.double()
    np.testing.assert_allclose(hf.mean(axis=0).data, tf.mean(axis=0).numpy())
    np.testing.assert_allclose(h.sum(axis=1).data, t.sum(axis=1).numpy())
    np.testing.assert_allclose(
        hosila.sum(hf, axis=(0, 1), keepdim=True).data, torch.sum(tf, axis=(0, 1), keepdim=True)
    )
    with pytest.raises(TypeError, match="both dim"):
        h.sum(0, axis=1)
    # gradient through the alias
    x = hosila.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    x.mean(axis=1).sum().backward()
    assert x.grad.tolist() == [[0.5, 0.5], [0.5, 0.5]]


def test_to_device_and_dtype():
    x = hosila.tensor([1.0, 2.0], requires_grad=True)
    y = x.to("cpu", hosila.float64)
    assert y.dtype == hosila.float64 and y.requires_grad
    assert x.to("cpu") is x and x.to(device="cpu") is x
    assert x.to(hosila.zeros(1, dtype=hosila.float64)).dtype == hosila.float64
    assert x.to("cpu", dtype=hosila.float16).dtype == hosila.float16
    c = x.to(copy=True)
    assert c is not x and c.tolist() == x.tolist()
    y.sum().backward()
    assert x.grad.tolist() == [1.0, 1.0]
    with pytest.raises(ValueError, match="CPU only"):
        x.to("cuda")


@pytest.mark.parametrize(
    "expr",
    [
        lambda m: m.tensor([1, 2]) // 0,
        lambda m: m.tensor([1, 2]) % m.tensor([1, 0]),
        lambda m: 7 // m.tensor([0, 3]),
        lambda m: m.remainder(m.tensor([4, 5]), 0),
    ],
)
def test_integer_division_by_zero_raises(expr):
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        expr(hosila)
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        expr(torch)


def test_float_division_by_zero_still_inf_nan():
    with np.errstate(all="ignore"):
        h = hosila.tensor([1.0, -1.0]) // 0
        r = hosila.tensor([1.0, -1.0]) % 0
    t = torch.tensor([1.0, -1.0]) // 0
    assert h.tolist() == t.tolist()
    assert np.isnan(r.data).all()
    assert (hosila.tensor([7, -7]) // 2).tolist() == (torch.tensor([7, -7]) // 2).tolist()


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_of_integers_refused(name):
    for lib in (hosila, torch):
        with pytest.raises(NotImplementedError):
            getattr(lib, name)(lib.tensor([1, 2]), 0)
    with pytest.raises(TypeError, match=name):
        getattr(hosila, name)(hosila.tensor([1, 2]), 0)
    x = hosila.tensor([1.0, 2.0])
    np.testing.assert_allclose(
        getattr(hosila, name)(x, 0).data,
        getattr(torch, name)(torch.tensor([1.0, 2.0]), 0),
        rtol=1e-6,
    )


def test_fill_and_zero_recorded_in_the_graph():
    out = {}
    for lib in (hosila, torch):
        x = lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64, requires_grad=True)
        v = lib.tensor(2.5, dtype=lib.float64, requires_grad=True)
        y = x * x
        y[0].fill_(v)
        y[1].zero_()
        z = x * 1
        z.fill_(4.0)
        (y * lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64)).sum().backward()
        assert z.tolist() == [4.0] * 3 and z.requires_grad
        out[lib] = (y.tolist(), np.asarray(x.grad), np.asarray(v.grad))
    assert out[hosila][0] == out[torch][0]
    np.testing.assert_allclose(out[hosila][1], out[torch][1])
    np.testing.assert_allclose(out[hosila][2], out[torch][2])


def test_fill_on_a_leaf_that_requires_grad_refused():
    x = hosila.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="fill_"):
        x.fill_(0)
    with pytest.raises(RuntimeError, match="leaf"):
        torch.ones(2, requires_grad=True).fill_(0)
    with hosila.no_grad():
        x.zero_()
    assert x.tolist() == [0.0, 0.0]


@pytest.mark.parametrize(
    "name, args",
    [
        ("sign_", ()),
        ("reciprocal_", ()),
        ("expm1_", ()),
        ("log1p_", ()),
        ("rsqrt_", ()),
        ("erf_", ()),
        ("log2_", ()),
        ("log10_", ()),
        ("scatter_add_", (1, [[0, 0, 2], [1, 1, 1]], "src")),
    ],
)
def test_more_inplace_methods_match_torch(name, args):
    data = [[0.5, 2.0, 1.5], [3.0, 0.25, 1.0]]
    src = [[1.0, -2.0, 0.5], [2.0, 1.0, -1.0]]
    out = {}
    for lib in (hosila, torch):
        x = lib.tensor(data, dtype=lib.float64, requires_grad=True)
        s = lib.tensor(src, dtype=lib.float64, requires_grad=True)
        a = [lib.tensor(v) if isinstance(v, list) else (s if v == "src" else v) for v in args]
        y = x * 1
        r = getattr(y, name)(*a)
        assert r is y
        (y * lib.tensor(src, dtype=lib.float64)).sum().backward()
        plain = lib.tensor(data, dtype=lib.float64)
        getattr(plain, name)(*[p.detach() if isinstance(p, lib.Tensor) else p for p in a])
        out[lib] = (np.array(y.tolist()), np.asarray(x.grad), np.array(plain.tolist()))
        out[lib] += (None if s.grad is None else np.asarray(s.grad),)
    for h, t in zip(out[hosila], out[torch], strict=True):
        if t is None:
            assert h is None
        else:
            np.testing.assert_allclose(h, t, rtol=1e-12)
