"""Weight penalties to add to a loss: ``loss = data_loss + lam * l2(model.parameters())``.

Conventions (stated once, used everywhere here):

* ``l1(params)  = Σ |w|`` over every element of every tensor;
* ``l2(params)  = Σ w²`` — the squared L2 norm, **without** a factor ½ (CS231n's
  ``reg * np.sum(W * W)``). Its gradient is ``2 w``, so ``lam * l2`` equals SGD's
  ``weight_decay = 2 * lam``;
* ``elastic_net(params, l1_ratio) = l1_ratio · l1 + (1 − l1_ratio) · l2`` (same l2, no ½).

Each returns a 0-d Tensor in the graph, so ``backward`` reaches the parameters. ``params`` may
be one tensor, an iterable of tensors (``model.parameters()``) or a Module (its parameters).
Biases are included when passed; pass only the weights to leave them out, e.g.
``[p for n, p in model.named_parameters() if n.endswith("weight")]``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from hosila.tensor import Tensor, tensor

__all__ = ["l1", "l2", "elastic_net"]


def _params(params: Any, op: str) -> list[Tensor]:
    from hosila.nn.module import Module

    if isinstance(params, Module):
        params = params.parameters()
    if isinstance(params, Tensor):
        return [params]
    if not isinstance(params, Iterable):
        raise TypeError(
            f"{op}: params must be a Tensor, an iterable of Tensors or a Module, "
            f"got {type(params).__name__}"
        )
    out = list(params)
    for i, p in enumerate(out):
        if not isinstance(p, Tensor):
            raise TypeError(f"{op}: params[{i}] is a {type(p).__name__}, expected a Tensor")
        if p.data.dtype.kind != "f":
            raise TypeError(f"{op}: params[{i}] must be floating point, got dtype {p.data.dtype}")
    return out


def _total(terms: list[Tensor]) -> Tensor:
    if not terms:
        return tensor(0.0)
    out = terms[0]
    for t in terms[1:]:
        out = out + t
    return out


def l1(params: Any) -> Tensor:
    """Σ |w| over all elements of ``params`` (a 0-d Tensor; 0 when there are none)."""
    return _total([p.abs().sum() for p in _params(params, "l1")])


def l2(params: Any) -> Tensor:
    """Σ w² over all elements of ``params`` — the squared L2 norm, no factor ½."""
    return _total([(p * p).sum() for p in _params(params, "l2")])


def elastic_net(params: Any, l1_ratio: float = 0.5) -> Tensor:
    """``l1_ratio · l1(params) + (1 − l1_ratio) · l2(params)``, l1_ratio in [0, 1]."""
    if not 0.0 <= l1_ratio <= 1.0:
        raise ValueError(f"elastic_net: l1_ratio must be in [0, 1], got {l1_ratio}")
    ps = _params(params, "elastic_net")
    return l1(ps) * l1_ratio + l2(ps) * (1.0 - l1_ratio)
