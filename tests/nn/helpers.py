"""Test helpers for hosila.nn: layer parity against torch.nn and a centred-difference gradcheck."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

import hosila


def to_torch_state(h_module: Any) -> dict:
    return {k: torch.tensor(np.array(v.data)) for k, v in h_module.state_dict().items()}


def to_numpy_state(t_module: Any) -> dict:
    return {k: v.detach().numpy().copy() for k, v in t_module.state_dict().items()}


def layer_parity(
    h_layer: Any,
    t_layer: Any,
    x: np.ndarray,
    train: bool = True,
    steps: int = 1,
    atol: float = 1e-10,
    rtol: float = 1e-7,
    seed: int = 0,
) -> None:
    """Copy ``t_layer``'s weights into ``h_layer`` (float64), then for ``steps`` batches compare
    the output, the input gradient, every parameter gradient and the state_dict (buffers)."""
    h_layer.double()
    t_layer.double()
    h_layer.load_state_dict(to_numpy_state(t_layer))
    h_layer.train(train)
    t_layer.train(train)
    rng = np.random.default_rng(seed)
    for step in range(steps):
        xs = x if step == 0 else x + rng.standard_normal(x.shape) * (x.dtype.kind == "f")
        is_float = xs.dtype.kind == "f"
        hx = hosila.tensor(xs.copy(), requires_grad=is_float)
        tx = torch.tensor(xs.copy(), requires_grad=is_float)
        ho, to = h_layer(hx), t_layer(tx)
        assert tuple(ho.shape) == tuple(to.shape), (ho.shape, to.shape)
        assert ho.dtype == np.float64
        np.testing.assert_allclose(ho.data, to.detach().numpy(), atol=atol, rtol=rtol)
        g = rng.standard_normal(ho.shape)
        ho.backward(hosila.tensor(g))
        to.backward(torch.tensor(g))
        if is_float:
            np.testing.assert_allclose(hx.grad, tx.grad.numpy(), atol=atol, rtol=rtol)
        h_params = dict(h_layer.named_parameters())
        t_params = dict(t_layer.named_parameters())
        assert list(h_params) == list(t_params)
        for name, tp in t_params.items():
            hp = h_params[name]
            if tp.grad is None:
                assert hp.grad is None or not np.any(hp.grad), name
                continue
            np.testing.assert_allclose(hp.grad, tp.grad.numpy(), atol=atol, rtol=rtol, err_msg=name)
        h_layer.zero_grad()
        t_layer.zero_grad()
        h_state, t_state = h_layer.state_dict(), t_layer.state_dict()
        assert list(h_state) == list(t_state)
        for k, v in t_state.items():
            assert h_state[k].dtype == np.dtype(str(v.dtype).replace("torch.", "")), k
            np.testing.assert_allclose(h_state[k].data, v.numpy(), atol=atol, rtol=rtol, err_msg=k)


def gradcheck(
    fn: Callable[..., Any],
    *arrays: np.ndarray,
    eps: float = 1e-6,
    atol: float = 1e-6,
    seed: int = 0,
) -> None:
    """Compare the autograd gradient of ``sum(fn(*tensors) * r)`` (r random) with centred
    differences, for every float64 input."""
    rng = np.random.default_rng(seed)
    tensors = [hosila.tensor(a.copy(), requires_grad=a.dtype.kind == "f") for a in arrays]
    out = fn(*tensors)
    r = rng.standard_normal(out.shape)
    (out * hosila.tensor(r)).sum().backward()
    for i, a in enumerate(arrays):
        if a.dtype.kind != "f":
            continue
        num = np.zeros_like(a)
        for j in range(a.size):
            plus, minus = a.copy(), a.copy()
            plus.flat[j] += eps
            minus.flat[j] -= eps
            args_p = [
                hosila.tensor(plus) if k == i else hosila.tensor(b) for k, b in enumerate(arrays)
            ]
            args_m = [
                hosila.tensor(minus) if k == i else hosila.tensor(b) for k, b in enumerate(arrays)
            ]
            with hosila.no_grad():
                fp = float((fn(*args_p).data * r).sum())
                fm = float((fn(*args_m).data * r).sum())
            num.flat[j] = (fp - fm) / (2 * eps)
        assert tensors[i].grad is not None, f"input {i}: no gradient"
        np.testing.assert_allclose(tensors[i].grad, num, atol=atol, rtol=1e-5, err_msg=f"input {i}")
