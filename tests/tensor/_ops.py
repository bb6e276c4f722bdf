"""Shared helpers for the tensor tests: input makers and the gradient check on hosila alone."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import hosila
from hosila.autograd import gradcheck


def rand(*shape: int, seed: int = 0, low: float | None = None, high: float | None = None):
    """float64 test data: standard normal, or uniform in [low, high)."""
    rng = np.random.default_rng(seed)
    if low is None:
        return rng.standard_normal(shape)
    return rng.uniform(low, high, size=shape)


def check_grad(fn: Callable[..., Any], *arrays: Any, **kw: Any) -> None:
    """gradcheck ``fn(hosila, *tensors)`` on float64 tensors made from ``arrays``."""
    xs = [
        hosila.tensor(np.array(a, dtype=np.float64), requires_grad=True)
        if np.asarray(a).dtype.kind == "f"
        else hosila.tensor(np.asarray(a))
        for a in arrays
    ]
    assert gradcheck(lambda *t: fn(hosila, *t), tuple(xs), **kw)


def fpad(lib: Any) -> Callable[..., Any]:
    """The constant/reflect/... pad function of each library."""
    return lib.pad if lib is hosila else lib.nn.functional.pad
