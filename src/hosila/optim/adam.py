"""Adam and AdamW: momentum and RMS scaling with bias correction."""

from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import Any

import numpy as np

from hosila.optim.optimizer import Optimizer, _check, _effective_grad, _number


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015), PyTorch's update rule; AMSGrad (Reddi et al., 2018) optional.

    For each parameter θ with gradient g, at step t (from 1)::

        g ← −g                                   if maximize
        θ ← θ · (1 − lr · weight_decay)          if decoupled_weight_decay (AdamW)
        g ← g + weight_decay · θ                 otherwise (L2 penalty)
        m ← β₁·m + (1 − β₁)·g
        v ← β₂·v + (1 − β₂)·g²
        v̂ ← max(v̂, v) if amsgrad, else v
        θ ← θ − (lr / (1 − β₁ᵗ)) · m / (√v̂ / √(1 − β₂ᵗ) + eps)

    Args:
        lr: learning rate (default 1e-3). betas: (β₁, β₂), each in [0, 1) (default
        (0.9, 0.999)). eps: added to the denominator (default 1e-8). weight_decay: (default 0).
        amsgrad: keep the running maximum of v. maximize: ascend instead of descend.
        decoupled_weight_decay: decay the weights directly, as AdamW does.

    State per parameter: ``step`` (int), ``exp_avg`` (m), ``exp_avg_sq`` (v) and, with
    amsgrad, ``max_exp_avg_sq`` (v̂).
    """

    def __init__(
        self,
        params: Any,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        decoupled_weight_decay: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr,
            betas=_betas(betas, type(self).__name__),
            eps=eps,
            weight_decay=weight_decay,
            amsgrad=amsgrad,
            maximize=maximize,
            decoupled_weight_decay=decoupled_weight_decay,
        )
        super().__init__(params, defaults)

    def _validate_group(self, group: dict[str, Any]) -> None:
        name = type(self).__name__
        lr = _number(group, "lr", name)
        eps = _number(group, "eps", name)
        wd = _number(group, "weight_decay", name)
        group["betas"] = b1, b2 = _betas(group["betas"], name)
        _check(lr >= 0, f"{name}: Invalid learning rate: {lr} (lr must be >= 0)")
        _check(eps >= 0, f"{name}: Invalid epsilon value: {eps} (eps must be >= 0)")
        _check(
            0 <= b1 < 1,
            f"{name}: Invalid beta parameter at index 0: {b1} (betas[0] must be in [0, 1))",
        )
        _check(
            0 <= b2 < 1,
            f"{name}: Invalid beta parameter at index 1: {b2} (betas[1] must be in [0, 1))",
        )
        _check(wd >= 0, f"{name}: Invalid weight_decay value: {wd} (weight_decay must be >= 0)")

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Take one Adam step; returns ``closure()``'s loss when a closure is given."""
        loss = self._evaluate(closure)
        for group in self.param_groups:
            lr = float(group["lr"])
            b1, b2 = (float(b) for b in group["betas"])
            eps = float(group["eps"])
            wd = float(group["weight_decay"])
            decoupled = group["decoupled_weight_decay"]
            for p, g in self._grads(group):
                state = self.state[p]
                if not state:
                    state["step"] = 0
                    state["exp_avg"] = np.zeros_like(p.data)
                    state["exp_avg_sq"] = np.zeros_like(p.data)
                    if group["amsgrad"]:
                        state["max_exp_avg_sq"] = np.zeros_like(p.data)
                if decoupled:
                    if wd != 0:
                        p.data *= 1.0 - lr * wd
                    g = _effective_grad(g, p, 0.0, group["maximize"])
                else:
                    g = _effective_grad(g, p, wd, group["maximize"])
                state["step"] += 1
                t = state["step"]
                m, v = state["exp_avg"], state["exp_avg_sq"]
                tmp = np.subtract(g, m)
                tmp *= 1.0 - b1
                m += tmp  # m ← m + (1 − β₁)(g − m) = β₁·m + (1 − β₁)·g
                np.multiply(g, g, out=tmp)
                tmp *= 1.0 - b2
                v *= b2
                v += tmp  # v ← β₂·v + (1 − β₂)·g²
                step_size = lr / (1.0 - b1**t)
                bc2_sqrt = (1.0 - b2**t) ** 0.5
                if group["amsgrad"]:
                    vmax = state.setdefault("max_exp_avg_sq", np.zeros_like(p.data))
                    np.maximum(vmax, v, out=vmax)
                    np.sqrt(vmax, out=tmp)
                else:
                    np.sqrt(v, out=tmp)
                tmp /= bc2_sqrt
                tmp += eps  # denominator
                np.divide(m, tmp, out=tmp)
                tmp *= step_size
                p.data -= tmp
        return loss


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter, 2019): the weights shrink by
    ``lr · weight_decay`` each step instead of an L2 term entering the gradient.

    Same arguments as :class:`Adam`, but ``weight_decay`` defaults to 1e-2.
    """

    def __init__(
        self,
        params: Any,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(
            params,
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            amsgrad=amsgrad,
            maximize=maximize,
            decoupled_weight_decay=True,
        )


def _betas(betas: Any, name: str) -> tuple[float, float]:
    """Check that ``betas`` is a pair of numbers and return it as a tuple."""
    if isinstance(betas, str) or not hasattr(betas, "__len__") or len(betas) != 2:
        raise ValueError(f"{name}: betas must be a pair (beta1, beta2), got {betas!r}")
    for i, b in enumerate(betas):
        if isinstance(b, bool) or not isinstance(b, numbers.Real):
            raise TypeError(f"{name}: betas[{i}] must be a number, got {type(b).__name__} {b!r}")
    return (betas[0], betas[1])
