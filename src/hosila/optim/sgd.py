"""Stochastic gradient descent, with momentum, Nesterov momentum and weight decay."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from hosila.optim.optimizer import Optimizer, _check, _effective_grad, _number


class SGD(Optimizer):
    """Stochastic gradient descent (PyTorch's update rule).

    For each parameter θ with gradient g, at step t::

        g ← −g                                  if maximize
        g ← g + weight_decay · θ                 (L2 penalty)
        b ← g (t = 1),  μ·b + (1 − dampening)·g (t > 1)        if momentum μ ≠ 0
        g ← g + μ·b if nesterov, else b
        θ ← θ − lr · g

    Args:
        params: tensors or parameter groups to optimize.
        lr: learning rate (default 1e-3, as PyTorch).
        momentum: momentum factor μ ≥ 0 (default 0).
        dampening: dampening of the momentum (default 0).
        weight_decay: L2 penalty ≥ 0 (default 0).
        nesterov: Nesterov momentum (needs momentum > 0 and dampening 0).
        maximize: maximize the objective instead of minimizing it.

    State per parameter: ``momentum_buffer`` (an array like the parameter) when momentum ≠ 0.
    """

    def __init__(
        self,
        params: Any,
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr,
            momentum=momentum,
            dampening=dampening,
            weight_decay=weight_decay,
            nesterov=nesterov,
            maximize=maximize,
        )
        super().__init__(params, defaults)

    def _validate_group(self, group: dict[str, Any]) -> None:
        lr = _number(group, "lr", "SGD")
        momentum = _number(group, "momentum", "SGD")
        dampening = _number(group, "dampening", "SGD")
        wd = _number(group, "weight_decay", "SGD")
        _check(lr >= 0, f"SGD: Invalid learning rate: {lr} (lr must be >= 0)")
        _check(momentum >= 0, f"SGD: Invalid momentum value: {momentum} (momentum must be >= 0)")
        _check(wd >= 0, f"SGD: Invalid weight_decay value: {wd} (weight_decay must be >= 0)")
        _check(
            not group["nesterov"] or (momentum > 0 and dampening == 0),
            f"SGD: Nesterov momentum requires a momentum and zero dampening "
            f"(nesterov=True needs momentum > 0 and dampening == 0, got momentum={momentum}, "
            f"dampening={dampening})",
        )

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Take one SGD step; returns ``closure()``'s loss when a closure is given."""
        loss = self._evaluate(closure)
        for group in self.param_groups:
            lr = float(group["lr"])
            momentum = float(group["momentum"])
            dampening = float(group["dampening"])
            wd = float(group["weight_decay"])
            for p, g in self._grads(group):
                g = _effective_grad(g, p, wd, group["maximize"])
                if momentum != 0:
                    state = self.state[p]
                    buf = state.get("momentum_buffer")
                    if buf is None:
                        buf = state["momentum_buffer"] = g.copy()
                    else:
                        buf *= momentum
                        buf += g if dampening == 0 else (1.0 - dampening) * g
                    if group["nesterov"]:
                        d = np.multiply(buf, momentum)
                        d += g  # g + μ·b
                        d *= lr
                    else:
                        d = np.multiply(buf, lr)
                else:
                    d = np.multiply(g, lr)
                p.data -= d
        return loss
