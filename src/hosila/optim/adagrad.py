"""Adagrad: per-coordinate learning rates from the sum of squared gradients."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from hosila.optim.optimizer import Optimizer, _check, _effective_grad, _number


class Adagrad(Optimizer):
    """Adagrad (Duchi et al., 2011), PyTorch's update rule.

    For each parameter θ with gradient g, at step t (from 1)::

        g ← −g                                       if maximize
        g ← g + weight_decay · θ
        η ← lr / (1 + (t − 1) · lr_decay)
        s ← s + g²                  (s starts at initial_accumulator_value)
        θ ← θ − η · g / (√s + eps)

    Args:
        lr: learning rate (default 1e-2). lr_decay: decay of the rate per step (default 0).
        weight_decay: L2 penalty (default 0). initial_accumulator_value: start of s (default 0).
        eps: added to the denominator (default 1e-10). maximize: ascend instead of descend.

    State per parameter: ``step`` (int) and ``sum`` (s, like the parameter).
    """

    def __init__(
        self,
        params: Any,
        lr: float = 1e-2,
        lr_decay: float = 0.0,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        eps: float = 1e-10,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr,
            lr_decay=lr_decay,
            eps=eps,
            weight_decay=weight_decay,
            initial_accumulator_value=initial_accumulator_value,
            maximize=maximize,
        )
        super().__init__(params, defaults)

    def _validate_group(self, group: dict[str, Any]) -> None:
        lr = _number(group, "lr", "Adagrad")
        lr_decay = _number(group, "lr_decay", "Adagrad")
        wd = _number(group, "weight_decay", "Adagrad")
        init = _number(group, "initial_accumulator_value", "Adagrad")
        eps = _number(group, "eps", "Adagrad")
        _check(lr >= 0, f"Adagrad: Invalid learning rate: {lr} (lr must be >= 0)")
        _check(lr_decay >= 0, f"Adagrad: Invalid lr_decay value: {lr_decay} (must be >= 0)")
        _check(wd >= 0, f"Adagrad: Invalid weight_decay value: {wd} (must be >= 0)")
        _check(
            init >= 0,
            f"Adagrad: Invalid initial_accumulator_value value: {init} (must be >= 0)",
        )
        _check(eps >= 0, f"Adagrad: Invalid epsilon value: {eps} (eps must be >= 0)")

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Take one Adagrad step; returns ``closure()``'s loss when a closure is given."""
        loss = self._evaluate(closure)
        for group in self.param_groups:
            lr = float(group["lr"])
            lr_decay = float(group["lr_decay"])
            wd = float(group["weight_decay"])
            eps = float(group["eps"])
            for p, g in self._grads(group):
                state = self.state[p]
                if not state:
                    state["step"] = 0
                    state["sum"] = np.full_like(p.data, group["initial_accumulator_value"])
                g = _effective_grad(g, p, wd, group["maximize"])
                state["step"] += 1
                clr = lr / (1.0 + (state["step"] - 1) * lr_decay)
                tmp = np.multiply(g, g)
                state["sum"] += tmp  # s ← s + g²
                np.sqrt(state["sum"], out=tmp)
                tmp += eps
                np.divide(g, tmp, out=tmp)  # g / (√s + eps)
                tmp *= clr
                p.data -= tmp
        return loss
