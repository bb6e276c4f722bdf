"""``hosila.nn.utils``: gradient clipping and parameter/vector conversion, as in PyTorch.

Gradients in hosila are NumPy arrays (``p.grad``), changed in place here.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from hosila.tensor import Tensor, cat, tensor

__all__ = [
    "clip_grad_norm_",
    "clip_grad_value_",
    "get_total_norm",
    "parameters_to_vector",
    "vector_to_parameters",
]


def _as_list(parameters: Any, op: str) -> list[Tensor]:
    if isinstance(parameters, Tensor):
        return [parameters]
    if not isinstance(parameters, Iterable):
        raise TypeError(f"{op}: parameters must be a Tensor or an iterable of Tensors")
    out = list(parameters)
    for p in out:
        if not isinstance(p, Tensor):
            raise TypeError(f"{op}: expected Tensors, got a {type(p).__name__}")
    return out


def get_total_norm(
    tensors: Any, norm_type: float = 2.0, error_if_nonfinite: bool = False, foreach: Any = None
) -> Tensor:
    """The ``norm_type``-norm of all given arrays/tensors together (the norm of their norms)."""
    arrays = [t.data if isinstance(t, Tensor) else np.asarray(t) for t in tensors]
    norm_type = float(norm_type)
    if not arrays:
        return tensor(0.0)
    dtype = np.result_type(*arrays)
    if math.isinf(norm_type):
        norms = [np.max(np.abs(a)) if a.size else 0.0 for a in arrays]
        total = float(np.max(norms))
    else:
        norms = [np.linalg.norm(a.reshape(-1).astype(np.float64), ord=norm_type) for a in arrays]
        total = float(np.linalg.norm(np.asarray(norms), ord=norm_type))
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is "
            f"non-finite, so it cannot be clipped. To disable this error and scale the "
            f"gradients by the non-finite norm anyway, set `error_if_nonfinite=False`"
        )
    return tensor(np.asarray(total, dtype=dtype if dtype.kind == "f" else np.float32))


def clip_grad_norm_(
    parameters: Any,
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
    foreach: Any = None,
) -> Tensor:
    """Scale all gradients together so that their joint ``norm_type``-norm is at most
    ``max_norm``: ``g *= min(1, max_norm / (total_norm + 1e-6))``. Returns the total norm
    before clipping (a 0-d Tensor). ``norm_type`` may be ``inf``. Parameters without a
    gradient are skipped."""
    params = [p for p in _as_list(parameters, "clip_grad_norm_") if p.grad is not None]
    if not params:
        return tensor(0.0)
    total = get_total_norm([p.grad for p in params], norm_type, error_if_nonfinite)
    coef = min(float(max_norm) / (float(total.data) + 1e-6), 1.0)
    with np.errstate(invalid="ignore"):  # an inf gradient times 0 is nan, as in PyTorch
        for p in params:
            p.grad *= p.grad.dtype.type(coef)
    return total


def clip_grad_value_(parameters: Any, clip_value: float, foreach: Any = None) -> None:
    """Clamp every gradient element to [−clip_value, clip_value] in place."""
    v = float(clip_value)
    for p in _as_list(parameters, "clip_grad_value_"):
        if p.grad is not None:
            np.clip(p.grad, -v, v, out=p.grad)


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """All parameters flattened and joined into one 1-D tensor (in the graph)."""
    return cat([p.reshape(-1) for p in _as_list(parameters, "parameters_to_vector")])


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Copy consecutive slices of the 1-D ``vec`` into the parameters' data."""
    if not isinstance(vec, Tensor) or vec.ndim != 1:
        raise TypeError("vector_to_parameters: vec must be a 1-D hosila Tensor")
    params = _as_list(parameters, "vector_to_parameters")
    total = sum(p.numel() for p in params)
    if total != vec.numel():
        raise ValueError(
            f"vector_to_parameters: vec has {vec.numel()} elements, the parameters {total}"
        )
    i = 0
    for p in params:
        n = p.numel()
        p.data[...] = vec.data[i : i + n].reshape(p.shape)
        i += n
