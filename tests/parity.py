"""Parity helper: run the same computation in hosila and in PyTorch and compare.

``check_parity(fn, *arrays)`` calls ``fn(lib, *tensors)`` once with ``lib=hosila`` on hosila
tensors and once with ``lib=torch`` on torch tensors (float64 by default, all requiring grad
where floating), compares the outputs, backpropagates the same random upstream gradient
through both, and compares every input's gradient. PyTorch is a test oracle only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

import hosila


def _outputs(out: Any) -> list:
    if isinstance(out, tuple | list):
        return [o for o in out if o is not None]
    return [out]


def check_parity(
    fn: Callable[..., Any],
    *arrays: Any,
    atol: float = 1e-8,
    rtol: float = 1e-6,
    grad: bool = True,
    seed: int = 0,
) -> None:
    """Assert that ``fn(hosila, *xs)`` and ``fn(torch, *xs)`` agree in value and gradient.

    ``arrays`` are NumPy arrays (or numbers); float arrays require grad in both libraries.
    Integer/bool arrays are passed as non-differentiable tensors.
    """
    h_in, t_in = [], []
    for a in arrays:
        a = np.asarray(a)
        is_float = a.dtype.kind == "f"
        h_in.append(hosila.tensor(a.copy(), requires_grad=grad and is_float))
        t = torch.tensor(a.copy())
        if grad and is_float:
            t.requires_grad_(True)
        t_in.append(t)
    h_out, t_out = _outputs(fn(hosila, *h_in)), _outputs(fn(torch, *t_in))
    assert len(h_out) == len(t_out), f"{len(h_out)} hosila outputs vs {len(t_out)} torch outputs"
    rng = np.random.default_rng(seed)
    h_diff, t_diff, seeds = [], [], []
    for ho, to in zip(h_out, t_out, strict=True):
        assert tuple(ho.shape) == tuple(to.shape), f"shape {ho.shape} vs torch {tuple(to.shape)}"
        assert ho.dtype == np.dtype(str(to.dtype).replace("torch.", "")), (
            f"dtype {ho.dtype} vs torch {to.dtype}"
        )
        np.testing.assert_allclose(
            ho.data, to.detach().numpy(), atol=atol, rtol=rtol, err_msg="forward differs"
        )
        if grad and to.requires_grad:
            assert ho.requires_grad, "torch output requires grad but hosila's does not"
            g = rng.standard_normal(ho.shape).astype(ho.dtype)
            h_diff.append(ho)
            t_diff.append(to)
            seeds.append(g)
    if not h_diff:
        return
    hosila.autograd.backward(h_diff, [hosila.tensor(g) for g in seeds])
    torch.autograd.backward(t_diff, [torch.tensor(g) for g in seeds])
    for i, (hx, tx) in enumerate(zip(h_in, t_in, strict=True)):
        if not tx.requires_grad:
            continue
        if tx.grad is None:
            assert hx.grad is None or not np.any(hx.grad), f"input {i}: torch has no grad"
            continue
        assert hx.grad is not None, f"input {i}: hosila computed no gradient"
        assert hx.grad.dtype == hx.dtype, f"input {i}: grad dtype {hx.grad.dtype} != {hx.dtype}"
        np.testing.assert_allclose(
            hx.grad, tx.grad.numpy(), atol=atol, rtol=rtol, err_msg=f"gradient of input {i}"
        )
