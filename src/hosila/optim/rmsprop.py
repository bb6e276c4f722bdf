"""RMSprop: divide the gradient by a running root-mean-square of recent gradients."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from hosila.optim.optimizer import Optimizer, _check, _effective_grad, _number


class RMSprop(Optimizer):
    """RMSprop (Hinton, lecture 6e of *Neural Networks for Machine Learning*), PyTorch's rule.

    For each parameter θ with gradient g::

        g ← −g                                  if maximize
        g ← g + weight_decay · θ
        v ← α·v + (1 − α)·g²
        if centered:  ḡ ← α·ḡ + (1 − α)·g;   d ← √(v − ḡ²) + eps
        else:         d ← √v + eps
        if momentum μ > 0:  b ← μ·b + g / d;   θ ← θ − lr · b
        else:               θ ← θ − lr · g / d

    Args:
        lr: learning rate (default 1e-2). alpha: smoothing constant α (default 0.99).
        eps: added to the denominator (default 1e-8). weight_decay: L2 penalty (default 0).
        momentum: momentum factor (default 0). centered: normalise by the estimated variance
        of the gradient instead of its second moment. maximize: ascend instead of descend.

    State per parameter: ``step``, ``square_avg`` (v), ``momentum_buffer`` (if momentum > 0),
    ``grad_avg`` (ḡ, if centered).
    """

    def __init__(
        self,
        params: Any,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr,
            momentum=momentum,
            alpha=alpha,
            eps=eps,
            centered=centered,
            weight_decay=weight_decay,
            maximize=maximize,
        )
        super().__init__(params, defaults)

    def _validate_group(self, group: dict[str, Any]) -> None:
        lr = _number(group, "lr", "RMSprop")
        eps = _number(group, "eps", "RMSprop")
        momentum = _number(group, "momentum", "RMSprop")
        wd = _number(group, "weight_decay", "RMSprop")
        alpha = _number(group, "alpha", "RMSprop")
        _check(lr >= 0, f"RMSprop: Invalid learning rate: {lr} (lr must be >= 0)")
        _check(eps >= 0, f"RMSprop: Invalid epsilon value: {eps} (eps must be >= 0)")
        _check(momentum >= 0, f"RMSprop: Invalid momentum value: {momentum} (must be >= 0)")
        _check(wd >= 0, f"RMSprop: Invalid weight_decay value: {wd} (must be >= 0)")
        _check(alpha >= 0, f"RMSprop: Invalid alpha value: {alpha} (alpha must be >= 0)")

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Take one RMSprop step; returns ``closure()``'s loss when a closure is given."""
        loss = self._evaluate(closure)
        for group in self.param_groups:
            lr = float(group["lr"])
            alpha = float(group["alpha"])
            eps = float(group["eps"])
            wd = float(group["weight_decay"])
            momentum = float(group["momentum"])
            for p, g in self._grads(group):
                state = self.state[p]
                if not state:
                    state["step"] = 0
                    state["square_avg"] = np.zeros_like(p.data)
                    if momentum > 0:
                        state["momentum_buffer"] = np.zeros_like(p.data)
                    if group["centered"]:
                        state["grad_avg"] = np.zeros_like(p.data)
                g = _effective_grad(g, p, wd, group["maximize"])
                state["step"] += 1
                v = state["square_avg"]
                tmp = np.multiply(g, g)
                tmp *= 1.0 - alpha
                v *= alpha
                v += tmp  # v ← α·v + (1 − α)·g²
                if group["centered"]:
                    ga = state.setdefault("grad_avg", np.zeros_like(p.data))
                    ga *= alpha
                    np.multiply(g, 1.0 - alpha, out=tmp)
                    ga += tmp  # ḡ ← α·ḡ + (1 − α)·g
                    np.multiply(ga, ga, out=tmp)
                    np.subtract(v, tmp, out=tmp)
                    np.sqrt(tmp, out=tmp)
                else:
                    np.sqrt(v, out=tmp)
                tmp += eps  # d
                np.divide(g, tmp, out=tmp)  # g / d
                if momentum > 0:
                    buf = state.setdefault("momentum_buffer", np.zeros_like(p.data))
                    buf *= momentum
                    buf += tmp
                    np.multiply(buf, lr, out=tmp)
                else:
                    tmp *= lr
                p.data -= tmp
        return loss
